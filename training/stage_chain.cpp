#include "stage_chain.h"

namespace ember::train {

TrainResult runStageChain(const StageChain& chain, std::string init)
{
    TrainResult r;
    for (int s = kFirstStage; s <= kLastStage; ++s) {
        TrainConfig c = chain.configFor(s);
        if (!init.empty())
            c.init_checkpoint = init;
        r = chain.run(c, s);
        if (r.status != data::RunStatus::Finished)
            return r;
        if (chain.finished)
            chain.finished(s, r);
        init = r.lastCheckpoint;
    }
    return r;
}

} // namespace ember::train
