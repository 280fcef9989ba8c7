#include "confusion_map.h"

#include <QMouseEvent>
#include <QPainter>

#include <algorithm>
#include <cmath>

namespace ember::studio {

ConfusionMap::ConfusionMap(QWidget* parent) : QWidget(parent)
{
    setAccessibleName(tr("Confusion matrix"));
    setToolTip(tr("Rows: true robot · columns: predicted. Click a cell to list its samples."));
    setMouseTracking(false);
}

void ConfusionMap::setMatrix(const QStringList& labels, const QVector<QVector<qint64>>& counts)
{
    labels_ = labels;
    counts_ = counts;
    selected_ = {-1, -1};
    update();
}

QRect ConfusionMap::gridRect() const
{
    const QFontMetrics fm(font());
    int labelW = 0;
    for (const QString& l : labels_)
        labelW = std::max(labelW, fm.horizontalAdvance(l));
    const int left = labelW + fm.height() + 10, top = labelW + fm.height() + 10;
    const int n = std::max<qsizetype>(1, counts_.size());
    const int side = std::max(0, std::min(width() - left - 6, height() - top - 6));
    const int cell = side / n;
    return QRect(left, top, cell * n, cell * n);
}

QRect ConfusionMap::cellRect(int truth, int predicted) const
{
    const QRect g = gridRect();
    const int n = std::max<qsizetype>(1, counts_.size());
    const int c = g.width() / n;
    return QRect(g.left() + predicted * c, g.top() + truth * c, c, c);
}

void ConfusionMap::selectCell(int truth, int predicted)
{
    if (truth < 0 || predicted < 0 || truth >= counts_.size() || predicted >= counts_.size())
        return;
    selected_ = QPoint(predicted, truth);
    update();
    Q_EMIT cellClicked(truth, predicted);
}

void ConfusionMap::mousePressEvent(QMouseEvent* e)
{
    const QRect g = gridRect();
    const int n = counts_.size();
    if (!n || !g.contains(e->position().toPoint()))
        return;
    const int c = g.width() / n;
    selectCell((e->position().toPoint().y() - g.top()) / c, (e->position().toPoint().x() - g.left()) / c);
}

void ConfusionMap::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    p.fillRect(rect(), palette().color(QPalette::Base));
    const int n = counts_.size();
    if (!n) {
        p.setPen(palette().color(QPalette::PlaceholderText));
        p.drawText(rect(), Qt::AlignCenter | Qt::TextWordWrap, tr("Evaluate a checkpoint to see its confusion matrix"));
        return;
    }
    const QRect g = gridRect();
    const int c = g.width() / n;
    // Colour by the share of the true class's row, so rare classes are as readable as common ones.
    for (int t = 0; t < n; ++t) {
        qint64 rowSum = 0;
        for (qint64 v : counts_[t])
            rowSum += v;
        for (int q = 0; q < n; ++q) {
            const QRect r = cellRect(t, q);
            const double share = rowSum ? double(counts_[t][q]) / rowSum : 0.0;
            const QColor base = t == q ? QColor(30, 110, 200) : QColor(215, 70, 40);
            QColor fill = base;
            fill.setAlphaF(0.08 + 0.92 * std::sqrt(share));
            p.fillRect(r, counts_[t][q] ? fill : palette().color(QPalette::AlternateBase));
            p.setPen(palette().color(QPalette::Mid));
            p.drawRect(r.adjusted(0, 0, -1, -1));
            if (counts_[t][q] && c >= 14) {
                p.setPen(share > 0.5 ? Qt::white : palette().color(QPalette::Text));
                p.drawText(r, Qt::AlignCenter, QString::number(counts_[t][q]));
            }
        }
    }
    if (selected_.x() >= 0) {
        p.setPen(QPen(palette().color(QPalette::Highlight), 3));
        p.drawRect(cellRect(selected_.y(), selected_.x()).adjusted(1, 1, -2, -2));
    }
    p.setPen(palette().color(QPalette::Text));
    const QFontMetrics fm(font());
    for (int i = 0; i < n && i < labels_.size(); ++i) {
        const QRect row = cellRect(i, 0);
        p.drawText(QRect(0, row.top(), g.left() - 6, c), Qt::AlignRight | Qt::AlignVCenter, labels_[i]);
        const QRect col = cellRect(0, i);
        p.save();
        p.translate(col.center().x() + fm.ascent() / 2, g.top() - 6);
        p.rotate(-90);
        p.drawText(0, 0, labels_[i]);
        p.restore();
    }
    QFont bold = font();
    bold.setBold(true);
    p.setFont(bold);
    p.drawText(QRect(0, 0, g.left(), g.top()), Qt::AlignCenter | Qt::TextWordWrap, tr("true ↓\npredicted →"));
}

} // namespace ember::studio
