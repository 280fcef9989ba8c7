// The Ask view on real widgets and a small random model: streaming, Stop, Regenerate, token
// alternatives on hover, colour by probability, conversation files, bad images, a phone photo's
// EXIF orientation, and the event loop's longest stall while the worker generates and selects.
#include "ask_view.h"
#include "conversation_view.h"
#include "image_pane.h"
#include "message_bar.h"
#include "studio_test_util.h"

#include <QAbstractTextDocumentLayout>
#include <QBuffer>
#include <QCheckBox>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLineEdit>
#include <QPushButton>
#include <QTemporaryDir>
#include <QTextBlock>
#include <QTimer>
#include <QToolTip>

#include <cmath>

using namespace ember::studio;

class TestAskView final : public QObject {
    Q_OBJECT

private:
    QTemporaryDir dir_;
    QString image_;
    std::unique_ptr<EngineWorker> worker_;

    std::unique_ptr<AskView> makeView(int maxTokens)
    {
        auto v = std::make_unique<AskView>(worker_.get());
        v->setWorkspace(StudioWorkspace(dir_.path() + "/ws"));
        v->setModelReady(true);
        v->resize(1000, 700);
        v->show();
        if (!studio_test::openImage(v.get(), image_))
            return nullptr;
        ember::GenerationOptions o;
        o.maxNewTokens = maxTokens;
        o.temperature = 0.8f;
        o.topK = 50;
        o.topP = 0.95f;
        o.seed = 3;
        v->setOptions(o);
        v->newConversation();
        return v;
    }

    // Position (viewport coordinates) of the first generated token in the conversation.
    static QPoint firstTokenPos(ConversationView* c)
    {
        for (QTextBlock b = c->document()->begin(); b.isValid(); b = b.next())
            for (auto it = b.begin(); !it.atEnd(); ++it) {
                const QTextFragment f = it.fragment();
                if (f.charFormat().property(QTextFormat::UserProperty + 1).toInt() > 0 && f.length() > 0) {
                    QTextCursor cur(c->document());
                    cur.setPosition(f.position());
                    const QRect r = c->cursorRect(cur);
                    return QPoint(r.right() + 2, r.center().y());
                }
            }
        return {-1, -1};
    }

private Q_SLOTS:
    void initTestCase()
    {
        const QString failed = studio_test::startWithSmallModel(dir_, image_, worker_);
        QVERIFY2(failed.isEmpty(), qPrintable(failed));
    }

    void cleanupTestCase() { worker_->shutdown(); }

