// The Annotate view on real widgets over a real workspace: keyboard labelling of a sequence,
// undo/redo across fields, filters and the count, the lazy list over 100,000 samples (rows read,
// not times), suggestions and their acceptance, import/export in the background, the store
// hooks of Ask and Reasoning, edits surviving kill -9 of the process that made them (also while
// another process holds the write lock), and no SQLite statement ever on the GUI thread.
// The view reads and writes through its StoreWorker: after each action the test waits until it
// has settled() before it looks at the store through its own connection.
#include "annotate_view.h"
#include "demo_world.h"
#include "image_pane.h"
#include "label_balance_chart.h"
#include "model_suggester.h"
#include "edit_journal.h"
#include "edit_queue.h"
#include "sample_editor.h"
#include "store_worker.h"
#include "studio_test_util.h"
#include "workspace_samples.h"

#include <QCheckBox>
#include <QApplication>
#include <QComboBox>
#include <QElapsedTimer>
#include <QFile>
#include <QLabel>
#include <QTableWidget>
#include <QLineEdit>
#include <QListView>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QProcess>
#include <QPushButton>
#include <QScrollBar>
#include <QTemporaryDir>
#include <QThread>
#include <QUndoStack>

#include <atomic>
#include <cmath>
#include <algorithm>
#include <numeric>
#include <functional>
#include <optional>

using namespace ember::studio;
namespace data = ember::data;

namespace {
constexpr int kDemo = 24;   // samples in the test workspace
}

class TestAnnotateView final : public QObject {
    Q_OBJECT

private:
    QTemporaryDir dir_;
    QString wsDir_;
    std::unique_ptr<data::Workspace> ws_;     // the test's own connection, for checking
    std::unique_ptr<EngineWorker> worker_;
    std::unique_ptr<StoreWorker> store_;      // the view's

    // Waits until the view has nothing on its way (the list, the sample, its image, the edits).
    static bool settle(AnnotateView* v, int timeoutMs = 30000)
    {
        QElapsedTimer t;
        t.start();
        while (!v->settled() && t.elapsed() < timeoutMs)
            QTest::qWait(2);
        return v->settled();
    }

    static std::unique_ptr<StoreWorker> openStore(const QString& dir)
    {
        auto store = std::make_unique<StoreWorker>();
        QSignalSpy opened(store.get(), &StoreWorker::opened);
        store->setOpenHook([](data::SampleStore& ws) { replayEditJournal(ws); });
        store->open(dir);
        if (!opened.wait(30000) || !store->isOpen())
            return nullptr;
        return store;
    }

    std::unique_ptr<AnnotateView> makeView()
    {
        auto v = std::make_unique<AnnotateView>(worker_.get());
        v->setStore(store_.get());
        v->setModelReady(true);
        v->resize(1280, 800);
        v->show();
        v->activateWindow();
        // Shortcuts with a widget context need an active window and a focus inside the view.
        if (!QTest::qWaitForWindowActive(v.get()) || !settle(v.get()))
            return nullptr;
        v->listView()->setFocus();
        return v;
    }

    static void key(QWidget* w, Qt::Key k, Qt::KeyboardModifiers m = Qt::NoModifier) { QTest::keyClick(w, k, m); }

private Q_SLOTS:
    void initTestCase()
    {
        studio_test::isolateSettings();
        QVERIFY(dir_.isValid());
        wsDir_ = dir_.path() + "/ws";
        ws_ = std::make_unique<data::Workspace>(data::Workspace::open(wsDir_.toStdString()));
        data::DemoOptions o;
        o.count = kDemo;
        o.imageSize = 128;
        data::generateDemoWorld(*ws_, o);
        QCOMPARE(ws_->count(), kDemo);
        worker_ = std::make_unique<EngineWorker>();
        QVERIFY(studio_test::loadSmallModel(*worker_));
        store_ = openStore(wsDir_);
        QVERIFY(store_);
    }

    void cleanupTestCase()
    {
        store_.reset();
        worker_->shutdown();
    }

    void opensWithCountPositionAndChart()
    {
        auto v = makeView();
        QVERIFY(v);
        QCOMPARE(v->listModel()->rowCount(), kDemo);
        QCOMPARE(v->countLabel()->text(), QStringLiteral("%1 samples").arg(kDemo));
        QCOMPARE(v->positionLabel()->text(), QStringLiteral("1 / %1").arg(kDemo));
        QVERIFY(v->currentId() > 0);
        QVERIFY(!v->imagePane()->image().isNull());
        const auto hist = ws_->labelHistogram();
        QCOMPARE(v->balanceChart()->counts(), hist);
    }

