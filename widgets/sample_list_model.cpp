#include "sample_list_model.h"

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

} // namespace

SampleListModel::SampleListModel(Suggestions* suggestions, QObject* parent)
    : QAbstractListModel(parent)
    , suggestions_(suggestions)
{
}

void SampleListModel::setWorkspace(data::Workspace* ws)
{
    ws_ = ws;
    thumbs_.clear();
    reload();
}

void SampleListModel::setFilter(const ListFilter& f)
{
    filter_ = f;
    reload();
}

void SampleListModel::reload()
{
    beginResetModel();
    pages_.clear();
    lru_.clear();
    rowsFetched_ = 0;
    ids_.clear();
    idMode_ = ws_ && filter_.usesSuggestions();
    if (!ws_) {
        count_ = 0;
    } else if (idMode_) {
        rebuildIds();
        count_ = static_cast<qint64>(ids_.size());
    } else {
        data::SampleQuery q = filter_.query;
        q.offset = 0;
        q.limit = -1;
        count_ = ws_->count(q);
    }
    endResetModel();
}

void SampleListModel::rebuildIds()
{
    data::SampleQuery q = filter_.query;
    q.offset = 0;
    q.limit = -1;
    const std::vector<int64_t> all = ws_->ids(q);
    // Only suggested samples need their labels; they are few next to the whole store.
    QHash<qint64, std::vector<int>> human;
    auto labels = [&](int64_t id) -> const std::vector<int>& {
        auto it = human.find(id);
        if (it == human.end()) {
            auto s = ws_->get(id);
            it = human.insert(id, s ? s->robots : std::vector<int>{});
        }
        return it.value();
    };
    std::vector<int64_t> suggested, rest;
    for (int64_t id : all) {
        const Suggestion* s = suggestions_->find(id);
        if (filter_.disagreeOnly && (!s || !Suggestions::disagrees(*s, labels(id))))
            continue;
        (s ? suggested : rest).push_back(id);
    }
    if (filter_.modelSort == ListFilter::ModelSort::Confidence) {
        // Least confident first: those are the ones worth a human look.
        std::stable_sort(suggested.begin(), suggested.end(), [&](int64_t a, int64_t b) {
            return suggestions_->find(a)->confidence < suggestions_->find(b)->confidence;
        });
    } else if (filter_.modelSort == ListFilter::ModelSort::Disagreement) {
        QHash<qint64, float> d;
        for (int64_t id : suggested)
            d.insert(id, Suggestions::disagreement(*suggestions_->find(id), labels(id)));
        std::stable_sort(suggested.begin(), suggested.end(), [&](int64_t a, int64_t b) { return d.value(a) > d.value(b); });
    }
    if (filter_.query.descending && filter_.modelSort != ListFilter::ModelSort::None)
        std::reverse(suggested.begin(), suggested.end());
    ids_ = std::move(suggested);
    ids_.insert(ids_.end(), rest.begin(), rest.end());   // unsuggested ones after, in store order
}

const std::vector<data::SampleRow>* SampleListModel::page(int p) const
{
    auto it = pages_.find(p);
    if (it != pages_.end()) {
        lru_.removeOne(p);
        lru_.append(p);
        return &it.value();
    }
    if (!ws_)
        return nullptr;
    std::vector<data::SampleRow> rows;
    const qint64 first = static_cast<qint64>(p) * kPageSize;
    try {
        if (idMode_) {
            const qint64 last = std::min<qint64>(first + kPageSize, static_cast<qint64>(ids_.size()));
            for (qint64 i = first; i < last; ++i)
                if (auto s = ws_->get(ids_[static_cast<size_t>(i)]))
                    rows.push_back(toRow(*s));
                else {   // removed meanwhile (another window): keep the row count stable
                    data::SampleRow gone;
                    gone.id = ids_[static_cast<size_t>(i)];
                    gone.task = "(removed)";
                    rows.push_back(gone);
                }
        } else {
            data::SampleQuery q = filter_.query;
            q.offset = first;
            q.limit = kPageSize;
            rows = ws_->query(q);
        }
    } catch (const std::exception&) {
        return nullptr;   // the store is busy or gone: the row paints empty and is asked again
    }
    rowsFetched_ += static_cast<qint64>(rows.size());
    while (lru_.size() >= kMaxPages)
        pages_.remove(lru_.takeFirst());
    lru_.append(p);
    return &pages_.insert(p, std::move(rows)).value();
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

void SampleListModel::refreshSample(qint64 id)
{
    const int row = rowOf(id);
    if (row < 0 || !ws_)
        return;
    auto it = pages_.find(row / kPageSize);
    if (it == pages_.end())
        return;
    if (auto s = ws_->get(id))
        it.value()[static_cast<size_t>(row % kPageSize)] = toRow(*s);
    const QModelIndex i = index(row);
    Q_EMIT dataChanged(i, i);
}

QPixmap SampleListModel::thumbnail(const data::SampleRow& r) const
{
    if (r.imageId == 0 || !ws_)
        return {};
    if (QPixmap* p = thumbs_.object(r.imageId))
        return *p;
    const std::vector<uint8_t> jpeg = ws_->thumbnail(r.imageId);
    QImage img;
    img.loadFromData(jpeg.data(), static_cast<int>(jpeg.size()));
    auto* pm = new QPixmap(QPixmap::fromImage(img.scaled(48, 48, Qt::KeepAspectRatio, Qt::SmoothTransformation)));
    thumbs_.insert(r.imageId, pm);
    return *pm;
}

QVariant SampleListModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid())
        return {};
    if (role == IdRole)
        return idAt(index.row());
    const data::SampleRow* r = rowAt(index.row());
    if (!r)
        return role == Qt::DisplayRole ? QVariant(tr("…")) : QVariant();
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
