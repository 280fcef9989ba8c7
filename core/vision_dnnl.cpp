#include "vision_dnnl.h"

#include "dnnl_support.h"

#include <ATen/Parallel.h>
#include <oneapi/dnnl/dnnl.hpp>

#include <functional>
#include <iostream>
#include <list>
#include <map>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace ember {

namespace {

using dnnl::memory;
using Tag = memory::format_tag;
constexpr auto f32 = memory::data_type::f32;
constexpr auto inference = dnnl::prop_kind::forward_inference;

// A weight (or bias) reordered once into the layout the first plan's primitive asked for.
struct StoredWeight {
    torch::Tensor plain;   // until the first plan has reordered it
    memory::dims dims;
    Tag plainTag = Tag::undef;
    memory stored;
};

struct ConvSpec {
    int64_t ic = 0, oc = 0, k = 1, stride = 1, pad = 0, groups = 1;
    StoredWeight weight, bias;
};

struct SeSpec {
    int64_t channels = 0, reduced = 0;
    StoredWeight w1, b1, w2, b2;
};

struct BlockSpec {
    int mixer = -1, fc1 = -1, fc2 = -1, se = -1;   // indices into the spec tables; se -1: none
};

struct Op {
    dnnl::primitive prim;
    std::unordered_map<int, memory> args;
    std::function<void()> run;   // our own loop in place of a primitive (when set)
};

// x[b, c, :, :] *= scale[b, c] on a channel-blocked tensor (nChw8c / nChw16c, channels padded to
// the block): where oneDNN has no jit broadcast multiply (SSE4.1), this loop runs instead of its
// reference one.
void scaleChannelsBlocked(float* x, const float* scale, int64_t B, int64_t C, int64_t HW, int64_t block)
{
    const int64_t blocks = (C + block - 1) / block;
    at::parallel_for(0, B * blocks, 1, [&](int64_t begin, int64_t end) {
        float s[16];
        for (int64_t i = begin; i < end; ++i) {
            const int64_t b = i / blocks, cb = i % blocks;
            for (int64_t l = 0; l < block; ++l) {
                const int64_t c = cb * block + l;
                s[l] = c < C ? scale[b * C + c] : 0.f;
            }
            float* p = x + i * HW * block;
            for (int64_t j = 0; j < HW; ++j, p += block)
                for (int64_t l = 0; l < block; ++l)
                    p[l] *= s[l];
        }
    });
}

struct Plan {
    int64_t batch = 0, height = 0, width = 0;
    memory input, output;   // the caller's tensors, set per call
    memory::dims outDims;
    std::vector<Op> ops;
    std::map<std::string, int> impls;   // what oneDNN runs, and how often per image
};


} // namespace

struct DnnlRepVit::Impl {
    dnnl::engine eng = onednn::engine();
    std::vector<ConvSpec> convs;
    std::vector<SeSpec> ses;
    int stem1 = -1, stem2 = -1;
    struct Stage {
        bool hasDownsample = false;
        BlockSpec pre;
        int spatial = -1, channel = -1, ffn1 = -1, ffn2 = -1;
        std::vector<BlockSpec> blocks;
    };
    std::vector<Stage> stages;
    bool weightsStored = false;
    // The blocked layout of the activations: the one oneDNN's jit kernels take at its ISA (16
    // channels on AVX-512, 8 below); 8 on AVX-512 too when a width has no 16-channel jit kernel
    // (a small stem), where oneDNN's AVX2 kernels run it.
    Tag tag = onednn::blockedTag();

    // After a failed first plan: the copies it made so far go; the plain tensors stay for `fallback`.
    void dropStoredWeights()
    {
        for (auto& c : convs)
            c.weight.stored = c.bias.stored = memory();
        for (auto& s : ses)
            s.w1.stored = s.b1.stored = s.w2.stored = s.b2.stored = memory();
    }
    FoldedRepVit fallback;   // kept until the first plan is built; run on LibTorch's ops if that fails
    bool failed = false;
    std::string failure;     // why, when failed
    bool warnedLaterReference = false;

    mutable std::mutex mutex;
    mutable std::list<Plan> plans;   // most recently used first

    static StoredWeight weightOf(const torch::Tensor& t, memory::dims dims, Tag tag)
    {
        StoredWeight w;
        w.plain = t.detach().to(torch::kCPU, torch::kFloat32).contiguous();
        w.dims = std::move(dims);
        w.plainTag = tag;
        return w;
    }

