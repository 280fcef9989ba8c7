#include "reasoning_view.h"
#include "box_layouts.h"
#include "studio_resources.h"

#include "answer_bars.h"
#include "current_image.h"
#include "image_pane.h"
#include "message_bar.h"
#include "sample_hooks.h"
#include "threshold_chart.h"

#include <QPointer>
#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QPainter>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSaveFile>
#include <QSettings>
#include <QShortcut>
#include <QSplitter>
#include <QStyle>
#include <QStyledItemDelegate>
#include <QTreeWidget>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace ember::studio {

namespace {

constexpr int kReasoningEndId = 50258;   // <|reasoning_end|>
constexpr int kReasoningMaxTokens = 80;

} // namespace

ReasoningView::ReasoningView(EngineWorker* worker, QWidget* parent)
    : QWidget(parent)
    , worker_(worker)
{
    setObjectName("reasoningView");
    auto* root = columnLayout(this, {12, 12, 12, 12}, 8);
    root->addLayout(buildTaskRow());
    message_ = new MessageBar(this);
    root->addWidget(message_);

    auto* split = new QSplitter(Qt::Horizontal, this);
    split->setObjectName("reasoningSplitter");
    split->setChildrenCollapsible(false);
    root->addWidget(split, 1);
    split->addWidget(buildImageSide(split));
    split->addWidget(buildTraceSide(split));
    split->addWidget(buildTextSide(split));
    split->setStretchFactor(0, 2);
    split->setStretchFactor(1, 3);
    split->setStretchFactor(2, 2);
    split->setSizes({330, 520, 330});
    restoreSettings(split);

    camDebounce_.setSingleShot(true);
    camDebounce_.setInterval(200);
    connect(&camDebounce_, &QTimer::timeout, this, &ReasoningView::requestGradCam);
    connectControls();
    connectImage();
    connectWorker();

    setSampleSource(nullptr);
    refresh();
}

// Top: the task and where the run's inputs come from.
QHBoxLayout* ReasoningView::buildTaskRow()
{
    auto* top = rowLayout();
    auto* taskLabel = new QLabel(tr("T&ask:"), this);
    task_ = new QLineEdit(this);
    task_->setPlaceholderText(tr("Describe a task, e.g. inspect the roof of a tall building for cracks"));
    task_->setClearButtonEnabled(true);
    taskLabel->setBuddy(task_);
    fromSample_ = new QPushButton(tr("From &sample…"), this);
    openImage_ = new QPushButton(studioIcon("open-image"), tr("&Image…"), this);
    openImage_->setToolTip(tr("Open an image file (or drop one on the image)"));
    runButton_ = new QPushButton(studioIcon("run"), tr("&Run selection"), this);
    runButton_->setToolTip(tr("Run robot selection on the image and task (Enter in the task box)"));
    top->addWidget(taskLabel);
    top->addWidget(task_, 1);
    top->addWidget(fromSample_);
    top->addWidget(openImage_);
    top->addWidget(runButton_);
    return top;
}

// Left: the image with the Grad-CAM overlay.
QWidget* ReasoningView::buildImageSide(QWidget* parent)
{
    auto* left = new QWidget(parent);
    auto* lv = columnLayout(left, {0, 0, 6, 0}, 6);
    pane_ = new ImagePane(left);
    image_ = new CurrentImage(pane_, this);
    lv->addWidget(pane_, 1);
    auto* camRow = rowLayout();
    showCam_ = new QCheckBox(tr("&Heat map for"), left);
    showCam_->setChecked(true);
    showCam_->setToolTip(tr("Grad-CAM on the last RepViT stage for the chosen robot's answer"));
    camRobot_Box_ = new QComboBox(left);
    camRobot_Box_->setAccessibleName(tr("Heat map robot"));
    camRobot_Box_->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    camRow->addWidget(showCam_);
    camRow->addWidget(camRobot_Box_, 1);
    lv->addLayout(camRow);
    return left;
}

