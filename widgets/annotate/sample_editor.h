#pragma once
// The Annotate view's field panel: every field of one sample, in a scroll area. It shows a
// sample and reports each change as (field, before, after); the view turns that into an
// undoable command that writes the store. Model suggestions are shown beside the human labels
// and only become labels when accepted.
#include "annotate_commands.h"
#include "suggestions.h"

#include <QScrollArea>

class QCheckBox;
class QComboBox;
class QLabel;
class QListWidget;
class QPlainTextEdit;
class QPushButton;
class QTableWidget;

namespace ember::studio {

class TableField;

class SampleEditor final : public QScrollArea {
    Q_OBJECT
public:
    explicit SampleEditor(QWidget* parent = nullptr);

    // Shows the sample (or nothing when id == 0); emits no edits.
    void setSample(const ember::data::Sample& s);
    // Updates one field's widgets from a value (after undo/redo); leaves the cursor alone when
    // the widget already shows it.
    void showField(SampleField f, const QVariant& value);
    void setSuggestion(const Suggestion* s);
    const ember::data::Sample& sample() const { return sample_; }

    void toggleRobot(int robot);          // keys 1–5
    void focusField(SampleField f);

    // For tests.
    QPlainTextEdit* taskEdit() const { return task_; }
    QPlainTextEdit* captionEdit() const { return caption_; }
    QCheckBox* robotBox(int i) const { return robots_.value(i); }
    QListWidget* reasoningList() const { return reasoning_; }
    QTableWidget* subtaskTable() const;
    QTableWidget* qaTable() const;
    QComboBox* splitBox() const { return split_; }
    QComboBox* statusBox() const { return status_; }
    QPushButton* acceptButton() const { return accept_; }

Q_SIGNALS:
    // mergeKey != 0 for typing: the same key for one stretch of typing in one field.
    void edited(SampleField f, const QVariant& before, const QVariant& after, quint64 mergeKey);
    void acceptSuggestionRequested();
    // The user left a text field: its typing is complete, and is saved now.
    void fieldLeft();

protected:
    bool eventFilter(QObject* o, QEvent* e) override;

private:
    QWidget* buildRobots(QWidget* parent);
    QWidget* buildReasoning(QWidget* parent);
    TableField* buildSubtasks(QWidget* parent);
    TableField* buildQa(QWidget* parent);
    QWidget* tableSection(TableField* table, SampleField f, const QString& title, const QString& tip);
    QWidget* buildMeta(QWidget* parent);
    void connectTextFields();
    void showReferences(const ember::data::Sample& s);
    QWidget* section(const QString& title, QWidget* focus, QWidget* body, const QString& tip);
    void emitEdit(SampleField f, const QVariant& after, quint64 mergeKey = 0);
    QVariant reasoningValue() const;
    void fillReasoning(const QStringList& steps);
    void insertStep();
    void removeStep();
    void moveStep(int delta);

    ember::data::Sample sample_;
    bool loading_ = false;
    quint64 typingKey_ = 0;      // bumped when a text field gains focus
    quint64 nextKey_ = 1;

    QPlainTextEdit* task_;
    QList<QCheckBox*> robots_;
    QLabel* suggestion_;
    QLabel* references_;   // further reference captions, VQA answers: read-only
    QPushButton* accept_;
    QListWidget* reasoning_;
    TableField* subtasks_;
    QPlainTextEdit* caption_;
    TableField* qa_;
    QComboBox* split_;
    QComboBox* status_;
};

} // namespace ember::studio