    void keyboardLabelsASequence()
    {
        auto v = makeView();
        QVERIFY(v);
        v->listView()->setFocus();
        std::vector<std::pair<qint64, std::vector<int>>> expected;
        int commands = 0;
        for (int i = 0; i < 3; ++i) {
            const qint64 id = v->currentId();
            commands += ws_->get(id)->status == data::Status::Draft ? 3 : 2;
            QCOMPARE(v->currentRow(), i);
            std::vector<int> robots = ws_->get(id)->robots;
            // Keys 1 and 3 toggle Drone (0) and the third robot (2).
            key(v->listView(), Qt::Key_1);
            key(v->listView(), Qt::Key_3);
            for (int r : {0, 2}) {
                auto it = std::find(robots.begin(), robots.end(), r);
                if (it == robots.end())
                    robots.push_back(r);
                else
                    robots.erase(it);
            }
            std::sort(robots.begin(), robots.end());
            expected.emplace_back(id, robots);
            key(v->listView(), Qt::Key_Return, Qt::ControlModifier);   // reviewed, next
            QVERIFY(settle(v.get()));
        }
        QCOMPARE(v->currentRow(), 3);
        QCOMPARE(v->positionLabel()->text(), QStringLiteral("4 / %1").arg(kDemo));
        for (const auto& [id, robots] : expected) {
            const auto s = ws_->get(id);
            QCOMPARE(s->robots, robots);
            QVERIFY(s->status == data::Status::Reviewed);
        }
        // J/K and Alt+Up/Down move without editing.
        key(v->listView(), Qt::Key_K);
        QCOMPARE(v->currentRow(), 2);
        key(v->listView(), Qt::Key_Down, Qt::AltModifier);
        QCOMPARE(v->currentRow(), 3);
        key(v->listView(), Qt::Key_J);
        QCOMPARE(v->currentRow(), 4);
        QVERIFY(settle(v.get()));
        QCOMPARE(v->currentId(), v->listModel()->idAt(4));
        QVERIFY(!v->imagePane()->image().isNull());
        // 3 samples × (2 robot toggles + 1 status change for drafts).
        QCOMPARE(v->undoStack()->count(), commands);
    }

