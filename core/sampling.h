#pragma once
// Next-token choice from one row of logits: greedy, or temperature / top-k / top-p sampling with
// a seeded generator. Plain C++ over a float vector so it is identical on every device.
#include <cstdint>
#include <random>
#include <vector>

namespace ember {

struct SamplingParams {
    float temperature = 0.f;   // <= 0: greedy
    int topK = 0;
    float topP = 1.f;
};

int sampleToken(const std::vector<float>& logits, const SamplingParams& params, std::mt19937_64& rng);

} // namespace ember
