#include "dropout.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>

#include <mutex>

namespace ember {

namespace {

inline uint64_t splitmix64(uint64_t z)
{
    z += 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

// out[i] = keep(i) ? in[i] * scale : 0, keep(i) from 16 bits of hash(seed, i / 4).
void applyMask(const float* in, float* out, int64_t n, uint64_t seed, uint32_t dropBelow, float scale)
{
    at::parallel_for(0, (n + 3) / 4, 4096, [&](int64_t b, int64_t e) {
        for (int64_t q = b; q < e; ++q) {
            const uint64_t h = splitmix64(seed ^ (static_cast<uint64_t>(q) * 0xD6E8FEB86659FD93ULL));
            for (int64_t j = 0; j < 4 && q * 4 + j < n; ++j) {
                const uint32_t bits = static_cast<uint32_t>(h >> (16 * j)) & 0xFFFFu;
                const int64_t i = q * 4 + j;
                out[i] = bits < dropBelow ? 0.f : in[i] * scale;
            }
        }
    });
}

struct Dropout : torch::autograd::Function<Dropout> {
    static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x, double p)
    {
        uint64_t seed;
        {
            auto gen = at::detail::getDefaultCPUGenerator();
            std::lock_guard<std::mutex> lock(gen.mutex());
            seed = gen.get<at::CPUGeneratorImpl>()->random64();
        }
        const auto dropBelow = static_cast<uint32_t>(std::lround(p * 65536.0));
        const float scale = static_cast<float>(1.0 / (1.0 - p));
        auto out = torch::empty_like(x);
        applyMask(x.data_ptr<float>(), out.data_ptr<float>(), x.numel(), seed, dropBelow, scale);
        ctx->saved_data["seed"] = static_cast<int64_t>(seed);
        ctx->saved_data["drop"] = static_cast<int64_t>(dropBelow);
        ctx->saved_data["scale"] = static_cast<double>(scale);
        return out;
    }

    static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx, torch::autograd::tensor_list grads)
    {
        auto g = grads[0].contiguous();
        auto out = torch::empty_like(g);
        applyMask(g.data_ptr<float>(), out.data_ptr<float>(), g.numel(),
                  static_cast<uint64_t>(ctx->saved_data["seed"].toInt()),
                  static_cast<uint32_t>(ctx->saved_data["drop"].toInt()),
                  static_cast<float>(ctx->saved_data["scale"].toDouble()));
        return {out, torch::Tensor()};
    }
};

} // namespace

torch::Tensor fastDropout(const torch::Tensor& x, double p, bool training)
{
    if (!training || p <= 0.0)
        return x;
    if (!x.device().is_cpu() || x.scalar_type() != torch::kFloat32 || p >= 1.0)
        return torch::nn::functional::dropout(x, torch::nn::functional::DropoutFuncOptions().p(p).training(true));
    return Dropout::apply(x.contiguous(), p);
}

} // namespace ember