    void undoRedoAcrossFields()
    {
        auto v = makeView();
        QVERIFY(v);
        v->goToRow(5);
        QVERIFY(settle(v.get()));
        const qint64 id = v->currentId();
        const data::Sample before = *ws_->get(id);
        SampleEditor* e = v->editor();

        // Typing in one field is one undo step, saved once typing pauses, in one transaction.
        e->taskEdit()->setFocus();
        e->taskEdit()->moveCursor(QTextCursor::End);
        QTest::keyClicks(e->taskEdit(), " now");
        QVERIFY(!v->editQueue()->idle());   // not one write per keystroke
        QVERIFY(settle(v.get()));
        QCOMPARE(ws_->get(id)->task, before.task + " now");
        QCOMPARE(v->undoStack()->count(), 1);
        key(e->taskEdit(), Qt::Key_4);   // a digit in a text field is text, not a robot toggle
        QVERIFY(settle(v.get()));
        QCOMPARE(ws_->get(id)->task, before.task + " now4");
        QCOMPARE(v->undoStack()->count(), 1);

        e->captionEdit()->setFocus();
        e->captionEdit()->moveCursor(QTextCursor::End);
        QTest::keyClicks(e->captionEdit(), "!!");
        e->splitBox()->setCurrentIndex(3);
        // Reasoning: add a step with Insert, reorder it with Ctrl+Up.
        e->reasoningList()->setFocus();
        e->reasoningList()->setCurrentRow(e->reasoningList()->count() - 1);
        key(e->reasoningList(), Qt::Key_Insert);
        QVERIFY(QApplication::focusWidget() != e->reasoningList());   // the inline editor is open
        key(QApplication::focusWidget(), Qt::Key_Escape);             // leave it with the default text
        const int added = e->reasoningList()->currentRow();
        key(e->reasoningList(), Qt::Key_Up, Qt::ControlModifier);
        QCOMPARE(e->reasoningList()->currentRow(), added - 1);
        QVERIFY(settle(v.get()));
        QCOMPARE(static_cast<int>(ws_->get(id)->reasoning.size()), static_cast<int>(before.reasoning.size()) + 1);
        QCOMPARE(QString::fromStdString(ws_->get(id)->reasoning[static_cast<size_t>(added - 1)]), QStringLiteral("new step"));
        QCOMPARE(v->undoStack()->count(), 5);   // task, caption, split, add step, move step

        const data::Sample edited = *ws_->get(id);
        QVERIFY(edited.split == data::Split::Test);
        QCOMPARE(edited.caption, before.caption + "!!");

        // Ctrl+Z from inside a text field goes to the view's stack, not the field's own undo.
        e->taskEdit()->setFocus();
        for (int i = 0; i < 5; ++i)
            key(e->taskEdit(), Qt::Key_Z, Qt::ControlModifier);
        QVERIFY(settle(v.get()));
        const data::Sample undone = *ws_->get(id);
        QCOMPARE(undone.task, before.task);
        QCOMPARE(undone.caption, before.caption);
        QVERIFY(undone.split == before.split);
        QCOMPARE(undone.reasoning, before.reasoning);
        QCOMPARE(e->taskEdit()->toPlainText().toStdString(), before.task);

        for (int i = 0; i < 5; ++i)
            key(e->taskEdit(), Qt::Key_Z, Qt::ControlModifier | Qt::ShiftModifier);
        QVERIFY(settle(v.get()));
        const data::Sample redone = *ws_->get(id);
        QCOMPARE(redone.task, edited.task);
        QCOMPARE(redone.caption, edited.caption);
        QVERIFY(redone.split == edited.split);
        QCOMPARE(redone.reasoning, edited.reasoning);

        // Undo of an edit on another sample goes back to that sample.
        v->next();
        QVERIFY(settle(v.get()));
        QVERIFY(v->currentId() != id);
        v->undoStack()->undo();
        QVERIFY(settle(v.get()));
        QCOMPARE(v->currentId(), id);
    }

    void filtersAndCount_data()
    {
        QTest::addColumn<int>("split");    // combo index, 0: all
        QTest::addColumn<int>("status");
        QTest::addColumn<int>("robot");    // combo index, 0: any
        QTest::addColumn<QString>("text");
        QTest::newRow("all") << 0 << 0 << 0 << "";
        QTest::newRow("train") << 2 << 0 << 0 << "";
        QTest::newRow("reviewed") << 0 << 2 << 0 << "";
        QTest::newRow("drone") << 0 << 0 << 1 << "";
        QTest::newRow("draft legs") << 0 << 1 << 5 << "";
        QTest::newRow("text") << 0 << 0 << 0 << "the";
        QTest::newRow("nothing") << 0 << 0 << 0 << "zzqqxx-no-such-text";
    }

    void filtersAndCount()
    {
        QFETCH(int, split);
        QFETCH(int, status);
        QFETCH(int, robot);
        QFETCH(QString, text);
        auto v = makeView();
        QVERIFY(v);
        v->splitFilter()->setCurrentIndex(split);
        v->statusFilter()->setCurrentIndex(status);
        v->robotFilter()->setCurrentIndex(robot);
        v->searchBox()->setText(text);
        QTRY_COMPARE(QString::fromStdString(v->listModel()->filter().query.text), text);
        QVERIFY(settle(v.get()));
        // The filter written out here over every sample (not the store's query): split, status,
        // robot among the labels, the text anywhere in the task, caption or source, case aside; by id.
        std::vector<int64_t> expected;
        std::vector<int64_t> histogram(data::robotCount(), 0);
        for (int64_t id : ws_->ids({})) {   // every sample, unfiltered, by id
            const auto s = ws_->get(id);
            QVERIFY(s);
            auto has = [&](const std::string& field) {
                return QString::fromStdString(field).contains(text, Qt::CaseInsensitive);
            };
            if ((split && static_cast<int>(s->split) != split - 1) || (status && static_cast<int>(s->status) != status - 1) ||
                (robot && std::find(s->robots.begin(), s->robots.end(), robot - 1) == s->robots.end()) ||
                (!text.isEmpty() && !has(s->task) && !has(s->caption) && !has(s->source)))
                continue;
            expected.push_back(id);
            for (int r : s->robots)
                ++histogram[static_cast<size_t>(r)];
        }
        const int n = static_cast<int>(expected.size());
        QCOMPARE(v->listModel()->rowCount(), n);
        QCOMPARE(v->countLabel()->text(), QStringLiteral("%1 samples").arg(n));
        QCOMPARE(v->positionLabel()->text(), n ? QStringLiteral("1 / %1").arg(n) : QStringLiteral("no samples"));
        QCOMPARE(v->balanceChart()->counts(), histogram);
        for (int r = 0; r < n; ++r) {
            if (!v->listModel()->idAt(r))   // its page is on its way
                QVERIFY(settle(v.get()));
            QCOMPARE(v->listModel()->idAt(r), expected[static_cast<size_t>(r)]);
        }
    }

