#pragma once
// An editable table of the sample editor (the subtasks, the question/answer pairs) with Add and
// Remove under it. Its value is a QVariantList of rows, each a QVariantList of one cell per
// column, as annotate_commands.h spells the Subtasks and Qa fields. It reports the user's edits
// with changed(); filling it from a value, and its own row inserts and removals, do not.
#include <QVariant>
#include <QWidget>

#include <functional>
#include <vector>

class QTableWidget;

namespace ember::studio {

class TableField final : public QWidget {
    Q_OBJECT
public:
    // What a column's cells are: a text item, a robot combo box (its index), an order spin box.
    enum class Cell { Text, Robot, Order };
    struct Column {
        QString header;
        Cell cell = Cell::Text;
    };
    struct Spec {
        QString objectName;                  // the table's
        std::vector<Column> columns;
        int stretchColumn = -1;              // < 0: every column stretches
        int maxHeight = 150;
        bool wordWrap = false;
        std::function<QVariantList(int rowCount)> newRow;   // the cells Add appends
        bool editNewRow = false;             // Add opens the new row's first cell for editing
        QString addText, addTip, removeTip;
    };

    TableField(const Spec& spec, QWidget* parent);

    QTableWidget* table() const { return table_; }
    QVariantList value() const;
    // Shows the rows of a value; one with another number of cells than columns is passed over.
    void fill(const QVariant& value);

Q_SIGNALS:
    void changed();

private:
    void appendRow(const QVariantList& cells);
    void addRow();
    void removeCurrentRow();
    void reportChange();

    std::vector<Column> columns_;
    std::function<QVariantList(int)> newRow_;
    bool editNewRow_;
    QTableWidget* table_;
    bool quiet_ = false;   // true while the table is changed by code, not by the user
};

} // namespace ember::studio
