#include "sample_list_model.h"

#include "store_worker.h"

#include <QColor>
#include <QImage>

#include <algorithm>

namespace ember::studio {

namespace data = ember::data;

namespace {

data::SampleRow toRow(const data::Sample& s)
{
    data::SampleRow r;
    r.id = s.id;
    r.uid = s.uid;
    r.task = s.task;
    r.caption = s.caption;
    r.robots = s.robots;
    r.split = s.split;
    r.status = s.status;
    r.source = s.source;
    r.imageId = s.image.id;
    r.imagePath = s.image.path;
    r.modified = s.modified;
    r.derivedFrom = s.derivedFrom;
    return r;
}

QString shortRobots(const std::vector<int>& robots)
{
    QStringList l;
    for (int r : robots)
        l << QString::fromStdString(data::robotName(r));
    return l.join(", ");
}

// The filter's ids in the order the list shows them (on the store's thread): samples with a
// suggestion first, sorted by it, then the rest in store order.
std::vector<int64_t> orderedIds(data::SampleStore& ws, const ListFilter& filter, const QHash<qint64, Suggestion>& sugg,
                                data::SampleQuery q)
{
    const std::vector<int64_t> all = ws.ids(q);
    // Only suggested samples need their labels; they are few next to the whole store.
    QHash<qint64, std::vector<int>> human;
    auto labels = [&](int64_t id) -> const std::vector<int>& {
        auto it = human.find(id);
        if (it == human.end()) {
            auto s = ws.get(id);
            it = human.insert(id, s ? s->robots : std::vector<int>{});
        }
        return it.value();
    };
    auto find = [&](int64_t id) -> const Suggestion* {
        auto it = sugg.find(id);
        return it == sugg.end() ? nullptr : &it.value();
    };
    std::vector<int64_t> suggested, rest;
    for (int64_t id : all) {
        const Suggestion* s = find(id);
        if (filter.disagreeOnly && (!s || !Suggestions::disagrees(*s, labels(id))))
            continue;
        (s ? suggested : rest).push_back(id);
    }
    if (filter.modelSort == ListFilter::ModelSort::Confidence) {
        // Least confident first: those are the ones worth a human look.
        std::stable_sort(suggested.begin(), suggested.end(),
                         [&](int64_t a, int64_t b) { return find(a)->confidence < find(b)->confidence; });
    } else if (filter.modelSort == ListFilter::ModelSort::Disagreement) {
        QHash<qint64, float> d;
        for (int64_t id : suggested)
            d.insert(id, Suggestions::disagreement(*find(id), labels(id)));
        std::stable_sort(suggested.begin(), suggested.end(), [&](int64_t a, int64_t b) { return d.value(a) > d.value(b); });
    }
    if (filter.query.descending && filter.modelSort != ListFilter::ModelSort::None)
        std::reverse(suggested.begin(), suggested.end());
    suggested.insert(suggested.end(), rest.begin(), rest.end());   // unsuggested ones after, in store order
    return suggested;
}

std::vector<data::SampleRow> rowsByIds(data::SampleStore& ws, const std::vector<int64_t>& ids)
{
    std::vector<data::SampleRow> rows;
    rows.reserve(ids.size());
    for (int64_t id : ids) {
        if (auto s = ws.get(id)) {
            rows.push_back(toRow(*s));
        } else {   // removed meanwhile (another window): keep the row count stable
            data::SampleRow gone;
            gone.id = id;
            gone.task = "(removed)";
            rows.push_back(gone);
        }
    }
    return rows;
}

// What a reload brings back in one call: the count, the first page, and (id mode) the ids.
struct FirstPage {
    int64_t count = 0;
    std::vector<data::SampleRow> rows;
    std::vector<int64_t> ids;
};

} // namespace

SampleListModel::SampleListModel(Suggestions* suggestions, QObject* parent)
    : QAbstractListModel(parent)
    , suggestions_(suggestions)
    , placeholder_(kThumbSide, kThumbSide)
{
    // A grey square while a thumbnail is on its way: rows keep their height, nothing jumps.
    placeholder_.fill(QColor(232, 232, 232));
}

void SampleListModel::setStore(StoreWorker* store)
{
    store_ = store;
    thumbs_.clear();
    thumbsRequested_.clear();
    reload();
}

void SampleListModel::setFilter(const ListFilter& f)
{
    filter_ = f;
    reload();
}

data::SampleQuery SampleListModel::countQuery() const
{
    data::SampleQuery q = filter_.query;
    q.offset = 0;
    q.limit = -1;
    return q;
}

void SampleListModel::reload()
{
    const int epoch = ++epoch_;
    requested_.clear();
    auto resetTo = [this](qint64 count, std::vector<int64_t> ids, bool idMode, std::vector<data::SampleRow> first) {
        beginResetModel();
        pages_.clear();
        lru_.clear();
        requested_.clear();
        rowsFetched_ = static_cast<qint64>(first.size());
        ids_ = std::move(ids);
        idMode_ = idMode;
        count_ = count;
        if (!first.empty()) {
            pages_.insert(0, std::move(first));
            lru_.append(0);
        }
        loading_ = false;
        endResetModel();
        if (!pages_.isEmpty())
            requestThumbnails(0);
        Q_EMIT loaded();
    };
    if (!store_ || !store_->isOpen()) {
        resetTo(0, {}, false, {});
        return;
    }
    loading_ = true;
    auto failed = [this, epoch](const QString&) {
        if (epoch == epoch_) {   // a busy or vanished store: the list keeps what it showed
            loading_ = false;
            Q_EMIT loaded();
        }
    };
    const data::SampleQuery q = countQuery();
    if (filter_.usesSuggestions()) {
        store_->read<FirstPage>(
            this,
            [q, f = filter_, sugg = suggestions_->snapshot()](data::SampleStore& ws) {
                FirstPage r;
                r.ids = orderedIds(ws, f, sugg, q);
                r.count = static_cast<int64_t>(r.ids.size());
                const size_t n = std::min<size_t>(r.ids.size(), kPageSize);
                r.rows = rowsByIds(ws, std::vector<int64_t>(r.ids.begin(), r.ids.begin() + static_cast<ptrdiff_t>(n)));
                return r;
            },
            [epoch, resetTo, this](FirstPage r) {
                if (epoch == epoch_)
                    resetTo(r.count, std::move(r.ids), true, std::move(r.rows));
            },
            failed);
    } else {
        store_->read<FirstPage>(
            this,
            [q](data::SampleStore& ws) {
                FirstPage r;
                r.count = ws.count(q);
                data::SampleQuery first = q;
                first.limit = kPageSize;
                r.rows = ws.query(first);
                return r;
            },
            [this, epoch, resetTo](FirstPage r) {
                if (epoch == epoch_)
                    resetTo(r.count, {}, false, std::move(r.rows));
            },
            failed);
    }
}

void SampleListModel::requestPage(int p) const
{
    if (p < 0 || static_cast<qint64>(p) * kPageSize >= count_ || pages_.contains(p) || requested_.contains(p) || !store_)
        return;
    requested_.insert(p);
    auto* self = const_cast<SampleListModel*>(this);   // the cache fills from a const data()
    const int epoch = epoch_;
    const qint64 first = static_cast<qint64>(p) * kPageSize;
    std::function<std::vector<data::SampleRow>(data::SampleStore&)> work;
    if (idMode_) {
        const qint64 last = std::min<qint64>(first + kPageSize, static_cast<qint64>(ids_.size()));
        std::vector<int64_t> ids(ids_.begin() + first, ids_.begin() + last);
        work = [ids](data::SampleStore& ws) { return rowsByIds(ws, ids); };
    } else {
        data::SampleQuery q = countQuery();
        q.offset = first;
        q.limit = kPageSize;
        work = [q](data::SampleStore& ws) { return ws.query(q); };
    }
    store_->read<std::vector<data::SampleRow>>(
        self, std::move(work),
        [self, epoch, p](std::vector<data::SampleRow> rows) {
            if (epoch == self->epoch_)
                self->storePage(p, std::move(rows));
        },
        [self, epoch, p](const QString&) {
            if (epoch == self->epoch_)
                self->requested_.remove(p);   // busy: asked again when the row is painted again
        });
}

void SampleListModel::storePage(int p, std::vector<data::SampleRow> rows)
{
    requested_.remove(p);
    rowsFetched_ += static_cast<qint64>(rows.size());
    while (lru_.size() >= kMaxPages)
        pages_.remove(lru_.takeFirst());
    lru_.append(p);
    const int n = static_cast<int>(rows.size());
    pages_.insert(p, std::move(rows));
    if (n == 0)
        return;
    const int first = p * kPageSize;
    Q_EMIT dataChanged(index(first), index(first + n - 1));
    requestThumbnails(p);
    Q_EMIT rowsArrived(first, first + n - 1);
}

void SampleListModel::requestThumbnails(int p)
{
    auto it = pages_.find(p);
    if (it == pages_.end() || !store_)
        return;
    std::vector<int64_t> want;
    for (const auto& r : it.value())
        if (r.imageId != 0 && !thumbs_.contains(r.imageId) && !thumbsRequested_.contains(r.imageId)) {
            want.push_back(r.imageId);
            thumbsRequested_.insert(r.imageId);
        }
    if (want.empty())
        return;
    using Thumbs = std::vector<std::pair<int64_t, QImage>>;
    const int epoch = epoch_;
    store_->read<Thumbs>(
        this,
        [want](data::SampleStore& ws) {
            Thumbs out;
            out.reserve(want.size());
            for (int64_t id : want) {
                const std::vector<uint8_t> jpeg = ws.thumbnail(id);
                QImage img;
                img.loadFromData(jpeg.data(), static_cast<int>(jpeg.size()));
                if (!img.isNull())
                    img = img.scaled(kThumbSide, kThumbSide, Qt::KeepAspectRatio, Qt::SmoothTransformation);
                out.emplace_back(id, std::move(img));
            }
            return out;
        },
        [this, p, epoch](Thumbs thumbs) {
            for (auto& [id, img] : thumbs) {
                thumbsRequested_.remove(id);
                auto* pm = new QPixmap(QPixmap::fromImage(img));
                thumbs_.insert(id, pm, std::max(1, pm->width() * pm->height() * 4));
            }
            if (epoch != epoch_ || !pages_.contains(p))
                return;
            const int first = p * kPageSize;
            const int n = static_cast<int>(pages_.value(p).size());
            if (n > 0)
                Q_EMIT dataChanged(index(first), index(first + n - 1), {Qt::DecorationRole});
        },
        [this, want](const QString&) {
            for (int64_t id : want)
                thumbsRequested_.remove(id);
        });
}

const std::vector<data::SampleRow>* SampleListModel::page(int p) const
{
    auto it = pages_.find(p);
    if (it == pages_.end()) {
        requestPage(p);
        return nullptr;
    }
    if (lru_.isEmpty() || lru_.last() != p) {
        lru_.removeOne(p);
        lru_.append(p);
    }
    // Ahead of the viewport: the neighbours are on their way before the user gets there.
    requestPage(p + 1);
    requestPage(p - 1);
    return &it.value();
}

int SampleListModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(count_);
}

