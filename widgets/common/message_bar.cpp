#include "message_bar.h"
#include "studio_resources.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QStyle>
#include <QToolButton>

namespace ember::studio {

MessageBar::MessageBar(QWidget* parent)
    : QFrame(parent)
    , label_(new QLabel(this))
    , action_(new QPushButton(this))
{
    setObjectName("messageBar");
    setAccessibleName(tr("Message"));
    auto* lay = new QHBoxLayout(this);
    lay->setContentsMargins(10, 6, 6, 6);
    lay->setSpacing(8);
    label_->setWordWrap(true);
    label_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    lay->addWidget(label_, 1);
    action_->hide();
    lay->addWidget(action_, 0, Qt::AlignVCenter);
    connect(action_, &QPushButton::clicked, this, [this] {
        auto run = onAction_;
        dismiss();
        if (run)
            run();
    });
    auto* close = new QToolButton(this);
    close->setIcon(studioIcon("close"));
    close->setAutoRaise(true);
    close->setToolTip(tr("Dismiss"));
    close->setAccessibleName(tr("Dismiss message"));
    lay->addWidget(close, 0, Qt::AlignTop);
    connect(close, &QToolButton::clicked, this, &MessageBar::dismiss);
    hide();
}

void MessageBar::showError(const QString& text) { show(text, true); }
void MessageBar::showInfo(const QString& text) { show(text, false); }
QString MessageBar::text() const { return isVisible() || !label_->text().isEmpty() ? label_->text() : QString(); }

void MessageBar::showOffer(const QString& text, const QString& actionText, std::function<void()> action)
{
    show(text, false);
    onAction_ = std::move(action);
    action_->setText(actionText);
    action_->show();
}

void MessageBar::dismiss()
{
    onAction_ = nullptr;
    action_->hide();
    label_->clear();
    hide();
}

void MessageBar::show(const QString& text, bool error)
{
    error_ = error;
    onAction_ = nullptr;
    action_->hide();
    label_->setText(text);
    setStyleSheet(error ? "#messageBar { background: #fbe3e1; border: 1px solid #e0a29c; border-radius: 4px; } QLabel { color: #6b1a12; }"
                        : "#messageBar { background: #e3eefb; border: 1px solid #9cb9e0; border-radius: 4px; } QLabel { color: #12306b; }");
    QFrame::show();
}

} // namespace ember::studio
