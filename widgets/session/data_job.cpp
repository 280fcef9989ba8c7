#include "data_job.h"

#include "studio_log.h"

#include <QPointer>

namespace ember::studio {

DataJob* DataJob::start(const QString& dir, Work work, QObject* parent)
{
    const std::string d = dir.toStdString();
    return start(
        [d, work = std::move(work)](const ember::data::Progress& p) {
            auto ws = ember::data::Workspace::open(d);
            return work(ws, p);
        },
        parent);
}

DataJob* DataJob::start(Task task, QObject* parent)
{
    auto* job = new DataJob(parent);
    job->thread_ = QThread::create([job, task = std::move(task)] {
        bool ok = false, cancelled = false;
        QString msg;
        int lastPermille = -1;
        ember::data::Progress p = [job, &lastPermille](int64_t done, int64_t total) {
            // Coalesced: at most a thousand signals per job, whatever the item count.
            const int pm = total > 0 ? static_cast<int>(done * 1000 / total) : 0;
            if (pm != lastPermille) {
                lastPermille = pm;
                Q_EMIT job->progress(done, total);
            }
            return !job->cancel_.load();
        };
        try {
            msg = task(p);
            ok = true;
        } catch (const ember::data::Cancelled&) {
            cancelled = true;
            msg = QObject::tr("Cancelled; nothing was changed.");
        } catch (const std::exception& e) {
            msg = QString::fromUtf8(e.what());
        }
        if (job->cancel_.load() && !ok)
            cancelled = true;
        if (ok)
            qCInfo(lcData).noquote() << "job finished:" << msg;
        else
            qCWarning(lcData).noquote() << (cancelled ? "job cancelled:" : "job failed:") << msg;
        Q_EMIT job->finished(ok, cancelled, msg);
    });
    connect(job, &DataJob::finished, job, &QObject::deleteLater, Qt::QueuedConnection);
    job->thread_->start();
    return job;
}

DataJob::~DataJob()
{
    if (thread_) {
        cancel_ = true;   // the parent is going: stop at the next progress report and wait
        thread_->wait();
        delete thread_;
    }
}

} // namespace ember::studio
