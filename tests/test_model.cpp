// The LibTorch model against the independent PyTorch reference, number by number, plus the
// re-parameterised vision form, the KV cache, padding and the presets.
#include "checkpoint.h"
#include "cpu_isa.h"
#include "decoder.h"
#include "describe.h"
#include "dnnl_matmul.h"
#include "dropout.h"
#include "engine.h"
#include "kernels.h"
#include "model.h"
#include "reparam.h"
#include "runtime.h"
#include "sampling.h"
#include "isa_variant.h"
#include "python_ref.h"
#include "test_image_util.h"

#include <algorithm>
#include <QFile>
#include <QImage>
#include <QJsonArray>
#include <QTemporaryDir>
#include <QtTest>

#include <thread>

using namespace ember;

namespace {

const char* kSmallConfig =
    R"({"vision_widths":[16,32,48,64],"vision_depths":[1,2,3,1],"visual_grid":[2,4],"n_embd":64,"n_head":4,)"
    R"("n_layer":2,"n_inner":128,"proj_hidden":96,"reasoning_hidden":96,"validator_hidden":48,"answer_hidden":32,)"
    R"("max_reasoning_steps":5,"consistency_threshold":0.9})";

ModelConfig smallConfig()
{
    ModelConfig cfg;
    cfg.applyOverrides(kSmallConfig);
    return cfg;
}

// The small model, seeded, in eval mode.
EmberVLM smallModel(uint64_t seed)
{
    EmberVLM m(smallConfig());
    initWeights(*m, seed);
    m->eval();
    return m;
}

// A RepViT with trained-looking statistics (BatchNorm's running mean and variance away from 0 and
// 1), in eval mode.
RepVit randomVision(const ModelConfig& cfg, uint64_t seed)
{
    torch::manual_seed(seed);
    RepVit vision(cfg);
    torch::NoGradGuard ng;
    for (auto& [name, t] : stateDict(*vision)) {
        if (name.find("running_var") != std::string::npos) t.uniform_(0.5, 1.5);
        else if (name.find("running_mean") != std::string::npos) t.normal_(0, 0.1);
        else if (name.find("num_batches") != std::string::npos) t.zero_();
        else if (name.find("bn.weight") != std::string::npos) t.uniform_(0.5, 1.5);
        else if (t.dim() == 4) t.normal_(0, 0.5 / std::sqrt(static_cast<double>(t[0].numel())));
        else t.normal_(0, 0.1);
    }
    vision->eval();
    return vision;
}

QString idsArg(const std::vector<int>& ids)
{
    QStringList s;
    for (int id : ids)
        s << QString::number(id);
    return s.join(',');
}

} // namespace

