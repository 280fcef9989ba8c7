#include "conversation_view.h"

#include <QAbstractTextDocumentLayout>
#include <QHelpEvent>
#include <QJsonArray>
#include <QScrollBar>
#include <QTextBlock>
#include <QTextCursor>
#include <QToolTip>

#include <algorithm>

namespace ember::studio {

namespace {

constexpr int kTokenProperty = QTextFormat::UserProperty + 1;   // (turn << 20) | token + 1

QString visible(const QString& s)
{
    QString v = s;
    v.replace('\n', QStringLiteral("\u21B5"));
    v.replace('\t', QStringLiteral("\u2192"));
    return v.toHtmlEscaped().replace(' ', QStringLiteral("&middot;"));
}

QColor probabilityColour(float p, bool dark)
{
    // red (unlikely) → amber → green (confident)
    return QColor::fromHsvF(0.33 * std::clamp(p, 0.f, 1.f), dark ? 0.55 : 0.32, dark ? 0.45 : 1.0);
}

} // namespace

QString stopReasonText(const QString& reason)
{
    if (reason == "end_of_text")
        return QObject::tr("end of text");
    if (reason == "max_tokens")
        return QObject::tr("token limit");
    if (reason == "cancelled")
        return QObject::tr("stopped");
    if (reason == "context_full")
        return QObject::tr("context full");
    if (reason == "stop_token")
        return QObject::tr("stop token");
    return reason;
}

QString Turn::answer() const
{
    QString s;
    for (const auto& t : tokens)
        s += t.text;
    return s;
}

QJsonObject Turn::toJson() const
{
    QJsonArray toks;
    for (const auto& t : tokens) {
        QJsonArray alts;
        for (const auto& a : t.alternatives)
            alts.append(QJsonArray{a.first, a.second});
        toks.append(QJsonObject{{"text", t.text}, {"p", t.p}, {"alternatives", alts}});
    }
    return QJsonObject{{"question", question},          {"answer", answer()},
                       {"tokens", toks},                {"ms_to_first_token", msToFirstToken},
                       {"tokens_per_second", tokensPerSecond}, {"stop_reason", stopReason}};
}

Turn Turn::fromJson(const QJsonObject& o)
{
    Turn t;
    t.question = o.value("question").toString();
    t.msToFirstToken = o.value("ms_to_first_token").toDouble();
    t.tokensPerSecond = o.value("tokens_per_second").toDouble();
    t.stopReason = o.value("stop_reason").toString("end_of_text");
    for (const auto& v : o.value("tokens").toArray()) {
        const auto to = v.toObject();
        TokenInfo ti;
        ti.text = to.value("text").toString();
        ti.p = static_cast<float>(to.value("p").toDouble());
        for (const auto& a : to.value("alternatives").toArray())
            ti.alternatives.append({a.toArray().at(0).toString(), static_cast<float>(a.toArray().at(1).toDouble())});
        t.tokens.append(ti);
    }
    if (t.tokens.isEmpty() && o.contains("answer"))
        t.tokens.append(TokenInfo{o.value("answer").toString(), 1.f, {}});
    return t;
}

ConversationView::ConversationView(QWidget* parent)
    : QTextBrowser(parent)
{
    setReadOnly(true);
    setOpenLinks(false);
    setMouseTracking(true);
    viewport()->setMouseTracking(true);
    setAccessibleName(tr("Conversation"));
    setPlaceholderText(tr("Ask a question about the image. Answers stream here token by token; hover a token to see "
                          "the model's top-5 alternatives."));
    document()->setDocumentMargin(10);
}

void ConversationView::setTurns(const QVector<Turn>& turns)
{
    turns_ = turns;
    render();
}

void ConversationView::clearConversation()
{
    turns_.clear();
    render();
}

void ConversationView::beginTurn(const QString& question)
{
    turns_.append(Turn{question, {}, 0, 0, {}});
    renderTurn(turns_.size() - 1);
    scrollToEnd();
}

void ConversationView::appendToken(const TokenInfo& token)
{
    if (turns_.isEmpty())
        return;
    turns_.last().tokens.append(token);
    QTextCursor c(document());
    c.movePosition(QTextCursor::End);
    const bool atEnd = verticalScrollBar()->value() >= verticalScrollBar()->maximum() - 4;
    insertToken(c, turns_.size() - 1, turns_.last().tokens.size() - 1);
    if (atEnd)
        scrollToEnd();
}

void ConversationView::finishTurn(double msToFirstToken, double tokensPerSecond, const QString& stopReason)
{
    if (turns_.isEmpty())
        return;
    Turn& t = turns_.last();
    t.msToFirstToken = msToFirstToken;
    t.tokensPerSecond = tokensPerSecond;
    t.stopReason = stopReason.isEmpty() ? QStringLiteral("end_of_text") : stopReason;
    QTextCursor c(document());
    c.movePosition(QTextCursor::End);
    insertStats(c, t);
    scrollToEnd();
}

void ConversationView::removeLastTurn()
{
    if (!turns_.isEmpty())
        turns_.removeLast();
    render();
}

void ConversationView::setColourByProbability(bool on)
{
    if (colour_ == on)
        return;
    colour_ = on;
    const int v = verticalScrollBar()->value();
    render();
    verticalScrollBar()->setValue(v);
}

void ConversationView::render()
{
    clear();
    for (int i = 0; i < turns_.size(); ++i)
        renderTurn(i);
}

void ConversationView::renderTurn(int index)
{
    const Turn& t = turns_[index];
    QTextCursor c(document());
    c.movePosition(QTextCursor::End);
    QTextBlockFormat head;
    head.setTopMargin(index == 0 ? 0 : 14);
    head.setBottomMargin(2);
    QTextCharFormat label;
    label.setFontWeight(QFont::Bold);
    label.setForeground(palette().color(QPalette::Highlight));
    if (!document()->isEmpty())
        c.insertBlock(head);
    else
        c.setBlockFormat(head);
    c.insertText(tr("You"), label);
    QTextBlockFormat body;
    body.setBottomMargin(6);
    c.insertBlock(body);
    c.insertText(t.question, QTextCharFormat());
    QTextBlockFormat head2 = head;
    head2.setTopMargin(6);
    c.insertBlock(head2);
    c.insertText(tr("EmberVLM"), label);
    c.insertBlock(body);
    c.setCharFormat(QTextCharFormat());
    for (int k = 0; k < t.tokens.size(); ++k)
        insertToken(c, index, k);
    if (!t.stopReason.isEmpty())
        insertStats(c, t);
}

void ConversationView::insertToken(QTextCursor& c, int turn, int token)
{
    const TokenInfo& tok = turns_[turn].tokens[token];
    QTextCharFormat f;
    f.setProperty(kTokenProperty, (turn << 20) | (token + 1));
    if (colour_) {
        const bool dark = palette().color(QPalette::Base).lightness() < 128;
        f.setBackground(probabilityColour(tok.p, dark));
    }
    c.insertText(tok.text, f);
}

void ConversationView::insertStats(QTextCursor& c, const Turn& t)
{
    QTextBlockFormat b;
    b.setTopMargin(2);
    c.insertBlock(b);
    QTextCharFormat f;
    f.setForeground(palette().color(QPalette::PlaceholderText));
    QFont small = font();
    small.setPointSizeF(small.pointSizeF() * 0.9);
    f.setFont(small);
    QString s = tr("%1 tokens · first token after %2 ms · %3 tokens/s · %4")
                    .arg(t.tokens.size())
                    .arg(t.msToFirstToken, 0, 'f', 0)
                    .arg(t.tokensPerSecond, 0, 'f', 1)
                    .arg(stopReasonText(t.stopReason));
    c.insertText(s, f);
}

void ConversationView::scrollToEnd()
{
    verticalScrollBar()->setValue(verticalScrollBar()->maximum());
}

QPair<int, int> ConversationView::tokenAt(const QPoint& viewportPos) const
{
    const QPointF docPos(viewportPos.x() + horizontalScrollBar()->value(), viewportPos.y() + verticalScrollBar()->value());
    const int pos = document()->documentLayout()->hitTest(docPos, Qt::ExactHit);
    if (pos < 0)
        return {-1, -1};
    const QTextBlock b = document()->findBlock(pos);
    for (auto it = b.begin(); !it.atEnd(); ++it) {
        const QTextFragment f = it.fragment();
        if (f.contains(pos)) {
            const int v = f.charFormat().property(kTokenProperty).toInt();
            if (v <= 0)
                return {-1, -1};
            return {v >> 20, (v & 0xFFFFF) - 1};
        }
    }
    return {-1, -1};
}

QString ConversationView::tooltipFor(int turn, int token) const
{
    if (turn < 0 || turn >= turns_.size() || token < 0 || token >= turns_[turn].tokens.size())
        return {};
    const TokenInfo& t = turns_[turn].tokens[token];
    QString html = tr("<b>%1</b> &nbsp;p = %2<br><table cellspacing=2>").arg(visible(t.text)).arg(t.p, 0, 'f', 3);
    for (const auto& a : t.alternatives) {
        const int w = std::max(1, static_cast<int>(a.second * 80));
        html += QStringLiteral("<tr><td><code>%1</code></td><td align=right>%2</td><td><table cellspacing=0 cellpadding=0><tr>"
                               "<td width=%3 bgcolor=%4 height=8></td></tr></table></td></tr>")
                    .arg(visible(a.first))
                    .arg(a.second, 0, 'f', 3)
                    .arg(w)
                    .arg(probabilityColour(a.second, false).darker(130).name());
    }
    return html + "</table>";
}

bool ConversationView::event(QEvent* e) { return QTextBrowser::event(e); }

bool ConversationView::viewportEvent(QEvent* e)
{
    if (e->type() == QEvent::ToolTip) {
        auto* he = static_cast<QHelpEvent*>(e);
        const auto [turn, token] = tokenAt(he->pos());
        if (turn >= 0)
            QToolTip::showText(he->globalPos(), tooltipFor(turn, token), viewport());
        else
            QToolTip::hideText();
        return true;
    }
    return QTextBrowser::viewportEvent(e);
}

} // namespace ember::studio
