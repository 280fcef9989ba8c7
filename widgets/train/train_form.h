#pragma once
// The launch form of the Train view: stage (and phase), preset, starting checkpoint and the
// common knobs of TrainConfig, validated with TrainConfig::validate before anything starts.
// Anything the form lacks goes in "Extra JSON", applied last.
#include <QWidget>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QFormLayout;
class QHBoxLayout;
class QLabel;
class QLineEdit;
class QSpinBox;

namespace ember::studio {

class TrainForm final : public QWidget {
    Q_OBJECT
public:
    explicit TrainForm(QWidget* parent = nullptr);

    void setCheckpoints(const QStringList& paths);   // offered as starting points
    // The `embervlm train` arguments after -w (stage, config, init). Empty with *error set when
    // the configuration is invalid for any stage it would run.
    QStringList arguments(QString* error) const;
    QString configJson() const;   // the form as TrainConfig JSON (without stage)
    bool isValid() const;

    // For tests and scripted launches.
    QComboBox* stageBox() const { return stage_; }
    QLineEdit* extraJsonEdit() const { return extra_; }
    QComboBox* initBox() const { return init_; }

Q_SIGNALS:
    void validityChanged(bool valid, const QString& message);

private:
    void addModelRows(QFormLayout* f);
    QHBoxLayout* buildInitRow();
    void addScheduleRows(QFormLayout* f);
    void addFreezeRow(QFormLayout* f);
    void addDataRows(QFormLayout* f);
    void connectSignals();
    void stageChanged();
    void revalidate();

    QComboBox* stage_;
    QComboBox* phase_;
    QComboBox* preset_;
    QComboBox* init_;
    QSpinBox* epochs_;
    QSpinBox* maxSteps_;
    QSpinBox* batch_;
    QSpinBox* accum_;
    QDoubleSpinBox* lr_;
    QSpinBox* warmup_;
    QCheckBox* freeze_[4];
    QComboBox* split_;
    QSpinBox* imageSize_;
    QSpinBox* seed_;
    QLineEdit* extra_;
    QLabel* error_;
};

} // namespace ember::studio
