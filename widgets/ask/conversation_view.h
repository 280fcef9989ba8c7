#pragma once
// The Ask view's conversation: questions and streamed answers. Every generated token keeps its
// probability and top alternatives; hovering a token shows them, and a toggle colours tokens by
// probability. Plain data in, a read-only QTextBrowser out.
#include <QJsonObject>
#include <QString>
#include <QTextBrowser>
#include <QVector>

namespace ember::studio {

struct TokenInfo {
    QString text;
    float p = 0.f;
    QVector<QPair<QString, float>> alternatives;   // best first
};

struct Turn {
    QString question;
    QVector<TokenInfo> tokens;
    double msToFirstToken = 0;
    double tokensPerSecond = 0;
    QString stopReason;        // empty while streaming
    QString answer() const;
    QJsonObject toJson() const;
    static Turn fromJson(const QJsonObject& o);
};

class ConversationView final : public QTextBrowser {
    Q_OBJECT
public:
    explicit ConversationView(QWidget* parent = nullptr);

    void setTurns(const QVector<Turn>& turns);
    const QVector<Turn>& turns() const { return turns_; }
    void beginTurn(const QString& question);
    void appendToken(const TokenInfo& token);
    void finishTurn(double msToFirstToken, double tokensPerSecond, const QString& stopReason);
    void removeLastTurn();
    void clearConversation();

    void setColourByProbability(bool on);
    bool colourByProbability() const { return colour_; }

    // The token under a viewport position: {turn, token} or {-1, -1}. Public for tests.
    QPair<int, int> tokenAt(const QPoint& viewportPos) const;
    QString tooltipFor(int turn, int token) const;

protected:
    bool event(QEvent* e) override;
    bool viewportEvent(QEvent* e) override;

private:
    void render();
    void renderTurn(int index);
    void insertToken(QTextCursor& c, int turn, int token);
    void insertStats(QTextCursor& c, const Turn& t);
    void scrollToEnd();

    QVector<Turn> turns_;
    bool colour_ = false;
};

QString stopReasonText(const QString& reason);

} // namespace ember::studio