// Middle: the score chart, its threshold, the prediction and the steps.
QWidget* ReasoningView::buildTraceSide(QWidget* parent)
{
    auto* mid = new QWidget(parent);
    auto* mv = columnLayout(mid, {6, 0, 6, 0}, 6);
    chart_ = new ThresholdChart(mid);
    mv->addWidget(chart_, 3);
    auto* thRow = rowLayout();
    auto* thLabel = new QLabel(tr("&Threshold:"), mid);
    thresholdBox_ = new QDoubleSpinBox(mid);
    thresholdBox_->setRange(0.0, 1.0);
    thresholdBox_->setSingleStep(0.01);
    thresholdBox_->setDecimals(3);
    thLabel->setBuddy(thresholdBox_);
    thRow->addWidget(thLabel);
    thRow->addWidget(thresholdBox_);
    thRow->addStretch();
    mv->addLayout(thRow);
    prediction_ = new QLabel(mid);
    prediction_->setWordWrap(true);
    prediction_->setTextFormat(Qt::RichText);
    prediction_->setAccessibleName(tr("Prediction at this threshold"));
    prediction_->setMinimumHeight(prediction_->fontMetrics().height() * 2 + 4);
    mv->addWidget(prediction_);
    mv->addWidget(buildStepList(mid), 2);
    mv->addLayout(buildStepNavigation(mid));
    bars_ = new DistributionBars(mid);
    mv->addWidget(bars_);
    return mid;
}

QTreeWidget* ReasoningView::buildStepList(QWidget* parent)
{
    steps_ = new QTreeWidget(parent);
    steps_->setRootIsDecorated(false);
    steps_->setAllColumnsShowFocus(true);
    steps_->setUniformRowHeights(true);
    steps_->setHeaderLabels({tr("Step"), tr("Score"), tr("Status"), tr("Answer distribution")});
    steps_->setItemDelegateForColumn(3, new StepBarsDelegate(steps_));
    steps_->header()->setStretchLastSection(true);
    steps_->setAccessibleName(tr("Reasoning steps"));
    return steps_;
}

QHBoxLayout* ReasoningView::buildStepNavigation(QWidget* parent)
{
    auto* nav = rowLayout();
    prev_ = new QPushButton(studioIcon("previous"), tr("&Previous"), parent);
    prev_->setToolTip(tr("Previous step (Alt+Left)"));
    next_ = new QPushButton(studioIcon("next"), tr("&Next"), parent);
    next_->setToolTip(tr("Next step (Alt+Right)"));
    stepTitle_ = new QLabel(parent);
    nav->addWidget(prev_);
    nav->addWidget(next_);
    nav->addWidget(stepTitle_, 1);
    return nav;
}

// Right: the generated text reasoning and the exports.
QWidget* ReasoningView::buildTextSide(QWidget* parent)
{
    auto* right = new QWidget(parent);
    auto* rv = columnLayout(right, {6, 0, 0, 0}, 6);
    auto* textLabel = new QLabel(tr("Generated reasoning"), right);
    QFont bold = textLabel->font();
    bold.setBold(true);
    textLabel->setFont(bold);
    rv->addWidget(textLabel);
    text_ = new QPlainTextEdit(right);
    text_->setReadOnly(true);
    text_->setAccessibleName(tr("Generated reasoning"));
    text_->setPlaceholderText(tr("The model's text reasoning for the task appears here."));
    rv->addWidget(text_, 1);
    auto* exp = rowLayout();
    exportJson_ = new QPushButton(tr("Export &JSON…"), right);
    exportJson_->setToolTip(tr("Save the trace (every step, scores, distributions, threshold) as JSON"));
    exportPng_ = new QPushButton(tr("Export P&NG…"), right);
    exportPng_->setToolTip(tr("Save a picture of this view"));
    exp->addWidget(exportJson_);
    exp->addWidget(exportPng_);
    exp->addStretch();
    rv->addLayout(exp);
    return right;
}

void ReasoningView::restoreSettings(QSplitter* split)
{
    QSettings s;
    split->restoreState(s.value("reasoning/splitter").toByteArray());
    connect(split, &QSplitter::splitterMoved, this, [split] { QSettings().setValue("reasoning/splitter", split->saveState()); });
    task_->setText(s.value("reasoning/task", tr("Inspect the roof of a tall building for cracks")).toString());
}