    int addConv(const FusedConv& c)
    {
        ConvSpec s;
        s.oc = c.weight.size(0);
        s.groups = c.groups;
        s.ic = c.weight.size(1) * c.groups;
        s.k = c.weight.size(2);
        s.stride = c.stride;
        s.pad = c.pad;
        if (s.groups == 1)
            s.weight = weightOf(c.weight, {s.oc, s.ic, s.k, s.k}, Tag::oihw);
        else
            s.weight = weightOf(c.weight, {s.groups, s.oc / s.groups, s.ic / s.groups, s.k, s.k}, Tag::goihw);
        s.bias = weightOf(c.bias, {s.oc}, Tag::x);
        convs.push_back(std::move(s));
        return static_cast<int>(convs.size()) - 1;
    }

    BlockSpec addBlock(const FusedBlock& b)
    {
        BlockSpec s;
        s.mixer = addConv(b.mixer);
        if (b.seW1.defined()) {
            SeSpec se;
            se.reduced = b.seW1.size(0);
            se.channels = b.seW1.size(1);
            se.w1 = weightOf(b.seW1, {se.reduced, se.channels, 1, 1}, Tag::oihw);
            se.b1 = weightOf(b.seB1, {se.reduced}, Tag::x);
            se.w2 = weightOf(b.seW2, {se.channels, se.reduced}, Tag::oi);
            se.b2 = weightOf(b.seB2, {se.channels}, Tag::x);
            ses.push_back(std::move(se));
            s.se = static_cast<int>(ses.size()) - 1;
        }
        s.fc1 = addConv(b.fc1);
        s.fc2 = addConv(b.fc2);
        return s;
    }

    // The weight in the layout `want`: the stored copy, or a reorder of it for this plan alone.
    memory weightFor(StoredWeight& w, const memory::desc& want, dnnl::stream& strm)
    {
        if (!w.stored) {
            memory src({w.dims, f32, w.plainTag}, eng, w.plain.data_ptr());
            w.stored = memory(want, eng);
            dnnl::reorder(src, w.stored).execute(strm, src, w.stored);
            return w.stored;
        }
        if (w.stored.get_desc() == want)
            return w.stored;
        memory m(want, eng);
        dnnl::reorder(w.stored, m).execute(strm, w.stored, m);
        return m;
    }

    // Activations: buffers are reused once their value is dead (the chain runs in order).
    struct Buffers {
        dnnl::engine eng;
        std::vector<memory> free;
        memory take(const memory::desc& d)
        {
            for (size_t i = 0; i < free.size(); ++i)
                if (free[i].get_desc() == d) {
                    memory m = free[i];
                    free.erase(free.begin() + static_cast<std::ptrdiff_t>(i));
                    return m;
                }
            return memory(d, eng);
        }
        void give(const memory& m) { free.push_back(m); }
    };

    struct Builder {
        Impl& impl;
        Plan& plan;
        Buffers buffers;
        dnnl::stream strm;
        bool strict;   // the first plan: refuse reference kernels (LibTorch's ops run instead)

        memory::desc blocked(const memory::dims& dims) const { return {dims, f32, impl.tag}; }
        int64_t block() const { return impl.tag == Tag::nChw16c ? 16 : 8; }

        // Records what oneDNN picked; a reference kernel ends the first plan.
        template <class PrimitiveDesc>
        void check(const PrimitiveDesc& pd, const char* what)
        {
            std::string impl = pd.impl_info_str();
            if (strict)
                impl = onednn::checkedImpl(pd, what);
            plan.impls[impl] += 1;
        }

