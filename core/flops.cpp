#include "flops.h"

namespace ember {

namespace {

double conv(int64_t cin, int64_t cout, int64_t k, int64_t groups, int64_t hw)
{
    return 2.0 * cout * (cin / groups) * k * k * hw * hw;
}

double block(int64_t c, int64_t hw, bool se)
{
    // Re-parameterised form: dw3×3, optional SE, 1×1 (c→2c), 1×1 (2c→c).
    double f = conv(c, c, 3, c, hw) + conv(c, 2 * c, 1, 1, hw) + conv(2 * c, c, 1, 1, hw);
    if (se) {
        const int64_t rd = std::max<int64_t>(8, (c / 4 + 4) / 8 * 8);
        f += 2.0 * (c * rd + rd * c) + 1.0 * c * hw * hw;
    }
    return f;
}

} // namespace

std::vector<std::pair<std::string, double>> componentFlops(const ModelConfig& cfg)
{
    double vision = 0;
    int64_t hw = cfg.image_size / 2;
    const auto& w = cfg.vision_widths;
    vision += conv(3, w[0] / 2, 3, 1, hw);
    hw /= 2;
    vision += conv(w[0] / 2, w[0], 3, 1, hw);
    int64_t prev = w[0];
    for (size_t s = 0; s < w.size(); ++s) {
        if (s > 0) {
            vision += block(prev, hw, false);
            hw /= 2;
            vision += conv(prev, prev, 3, prev, hw) + conv(prev, w[s], 1, 1, hw);
            vision += conv(w[s], 2 * w[s], 1, 1, hw) + conv(2 * w[s], w[s], 1, 1, hw);
        }
        for (int64_t b = 0; b < cfg.vision_depths[s]; ++b)
            vision += block(w[s], hw, b % 2 == 0);
        prev = w[s];
    }
    const double G = static_cast<double>(cfg.visualTokens());
    const double projection = G * 2.0 * (cfg.visionDim() * cfg.proj_hidden + cfg.proj_hidden * cfg.n_embd);
    const double C = static_cast<double>(cfg.n_embd);
    const double perToken = cfg.n_layer * 2.0 * (4 * C * C + 2 * C * cfg.n_inner);
    const double attention = cfg.n_layer * 2.0 * 2.0 * C * G * (G + 1) / 2.0;
    const double head = 2.0 * C * cfg.vocab_size;
    const double language = G * perToken + attention + head;
    const double steps = static_cast<double>(cfg.max_reasoning_steps);
    const double reasoning = steps * 2.0 * (2 * C * cfg.reasoning_hidden + C * cfg.answer_hidden +
                                            cfg.answer_hidden * cfg.num_robots) +
                             (steps - 1) * 2.0 * (2 * C * cfg.validator_hidden + cfg.validator_hidden);
    return {{"vision", vision}, {"projection", projection}, {"language_model", language}, {"reasoning", reasoning}};
}

} // namespace ember