void ReasoningView::connectControls()
{
    connect(task_, &QLineEdit::returnPressed, this, &ReasoningView::run);
    connect(task_, &QLineEdit::textChanged, this, &ReasoningView::updateButtons);
    connect(runButton_, &QPushButton::clicked, this, &ReasoningView::run);
    connect(fromSample_, &QPushButton::clicked, this, &ReasoningView::pickSample);
    connect(chart_, &ThresholdChart::thresholdChanged, this, &ReasoningView::setThreshold);
    connect(thresholdBox_, qOverload<double>(&QDoubleSpinBox::valueChanged), this, [this](double v) {
        if (std::abs(v - threshold_) > 1e-9)
            setThreshold(v);
    });
    connect(steps_, &QTreeWidget::currentItemChanged, this, [this](QTreeWidgetItem* it) {
        if (it)
            setCurrentStep(steps_->indexOfTopLevelItem(it));
    });
    connect(prev_, &QPushButton::clicked, this, &ReasoningView::previousStep);
    connect(next_, &QPushButton::clicked, this, &ReasoningView::nextStep);
    auto* kPrev = new QShortcut(QKeySequence(Qt::ALT | Qt::Key_Left), this, nullptr, nullptr, Qt::WidgetWithChildrenShortcut);
    auto* kNext = new QShortcut(QKeySequence(Qt::ALT | Qt::Key_Right), this, nullptr, nullptr, Qt::WidgetWithChildrenShortcut);
    connect(kPrev, &QShortcut::activated, this, &ReasoningView::previousStep);
    connect(kNext, &QShortcut::activated, this, &ReasoningView::nextStep);
    connect(showCam_, &QCheckBox::toggled, pane_, &ImagePane::setHeatMapVisible);
    connect(camRobot_Box_, qOverload<int>(&QComboBox::activated), this, [this](int) { camDebounce_.start(); });
    connect(exportJson_, &QPushButton::clicked, this, &ReasoningView::exportJsonDialog);
    connect(exportPng_, &QPushButton::clicked, this, &ReasoningView::exportPngDialog);
}

void ReasoningView::connectImage()
{
    connect(openImage_, &QPushButton::clicked, this, [this] { image_->openDialog(this, ws_.imagesDir()); });
    connect(image_, &CurrentImage::refused, message_, &MessageBar::showError);
    connect(image_, &CurrentImage::changed, this, [this] {
        message_->dismiss();
        updateButtons();
    });
}

void ReasoningView::connectWorker()
{
    connect(worker_, &EngineWorker::selectionFinished, this, &ReasoningView::onSelection);
    connect(worker_, &EngineWorker::tokenStreamed, this, &ReasoningView::onToken);
    connect(worker_, &EngineWorker::generationFinished, this, &ReasoningView::onGenerationFinished);
    connect(worker_, &EngineWorker::gradCamFinished, this, &ReasoningView::onGradCam);
    connect(worker_, &EngineWorker::failed, this, &ReasoningView::onFailed);
}

void ReasoningView::setWorkspace(const StudioWorkspace& ws) { ws_ = ws; }

void ReasoningView::setSampleSource(SampleSource* source)
{
    source_ = source;
    fromSample_->setToolTip(source_ ? tr("Take the task and image from a dataset sample")
                                    : tr("No dataset store is connected to this workspace yet: type a task instead."));
    updateButtons();
}

void ReasoningView::setModelReady(bool ready)
{
    modelReady_ = ready;
    updateButtons();
}

void ReasoningView::updateButtons()
{
    runButton_->setEnabled(modelReady_ && !isRunning() && !image_->empty() && !task_->text().trimmed().isEmpty());
    fromSample_->setEnabled(source_ != nullptr);
    const bool has = hasSelection();
    prev_->setEnabled(has && current_ > 0);
    next_->setEnabled(has && current_ + 1 < static_cast<int>(sel_.chain.size()));
    exportJson_->setEnabled(has);
    exportPng_->setEnabled(true);
    camRobot_Box_->setEnabled(has && !image_->empty());
}

void ReasoningView::openImageFile(const QString& path) { image_->openFile(path); }
QString ReasoningView::imagePath() const { return image_->path(); }

void ReasoningView::setTask(const QString& task) { task_->setText(task); }

