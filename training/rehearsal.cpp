#include "rehearsal.h"

#include <algorithm>

namespace ember::train {

namespace {
// The stage whose text a kind is, weighted so that only its LM loss counts.
TrainConfig textOnly(const TrainConfig& cfg, const std::string& kind)
{
    TrainConfig mc = cfg;
    mc.stage = kind == "caption" ? 1 : kind == "answer" ? 2 : 4;
    mc.contrastive_weight = 0;
    mc.caption_weight = 1;
    mc.sft_weight = 1;
    mc.answer_weight = 0;
    mc.consistency_weight = 0;
    mc.reasoning_text_weight = 1;
    mc.scene_weight = 0;
    return mc;
}
} // namespace

std::vector<Rehearsal> Rehearsal::forConfig(const TrainConfig& cfg, const data::BatchOptions& stageBatches, int worldSize,
                                            int64_t stepsDone, data::Workspace& ws, EmberVLMImpl& model,
                                            const torch::Tensor& logitScale)
{
    std::vector<Rehearsal> out;
    for (const auto& kind : cfg.text_mix) {
        Rehearsal m;
        m.kind = kind;
        m.cfg = std::make_unique<TrainConfig>(textOnly(cfg, kind));
        data::BatchOptions mo = stageBatches;
        mo.stage = static_cast<data::Stage>(m.cfg->stage);
        mo.batchSize = (cfg.text_mix_batch_size ? cfg.text_mix_batch_size : std::max(1, cfg.batch_size / 2)) * std::max(1, worldSize);
        mo.seed = cfg.seed * 7919 + static_cast<uint64_t>(m.cfg->stage);
        m.batches = std::make_unique<data::BatchBuilder>(ws, mo);
        const int64_t drawn = stepsDone * cfg.accumulation, per = m.batches->batchesPerEpoch();
        if (drawn > 0)
            m.batches->seek(drawn / per, drawn % per);
        m.loss = std::make_unique<StageLoss>(model, *m.cfg, nullptr, logitScale, nullptr);
        out.push_back(std::move(m));
    }
    return out;
}

} // namespace ember::train