    // Typing a question and pressing Enter streams tokens into the conversation.
    void sendStreamsTokens()
    {
        auto v = makeView(24);
        QVERIFY(v);
        QSignalSpy tokens(worker_.get(), &EngineWorker::tokenStreamed);
        QSignalSpy done(v.get(), &AskView::answerFinished);
        QTest::keyClicks(v->questionBox(), "What is on the roof?");
        QElapsedTimer wall;
        wall.start();
        QTest::keyClick(v->questionBox(), Qt::Key_Return);
        QVERIFY(v->isGenerating());
        QVERIFY(v->stopButton()->isEnabled());
        QVERIFY(!v->sendButton()->isEnabled());
        QVERIFY(v->questionBox()->text().isEmpty());
        QVERIFY(done.wait(30000));
        const double wallS = wall.nsecsElapsed() / 1e9;
        QVERIFY(!v->isGenerating());
        const auto& turns = v->conversation()->turns();
        QCOMPARE(turns.size(), 1);
        QCOMPARE(turns[0].question, QString("What is on the roof?"));
        QVERIFY(!turns[0].tokens.isEmpty());
        QVERIFY(turns[0].tokens.size() <= 24);
        QCOMPARE(tokens.count(), turns[0].tokens.size());   // every streamed token reached the view
        const QString doc = v->conversation()->toPlainText();
        QVERIFY(doc.contains("What is on the roof?"));
        QVERIFY(doc.contains(turns[0].answer()));
        QVERIFY2(doc.contains("tokens/s") && doc.contains("first token after"), qPrintable(doc));
        // The rate is the engine's, over its decoding time, which the wall clock from Enter to the
        // end contains: tokens / rate cannot exceed it (a rate in the wrong unit, or zero, would).
        const double tps = turns[0].tokensPerSecond;
        QVERIFY2(std::isfinite(tps) && tps > 0, qPrintable(QString::number(tps)));
        QVERIFY2(turns[0].tokens.size() / tps <= wallS, qPrintable(QString("%1 tokens at %2/s in %3 s").arg(turns[0].tokens.size()).arg(tps).arg(wallS)));
        // Saved in the workspace under the image's hash.
        const QString path = dir_.path() + "/ws/conversations/" + v->imageSha256() + ".json";
        auto savedNow = [&path] {
            QFile f(path);
            return f.open(QIODevice::ReadOnly) ? QJsonDocument::fromJson(f.readAll()).object() : QJsonObject();
        };
        QTRY_COMPARE(savedNow().value("turns").toArray().size(), 1);   // written on the view's file thread
        const auto saved = savedNow();
        QCOMPARE(saved.value("image_sha256").toString(), v->imageSha256());
        // Each token carries its top-5 alternatives; hovering shows them.
        QCOMPARE(turns[0].tokens[0].alternatives.size(), 5);
        const QPoint pos = firstTokenPos(v->conversation());
        QVERIFY(pos.x() >= 0);
        const auto hit = v->conversation()->tokenAt(pos);
        QCOMPARE(hit.first, 0);
        QCOMPARE(hit.second, 0);
        QHelpEvent help(QEvent::ToolTip, pos, v->conversation()->viewport()->mapToGlobal(pos));
        QCoreApplication::sendEvent(v->conversation()->viewport(), &help);
        const QString tip = QToolTip::text();
        QVERIFY2(tip.contains("p = "), qPrintable(tip));
        QCOMPARE(tip.count("<tr>"), 5 + 5);   // five alternatives (each bar is a nested one-row table)
        // Colouring by probability gives generated tokens a background.
        auto* colour = v->findChild<QCheckBox*>();
        QVERIFY(colour);
        colour->setChecked(true);
        QTextCursor cur = v->conversation()->cursorForPosition(firstTokenPos(v->conversation()));
        cur.movePosition(QTextCursor::NextCharacter);
        QVERIFY(cur.charFormat().hasProperty(QTextFormat::BackgroundBrush));
        colour->setChecked(false);
        // Reopening the image brings the conversation back from the workspace.
        QVERIFY(studio_test::openImage(v.get(), image_));
        QTRY_COMPARE(v->conversation()->turns().size(), 1);   // read on the view's file thread
    }

    // Stop ends the answer at once, and no later token reaches the view.
    void stopStops()
    {
        auto v = makeView(1000);
        QVERIFY(v);
        QSignalSpy finished(worker_.get(), &EngineWorker::generationFinished);
        QTest::keyClicks(v->questionBox(), "Describe everything");
        QTest::mouseClick(v->sendButton(), Qt::LeftButton);
        QVERIFY(v->isGenerating());
        QTRY_VERIFY_WITH_TIMEOUT(!v->conversation()->turns().isEmpty() && v->conversation()->turns().last().tokens.size() >= 3, 30000);
        QTest::mouseClick(v->stopButton(), Qt::LeftButton);
        QVERIFY(!v->isGenerating());
        QCOMPARE(v->conversation()->turns().last().stopReason, QString("cancelled"));
        const int shown = v->conversation()->turns().last().tokens.size();
        QTRY_VERIFY_WITH_TIMEOUT(finished.count() >= 1, 5000);
        const auto res = finished.last().at(1).value<ember::GenerationResult>();
        QCOMPARE(QString::fromStdString(res.stopReason), QString("cancelled"));
        QVERIFY(res.tokens.size() >= static_cast<size_t>(shown));   // the engine made what the view showed
        // The worker's tokens and its end arrive queued, in order: with its end in, delivering every
        // posted event hands the view any token the engine made after Stop; none may show.
        QCoreApplication::sendPostedEvents();
        QCOMPARE(v->conversation()->turns().last().tokens.size(), shown);
        // Sent, the box is empty and Send waits for a question; typing one enables it.
        QVERIFY(v->questionBox()->text().isEmpty());
        QVERIFY(!v->sendButton()->isEnabled());
        QTest::keyClicks(v->questionBox(), "x");
        QVERIFY(v->sendButton()->isEnabled());
        v->questionBox()->clear();
        QVERIFY(v->regenerateButton()->isEnabled());
        // Esc stops too.
        v->setOptions([] { ember::GenerationOptions o; o.maxNewTokens = 1000; return o; }());
        QTest::keyClicks(v->questionBox(), "Again");
        QTest::keyClick(v->questionBox(), Qt::Key_Return);
        QTRY_VERIFY_WITH_TIMEOUT(v->conversation()->turns().last().tokens.size() >= 1, 30000);
        finished.clear();
        QTest::keyClick(v->questionBox(), Qt::Key_Escape);
        QVERIFY(!v->isGenerating());
        QCOMPARE(v->conversation()->turns().last().stopReason, QString("cancelled"));
        QTRY_VERIFY_WITH_TIMEOUT(finished.count() >= 1, 5000);   // the engine stopped, not only the view
        QCOMPARE(QString::fromStdString(finished.last().at(1).value<ember::GenerationResult>().stopReason), QString("cancelled"));
        QTRY_VERIFY_WITH_TIMEOUT(!worker_->busy(), 5000);
    }