        // dst = conv(src) [+ dst when `accumulate`] [then GELU when `gelu`].
        memory conv(int index, const memory& src, bool gelu, const memory* accumulate = nullptr)
        {
            ConvSpec& c = impl.convs[static_cast<size_t>(index)];
            const auto sd = src.get_desc().dims();
            const int64_t oh = (sd[2] + 2 * c.pad - c.k) / c.stride + 1;
            const int64_t ow = (sd[3] + 2 * c.pad - c.k) / c.stride + 1;
            const memory::dims dstDims{sd[0], c.oc, oh, ow};
            memory::dims wd = c.groups == 1 ? memory::dims{c.oc, c.ic, c.k, c.k}
                                            : memory::dims{c.groups, c.oc / c.groups, c.ic / c.groups, c.k, c.k};
            dnnl::convolution_forward::desc desc(inference, dnnl::algorithm::convolution_direct, src.get_desc(),
                                                 memory::desc(wd, f32, Tag::any), memory::desc({c.oc}, f32, Tag::x),
                                                 blocked(dstDims), {c.stride, c.stride}, {c.pad, c.pad},
                                                 {c.pad, c.pad});
            dnnl::post_ops po;
            if (accumulate)
                po.append_sum(1.f);
            if (gelu)
                po.append_eltwise(1.f, dnnl::algorithm::eltwise_gelu_erf, 0.f, 0.f);
            dnnl::primitive_attr attr;
            attr.set_post_ops(po);
            dnnl::convolution_forward::primitive_desc pd(desc, attr, impl.eng);
            check(pd, c.groups == 1 ? "convolution" : "depthwise convolution");
            memory dst = accumulate ? *accumulate : buffers.take(pd.dst_desc());
            Op op{dnnl::convolution_forward(pd),
                  {{DNNL_ARG_SRC, src},
                   {DNNL_ARG_WEIGHTS, impl.weightFor(c.weight, pd.weights_desc(), strm)},
                   {DNNL_ARG_BIAS, impl.weightFor(c.bias, pd.bias_desc(), strm)},
                   {DNNL_ARG_DST, dst}}};
            plan.ops.push_back(std::move(op));
            return dst;
        }

        // x * sigmoid(W2 relu(W1 mean(x) + b1) + b2), per channel, in place.
        void squeezeExcite(int index, const memory& x)
        {
            SeSpec& s = impl.ses[static_cast<size_t>(index)];
            const auto xd = x.get_desc().dims();
            const int64_t B = xd[0];
            dnnl::pooling_forward::desc poolDesc(inference, dnnl::algorithm::pooling_avg_exclude_padding,
                                                 x.get_desc(), blocked({B, s.channels, 1, 1}), {xd[2], xd[3]},
                                                 {xd[2], xd[3]}, {0, 0}, {0, 0});
            dnnl::pooling_forward::primitive_desc poolPd(poolDesc, impl.eng);
            check(poolPd, "squeeze-excite pooling");
            memory pooled(poolPd.dst_desc(), impl.eng);
            plan.ops.push_back({dnnl::pooling_forward(poolPd), {{DNNL_ARG_SRC, x}, {DNNL_ARG_DST, pooled}}});

            auto innerProduct = [&](const memory& src, StoredWeight& w, StoredWeight& b, memory::dims wdims,
                                    int64_t out, dnnl::algorithm act) {
                dnnl::inner_product_forward::desc desc(inference, src.get_desc(), memory::desc(wdims, f32, Tag::any),
                                                       memory::desc({out}, f32, Tag::x),
                                                       memory::desc({B, out}, f32, Tag::nc));
                dnnl::post_ops po;
                po.append_eltwise(1.f, act, 0.f, 0.f);
                dnnl::primitive_attr attr;
                attr.set_post_ops(po);
                dnnl::inner_product_forward::primitive_desc pd(desc, attr, impl.eng);
                check(pd, "squeeze-excite inner product");
                memory dst(pd.dst_desc(), impl.eng);
                plan.ops.push_back({dnnl::inner_product_forward(pd),
                                    {{DNNL_ARG_SRC, src},
                                     {DNNL_ARG_WEIGHTS, impl.weightFor(w, pd.weights_desc(), strm)},
                                     {DNNL_ARG_BIAS, impl.weightFor(b, pd.bias_desc(), strm)},
                                     {DNNL_ARG_DST, dst}}});
                return dst;
            };
            memory hidden = innerProduct(pooled, s.w1, s.b1, {s.reduced, s.channels, 1, 1}, s.reduced,
                                         dnnl::algorithm::eltwise_relu);
            memory scale = innerProduct(hidden, s.w2, s.b2, {s.channels, s.reduced}, s.channels,
                                        dnnl::algorithm::eltwise_logistic);
            // oneDNN's jit broadcast multiply takes the [B, C] scales as a blocked [B, C, 1, 1]; with C
            // a multiple of the block the two layouts are the same bytes.
            memory scale4;
            const bool sameBytes = s.channels % block() == 0;
            if (sameBytes)
                scale4 = memory(blocked({B, s.channels, 1, 1}), impl.eng, scale.get_data_handle());
            else
                scale4 = memory(blocked({B, s.channels, 1, 1}), impl.eng);
            dnnl::binary::desc mulDesc(dnnl::algorithm::binary_mul, x.get_desc(), scale4.get_desc(), x.get_desc());
            dnnl::binary::primitive_desc mulPd(mulDesc, impl.eng);
            if (onednn::isReference(mulPd.impl_info_str())) {
                // No jit kernel (SSE4.1): our loop, straight from the plain [B, C] scales.
                const int64_t C = s.channels, HW = xd[2] * xd[3], blk = block();
                plan.ops.push_back({{}, {}, [x, scale, B, C, HW, blk] {
                                        scaleChannelsBlocked(static_cast<float*>(x.get_data_handle()),
                                                             static_cast<const float*>(scale.get_data_handle()), B, C,
                                                             HW, blk);
                                    }});
                plan.impls["own:scale_channels"] += 1;
                return;
            }
            check(mulPd, "squeeze-excite multiply");
            if (!sameBytes) {
                memory plain({{B, s.channels, 1, 1}, f32, Tag::nchw}, impl.eng, scale.get_data_handle());
                dnnl::reorder::primitive_desc rpd(plain, scale4);
                check(rpd, "squeeze-excite scale reorder");
                plan.ops.push_back({dnnl::reorder(rpd), {{DNNL_ARG_FROM, plain}, {DNNL_ARG_TO, scale4}}});
            }
            plan.ops.push_back({dnnl::binary(mulPd),
                                {{DNNL_ARG_SRC_0, x}, {DNNL_ARG_SRC_1, scale4}, {DNNL_ARG_DST, x}}});
        }

