#pragma once
// The studio's only door to a workspace's store, as EngineWorker is to the model: one object on
// its own QThread owns the workspace's SQLite connection, and every read, write and thumbnail
// decode of the views runs there. The GUI thread posts a function and gets its result back as a
// queued call on a context object (dropped when that object is gone); it never waits, not even
// for opening (migration and tidy run on the worker too).
//
// Calls run in the order they were posted, so a write posted before a read is seen by it.
// The views only ever see `read`/`write` with functions of a data::SampleStore: a second backend
// (a team's server database) is one more SampleStore behind data::openSampleStore().
#include "sample_store.h"

#include <QObject>
#include <QPointer>
#include <QString>
#include <QThread>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>

namespace ember::studio {

// What opening found: the folder, whether it opened, and why not.
struct StoreState {
    QString dir;
    bool open = false;
    bool readOnly = false;
    qint64 samples = 0;
    QString error;
};

class StoreWorker final : public QObject {
    Q_OBJECT
public:
    explicit StoreWorker(QObject* parent = nullptr);
    ~StoreWorker() override;   // finishes the call that runs, drops the queued ones, joins

    // Opens (creating) dir on the worker; opened() follows. An empty dir closes.
    void open(const QString& dir);
    // Runs on the worker right after each open, before any call (e.g. the edit journal's
    // replay); what it throws is reported through error() and the workspace stays open.
    void setOpenHook(std::function<void(ember::data::SampleStore&)> hook) { openHook_ = std::move(hook); }
    // A statement waits this long for another process's write lock (an import) before the
    // call fails as busy; short, because reads queued behind it must not wait long.
    static constexpr int kBusyTimeoutMs = 250;
    // The folder asked for last (empty: none), known on the GUI thread at once.
    QString dir() const { return dir_; }
    bool isOpen() const { return state_.open; }
    bool readOnly() const { return state_.readOnly; }
    // Bumped by each open(): a result computed for an older workspace is not delivered.
    int generation() const { return generation_; }

    // work(ws) on the worker; done(result) on context's thread unless context is gone or another
    // workspace opened meanwhile. An exception (or no open workspace) calls failed(message)
    // instead, or emits error() when failed is empty.
    template <class R>
    void read(QObject* context, std::function<R(ember::data::SampleStore&)> work, std::function<void(R)> done,
              std::function<void(const QString&)> failed = {})
    {
        call<R>(false, context, std::move(work), std::move(done), std::move(failed));
    }
    // As read(), for work that writes: it still runs when the worker is closing (an edit posted
    // as the window closes reaches the disk).
    template <class R>
    void update(QObject* context, std::function<R(ember::data::SampleStore&)> work, std::function<void(R)> done,
                std::function<void(const QString&)> failed = {})
    {
        call<R>(true, context, std::move(work), std::move(done), std::move(failed));
    }
    // work(ws) on the worker; done() (when given) on context's thread afterwards.
    void write(QObject* context, std::function<void(ember::data::SampleStore&)> work, std::function<void()> done = {},
               std::function<void(const QString&)> failed = {});

    // Calls posted and not finished yet (tests wait for 0; the studio never does).
    int pending() const { return pending_.load(); }

Q_SIGNALS:
    void opened(const ember::studio::StoreState& state);
    // A call failed and its caller gave no failed function.
    void error(const QString& message);

private:
    template <class R>
    void call(bool isWrite, QObject* context, std::function<R(ember::data::SampleStore&)> work, std::function<void(R)> done,
              std::function<void(const QString&)> failed)
    {
        auto result = std::make_shared<std::optional<R>>();
        post(
            context, [work = std::move(work), result](ember::data::SampleStore& ws) { *result = work(ws); },
            [done = std::move(done), result] { done(std::move(**result)); }, std::move(failed), isWrite);
    }
    void post(QObject* context, std::function<void(ember::data::SampleStore&)> work, std::function<void()> done,
              std::function<void(const QString&)> failed, bool isWrite);

    QThread thread_;
    QObject* home_;   // lives on thread_: posted calls run in its event queue
    std::unique_ptr<ember::data::SampleStore> ws_;   // touched on thread_ only
    QString dir_;
    StoreState state_;
    std::function<void(ember::data::SampleStore&)> openHook_;
    int generation_ = 0;
    std::atomic<int> pending_{0};
    std::atomic<bool> stopping_{false};
};

} // namespace ember::studio

Q_DECLARE_METATYPE(ember::studio::StoreState)