    void regenerateReplacesTheLastAnswer()
    {
        auto v = makeView(8);
        QVERIFY(v);
        QSignalSpy done(v.get(), &AskView::answerFinished);
        v->ask("First?");
        QVERIFY(done.wait(30000));
        v->ask("Second?");
        QVERIFY(done.wait(30000));
        QCOMPARE(v->conversation()->turns().size(), 2);
        QVERIFY(v->regenerateButton()->isEnabled());
        QTest::mouseClick(v->regenerateButton(), Qt::LeftButton);
        QVERIFY(v->isGenerating());
        QVERIFY(done.wait(30000));
        QCOMPARE(v->conversation()->turns().size(), 2);
        QCOMPARE(v->conversation()->turns().last().question, QString("Second?"));
        // Without a dataset store, "Add to dataset" is shown but disabled, with a reason.
        QVERIFY(v->addToDatasetButton()->isVisible());
        QVERIFY(!v->addToDatasetButton()->isEnabled());
        QVERIFY(!v->addToDatasetButton()->toolTip().isEmpty());
    }

    void badImageKeepsThePreviousOne()
    {
        auto v = makeView(4);
        QVERIFY(v);
        const QString before = v->imagePath();
        const QString sha = v->imageSha256();
        QFile bad(dir_.path() + "/not-an-image.png");
        QVERIFY(bad.open(QIODevice::WriteOnly));
        bad.write("this is not a PNG at all");
        bad.close();
        QVERIFY(!studio_test::openImage(v.get(), bad.fileName()));
        QVERIFY(v->messageBar()->isVisible());
        QVERIFY2(v->messageBar()->text().contains("not-an-image.png"), qPrintable(v->messageBar()->text()));
        QCOMPARE(v->imagePath(), before);
        QCOMPARE(v->imageSha256(), sha);
        QVERIFY(!v->imagePane()->image().isNull());
        QVERIFY(!studio_test::openImage(v.get(), dir_.path() + "/missing.png"));
        QCOMPARE(v->imagePath(), before);
        // A pasted picture is accepted and hashed.
        QImage pasted(64, 48, QImage::Format_RGB32);
        pasted.fill(Qt::darkCyan);
        QVERIFY(v->setPastedImage(pasted));
        QVERIFY(v->imageSha256() != sha);
    }

