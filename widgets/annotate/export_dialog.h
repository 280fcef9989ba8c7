#pragma once
// Asks where and how to export: format (own JSONL, upstream, LLaVA, chat messages, COCO, VQA,
// imagefolder), which split
// (all, one, or each split to its own file), and the destination.
#include <QDialog>

class QComboBox;
class QLineEdit;

namespace ember::studio {

class ExportDialog final : public QDialog {
    Q_OBJECT
public:
    ExportDialog(const QString& defaultDir, QWidget* parent = nullptr);
    QString format() const;     // a data::exportAs format name

    int split() const;          // -1: all; 0..3: ember::data::Split; 4: one file per split
    QString path() const;       // a file, or a folder when split() == 4 or the format writes one

private:
    void updatePath();
    QComboBox* format_;
    QComboBox* split_;
    QLineEdit* path_;
    QString dir_;
};

} // namespace ember::studio