        // x + fc2(gelu(fc1(x))), written over x.
        void residualFfn(int fc1, int fc2, const memory& x)
        {
            memory hidden = conv(fc1, x, true);
            conv(fc2, hidden, false, &x);
            buffers.give(hidden);
        }

        memory block(const BlockSpec& b, const memory& x)
        {
            memory t = conv(b.mixer, x, false);
            buffers.give(x);
            if (b.se >= 0)
                squeezeExcite(b.se, t);
            residualFfn(b.fc1, b.fc2, t);
            return t;
        }
    };

    Plan& planFor(int64_t B, int64_t H, int64_t W)
    {
        for (auto it = plans.begin(); it != plans.end(); ++it)
            if (it->batch == B && it->height == H && it->width == W) {
                plans.splice(plans.begin(), plans, it);
                return plans.front();
            }
        Plan plan;
        plan.batch = B;
        plan.height = H;
        plan.width = W;
        Builder b{*this, plan, Buffers{eng, {}}, dnnl::stream(eng), !weightsStored};
        plan.input = memory({{B, 3, H, W}, f32, Tag::nchw}, eng, DNNL_MEMORY_NONE);
        memory stem = b.conv(stem1, plan.input, true);
        memory x = b.conv(stem2, stem, false);
        b.buffers.give(stem);
        for (const auto& s : stages) {
            if (s.hasDownsample) {
                x = b.block(s.pre, x);
                memory y = b.conv(s.spatial, x, false);
                b.buffers.give(x);
                x = b.conv(s.channel, y, false);
                b.buffers.give(y);
                b.residualFfn(s.ffn1, s.ffn2, x);
            }
            for (const auto& blk : s.blocks)
                x = b.block(blk, x);
        }
        plan.outDims = x.get_desc().dims();
        plan.output = memory({plan.outDims, f32, Tag::nchw}, eng, DNNL_MEMORY_NONE);
        dnnl::reorder::primitive_desc outPd(x, plan.output);
        b.check(outPd, "output reorder");
        plan.ops.push_back({dnnl::reorder(outPd), {{DNNL_ARG_FROM, x}, {DNNL_ARG_TO, plan.output}}});
        b.strm.wait();
        if (!b.strict && !warnedLaterReference)
            for (const auto& [name, count] : plan.impls)
                if (onednn::isReference(name)) {
                    warnedLaterReference = true;
                    std::cerr << "oneDNN vision encoder: " << B << "x" << H << "x" << W
                              << " runs a reference kernel (" << name << ")\n";
                    break;
                }
        if (!weightsStored) {
            // Every weight now has its oneDNN copy: the plain tensors can go.
            for (auto& c : convs)
                c.weight.plain = c.bias.plain = torch::Tensor();
            for (auto& s : ses)
                s.w1.plain = s.b1.plain = s.w2.plain = s.b2.plain = torch::Tensor();
            fallback = FoldedRepVit{};
            weightsStored = true;
        }
        plans.push_front(std::move(plan));
        // A plan holds its activation buffers: keep a few shapes (batch 1, a training batch, ...).
        while (plans.size() > 3)
            plans.pop_back();
        return plans.front();
    }
};

