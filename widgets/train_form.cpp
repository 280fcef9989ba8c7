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

namespace ember::studio {

namespace {
const char* kParts[4] = {"vision", "projection", "language_model", "reasoning"};
}

TrainForm::TrainForm(QWidget* parent) : QWidget(parent)
{
    auto* f = new QFormLayout(this);
    f->setContentsMargins(0, 0, 0, 0);
    f->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    stage_ = new QComboBox(this);
    stage_->addItem(tr("1 · alignment"), "1");
    stage_->addItem(tr("2 · instruction"), "2");
    stage_->addItem(tr("3 · robot selection"), "3");
    stage_->addItem(tr("4 · reasoning"), "4");
    stage_->addItem(tr("All four stages"), "all");
    stage_->setCurrentIndex(2);
    f->addRow(tr("Stage"), stage_);
    phase_ = new QComboBox(this);
    phase_->addItems({tr("both phases in turn"), tr("1 · reasoning module only"), tr("2 · everything")});
    f->addRow(tr("Phase"), phase_);
    preset_ = new QComboBox(this);
    preset_->addItems({"lite", "base", "reasoning"});
    preset_->setToolTip(tr("Model for a fresh start (ignored when starting from a checkpoint)"));
    f->addRow(tr("Preset"), preset_);
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
    f->addRow(tr("Start from"), initRow);

    auto spin = [this](int lo, int hi, int v, const QString& tip) {
        auto* s = new QSpinBox(this);
        s->setRange(lo, hi);
        s->setValue(v);
        s->setToolTip(tip);
        return s;
    };
    const train::TrainConfig d = train::TrainConfig::forStage(3);
    epochs_ = spin(1, 1000, d.epochs, tr("Passes over the training split"));
    maxSteps_ = spin(0, 10000000, static_cast<int>(d.max_steps), tr("Optimizer steps; 0: as many as the epochs give"));
    maxSteps_->setSpecialValueText(tr("from epochs"));
    batch_ = spin(1, 4096, d.batch_size, {});
    accum_ = spin(1, 1024, d.accumulation, tr("Micro-batches per optimizer step"));
    lr_ = new QDoubleSpinBox(this);
    lr_->setDecimals(6);
    lr_->setRange(0.000001, 0.999999);
    lr_->setSingleStep(0.0001);
    lr_->setValue(d.lr);
    lr_->setToolTip(tr("Peak learning rate of the language model and heads (vision × 0.1 from stage 2)"));
    warmup_ = spin(0, 1000000, static_cast<int>(d.warmup_steps), tr("Linear warm-up steps"));
    f->addRow(tr("Epochs"), epochs_);
    f->addRow(tr("Max steps"), maxSteps_);
    auto* ba = new QHBoxLayout;
    ba->addWidget(batch_, 1);
    ba->addWidget(new QLabel(tr("× accum."), this));
    ba->addWidget(accum_, 1);
    f->addRow(tr("Batch size"), ba);
    auto* lw = new QHBoxLayout;
    lw->addWidget(lr_, 1);
    lw->addWidget(new QLabel(tr("warm-up"), this));
    lw->addWidget(warmup_, 1);
    f->addRow(tr("Learning rate"), lw);
    auto* fz = new QGridLayout;
    const QString partNames[4] = {tr("vision"), tr("projection"), tr("language model"), tr("reasoning")};
    for (int i = 0; i < 4; ++i) {
        freeze_[i] = new QCheckBox(partNames[i], this);
        fz->addWidget(freeze_[i], i / 2, i % 2);
        connect(freeze_[i], &QCheckBox::toggled, this, &TrainForm::revalidate);
    }
    f->addRow(tr("Also freeze"), fz);
    split_ = new QComboBox(this);
    split_->addItems({"train", "val", "test", "all"});
    imageSize_ = spin(0, 1024, 0, tr("0: the model's; else a multiple of 32"));
    imageSize_->setSingleStep(32);
    imageSize_->setSpecialValueText(tr("model's"));
    seed_ = spin(0, 1000000000, 0, {});
    auto* ss = new QHBoxLayout;
    ss->addWidget(split_, 1);
    ss->addWidget(new QLabel(tr("image"), this));
    ss->addWidget(imageSize_, 1);
    f->addRow(tr("Split"), ss);
    f->addRow(tr("Seed"), seed_);
    extra_ = new QLineEdit(this);
    extra_->setPlaceholderText(R"({"eval_every": 50})");
    extra_->setToolTip(tr("Any other TrainConfig fields as a JSON object, applied last (docs/training.md)"));
    f->addRow(tr("Extra JSON"), extra_);
    error_ = new QLabel(this);
    error_->setWordWrap(true);
    error_->setStyleSheet("color: #b00020;");
    f->addRow(error_);

    connect(stage_, &QComboBox::currentIndexChanged, this, &TrainForm::stageChanged);
    for (auto* c : {phase_, preset_, split_})
        connect(c, &QComboBox::currentIndexChanged, this, &TrainForm::revalidate);
    connect(init_, &QComboBox::editTextChanged, this, &TrainForm::revalidate);
    for (auto* s : {epochs_, maxSteps_, batch_, accum_, warmup_, imageSize_, seed_})
        connect(s, &QSpinBox::valueChanged, this, &TrainForm::revalidate);
    connect(lr_, &QDoubleSpinBox::valueChanged, this, &TrainForm::revalidate);
    connect(extra_, &QLineEdit::textChanged, this, &TrainForm::revalidate);
    stageChanged();
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
