#include "splits.h"

#include "content_hash.h"
#include "sample.h"
#include "workspace.h"

#include <algorithm>
#include <cctype>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

namespace ember::data {

namespace {

std::string normalise(const std::string& task)
{
    std::string out;
    bool space = false;
    for (unsigned char c : task) {
        if (std::isspace(c)) {
            space = !out.empty();
            continue;
        }
        if (space) out += ' ';
        space = false;
        out += static_cast<char>(std::tolower(c));
    }
    return out;
}

struct Row {
    int64_t id;
    std::string uid, derivedFrom, key;
    std::string split;
};

} // namespace

std::array<int64_t, 4> assignSplits(Workspace& ws, const SplitOptions& opts, const Progress& progress)
{
    const double sum = opts.train + opts.val + opts.test;
    if (opts.train < 0 || opts.val < 0 || opts.test < 0 || sum <= 0)
        throw std::invalid_argument("split fractions must be non-negative and not all zero");
    const double trainCut = opts.train / sum, valCut = (opts.train + opts.val) / sum;

    auto& db = ws.database();
    Transaction tx(db);
    std::vector<Row> rows;
    std::unordered_map<std::string, size_t> byUid;
    {
        auto st = db.prepare(
            "SELECT s.id, s.uid, COALESCE(s.derived_from, ''), COALESCE(i.hash, ''), s.task, s.split "
            "FROM samples s LEFT JOIN images i ON i.id = s.image_id ORDER BY s.id");
        while (st.step()) {
            Row r{st.getInt(0), st.getText(1), st.getText(2), st.getText(3), st.getText(5)};
            if (r.key.empty()) r.key = "task:" + normalise(st.getText(4));
            else r.key = "image:" + r.key;
            byUid[r.uid] = rows.size();
            rows.push_back(std::move(r));
        }
    }
    // Follow derived_from to the original (bounded, in case of a cycle in hand-edited data).
    auto rootKey = [&](const Row& r) {
        const Row* cur = &r;
        for (int hops = 0; hops < 64 && !cur->derivedFrom.empty(); ++hops) {
            auto it = byUid.find(cur->derivedFrom);
            if (it == byUid.end()) break;
            cur = &rows[it->second];
        }
        return cur->key;
    };
    auto st = db.prepare("UPDATE samples SET split=? WHERE id=? AND split<>?");
    const auto total = static_cast<int64_t>(rows.size());
    for (int64_t i = 0; i < total; ++i) {
        const Row& r = rows[static_cast<size_t>(i)];
        if (i % 1024 == 0) report(progress, i, total);
        if (opts.onlyUnassigned && !r.split.empty()) continue;
        const uint64_t h = hash64(std::to_string(opts.seed) + "|" + rootKey(r));
        const double u = static_cast<double>(h >> 11) * (1.0 / 9007199254740992.0);   // [0, 1)
        const Split s = u < trainCut ? Split::Train : u < valCut ? Split::Val : Split::Test;
        st.bind(1, toString(s)).bind(2, r.id).bind(3, toString(s)).run();
    }
    tx.commit();
    report(progress, total, total);
    return ws.splitCounts();
}

} // namespace ember::data
