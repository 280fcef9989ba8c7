#pragma once
// An inline, non-modal message strip (errors and notices) that never blocks the event loop.
#include <QFrame>

class QLabel;

namespace ember::studio {

class MessageBar final : public QFrame {
    Q_OBJECT
public:
    explicit MessageBar(QWidget* parent = nullptr);
    void showError(const QString& text);
    void showInfo(const QString& text);
    QString text() const;
    bool isError() const { return error_; }
    void dismiss();

private:
    void show(const QString& text, bool error);
    QLabel* label_;
    bool error_ = false;
};

} // namespace ember::studio
