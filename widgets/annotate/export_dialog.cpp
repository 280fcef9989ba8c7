#include "export_dialog.h"

#include "exporters.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QPushButton>
#include <QStandardItemModel>

namespace ember::studio {

ExportDialog::ExportDialog(const QString& defaultDir, QWidget* parent)
    : QDialog(parent)
    , dir_(defaultDir)
{
    setWindowTitle(tr("Export samples"));
    auto* form = new QFormLayout(this);
    format_ = new QComboBox(this);
    format_->addItem(tr("EmberVLM JSONL (lossless, with images)"), "jsonl");
    format_->addItem(tr("Upstream single-robot JSON"), "single");
    format_->addItem(tr("Upstream multi-robot JSON"), "multi");
    format_->addItem(tr("LLaVA instruction JSON (Q&A, images beside it)"), "llava");
    format_->addItem(tr("Chat messages JSONL, as TRL reads it (Q&A, images beside it)"), "messages");
    format_->addItem(tr("COCO captions (folder: annotations/ and images)"), "coco");
    format_->addItem(tr("VQA v2 questions and annotations (folder)"), "vqa");
    format_->addItem(tr("Hugging Face imagefolder (folder: metadata.jsonl per split)"), "imagefolder");
    split_ = new QComboBox(this);
    split_->addItem(tr("All samples"), -1);
    split_->addItem(tr("Train"), 1);
    split_->addItem(tr("Val"), 2);
    split_->addItem(tr("Test"), 3);
    split_->addItem(tr("Without a split"), 0);
    split_->addItem(tr("One file per split (folder)"), 4);
    path_ = new QLineEdit(this);
    auto* browse = new QPushButton(tr("Browse…"), this);
    auto* row = new QHBoxLayout;
    row->addWidget(path_, 1);
    row->addWidget(browse);
    form->addRow(tr("&Format"), format_);
    form->addRow(tr("&Samples"), split_);
    form->addRow(tr("&Destination"), row);
    auto* bb = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    bb->button(QDialogButtonBox::Ok)->setText(tr("Export"));
    form->addRow(bb);
    connect(bb, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(bb, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(format_, &QComboBox::currentIndexChanged, this, &ExportDialog::updatePath);
    connect(split_, &QComboBox::currentIndexChanged, this, &ExportDialog::updatePath);
    connect(browse, &QPushButton::clicked, this, [this] {
        const bool folder = split() == 4 || data::exportWritesFolder(format().toStdString());
        const QString p = folder ? QFileDialog::getExistingDirectory(this, tr("Export to folder"), dir_)
                                       : QFileDialog::getSaveFileName(this, tr("Export to file"), path_->text());
        if (!p.isEmpty())
            path_->setText(p);
    });
    updatePath();
    resize(560, sizeHint().height());
}

QString ExportDialog::format() const { return format_->currentData().toString(); }
int ExportDialog::split() const { return split_->currentData().toInt(); }
QString ExportDialog::path() const { return path_->text(); }

void ExportDialog::updatePath()
{
    // The folder formats lay out their splits themselves; "one file per split" is for the others.
    const bool folderFormat = data::exportWritesFolder(format().toStdString());
    if (folderFormat && split() == 4)
        split_->setCurrentIndex(0);
    if (auto* model = qobject_cast<QStandardItemModel*>(split_->model()))
        model->item(split_->count() - 1)->setEnabled(!folderFormat);
    if (split() == 4) {
        path_->setText(dir_ + "/splits-" + format());
        return;
    }
    static const char* names[] = {"unassigned", "train", "val", "test"};
    const QString which = split() < 0 ? QStringLiteral("all") : QString::fromLatin1(names[split()]);
    QString suffix = "-" + format() + ".json";
    if (folderFormat) suffix = "-" + format();
    else if (format() == "jsonl") suffix = ".jsonl";
    else if (format() == "messages") suffix = "-messages.jsonl";
    path_->setText(dir_ + "/" + which + suffix);
}

} // namespace ember::studio