    void lazyListOf100kSamples()
    {
        QTemporaryDir big;
        const QString bigDir = big.path() + "/big";
        auto ws = data::Workspace::open(bigDir.toStdString());
        QElapsedTimer t;
        t.start();
        std::vector<data::Sample> v(100000);
        for (size_t i = 0; i < v.size(); ++i) {
            v[i].task = "Inspect item " + std::to_string(i);
            v[i].robots = {static_cast<int>(i % 5)};
            v[i].source = "bulk";
        }
        ws.insertMany(v);
        qInfo("inserted 100,000 samples in %lld ms", static_cast<long long>(t.elapsed()));

        auto store = openStore(bigDir);
        QVERIFY(store);
        AnnotateView view(nullptr);
        t.restart();
        view.setStore(store.get());
        view.resize(1280, 800);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        QVERIFY(settle(&view));
        qInfo("opened and painted 100,000 samples in %lld ms; rows read: %lld", static_cast<long long>(t.elapsed()),
              static_cast<long long>(view.listModel()->rowsFetched()));
        QCOMPARE(view.listModel()->rowCount(), 100000);
        QCOMPARE(view.positionLabel()->text(), QStringLiteral("1 / 100,000"));
        // Only the first page and its neighbour were read to show the first screen (plus the
        // last page and its neighbour: QListView peeks at the last row once while laying out).
        QVERIFY2(view.listModel()->rowsFetched() <= 4 * SampleListModel::kPageSize,
                 qPrintable(QString::number(view.listModel()->rowsFetched())));

        // Scroll through in screen-sized jumps, then to the end: each screen reads the page or
        // two it shows and their neighbours, never the pages in between.
        QScrollBar* sb = view.listView()->verticalScrollBar();
        const int steps = 20;
        for (int i = 1; i <= steps; ++i) {
            sb->setValue(static_cast<int>(static_cast<qint64>(sb->maximum()) * i / steps));
            QCoreApplication::processEvents();
            view.listView()->viewport()->repaint();
            QVERIFY(settle(&view));
        }
        const qint64 read = view.listModel()->rowsFetched();
        qInfo("after %d jumps to the end: %lld rows read, %d pages cached", steps, static_cast<long long>(read),
              view.listModel()->cachedPages());
        QVERIFY(read <= static_cast<qint64>(SampleListModel::kPageSize) * (4 + 4 * steps));
        QVERIFY(view.listModel()->cachedPages() <= SampleListModel::kMaxPages);

        // Keyboard to the last sample, editing there.
        view.goToRow(99999);
        QVERIFY(settle(&view));
        QCOMPARE(view.positionLabel()->text(), QStringLiteral("100,000 / 100,000"));
        view.listView()->setFocus();
        const qint64 last = view.currentId();
        QVERIFY(last > 0);
        key(view.listView(), Qt::Key_2);
        QVERIFY(settle(&view));
        QCOMPARE(ws.get(last)->robots, (std::vector<int>{1, 4}));
        // A filter over 100k: the count comes from the store, rows still a page at a time (the
        // first screen, the kept sample's page at row 20,000, and their neighbours: never 20,001).
        view.robotFilter()->setCurrentIndex(2);
        QVERIFY(settle(&view));
        QCOMPARE(view.listModel()->rowCount(), 20001);
        QCOMPARE(view.currentId(), last);   // the edited sample is still the current one
        QVERIFY2(view.listModel()->rowsFetched() <= 8 * SampleListModel::kPageSize,
                 qPrintable(QString::number(view.listModel()->rowsFetched())));
    }

