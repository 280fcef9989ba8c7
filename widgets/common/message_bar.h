#pragma once
// An inline, non-modal message strip (errors and notices) that never blocks the event loop.
#include <QFrame>

#include <functional>

class QLabel;
class QPushButton;

namespace ember::studio {

class MessageBar final : public QFrame {
    Q_OBJECT
public:
    explicit MessageBar(QWidget* parent = nullptr);
    void showError(const QString& text);
    void showInfo(const QString& text);
    // Information with one way out: a button that runs `action` (and dismisses the bar).
    void showOffer(const QString& text, const QString& actionText, std::function<void()> action);
    QPushButton* actionButton() const { return action_; }
    QString text() const;
    bool isError() const { return error_; }
    void dismiss();

private:
    void show(const QString& text, bool error);
    QLabel* label_;
    QPushButton* action_;
    std::function<void()> onAction_;
    bool error_ = false;
};

} // namespace ember::studio
