// embervlm-bench-studio: the Annotate view on a workspace of real-size photographs, as JSON.
//   embervlm-bench-studio --samples N --work DIR [--repeats R] [--type-chars C] [--no-import]
// 1. Writes N photographs (1600×1200 JPEG, ~200 KB; bench/photo_folder.h) to DIR/photos-N and
//    imports them into a new workspace DIR/ws-N the way the studio's Import does (one
//    transaction): images/s and what the workspace adds beyond the image files.
// 2. Opens the studio's Annotate view on it (StoreWorker, offscreen) and measures, with a 5 ms
//    precise timer on the GUI thread (as test_ask_view does), the longest stall while each
//    interaction runs R times: next and previous sample (J/K), a filter change, a text search,
//    scrolling the list by a page; and the time until each is done (for J/K: the picture shows).
// 3. Starts itself as a child that types C characters into a task field while the studio
//    imports 10,000 more photographs into the same workspace, then kills the child with -9
//    while that import still writes, reopens the workspace as the studio does and counts the
//    characters that reached the store. Every SQLite statement on the GUI thread is counted.
// 4. "before": the same interactions as the view did them before the store worker (queries and
//    decodes on the GUI thread), replayed with the same calls and timed.
#include "run_facts.h"
#include "annotate_view.h"
#include "display_image.h"
#include "edit_journal.h"
#include "edit_queue.h"
#include "importers.h"
#include "photo_folder.h"
#include "sample_editor.h"
#include "sample_list_model.h"
#include "sqlite_db.h"
#include "store_worker.h"
#include "workspace.h"

#include <QApplication>
#include <QComboBox>
#include <QElapsedTimer>
#include <QFile>
#include <QLineEdit>
#include <QListView>
#include <QPlainTextEdit>
#include <QProcess>
#include <QScrollBar>
#include <QTimer>
#include <QtTest>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <iostream>

namespace fs = std::filesystem;
namespace data = ember::data;
using ember::studio::AnnotateView;
using ember::studio::StoreWorker;
using nlohmann::json;

