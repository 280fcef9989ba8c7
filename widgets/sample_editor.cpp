#include "sample_editor.h"

#include <QCheckBox>
#include <QComboBox>
#include <QEvent>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QKeyEvent>
#include <QLabel>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSpinBox>
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

QPushButton* smallButton(const QString& text, const QString& tip, QWidget* parent)
{
    auto* b = new QPushButton(text, parent);
    b->setToolTip(tip);
    b->setAutoDefault(false);
    b->setFocusPolicy(Qt::TabFocus);
    return b;
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
    auto* lay = new QVBoxLayout(body);
    lay->setContentsMargins(10, 6, 10, 10);
    lay->setSpacing(4);

    task_ = new QPlainTextEdit(body);
    task_->setObjectName("taskEdit");
    task_->setTabChangesFocus(true);
    task_->setUndoRedoEnabled(false);   // the view's undo stack owns undo
    task_->setFixedHeight(task_->fontMetrics().lineSpacing() * 3 + 14);
    lay->addWidget(section(tr("&Task"), task_, task_, tr("The task the robots are chosen for (Alt+T)")));

    auto* robotsBox = new QWidget(body);
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
    lay->addWidget(section(tr("Ro&bots"), robots_.value(0), robotsBox, tr("Robot labels; several allowed (Alt+B, keys 1–5)")));

    auto* rs = new QWidget(body);
    auto* rsl = new QVBoxLayout(rs);
    rsl->setContentsMargins(0, 0, 0, 0);
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
    connect(add, &QPushButton::clicked, this, [this] {
        const int at = reasoning_->currentRow() + 1;
        auto* it = new QListWidgetItem(tr("new step"));
        it->setFlags(it->flags() | Qt::ItemIsEditable);
        loading_ = true;
        reasoning_->insertItem(at, it);
        loading_ = false;
        reasoning_->setCurrentRow(at);
        emitEdit(SampleField::Reasoning, reasoningValue());
        reasoning_->editItem(it);
    });
    connect(del, &QPushButton::clicked, this, [this] {
        if (reasoning_->currentRow() < 0)
            return;
        loading_ = true;
        delete reasoning_->takeItem(reasoning_->currentRow());
        loading_ = false;
        emitEdit(SampleField::Reasoning, reasoningValue());
    });
    connect(up, &QPushButton::clicked, this, [this] { moveStep(-1); });
    connect(down, &QPushButton::clicked, this, [this] { moveStep(1); });
    for (auto* b : {add, del, up, down})
        rb->addWidget(b);
    rb->addStretch();
    rsl->addWidget(reasoning_);
    rsl->addLayout(rb);
    lay->addWidget(section(tr("&Reasoning steps"), reasoning_, rs, tr("Ordered reasoning steps (Alt+R)")));

    auto* sb = new QWidget(body);
    auto* sbl = new QVBoxLayout(sb);
    sbl->setContentsMargins(0, 0, 0, 0);
    subtasks_ = new QTableWidget(0, 3, sb);
    subtasks_->setObjectName("subtaskTable");
    subtasks_->setHorizontalHeaderLabels({tr("Subtask"), tr("Robot"), tr("Order")});
    subtasks_->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Stretch);
    subtasks_->verticalHeader()->hide();
    subtasks_->setMinimumHeight(90);
    subtasks_->setMaximumHeight(150);
    connect(subtasks_, &QTableWidget::itemChanged, this, [this] { emitEdit(SampleField::Subtasks, subtasksValue()); });
    auto* sbb = new QHBoxLayout;
    auto* sadd = smallButton(tr("Add subtask"), tr("Add a subtask for a multi-robot task"), sb);
    auto* sdel = smallButton(tr("Remove"), tr("Remove the selected subtask"), sb);
    connect(sadd, &QPushButton::clicked, this, [this] {
        addSubtaskRow(tr("new subtask"), 0, subtasks_->rowCount() + 1);
        emitEdit(SampleField::Subtasks, subtasksValue());
    });
    connect(sdel, &QPushButton::clicked, this, [this] {
        if (subtasks_->currentRow() < 0)
            return;
        loading_ = true;
        subtasks_->removeRow(subtasks_->currentRow());
        loading_ = false;
        emitEdit(SampleField::Subtasks, subtasksValue());
    });
    sbb->addWidget(sadd);
    sbb->addWidget(sdel);
    sbb->addStretch();
    sbl->addWidget(subtasks_);
    sbl->addLayout(sbb);
    lay->addWidget(section(tr("&Multi-robot subtasks"), subtasks_, sb, tr("Subtasks with their robot and execution order (Alt+M)")));

    caption_ = new QPlainTextEdit(body);
    caption_->setObjectName("captionEdit");
    caption_->setTabChangesFocus(true);
    caption_->setUndoRedoEnabled(false);
    caption_->setFixedHeight(caption_->fontMetrics().lineSpacing() * 3 + 14);
    lay->addWidget(section(tr("&Caption"), caption_, caption_, tr("What the image shows (Alt+C)")));

    auto* qb = new QWidget(body);
    auto* qbl = new QVBoxLayout(qb);
    qbl->setContentsMargins(0, 0, 0, 0);
    qa_ = new QTableWidget(0, 2, qb);
    qa_->setObjectName("qaTable");
    qa_->setHorizontalHeaderLabels({tr("Question"), tr("Answer")});
    qa_->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    qa_->verticalHeader()->hide();
    qa_->setMinimumHeight(90);
    qa_->setMaximumHeight(170);
    qa_->setWordWrap(true);
    connect(qa_, &QTableWidget::itemChanged, this, [this] { emitEdit(SampleField::Qa, qaValue()); });
    auto* qbb = new QHBoxLayout;
    auto* qadd = smallButton(tr("Add pair"), tr("Add a question/answer pair"), qb);
    auto* qdel = smallButton(tr("Remove"), tr("Remove the selected pair"), qb);
    connect(qadd, &QPushButton::clicked, this, [this] {
        loading_ = true;
        const int r = qa_->rowCount();
        qa_->insertRow(r);
        qa_->setItem(r, 0, new QTableWidgetItem(tr("question")));
        qa_->setItem(r, 1, new QTableWidgetItem(tr("answer")));
        loading_ = false;
        emitEdit(SampleField::Qa, qaValue());
        qa_->setCurrentCell(r, 0);
        qa_->editItem(qa_->item(r, 0));
    });
    connect(qdel, &QPushButton::clicked, this, [this] {
        if (qa_->currentRow() < 0)
            return;
        loading_ = true;
        qa_->removeRow(qa_->currentRow());
        loading_ = false;
        emitEdit(SampleField::Qa, qaValue());
    });
    qbb->addWidget(qadd);
    qbb->addWidget(qdel);
    qbb->addStretch();
    qbl->addWidget(qa_);
    qbl->addLayout(qbb);
    lay->addWidget(section(tr("&Questions and answers"), qa_, qb, tr("Question/answer pairs about the image (Alt+Q)")));

    auto* meta = new QWidget(body);
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
    lay->addWidget(meta);
    lay->addStretch();

    for (QWidget* w : {static_cast<QWidget*>(task_), static_cast<QWidget*>(caption_)}) {
        w->installEventFilter(this);
        connect(static_cast<QPlainTextEdit*>(w), &QPlainTextEdit::textChanged, this, [this, w] {
            const auto f = w == task_ ? SampleField::Task : SampleField::Caption;
            if (!typingKey_)
                typingKey_ = nextKey_++;
            emitEdit(f, static_cast<QPlainTextEdit*>(w)->toPlainText(), typingKey_);
        });
    }
    setWidget(body);
    setSample({});
}