void ReasoningView::pickSample()
{
    if (!source_)
        return;
    QPointer<ReasoningView> self(this);
    source_->pickTaskSample(this, [self](const TaskSample& s) {
        if (!self)
            return;
        if (!s.imagePath.isEmpty())
            self->openImageFile(s.imagePath);   // a refused picture says so in the message bar
        self->setTask(s.task);
    });
}

void ReasoningView::run()
{
    const QString task = task_->text().trimmed();
    if (isRunning())
        return;
    if (!modelReady_) {
        message_->showError(tr("No model is loaded yet."));
        return;
    }
    if (image_->empty()) {
        message_->showError(tr("Open an image first."));
        return;
    }
    if (task.isEmpty()) {
        message_->showError(tr("Type a task first."));
        return;
    }
    QSettings().setValue("reasoning/task", task);
    message_->dismiss();
    runTask_ = task;
    runImage_ = image_->input();
    generated_.clear();
    text_->clear();
    pane_->clearHeatMap();
    selReq_ = worker_->selectRobot(runImage_, task);
    ember::GenerationOptions g;
    g.maxNewTokens = kReasoningMaxTokens;
    g.temperature = 0.f;
    g.stopIds = {kReasoningEndId};
    g.alternatives = 0;
    textReq_ = worker_->generate(runImage_, QString::fromStdString(ember::reasoningPrompt(task.toStdString())), g);
    updateButtons();
    Q_EMIT runningChanged(true);
}

void ReasoningView::finishedOne()
{
    updateButtons();
    if (!isRunning())
        Q_EMIT runningChanged(false);
}

void ReasoningView::onSelection(int request, const ember::RobotSelection& s)
{
    if (request != selReq_)
        return;
    selReq_ = 0;
    sel_ = s;
    threshold_ = s.trace.threshold;
    camRobot_Box_->clear();
    for (const auto& l : sel_.labels)
        camRobot_Box_->addItem(QString::fromStdString(l));
    steps_->clear();
    std::vector<float> scores;
    std::vector<bool> has;
    for (size_t i = 0; i < sel_.chain.size(); ++i) {
        const auto& c = sel_.chain[i];
        scores.push_back(c.score);
        has.push_back(c.hasScore);
        auto* it = new QTreeWidgetItem(steps_);
        it->setText(0, QString::number(i));
        it->setText(1, c.hasScore ? QString::number(c.score, 'f', 3) : QStringLiteral("—"));
        QVariantList probs;
        QString tip;
        for (size_t k = 0; k < c.answerProbs.size(); ++k) {
            probs << c.answerProbs[k];
            tip += QString("%1: %2\n").arg(k < sel_.labels.size() ? QString::fromStdString(sel_.labels[k]) : QString::number(k))
                       .arg(c.answerProbs[k], 0, 'f', 3);
        }
        it->setData(3, kAnswerProbsRole, probs);
        it->setToolTip(3, tip.trimmed());
    }
    steps_->resizeColumnToContents(0);
    steps_->resizeColumnToContents(1);
    steps_->setColumnWidth(2, steps_->fontMetrics().horizontalAdvance(tr("not reached")) + 24);
    chart_->setSteps(scores, has);
    current_ = -1;
    refresh();
    setCurrentStep(trace_.lastAccepted);
    camRobot_ = -1;
    camRobot_Box_->setCurrentIndex(std::max(0, trace_.answer));
    requestGradCam();
    finishedOne();
}

void ReasoningView::onToken(int request, const ember::StreamedToken& t)
{
    if (request != textReq_)
        return;
    generated_ += QString::fromStdString(t.text);
    text_->setPlainText(generated_);
}

void ReasoningView::onGenerationFinished(int request, const ember::GenerationResult& r)
{
    if (request != textReq_)
        return;
    textReq_ = 0;
    if (r.tokens.empty())
        text_->setPlainText(tr("(the model wrote no reasoning: %1)").arg(QString::fromStdString(r.stopReason)));
    finishedOne();
}

void ReasoningView::onGradCam(int request, int robot, const QVector<float>& map, int rows, int cols)
{
    if (request != camReq_)
        return;
    camReq_ = 0;
    camRobot_ = robot;
    pane_->setHeatMap(map, rows, cols);
    finishedOne();
}