    void suggestAndAccept()
    {
        auto v = makeView();
        QVERIFY(v);
        v->goToRow(7);
        QVERIFY(settle(v.get()));
        const qint64 id = v->currentId();
        const data::Sample before = *ws_->get(id);
        QSignalSpy done(v.get(), &AnnotateView::backgroundFinished);
        v->suggestCurrent();
        QVERIFY(v->busy());
        QVERIFY(done.wait(120000));
        const Suggestion* s = v->suggestions()->find(id);
        QVERIFY(s);
        QCOMPARE(s->robots.size(), 1);
        QCOMPARE(s->probs.size(), data::robotCount());
        // A distribution over the robots; the suggestion is its most likely one, at that probability.
        const auto top = std::max_element(s->probs.begin(), s->probs.end());
        QVERIFY(std::abs(std::accumulate(s->probs.begin(), s->probs.end(), 0.0) - 1.0) < 1e-5);
        QCOMPARE(s->robots.first(), static_cast<int>(top - s->probs.begin()));
        QCOMPARE(s->confidence, *top);
        QVERIFY(!s->reasoning.isEmpty());   // the model's steps come with it
        // Not a label yet: the store is untouched, the editor shows it apart.
        QCOMPARE(ws_->get(id)->robots, before.robots);
        QVERIFY(v->editor()->acceptButton()->isVisible());
        QVERIFY(v->editor()->robotBox(s->robots.first())->text().contains(QStringLiteral("◆")));

        const int undoBefore = v->undoStack()->count();
        // The premise of the undo check: accepting changes this sample (its label or its steps;
        // seeded, so it holds or never does).
        std::vector<std::string> suggestedSteps;
        for (const QString& step : s->reasoning)
            suggestedSteps.push_back(step.toStdString());
        QVERIFY2(before.robots != std::vector<int>{s->robots.first()} || before.reasoning != suggestedSteps,
                 "row 7 already holds the suggestion: pick another row");
        v->listView()->setFocus();
        key(v->listView(), Qt::Key_A, Qt::ControlModifier | Qt::ShiftModifier);
        QVERIFY(settle(v.get()));
        const data::Sample accepted = *ws_->get(id);
        QCOMPARE(accepted.robots, (std::vector<int>{s->robots.first()}));
        QCOMPARE(static_cast<int>(accepted.reasoning.size()), static_cast<int>(s->reasoning.size()));   // the steps too
        for (int i = 0; i < s->reasoning.size(); ++i)
            QCOMPARE(QString::fromStdString(accepted.reasoning[i]), s->reasoning[i]);
        QVERIFY(v->suggestions()->find(id)->accepted);
        QCOMPARE(v->undoStack()->count(), undoBefore + 1);   // one step for the whole acceptance
        v->undoStack()->undo();
        QVERIFY(settle(v.get()));
        QCOMPARE(ws_->get(id)->robots, before.robots);
        QCOMPARE(ws_->get(id)->reasoning, before.reasoning);
    }

    void batchSuggestSortsAndFilters()
    {
        auto v = makeView();
        QVERIFY(v);
        QSignalSpy done(v.get(), &AnnotateView::backgroundFinished);
        v->suggestFiltered();
        QVERIFY(v->busy());
        QVERIFY(done.wait(300000));
        int withTask = 0;   // samples without a task give the model nothing to answer
        for (const auto& r : ws_->query({}))
            withTask += r.task.empty() ? 0 : 1;
        QCOMPARE(v->suggestions()->size(), withTask);

        v->sortBox()->setCurrentIndex(4);   // confidence, lowest first
        QVERIFY(settle(v.get()));
        QCOMPARE(v->listModel()->rowCount(), kDemo);
        float prev = -1.f;
        for (int r = 0; r < v->suggestions()->size(); ++r) {
            const float c = v->suggestions()->find(v->listModel()->idAt(r))->confidence;
            QVERIFY(c >= prev);
            prev = c;
        }
        v->sortBox()->setCurrentIndex(0);
        v->disagreeFilter()->setChecked(true);
        QVERIFY(settle(v.get()));
        // Disagreeing: a human label, and the suggested robot not among them (the rule, written out here).
        int disagreeing = 0;
        for (int64_t id : ws_->ids({}))
            if (const Suggestion* sg = v->suggestions()->find(id)) {
                const auto human = ws_->get(id)->robots;
                disagreeing += !human.empty() && !sg->robots.isEmpty() &&
                               std::find(human.begin(), human.end(), sg->robots.first()) == human.end();
            }
        QVERIFY(disagreeing > 0);
        QCOMPARE(v->listModel()->rowCount(), disagreeing);
        v->disagreeFilter()->setChecked(false);

        // Cancel stops a batch early: it ends cancelled, with fewer suggestions than samples.
        v->suggestions()->clear();
        done.clear();
        v->suggestFiltered();
        QVERIFY(v->busy());
        v->cancelBackground();
        QTRY_VERIFY_WITH_TIMEOUT(done.count() >= 1, 30000);
        QCOMPARE(done.last().at(0).toBool(), false);
        QTRY_VERIFY_WITH_TIMEOUT(!v->busy(), 30000);
        QVERIFY2(v->suggestions()->size() < withTask, qPrintable(QString::number(v->suggestions()->size())));
    }

