#include "suggestions.h"

#include <algorithm>

namespace ember::studio {

void Suggestions::set(qint64 id, const Suggestion& s)
{
    map_.insert(id, s);
    Q_EMIT changed(id);
}

void Suggestions::remove(qint64 id)
{
    if (map_.remove(id))
        Q_EMIT changed(id);
}

void Suggestions::clear()
{
    map_.clear();
    Q_EMIT changed(0);
}

const Suggestion* Suggestions::find(qint64 id) const
{
    auto it = map_.constFind(id);
    return it == map_.constEnd() ? nullptr : &it.value();
}

float Suggestions::disagreement(const Suggestion& s, const std::vector<int>& human)
{
    float best = 0.f;
    for (int r : human)
        if (r >= 0 && r < s.probs.size())
            best = std::max(best, s.probs[r]);
    return 1.f - best;
}

bool Suggestions::disagrees(const Suggestion& s, const std::vector<int>& human)
{
    if (human.empty() || s.robots.isEmpty())
        return false;
    return std::find(human.begin(), human.end(), s.robots.first()) == human.end();
}

} // namespace ember::studio
