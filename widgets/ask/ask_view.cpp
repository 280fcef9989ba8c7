#include "ask_view.h"
#include "box_layouts.h"
#include "studio_resources.h"

#include "current_image.h"
#include "image_pane.h"
#include "message_bar.h"
#include "sample_hooks.h"

#include <QPointer>
#include <QCheckBox>
#include <QDoubleSpinBox>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QJsonArray>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QApplication>
#include <QSettings>
#include <QThreadPool>
#include <QShortcut>
#include <QSpinBox>
#include <QSplitter>
#include <QStyle>
#include <QVBoxLayout>

namespace ember::studio {

namespace {
constexpr int kHistoryTurns = 4;   // earlier turns sent back to the model as context
const char* kNoSinkTip = "No dataset store is connected to this workspace yet: drafts can be added once the "
                         "workspace's dataset store is available.";

TokenInfo tokenInfo(const ember::StreamedToken& t)
{
    TokenInfo ti;
    ti.text = QString::fromStdString(t.text);
    ti.p = t.p;
    for (const auto& a : t.alternatives)
        ti.alternatives.append({QString::fromUtf8(a.text.data(), static_cast<int>(a.text.size())), a.p});
    return ti;
}
} // namespace

AskView::AskView(EngineWorker* worker, QWidget* parent)
    : QWidget(parent)
    , worker_(worker)
{
    setObjectName("askView");
    files_.setMaxThreadCount(1);
    auto* root = columnLayout(this, {12, 12, 12, 12}, 8);
    message_ = new MessageBar(this);
    root->addWidget(message_);

    auto* split = new QSplitter(Qt::Horizontal, this);
    split->setObjectName("askSplitter");
    split->setChildrenCollapsible(false);
    root->addWidget(split, 1);
    split->addWidget(buildImageSide(split));
    split->addWidget(buildConversationSide(split));
    split->setStretchFactor(0, 0);
    split->setStretchFactor(1, 1);
    split->setSizes({380, 820});

    restoreSettings(split);
    connectControls();
    connectImage();
    connectWorker();

    setTabOrder(question_, send_);
    setTabOrder(send_, stop_);
    setTabOrder(stop_, regen_);
    setTabOrder(regen_, addSample_);
    setTabOrder(addSample_, newConv_);
    setSampleSink(nullptr);
    updateButtons();
}

// Left: the image, its name, how to change it, and the sampling controls.
QWidget* AskView::buildImageSide(QWidget* parent)
{
    auto* left = new QWidget(parent);
    auto* lv = columnLayout(left, {0, 0, 6, 0}, 8);
    pane_ = new ImagePane(left);
    image_ = new CurrentImage(pane_, this);
    lv->addWidget(pane_, 1);
    imageName_ = new QLabel(left);
    imageName_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    imageName_->setWordWrap(true);
    lv->addWidget(imageName_);
    auto* imgButtons = rowLayout();
    openImage_ = new QPushButton(studioIcon("open-image"), tr("&Open image…"), left);
    openImage_->setToolTip(tr("Open an image file (you can also drop one on the image or paste with Ctrl+V)"));
    pasteImage_ = new QPushButton(tr("&Paste"), left);
    pasteImage_->setToolTip(tr("Use the image on the clipboard"));
    imgButtons->addWidget(openImage_);
    imgButtons->addWidget(pasteImage_);
    imgButtons->addStretch();
    lv->addLayout(imgButtons);
    lv->addWidget(buildSamplingBox(left));
    return left;
}

QGroupBox* AskView::buildSamplingBox(QWidget* parent)
{
    auto* sampling = new QGroupBox(tr("Sampling"), parent);
    auto* form = new QFormLayout(sampling);
    form->setLabelAlignment(Qt::AlignRight | Qt::AlignVCenter);
    form->setHorizontalSpacing(10);
    form->setVerticalSpacing(6);
    temperature_ = new QDoubleSpinBox(sampling);
    temperature_->setRange(0.0, 2.0);
    temperature_->setSingleStep(0.05);
    temperature_->setDecimals(2);
    temperature_->setSpecialValueText(tr("0 (greedy)"));
    temperature_->setToolTip(tr("0 picks the most likely token every time"));
    topK_ = new QSpinBox(sampling);
    topK_->setRange(0, 1000);
    topK_->setSpecialValueText(tr("off"));
    topP_ = new QDoubleSpinBox(sampling);
    topP_->setRange(0.01, 1.0);
    topP_->setSingleStep(0.05);
    topP_->setDecimals(2);
    maxTokens_ = new QSpinBox(sampling);
    maxTokens_->setRange(1, 1000);
    seed_ = new QSpinBox(sampling);
    seed_->setRange(0, 999999999);
    colour_ = new QCheckBox(tr("&Colour tokens by probability"), sampling);
    form->addRow(tr("&Temperature:"), temperature_);
    form->addRow(tr("Top-&k:"), topK_);
    form->addRow(tr("Top-&p:"), topP_);
    form->addRow(tr("&Max tokens:"), maxTokens_);
    form->addRow(tr("S&eed:"), seed_);
    form->addRow(colour_);
    return sampling;
}

// Right: the conversation, the question box and what to do with an answer.
QWidget* AskView::buildConversationSide(QWidget* parent)
{
    auto* right = new QWidget(parent);
    auto* rv = columnLayout(right, {6, 0, 0, 0}, 8);
    conv_ = new ConversationView(right);
    rv->addWidget(conv_, 1);
    auto* askRow = rowLayout();
    question_ = new QLineEdit(right);
    question_->setPlaceholderText(tr("Ask about the image and press Enter"));
    question_->setAccessibleName(tr("Question"));
    question_->setClearButtonEnabled(true);
    send_ = new QPushButton(tr("&Send"), right);
    send_->setDefault(false);
    stop_ = new QPushButton(studioIcon("stop"), tr("S&top"), right);
    stop_->setToolTip(tr("Stop the answer now (Esc)"));
    askRow->addWidget(question_, 1);
    askRow->addWidget(send_);
    askRow->addWidget(stop_);
    rv->addLayout(askRow);
    auto* actRow = rowLayout();
    regen_ = new QPushButton(studioIcon("regenerate"), tr("&Regenerate"), right);
    regen_->setToolTip(tr("Answer the last question again with the current settings (Ctrl+R)"));
    addSample_ = new QPushButton(tr("&Add to dataset"), right);
    newConv_ = new QPushButton(tr("&New conversation"), right);
    newConv_->setToolTip(tr("Forget this image's conversation and start over"));
    actRow->addWidget(regen_);
    actRow->addWidget(addSample_);
    actRow->addStretch();
    actRow->addWidget(newConv_);
    rv->addLayout(actRow);
    return right;
}

void AskView::restoreSettings(QSplitter* split)
{
    QSettings s;
    temperature_->setValue(s.value("ask/temperature", 0.7).toDouble());
    topK_->setValue(s.value("ask/topK", 40).toInt());
    topP_->setValue(s.value("ask/topP", 0.95).toDouble());
    maxTokens_->setValue(s.value("ask/maxTokens", 96).toInt());
    seed_->setValue(s.value("ask/seed", 0).toInt());
    colour_->setChecked(s.value("ask/colour", false).toBool());
    conv_->setColourByProbability(colour_->isChecked());
    split->restoreState(s.value("ask/splitter").toByteArray());
    connect(split, &QSplitter::splitterMoved, this, [split] { QSettings().setValue("ask/splitter", split->saveState()); });
}

void AskView::connectControls()
{
    for (auto* sb : {static_cast<QAbstractSpinBox*>(temperature_), static_cast<QAbstractSpinBox*>(topK_),
                     static_cast<QAbstractSpinBox*>(topP_), static_cast<QAbstractSpinBox*>(maxTokens_),
                     static_cast<QAbstractSpinBox*>(seed_)})
        connect(sb, &QAbstractSpinBox::editingFinished, this, &AskView::saveSettings);
    connect(colour_, &QCheckBox::toggled, this, [this](bool on) {
        conv_->setColourByProbability(on);
        saveSettings();
    });

    connect(question_, &QLineEdit::returnPressed, this, [this] { ask(question_->text()); });
    connect(question_, &QLineEdit::textChanged, this, &AskView::updateButtons);
    connect(send_, &QPushButton::clicked, this, [this] { ask(question_->text()); });
    connect(stop_, &QPushButton::clicked, this, &AskView::stop);
    connect(regen_, &QPushButton::clicked, this, &AskView::regenerate);
    connect(addSample_, &QPushButton::clicked, this, &AskView::addToDataset);
    connect(newConv_, &QPushButton::clicked, this, &AskView::newConversation);
    auto* esc = new QShortcut(QKeySequence(Qt::Key_Escape), this, nullptr, nullptr, Qt::WidgetWithChildrenShortcut);
    connect(esc, &QShortcut::activated, this, &AskView::stop);
    auto* regenKey = new QShortcut(QKeySequence(Qt::CTRL | Qt::Key_R), this, nullptr, nullptr, Qt::WidgetWithChildrenShortcut);
    connect(regenKey, &QShortcut::activated, this, &AskView::regenerate);
}

void AskView::connectImage()
{
    connect(openImage_, &QPushButton::clicked, this, [this] { image_->openDialog(this, ws_.imagesDir()); });
    connect(pasteImage_, &QPushButton::clicked, image_, &CurrentImage::pasteFromClipboard);
    connect(image_, &CurrentImage::refused, message_, &MessageBar::showError);
    // A new image ends the answer streaming about the old one.
    connect(image_, &CurrentImage::aboutToChange, this, [this] {
        if (active_)
            stop();
    });
    connect(image_, &CurrentImage::changed, this, [this](const QImage& shown) {
        showImageName(shown);
        message_->dismiss();
        loadConversation();
        updateButtons();
        Q_EMIT imageChanged(image_->path());
    });
}

void AskView::connectWorker()
{
    connect(worker_, &EngineWorker::tokenStreamed, this, &AskView::onToken);
    connect(worker_, &EngineWorker::generationFinished, this, &AskView::onFinished);
    connect(worker_, &EngineWorker::failed, this, &AskView::onFailed);
}

void AskView::saveSettings() const
{
    QSettings s;
    s.setValue("ask/temperature", temperature_->value());
    s.setValue("ask/topK", topK_->value());
    s.setValue("ask/topP", topP_->value());
    s.setValue("ask/maxTokens", maxTokens_->value());
    s.setValue("ask/seed", seed_->value());
    s.setValue("ask/colour", colour_->isChecked());
}

ember::GenerationOptions AskView::options() const
{
    ember::GenerationOptions o;
    o.temperature = static_cast<float>(temperature_->value());
    o.topK = topK_->value();
    o.topP = static_cast<float>(topP_->value());
    o.maxNewTokens = maxTokens_->value();
    o.seed = static_cast<uint64_t>(seed_->value());
    o.alternatives = 5;
    return o;
}

void AskView::setOptions(const ember::GenerationOptions& o)
{
    temperature_->setValue(o.temperature);
    topK_->setValue(o.topK);
    topP_->setValue(o.topP);
    maxTokens_->setValue(o.maxNewTokens);
    seed_->setValue(static_cast<int>(o.seed));
}

void AskView::setWorkspace(const StudioWorkspace& ws)
{
    ws_ = ws;
    loadConversation();
}

void AskView::setSampleSink(SampleSink* sink)
{
    sink_ = sink;
    addSample_->setToolTip(sink_ ? tr("Turn this image, question and answer into a draft sample") : tr(kNoSinkTip));
    updateButtons();
}

void AskView::setModelReady(bool ready)
{
    modelReady_ = ready;
    updateButtons();
}

void AskView::updateButtons()
{
    const bool gen = active_ != 0;
    const bool hasAnswer = !conv_->turns().isEmpty() && !conv_->turns().last().stopReason.isEmpty();
    send_->setEnabled(!gen && modelReady_ && !question_->text().trimmed().isEmpty());
    stop_->setEnabled(gen);
    regen_->setEnabled(!gen && modelReady_ && hasAnswer);
    addSample_->setEnabled(!gen && sink_ && hasAnswer && !image_->empty());
    newConv_->setEnabled(!gen && !conv_->turns().isEmpty());
}

void AskView::showImageName(const QImage& shown)
{
    const QString& path = image_->path();
    imageName_->setText(path.isEmpty() ? tr("Pasted image · %1×%2").arg(shown.width()).arg(shown.height())
                                       : tr("%1 · %2×%3").arg(QFileInfo(path).fileName()).arg(shown.width()).arg(shown.height()));
    imageName_->setToolTip(path);
}

void AskView::openImageFile(const QString& path) { image_->openFile(path); }
bool AskView::setPastedImage(const QImage& image) { return image_->setPasted(image); }
QString AskView::imagePath() const { return image_->path(); }
QString AskView::imageSha256() const { return image_->input().sha256; }

void AskView::ask(const QString& text)
{
    const QString q = text.trimmed();
    if (q.isEmpty() || active_ || !modelReady_)
        return;
    question_->clear();
    ++conversationRequest_;   // a saved conversation still being read would replace this one
    conv_->beginTurn(q);
    start(q);
}

void AskView::start(const QString& q)
{
    std::vector<std::pair<std::string, std::string>> history;
    const auto& turns = conv_->turns();
    for (int i = std::max(0, static_cast<int>(turns.size()) - 1 - kHistoryTurns); i < turns.size() - 1; ++i)
        history.emplace_back(turns[i].question.toStdString(), turns[i].answer().trimmed().toStdString());
    const QString prompt = QString::fromStdString(ember::askPrompt(history, q.toStdString()));
    msFirst_ = -1;
    clock_.start();
    active_ = worker_->generate(image_->input(), prompt, options());
    message_->dismiss();
    updateButtons();
    Q_EMIT generatingChanged(true);
}

void AskView::onToken(int request, const ember::StreamedToken& t)
{
    if (request != active_)
        return;
    if (msFirst_ < 0)
        msFirst_ = clock_.nsecsElapsed() / 1e6;
    conv_->appendToken(tokenInfo(t));
}

void AskView::endTurn(double msFirst, double tps, const QString& reason)
{
    active_ = 0;
    conv_->finishTurn(msFirst, tps, reason);
    saveConversation();
    updateButtons();
    Q_EMIT generatingChanged(false);
    Q_EMIT answerFinished(reason);
}

void AskView::onFinished(int request, const ember::GenerationResult& r)
{
    if (request != active_)
        return;   // a generation the user already stopped
    endTurn(r.msToFirstToken, r.tokensPerSecond, QString::fromStdString(r.stopReason));
}

void AskView::onFailed(int request, const QString& msg)
{
    if (request != active_)
        return;
    message_->showError(tr("Generation failed: %1").arg(msg));
    endTurn(0, 0, QStringLiteral("error"));
}

void AskView::stop()
{
    if (!active_)
        return;
    worker_->cancel(active_);
    // The view stops at once; tokens still in flight from the worker are ignored.
    const double ms = clock_.nsecsElapsed() / 1e6;
    const int n = conv_->turns().isEmpty() ? 0 : conv_->turns().last().tokens.size();
    const double tps = (n > 1 && msFirst_ >= 0 && ms > msFirst_) ? (n - 1) * 1000.0 / (ms - msFirst_) : 0;
    endTurn(std::max(0.0, msFirst_), tps, QStringLiteral("cancelled"));
}

void AskView::regenerate()
{
    if (active_ || !modelReady_ || conv_->turns().isEmpty())
        return;
    const QString q = conv_->turns().last().question;
    conv_->removeLastTurn();
    conv_->beginTurn(q);
    start(q);
}

void AskView::newConversation()
{
    if (active_)
        stop();
    ++conversationRequest_;
    conv_->clearConversation();
    saveConversation();
    updateButtons();
}

// Conversation files are read and written on files_, one at a time in the order asked: a load
// queued after a save reads what it saved, and the GUI thread never waits for the disk.
void AskView::saveConversation()
{
    if (!ws_.isValid() || image_->empty())
        return;
    QJsonArray turns;
    for (const auto& t : conv_->turns())
        if (!t.stopReason.isEmpty())
            turns.append(t.toJson());
    const ImageInput& image = image_->input();
    const QJsonObject conversation{{"image_sha256", image.sha256}, {"image_path", image_->path()}, {"turns", turns}};
    const StudioWorkspace ws = ws_;
    const QString sha = image.sha256;
    files_.start([ws, sha, conversation] { ws.saveConversation(sha, conversation); });
}

void AskView::loadConversation()
{
    const int request = ++conversationRequest_;
    if (!ws_.isValid() || image_->empty()) {
        conv_->clearConversation();
        return;
    }
    const StudioWorkspace ws = ws_;
    const QString sha = image_->input().sha256;
    QPointer<AskView> self(this);
    files_.start([self, ws, sha, request] {
        const QJsonObject conversation = ws.loadConversation(sha);
        QMetaObject::invokeMethod(qApp, [self, conversation, request] {
            if (!self || request != self->conversationRequest_)
                return;   // another image meanwhile
            QVector<Turn> turns;
            for (const auto& v : conversation.value("turns").toArray())
                turns.append(Turn::fromJson(v.toObject()));
            self->conv_->setTurns(turns);
            self->updateButtons();
        }, Qt::QueuedConnection);
    });
}

void AskView::addToDataset()
{
    if (!sink_ || conv_->turns().isEmpty())
        return;
    const Turn& t = conv_->turns().last();
    const ImageInput& image = image_->input();
    QPointer<AskView> self(this);
    sink_->addDraftSample(DraftSample{image_->path(), image.bytes, image.sha256, t.question, t.answer().trimmed()},
                          [self](const QString& err) {
                              if (!self)
                                  return;
                              if (err.isEmpty())
                                  self->message_->showInfo(tr("Added a draft sample to the dataset."));
                              else
                                  self->message_->showError(tr("Could not add the sample: %1").arg(err));
                          });
}

} // namespace ember::studio