QWidget* SampleEditor::section(const QString& title, QWidget* focus, QWidget* body, const QString& tip)
{
    auto* w = new QWidget(this);
    auto* l = new QVBoxLayout(w);
    l->setContentsMargins(0, 6, 0, 0);
    l->setSpacing(2);
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
    if (o == reasoning_ && e->type() == QEvent::KeyPress) {   // the inline editor is another widget: its keys never come here
        auto* k = static_cast<QKeyEvent*>(e);
        if (k->modifiers() == Qt::ControlModifier && (k->key() == Qt::Key_Up || k->key() == Qt::Key_Down)) {
            moveStep(k->key() == Qt::Key_Up ? -1 : 1);
            return true;
        }
        if (k->key() == Qt::Key_Delete && reasoning_->currentRow() >= 0) {
            loading_ = true;
            delete reasoning_->takeItem(reasoning_->currentRow());
            loading_ = false;
            emitEdit(SampleField::Reasoning, reasoningValue());
            return true;
        }
        if (k->key() == Qt::Key_Insert) {
            const int at = reasoning_->currentRow() + 1;
            auto* it = new QListWidgetItem(tr("new step"));
            it->setFlags(it->flags() | Qt::ItemIsEditable);
            loading_ = true;
            reasoning_->insertItem(at, it);
            loading_ = false;
            reasoning_->setCurrentRow(at);
            emitEdit(SampleField::Reasoning, reasoningValue());
            reasoning_->editItem(it);
            return true;
        }
    }
    return QScrollArea::eventFilter(o, e);
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

QVariant SampleEditor::subtasksValue() const
{
    QVariantList l;
    for (int r = 0; r < subtasks_->rowCount(); ++r) {
        const auto* t = subtasks_->item(r, 0);
        const auto* c = qobject_cast<QComboBox*>(subtasks_->cellWidget(r, 1));
        const auto* o = qobject_cast<QSpinBox*>(subtasks_->cellWidget(r, 2));
        l << QVariant(QVariantList{t ? t->text() : QString(), c ? c->currentIndex() : 0, o ? o->value() : 1});
    }
    return l;
}

QVariant SampleEditor::qaValue() const
{
    QVariantList l;
    for (int r = 0; r < qa_->rowCount(); ++r)
        l << QVariant(QVariantList{qa_->item(r, 0) ? qa_->item(r, 0)->text() : QString(),
                                   qa_->item(r, 1) ? qa_->item(r, 1)->text() : QString()});
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

void SampleEditor::addSubtaskRow(const QString& text, int robot, int order)
{
    const bool was = loading_;
    loading_ = true;
    const int r = subtasks_->rowCount();
    subtasks_->insertRow(r);
    subtasks_->setItem(r, 0, new QTableWidgetItem(text));
    auto* c = new QComboBox(subtasks_);
    for (int i = 0; i < data::robotCount(); ++i)
        c->addItem(QString::fromStdString(data::robotName(i)));
    c->setCurrentIndex(robot);
    auto* o = new QSpinBox(subtasks_);
    o->setRange(1, 99);
    o->setValue(order);
    subtasks_->setCellWidget(r, 1, c);
    subtasks_->setCellWidget(r, 2, o);
    connect(c, &QComboBox::currentIndexChanged, this, [this] { emitEdit(SampleField::Subtasks, subtasksValue()); });
    connect(o, &QSpinBox::valueChanged, this, [this] { emitEdit(SampleField::Subtasks, subtasksValue()); });
    loading_ = was;
}

void SampleEditor::fillSubtasks(const QVariantList& v)
{
    subtasks_->setRowCount(0);
    for (const QVariant& x : v) {
        const QVariantList t = x.toList();
        if (t.size() == 3)
            addSubtaskRow(t[0].toString(), t[1].toInt(), t[2].toInt());
    }
}

void SampleEditor::fillQa(const QVariantList& v)
{
    qa_->setRowCount(0);
    for (const QVariant& x : v) {
        const QVariantList t = x.toList();
        const int r = qa_->rowCount();
        qa_->insertRow(r);
        qa_->setItem(r, 0, new QTableWidgetItem(t.value(0).toString()));
        qa_->setItem(r, 1, new QTableWidgetItem(t.value(1).toString()));
    }
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
        if (subtasksValue() != v)
            fillSubtasks(v.toList());
        break;
    case SampleField::Qa:
        if (qaValue() != v)
            fillQa(v.toList());
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
    case SampleField::Subtasks: w = subtasks_; break;
    case SampleField::Qa: w = qa_; break;
    case SampleField::Split: w = split_; break;
    case SampleField::Status: w = status_; break;
    }
    if (w) {
        w->setFocus(Qt::ShortcutFocusReason);
        ensureWidgetVisible(w);
    }
}

} // namespace ember::studio
