#pragma once
// A confusion-matrix heat map (rows: truth, columns: predicted). Clicking a cell selects it;
// the Evaluate view then lists the samples behind it. Painted directly: a dozen classes need
// no plotting library, and hit-testing a cell is one division.
#include <QVector>
#include <QWidget>

namespace ember::studio {

class ConfusionMap final : public QWidget {
    Q_OBJECT
public:
    explicit ConfusionMap(QWidget* parent = nullptr);
    void setMatrix(const QStringList& labels, const QVector<QVector<qint64>>& counts);
    const QVector<QVector<qint64>>& matrix() const { return counts_; }
    QPoint selectedCell() const { return selected_; }   // (column = predicted, row = truth); (-1,-1): none
    void selectCell(int truth, int predicted);          // as a click does
    QRect cellRect(int truth, int predicted) const;     // widget coordinates (tests)
    QSize minimumSizeHint() const override { return {260, 220}; }

Q_SIGNALS:
    void cellClicked(int truth, int predicted);

protected:
    void paintEvent(QPaintEvent*) override;
    void mousePressEvent(QMouseEvent* e) override;

private:
    QRect gridRect() const;

    QStringList labels_;
    QVector<QVector<qint64>> counts_;
    QPoint selected_{-1, -1};
};

} // namespace ember::studio