    void exportAndImportInTheBackground()
    {
        auto v = makeView();
        QVERIFY(v);
        QSignalSpy done(v.get(), &AnnotateView::backgroundFinished);
        const QString out = dir_.path() + "/out/all.jsonl";
        v->startExport(out, "jsonl", -1);
        QVERIFY(v->busy());
        QVERIFY(done.wait(60000));
        QVERIFY(done.last().at(0).toBool());
        QFile f(out);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QCOMPARE(f.readAll().count('\n'), kDemo);

        QDir().mkpath(dir_.path() + "/pics");
        studio_test::writeImage(dir_.path() + "/pics", "a.png", 120, 90);
        studio_test::writeImage(dir_.path() + "/pics", "b.png", 90, 120);
        const qint64 n = ws_->count();
        v->startImport({dir_.path() + "/pics"});
        QVERIFY(done.wait(60000));
        QVERIFY2(done.last().at(0).toBool(), qPrintable(done.last().at(1).toString()));
        QCOMPARE(ws_->count(), n + 2);
        QVERIFY(settle(v.get()));
        QCOMPARE(v->listModel()->rowCount(), static_cast<int>(n + 2));

        // Issue 26: a LLaVA file whose images live in another folder, and the VQA pair chosen
        // together, in either order; the export formats the dialog offers write what they read.
        QDir().mkpath(dir_.path() + "/coco/train2017");
        studio_test::writeImage(dir_.path() + "/coco/train2017", "000000033471.jpg", 100, 80);
        QFile llava(dir_.path() + "/llava.json");
        QVERIFY(llava.open(QIODevice::WriteOnly));
        llava.write(R"([{"id": "000000033471", "image": "000000033471.jpg", "conversations": [
            {"from": "human", "value": "<image>\nWhat colour is it?"}, {"from": "gpt", "value": "Green."}]}])");
        llava.close();
        v->startImport({llava.fileName()}, {}, dir_.path() + "/coco/train2017");
        QVERIFY(done.wait(60000));
        QVERIFY2(done.last().at(0).toBool(), qPrintable(done.last().at(1).toString()));
        QCOMPARE(ws_->count(), n + 3);
        v->startExport(dir_.path() + "/out/llava.json", "llava", -1);
        QVERIFY(done.wait(60000));
        QVERIFY2(done.last().at(0).toBool(), qPrintable(done.last().at(1).toString()));
        QVERIFY(QFile::exists(dir_.path() + "/out/llava.json"));
    }

    // Issue 26: what a COCO or VQA import brings beyond the editable fields (further reference
    // captions, each question's ten human answers and ids) is shown and survives editing.
    void importedReferencesSurviveEditing()
    {
        auto v = makeView();
        QVERIFY(v);
        v->goToRow(2);
        QVERIFY(settle(v.get()));
        const qint64 id = v->currentId();
        data::Sample s = *ws_->get(id);
        s.moreCaptions = {"A second reference.", "A third reference."};
        QVERIFY(!s.qa.empty());
        s.qa[0].questionId = 4242001;
        s.qa[0].answerType = "other";
        for (int i = 0; i < 10; ++i) s.qa[0].humanAnswers.push_back({i < 6 ? "red" : "dark red", "yes"});
        ws_->update(s);
        v->goToRow(1);
        v->goToRow(2);
        QVERIFY(settle(v.get()));
        QCOMPARE(v->currentId(), id);
        auto* note = v->editor()->findChild<QLabel*>("referencesNote");
        QVERIFY(note && note->isVisibleTo(v.get()));
        QVERIFY2(note->text().contains("A third reference.") && note->text().contains("ten human answers"), qPrintable(note->text()));
        // edit the first answer in the table and the caption: the VQA fields and references stay
        v->editor()->qaTable()->item(0, 1)->setText("crimson");
        QTRY_COMPARE(ws_->get(id)->qa[0].answer, std::string("crimson"));
        const auto after = *ws_->get(id);
        QCOMPARE(after.qa[0].questionId, int64_t(4242001));
        QCOMPARE(after.qa[0].humanAnswers.size(), size_t(10));
        QCOMPARE(after.moreCaptions, s.moreCaptions);
    }

    void storeHooksForAskAndReasoning()
    {
        WorkspaceSamples hooks;
        hooks.setStore(store_.get());
        const QString img = studio_test::writeImage(dir_.path(), "ask.png", 64, 48);
        QFile f(img);
        QVERIFY(f.open(QIODevice::ReadOnly));
        DraftSample d{img, f.readAll(), {}, "What is this?", "A gradient."};
        std::optional<QString> error;
        hooks.addDraftSample(d, [&](const QString& e) { error = e; });
        QVERIFY(!error);   // stored on the worker, not on the GUI thread
        QTRY_VERIFY_WITH_TIMEOUT(error.has_value(), 30000);
        QCOMPARE(*error, QString());
        const auto s = ws_->get(hooks.lastAddedId());
        QVERIFY(s);
        QCOMPARE(s->source, std::string("ask"));
        QVERIFY(s->status == data::Status::Draft);
        QCOMPARE(s->qa.size(), size_t(1));
        QCOMPARE(s->qa[0].answer, std::string("A gradient."));
        QVERIFY(s->image.id != 0);
        QVERIFY(QFile::exists(QString::fromStdString(ws_->absolutePath(s->image.path))));
    }

    // The child types into the task field, then leaves the field ("leave") or only waits one
    // second ("pause"), says READY and is killed -9: the text is in the store.
    void editsSurviveKillingTheProcess_data()
    {
        QTest::addColumn<QString>("mode");
        QTest::newRow("left the field") << "leave";
        QTest::newRow("one second passed") << "pause";
    }

    void editsSurviveKillingTheProcess()
    {
        QFETCH(QString, mode);
        const QString text = " (typed before kill -9, " + mode + ")";
        const qint64 id = runCrashChild(mode, text);
        QVERIFY(id > 0);
        auto reopened = data::Workspace::open(wsDir_.toStdString());
        const auto s = reopened.get(id);
        QVERIFY(s);
        QVERIFY2(QString::fromStdString(s->task).endsWith(text), s->task.c_str());
    }

    // While another process holds the write lock (an import's long transaction), the child's
    // edit cannot reach the database: it is in the edit journal, and the next open applies it.
    void editsSurviveKillingWhileAnotherProcessWrites()
    {
        const QString text = " (typed while the store was locked)";
        auto locker = data::Workspace::open(wsDir_.toStdString());
        std::optional<data::Transaction> lock;
        auto journalHasIt = [this, text] {
            QFile journal(editJournalPath(wsDir_));
            return journal.open(QIODevice::ReadOnly) && journal.readAll().contains(text.toUtf8());
        };
        bool journalled = false;
        // "halves": the first half's batch waits on the lock when the rest is typed; both are journalled.
        const qint64 id = runCrashChild(
            "halves", text, [&] { lock.emplace(locker.database()); },   // BEGIN IMMEDIATE: the write lock, held
            [&] { journalled = journalHasIt(); });   // at READY, 0.2 s after leaving the field: no waiting
        QVERIFY(id > 0);
        QVERIFY(journalled);
        QVERIFY(!QString::fromStdString(locker.get(id)->task).endsWith(text));   // not written: locked
        lock.reset();   // rolled back: the lock is free
        auto store = openStore(wsDir_);   // the studio's next start replays the journal
        QVERIFY(store);
        QVERIFY2(QString::fromStdString(ws_->get(id)->task).endsWith(text), ws_->get(id)->task.c_str());
        QVERIFY(!QFile::exists(editJournalPath(wsDir_)));
    }

    // No view runs an SQLite statement on the GUI thread, whatever the user does: the
    // store's statement wrapper reports every statement with the thread it runs on.
    void guiThreadRunsNoStatement()
    {
        auto v = makeView();
        QVERIFY(v);
        gGuiThread = QThread::currentThread();
        gGuiStatements = 0;
        gWorkerStatements = 0;
        data::setQueryObserver(countGuiStatements);
        v->listView()->setFocus();
        for (int i = 0; i < 5; ++i)
            key(v->listView(), Qt::Key_J);
        key(v->listView(), Qt::Key_K);
        key(v->listView(), Qt::Key_3);                               // a label
        key(v->listView(), Qt::Key_Return, Qt::ControlModifier);    // reviewed, next
        v->editor()->taskEdit()->setFocus();
        QTest::keyClicks(v->editor()->taskEdit(), " typed");
        v->listView()->setFocus();                                   // leaves the field
        v->undoStack()->undo();
        v->splitFilter()->setCurrentIndex(2);
        v->searchBox()->setText("the");
        QTRY_COMPARE(QString::fromStdString(v->listModel()->filter().query.text), QString("the"));   // after the typing pause
        v->sortBox()->setCurrentIndex(2);
        v->listView()->verticalScrollBar()->setValue(v->listView()->verticalScrollBar()->maximum());
        v->searchBox()->clear();
        v->splitFilter()->setCurrentIndex(0);
        v->sortBox()->setCurrentIndex(0);
        QTRY_COMPARE(QString::fromStdString(v->listModel()->filter().query.text), QString());
        v->openSample(v->listModel()->idAt(3));
        const bool settled = settle(v.get());
        v.reset();   // closing flushes through the worker too, and joins it
        QCoreApplication::sendPostedEvents();   // whatever the worker queued to the GUI thread runs now
        QCoreApplication::processEvents();
        const int seen = gGuiStatements;
        ws_->count();   // control: the observer does see a statement on the GUI thread
        const int control = gGuiStatements - seen;
        data::setQueryObserver(nullptr);
        QVERIFY(settled);
        QVERIFY2(seen == 0, qPrintable(QString("%1 statements on the GUI thread, the first: %2")
                                           .arg(seen)
                                           .arg(QString::fromStdString(gFirstGuiStatement))));
        QCOMPARE(control, 1);
        QVERIFY2(gWorkerStatements > 20, qPrintable(QString::number(gWorkerStatements)));   // the actions did reach the store
    }

