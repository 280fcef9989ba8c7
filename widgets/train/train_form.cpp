#include "train_form.h"

#include "train_config.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QSpinBox>
#include <QToolButton>

#include <stdexcept>
#include <utility>

namespace ember::studio {

namespace {

const char* kParts[4] = {"vision", "projection", "language_model", "reasoning"};

QSpinBox* spinBox(int lo, int hi, int value, const QString& tip, QWidget* parent)
{
    auto* s = new QSpinBox(parent);
    s->setRange(lo, hi);
    s->setValue(value);
    s->setToolTip(tip);
    return s;
}

// Two fields in one form row, sharing its width, with a word between them.
QHBoxLayout* pairRow(QWidget* left, const QString& between, QWidget* right, QWidget* parent)
{
    auto* row = new QHBoxLayout;
    row->addWidget(left, 1);
    row->addWidget(new QLabel(between, parent));
    row->addWidget(right, 1);
    return row;
}

} // namespace

TrainForm::TrainForm(QWidget* parent) : QWidget(parent)
{
    auto* f = new QFormLayout(this);
    f->setContentsMargins(0, 0, 0, 0);
    f->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    addModelRows(f);
    addScheduleRows(f);
    addFreezeRow(f);
    addDataRows(f);
    connectSignals();
    stageChanged();
}

// Stage, phase, preset and the starting checkpoint.
void TrainForm::addModelRows(QFormLayout* f)
{
    stage_ = new QComboBox(this);
    const std::pair<QString, const char*> stages[] = {{tr("1 · alignment"), "1"},
                                                      {tr("2 · instruction"), "2"},
                                                      {tr("3 · robot selection"), "3"},
                                                      {tr("4 · reasoning"), "4"},
                                                      {tr("All four stages"), "all"}};
    for (const auto& [text, stage] : stages)
        stage_->addItem(text, stage);
    stage_->setCurrentIndex(2);
    f->addRow(tr("Stage"), stage_);
    phase_ = new QComboBox(this);
    phase_->addItems({tr("both phases in turn"), tr("1 · reasoning module only"), tr("2 · everything")});
    f->addRow(tr("Phase"), phase_);
    preset_ = new QComboBox(this);
    preset_->addItems({"lite", "base", "reasoning"});
    preset_->setToolTip(tr("Model for a fresh start (ignored when starting from a checkpoint)"));
    f->addRow(tr("Preset"), preset_);
    f->addRow(tr("Start from"), buildInitRow());
}

// The starting-checkpoint combo and its "…" file chooser.
QHBoxLayout* TrainForm::buildInitRow()
{
    auto* initRow = new QHBoxLayout;
    init_ = new QComboBox(this);
    init_->setEditable(true);
    init_->setMinimumContentsLength(12);
    init_->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    init_->setToolTip(tr("Start from this checkpoint; empty: a fresh model of the preset"));
    auto* browse = new QToolButton(this);
    browse->setText("…");
    browse->setToolTip(tr("Choose a checkpoint file"));
    connect(browse, &QToolButton::clicked, this, [this] {
        const QString p = QFileDialog::getOpenFileName(this, tr("Starting checkpoint"), {}, tr("Checkpoints (*.safetensors)"));
        if (!p.isEmpty())
            init_->setEditText(p);
    });
    initRow->addWidget(init_, 1);
    initRow->addWidget(browse);
    return initRow;
}

// Epochs, steps, batch and learning rate, starting from stage 3's defaults.
void TrainForm::addScheduleRows(QFormLayout* f)
{
    const train::TrainConfig d = train::TrainConfig::forStage(3);
    epochs_ = spinBox(1, 1000, d.epochs, tr("Passes over the training split"), this);
    maxSteps_ = spinBox(0, 10000000, static_cast<int>(d.max_steps), tr("Optimizer steps; 0: as many as the epochs give"), this);
    maxSteps_->setSpecialValueText(tr("from epochs"));
    batch_ = spinBox(1, 4096, d.batch_size, {}, this);
    accum_ = spinBox(1, 1024, d.accumulation, tr("Micro-batches per optimizer step"), this);
    lr_ = new QDoubleSpinBox(this);
    lr_->setDecimals(6);
    lr_->setRange(0.000001, 0.999999);
    lr_->setSingleStep(0.0001);
    lr_->setValue(d.lr);
    lr_->setToolTip(tr("Peak learning rate of the language model and heads (vision × 0.1 from stage 2)"));
    warmup_ = spinBox(0, 1000000, static_cast<int>(d.warmup_steps), tr("Linear warm-up steps"), this);
    f->addRow(tr("Epochs"), epochs_);
    f->addRow(tr("Max steps"), maxSteps_);
    f->addRow(tr("Batch size"), pairRow(batch_, tr("× accum."), accum_, this));
    f->addRow(tr("Learning rate"), pairRow(lr_, tr("warm-up"), warmup_, this));
}

void TrainForm::addFreezeRow(QFormLayout* f)
{
    auto* fz = new QGridLayout;
    const QString partNames[4] = {tr("vision"), tr("projection"), tr("language model"), tr("reasoning")};
    for (int i = 0; i < 4; ++i) {
        freeze_[i] = new QCheckBox(partNames[i], this);
        fz->addWidget(freeze_[i], i / 2, i % 2);
    }
    f->addRow(tr("Also freeze"), fz);
}

// Split, image size, seed, extra JSON and the validation message.
void TrainForm::addDataRows(QFormLayout* f)
{
    split_ = new QComboBox(this);
    split_->addItems({"train", "val", "test", "all"});
    imageSize_ = spinBox(0, 1024, 0, tr("0: the model's; else a multiple of 32"), this);
    imageSize_->setSingleStep(32);
    imageSize_->setSpecialValueText(tr("model's"));
    seed_ = spinBox(0, 1000000000, 0, {}, this);
    f->addRow(tr("Split"), pairRow(split_, tr("image"), imageSize_, this));
    f->addRow(tr("Seed"), seed_);
    extra_ = new QLineEdit(this);
    extra_->setPlaceholderText(R"({"eval_every": 50})");
    extra_->setToolTip(tr("Any other TrainConfig fields as a JSON object, applied last (docs/training.md)"));
    f->addRow(tr("Extra JSON"), extra_);
    error_ = new QLabel(this);
    error_->setWordWrap(true);
    error_->setStyleSheet("color: #b00020;");
    f->addRow(error_);
}

// Every field revalidates the form; the stage also resets the learning rate.
void TrainForm::connectSignals()
{
    for (auto* c : freeze_)
        connect(c, &QCheckBox::toggled, this, &TrainForm::revalidate);
    connect(stage_, &QComboBox::currentIndexChanged, this, &TrainForm::stageChanged);
    for (auto* c : {phase_, preset_, split_})
        connect(c, &QComboBox::currentIndexChanged, this, &TrainForm::revalidate);
    connect(init_, &QComboBox::editTextChanged, this, &TrainForm::revalidate);
    for (auto* s : {epochs_, maxSteps_, batch_, accum_, warmup_, imageSize_, seed_})
        connect(s, &QSpinBox::valueChanged, this, &TrainForm::revalidate);
    connect(lr_, &QDoubleSpinBox::valueChanged, this, &TrainForm::revalidate);
    connect(extra_, &QLineEdit::textChanged, this, &TrainForm::revalidate);
}

void TrainForm::setCheckpoints(const QStringList& paths)
{
    const QString keep = init_->currentText();
    init_->clear();
    init_->addItem(QString());
    init_->addItems(paths);
    init_->setEditText(keep);
}

void TrainForm::stageChanged()
{
    const QString s = stage_->currentData().toString();
    phase_->setEnabled(s == "4");
    // The stage's own default learning rate (the one thing forStage changes).
    if (s != "all")
        lr_->setValue(train::TrainConfig::forStage(s.toInt()).lr);
    revalidate();
}

QString TrainForm::configJson() const
{
    QJsonObject o;
    o["preset"] = preset_->currentText();
    o["epochs"] = epochs_->value();
    o["max_steps"] = maxSteps_->value();
    o["batch_size"] = batch_->value();
    o["accumulation"] = accum_->value();
    if (stage_->currentData().toString() != "all")
        o["lr"] = lr_->value();   // "all" keeps each stage's own rate
    o["warmup_steps"] = warmup_->value();
    QJsonArray fz;
    for (int i = 0; i < 4; ++i)
        if (freeze_[i]->isChecked())
            fz.append(kParts[i]);
    o["freeze"] = fz;
    o["split"] = split_->currentText();
    o["image_size"] = imageSize_->value();
    o["seed"] = seed_->value();
    if (stage_->currentData().toString() == "4")
        o["phase"] = phase_->currentIndex();
    const QJsonObject extra = QJsonDocument::fromJson(extra_->text().toUtf8()).object();
    for (auto it = extra.begin(); it != extra.end(); ++it)
        o[it.key()] = it.value();
    return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact));
}

