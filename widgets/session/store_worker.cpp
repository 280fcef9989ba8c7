#include "store_worker.h"

#include <QMetaObject>

namespace ember::studio {

namespace data = ember::data;

StoreWorker::StoreWorker(QObject* parent)
    : QObject(parent)
    , home_(new QObject)
{
    static const int registered = qRegisterMetaType<StoreState>();
    (void)registered;
    thread_.setObjectName("store");
    home_->moveToThread(&thread_);
    thread_.start();
}

StoreWorker::~StoreWorker()
{
    // The writes still queued run (an edit posted as the window closed reaches the disk); the
    // reads are skipped, their results would go nowhere. The last call closes the connection on
    // its own thread and ends the thread, after everything queued before it.
    stopping_ = true;
    QMetaObject::invokeMethod(home_, [this] {
        ws_.reset();
        QThread::currentThread()->quit();
    }, Qt::QueuedConnection);
    thread_.wait();
    delete home_;
}

void StoreWorker::open(const QString& dir)
{
    ++generation_;
    dir_ = dir;
    state_ = StoreState{dir};
    ++pending_;
    const int gen = generation_;
    QMetaObject::invokeMethod(home_, [this, dir, gen, hook = openHook_] {
        StoreState st;
        st.dir = dir;
        ws_.reset();
        if (!dir.isEmpty()) {
            try {
                // Migration and the tidy walk of a workspace opened for the first time run here.
                ws_ = data::openSampleStore(dir.toStdString(), kBusyTimeoutMs);
                st.open = true;
                st.readOnly = ws_->readOnly();
                st.samples = ws_->count();
            } catch (const std::exception& e) {
                ws_.reset();
                st.error = QString::fromUtf8(e.what());
            }
            if (ws_ && hook && !st.readOnly) {
                try {
                    hook(*ws_);
                } catch (const std::exception& e) {
                    const QString message = QString::fromUtf8(e.what());
                    QMetaObject::invokeMethod(this, [this, message] { Q_EMIT error(message); }, Qt::QueuedConnection);
                }
            }
        }
        QMetaObject::invokeMethod(this, [this, st, gen] {
            --pending_;
            if (gen != generation_)
                return;   // another open() came after this one
            state_ = st;
            Q_EMIT opened(st);
        }, Qt::QueuedConnection);
    }, Qt::QueuedConnection);
}

void StoreWorker::write(QObject* context, std::function<void(data::SampleStore&)> work, std::function<void()> done,
                        std::function<void(const QString&)> failed)
{
    if (!done)
        done = [] {};
    post(context, std::move(work), std::move(done), std::move(failed), true);
}

void StoreWorker::post(QObject* context, std::function<void(data::SampleStore&)> work, std::function<void()> done,
                       std::function<void(const QString&)> failed, bool isWrite)
{
    ++pending_;
    const int gen = generation_;
    QPointer<QObject> ctx(context);
    QMetaObject::invokeMethod(home_, [this, ctx, gen, isWrite, work = std::move(work), done = std::move(done),
                                      failed = std::move(failed)]() mutable {
        if (stopping_ && !isWrite)
            return;
        QString error;
        if (!ws_)
            error = tr("No workspace is open.");
        else {
            try {
                work(*ws_);
            } catch (const std::exception& e) {
                error = QString::fromUtf8(e.what());
            }
        }
        // Delivered through this object (on the GUI thread): dropped when the worker is gone.
        QMetaObject::invokeMethod(this, [this, ctx, gen, error, done = std::move(done), failed = std::move(failed)] {
            --pending_;
            if (!ctx || gen != generation_)
                return;
            if (error.isEmpty())
                done();
            else if (failed)
                failed(error);
            else
                Q_EMIT this->error(error);
        }, Qt::QueuedConnection);
    }, Qt::QueuedConnection);
}

} // namespace ember::studio
