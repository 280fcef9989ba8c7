#pragma once
// The two costliest parts of a training step after the matrix products, each done in one pass:
// the token cross-entropy over the 50k-word vocabulary and the AdamW update. Internal (torch).
#include <torch/torch.h>

namespace ember::train {

// Mean cross-entropy of logits [N, V] against targets [N] (int64), as
// torch::nn::functional::cross_entropy computes it; on the CPU the softmax, the loss and the
// gradient each take one pass over the logits (no log-softmax tensor, no zero-filled gradient).
torch::Tensor tokenCrossEntropy(const torch::Tensor& logits, const torch::Tensor& targets);

// torch::optim::AdamW with the whole update of each CPU float parameter in one pass over its
// values. Same options, same state (so checkpoints of either load into the other).
// Replaces sparse gradients (the token embedding's, when the tied head had none) with dense ones,
// which clipping, the data-parallel average and AdamW expect.
void densifyGradients(const std::vector<torch::Tensor>& params);

class FusedAdamW : public torch::optim::AdamW {
public:
    using torch::optim::AdamW::AdamW;
    torch::Tensor step(LossClosure closure = nullptr) override;
    // Drops the gradients rather than filling them with zeros: the next backward pass hands its
    // gradients over instead of adding them to zeros, and a parameter with no gradient this step
    // (frozen, unused) is left alone by the update.
    void clearGradients();
};

} // namespace ember::train
