#include "workspace_samples.h"

#include "sample_list_model.h"
#include "store_worker.h"
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

void WorkspaceSamples::addDraftSample(const DraftSample& d, std::function<void(const QString& error)> done)
{
    if (!store_ || !store_->isOpen()) {
        done(tr("No dataset store is open."));
        return;
    }
    store_->update<qint64>(
        this,
        [d](data::SampleStore& ws) {
            data::Sample s;
            if (!d.imageBytes.isEmpty()) {
                QString ext = QFileInfo(d.imagePath).suffix().toLower();
                if (ext.isEmpty())
                    ext = "png";   // pasted images are encoded as PNG
                const std::vector<uint8_t> bytes(d.imageBytes.begin(), d.imageBytes.end());
                s.image = ws.storeImageBytes(bytes, ext.toStdString()).info;
            } else if (!d.imagePath.isEmpty()) {
                s.image = ws.storeImageFile(d.imagePath.toStdString()).info;
            }
            s.qa.push_back({d.question.toStdString(), d.answer.toStdString()});
            s.source = "ask";
            s.status = data::Status::Draft;
            return static_cast<qint64>(ws.insert(s));
        },
        [this, done](qint64 id) {
            lastAdded_ = id;
            Q_EMIT sampleAdded(id);
            done({});
        },
        [done](const QString& error) { done(error); });
}

void WorkspaceSamples::pickTaskSample(QWidget* parent, std::function<void(const TaskSample& task)> chosen)
{
    if (!store_ || !store_->isOpen())
        return;
    QDialog dlg(parent);
    dlg.setWindowTitle(tr("Take a task from a sample"));
    auto* lay = new QVBoxLayout(&dlg);
    auto* search = new QLineEdit(&dlg);
    search->setPlaceholderText(tr("Search tasks"));
    search->setClearButtonEnabled(true);
    Suggestions none;
    SampleListModel model(&none);
    model.setStore(store_);
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
    });
    // The rows arrive from the store worker: the first one is chosen once they are there.
    QObject::connect(&model, &SampleListModel::loaded, &dlg, [&] {
        if (model.rowCount() > 0)
            list->setCurrentIndex(model.index(0));
    });
    QObject::connect(bb, &QDialogButtonBox::accepted, &dlg, &QDialog::accept);
    QObject::connect(bb, &QDialogButtonBox::rejected, &dlg, &QDialog::reject);
    QObject::connect(list, &QListView::activated, &dlg, &QDialog::accept);
    dlg.resize(640, 480);
    if (dlg.exec() != QDialog::Accepted || !list->currentIndex().isValid())
        return;
    const qint64 id = model.idAt(list->currentIndex().row());
    if (!id)
        return;
    store_->read<std::optional<TaskSample>>(
        this,
        [id](data::SampleStore& ws) -> std::optional<TaskSample> {
            auto s = ws.get(id);
            if (!s)
                return std::nullopt;
            TaskSample t;
            t.task = QString::fromStdString(s->task);
            t.id = QString::number(id);
            if (s->image.id)
                t.imagePath = QString::fromStdString(ws.absolutePath(s->image.path));
            return t;
        },
        [chosen](std::optional<TaskSample> t) {
            if (t)
                chosen(*t);
        });
}

} // namespace ember::studio