const data::SampleRow* SampleListModel::rowAt(int row) const
{
    if (row < 0 || row >= count_)
        return nullptr;
    const auto* pg = page(row / kPageSize);
    const size_t i = static_cast<size_t>(row % kPageSize);
    return pg && i < pg->size() ? &(*pg)[i] : nullptr;
}

qint64 SampleListModel::idAt(int row) const
{
    if (idMode_ && row >= 0 && row < count_)
        return ids_[static_cast<size_t>(row)];
    const auto* r = rowAt(row);
    return r ? r->id : 0;
}

int SampleListModel::rowOf(qint64 id) const
{
    if (idMode_) {
        auto it = std::find(ids_.begin(), ids_.end(), id);
        return it == ids_.end() ? -1 : static_cast<int>(it - ids_.begin());
    }
    for (auto it = pages_.begin(); it != pages_.end(); ++it)
        for (size_t i = 0; i < it.value().size(); ++i)
            if (it.value()[i].id == id)
                return it.key() * kPageSize + static_cast<int>(i);
    return -1;
}

void SampleListModel::locate(qint64 id, std::function<void(int row)> done)
{
    const int known = rowOf(id);
    if (known >= 0 || idMode_ || !store_ || !store_->isOpen()) {
        done(known);
        return;
    }
    const int epoch = epoch_;
    store_->read<int>(
        this,
        [q = countQuery(), id](data::SampleStore& ws) {
            const std::vector<int64_t> ids = ws.ids(q);
            auto it = std::find(ids.begin(), ids.end(), id);
            return it == ids.end() ? -1 : static_cast<int>(it - ids.begin());
        },
        [this, epoch, done](int row) { done(epoch == epoch_ ? row : -1); }, [done](const QString&) { done(-1); });
}

