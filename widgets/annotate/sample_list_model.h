#pragma once
// The Annotate view's sample list: a cache in front of the store worker. rowCount() is the
// store's count for the filter; data() for a row whose page has not arrived shows a placeholder
// and asks the store worker for that page and its neighbours (kPageSize rows, a bounded LRU of
// pages); thumbnails are read and decoded on the worker, cached by size. Nothing here reads the
// disk on the GUI thread, so 100,000 samples open at once and scroll without a stall.
//
// Sorting or filtering by the model's suggestions (which live in memory, not in the store)
// switches to an id list: the filtered ids are read and ordered on the worker (with a copy of
// the suggestions), and rows are then read by id, still a page at a time.
#include "suggestions.h"
#include "workspace.h"

#include <QAbstractListModel>
#include <QCache>
#include <QHash>
#include <QList>
#include <QPixmap>
#include <QSet>

#include <functional>
#include <vector>

namespace ember::studio {

class StoreWorker;

struct ListFilter {
    enum class ModelSort { None, Confidence, Disagreement };
    ember::data::SampleQuery query;   // split, status, robot, text, sort (offset/limit ignored)
    bool disagreeOnly = false;        // only samples whose suggestion disagrees with the labels
    ModelSort modelSort = ModelSort::None;
    bool usesSuggestions() const { return disagreeOnly || modelSort != ModelSort::None; }
};

class SampleListModel final : public QAbstractListModel {
    Q_OBJECT
public:
    static constexpr int kPageSize = 100;
    static constexpr int kMaxPages = 40;                 // cached pages (4,000 rows)
    static constexpr int kThumbSide = 48;
    static constexpr int kThumbCacheBytes = 24 << 20;    // about 2,600 thumbnails
    enum Role { IdRole = Qt::UserRole + 1, StatusRole, RobotsRole };

    SampleListModel(Suggestions* suggestions, QObject* parent = nullptr);

    // The store the rows come from; nullptr (or a closed store) empties the list.
    void setStore(StoreWorker* store);
    StoreWorker* store() const { return store_; }
    void setFilter(const ListFilter& f);
    const ListFilter& filter() const { return filter_; }
    // Asks for the count again and drops the cache (after imports, other windows' writes);
    // the list keeps its rows until the answer comes, then resets and emits loaded().
    void reload();
    // Reads one sample's row again if it is cached (after an edit).
    void refreshSample(qint64 id);
    // done(row) with the sample's row under the current filter, -1 when the filter hides it.
    void locate(qint64 id, std::function<void(int row)> done);

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;

    // 0 / nullptr while the row's page has not arrived (it is asked for).
    qint64 idAt(int row) const;
    const ember::data::SampleRow* rowAt(int row) const;
    // Row of a sample among the cached pages (or the id list); -1 when not known.
    int rowOf(qint64 id) const;
    // A reload asked for and not answered yet.
    bool loading() const { return loading_; }

    // How many rows were read from the store since the last reset (for tests and tuning).
    qint64 rowsFetched() const { return rowsFetched_; }
    int cachedPages() const { return pages_.size(); }

Q_SIGNALS:
    // A reload's count arrived and the model was reset.
    void loaded();
    // A page arrived: rows [first, last] have their data now.
    void rowsArrived(int first, int last);

private:
    const std::vector<ember::data::SampleRow>* page(int p) const;
    void requestPage(int p) const;
    void storePage(int p, std::vector<ember::data::SampleRow> rows);
    void requestThumbnails(int p);
    QPixmap thumbnail(const ember::data::SampleRow& r) const;
    ember::data::SampleQuery countQuery() const;

    StoreWorker* store_ = nullptr;
    Suggestions* suggestions_;
    ListFilter filter_;
    qint64 count_ = 0;
    bool idMode_ = false;
    bool loading_ = false;
    int epoch_ = 0;                                              // bumped by each reload: late pages are dropped
    std::vector<int64_t> ids_;                                   // id mode only
    QHash<int, std::vector<ember::data::SampleRow>> pages_;
    mutable QList<int> lru_;                                     // most recent last
    mutable QSet<int> requested_;                                // pages asked for, not arrived
    QCache<qint64, QPixmap> thumbs_{kThumbCacheBytes};
    QSet<qint64> thumbsRequested_;
    QPixmap placeholder_;
    qint64 rowsFetched_ = 0;
};

} // namespace ember::studio