class TestModel final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        if (const QString skip = isaVariantSkipReason(); !skip.isEmpty())
            QSKIP(qPrintable(skip));
        qInfo() << "cpu path:" << isaSummary().c_str();
        setComputeThreads(0);
        QVERIFY(dir_.isValid());
        image_ = test_image::writeImage(dir_.path(), "scene.png", 301, 197);
    }

    void parity_data()
    {
        QTest::addColumn<QString>("config");
        QTest::addColumn<bool>("withImage");
        QTest::addColumn<QString>("prompt");
        QTest::newRow("base+image") << QString(R"({"consistency_threshold":0.3})") << true
                                    << QString("Task: inspect the roof of a tall building for cracks.");
        QTest::newRow("base-no-image") << QString(R"({"consistency_threshold":0.5})") << false
                                       << QString("Hello <|robot_selection|> world");
        QTest::newRow("small-grid2x4") << QString(kSmallConfig) << true << QString("Explore the reef");
        QTest::newRow("small-no-image") << QString(kSmallConfig) << false << QString("a b c");
    }

    // Vision map statistics, the ten best next-token logits and the whole reasoning trace agree
    // with the reference implementation.
    void parity()
    {
        QFETCH(QString, config);
        QFETCH(bool, withImage);
        QFETCH(QString, prompt);
        const QString ckpt = dir_.path() + "/ref-" + QString::number(qHash(config)) + ".safetensors";
        QByteArray out;
        if (!QFile::exists(ckpt))
            QVERIFY(runReference({"init", "--config-json", config, "--seed", "11", "--nonzero-bias", "-o", ckpt}, &out));

        Engine engine("cpu");
        engine.loadCheckpoint(ckpt.toStdString());
        if (withImage)
            engine.setImage(engine.loadImage(image_.toStdString()));
        const auto ids = engine.tokenize(prompt.toStdString());
        QStringList args{"forward", "--checkpoint", ckpt, "--ids", idsArg(ids)};
        args << (withImage ? QStringList{"--image", image_} : QStringList{"--no-image"});
        QVERIFY(runReference(args, &out));
        const auto ref = QJsonDocument::fromJson(out).object();
        const auto probe = engine.forward(prompt.toStdString());

        QCOMPARE(probe.hasVision, withImage);
        if (withImage) {
            const double m = ref["vision_mean"].toDouble(), s = ref["vision_std"].toDouble();
            QVERIFY2(std::abs(probe.visionMean - m) <= 1e-4 * std::max(1.0, std::abs(m)),
                     qPrintable(QString("vision_mean %1 vs %2").arg(probe.visionMean).arg(m)));
            QVERIFY2(std::abs(probe.visionStd - s) <= 1e-4 * std::max(1.0, s),
                     qPrintable(QString("vision_std %1 vs %2").arg(probe.visionStd).arg(s)));
        }
        const auto top = ref["top10"].toArray();
        QCOMPARE(top.size(), 10);
        for (int i = 0; i < 10; ++i) {
            const auto pair = top[i].toArray();
            QCOMPARE(probe.top10[i].first, pair[0].toInt());
            QVERIFY(std::abs(probe.top10[i].second - pair[1].toDouble()) < 1e-4);
        }
        const auto trace = ref["trace"].toObject();
        const auto steps = trace["steps"].toArray();
        QCOMPARE(static_cast<int>(probe.selection.trace.steps.size()), steps.size());
        for (int i = 0; i < steps.size(); ++i) {
            const auto s = steps[i].toObject();
            const auto& mine = probe.selection.trace.steps[i];
            QCOMPARE(mine.hasScore, !s["score"].isNull());
            if (mine.hasScore)
                QVERIFY(std::abs(mine.score - s["score"].toDouble()) < 1e-5);
            QCOMPARE(mine.accepted, s["accepted"].toBool());
            const auto probs = s["answer_probs"].toArray();
            QCOMPARE(mine.answerProbs.size(), static_cast<size_t>(probs.size()));
            for (int r = 0; r < probs.size(); ++r)
                QVERIFY(std::abs(mine.answerProbs[r] - probs[r].toDouble()) < 1e-5);
        }
        QCOMPARE(probe.selection.trace.answer, trace["answer"].toInt());
    }

    // The folded inference form of RepViT gives the training form's outputs within 1e-4.
    void reparameterisationMatches()
    {
        // The third: widths that are not multiples of oneDNN's 16-channel blocks.
        for (const char* cfgJson : {"{}", kSmallConfig, R"({"vision_widths":[24,40,56,72],"vision_depths":[1,2,1,1]})"}) {
            ModelConfig cfg;
            cfg.applyOverrides(cfgJson);
            RepVit vision = randomVision(cfg, 5);
            torch::NoGradGuard ng;
            FusedRepVit fused(*vision);
            // Built with oneDNN, the folded network must run as its primitive chain, not fall back.
            QCOMPARE(fused.usesOneDnn(), dnnlAvailable());
            // Batch 2 and 1 at the model's size, then another size: each shape its own plan, the
            // batch of 2 broadcasting its squeeze-excite scales per image.
            for (auto shape : {std::vector<int64_t>{2, 3, cfg.image_size, cfg.image_size},
                               std::vector<int64_t>{1, 3, cfg.image_size, cfg.image_size},
                               std::vector<int64_t>{1, 3, 160, 160}, std::vector<int64_t>{2, 3, cfg.image_size, cfg.image_size}}) {
                auto x = torch::randn(shape);
                auto a = vision->forward(x);
                auto b = fused.forward(x);
                QCOMPARE(a.sizes().vec(), b.sizes().vec());
                const double diff = (a - b).abs().max().item<double>();
                qInfo() << "config" << cfgJson << "batch" << shape[0] << "size" << shape[2]
                        << "max |training - fused| =" << diff << "output std" << a.std().item<double>();
                QVERIFY2(diff < 1e-4, qPrintable(QString::number(diff)));
            }
        }
    }

    // Prompt products through oneDNN (when built in) equal LibTorch's addmm, for one row and many.
    void multiRowLinearMatchesAddmm()
    {
        // oneDNN is required at configure time; only EMBERVLM_ONEDNN=0 (not set by ctest) turns it off.
        QVERIFY2(dnnlAvailable(), "oneDNN is off (EMBERVLM_ONEDNN=0?): PackedLinear::rows would use addmm itself");
        torch::manual_seed(11);
        for (auto [M, K, N] : {std::tuple<int64_t, int64_t, int64_t>{1, 64, 96}, {17, 384, 1152}, {65, 1536, 384},
                               {3, 40, 7}}) {
            auto x = torch::randn({M, K}), w = torch::randn({N, K}) * 0.05, b = torch::randn({N});
            auto ref = torch::addmm(b, x, w.t());
            auto y = torch::full({M, N}, std::nanf(""));
            QVERIFY(dnnlLinearRows(x.data_ptr<float>(), w.data_ptr<float>(), b.data_ptr<float>(), y.data_ptr<float>(), M, K, N));
            const double diff = (y - ref).abs().max().item<double>();
            QVERIFY2(diff < 1e-4, qPrintable(QString("M=%1 K=%2 N=%3: %4").arg(M).arg(K).arg(N).arg(diff)));
            // Without a bias, and the same shape again (the cached primitive).
            QVERIFY(dnnlLinearRows(x.data_ptr<float>(), w.data_ptr<float>(), nullptr, y.data_ptr<float>(), M, K, N));
            QVERIFY((y - torch::mm(x, w.t())).abs().max().item<double>() < 1e-4);
        }
    }

    // At every level the vision chain and the prompt products run oneDNN's jit kernels (oneDNN has
    // them from SSE4.1 up), never its reference code; without oneDNN, LibTorch's ops.
    void fastPathsRunNoReferenceKernel()
    {
        ModelConfig cfg;   // base: the channel counts a user's model has
        RepVit vision = randomVision(cfg, 3);
        torch::NoGradGuard ng;
        FusedRepVit fused(*vision);
        const auto input = torch::rand({1, 3, cfg.image_size, cfg.image_size});
        auto out = fused.forward(input);
        auto ref = vision->forward(input);
        const double diff = (ref - out).abs().max().item<double>(), scale = ref.abs().max().item<double>();
        QVERIFY2(diff < 1e-4 * (1 + scale), qPrintable(QString("max diff %1 at max |x| %2").arg(diff).arg(scale)));
        qInfo() << "vision:" << fused.path().c_str();
        if (!dnnlAvailable()) {
            QVERIFY(!fused.chainInUse());
            return;
        }
        QVERIFY2(fused.chainInUse(), fused.path().c_str());
        QVERIFY(!fused.implementations().empty());
        for (const auto& impl : fused.implementations())
            QVERIFY2(impl.rfind("ref", 0) != 0 && impl.find(":ref") == std::string::npos, impl.c_str());
        std::vector<float> x(17 * 384, 0.1f), w(1152 * 384, 0.01f), y(17 * 1152);
        QVERIFY(dnnlLinearRows(x.data(), w.data(), nullptr, y.data(), 17, 384, 1152));
        const std::string mm = dnnlMatmulPath();
        qInfo() << "prompt products:" << mm.c_str();
        QVERIFY2(mm.rfind("oneDNN matmul", 0) == 0 && mm.find("ref") == std::string::npos, mm.c_str());
        // The chain's blocks match the ISA oneDNN runs: 16 channels on AVX-512, 8 below.
        if (activeIsa() < Isa::Avx512)
            QVERIFY2(dnnlIsa().rfind("avx512", 0) != 0, dnnlIsa().c_str());
    }

    // Each SIMD kernel at this process's level against a plain loop: the screen's integer sums
    // exactly (its error bound relies on that), the float kernels to rounding.
    void kernelsMatchPortableLoops()
    {
        torch::manual_seed(9);
        for (int64_t K : {384, 48, 40}) {   // 64-, 16- and 8-multiples: VNNI, AVX2, portable tails
            const int64_t N = 37;
            auto W = torch::randint(-127, 128, {N, K}, torch::kInt8);
            auto x = torch::randint(0, 256, {K}, torch::kUInt8);
            x[0] = 255;   // the extremes, where a sum of two 16-bit products would saturate
            x[1] = 255;
            W[0][0] = -127;
            W[0][1] = -127;
            std::vector<int32_t> y(N, -1);
            kernels::gemvS8U8(W.data_ptr<int8_t>(), x.data_ptr<uint8_t>(), y.data(), N, K);
            auto expect = torch::mv(W.to(torch::kInt64), x.to(torch::kInt64));
            for (int64_t n = 0; n < N; ++n)
                QCOMPARE(static_cast<int64_t>(y[n]), expect[n].item<int64_t>());
        }
        // Attention over the cache: head widths for each path (and the wide-head slice path),
        // cache lengths around the kernels' blocks of 4 keys and 16 scores, and a long context.
        for (int64_t D : {64, 24, 5, 320})
            for (int64_t n : {1, 3, 13, 16, 37, 700}) {
                auto q = torch::randn({D}), K = torch::randn({n, D}), V = torch::randn({n, D});
                std::vector<float> out(D), scores(n);
                kernels::attendF32(q.data_ptr<float>(), K.data_ptr<float>(), V.data_ptr<float>(), out.data(),
                                   scores.data(), n, D, 0.125f);
                auto expect = torch::mv(V.t(), torch::softmax(torch::mv(K, q) * 0.125, 0));
                for (int64_t i = 0; i < D; ++i)
                    QVERIFY2(std::abs(out[i] - expect[i].item<float>()) < 1e-5,
                             qPrintable(QString("D %1, n %2, column %3").arg(D).arg(n).arg(i)));
            }
        {
            const int64_t R = 3, V = 1003;
            auto logits = torch::randn({R, V}) * 4;
            auto target = torch::tensor(std::vector<int64_t>{5, 1002, 0});
            std::vector<float> lse(R), loss(R);
            kernels::softmaxCrossEntropyRows(logits.data_ptr<float>(), target.data_ptr<int64_t>(), lse.data(), loss.data(), R, V);
            auto expectLse = torch::logsumexp(logits.to(torch::kFloat64), 1);
            for (int64_t r = 0; r < R; ++r)
                QVERIFY(std::abs(lse[r] - expectLse[r].item<double>()) < 1e-4);
            auto grad = torch::empty({R, V});
            kernels::softmaxCrossEntropyGrad(logits.data_ptr<float>(), target.data_ptr<int64_t>(), lse.data(), 0.5f,
                                             grad.data_ptr<float>(), R, V);
            auto expectGrad = (torch::softmax(logits, 1) - torch::one_hot(target, V).to(torch::kFloat32)) * 0.5;
            QVERIFY((grad - expectGrad).abs().max().item<double>() < 1e-6);
            // GPT-2's GELU against LibTorch's, over the range where tanh saturates too.
            auto g = torch::linspace(-12, 12, 4099);
            auto expectG = torch::gelu(g, "tanh");
            kernels::geluTanh(g.data_ptr<float>(), g.numel());
            QVERIFY2((g - expectG).abs().max().item<double>() < 2e-6, qPrintable(QString::number((g - expectG).abs().max().item<double>())));
            // A vocabulary-sized normaliser (50,257 values), shifted by its maximum as generation does.
            auto big = torch::randn({50257}) * 3;
            const float mx = big.max().item<float>();
            const double z = kernels::sumExp(big.data_ptr<float>(), big.numel(), mx);
            const double expectZ = (big.to(torch::kFloat64) - mx).exp().sum().item<double>();
            QVERIFY2(std::abs(z / expectZ - 1) < 1e-6, qPrintable(QString::number(z / expectZ - 1)));
        }
        {
            const int64_t n = 1000 + 7;
            auto p = torch::randn({n}), g = torch::randn({n}), m = torch::randn({n}) * 0.1, v = torch::rand({n});
            auto p2 = p.clone(), m2 = m.clone(), v2 = v.clone();
            kernels::adamwStep(p.data_ptr<float>(), g.data_ptr<float>(), m.data_ptr<float>(), v.data_ptr<float>(), n,
                               0.999f, 0.9f, 0.95f, 0.01f, 0.7f, 1e-8f);
            m2 = m2 * 0.9 + g * 0.1;
            v2 = v2 * 0.95 + g * g * 0.05;
            p2 = p2 * 0.999 - 0.01 * m2 / (v2.sqrt() / 0.7 + 1e-8);
            QVERIFY((p - p2).abs().max().item<double>() < 1e-5);
            QVERIFY((m - m2).abs().max().item<double>() < 1e-6);
        }
    }

    // Incremental decoding with the KV cache equals a full forward at every position.
    void kvCacheMatchesFullForward()
    {
        EmberVLM m = smallModel(3);
        torch::NoGradGuard ng;
        auto ids = torch::randint(0, 50000, {1, 12}, torch::kLong);
        auto full = m->language_model->forward(m->language_model->embed(ids));
        KVCache cache;
        auto first = m->language_model->forward(m->language_model->embed(ids.narrow(1, 0, 5)), &cache);
        QVERIFY((first - full.narrow(1, 0, 5)).abs().max().item<double>() < 1e-5);
        for (int t = 5; t < 12; ++t) {
            auto h = m->language_model->forward(m->language_model->embed(ids.narrow(1, t, 1)), &cache);
            QVERIFY((h[0][0] - full[0][t]).abs().max().item<double>() < 1e-4);
        }
        QCOMPARE(cache.length, 12);
    }

    // The packed one-token decoder gives the full forward's hidden states and logits (f32), and
    // stays close in bf16 and int8.
    void fastDecoderMatchesForward()
    {
        EmberVLM m = smallModel(8);
        torch::NoGradGuard ng;
        auto& lm = *m->language_model;
        auto ids = torch::randint(0, 50000, {1, 10}, torch::kLong);
        auto full = lm.forward(lm.embed(ids));
        auto fullLogits = lm.logits(full[0]);
        for (auto fmt : {WeightFormat::F32, WeightFormat::BF16, WeightFormat::I8}) {
            FastDecoder dec(lm, fmt);
            KVCache cache;
            lm.forward(lm.embed(ids.narrow(1, 0, 4)), &cache);
            double worst = 0, worstLogit = 0;
            for (int t = 4; t < 10; ++t) {
                auto h = dec.step(lm.wte->weight[ids[0][t].item<int64_t>()], cache);
                worst = std::max(worst, (h - full[0][t]).abs().max().item<double>());
                worstLogit = std::max(worstLogit, (dec.logits(h) - fullLogits[t]).abs().max().item<double>());
            }
            QCOMPARE(dec.canPrefill(), fmt == WeightFormat::F32);   // the reduced formats decode one token at a time
            if (dec.canPrefill()) {
                // Multi-position prefill after 2 cached positions, then a step on top of it.
                for (int64_t T : {3, 30}) {
                    auto more = torch::randint(0, 50000, {1, 2 + T}, torch::kLong);
                    auto ref = lm.forward(lm.embed(more));
                    KVCache c;
                    lm.forward(lm.embed(more.narrow(1, 0, 2)), &c);
                    auto last = dec.prefill(lm.embed(more.narrow(1, 2, T))[0], c);
                    QCOMPARE(c.length, 2 + T);
                    worst = std::max(worst, (last - ref[0][1 + T]).abs().max().item<double>());
                    auto next = dec.step(lm.wte->weight[7], c);   // the cache holds the prefilled keys
                    auto ref2 = lm.forward(lm.embed(torch::cat({more, torch::full({1, 1}, 7, torch::kLong)}, 1)));
                    worst = std::max(worst, (next - ref2[0][2 + T]).abs().max().item<double>());
                }
            }
            qInfo() << weightFormatName(fmt) << "max |hidden diff|" << worst << "max |logit diff|" << worstLogit;
            const double tol = fmt == WeightFormat::F32 ? 1e-4 : 5e-2;
            QVERIFY2(worst < tol && worstLogit < tol, weightFormatName(fmt));
        }
    }

    // The int8 screen of the f32 head returns the same k largest logits, bit for bit, at the same
    // ids; every other entry stays below them. Peaked, ordinary and flat hidden states (the last
    // takes the full-head path).
    void screenedHeadKeepsExactTopK()
    {
        EmberVLM m = smallModel(9);
        torch::NoGradGuard ng;
        FastDecoder dec(*m->language_model, WeightFormat::F32);
        QVERIFY(dec.weightBytes() < dec.fullWeightBytes());
        torch::manual_seed(3);
        for (double gain : {0.01, 1.0, 30.0}) {
            for (int trial = 0; trial < 5; ++trial) {
                auto h = torch::randn({m->cfg.n_embd}) * gain;
                for (int k : {1, 5, 40}) {
                    auto exact = dec.logits(h), screened = dec.screenedLogits(h, k);
                    QCOMPARE(screened.size(0), exact.size(0));
                    auto te = exact.topk(k), ts = screened.topk(k);
                    QVERIFY(torch::equal(std::get<1>(te), std::get<1>(ts)));
                    QVERIFY(torch::equal(std::get<0>(te), std::get<0>(ts)));
                    // Estimates: close to the exact logits and never above the k-th.
                    QVERIFY((screened - exact).abs().max().item<double>() < 0.05 * gain + 1e-6);
                    auto rest = screened.clone();
                    rest.index_fill_(0, std::get<1>(ts), -1e30);
                    QVERIFY(rest.max().item<float>() <= std::get<0>(ts)[k - 1].item<float>());
                }
            }
        }
        // Other formats have no screen: the same values as logits().
        FastDecoder i8(*m->language_model, WeightFormat::I8);
        auto h = torch::randn({m->cfg.n_embd});
        QVERIFY(torch::equal(i8.screenedLogits(h, 5), i8.logits(h)));
    }

    // Training dropout: the asked-for rate, kept values scaled by 1/(1-p), the same mask in the
    // backward pass, and the same masks again after the same seed.
    void fastDropoutIsDropout()
    {
        auto x = (torch::rand({300001}) + 0.5).requires_grad_(true);
        torch::manual_seed(11);
        auto y = fastDropout(x, 0.1, true);
        const double dropped = (y == 0).to(torch::kDouble).mean().item<double>();
        QVERIFY2(std::abs(dropped - 0.1) < 0.003, qPrintable(QString::number(dropped)));
        auto kept = y != 0;
        QVERIFY(torch::allclose(y.index({kept}), x.index({kept}) / 0.9));
        auto g = torch::autograd::grad({y.sum()}, {x})[0];
        QVERIFY(torch::equal(g != 0, kept));
        QVERIFY(torch::allclose(g.index({kept}), torch::full({kept.sum().item<int64_t>()}, 1 / 0.9f)));
        torch::manual_seed(11);
        QVERIFY(torch::equal(fastDropout(x, 0.1, true), y));
        QVERIFY(!torch::equal(fastDropout(x, 0.1, true), y));   // the generator moved on
        QVERIFY(fastDropout(x, 0.1, false).is_same(x));
    }

    // A right-padded batch gives each sample the hidden states it has alone.
    void paddingMaskIsolatesSamples()
    {
        EmberVLM m = smallModel(4);
        torch::NoGradGuard ng;
        auto a = torch::randint(0, 50000, {1, 7}, torch::kLong);
        auto b = torch::randint(0, 50000, {1, 4}, torch::kLong);
        auto padded = torch::cat({b, torch::full({1, 3}, 50256, torch::kLong)}, 1);
        auto batch = torch::cat({a, padded}, 0);
        auto mask = torch::ones({2, 7}, torch::kLong);
        mask[1].narrow(0, 4, 3).zero_();
        auto hb = m->language_model->forward(m->language_model->embed(batch), nullptr, mask);
        auto ha = m->language_model->forward(m->language_model->embed(a));
        auto hs = m->language_model->forward(m->language_model->embed(b));
        QVERIFY((hb[0] - ha[0]).abs().max().item<double>() < 1e-5);
        QVERIFY((hb[1].narrow(0, 0, 4) - hs[0]).abs().max().item<double>() < 1e-5);
    }

    void baseMatchesParameterSpec()
    {
        QFile f(EMBERVLM_SHARED_DIR "/spec/parameters-base.txt");
        QVERIFY2(f.open(QIODevice::ReadOnly), "shared/spec/parameters-base.txt not found");
        QStringList expected;
        for (const auto& line : QString::fromUtf8(f.readAll()).split('\n'))
            if (!line.isEmpty() && !line.startsWith('#'))
                expected << line;
        QStringList mine;
        for (const auto& line : parameterListing(ModelConfig::preset_named("base")))
            mine << QString::fromStdString(line);
        QCOMPARE(mine.size(), expected.size());
        for (int i = 0; i < mine.size(); ++i)
            QCOMPARE(mine[i], expected[i]);
    }

    void presets()
    {
        auto total = [](const ModelConfig& c) {
            int64_t n = 0;
            for (auto& p : componentParameters(c))
                n += p.second;
            return n;
        };
        const auto base = total(ModelConfig::preset_named("base"));
        const auto lite = total(ModelConfig::preset_named("lite"));
        QCOMPARE(base, int64_t(36611686));
        const double ratio = double(lite) / double(base);
        QVERIFY2(ratio > 0.6 && ratio < 0.72, qPrintable(QString::number(ratio)));
        const auto r = ModelConfig::preset_named("reasoning");
        QCOMPARE(r.visualTokens(), int64_t(4));
        QVERIFY(r.max_reasoning_steps > 4);
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, ModelConfig::preset_named("huge"));
        ModelConfig c;
        c.applyOverrides(R"({"visual_grid":[2,4],"n_layer":3})");
        QCOMPARE(c.visualTokens(), int64_t(8));
        QCOMPARE(c.n_layer, int64_t(3));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, c.applyOverrides(R"({"n_layers":3})"));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, c.applyOverrides(R"({"n_head":5})"));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, c.applyOverrides(R"({"n_layer":"six"})"));
        const auto round = ModelConfig::fromJson(c.toJson());
        QCOMPARE(QString::fromStdString(round.toJson()), QString::fromStdString(c.toJson()));
    }

    void generationStreamsAndCancels()
    {
        Engine engine("cpu");
        engine.initRandom(smallConfig(), 9);
        engine.setImage(engine.loadImage(image_.toStdString()));
        GenerationOptions g;
        g.maxNewTokens = 20;
        g.stopAtEndOfText = false;
        int streamed = 0;
        auto r1 = engine.generate("Question: what is here?\nAnswer:", g, [&](const StreamedToken& t) {
            QCOMPARE(t.index, streamed);
            QCOMPARE(static_cast<int>(t.alternatives.size()), 5);
            QVERIFY(t.alternatives[0].p >= t.alternatives[4].p);
            QCOMPARE(t.id, t.alternatives[0].id);   // greedy picks the best
            ++streamed;
        });
        QCOMPARE(streamed, 20);
        QCOMPARE(QString::fromStdString(r1.stopReason), QString("max_tokens"));
        auto r2 = engine.generate("Question: what is here?\nAnswer:", g);
        QCOMPARE(r1.text, r2.text);   // greedy is deterministic
        g.temperature = 1.0f;
        g.topK = 50;
        g.topP = 0.9f;
        g.seed = 42;
        auto s1 = engine.generate("Hello", g);
        auto s2 = engine.generate("Hello", g);
        QCOMPARE(s1.text, s2.text);   // same seed, same sample
        // Cancel from another thread while generating a long answer.
        g.maxNewTokens = 500;
        std::atomic<int> seen{0};
        std::thread stopper([&] {
            while (seen.load() < 3)
                std::this_thread::yield();
            engine.requestCancel();
        });
        auto c = engine.generate("Hello", g, [&](const StreamedToken&) { seen.fetch_add(1); });
        stopper.join();
        QCOMPARE(QString::fromStdString(c.stopReason), QString("cancelled"));
        QVERIFY(c.tokens.size() < 50);
    }

    void robotSelectionThresholdReplay()
    {
        Engine engine("cpu");
        engine.initRandom(smallConfig(), 2);
        auto sel = engine.selectRobot("Survey a coral reef");
        QCOMPARE(static_cast<int>(sel.chain.size()), 5);
        // At threshold 0 every step is accepted; at 1.0 (scores are < 1) step 1 is rejected.
        auto all = applyThreshold(sel.chain, 0.0, 5);
        QCOMPARE(static_cast<int>(all.steps.size()), 5);
        QCOMPARE(all.lastAccepted, 4);
        auto none = applyThreshold(sel.chain, 1.0, 5);
        QCOMPARE(static_cast<int>(none.steps.size()), 2);
        QVERIFY(!none.steps[1].accepted);
        QCOMPARE(none.lastAccepted, 0);
    }

    // Every resize mode gives size×size, even for a 1×20000 strip (crop must not scale it to
    // 224×4.5M first); NaN logits never reach the sampler's ordering.
    void imageModesAndBadLogits()
    {
        std::vector<uint8_t> strip(3 * 20000, 128);
        for (auto mode : {ResizeMode::Resize, ResizeMode::CenterCrop, ResizeMode::Pad}) {
            auto img = prepareImageRGB(strip.data(), 20000, 1, 3 * 20000, 224, mode);
            QCOMPARE(img.size, 224);
            QCOMPARE(static_cast<int>(img.chw.size()), 3 * 224 * 224);
        }
        std::vector<float> logits(100, 0.f);
        logits[7] = 5.f;
        logits[3] = std::numeric_limits<float>::quiet_NaN();
        std::mt19937_64 rng(1);
        QCOMPARE(sampleToken(logits, {0.f, 0, 1.f}, rng), 7);
        for (int i = 0; i < 50; ++i) {
            const int t = sampleToken(logits, {1.f, 10, 0.9f}, rng);
            QVERIFY(t >= 0 && t < 100 && t != 3);
        }
        std::vector<float> allBad(10, -std::numeric_limits<float>::infinity());
        QCOMPARE(sampleToken(allBad, {1.f, 0, 1.f}, rng), 0);   // nothing possible: the first token, never a crash
    }

    void gradCamIsNormalisedMap()
    {
        Engine engine("cpu");
        engine.initRandom(smallConfig(), 2);
        engine.setImage(engine.loadImage(image_.toStdString()));
        int rows = 0, cols = 0;
        auto cam = engine.gradCam("Survey a coral reef", 1, &rows, &cols);
        QCOMPARE(rows, 7);
        QCOMPARE(cols, 7);
        QCOMPARE(static_cast<int>(cam.size()), 49);
        for (float v : cam)
            QVERIFY(v >= 0.f && v <= 1.f);
        // At 64 px the last stage is 2 × 2: the map comes from the 8 × 8 stage before it.
        ModelConfig cfg = smallConfig();
        cfg.image_size = 64;
        engine.initRandom(cfg, 2);
        engine.setImage(engine.loadImage(image_.toStdString()));
        cam = engine.gradCam("Survey a coral reef", 1, &rows, &cols);
        QCOMPARE(rows, 8);
        QCOMPARE(cols, 8);
        QCOMPARE(static_cast<int>(cam.size()), 64);
        QCOMPARE(*std::max_element(cam.begin(), cam.end()), 1.f);   // normalised by its maximum
        for (float v : cam)
            QVERIFY(v >= 0.f && v <= 1.f);
    }

private:
    QTemporaryDir dir_;
    QString image_;
};

QTEST_APPLESS_MAIN(TestModel)
#include "test_model.moc"