void SampleListModel::refreshSample(qint64 id)
{
    if (rowOf(id) < 0 || !store_)
        return;
    const int epoch = epoch_;
    store_->read<std::optional<data::Sample>>(
        this, [id](data::SampleStore& ws) { return ws.get(id); },
        [this, epoch, id](std::optional<data::Sample> s) {
            const int row = rowOf(id);
            if (epoch != epoch_ || row < 0 || !s)
                return;
            auto it = pages_.find(row / kPageSize);
            if (it == pages_.end())
                return;
            it.value()[static_cast<size_t>(row % kPageSize)] = toRow(*s);
            const QModelIndex i = index(row);
            Q_EMIT dataChanged(i, i);
        },
        [](const QString&) {});
}

QPixmap SampleListModel::thumbnail(const data::SampleRow& r) const
{
    if (r.imageId == 0)
        return {};
    if (QPixmap* p = thumbs_.object(r.imageId))
        return *p;
    return placeholder_;   // asked for when its page arrived
}

QVariant SampleListModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid())
        return {};
    if (role == IdRole)
        return idAt(index.row());
    const data::SampleRow* r = rowAt(index.row());
    if (!r) {
        if (role == Qt::DisplayRole)
            return tr("…\n ");   // two lines, as a loaded row: the list does not jump
        if (role == Qt::DecorationRole)
            return placeholder_;
        return {};
    }
    switch (role) {
    case Qt::DisplayRole: {
        QString task = QString::fromStdString(r->task).simplified();
        if (task.isEmpty())
            task = QString::fromStdString(r->caption).simplified();
        if (task.size() > 90)
            task = task.left(88) + "…";
        const QString robots = r->robots.empty() ? tr("no robot") : shortRobots(r->robots);
        const QString split = r->split == data::Split::None ? tr("no split") : QString::fromStdString(data::toString(r->split));
        const QString mark = r->status == data::Status::Reviewed ? QStringLiteral("✓ ") : QString();
        const QString sug = suggestions_->find(r->id) ? QStringLiteral("  ◆") : QString();
        return QStringLiteral("%1#%2  %3\n%4 · %5%6").arg(mark).arg(r->id).arg(task, robots, split, sug);
    }
    case Qt::DecorationRole:
        return thumbnail(*r);
    case Qt::ToolTipRole:
        return QString::fromStdString(r->task + "\n" + r->source);
    case Qt::ForegroundRole:
        return r->status == data::Status::Reviewed ? QVariant(QColor(30, 120, 60)) : QVariant();
    case StatusRole:
        return static_cast<int>(r->status);
    case RobotsRole: {
        QVariantList l;
        for (int x : r->robots)
            l << x;
        return l;
    }
    default:
        return {};
    }
}

} // namespace ember::studio
