#include "dnnl_matmul.h"

#ifdef EMBERVLM_HAVE_DNNL
#include "dnnl_support.h"

#include <ATen/Parallel.h>
#include <oneapi/dnnl/dnnl.hpp>

#include <atomic>
#include <iostream>

#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#endif

namespace ember {

#ifdef EMBERVLM_HAVE_DNNL
namespace {

using dnnl::memory;
using Tag = memory::format_tag;
constexpr auto f32 = memory::data_type::f32;

struct Matmul {
    memory::desc src, weights, bias, dst;
    dnnl::matmul prim;
};

struct Matmuls {
    dnnl::engine eng = onednn::engine();
    std::mutex mutex;
    std::map<std::tuple<int64_t, int64_t, int64_t, bool>, std::shared_ptr<const Matmul>> cache;
    // Set for good when oneDNN would run a product in reference code (or cannot build it): the
    // products then run through LibTorch (OpenBLAS), and path() says why.
    std::atomic<bool> refused{false};
    std::string refusal;     // guarded by mutex
    std::string lastImpl;    // guarded by mutex

    // One primitive per shape: a new row count costs about 0.2 ms once (kernel generation).
    // Shared: a caller keeps its primitive while another thread's call clears the table.
    std::shared_ptr<const Matmul> get(int64_t M, int64_t K, int64_t N, bool hasBias)
    {
        std::lock_guard<std::mutex> lock(mutex);
        const auto key = std::make_tuple(M, K, N, hasBias);
        auto it = cache.find(key);
        if (it != cache.end())
            return it->second;
        if (cache.size() >= 512)
            cache.clear();   // prompts of every length: keep the table bounded
        auto p = std::make_shared<Matmul>();
        Matmul& m = *p;
        m.src = memory::desc({M, K}, f32, Tag::ab);
        m.weights = memory::desc({K, N}, f32, Tag::ba);   // w[N,K] row-major, seen as [K,N]
        m.bias = hasBias ? memory::desc({1, N}, f32, Tag::ab) : memory::desc();
        m.dst = memory::desc({M, N}, f32, Tag::ab);
        try {
            dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(m.src, m.weights, m.bias, m.dst), eng);
            lastImpl = onednn::checkedImpl(pd, "matmul");
            m.prim = dnnl::matmul(pd);
        } catch (const std::exception& e) {
            refusal = e.what();
            refused = true;
            std::cerr << "oneDNN prompt products not used: " << refusal << "; running LibTorch's (OpenBLAS)\n";
            return nullptr;
        }
        cache.emplace(key, p);
        return p;
    }
};

Matmuls& matmuls()
{
    static Matmuls m;
    return m;
}

} // namespace

bool dnnlLinearRows(const float* x, const float* w, const float* b, float* y, int64_t M, int64_t K, int64_t N)
{
    if (!dnnlAvailable())
        return false;
    auto& all = matmuls();
    if (all.refused)
        return false;
    const auto mp = all.get(M, K, N, b != nullptr);
    if (!mp)
        return false;
    const Matmul& m = *mp;
    at::internal::lazy_init_num_threads();   // oneDNN's OpenMP threads: as many as LibTorch uses
    dnnl::stream strm(all.eng);
    std::unordered_map<int, memory> args{
        {DNNL_ARG_SRC, memory(m.src, all.eng, const_cast<float*>(x))},
        {DNNL_ARG_WEIGHTS, memory(m.weights, all.eng, const_cast<float*>(w))},
        {DNNL_ARG_DST, memory(m.dst, all.eng, y)}};
    if (b)
        args.emplace(DNNL_ARG_BIAS, memory(m.bias, all.eng, const_cast<float*>(b)));
    m.prim.execute(strm, args);
    strm.wait();
    return true;
}

std::string dnnlMatmulPath()
{
    if (!dnnlAvailable())
        return "LibTorch (OpenBLAS; oneDNN off: EMBERVLM_ONEDNN=0)";
    auto& all = matmuls();
    std::lock_guard<std::mutex> lock(all.mutex);
    if (all.refused)
        return "LibTorch (OpenBLAS; " + all.refusal + ")";
    return "oneDNN matmul at " + onednn::effectiveIsaName() + (all.lastImpl.empty() ? "" : " (" + all.lastImpl + ")");
}

std::string dnnlIsa()
{
    return onednn::effectiveIsaName();
}

bool dnnlAvailable()
{
    // EMBERVLM_ONEDNN=0 runs LibTorch's ops instead: for comparisons, and a way around a oneDNN fault.
    static const bool on = [] {
        const char* v = std::getenv("EMBERVLM_ONEDNN");
        return !(v && std::string(v) == "0");
    }();
    return on;
}
#else
std::string dnnlMatmulPath()
{
    return "LibTorch (OpenBLAS; built without oneDNN)";
}

std::string dnnlIsa()
{
    return "none (built without oneDNN)";
}

bool dnnlLinearRows(const float*, const float*, const float*, float*, int64_t, int64_t, int64_t)
{
    return false;
}

bool dnnlAvailable()
{
    return false;
}
#endif

} // namespace ember
