#include "ask_view.h"
#include "studio_resources.h"

#include "image_pane.h"
#include "message_bar.h"
#include "sample_hooks.h"

#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QJsonArray>
#include <QLabel>
#include <QLineEdit>
#include <QMimeData>
#include <QPushButton>
#include <QSettings>
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
    auto* root = new QVBoxLayout(this);
    root->setContentsMargins(12, 12, 12, 12);
    root->setSpacing(8);
    message_ = new MessageBar(this);
    root->addWidget(message_);

    auto* split = new QSplitter(Qt::Horizontal, this);
    split->setObjectName("askSplitter");
    split->setChildrenCollapsible(false);
    root->addWidget(split, 1);

    // Left: image and sampling controls.
    auto* left = new QWidget(split);
    auto* lv = new QVBoxLayout(left);
    lv->setContentsMargins(0, 0, 6, 0);
    lv->setSpacing(8);
    pane_ = new ImagePane(left);
    lv->addWidget(pane_, 1);
    imageName_ = new QLabel(left);
    imageName_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    imageName_->setWordWrap(true);
    lv->addWidget(imageName_);
    auto* imgButtons = new QHBoxLayout;
    imgButtons->setSpacing(6);
    auto* open = new QPushButton(studioIcon("open-image"), tr("&Open image…"), left);
    open->setToolTip(tr("Open an image file (you can also drop one on the image or paste with Ctrl+V)"));
    auto* paste = new QPushButton(tr("&Paste"), left);
    paste->setToolTip(tr("Use the image on the clipboard"));
    imgButtons->addWidget(open);
    imgButtons->addWidget(paste);
    imgButtons->addStretch();
    lv->addLayout(imgButtons);

    auto* sampling = new QGroupBox(tr("Sampling"), left);
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
    lv->addWidget(sampling);

    // Right: conversation and the question box.
    auto* right = new QWidget(split);
    auto* rv = new QVBoxLayout(right);
    rv->setContentsMargins(6, 0, 0, 0);
    rv->setSpacing(8);
    conv_ = new ConversationView(right);
    rv->addWidget(conv_, 1);
    auto* askRow = new QHBoxLayout;
    askRow->setSpacing(6);
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
    auto* actRow = new QHBoxLayout;
    actRow->setSpacing(6);
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

    split->addWidget(left);
    split->addWidget(right);
    split->setStretchFactor(0, 0);
    split->setStretchFactor(1, 1);
    split->setSizes({380, 820});

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
    connect(open, &QPushButton::clicked, this, &AskView::openImageDialog);
    connect(paste, &QPushButton::clicked, this, &AskView::pasteImage);
    connect(pane_, &ImagePane::fileDropped, this, &AskView::openImageFile);
    connect(pane_, &ImagePane::imagePasted, this, &AskView::setPastedImage);
    auto* esc = new QShortcut(QKeySequence(Qt::Key_Escape), this, nullptr, nullptr, Qt::WidgetWithChildrenShortcut);
    connect(esc, &QShortcut::activated, this, &AskView::stop);
    auto* regenKey = new QShortcut(QKeySequence(Qt::CTRL | Qt::Key_R), this, nullptr, nullptr, Qt::WidgetWithChildrenShortcut);
    connect(regenKey, &QShortcut::activated, this, &AskView::regenerate);

    connect(worker_, &EngineWorker::tokenStreamed, this, &AskView::onToken);
    connect(worker_, &EngineWorker::generationFinished, this, &AskView::onFinished);
    connect(worker_, &EngineWorker::failed, this, &AskView::onFailed);

    setTabOrder(question_, send_);
    setTabOrder(send_, stop_);
    setTabOrder(stop_, regen_);
    setTabOrder(regen_, addSample_);
    setTabOrder(addSample_, newConv_);
    setSampleSink(nullptr);
    updateButtons();
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
    addSample_->setEnabled(!gen && sink_ && hasAnswer && !image_.empty());
    newConv_->setEnabled(!gen && !conv_->turns().isEmpty());
}

void AskView::setImage(const QImage& image, const ImageInput& input, const QString& path)
{
    if (active_)
        stop();
    pane_->setImage(image);
    image_ = input;
    imagePath_ = path;
    imageName_->setText(path.isEmpty() ? tr("Pasted image · %1×%2").arg(image.width()).arg(image.height())
                                       : tr("%1 · %2×%3").arg(QFileInfo(path).fileName()).arg(image.width()).arg(image.height()));
    imageName_->setToolTip(path);
    message_->dismiss();
    loadConversation();
    updateButtons();
    Q_EMIT imageChanged(path);
}

bool AskView::openImageFile(const QString& path)
{
    QImage img;
    ImageInput in;
    QString err;
    if (!readImageFile(path, &img, &in, &err)) {
        message_->showError(err);
        return false;
    }
    setImage(img, in, QFileInfo(path).absoluteFilePath());
    QSettings().setValue("ask/lastImage", imagePath_);
    return true;
}

bool AskView::setPastedImage(const QImage& image)
{
    if (image.isNull() || static_cast<qint64>(image.width()) * image.height() > ember::kMaxImagePixels) {
        message_->showError(tr("The clipboard holds no usable image."));
        return false;
    }
    setImage(image, encodeImage(image), QString());
    return true;
}

void AskView::openImageDialog()
{
    const QString start = imagePath_.isEmpty() ? ws_.imagesDir() : QFileInfo(imagePath_).absolutePath();
    const QString f = chooseImageFile(this, start);
    if (!f.isEmpty())
        openImageFile(f);
}

void AskView::pasteImage()
{
    const QMimeData* m = QApplication::clipboard()->mimeData();
    if (m && m->hasImage())
        setPastedImage(qvariant_cast<QImage>(m->imageData()));
    else if (m && m->hasUrls() && !m->urls().isEmpty() && m->urls().first().isLocalFile())
        openImageFile(m->urls().first().toLocalFile());
    else
        message_->showError(tr("The clipboard holds no image."));
}

void AskView::ask(const QString& text)
{
    const QString q = text.trimmed();
    if (q.isEmpty() || active_ || !modelReady_)
        return;
    question_->clear();
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
    active_ = worker_->generate(image_, prompt, options());
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
    conv_->clearConversation();
    saveConversation();
    updateButtons();
}

void AskView::saveConversation()
{
    if (!ws_.isValid() || image_.empty())
        return;
    QJsonArray turns;
    for (const auto& t : conv_->turns())
        if (!t.stopReason.isEmpty())
            turns.append(t.toJson());
    ws_.saveConversation(image_.sha256, QJsonObject{{"image_sha256", image_.sha256}, {"image_path", imagePath_}, {"turns", turns}});
}

void AskView::loadConversation()
{
    if (!ws_.isValid() || image_.empty()) {
        conv_->clearConversation();
        return;
    }
    QVector<Turn> turns;
    for (const auto& v : ws_.loadConversation(image_.sha256).value("turns").toArray())
        turns.append(Turn::fromJson(v.toObject()));
    conv_->setTurns(turns);
    updateButtons();
}

void AskView::addToDataset()
{
    if (!sink_ || conv_->turns().isEmpty())
        return;
    const Turn& t = conv_->turns().last();
    const QString err = sink_->addDraftSample(DraftSample{imagePath_, image_.bytes, image_.sha256, t.question, t.answer().trimmed()});
    if (err.isEmpty())
        message_->showInfo(tr("Added a draft sample to the dataset."));
    else
        message_->showError(tr("Could not add the sample: %1").arg(err));
}

} // namespace ember::studio
