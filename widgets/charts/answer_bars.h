#pragma once
// The Reasoning view's answer distributions: a cell of small bars per step (StepBarsDelegate)
// and a labelled horizontal bar per robot for the current step (DistributionBars).
#include <QPainter>
#include <QStyledItemDelegate>
#include <QWidget>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace ember::studio {

// The item data role holding a step's answer probabilities (a QVariantList of doubles).
constexpr int kAnswerProbsRole = Qt::UserRole + 1;

QColor robotColour(int robot);   // one fixed colour per robot

// Small vertical bars, one per robot, in a step list cell.
class StepBarsDelegate final : public QStyledItemDelegate {
public:
    using QStyledItemDelegate::QStyledItemDelegate;
    void paint(QPainter* p, const QStyleOptionViewItem& opt, const QModelIndex& idx) const override
    {
        QStyledItemDelegate::paint(p, opt, idx);
        const QVariantList probs = idx.data(kAnswerProbsRole).toList();
        if (probs.isEmpty())
            return;
        p->save();
        p->setRenderHint(QPainter::Antialiasing);
        const QRect r = opt.rect.adjusted(6, 4, -6, -4);
        const int n = probs.size();
        const int gap = 3;
        const int w = std::max(3, (std::min(r.width(), 22 * n) - gap * (n - 1)) / n);
        for (int i = 0; i < n; ++i) {
            const double v = probs[i].toDouble();
            const int h = std::max(1, static_cast<int>(std::lround(v * r.height())));
            QColor c = robotColour(i);
            if (opt.state & QStyle::State_Selected)
                c = c.lighter(130);
            p->fillRect(QRect(r.left() + i * (w + gap), r.bottom() - h + 1, w, h), c);
        }
        p->restore();
    }
    QSize sizeHint(const QStyleOptionViewItem& opt, const QModelIndex& idx) const override
    {
        QSize s = QStyledItemDelegate::sizeHint(opt, idx);
        s.setHeight(std::max(s.height(), opt.fontMetrics.height() + 12));
        return s;
    }
};

// The answer distribution of one step: a labelled horizontal bar per robot.
class DistributionBars final : public QWidget {
public:
    explicit DistributionBars(QWidget* parent)
        : QWidget(parent)
    {
        setAccessibleName(tr("Answer distribution"));
        setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
    }
    void set(const std::vector<float>& p, const std::vector<std::string>& labels, int highlight)
    {
        probs_ = p;
        labels_ = labels;
        highlight_ = highlight;
        QString acc;
        for (size_t i = 0; i < p.size() && i < labels.size(); ++i)
            acc += QString("%1 %2; ").arg(QString::fromStdString(labels[i])).arg(p[i], 0, 'f', 3);
        setAccessibleDescription(acc);
        updateGeometry();
        update();
    }
    QSize sizeHint() const override
    {
        const int rows = std::max<int>(5, static_cast<int>(labels_.size()));
        return {300, rows * (fontMetrics().height() + 6) + 4};
    }
    QSize minimumSizeHint() const override { return {200, sizeHint().height()}; }

protected:
    void paintEvent(QPaintEvent*) override
    {
        QPainter p(this);
        p.setRenderHint(QPainter::Antialiasing);
        const QFontMetrics fm = fontMetrics();
        QFont boldFont = font();
        boldFont.setBold(true);
        const QFontMetrics bfm(boldFont);   // the highlighted label is bold: measure with it
        const int rowH = fm.height() + 6;
        int labelW = bfm.horizontalAdvance(tr("Robot with Wheels")) + 14;
        for (const auto& l : labels_)
            labelW = std::max(labelW, bfm.horizontalAdvance(QString::fromStdString(l)) + 14);
        const int valueW = fm.horizontalAdvance("0.000") + 10;
        const int barW = std::max(20, width() - labelW - valueW - 4);
        for (size_t i = 0; i < labels_.size(); ++i) {
            const int y = 2 + static_cast<int>(i) * rowH;
            QFont f = font();
            f.setBold(static_cast<int>(i) == highlight_);
            p.setFont(f);
            p.setPen(palette().color(QPalette::Text));
            p.drawText(QRect(0, y, labelW - 8, rowH), Qt::AlignRight | Qt::AlignVCenter, QString::fromStdString(labels_[i]));
            const double v = i < probs_.size() ? probs_[i] : 0.0;
            p.fillRect(QRect(labelW, y + 3, barW, rowH - 6), palette().color(QPalette::AlternateBase));
            p.fillRect(QRect(labelW, y + 3, static_cast<int>(barW * v), rowH - 6), robotColour(static_cast<int>(i)));
            p.drawText(QRect(labelW + barW + 4, y, valueW, rowH), Qt::AlignLeft | Qt::AlignVCenter, QString::number(v, 'f', 3));
        }
    }

private:
    std::vector<float> probs_;
    std::vector<std::string> labels_;
    int highlight_ = -1;
};

} // namespace ember::studio
