#pragma once
// The model's suggestions for samples, held in memory for this session only: the datasets
// schema has no place for predictions, and they go stale with every new checkpoint anyway.
// One instance per Annotate view; the list model reads it to sort and filter by confidence.
#include <QHash>
#include <QObject>
#include <QStringList>
#include <QVector>

namespace ember::studio {

struct Suggestion {
    QVector<int> robots;          // suggested labels, ascending
    QVector<float> probs;         // the answer distribution over robot labels
    QStringList reasoning;        // suggested steps; empty when only robots were asked for
    float confidence = 0.f;       // max of probs
    bool accepted = false;        // the annotator took it over as the labels
};

class Suggestions final : public QObject {
    Q_OBJECT
public:
    using QObject::QObject;

    void set(qint64 sampleId, const Suggestion& s);
    void remove(qint64 sampleId);
    void clear();
    const Suggestion* find(qint64 sampleId) const;
    int size() const { return map_.size(); }
    // A copy (implicitly shared, so cheap) for work on the store's thread.
    QHash<qint64, Suggestion> snapshot() const { return map_; }

    // 1 - the probability the model gives the best of the human labels (1 when none labelled).
    static float disagreement(const Suggestion& s, const std::vector<int>& humanRobots);
    // The model's top label is none of the human labels (and the human gave some).
    static bool disagrees(const Suggestion& s, const std::vector<int>& humanRobots);

Q_SIGNALS:
    void changed(qint64 sampleId);

private:
    QHash<qint64, Suggestion> map_;
};

} // namespace ember::studio