    // A phone photo stored sideways with EXIF Orientation 6 shows upright, as the model sees it
    // (QImage::load alone shows it on its side); its own bytes go to the model. A JPEG cut short
    // is refused by name, never shown half grey.
    void phonePhotoShowsUpright()
    {
        auto v = makeView(4);
        QVERIFY(v);
        QImage stored(40, 60, QImage::Format_RGB888);   // portrait as stored: red top, blue below
        stored.fill(Qt::blue);
        for (int y = 0; y < 15; ++y)
            for (int x = 0; x < 40; ++x)
                stored.setPixelColor(x, y, Qt::red);
        QByteArray jpeg;
        QBuffer buf(&jpeg);
        QVERIFY(buf.open(QIODevice::WriteOnly) && stored.save(&buf, "JPEG", 95));
        // APP1 "Exif": a little-endian TIFF header, one IFD0 entry: Orientation (SHORT) = 6.
        const QByteArray exif = QByteArray("Exif\0\0II*\0\x08\0\0\0\x01\0\x12\x01\x03\0\x01\0\0\0\x06\0\0\0\0\0\0\0", 32);
        QByteArray app1("\xFF\xE1", 2);
        app1.append(char((exif.size() + 2) >> 8)).append(char((exif.size() + 2) & 0xFF)).append(exif);
        jpeg.insert(2, app1);
        QFile f(dir_.path() + "/phone.jpg");
        QVERIFY(f.open(QIODevice::WriteOnly) && f.write(jpeg) == jpeg.size());
        f.close();
        QCOMPARE(QImage(f.fileName()).size(), QSize(40, 60));   // Qt alone: on its side
        QVERIFY2(studio_test::openImage(v.get(), f.fileName()), qPrintable(v->messageBar()->text()));
        const QImage shown = v->imagePane()->image();
        QCOMPARE(shown.size(), QSize(60, 40));   // turned 90° clockwise: the red top is now on the right
        QVERIFY(QColor(shown.pixel(55, 20)).red() > 200 && QColor(shown.pixel(55, 20)).blue() < 60);
        QVERIFY(QColor(shown.pixel(5, 20)).blue() > 200 && QColor(shown.pixel(5, 20)).red() < 60);
        QCOMPARE(v->imageSha256(), sha256Hex(jpeg));
        QFile cut(dir_.path() + "/phone-cut.jpg");
        QVERIFY(cut.open(QIODevice::WriteOnly) && cut.write(jpeg.left(jpeg.size() / 2)) > 0);
        cut.close();
        QVERIFY(!studio_test::openImage(v.get(), cut.fileName()));
        QVERIFY2(v->messageBar()->text().contains("phone-cut.jpg"), qPrintable(v->messageBar()->text()));
        QCOMPARE(v->imageSha256(), sha256Hex(jpeg));
    }

    // The GUI thread keeps ticking while the worker generates 300 tokens with the base model
    // (random weights) and then runs a robot selection.
    void eventLoopNeverStalls()
    {
        EngineWorker base;
        {
            QSignalSpy loaded(&base, &EngineWorker::modelLoaded);
            base.initRandom("base", 0);
            QVERIFY(loaded.wait(120000));
        }
        auto v = std::make_unique<AskView>(&base);
        v->setWorkspace(StudioWorkspace(dir_.path() + "/ws"));
        v->setModelReady(true);
        v->resize(1000, 700);
        v->show();
        QVERIFY(studio_test::openImage(v.get(), image_));
        v->newConversation();
        {
            ember::GenerationOptions g;
            g.maxNewTokens = 300;
            g.temperature = 0.8f;
            g.topK = 50;
            g.stopAtEndOfText = false;
            v->setOptions(g);
        }
        QElapsedTimer clock;
        qint64 last = -1, worst = 0;
        int ticks = 0;
        QTimer timer;
        timer.setTimerType(Qt::PreciseTimer);
        timer.setInterval(5);
        connect(&timer, &QTimer::timeout, [&] {
            const qint64 now = clock.nsecsElapsed();
            if (last >= 0)
                worst = std::max(worst, now - last);
            last = now;
            ++ticks;
        });
        QSignalSpy done(v.get(), &AskView::answerFinished);
        QSignalSpy selected(&base, &EngineWorker::selectionFinished);
        clock.start();
        timer.start();
        v->ask("Tell me a long story about this picture");
        ember::studio::ImageInput img;
        QImage shown;
        QString err;
        QVERIFY(ember::studio::readImageFile(image_, &shown, &img, &err));
        base.selectRobot(img, "inspect the roof");
        QVERIFY(done.wait(120000));
        QVERIFY(selected.count() == 1 || selected.wait(30000));
        timer.stop();
        const double worstMs = worst / 1e6;
        const int n = v->conversation()->turns().last().tokens.size();
        qInfo("event loop: longest stall %.1f ms over %d ticks (%.0f ms) while generating %d tokens and selecting",
              worstMs, ticks, clock.nsecsElapsed() / 1e6, n);
        QVERIFY(n > 50);
        v.reset();
        base.shutdown();
#if defined(__SANITIZE_ADDRESS__)
        // Instrumented code runs several times slower: under ASan this slot checks memory, not time.
        QSKIP(qPrintable(QString("timing not asserted under AddressSanitizer (longest stall %1 ms)").arg(worstMs)));
#endif
        QVERIFY2(worstMs < 50.0, qPrintable(QString("longest stall %1 ms").arg(worstMs)));
    }
};

QTEST_MAIN(TestAskView)
#include "test_ask_view.moc"