void ReasoningView::onFailed(int request, const QString& msg)
{
    if (request != selReq_ && request != textReq_ && request != camReq_)
        return;
    if (request == selReq_)
        selReq_ = 0;
    if (request == textReq_)
        textReq_ = 0;
    if (request == camReq_)
        camReq_ = 0;
    message_->showError(tr("Reasoning failed: %1").arg(msg));
    finishedOne();
}

void ReasoningView::requestGradCam()
{
    const int robot = camRobot_Box_->currentIndex();
    if (!hasSelection() || runImage_.empty() || robot < 0 || robot == camRobot_ || camReq_)
        return;
    camReq_ = worker_->gradCam(runImage_, runTask_, robot);
    updateButtons();
}

void ReasoningView::setThreshold(double t)
{
    threshold_ = std::clamp(t, 0.0, 1.0);
    refresh();
}

int ReasoningView::predictedStopStep() const { return trace_.steps.empty() ? -1 : static_cast<int>(trace_.steps.size()) - 1; }

void ReasoningView::refresh()
{
    if (std::abs(chart_->threshold() - threshold_) > 1e-9)
        chart_->setThreshold(threshold_);
    if (std::abs(thresholdBox_->value() - threshold_) > 5e-4) {
        QSignalBlocker b(thresholdBox_);
        thresholdBox_->setValue(threshold_);
    }
    if (!hasSelection()) {
        trace_ = ember::ReasoningTrace{};
        prediction_->setText(tr("Pick an image and a task, then run selection to see the reasoning trace."));
        stepTitle_->clear();
        bars_->set({}, {}, -1);
        updateButtons();
        return;
    }
    const int oldStop = predictedStopStep();
    const int oldAnswer = trace_.answer;
    trace_ = ember::applyThreshold(sel_.chain, threshold_, static_cast<int>(sel_.chain.size()));
    const int stop = predictedStopStep();
    const bool rejected = stop >= 0 && !trace_.steps[stop].accepted;
    chart_->setStop(stop, rejected);
    for (int i = 0; i < steps_->topLevelItemCount(); ++i) {
        auto* it = steps_->topLevelItem(i);
        QString status;
        QColor colour;
        if (i < static_cast<int>(trace_.steps.size())) {
            status = trace_.steps[i].accepted ? tr("accepted") : tr("rejected");
            colour = trace_.steps[i].accepted ? QColor(46, 139, 87) : QColor(200, 50, 40);
        } else {
            status = tr("not reached");
            colour = palette().color(QPalette::PlaceholderText);
        }
        it->setText(2, status);
        it->setForeground(2, colour);
        it->setForeground(0, i < static_cast<int>(trace_.steps.size()) ? palette().color(QPalette::Text) : colour);
    }
    const QString answer = trace_.answer >= 0 && trace_.answer < static_cast<int>(sel_.labels.size())
                               ? QString::fromStdString(sel_.labels[trace_.answer])
                               : tr("none");
    const double p = trace_.answer >= 0 ? trace_.answerProbs[trace_.answer] : 0.0;
    const QString how = rejected ? tr("stops at step %1 (rejected)").arg(stop)
                                 : tr("runs all %1 steps").arg(sel_.chain.size());
    prediction_->setText(tr("At threshold <b>%1</b> the loop %2 and picks <b>%3</b> (p = %4) from step %5.")
                             .arg(threshold_, 0, 'f', 3)
                             .arg(how, answer.toHtmlEscaped())
                             .arg(p, 0, 'f', 3)
                             .arg(trace_.lastAccepted));
    showStep();
    updateButtons();
    if (stop != oldStop || trace_.answer != oldAnswer) {
        // Follow the predicted robot with the heat map.
        if (trace_.answer >= 0 && camRobot_Box_->currentIndex() != trace_.answer) {
            camRobot_Box_->setCurrentIndex(trace_.answer);
            camDebounce_.start();
        }
        Q_EMIT predictionChanged(stop, trace_.answer);
    }
}

void ReasoningView::setCurrentStep(int step)
{
    if (!hasSelection())
        return;
    step = std::clamp(step, 0, static_cast<int>(sel_.chain.size()) - 1);
    if (step == current_)
        return;
    current_ = step;
    if (steps_->currentItem() != steps_->topLevelItem(step))
        steps_->setCurrentItem(steps_->topLevelItem(step));
    chart_->setCurrentStep(step);
    showStep();
    updateButtons();
}