DnnlRepVit::DnnlRepVit(const FoldedRepVit& net) : d(std::make_unique<Impl>())
{
    d->fallback = net;   // shares the tensors' storage
    try {
        d->stem1 = d->addConv(net.stem1);
        d->stem2 = d->addConv(net.stem2);
        for (const auto& s : net.stages) {
            Impl::Stage st;
            st.hasDownsample = s.hasDownsample;
            if (s.hasDownsample) {
                st.pre = d->addBlock(s.pre);
                st.spatial = d->addConv(s.spatial);
                st.channel = d->addConv(s.channel);
                st.ffn1 = d->addConv(s.ffn1);
                st.ffn2 = d->addConv(s.ffn2);
            }
            for (const auto& b : s.blocks)
                st.blocks.push_back(d->addBlock(b));
            d->stages.push_back(std::move(st));
        }
    } catch (const dnnl::error& e) {
        throw std::runtime_error(std::string("oneDNN: ") + e.what());
    }
}

DnnlRepVit::~DnnlRepVit() = default;

std::string DnnlRepVit::path() const
{
    std::lock_guard<std::mutex> lock(d->mutex);
    if (d->failed)
        return "LibTorch ops (" + d->failure + ")";
    if (d->plans.empty())
        return "oneDNN chain (not built yet)";
    std::string s = "oneDNN chain at " + onednn::effectiveIsaName() + ":";
    for (const auto& [name, count] : d->plans.front().impls)
        s += " " + name + " x" + std::to_string(count);
    return s;
}

bool DnnlRepVit::chainInUse() const
{
    std::lock_guard<std::mutex> lock(d->mutex);
    return !d->failed && !d->plans.empty();
}

std::vector<std::string> DnnlRepVit::implementations() const
{
    std::lock_guard<std::mutex> lock(d->mutex);
    std::vector<std::string> out;
    if (!d->failed && !d->plans.empty())
        for (const auto& kv : d->plans.front().impls)
            out.push_back(kv.first);
    return out;
}

torch::Tensor DnnlRepVit::forward(const torch::Tensor& input) const
{
    TORCH_CHECK(input.dim() == 4 && input.size(1) == 3, "vision input must be [B, 3, H, W]");
    auto x = input.to(torch::kCPU, torch::kFloat32).contiguous();
    std::lock_guard<std::mutex> lock(d->mutex);
    if (d->failed)
        return d->fallback.forward(x);
    try {
        Plan* planPtr = nullptr;
        try {
            try {
                planPtr = &d->planFor(x.size(0), x.size(2), x.size(3));
            } catch (const onednn::ReferenceKernel&) {
                if (d->weightsStored || d->tag != Tag::nChw16c)
                    throw;
                d->dropStoredWeights();
                d->tag = Tag::nChw8c;
                planPtr = &d->planFor(x.size(0), x.size(2), x.size(3));
            }
        } catch (const std::exception& e) {
            const bool reference = dynamic_cast<const onednn::ReferenceKernel*>(&e) != nullptr;
            if (d->weightsStored || !(reference || dynamic_cast<const dnnl::error*>(&e)))
                throw;
            // oneDNN cannot run this network (fast) here: LibTorch's ops can, for good.
            d->failed = true;
            d->failure = e.what();
            d->dropStoredWeights();
            std::cerr << "oneDNN vision encoder not used: " << d->failure << "; running LibTorch's ops\n";
            return d->fallback.forward(x);
        }
        Plan& plan = *planPtr;
        auto out = torch::empty(plan.outDims, torch::kFloat32);
        // oneDNN's OpenMP threads: as many as LibTorch uses, on whichever thread calls this (once
        // per thread, as LibTorch does: init_num_threads itself rebuilds a thread pool each time).
        at::internal::lazy_init_num_threads();
        dnnl::stream strm(d->eng);
        plan.input.set_data_handle(x.data_ptr());
        plan.output.set_data_handle(out.data_ptr());
        for (auto& op : plan.ops) {
            if (op.run) {
                strm.wait();   // a CPU stream runs in order; wait makes that explicit for our loop
                op.run();
            } else {
                op.prim.execute(strm, op.args);
            }
        }
        strm.wait();
        return out;
    } catch (const dnnl::error& e) {
        throw std::runtime_error(std::string("oneDNN vision encoder: ") + e.what());
    }
}

} // namespace ember
