#pragma once
// The Annotate view's sample list over the SQLite store, read a page at a time: rowCount() is
// the store's count for the filter, and data() for a row reads only that row's page (kPageSize
// rows, a bounded LRU of pages). Thumbnails are decoded on first paint and cached. So 100,000
// samples open at once and scroll smoothly, and the scroll bar shows the whole list.
//
// Sorting or filtering by the model's suggestions (which live in memory, not in the store)
// switches to an id list: the filtered ids come from the store, are ordered here, and rows are
// then read by id, still a page at a time.
#include "suggestions.h"
#include "workspace.h"

#include <QAbstractListModel>
#include <QCache>
#include <QHash>
#include <QList>
#include <QPixmap>

#include <vector>

namespace ember::studio {

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
    static constexpr int kMaxPages = 40;        // cached pages (4,000 rows)
    enum Role { IdRole = Qt::UserRole + 1, StatusRole, RobotsRole };

    SampleListModel(Suggestions* suggestions, QObject* parent = nullptr);

    // The store read on the GUI thread; nullptr empties the list.
    void setWorkspace(ember::data::Workspace* ws);
    ember::data::Workspace* workspace() const { return ws_; }
    void setFilter(const ListFilter& f);
    const ListFilter& filter() const { return filter_; }
    // Reads the count again and drops the cache (after imports, other windows' writes).
    void reload();
    // Reads one sample's row again if it is cached (after an edit).
    void refreshSample(qint64 id);

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;

    qint64 idAt(int row) const;
    const ember::data::SampleRow* rowAt(int row) const;
    // Row of a sample among the cached pages (or the id list); -1 when not known.
    int rowOf(qint64 id) const;

    // How many rows were read from the store since the last reset (for tests and tuning).
    qint64 rowsFetched() const { return rowsFetched_; }
    int cachedPages() const { return pages_.size(); }

private:
    const std::vector<ember::data::SampleRow>* page(int p) const;
    QPixmap thumbnail(const ember::data::SampleRow& r) const;
    void rebuildIds();

    ember::data::Workspace* ws_ = nullptr;
    Suggestions* suggestions_;
    ListFilter filter_;
    qint64 count_ = 0;
    bool idMode_ = false;
    std::vector<int64_t> ids_;                                   // id mode only
    mutable QHash<int, std::vector<ember::data::SampleRow>> pages_;
    mutable QList<int> lru_;                                     // most recent last
    mutable QCache<qint64, QPixmap> thumbs_{3000};
    mutable qint64 rowsFetched_ = 0;
};

} // namespace ember::studio
