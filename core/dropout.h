#pragma once
// Dropout for training on the CPU without LibTorch's per-element Bernoulli draws (a tenth of the
// language model's step went there): the mask comes from a counter-based hash of one seed drawn
// from LibTorch's generator, so torch::manual_seed still fixes it, the threads split the work in
// any way without changing it, and the backward pass regenerates it instead of storing it.
// Internal (torch).
#include <torch/torch.h>

namespace ember {

// x with each element zeroed with probability p (to 1/65536) and the rest scaled by 1/(1-p);
// x itself when not training or p is 0. Other devices and dtypes: torch's dropout.
torch::Tensor fastDropout(const torch::Tensor& x, double p, bool training);

} // namespace ember