QStringList TrainForm::arguments(QString* error) const
{
    const QString stage = stage_->currentData().toString();
    const QString extra = extra_->text().trimmed();
    if (!extra.isEmpty() && !QJsonDocument::fromJson(extra.toUtf8()).isObject()) {
        *error = tr("Extra JSON is not a JSON object.");
        return {};
    }
    const QString json = configJson();
    const QList<int> stages = stage == "all" ? QList<int>{1, 2, 3, 4} : QList<int>{stage.toInt()};
    for (int s : stages) {
        try {
            auto c = train::TrainConfig::forStage(s);
            c.applyJson(json.toStdString());   // validates
            c.stage = s;
            c.validate();
        } catch (const std::exception& e) {
            *error = (stages.size() > 1 ? tr("Stage %1: ").arg(s) : QString()) + QString::fromUtf8(e.what());
            return {};
        }
    }
    error->clear();
    QStringList args{"--stage", stage, "--config", json};
    if (!init_->currentText().trimmed().isEmpty())
        args << "--init" << init_->currentText().trimmed();
    return args;
}

bool TrainForm::isValid() const
{
    QString e;
    return !arguments(&e).isEmpty();
}

void TrainForm::revalidate()
{
    QString e;
    const bool ok = !arguments(&e).isEmpty();
    error_->setText(e);
    error_->setVisible(!ok);
    Q_EMIT validityChanged(ok, e);
}

} // namespace ember::studio
