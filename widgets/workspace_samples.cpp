#include "workspace_samples.h"

#include "sample_list_model.h"
#include "suggestions.h"

#include <QDialog>
#include <QDialogButtonBox>
#include <QFileInfo>
#include <QLineEdit>
#include <QListView>
#include <QPushButton>
#include <QTimer>
#include <QVBoxLayout>

namespace ember::studio {

namespace data = ember::data;

QString WorkspaceSamples::addDraftSample(const DraftSample& d)
{
    if (!ws_)
        return tr("No dataset store is open.");
    try {
        data::Sample s;
        if (!d.imageBytes.isEmpty()) {
            QString ext = QFileInfo(d.imagePath).suffix().toLower();
            if (ext.isEmpty())
                ext = "png";   // pasted images are encoded as PNG
            const std::vector<uint8_t> bytes(d.imageBytes.begin(), d.imageBytes.end());
            s.image = ws_->storeImageBytes(bytes, ext.toStdString()).info;
        } else if (!d.imagePath.isEmpty()) {
            s.image = ws_->storeImageFile(d.imagePath.toStdString()).info;
        }
        s.qa.push_back({d.question.toStdString(), d.answer.toStdString()});
        s.source = "ask";
        s.status = data::Status::Draft;
        lastAdded_ = ws_->insert(s);
    } catch (const std::exception& e) {
        return QString::fromUtf8(e.what());
    }
    Q_EMIT sampleAdded(lastAdded_);
    return {};
}

std::optional<TaskSample> WorkspaceSamples::pickTaskSample(QWidget* parent)
{
    if (!ws_)
        return std::nullopt;
    QDialog dlg(parent);
    dlg.setWindowTitle(tr("Take a task from a sample"));
    auto* lay = new QVBoxLayout(&dlg);
    auto* search = new QLineEdit(&dlg);
    search->setPlaceholderText(tr("Search tasks"));
    search->setClearButtonEnabled(true);
    Suggestions none;
    SampleListModel model(&none);
    ListFilter f;
    model.setFilter(f);
    model.setWorkspace(ws_);
    auto* list = new QListView(&dlg);
    list->setModel(&model);
    list->setUniformItemSizes(true);
    list->setIconSize(QSize(48, 48));
    auto* bb = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, &dlg);
    lay->addWidget(search);
    lay->addWidget(list, 1);
    lay->addWidget(bb);
    QTimer delay;
    delay.setSingleShot(true);
    delay.setInterval(250);
    QObject::connect(search, &QLineEdit::textChanged, &delay, qOverload<>(&QTimer::start));
    QObject::connect(&delay, &QTimer::timeout, &dlg, [&] {
        ListFilter g;
        g.query.text = search->text().trimmed().toStdString();
        model.setFilter(g);
        if (model.rowCount() > 0)
            list->setCurrentIndex(model.index(0));
    });
    QObject::connect(bb, &QDialogButtonBox::accepted, &dlg, &QDialog::accept);
    QObject::connect(bb, &QDialogButtonBox::rejected, &dlg, &QDialog::reject);
    QObject::connect(list, &QListView::activated, &dlg, &QDialog::accept);
    if (model.rowCount() > 0)
        list->setCurrentIndex(model.index(0));
    dlg.resize(640, 480);
    if (dlg.exec() != QDialog::Accepted || !list->currentIndex().isValid())
        return std::nullopt;
    const qint64 id = model.idAt(list->currentIndex().row());
    auto s = ws_->get(id);
    if (!s)
        return std::nullopt;
    TaskSample t;
    t.task = QString::fromStdString(s->task);
    t.id = QString::number(id);
    if (s->image.id)
        t.imagePath = QString::fromStdString(ws_->absolutePath(s->image.path));
    return t;
}

} // namespace ember::studio