private:
    static inline QThread* gGuiThread = nullptr;
    static inline std::atomic<int> gGuiStatements{0}, gWorkerStatements{0};
    static inline std::string gFirstGuiStatement;
    static void countGuiStatements(const std::string& sql)
    {
        if (QThread::currentThread() != gGuiThread) {
            ++gWorkerStatements;
            return;
        }
        if (gGuiStatements++ == 0)
            gFirstGuiStatement = sql;
    }

    // Starts annotate_crash_child in `mode`, waits for READY and kills it -9; the sample's id.
    qint64 runCrashChild(const QString& mode, const QString& text, std::function<void()> beforeTyping = {},
                         std::function<void()> afterReady = {})
    {
        QProcess child;
        child.setProgram(QStringLiteral(EMBERVLM_BIN_DIR "/annotate_crash_child"));
        child.setArguments({wsDir_, text, mode});
        child.setProcessEnvironment([] {
            auto e = QProcessEnvironment::systemEnvironment();
            e.insert("QT_QPA_PLATFORM", "offscreen");
            return e;
        }());
        child.start();
        if (!child.waitForStarted(10000))
            return 0;
        auto readLine = [&child] {
            QByteArray out;
            QElapsedTimer t;
            t.start();
            while (!child.canReadLine() && t.elapsed() < 60000)
                child.waitForReadyRead(1000);
            out = child.readLine();
            return out;
        };
        const QByteArray open = readLine();
        if (!open.startsWith("OPEN")) {
            qWarning("child said: %s", open.constData());
            return 0;
        }
        if (beforeTyping)
            beforeTyping();
        child.write("go\n");
        child.waitForBytesWritten(5000);
        const QByteArray out = readLine();
        if (!out.startsWith("READY")) {
            qWarning("child said: %s", out.constData());
            return 0;
        }
        if (afterReady)
            afterReady();
        child.kill();   // SIGKILL: no destructors, no event loop, nothing flushed
        child.waitForFinished(10000);
        if (child.exitStatus() != QProcess::CrashExit)
            return 0;
        return out.mid(6).trimmed().toLongLong();
    }
};

QTEST_MAIN(TestAnnotateView)
#include "test_annotate_view.moc"
