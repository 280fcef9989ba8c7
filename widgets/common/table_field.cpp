#include "table_field.h"

#include "annotate_commands.h"
#include "sample.h"
#include "small_button.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QPushButton>
#include <QSpinBox>
#include <QTableWidget>
#include <QVBoxLayout>

namespace ember::studio {

namespace data = ember::data;

TableField::TableField(const Spec& spec, QWidget* parent)
    : QWidget(parent)
    , columns_(spec.columns)
    , newRow_(spec.newRow)
    , editNewRow_(spec.editNewRow)
    , table_(new QTableWidget(0, static_cast<int>(spec.columns.size()), this))
{
    auto* boxLayout = new QVBoxLayout(this);
    boxLayout->setContentsMargins(0, 0, 0, 0);
    QStringList headers;
    for (const Column& c : columns_)
        headers << c.header;
    table_->setObjectName(spec.objectName);
    table_->setHorizontalHeaderLabels(headers);
    if (spec.stretchColumn < 0)
        table_->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    else
        table_->horizontalHeader()->setSectionResizeMode(spec.stretchColumn, QHeaderView::Stretch);
    table_->verticalHeader()->hide();
    table_->setMinimumHeight(90);
    table_->setMaximumHeight(spec.maxHeight);
    if (spec.wordWrap)
        table_->setWordWrap(true);
    connect(table_, &QTableWidget::itemChanged, this, &TableField::reportChange);
    auto* buttons = new QHBoxLayout;
    auto* add = smallButton(spec.addText, spec.addTip, this);
    auto* del = smallButton(tr("Remove"), spec.removeTip, this);
    connect(add, &QPushButton::clicked, this, &TableField::addRow);
    connect(del, &QPushButton::clicked, this, &TableField::removeCurrentRow);
    buttons->addWidget(add);
    buttons->addWidget(del);
    buttons->addStretch();
    boxLayout->addWidget(table_);
    boxLayout->addLayout(buttons);
}

QVariantList TableField::value() const
{
    QVariantList rows;
    for (int r = 0; r < table_->rowCount(); ++r) {
        QVariantList cells;
        for (int c = 0; c < static_cast<int>(columns_.size()); ++c) {
            switch (columns_[c].cell) {
            case Cell::Text: {
                const auto* t = table_->item(r, c);
                cells << (t ? t->text() : QString());
                break;
            }
            case Cell::Robot: {
                const auto* b = qobject_cast<QComboBox*>(table_->cellWidget(r, c));
                cells << (b ? b->currentIndex() : 0);
                break;
            }
            case Cell::Order: {
                const auto* o = qobject_cast<QSpinBox*>(table_->cellWidget(r, c));
                cells << (o ? o->value() : 1);
                break;
            }
            }
        }
        rows << QVariant(cells);
    }
    return rows;
}

void TableField::fill(const QVariant& value)
{
    const bool was = quiet_;
    quiet_ = true;
    table_->setRowCount(0);
    for (const QVariantList& cells : tableRows(value, static_cast<int>(columns_.size())))
        appendRow(cells);
    quiet_ = was;
}

void TableField::appendRow(const QVariantList& cells)
{
    const bool was = quiet_;
    quiet_ = true;
    const int r = table_->rowCount();
    table_->insertRow(r);
    for (int c = 0; c < static_cast<int>(columns_.size()); ++c) {
        switch (columns_[c].cell) {
        case Cell::Text:
            table_->setItem(r, c, new QTableWidgetItem(cells.value(c).toString()));
            break;
        case Cell::Robot: {
            auto* b = new QComboBox(table_);
            for (int i = 0; i < data::robotCount(); ++i)
                b->addItem(QString::fromStdString(data::robotName(i)));
            b->setCurrentIndex(cells.value(c).toInt());
            table_->setCellWidget(r, c, b);
            connect(b, &QComboBox::currentIndexChanged, this, &TableField::reportChange);
            break;
        }
        case Cell::Order: {
            auto* o = new QSpinBox(table_);
            o->setRange(1, 99);
            o->setValue(cells.value(c).toInt());
            table_->setCellWidget(r, c, o);
            connect(o, &QSpinBox::valueChanged, this, &TableField::reportChange);
            break;
        }
        }
    }
    quiet_ = was;
}

void TableField::addRow()
{
    const int r = table_->rowCount();
    appendRow(newRow_(r));
    Q_EMIT changed();
    if (editNewRow_) {
        table_->setCurrentCell(r, 0);
        table_->editItem(table_->item(r, 0));
    }
}

void TableField::removeCurrentRow()
{
    if (table_->currentRow() < 0)
        return;
    const bool was = quiet_;
    quiet_ = true;
    table_->removeRow(table_->currentRow());
    quiet_ = was;
    Q_EMIT changed();
}

void TableField::reportChange()
{
    if (!quiet_)
        Q_EMIT changed();
}

} // namespace ember::studio
