#pragma once
// Imported teacher outputs for stage-2 distillation (docs/training.md, "Teacher files"): per
// sample and question/answer pair, the teacher's top-k log-probabilities at every answer token.
// Internal (torch).
#include <torch/torch.h>

#include <map>
#include <string>
#include <utility>

namespace ember::data {
class Workspace;
}

namespace ember::train {

struct TeacherTopK {
    torch::Tensor ids;        // [P, k] int64
    torch::Tensor logprobs;   // [P, k] float32
};

class TeacherFile {
public:
    // JSONL, one object per line: {"uid": sample uid, "qa": pair index, "topk": [[[id, logprob], ...] per position]}.
    // Throws std::runtime_error "FILE:LINE: ..." for malformed lines, unknown samples, or a k that
    // differs from the first line's.
    static TeacherFile load(const std::string& path, const data::Workspace& ws);
    const TeacherTopK* find(int64_t sampleId, int64_t qa) const;
    int k() const { return k_; }
    size_t size() const { return entries_.size(); }

private:
    std::map<std::pair<int64_t, int64_t>, TeacherTopK> entries_;
    int k_ = 0;
};

} // namespace ember::train
