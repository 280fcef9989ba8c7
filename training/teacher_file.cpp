#include "teacher_file.h"

#include "workspace.h"

#include <nlohmann/json.hpp>

#include <fstream>

namespace ember::train {

using nlohmann::json;

TeacherFile TeacherFile::load(const std::string& path, const data::Workspace& ws)
{
    std::ifstream in(path);
    if (!in)
        throw std::runtime_error(path + ": cannot be read");
    TeacherFile f;
    std::string line;
    int lineNo = 0;
    while (std::getline(in, line)) {
        ++lineNo;
        if (line.find_first_not_of(" \t\r") == std::string::npos)
            continue;
        const std::string where = path + ":" + std::to_string(lineNo) + ": ";
        json j;
        try {
            j = json::parse(line);
        } catch (const json::exception&) {
            throw std::runtime_error(where + "not valid JSON");
        }
        if (!j.is_object() || !j.contains("uid") || !j["uid"].is_string())
            throw std::runtime_error(where + "field 'uid' (a string) is missing");
        if (!j.contains("topk") || !j["topk"].is_array() || j["topk"].empty())
            throw std::runtime_error(where + "field 'topk' must be a non-empty list of positions");
        const int64_t qa = j.value("qa", 0);
        const auto sample = ws.getByUid(j["uid"].get<std::string>());
        if (!sample)
            throw std::runtime_error(where + "no sample with uid '" + j["uid"].get<std::string>() + "' in the workspace");
        if (qa < 0 || qa >= static_cast<int64_t>(sample->qa.size()))
            throw std::runtime_error(where + "field 'qa': sample has " + std::to_string(sample->qa.size()) +
                                     " question/answer pairs");
        const auto& positions = j["topk"];
        const int64_t P = static_cast<int64_t>(positions.size());
        const int k = static_cast<int>(positions[0].size());
        if (f.k_ == 0)
            f.k_ = k;
        if (k != f.k_ || k == 0)
            throw std::runtime_error(where + "field 'topk': " + std::to_string(k) + " candidates per position, the file's first line has " +
                                     std::to_string(f.k_));
        TeacherTopK t{torch::zeros({P, k}, torch::kLong), torch::zeros({P, k}, torch::kFloat32)};
        auto ids = t.ids.accessor<int64_t, 2>();
        auto lp = t.logprobs.accessor<float, 2>();
        for (int64_t p = 0; p < P; ++p) {
            if (!positions[p].is_array() || static_cast<int>(positions[p].size()) != k)
                throw std::runtime_error(where + "field 'topk[" + std::to_string(p) + "]' must hold " + std::to_string(k) +
                                         " [id, logprob] pairs");
            for (int c = 0; c < k; ++c) {
                const auto& pair = positions[p][c];
                if (!pair.is_array() || pair.size() != 2 || !pair[0].is_number_integer() || !pair[1].is_number())
                    throw std::runtime_error(where + "field 'topk[" + std::to_string(p) + "][" + std::to_string(c) +
                                             "]' must be [token id, log-probability]");
                const int64_t id = pair[0].get<int64_t>();
                if (id < 0 || id >= 50262)
                    throw std::runtime_error(where + "field 'topk[" + std::to_string(p) + "][" + std::to_string(c) +
                                             "]': token id " + std::to_string(id) + " is out of range");
                ids[p][c] = id;
                lp[p][c] = pair[1].get<float>();
            }
        }
        f.entries_[{sample->id, qa}] = std::move(t);
    }
    if (f.entries_.empty())
        throw std::runtime_error(path + ": no teacher entries");
    return f;
}

const TeacherTopK* TeacherFile::find(int64_t sampleId, int64_t qa) const
{
    auto it = entries_.find({sampleId, qa});
    return it == entries_.end() ? nullptr : &it->second;
}

} // namespace ember::train
