#include "sample_editor.h"
#include "box_layouts.h"

#include "small_button.h"
#include "table_field.h"

#include <QCheckBox>
#include <QComboBox>
#include <QEvent>
#include <QHBoxLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QTableWidget>
#include <QTimer>
#include <QVBoxLayout>

namespace ember::studio {

namespace data = ember::data;

namespace {

// Keys the view's window-wide actions own even while a text field has focus: text widgets
// would otherwise take Ctrl+Z for their own (disabled) undo and swallow Ctrl+Enter.
bool isViewShortcut(QKeyEvent* k)
{
    const int key = k->key();
    const auto mods = k->modifiers() & ~Qt::KeypadModifier;
    if (k->matches(QKeySequence::Undo) || k->matches(QKeySequence::Redo))
        return true;
    if (mods == (Qt::ControlModifier | Qt::ShiftModifier) && key == Qt::Key_Z)
        return true;
    if (mods == Qt::ControlModifier && (key == Qt::Key_Return || key == Qt::Key_Enter))
        return true;
    if (mods == Qt::AltModifier && (key == Qt::Key_Up || key == Qt::Key_Down))
        return true;
    return false;
}

// A plain-text field three lines high whose undo belongs to the view's undo stack.
QPlainTextEdit* textField(const QString& objectName, QWidget* parent)
{
    auto* t = new QPlainTextEdit(parent);
    t->setObjectName(objectName);
    t->setTabChangesFocus(true);
    t->setUndoRedoEnabled(false);   // the view's undo stack owns undo
    t->setFixedHeight(t->fontMetrics().lineSpacing() * 3 + 14);
    return t;
}

} // namespace

SampleEditor::SampleEditor(QWidget* parent)
    : QScrollArea(parent)
{
    setObjectName("sampleEditor");
    setWidgetResizable(true);
    setFrameShape(QFrame::NoFrame);
    // Fields scroll vertically only; they wrap or elide instead of widening the panel.
    setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    auto* body = new QWidget(this);
    auto* lay = columnLayout(body, {10, 6, 10, 10}, 4);

    task_ = textField("taskEdit", body);
    lay->addWidget(section(tr("&Task"), task_, task_, tr("The task the robots are chosen for (Alt+T)")));
    lay->addWidget(buildRobots(body));
    lay->addWidget(buildReasoning(body));
    subtasks_ = buildSubtasks(body);
    lay->addWidget(tableSection(subtasks_, SampleField::Subtasks, tr("&Multi-robot subtasks"),
                                tr("Subtasks with their robot and execution order (Alt+M)")));
    caption_ = textField("captionEdit", body);
    lay->addWidget(section(tr("&Caption"), caption_, caption_, tr("What the image shows (Alt+C)")));
    // What a COCO or VQA import brings beyond the editable fields, kept and shown read-only.
    references_ = new QLabel(body);
    references_->setObjectName("referencesNote");
    references_->setWordWrap(true);
    references_->setTextFormat(Qt::PlainText);
    lay->addWidget(references_);
    qa_ = buildQa(body);
    lay->addWidget(tableSection(qa_, SampleField::Qa, tr("&Questions and answers"),
                                tr("Question/answer pairs about the image (Alt+Q)")));
    lay->addWidget(buildMeta(body));
    lay->addStretch();

    connectTextFields();
    setWidget(body);
    setSample({});
}

// The robot check boxes (keys 1–5), the model's suggestion and its Accept button.
QWidget* SampleEditor::buildRobots(QWidget* parent)
{
    auto* robotsBox = new QWidget(parent);
    auto* rl = new QGridLayout(robotsBox);
    rl->setContentsMargins(0, 0, 0, 0);
    for (int i = 0; i < data::robotCount(); ++i) {
        auto* c = new QCheckBox(QStringLiteral("%1  %2").arg(i + 1).arg(QString::fromStdString(data::robotName(i))), robotsBox);
        c->setToolTip(tr("Toggle %1 (key %2 outside text fields)").arg(QString::fromStdString(data::robotName(i))).arg(i + 1));
        rl->addWidget(c, i / 2, i % 2);
        robots_ << c;
        connect(c, &QCheckBox::toggled, this, [this] {
            QVariantList l;
            for (int j = 0; j < robots_.size(); ++j)
                if (robots_[j]->isChecked())
                    l << j;
            emitEdit(SampleField::Robots, l);
        });
    }
    suggestion_ = new QLabel(robotsBox);
    suggestion_->setWordWrap(true);
    suggestion_->setStyleSheet("color: #7a4fb0;");
    accept_ = smallButton(tr("Accept suggestion"), tr("Make the model's robots and steps the labels (Ctrl+Shift+A)"), robotsBox);
    accept_->setObjectName("acceptSuggestion");
    connect(accept_, &QPushButton::clicked, this, &SampleEditor::acceptSuggestionRequested);
    rl->addWidget(suggestion_, 3, 0, 1, 2);
    rl->addWidget(accept_, 4, 0, 1, 1, Qt::AlignLeft);
    return section(tr("Ro&bots"), robots_.value(0), robotsBox, tr("Robot labels; several allowed (Alt+B, keys 1–5)"));
}

// The ordered, editable list of reasoning steps with Add, Remove, Up and Down under it.
QWidget* SampleEditor::buildReasoning(QWidget* parent)
{
    auto* rs = new QWidget(parent);
    auto* rsl = columnLayout(rs, {});
    reasoning_ = new QListWidget(rs);
    reasoning_->setObjectName("reasoningList");
    reasoning_->setDragDropMode(QAbstractItemView::InternalMove);
    // No AnyKeyPressed: plain keys stay the view's shortcuts (J/K, 1–5) when the list has focus.
    reasoning_->setEditTriggers(QAbstractItemView::DoubleClicked | QAbstractItemView::EditKeyPressed);
    reasoning_->setWordWrap(true);
    reasoning_->setMinimumHeight(120);
    reasoning_->setMaximumHeight(240);
    reasoning_->setAlternatingRowColors(true);
    reasoning_->installEventFilter(this);
    reasoning_->setToolTip(tr("F2 or double-click edits a step; Insert adds, Delete removes, Ctrl+Up/Down or drag reorders"));
    connect(reasoning_, &QListWidget::itemChanged, this, [this] { emitEdit(SampleField::Reasoning, reasoningValue()); });
    // A drag moves rows through the model; the edit is reported once the move has settled.
    connect(reasoning_->model(), &QAbstractItemModel::rowsMoved, this,
            [this] { QTimer::singleShot(0, this, [this] { emitEdit(SampleField::Reasoning, reasoningValue()); }); });
    auto* rb = new QHBoxLayout;
    auto* add = smallButton(tr("Add step"), tr("Add a step after the current one (Insert)"), rs);
    auto* del = smallButton(tr("Remove"), tr("Remove the current step (Delete)"), rs);
    auto* up = smallButton(tr("Up"), tr("Move the step up (Ctrl+Up)"), rs);
    auto* down = smallButton(tr("Down"), tr("Move the step down (Ctrl+Down)"), rs);
    connect(add, &QPushButton::clicked, this, &SampleEditor::insertStep);
    connect(del, &QPushButton::clicked, this, &SampleEditor::removeStep);
    connect(up, &QPushButton::clicked, this, [this] { moveStep(-1); });
    connect(down, &QPushButton::clicked, this, [this] { moveStep(1); });
    for (auto* b : {add, del, up, down})
        rb->addWidget(b);
    rb->addStretch();
    rsl->addWidget(reasoning_);
    rsl->addLayout(rb);
    return section(tr("&Reasoning steps"), reasoning_, rs, tr("Ordered reasoning steps (Alt+R)"));
}

TableField* SampleEditor::buildSubtasks(QWidget* parent)
{
    TableField::Spec spec;
    spec.objectName = "subtaskTable";
    spec.columns = {{tr("Subtask"), TableField::Cell::Text},
                    {tr("Robot"), TableField::Cell::Robot},
                    {tr("Order"), TableField::Cell::Order}};
    spec.stretchColumn = 0;
    spec.maxHeight = 150;
    spec.newRow = [](int rows) { return QVariantList{tr("new subtask"), 0, rows + 1}; };
    spec.addText = tr("Add subtask");
    spec.addTip = tr("Add a subtask for a multi-robot task");
    spec.removeTip = tr("Remove the selected subtask");
    return new TableField(spec, parent);
}

// A new question/answer pair goes at the end, its question opened for editing.
TableField* SampleEditor::buildQa(QWidget* parent)
{
    TableField::Spec spec;
    spec.objectName = "qaTable";
    spec.columns = {{tr("Question"), TableField::Cell::Text}, {tr("Answer"), TableField::Cell::Text}};
    spec.maxHeight = 170;
    spec.wordWrap = true;
    spec.newRow = [](int) { return QVariantList{tr("question"), tr("answer")}; };
    spec.editNewRow = true;
    spec.addText = tr("Add pair");
    spec.addTip = tr("Add a question/answer pair");
    spec.removeTip = tr("Remove the selected pair");
    return new TableField(spec, parent);
}

// A table field in its section; each of its changes is an edit of field f.
QWidget* SampleEditor::tableSection(TableField* table, SampleField f, const QString& title, const QString& tip)
{
    connect(table, &TableField::changed, this, [this, table, f] { emitEdit(f, table->value()); });
    return section(title, table->table(), table, tip);
}

// Split and status, side by side.
QWidget* SampleEditor::buildMeta(QWidget* parent)
{
    auto* meta = new QWidget(parent);
    auto* ml = new QHBoxLayout(meta);
    ml->setContentsMargins(0, 0, 0, 0);
    split_ = new QComboBox(meta);
    split_->setObjectName("splitBox");
    split_->addItems({tr("no split"), tr("train"), tr("val"), tr("test")});
    status_ = new QComboBox(meta);
    status_->setObjectName("statusBox");
    status_->addItems({tr("draft"), tr("reviewed")});
    auto* splitLabel = new QLabel(tr("Sp&lit"), meta);
    splitLabel->setBuddy(split_);
    auto* statusLabel = new QLabel(tr("&Status"), meta);
    statusLabel->setBuddy(status_);
    split_->setToolTip(tr("Which split the sample belongs to (Alt+L)"));
    status_->setToolTip(tr("Draft or reviewed (Alt+S; Ctrl+Enter marks reviewed and goes to the next sample)"));
    connect(split_, &QComboBox::currentIndexChanged, this, [this](int i) { emitEdit(SampleField::Split, i); });
    connect(status_, &QComboBox::currentIndexChanged, this, [this](int i) { emitEdit(SampleField::Status, i); });
    ml->addWidget(splitLabel);
    ml->addWidget(split_);
    ml->addSpacing(16);
    ml->addWidget(statusLabel);
    ml->addWidget(status_);
    ml->addStretch();
    return meta;
}

// Typing in task or caption: one edit per keystroke, merged per stretch of typing.
void SampleEditor::connectTextFields()
{
    for (QPlainTextEdit* w : {task_, caption_}) {
        w->installEventFilter(this);
        connect(w, &QPlainTextEdit::textChanged, this, [this, w] {
            const auto f = w == task_ ? SampleField::Task : SampleField::Caption;
            if (!typingKey_)
                typingKey_ = nextKey_++;
            emitEdit(f, w->toPlainText(), typingKey_);
        });
    }
}

QWidget* SampleEditor::section(const QString& title, QWidget* focus, QWidget* body, const QString& tip)
{
    auto* w = new QWidget(this);
    auto* l = columnLayout(w, {0, 6, 0, 0}, 2);
    auto* h = new QLabel(title, w);
    QFont f = h->font();
    f.setBold(true);
    h->setFont(f);
    h->setBuddy(focus);
    h->setToolTip(tip);
    body->setToolTip(body->toolTip().isEmpty() ? tip : body->toolTip());
    l->addWidget(h);
    l->addWidget(body);
    return w;
}

bool SampleEditor::eventFilter(QObject* o, QEvent* e)
{
    if (e->type() == QEvent::ShortcutOverride && isViewShortcut(static_cast<QKeyEvent*>(e))) {
        e->ignore();   // not accepted: the shortcut map hands the key to the view's action
        return true;
    }
    if (e->type() == QEvent::FocusIn && (o == task_ || o == caption_))
        typingKey_ = nextKey_++;   // a new stretch of typing: a new undo step
    if (e->type() == QEvent::FocusOut && (o == task_ || o == caption_))
        Q_EMIT fieldLeft();
    if (o == reasoning_ && e->type() == QEvent::KeyPress) {   // the inline editor is another widget: its keys never come here
        auto* k = static_cast<QKeyEvent*>(e);
        if (k->modifiers() == Qt::ControlModifier && (k->key() == Qt::Key_Up || k->key() == Qt::Key_Down)) {
            moveStep(k->key() == Qt::Key_Up ? -1 : 1);
            return true;
        }
        if (k->key() == Qt::Key_Delete && reasoning_->currentRow() >= 0) {
            removeStep();
            return true;
        }
        if (k->key() == Qt::Key_Insert) {
            insertStep();
            return true;
        }
    }
    return QScrollArea::eventFilter(o, e);
}

// A new step after the current one, opened for editing.
void SampleEditor::insertStep()
{
    const int at = reasoning_->currentRow() + 1;
    auto* it = new QListWidgetItem(tr("new step"));
    it->setFlags(it->flags() | Qt::ItemIsEditable);
    loading_ = true;
    reasoning_->insertItem(at, it);
    loading_ = false;
    reasoning_->setCurrentRow(at);
    emitEdit(SampleField::Reasoning, reasoningValue());
    reasoning_->editItem(it);
}

void SampleEditor::removeStep()
{
    if (reasoning_->currentRow() < 0)
        return;
    loading_ = true;
    delete reasoning_->takeItem(reasoning_->currentRow());
    loading_ = false;
    emitEdit(SampleField::Reasoning, reasoningValue());
}

void SampleEditor::moveStep(int delta)
{
    const int from = reasoning_->currentRow();
    const int to = from + delta;
    if (from < 0 || to < 0 || to >= reasoning_->count())
        return;
    loading_ = true;
    QListWidgetItem* it = reasoning_->takeItem(from);
    reasoning_->insertItem(to, it);
    reasoning_->setCurrentRow(to);
    loading_ = false;
    emitEdit(SampleField::Reasoning, reasoningValue());
}

void SampleEditor::emitEdit(SampleField f, const QVariant& after, quint64 mergeKey)
{
    if (loading_ || sample_.id == 0)
        return;
    const QVariant before = fieldValue(sample_, f);
    if (before == after)
        return;
    setFieldValue(sample_, f, after);
    Q_EMIT edited(f, before, after, mergeKey);
}

QVariant SampleEditor::reasoningValue() const
{
    QStringList l;
    for (int i = 0; i < reasoning_->count(); ++i)
        l << reasoning_->item(i)->text();
    return l;
}

void SampleEditor::fillReasoning(const QStringList& steps)
{
    const int cur = reasoning_->currentRow();
    reasoning_->clear();
    for (const QString& s : steps) {
        auto* it = new QListWidgetItem(s, reasoning_);
        it->setFlags(it->flags() | Qt::ItemIsEditable);
    }
    if (cur >= 0 && cur < reasoning_->count())
        reasoning_->setCurrentRow(cur);
}

void SampleEditor::showField(SampleField f, const QVariant& v)
{
    loading_ = true;
    setFieldValue(sample_, f, v);
    switch (f) {
    case SampleField::Task:
        if (task_->toPlainText() != v.toString())
            task_->setPlainText(v.toString());
        break;
    case SampleField::Caption:
        if (caption_->toPlainText() != v.toString())
            caption_->setPlainText(v.toString());
        break;
    case SampleField::Robots: {
        QList<int> on;
        for (const QVariant& x : v.toList())
            on << x.toInt();
        for (int i = 0; i < robots_.size(); ++i)
            robots_[i]->setChecked(on.contains(i));
        break;
    }
    case SampleField::Reasoning:
        if (reasoningValue() != v)
            fillReasoning(v.toStringList());
        break;
    case SampleField::Subtasks:
        if (QVariant(subtasks_->value()) != v)
            subtasks_->fill(v);
        break;
    case SampleField::Qa:
        if (QVariant(qa_->value()) != v)
            qa_->fill(v);
        break;
    case SampleField::Split:
        split_->setCurrentIndex(v.toInt());
        break;
    case SampleField::Status:
        status_->setCurrentIndex(v.toInt());
        break;
    }
    loading_ = false;
}

void SampleEditor::setSample(const data::Sample& s)
{
    sample_ = s;
    widget()->setEnabled(s.id != 0);
    for (SampleField f : {SampleField::Task, SampleField::Caption, SampleField::Robots, SampleField::Reasoning,
                          SampleField::Subtasks, SampleField::Qa, SampleField::Split, SampleField::Status})
        showField(f, fieldValue(s, f));
    typingKey_ = nextKey_++;   // typing into the next sample never merges with this one
    setSuggestion(nullptr);
    showReferences(s);
}

void SampleEditor::showReferences(const data::Sample& s)
{
    QStringList lines;
    for (const auto& c : s.moreCaptions)
        lines << QStringLiteral("• ") + QString::fromStdString(c);
    if (!lines.isEmpty())
        lines.prepend(tr("%n more reference caption(s), kept for export and scoring:", "", lines.size()));
    int vqa = 0;
    for (const auto& p : s.qa)
        vqa += !p.humanAnswers.empty();
    if (vqa)
        lines << tr("%n question(s) below carry VQA's ten human answers (scored by VQA accuracy).", "", vqa);
    references_->setText(lines.join('\n'));
    references_->setVisible(!lines.isEmpty());
}

void SampleEditor::setSuggestion(const Suggestion* s)
{
    for (int i = 0; i < robots_.size(); ++i) {
        QString text = QStringLiteral("%1  %2").arg(i + 1).arg(QString::fromStdString(data::robotName(i)));
        const bool suggested = s && s->robots.contains(i);
        if (suggested)
            text += QStringLiteral("  ◆");
        robots_[i]->setText(text);
        robots_[i]->setStyleSheet(suggested ? QStringLiteral("color: #7a4fb0; font-weight: bold;") : QString());
    }
    accept_->setVisible(s != nullptr);
    suggestion_->setVisible(s != nullptr);
    if (!s)
        return;
    QStringList names;
    for (int r : s->robots)
        names << QStringLiteral("%1 (%2%)").arg(QString::fromStdString(data::robotName(r))).arg(qRound(s->probs.value(r) * 100));
    QString text = tr("◆ Model suggests %1 (not yet a label)").arg(names.join(", "));
    if (!s->reasoning.isEmpty())
        text += tr(" and %n reasoning step(s)", nullptr, static_cast<int>(s->reasoning.size()));
    suggestion_->setText(text);
    suggestion_->setToolTip(s->reasoning.join("\n"));
}

QTableWidget* SampleEditor::subtaskTable() const { return subtasks_->table(); }
QTableWidget* SampleEditor::qaTable() const { return qa_->table(); }

void SampleEditor::toggleRobot(int robot)
{
    if (robot >= 0 && robot < robots_.size() && sample_.id != 0)
        robots_[robot]->toggle();
}

void SampleEditor::focusField(SampleField f)
{
    QWidget* w = nullptr;
    switch (f) {
    case SampleField::Task: w = task_; break;
    case SampleField::Caption: w = caption_; break;
    case SampleField::Robots: w = robots_.value(0); break;
    case SampleField::Reasoning: w = reasoning_; break;
    case SampleField::Subtasks: w = subtasks_->table(); break;
    case SampleField::Qa: w = qa_->table(); break;
    case SampleField::Split: w = split_; break;
    case SampleField::Status: w = status_; break;
    }
    if (w) {
        w->setFocus(Qt::ShortcutFocusReason);
        ensureWidgetVisible(w);
    }
}

} // namespace ember::studio
