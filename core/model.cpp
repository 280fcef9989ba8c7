#include "model.h"

#include "dropout.h"

#include <cmath>

namespace ember {

namespace F = torch::nn::functional;

namespace {
// timm's make_divisible: round to a multiple of 8, never dropping more than 10%.
int64_t makeDivisible(double v, int64_t divisor = 8)
{
    int64_t n = std::max<int64_t>(divisor, static_cast<int64_t>(v + divisor / 2.0) / divisor * divisor);
    if (n < 0.9 * v)
        n += divisor;
    return n;
}
constexpr double kBnEps = 1e-5;
} // namespace

ConvImpl::ConvImpl(int64_t in, int64_t out, int64_t k, int64_t stride_, int64_t pad_, int64_t groups_, bool withBias)
    : stride(stride_), pad(pad_), groups(groups_)
{
    weight = register_parameter("weight", torch::empty({out, in / groups_, k, k}));
    if (withBias)
        bias = register_parameter("bias", torch::zeros({out}));
}

torch::Tensor ConvImpl::forward(const torch::Tensor& x)
{
    return torch::conv2d(x, weight, bias, stride, pad, 1, groups);
}

ConvNormImpl::ConvNormImpl(int64_t in, int64_t out, int64_t k, int64_t stride, int64_t pad, int64_t groups)
{
    c = register_module("c", Conv(in, out, k, stride, pad, groups, false));
    bn = register_module("bn", torch::nn::BatchNorm2d(torch::nn::BatchNorm2dOptions(out).eps(kBnEps)));
}

torch::Tensor ConvNormImpl::forward(const torch::Tensor& x) { return bn(c(x)); }

RepVggDwImpl::RepVggDwImpl(int64_t dim)
{
    conv = register_module("conv", ConvNorm(dim, dim, 3, 1, 1, dim));
    conv1 = register_module("conv1", Conv(dim, dim, 1, 1, 0, dim, true));
    bn = register_module("bn", torch::nn::BatchNorm2d(torch::nn::BatchNorm2dOptions(dim).eps(kBnEps)));
}

torch::Tensor RepVggDwImpl::forward(const torch::Tensor& x) { return bn(conv(x) + conv1(x) + x); }

SqueezeExciteImpl::SqueezeExciteImpl(int64_t dim)
{
    const int64_t rd = makeDivisible(dim * 0.25);
    fc1 = register_module("fc1", Conv(dim, rd, 1, 1, 0, 1, true));
    fc2 = register_module("fc2", Conv(rd, dim, 1, 1, 0, 1, true));
}

torch::Tensor SqueezeExciteImpl::forward(const torch::Tensor& x)
{
    auto s = x.mean({2, 3}, true);
    s = fc2(torch::relu(fc1(s)));
    return x * torch::sigmoid(s);
}

RepVitMlpImpl::RepVitMlpImpl(int64_t dim, int64_t hidden)
{
    conv1 = register_module("conv1", ConvNorm(dim, hidden));
    conv2 = register_module("conv2", ConvNorm(hidden, dim));
}

torch::Tensor RepVitMlpImpl::forward(const torch::Tensor& x) { return conv2(torch::gelu(conv1(x))); }

RepVitBlockImpl::RepVitBlockImpl(int64_t dim, bool useSe)
{
    token_mixer = register_module("token_mixer", RepVggDw(dim));
    if (useSe)
        se = register_module("se", SqueezeExcite(dim));
    channel_mixer = register_module("channel_mixer", RepVitMlp(dim, 2 * dim));
}

torch::Tensor RepVitBlockImpl::forward(torch::Tensor x)
{
    x = token_mixer(x);
    if (se)
        x = se(x);
    return x + channel_mixer(x);
}

RepVitDownsampleImpl::RepVitDownsampleImpl(int64_t in, int64_t out)
{
    pre_block = register_module("pre_block", RepVitBlock(in, false));
    spatial_downsample = register_module("spatial_downsample", ConvNorm(in, in, 3, 2, 1, in));
    channel_downsample = register_module("channel_downsample", ConvNorm(in, out, 1));
    ffn = register_module("ffn", RepVitMlp(out, 2 * out));
}

torch::Tensor RepVitDownsampleImpl::forward(torch::Tensor x)
{
    x = channel_downsample(spatial_downsample(pre_block(x)));
    return x + ffn(x);
}

RepVitStageImpl::RepVitStageImpl(int64_t in, int64_t out, int64_t depth, bool withDownsample)
{
    if (withDownsample)
        downsample = register_module("downsample", RepVitDownsample(in, out));
    bool useSe = true;
    for (int64_t i = 0; i < depth; ++i) {
        blocks->push_back(RepVitBlock(out, useSe));
        useSe = !useSe;
    }
    register_module("blocks", blocks);
}

torch::Tensor RepVitStageImpl::forward(torch::Tensor x)
{
    if (downsample)
        x = downsample(x);
    for (auto& b : *blocks)
        x = b->as<RepVitBlockImpl>()->forward(x);
    return x;
}

RepVitStemImpl::RepVitStemImpl(int64_t in, int64_t out)
{
    conv1 = register_module("conv1", ConvNorm(in, out / 2, 3, 2, 1));
    conv2 = register_module("conv2", ConvNorm(out / 2, out, 3, 2, 1));
}

torch::Tensor RepVitStemImpl::forward(const torch::Tensor& x) { return conv2(torch::gelu(conv1(x))); }

RepVitImpl::RepVitImpl(const ModelConfig& cfg)
{
    stem = register_module("stem", RepVitStem(3, cfg.vision_widths[0]));
    int64_t prev = cfg.vision_widths[0];
    for (size_t i = 0; i < cfg.vision_widths.size(); ++i) {
        stages->push_back(RepVitStage(prev, cfg.vision_widths[i], cfg.vision_depths[i], i > 0));
        prev = cfg.vision_widths[i];
    }
    register_module("stages", stages);
}

torch::Tensor RepVitImpl::forward(torch::Tensor x)
{
    x = stem(x);
    for (auto& s : *stages)
        x = s->as<RepVitStageImpl>()->forward(x);
    return x;
}

ProjectionImpl::ProjectionImpl(const ModelConfig& cfg)
{
    fc1 = register_module("fc1", torch::nn::Linear(cfg.visionDim(), cfg.proj_hidden));
    fc2 = register_module("fc2", torch::nn::Linear(cfg.proj_hidden, cfg.n_embd));
    dropout = register_module("dropout", torch::nn::Dropout(cfg.dropout));
}

torch::Tensor ProjectionImpl::forward(const torch::Tensor& x)
{
    return fc2(fastDropout(torch::relu(fc1(x)), dropout->options.p(), is_training()));
}

AttentionImpl::AttentionImpl(const ModelConfig& cfg) : n_head(cfg.n_head), head_dim(cfg.n_embd / cfg.n_head)
{
    q_proj = register_module("q_proj", torch::nn::Linear(cfg.n_embd, cfg.n_embd));
    k_proj = register_module("k_proj", torch::nn::Linear(cfg.n_embd, cfg.n_embd));
    v_proj = register_module("v_proj", torch::nn::Linear(cfg.n_embd, cfg.n_embd));
    out_proj = register_module("out_proj", torch::nn::Linear(cfg.n_embd, cfg.n_embd));
}

MlpImpl::MlpImpl(const ModelConfig& cfg)
{
    fc1 = register_module("fc1", torch::nn::Linear(cfg.n_embd, cfg.n_inner));
    fc2 = register_module("fc2", torch::nn::Linear(cfg.n_inner, cfg.n_embd));
}

GptBlockImpl::GptBlockImpl(const ModelConfig& cfg)
{
    auto ln = torch::nn::LayerNormOptions({cfg.n_embd}).eps(cfg.layer_norm_eps);
    ln_1 = register_module("ln_1", torch::nn::LayerNorm(ln));
    attn = register_module("attn", Attention(cfg));
    ln_2 = register_module("ln_2", torch::nn::LayerNorm(ln));
    mlp = register_module("mlp", Mlp(cfg));
}

LanguageModelImpl::LanguageModelImpl(const ModelConfig& c) : cfg(c)
{
    wte = register_module("wte", torch::nn::Embedding(cfg.vocab_size, cfg.n_embd));
    wpe = register_module("wpe", torch::nn::Embedding(cfg.n_positions, cfg.n_embd));
    for (int64_t i = 0; i < cfg.n_layer; ++i)
        h->push_back(GptBlock(cfg));
    register_module("h", h);
    ln_f = register_module("ln_f", torch::nn::LayerNorm(torch::nn::LayerNormOptions({cfg.n_embd}).eps(cfg.layer_norm_eps)));
    drop = register_module("drop", torch::nn::Dropout(cfg.dropout));
}

// A sparse gradient for the embedding: the tied head's dense gradient then takes the prompt's few
// rows in place, instead of a second dense 77 MB gradient, zero-filled, being added to it. Where
// the head gets no gradient the trainer makes it dense (training/fused_ops.h densifyGradients).
torch::Tensor LanguageModelImpl::embed(const torch::Tensor& ids) const
{
    return F::embedding(ids, wte->weight, F::EmbeddingFuncOptions().sparse(true));
}

torch::Tensor LanguageModelImpl::logits(const torch::Tensor& hidden) const
{
    return torch::matmul(hidden, wte->weight.t());
}

torch::Tensor LanguageModelImpl::forward(torch::Tensor x, KVCache* cache, const torch::Tensor& attentionMask)
{
    const int64_t B = x.size(0), T = x.size(1), C = x.size(2);
    const int64_t past = cache ? cache->length : 0;
    const int64_t total = past + T;
    TORCH_CHECK(total <= cfg.n_positions, "sequence of ", total, " positions exceeds n_positions ", cfg.n_positions);
    auto pos = torch::arange(past, total, torch::TensorOptions().dtype(torch::kLong).device(x.device()));
    const double p = drop->options.p();
    x = fastDropout(x + F::embedding(pos, wpe->weight).unsqueeze(0), p, is_training());

    const bool train = is_training();
    const auto& L0 = h[0]->as<GptBlockImpl>()->attn;
    const int64_t H = L0->n_head, D = L0->head_dim;
    const double scale = 1.0 / std::sqrt(static_cast<double>(D));

    if (cache)
        cache->reserve(cfg.n_layer, B, H, D, total, cfg.n_positions, x.options());

    // Additive mask [B or 1, 1, T, total]: causal plus key padding.
    torch::Tensor mask;
    if (T > 1) {
        auto qpos = torch::arange(past, total, pos.options()).unsqueeze(1);
        auto kpos = torch::arange(0, total, pos.options()).unsqueeze(0);
        mask = torch::zeros({T, total}, x.options()).masked_fill(kpos > qpos, -std::numeric_limits<float>::infinity());
        mask = mask.view({1, 1, T, total});
    }
    if (attentionMask.defined()) {
        auto pad = (attentionMask.view({B, 1, 1, total}) == 0);
        auto padMask = torch::zeros({B, 1, 1, total}, x.options()).masked_fill(pad, std::numeric_limits<float>::lowest());
        mask = mask.defined() ? mask + padMask : padMask;
    }

    for (int64_t l = 0; l < cfg.n_layer; ++l) {
        auto* blk = h[l]->as<GptBlockImpl>();
        auto a = blk->ln_1(x);
        auto q = blk->attn->q_proj(a).view({B, T, H, D}).transpose(1, 2);
        auto k = blk->attn->k_proj(a).view({B, T, H, D}).transpose(1, 2);
        auto v = blk->attn->v_proj(a).view({B, T, H, D}).transpose(1, 2);
        if (cache) {
            cache->k[l].narrow(2, past, T).copy_(k);
            cache->v[l].narrow(2, past, T).copy_(v);
            k = cache->k[l].narrow(2, 0, total);
            v = cache->v[l].narrow(2, 0, total);
        }
        auto att = torch::matmul(q, k.transpose(-2, -1)) * scale;
        if (mask.defined())
            att = att + mask;
        att = torch::softmax(att, -1);
        if (train && cfg.dropout > 0)
            att = fastDropout(att, cfg.dropout, true);
        auto y = torch::matmul(att, v).transpose(1, 2).reshape({B, T, C});
        x = x + fastDropout(blk->attn->out_proj(y), p, train);
        auto m = blk->mlp->fc2(torch::gelu(blk->mlp->fc1(blk->ln_2(x)), "tanh"));
        x = x + fastDropout(m, p, train);
    }
    if (cache)
        cache->length = total;
    return ln_f(x);
}

void KVCache::reserve(int64_t layers, int64_t batch, int64_t heads, int64_t headDim, int64_t total,
                      int64_t maxPositions, const torch::TensorOptions& options)
{
    if (k.size() == static_cast<size_t>(layers) && capacity >= total && k[0].size(0) == batch)
        return;
    const int64_t cap = std::min<int64_t>(maxPositions, std::max<int64_t>({total, capacity * 2, 64}));
    const int64_t keep = k.empty() || k[0].size(0) != batch ? 0 : length;
    std::vector<torch::Tensor> nk, nv;
    for (int64_t l = 0; l < layers; ++l) {
        auto kk = torch::zeros({batch, heads, cap, headDim}, options);
        auto vv = torch::zeros({batch, heads, cap, headDim}, options);
        if (keep > 0 && l < static_cast<int64_t>(k.size())) {
            kk.narrow(2, 0, keep).copy_(k[l].narrow(2, 0, keep));
            vv.narrow(2, 0, keep).copy_(v[l].narrow(2, 0, keep));
        }
        nk.push_back(kk);
        nv.push_back(vv);
    }
    k = std::move(nk);
    v = std::move(nv);
    capacity = cap;
}

ReasoningModuleImpl::ReasoningModuleImpl(const ModelConfig& cfg)
{
    using namespace torch::nn;
    reasoning_head = register_module("reasoning_head",
                                     Sequential(Linear(cfg.n_embd, cfg.reasoning_hidden), ReLU(),
                                                Dropout(cfg.dropout), Linear(cfg.reasoning_hidden, cfg.n_embd)));
    step_validator = register_module("step_validator",
                                     Sequential(Linear(2 * cfg.n_embd, cfg.validator_hidden), ReLU(),
                                                Linear(cfg.validator_hidden, 1), Sigmoid()));
    answer_head = register_module("answer_head", Sequential(Linear(cfg.n_embd, cfg.answer_hidden), ReLU(),
                                                            Linear(cfg.answer_hidden, cfg.num_robots)));
}

ReasoningTraceTensors ReasoningModuleImpl::run(const torch::Tensor& hLast, double threshold, int64_t maxSteps)
{
    ReasoningTraceTensors t;
    const int64_t B = hLast.size(0);
    auto prev = reasoning_head->forward(hLast);
    t.steps.push_back(prev);
    t.scores.emplace_back();
    auto active = torch::ones({B}, torch::TensorOptions().dtype(torch::kBool).device(hLast.device()));
    t.accepted.push_back(active);
    t.answerLogits.push_back(answer_head->forward(prev));
    auto last = torch::zeros({B}, torch::TensorOptions().dtype(torch::kLong).device(hLast.device()));
    for (int64_t i = 1; i < maxSteps; ++i) {
        auto s = reasoning_head->forward(prev);
        auto score = step_validator->forward(torch::cat({s, prev}, -1)).squeeze(-1);
        auto acc = active & (score >= threshold);
        t.steps.push_back(s);
        t.scores.push_back(score);
        t.accepted.push_back(acc);
        t.answerLogits.push_back(answer_head->forward(s));
        last = torch::where(acc, torch::full_like(last, i), last);
        active = acc;
        if (!active.any().item<bool>())
            break;
        prev = s;
    }
    auto all = torch::stack(t.answerLogits, 1);   // [B, S, R]
    t.finalLogits = all.gather(1, last.view({B, 1, 1}).expand({B, 1, all.size(2)})).squeeze(1);
    t.lastAccepted = last;
    return t;
}

EmberVLMImpl::EmberVLMImpl(const ModelConfig& c) : cfg(c)
{
    cfg.validate();
    vision = register_module("vision", RepVit(cfg));
    projection = register_module("projection", Projection(cfg));
    language_model = register_module("language_model", LanguageModel(cfg));
    reasoning = register_module("reasoning", ReasoningModule(cfg));
}

torch::Tensor EmberVLMImpl::visionMap(const torch::Tensor& images) { return vision(images); }

torch::Tensor EmberVLMImpl::visualTokens(const torch::Tensor& map)
{
    auto pooled = F::adaptive_avg_pool2d(map, F::AdaptiveAvgPool2dFuncOptions({cfg.visual_grid[0], cfg.visual_grid[1]}));
    auto tokens = pooled.flatten(2).transpose(1, 2);   // [B, rows*cols, C], row-major grid
    return projection(tokens);
}

namespace {
void collect(const torch::nn::Module& m, const std::string& prefix,
             std::vector<std::pair<std::string, torch::Tensor>>& out)
{
    for (const auto& p : m.named_parameters(false))
        if (p.value().defined())
            out.emplace_back(prefix + p.key(), p.value());
    for (const auto& b : m.named_buffers(false))
        if (b.value().defined())
            out.emplace_back(prefix + b.key(), b.value());
    for (const auto& c : m.named_children())
        collect(*c.value(), prefix + c.key() + ".", out);
}
} // namespace

std::vector<std::pair<std::string, torch::Tensor>> stateDict(const torch::nn::Module& m)
{
    std::vector<std::pair<std::string, torch::Tensor>> out;
    collect(m, "", out);
    return out;
}

std::vector<std::pair<std::string, int64_t>> parameterCounts(const EmberVLMImpl& m)
{
    auto count = [](const torch::nn::Module& mod) {
        int64_t n = 0;
        for (const auto& p : mod.parameters())
            n += p.numel();
        return n;
    };
    return {{"vision", count(*m.vision)},
            {"projection", count(*m.projection)},
            {"language_model", count(*m.language_model)},
            {"reasoning", count(*m.reasoning)}};
}

void initWeights(EmberVLMImpl& m, uint64_t seed)
{
    torch::NoGradGuard ng;
    torch::manual_seed(seed);
    const double residualStd = 0.02 / std::sqrt(2.0 * m.cfg.n_layer);   // GPT-2's scaled residual init
    for (auto& [name, t] : stateDict(m)) {
        auto ends = [&](const std::string& s) {
            return name.size() >= s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0;
        };
        if (ends("num_batches_tracked")) t.zero_();
        else if (ends("running_mean")) t.zero_();
        else if (ends("running_var")) t.fill_(1.0);
        else if (name.find("bn.") != std::string::npos && ends(".weight")) {
            // timm starts the second conv of each residual MLP at zero so blocks begin as identity.
            const bool mlpOut = name.find("channel_mixer.conv2.bn") != std::string::npos ||
                                name.find("ffn.conv2.bn") != std::string::npos;
            t.fill_(mlpOut ? 0.0 : 1.0);
        } else if (name.find("bn.") != std::string::npos && ends(".bias")) t.zero_();
        else if (name.find("ln_") != std::string::npos) t.fill_(ends(".weight") ? 1.0 : 0.0);
        else if (name.rfind("vision.", 0) == 0) {
            if (ends(".bias")) t.zero_();
            else {
                const double fanIn = static_cast<double>(t.numel() / t.size(0));
                t.uniform_(-1.0 / std::sqrt(fanIn), 1.0 / std::sqrt(fanIn));
            }
        } else if (ends(".bias")) t.zero_();
        else if (ends("out_proj.weight") || ends("mlp.fc2.weight")) t.normal_(0.0, residualStd);
        else t.normal_(0.0, 0.02);
    }
}

} // namespace ember