namespace {

QThread* gGuiThread = nullptr;
std::atomic<int> gGuiStatements{0};
std::string gFirstGuiStatement;

void countGuiStatements(const std::string& sql)
{
    if (QThread::currentThread() == gGuiThread && gGuiStatements++ == 0)
        gFirstGuiStatement = sql;
}


int64_t folderBytes(const fs::path& p)
{
    int64_t n = 0;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(p, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
        if (it->is_regular_file(ec))
            n += static_cast<int64_t>(it->file_size(ec));
    return n;
}

// The Import of the Annotate view (AnnotateView::startImport), timed: one transaction.
data::ImportReport importFolder(data::Workspace& ws, const std::string& folder)
{
    data::ImportReport total;
    data::Transaction tx(ws.database());
    for (const auto& step : data::planImport({folder}, "")) {
        const auto r = data::importStep(ws, step, {}, {});
        total.imported += r.imported;
        total.skipped += r.skipped;
    }
    tx.commit();
    return total;
}

// The GUI thread's heartbeat: the longest gap between two ticks of a 5 ms precise timer while
// a window is open.
class Heartbeat {
public:
    Heartbeat()
    {
        timer_.setTimerType(Qt::PreciseTimer);
        timer_.setInterval(5);
        QObject::connect(&timer_, &QTimer::timeout, [this] {
            const qint64 now = clock_.nsecsElapsed();
            if (open_ && last_ >= 0)
                worst_ = std::max(worst_, now - last_);
            last_ = now;
        });
        clock_.start();
        timer_.start();
    }
    void begin()
    {
        last_ = clock_.nsecsElapsed();
        worst_ = 0;
        open_ = true;
    }
    // The window's longest stall, in ms (the gap until now counts too).
    double end()
    {
        const qint64 now = clock_.nsecsElapsed();
        worst_ = std::max(worst_, now - last_);
        open_ = false;
        return worst_ / 1e6;
    }
    qint64 nowNs() const { return clock_.nsecsElapsed(); }

private:
    QTimer timer_;
    QElapsedTimer clock_;
    qint64 last_ = -1, worst_ = 0;
    bool open_ = false;
};

// done() may ask for more (reading a row asks for its neighbours' pages): it is called once per
// turn of the event loop, and its first true ends the wait.
bool waitFor(const std::function<bool()>& done, int timeoutMs = 120000)
{
    QElapsedTimer t;
    t.start();
    for (;;) {
        if (done())
            return true;
        if (t.elapsed() >= timeoutMs)
            return false;
        QTest::qWait(1);
    }
}

json summary(std::vector<double> stalls, std::vector<double> latencies)
{
    std::sort(stalls.begin(), stalls.end());
    std::sort(latencies.begin(), latencies.end());
    auto pct = [](const std::vector<double>& v, double p) { return v.empty() ? 0.0 : v[static_cast<size_t>(p * (v.size() - 1))]; };
    auto r1 = [](double x) { return std::round(x * 10) / 10; };
    return {{"repeats", stalls.size()},
            {"longest_stall_ms", r1(stalls.empty() ? 0 : stalls.back())},
            {"median_stall_ms", r1(pct(stalls, 0.5))},
            {"median_ms", r1(pct(latencies, 0.5))},
            {"p95_ms", r1(pct(latencies, 0.95))},
            {"max_ms", r1(latencies.empty() ? 0 : latencies.back())}};
}

// One interaction, repeated: act() starts it, done() says it has finished.
json measure(Heartbeat& hb, int repeats, const std::function<void(int)>& act, const std::function<bool()>& done)
{
    std::vector<double> stalls, latencies;
    for (int i = 0; i < repeats; ++i) {
        QTest::qWait(20);   // the user's pause between two keys
        hb.begin();
        const qint64 t0 = hb.nowNs();
        act(i);
        if (!waitFor(done))
            std::fprintf(stderr, "warning: an interaction did not finish in 120 s\n");
        latencies.push_back((hb.nowNs() - t0) / 1e6);
        QTest::qWait(17);   // the repaint that follows is part of the interaction's stall
        stalls.push_back(hb.end());
    }
    return summary(stalls, latencies);
}

bool visibleRowsLoaded(AnnotateView& v)
{
    QListView* list = v.listView();
    const QModelIndex first = list->indexAt(QPoint(4, 4));
    const QModelIndex last = list->indexAt(QPoint(4, list->viewport()->height() - 4));
    return (!first.isValid() || v.listModel()->idAt(first.row())) && (!last.isValid() || v.listModel()->idAt(last.row()));
}

// As the studio opens a store: what a kill left in the edit journal is applied first.
void replayAtOpen(StoreWorker& store)
{
    store.setOpenHook([](data::SampleStore& s) { ember::studio::replayEditJournal(s); });
}

// The Annotate view over its own store worker, as the studio builds it, shown at 1280×800;
// every SQLite statement on this (the GUI) thread is counted from here on.
struct AnnotateStudio {
    StoreWorker store;
    AnnotateView view{nullptr};
    AnnotateStudio()
    {
        gGuiThread = QThread::currentThread();
        data::setQueryObserver(countGuiStatements);
        replayAtOpen(store);
        view.setStore(&store);
        view.resize(1280, 800);
        view.show();
    }
};

json guiPhase(const QString& wsDir, int repeats)
{
    Heartbeat hb;
    AnnotateStudio studio;
    StoreWorker& store = studio.store;
    AnnotateView& view = studio.view;
    QTest::qWait(300);   // the first paint of an empty view is the same for any workspace

    json out;
    qint64 shownId = 0;
    QObject::connect(&view, &AnnotateView::sampleShown, [&](qint64 id) { shownId = id; });
    hb.begin();
    const qint64 t0 = hb.nowNs();
    store.open(wsDir);
    waitFor([&] { return store.isOpen() && view.settled() && view.currentId() && shownId == view.currentId(); });
    out["open_to_usable_ms"] = std::round((hb.nowNs() - t0) / 1e5) / 10;
    out["open_longest_stall_ms"] = std::round(hb.end() * 10) / 10;
    out["samples_listed"] = view.listModel()->rowCount();

    view.listView()->setFocus();
    auto shown = [&] { return view.settled() && view.currentId() && shownId == view.currentId(); };
    out["next_sample"] = measure(hb, repeats, [&](int) { QTest::keyClick(view.listView(), Qt::Key_J); }, shown);
    out["previous_sample"] = measure(hb, repeats, [&](int) { QTest::keyClick(view.listView(), Qt::Key_K); }, shown);
    out["filter_change"] = measure(
        hb, repeats, [&](int i) { view.splitFilter()->setCurrentIndex(i % 2 ? 0 : 1); }, [&] { return view.settled() && shown(); });
    view.splitFilter()->setCurrentIndex(0);
    waitFor([&] { return view.settled(); });
    // The search box waits for typing to pause (250 ms) before it asks: included in the time.
    out["text_search"] = measure(
        hb, repeats, [&](int i) { view.searchBox()->setText(i % 2 ? QString() : QStringLiteral("photos")); },
        [&] {
            return QString::fromStdString(view.listModel()->filter().query.text) == view.searchBox()->text() && view.settled();
        });
    view.searchBox()->clear();
    waitFor([&] { return view.listModel()->filter().query.text.empty() && view.settled(); });
    QScrollBar* sb = view.listView()->verticalScrollBar();
    out["scroll_page"] = measure(
        hb, repeats, [&](int) { sb->setValue(std::min(sb->maximum(), sb->value() + sb->pageStep())); },
        [&] { return view.settled() && visibleRowsLoaded(view); });
    out["pages_cached"] = view.listModel()->cachedPages();
    data::setQueryObserver(nullptr);
    return out;
}

// What the view did on the GUI thread before the store worker (widgets/ at 2ebbf76), replayed
// with the same store and decoder calls on this thread and timed: each figure is a stall the
// user felt, since the GUI thread did nothing else meanwhile.
json beforePhase(const QString& wsDir, int repeats)
{
    auto ws = data::Workspace::open(wsDir.toStdString(), data::Workspace::Mode::Existing);
    const int visibleRows = 15;   // rows of 48-pixel thumbnails a 800-pixel-high list shows
    auto timed = [](const std::function<void()>& f) {
        QElapsedTimer t;
        t.start();
        f();
        return t.nsecsElapsed() / 1e6;
    };
    auto thumbs = [&](const std::vector<data::SampleRow>& rows) {
        for (size_t i = 0; i < rows.size() && i < static_cast<size_t>(visibleRows); ++i) {
            const std::vector<uint8_t> jpeg = ws.thumbnail(rows[i].imageId);
            QImage img;
            img.loadFromData(jpeg.data(), static_cast<int>(jpeg.size()));
            (void)img.scaled(48, 48, Qt::KeepAspectRatio, Qt::SmoothTransformation);
        }
    };
    auto page = [&](data::SampleQuery q, int64_t offset) {
        q.offset = offset;
        q.limit = ember::studio::SampleListModel::kPageSize;
        return ws.query(q);
    };
    std::vector<double> next, filter, search, scroll;
    data::SampleQuery all;
    const std::vector<data::SampleRow> first = page(all, 0);
    for (int i = 0; i < repeats && i < static_cast<int>(first.size()); ++i)
        next.push_back(timed([&] {   // showSample: the row, then the full-size picture
            const auto s = ws.get(first[static_cast<size_t>(i)].id);
            if (s && s->image.id)
                (void)ember::studio::loadDisplayImage(QString::fromStdString(ws.absolutePath(s->image.path)));
        }));
    for (int i = 0; i < repeats; ++i) {
        data::SampleQuery q;
        if (i % 2 == 0)
            q.split = data::Split::None;
        filter.push_back(timed([&] {   // reload: count, histogram, the first page and its thumbnails
            (void)ws.count(q);
            (void)ws.labelHistogram(q);
            thumbs(page(q, 0));
        }));
        data::SampleQuery t;
        t.text = i % 2 ? "" : "photos";
        search.push_back(timed([&] {
            (void)ws.count(t);
            (void)ws.labelHistogram(t);
            thumbs(page(t, 0));
        }));
        scroll.push_back(timed([&] { thumbs(page(all, (i + 1) * ember::studio::SampleListModel::kPageSize)); }));
    }
    // Typing: every keystroke was its own write transaction on the GUI thread, waiting up to
    // the connection's 10 s busy timeout while another process (an import) held the write lock.
    double keystroke = 0;
    bool lost = false;
    {
        auto importer = data::Workspace::open(wsDir.toStdString(), data::Workspace::Mode::Existing);
        data::Transaction lock(importer.database());
        keystroke = timed([&] {
            try {
                auto s = ws.get(first.front().id);
                s->task += "x";
                ws.update(*s);
            } catch (const std::exception&) {
                lost = true;   // "database is locked": the character never reached the store
            }
        });
    }
    return {{"note", "the old view's GUI-thread calls, replayed and timed"},
            {"next_sample", summary(next, next)},
            {"filter_change", summary(filter, filter)},
            {"text_search", summary(search, search)},
            {"scroll_page", summary(scroll, scroll)},
            {"keystroke_during_import_ms", std::round(keystroke)},
            {"keystroke_during_import_lost", lost}};
}

// The child: imports extra photos in the studio's background job while typing into the task
// field; says what it typed and is killed -9 by the parent while the import still writes.
int typingChild(const QString& wsDir, const QString& extraPhotos, int chars)
{
    Heartbeat hb;
    AnnotateStudio studio;
    StoreWorker& store = studio.store;
    AnnotateView& view = studio.view;
    store.open(wsDir);
    waitFor([&] { return store.isOpen() && view.settled() && view.currentId(); });
    view.startImport({extraPhotos});
    QTest::qWait(1500);   // the import has the write lock
    QPlainTextEdit* task = view.editor()->taskEdit();
    task->setFocus();
    task->moveCursor(QTextCursor::End);
    QString typed;
    for (int i = 0; i < chars; ++i)
        typed += QChar('a' + (i * 7) % 26);
    std::vector<double> stalls;
    hb.begin();
    for (const QChar c : typed) {
        QTest::keyClick(task, c.toLatin1());
        QTest::qWait(20);   // a fast typist: 50 characters a second
    }
    view.listView()->setFocus();   // leaves the field
    QTest::qWait(300);
    const double stall = hb.end();
    json out{{"typed", typed.toStdString()},
             {"sample", view.currentId()},
             {"longest_stall_ms", std::round(stall * 10) / 10},
             {"import_still_running", view.busy()},
             {"gui_thread_statements", gGuiStatements.load()}};
    std::printf("%s\n", out.dump().c_str());
    std::fflush(stdout);
    for (;;)
        QTest::qWait(1000);   // killed here
}

json typingPhase(const QString& self, const QString& wsDir, const QString& extraPhotos, int chars)
{
    QProcess child;
    child.setProgram(self);
    child.setArguments({"--typing-child", wsDir, extraPhotos, QString::number(chars)});
    child.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    child.start();
    child.waitForStarted(10000);
    QByteArray line;
    QElapsedTimer t;
    t.start();
    while (!line.contains('\n') && t.elapsed() < 300000) {
        child.waitForReadyRead(1000);
        line += child.readAllStandardOutput();
    }
    child.kill();   // SIGKILL while the import still holds the write lock
    child.waitForFinished(10000);
    json said = json::parse(line.toStdString(), nullptr, false);
    if (said.is_discarded())
        return {{"error", "the typing child said: " + line.toStdString()}};
    // The studio's next start: opening replays what the lock kept out of the database.
    {
        StoreWorker store;
        replayAtOpen(store);
        QSignalSpy opened(&store, &StoreWorker::opened);
        store.open(wsDir);
        opened.wait(120000);
    }
    auto ws = data::Workspace::open(wsDir.toStdString(), data::Workspace::Mode::Existing);
    const auto s = ws.get(said["sample"].get<int64_t>());
    const std::string typed = said["typed"];
    const std::string task = s ? s->task : "";
    const bool kept = task.size() >= typed.size() && task.compare(task.size() - typed.size(), typed.size(), typed) == 0;
    said.erase("typed");
    said["characters"] = typed.size();
    said["characters_kept_after_kill9"] = kept ? typed.size() : 0;
    said["child_exit"] = child.exitStatus() == QProcess::CrashExit ? "killed" : "exited";
    return said;
}

} // namespace

int main(int argc, char** argv)
{
    if (!qEnvironmentVariableIsSet("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    const QStringList args = app.arguments();
    if (args.size() >= 5 && args[1] == "--typing-child")
        return typingChild(args[2], args[3], args[4].toInt());

    int64_t samples = 10000;
    QString work = "/tmp/embervlm-bench-studio";
    int repeats = 50, chars = 200;
    int64_t extraPhotos = 10000;   // imported while the typing child types
    bool doImport = true;
    for (int i = 1; i < args.size(); ++i) {
        const bool more = i + 1 < args.size();
        if (args[i] == "--samples" && more) samples = args[++i].toLongLong();
        else if (args[i] == "--work" && more) work = args[++i];
        else if (args[i] == "--repeats" && more) repeats = args[++i].toInt();
        else if (args[i] == "--type-chars" && more) chars = args[++i].toInt();
        else if (args[i] == "--no-import") doImport = false;   // measure the workspace the last run made
        else if (args[i] == "--quick") {   // every phase, small: a minute, for CI and a first look
            samples = 200;
            repeats = 5;
            chars = 20;
            extraPhotos = 300;
        }
        else {
            std::fprintf(stderr, "usage: embervlm-bench-studio --samples N --work DIR [--repeats R] [--type-chars C] [--no-import] [--quick]\n");
            return 2;
        }
    }
    const fs::path root = work.toStdString();
    const std::string tag = std::to_string(samples);
    const fs::path wsDir = root / ("ws-" + tag);
    const json facts = ember::runFacts();
    json out{{"bench", "studio"}, {"samples", samples}, {"cpu", facts["cpu"]}, {"cores", facts["cores"]},
             {"extra_photos", extraPhotos}, {"run", facts}};
    try {
        std::fprintf(stderr, "writing %lld photographs…\n", static_cast<long long>(samples));
        const auto photos = ember::bench::makePhotoFolder((root / ("photos-" + tag)).string(), samples, "main");
        const auto extra = ember::bench::makePhotoFolder((root / ("photos-extra-" + std::to_string(extraPhotos))).string(),
                                                         extraPhotos, "extra");
        out["photos"] = {{"files", photos.files}, {"mean_bytes", photos.bytes / std::max<int64_t>(1, photos.files)},
                         {"width", 1600}, {"height", 1200}};
        if (doImport) {
            std::error_code ec;
            fs::remove_all(wsDir, ec);
            auto ws = data::Workspace::open(wsDir.string());
            std::fprintf(stderr, "importing…\n");
            QElapsedTimer t;
            t.start();
            const auto r = importFolder(ws, photos.dir);
            const double s = t.elapsed() / 1000.0;
            const int64_t images = folderBytes(wsDir / "images");
            const int64_t all = folderBytes(wsDir);
            out["import"] = {{"imported", r.imported}, {"seconds", std::round(s * 10) / 10},
                             {"images_per_s", std::round(r.imported / s * 10) / 10}, {"source_bytes", photos.bytes},
                             {"images_dir_bytes", images}, {"workspace_bytes", all},
                             {"overhead_bytes", all - images},
                             {"overhead_pct_of_images", std::round(1000.0 * (all - images) / std::max<int64_t>(1, images)) / 10}};
        }
        std::fprintf(stderr, "replaying the old view's GUI-thread work…\n");
        out["before"] = beforePhase(QString::fromStdString(wsDir.string()), repeats);
        std::fprintf(stderr, "measuring the Annotate view…\n");
        out["annotate"] = guiPhase(QString::fromStdString(wsDir.string()), repeats);
        std::fprintf(stderr, "typing while %lld photographs import…\n", static_cast<long long>(extraPhotos));
        out["typing_during_import"] = typingPhase(app.applicationFilePath(), QString::fromStdString(wsDir.string()),
                                                  QString::fromStdString(extra.dir), chars);
        out["gui_thread_statements"] = gGuiStatements.load();
        if (gGuiStatements)
            out["first_gui_thread_statement"] = gFirstGuiStatement;
    } catch (const std::exception& e) {
        out["error"] = e.what();
        std::printf("%s\n", out.dump().c_str());
        return 1;
    }
    std::printf("%s\n", out.dump().c_str());
    return 0;
}