void ReasoningView::nextStep() { setCurrentStep(current_ + 1); }
void ReasoningView::previousStep() { setCurrentStep(current_ - 1); }

void ReasoningView::showStep()
{
    if (!hasSelection() || current_ < 0)
        return;
    const auto& c = sel_.chain[current_];
    QString state = current_ < static_cast<int>(trace_.steps.size()) ? (trace_.steps[current_].accepted ? tr("accepted") : tr("rejected"))
                                                                     : tr("not reached at this threshold");
    stepTitle_->setText(c.hasScore ? tr("Step %1 of %2 · score %3 · %4").arg(current_).arg(sel_.chain.size() - 1).arg(c.score, 0, 'f', 3).arg(state)
                                   : tr("Step %1 of %2 · no score (always accepted)").arg(current_).arg(sel_.chain.size() - 1));
    const int best = static_cast<int>(std::max_element(c.answerProbs.begin(), c.answerProbs.end()) - c.answerProbs.begin());
    bars_->set(c.answerProbs, sel_.labels, best);
}

bool ReasoningView::exportJson(const QString& path, QString* error) const
{
    QJsonArray chain;
    for (size_t i = 0; i < sel_.chain.size(); ++i) {
        const auto& c = sel_.chain[i];
        QJsonArray probs;
        for (float p : c.answerProbs)
            probs.append(p);
        QString status = i < trace_.steps.size() ? (trace_.steps[i].accepted ? "accepted" : "rejected") : "not_reached";
        chain.append(QJsonObject{{"step", static_cast<int>(i)},
                                 {"score", c.hasScore ? QJsonValue(c.score) : QJsonValue()},
                                 {"status", status},
                                 {"answer_probs", probs}});
    }
    QJsonArray labels;
    for (const auto& l : sel_.labels)
        labels.append(QString::fromStdString(l));
    QJsonArray answerProbs;
    for (float p : trace_.answerProbs)
        answerProbs.append(p);
    const QJsonObject o{{"task", runTask_},
                        {"image_path", image_->path()},
                        {"image_sha256", runImage_.sha256},
                        {"labels", labels},
                        {"threshold", threshold_},
                        {"model_threshold", sel_.trace.threshold},
                        {"stop_step", predictedStopStep()},
                        {"last_accepted", trace_.lastAccepted},
                        {"answer", trace_.answer},
                        {"answer_label", trace_.answer >= 0 ? QString::fromStdString(sel_.labels[trace_.answer]) : QString()},
                        {"answer_probs", answerProbs},
                        {"steps", chain},
                        {"reasoning_text", generated_},
                        {"ms", sel_.ms}};
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly)) {
        if (error)
            *error = f.errorString();
        return false;
    }
    f.write(QJsonDocument(o).toJson(QJsonDocument::Indented));
    if (!f.commit()) {
        if (error)
            *error = f.errorString();
        return false;
    }
    return true;
}

bool ReasoningView::exportPng(const QString& path) { return grab().save(path, "PNG"); }

void ReasoningView::exportJsonDialog()
{
    const QString f = QFileDialog::getSaveFileName(this, tr("Export trace"), ws_.exportsDir() + "/trace.json", tr("JSON (*.json)"));
    if (f.isEmpty())
        return;
    QDir().mkpath(QFileInfo(f).absolutePath());
    QString err;
    if (exportJson(f, &err))
        message_->showInfo(tr("Saved the trace to %1").arg(f));
    else
        message_->showError(tr("Could not save %1: %2").arg(f, err));
}

void ReasoningView::exportPngDialog()
{
    const QString f = QFileDialog::getSaveFileName(this, tr("Export view"), ws_.exportsDir() + "/reasoning.png", tr("PNG (*.png)"));
    if (f.isEmpty())
        return;
    QDir().mkpath(QFileInfo(f).absolutePath());
    if (exportPng(f))
        message_->showInfo(tr("Saved the view to %1").arg(f));
    else
        message_->showError(tr("Could not save %1").arg(f));
}

} // namespace ember::studio
