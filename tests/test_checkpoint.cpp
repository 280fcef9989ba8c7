// safetensors and checkpoints: bit-exact round trips, the importers, and every malformed-file case
// giving one clear error instead of a crash.
#include "checkpoint.h"
#include "convert.h"
#include "model.h"
#include "safetensors.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <fstream>

using namespace ember;

namespace {

const char* kTiny =
    R"({"vision_widths":[8,16,24,32],"vision_depths":[1,1,2,1],"n_embd":32,"n_head":2,"n_layer":2,"n_inner":64,)"
    R"("proj_hidden":48,"reasoning_hidden":48,"validator_hidden":24,"answer_hidden":16})";

ModelConfig tiny()
{
    ModelConfig c;
    c.applyOverrides(kTiny);
    return c;
}

void writeRaw(const QString& path, const std::string& header, const std::string& data, int64_t lenOverride = -1)
{
    std::ofstream out(path.toStdString(), std::ios::binary);
    const uint64_t n = lenOverride >= 0 ? static_cast<uint64_t>(lenOverride) : header.size();
    for (int i = 0; i < 8; ++i)
        out.put(static_cast<char>((n >> (8 * i)) & 0xff));
    out << header << data;
}

std::string errorOf(const std::function<void()>& f)
{
    try {
        f();
    } catch (const std::exception& e) {
        return e.what();
    }
    return {};
}

} // namespace

class TestCheckpoint final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QVERIFY(dir_.isValid()); }

    void roundTripIsBitExact()
    {
        torch::manual_seed(1);
        NamedTensors in{{"a.f32", torch::randn({3, 5})},
                        {"b.f16", torch::randn({7}).to(torch::kFloat16)},
                        {"c.bf16", torch::randn({2, 2, 3}).to(torch::kBFloat16)},
                        {"d.i64", torch::randint(-1000000000000LL, 1000000000000LL, {4}, torch::kLong)},
                        {"e.scalar", torch::tensor(int64_t(7))},
                        {"f.empty", torch::zeros({0, 3})}};
        in[0].second[0][0] = std::numeric_limits<float>::quiet_NaN();
        in[0].second[0][1] = -0.0f;
        const QString path = dir_.path() + "/round.safetensors";
        writeTensors(path.toStdString(), in, {{"note", "ünïcode ✓"}});
        auto file = SafetensorsFile::open(path.toStdString());
        QCOMPARE(QString::fromStdString(file->metadata().at("note")), QString("ünïcode ✓"));
        auto out = readTensors(*file);
        QCOMPARE(out.size(), in.size());
        for (const auto& [name, t] : in) {
            auto it = std::find_if(out.begin(), out.end(), [&](auto& p) { return p.first == name; });
            QVERIFY2(it != out.end(), name.c_str());
            QCOMPARE(it->second.scalar_type(), t.scalar_type());
            QCOMPARE(it->second.sizes().vec(), t.sizes().vec());
            QCOMPARE(std::memcmp(it->second.data_ptr(), t.contiguous().data_ptr(), t.numel() * t.element_size()), 0);
        }
    }

    void modelCheckpointRoundTrip()
    {
        EmberVLM m(tiny());
        initWeights(*m, 5);
        const QString path = dir_.path() + "/model.safetensors";
        saveCheckpointFile(path.toStdString(), *m, {{"trained", "true"}});
        CheckpointMeta meta;
        auto back = loadCheckpointFile(path.toStdString(), &meta);
        QVERIFY(meta.trained);
        QCOMPARE(QString::fromStdString(meta.config.toJson()), QString::fromStdString(m->cfg.toJson()));
        QCOMPARE(meta.config.robot_labels, defaultRobotLabels());
        auto a = stateDict(*m), b = stateDict(*back);
        QCOMPARE(a.size(), b.size());
        for (size_t i = 0; i < a.size(); ++i)
            QVERIFY2(torch::equal(a[i].second, b[i].second), a[i].first.c_str());
        for (const auto& f : QDir(dir_.path()).entryList(QDir::Files))
            QVERIFY2(!f.contains(".tmp"), qPrintable(f));   // the temporary file was renamed
    }

    void malformedFiles_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<QString>("expected");
        QTest::newRow("empty") << "empty" << "truncated";
        QTest::newRow("short-length") << "short" << "truncated";
        QTest::newRow("header-past-end") << "pastend" << "runs past the end";
        QTest::newRow("huge-header") << "huge" << "exceeds";
        QTest::newRow("not-json") << "notjson" << "not valid JSON";
        QTest::newRow("unknown-dtype") << "dtype" << "tensor 'w': unsupported dtype \"F8_E4M3\"";
        QTest::newRow("data-truncated") << "datashort" << "tensor 'w': data";
        QTest::newRow("size-mismatch") << "sizemismatch" << "tensor 'w': holds 8 bytes";
        QTest::newRow("negative-dim") << "negdim" << "tensor 'w': shape entries";
        QTest::newRow("not-a-file") << "dir" << "not a regular file";
        QTest::newRow("missing") << "missing" << "cannot open";
    }

    void malformedFiles()
    {
        QFETCH(QString, kind);
        QFETCH(QString, expected);
        QString path = dir_.path() + "/bad-" + kind + ".safetensors";
        if (kind == "empty") writeRaw(path, "", "", -2), QFile::resize(path, 0);
        else if (kind == "short") { std::ofstream(path.toStdString()) << "abc"; }
        else if (kind == "pastend") writeRaw(path, "{}", "", 5000);
        else if (kind == "huge") writeRaw(path, "{}", "", int64_t(1) << 40);
        else if (kind == "notjson") writeRaw(path, "{not json", "");
        else if (kind == "dtype") writeRaw(path, R"({"w":{"dtype":"F8_E4M3","shape":[2],"data_offsets":[0,2]}})", "xx");
        else if (kind == "datashort") writeRaw(path, R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", "12345678");
        else if (kind == "sizemismatch") writeRaw(path, R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", "12345678");
        else if (kind == "negdim") writeRaw(path, R"({"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}})", "");
        else if (kind == "dir") path = dir_.path();
        const auto err = errorOf([&] { SafetensorsFile::open(path.toStdString()); });
        QVERIFY2(QString::fromStdString(err).contains(expected), err.c_str());
        QVERIFY(err.find('\n') == std::string::npos);
    }

    void wrongModelTensors()
    {
        EmberVLM m(tiny());
        initWeights(*m, 1);
        auto state = stateDict(*m);
        const std::map<std::string, std::string> meta{{"format", "embervlm"}, {"config", m->cfg.toJson()}};
        // Missing tensor.
        NamedTensors missing(state.begin() + 1, state.end());
        const QString p1 = dir_.path() + "/missing.safetensors";
        writeTensors(p1.toStdString(), missing, meta);
        auto e1 = errorOf([&] { loadCheckpointFile(p1.toStdString()); });
        QVERIFY2(e1.find("missing tensor '" + state[0].first + "'") != std::string::npos, e1.c_str());
        QVERIFY2(e1.find("expected [") != std::string::npos, e1.c_str());
        // Wrong shape.
        NamedTensors wrong = state;
        wrong[3].second = torch::zeros({wrong[3].second.numel() + 1});
        const QString p2 = dir_.path() + "/wrongshape.safetensors";
        writeTensors(p2.toStdString(), wrong, meta);
        auto e2 = errorOf([&] { loadCheckpointFile(p2.toStdString()); });
        QVERIFY2(e2.find("tensor '" + state[3].first + "' has shape") != std::string::npos, e2.c_str());
        // Extra tensor.
        NamedTensors extra = state;
        extra.emplace_back("lm_head.weight", torch::zeros({2}));
        const QString p3 = dir_.path() + "/extra.safetensors";
        writeTensors(p3.toStdString(), extra, meta);
        auto e3 = errorOf([&] { loadCheckpointFile(p3.toStdString()); });
        QVERIFY2(e3.find("unexpected tensor 'lm_head.weight'") != std::string::npos, e3.c_str());
        // Not an EmberVLM file.
        const QString p4 = dir_.path() + "/plain.safetensors";
        writeTensors(p4.toStdString(), state, {});
        auto e4 = errorOf([&] { loadCheckpointFile(p4.toStdString()); });
        QVERIFY2(e4.find("not an EmberVLM checkpoint") != std::string::npos, e4.c_str());
        // Half precision weights load (converted to the model's F32).
        const QString p5 = dir_.path() + "/half.safetensors";
        saveCheckpointFile(p5.toStdString(), *m, {}, DType::BF16);
        auto half = loadCheckpointFile(p5.toStdString());
        auto hs = stateDict(*half);
        QVERIFY(torch::allclose(hs[0].second, state[0].second, 1e-2, 1e-2));
    }

    // Issue 15: a NaN weight, a header asking for far more than the file holds, and an escape
    // sequence in a label are refused at load with the reason, before anything shows a number.
    void untrustedCheckpointContent()
    {
        EmberVLM m(tiny());
        initWeights(*m, 2);
        auto state = stateDict(*m);
        const std::map<std::string, std::string> meta{{"format", "embervlm"}, {"config", m->cfg.toJson()}};
        size_t k = 5;
        while (!state[k].second.is_floating_point())
            ++k;
        NamedTensors nan = state;
        nan[k].second = nan[k].second.clone();
        nan[k].second.view(-1)[0] = std::numeric_limits<float>::quiet_NaN();
        const QString p1 = dir_.path() + "/nan.safetensors";
        writeTensors(p1.toStdString(), nan, meta);
        auto e1 = errorOf([&] { loadCheckpointFile(p1.toStdString()); });
        QVERIFY2(e1.find("tensor '" + state[k].first + "' holds NaN or infinite values") != std::string::npos, e1.c_str());
        NamedTensors inf = state;
        inf[0].second = inf[0].second.clone().fill_(std::numeric_limits<float>::infinity());
        writeTensors(p1.toStdString(), inf, meta);
        QVERIFY(errorOf([&] { loadCheckpointFile(p1.toStdString()); }).find("NaN or infinite") != std::string::npos);

        // vocab 1e6 × n_embd 8192 is 32 GB of f32: refused from the header, nothing allocated.
        ModelConfig huge = tiny();
        huge.vocab_size = 1000000;
        huge.n_embd = 8192;
        huge.n_head = 8;
        const QString p2 = dir_.path() + "/hugeheader.safetensors";
        writeTensors(p2.toStdString(), state, {{"format", "embervlm"}, {"config", huge.toJson()}});
        auto e2 = errorOf([&] { loadCheckpointFile(p2.toStdString()); });
        QVERIFY2(e2.find("asks for at least") != std::string::npos, e2.c_str());

        NamedTensors fine = state;
        const QString p3 = dir_.path() + "/labels.safetensors";
        auto labels = defaultRobotLabels();
        labels[1] = "Under\x1b[31mwater";
        writeTensors(p3.toStdString(), fine, {{"format", "embervlm"}, {"config", m->cfg.toJson()},
                                              {"robot_labels", nlohmann::json(labels).dump()}});
        auto e3 = errorOf([&] { loadCheckpointFile(p3.toStdString()); });
        QVERIFY2(e3.find("control-character") != std::string::npos, e3.c_str());
        QVERIFY(e3.find('\x1b') == std::string::npos);
    }

    // Issue 15: like PyTorch, a state dict loads without our config: a config in Hugging Face's
    // names, or none, is read from the tensors' shapes with a warning.
    void configFromShapesWhenTheMetadataIsNotOurs()
    {
        EmberVLM m(tiny());
        initWeights(*m, 4);
        auto state = stateDict(*m);
        const QString p = dir_.path() + "/hfconfig.safetensors";
        writeTensors(p.toStdString(), state, {{"format", "embervlm"},
                                              {"config", R"({"n_embd":32,"n_head":2,"layer_norm_epsilon":1e-6,"vision_embed_dim":32})"}});
        CheckpointMeta meta;
        auto back = loadCheckpointFile(p.toStdString(), &meta);
        QCOMPARE(back->cfg.n_embd, int64_t(32));
        QCOMPARE(back->cfg.n_head, int64_t(2));
        QCOMPARE(back->cfg.n_layer, int64_t(2));
        QCOMPARE(back->cfg.n_inner, int64_t(64));
        QCOMPARE(back->cfg.vision_widths, tiny().vision_widths);
        QCOMPARE(back->cfg.vision_depths, tiny().vision_depths);
        QCOMPARE(back->cfg.layer_norm_eps, 1e-6);
        QVERIFY(!meta.warnings.empty());
        QVERIFY2(meta.warnings[0].find("unknown config field") != std::string::npos, meta.warnings[0].c_str());
        auto got = stateDict(*back);
        for (size_t i = 0; i < state.size(); ++i)
            QVERIFY2(torch::equal(got[i].second, state[i].second), state[i].first.c_str());
        // No config at all: n_head cannot be read from a shape; it is assumed, and said.
        writeTensors(p.toStdString(), state, {{"format", "embervlm"}});
        meta = CheckpointMeta{};
        back = loadCheckpointFile(p.toStdString(), &meta);
        QCOMPARE(back->cfg.n_embd, int64_t(32));
        QCOMPARE(static_cast<int>(meta.warnings.size()), 2);
        QVERIFY(meta.warnings[1].find("n_head is not in the file") != std::string::npos);
    }

    // Writes a model's weights in timm's and Hugging Face's layouts, converts them back, and
    // expects the same vision and language weights.
    void importersRestoreWeights()
    {
        EmberVLM src(tiny());
        initWeights(*src, 21);
        torch::NoGradGuard ng;
        for (auto& [name, t] : stateDict(*src))
            if (t.is_floating_point())
                t.normal_(0, 0.1);   // every tensor distinct, biases included
        NamedTensors timm, hf;
        for (auto& [name, t] : stateDict(*src))
            if (name.rfind("vision.", 0) == 0)
                timm.emplace_back(name.substr(7), t);
        timm.emplace_back("head.head.l.weight", torch::zeros({1000, 32}));   // timm's classifier, ignored
        auto& lm = *src->language_model;
        hf.emplace_back("transformer.wte.weight", lm.wte->weight.narrow(0, 0, 50257).clone());
        hf.emplace_back("transformer.wpe.weight", lm.wpe->weight);
        for (int i = 0; i < 2; ++i) {
            auto* b = lm.h[i]->as<GptBlockImpl>();
            const std::string p = "transformer.h." + std::to_string(i) + ".";
            hf.emplace_back(p + "ln_1.weight", b->ln_1->weight);
            hf.emplace_back(p + "ln_1.bias", b->ln_1->bias);
            hf.emplace_back(p + "ln_2.weight", b->ln_2->weight);
            hf.emplace_back(p + "ln_2.bias", b->ln_2->bias);
            hf.emplace_back(p + "attn.c_attn.weight",
                            torch::cat({b->attn->q_proj->weight.t(), b->attn->k_proj->weight.t(), b->attn->v_proj->weight.t()}, 1));
            hf.emplace_back(p + "attn.c_attn.bias",
                            torch::cat({b->attn->q_proj->bias, b->attn->k_proj->bias, b->attn->v_proj->bias}));
            hf.emplace_back(p + "attn.c_proj.weight", b->attn->out_proj->weight.t());
            hf.emplace_back(p + "attn.c_proj.bias", b->attn->out_proj->bias);
            hf.emplace_back(p + "attn.bias", torch::ones({1, 1, 8, 8}));   // HF's causal-mask buffer, ignored
            hf.emplace_back(p + "mlp.c_fc.weight", b->mlp->fc1->weight.t());
            hf.emplace_back(p + "mlp.c_fc.bias", b->mlp->fc1->bias);
            hf.emplace_back(p + "mlp.c_proj.weight", b->mlp->fc2->weight.t());
            hf.emplace_back(p + "mlp.c_proj.bias", b->mlp->fc2->bias);
        }
        hf.emplace_back("transformer.ln_f.weight", lm.ln_f->weight);
        hf.emplace_back("transformer.ln_f.bias", lm.ln_f->bias);
        hf.emplace_back("lm_head.weight", lm.wte->weight.narrow(0, 0, 50257).clone());
        const QString timmPath = dir_.path() + "/repvit_m0_9.safetensors";
        const QString hfPath = dir_.path() + "/gpt2.safetensors";
        writeTensors(timmPath.toStdString(), timm, {{"format", "pt"}});
        writeTensors(hfPath.toStdString(), hf, {{"format", "pt"}});

        ConvertOptions o;
        o.preset = "base";
        o.configOverrides = kTiny;
        o.timmVision = timmPath.toStdString();
        o.hfGpt2 = hfPath.toStdString();
        o.output = (dir_.path() + "/converted.safetensors").toStdString();
        o.seed = 99;
        convertCheckpoint(o);
        auto out = loadCheckpointFile(o.output);
        auto want = stateDict(*src);
        auto got = stateDict(*out);
        for (size_t i = 0; i < want.size(); ++i) {
            const auto& name = want[i].first;
            if (name.rfind("vision.", 0) != 0 && name.rfind("language_model.", 0) != 0)
                continue;
            if (name == "language_model.wte.weight") {
                QVERIFY(torch::equal(got[i].second.narrow(0, 0, 50257), want[i].second.narrow(0, 0, 50257)));
                auto mean = want[i].second.narrow(0, 0, 50257).mean(0);
                for (int r = 50257; r < 50262; ++r)
                    QVERIFY(torch::allclose(got[i].second[r], mean, 1e-6, 1e-6));
                continue;
            }
            QVERIFY2(torch::equal(got[i].second, want[i].second), name.c_str());
        }
        // Without BatchNorm's num_batches_tracked (as timm and older PyTorch files come) it
        // converts too, as PyTorch's own BatchNorm loads such a state.
        NamedTensors noCounters;
        for (const auto& [n, t] : timm)
            if (n.find("num_batches_tracked") == std::string::npos)
                noCounters.emplace_back(n, t);
        QVERIFY(noCounters.size() < timm.size());
        writeTensors(timmPath.toStdString(), noCounters, {{"format", "pt"}});
        QCOMPARE(QString::fromStdString(errorOf([&] { convertCheckpoint(o); })), QString());
        loadCheckpointFile(o.output);
        // A wrong shape in the source names the tensor.
        hf[1].second = torch::zeros({1024, 31});
        writeTensors(hfPath.toStdString(), hf, {});
        auto err = errorOf([&] { convertCheckpoint(o); });
        QVERIFY2(err.find("transformer.wpe.weight") != std::string::npos && err.find("expected") != std::string::npos,
                 err.c_str());
        // A missing tensor in the timm file names it.
        timm.erase(timm.begin() + 2);
        writeTensors(timmPath.toStdString(), timm, {});
        o.hfGpt2.clear();
        err = errorOf([&] { convertCheckpoint(o); });
        QVERIFY2(err.find("missing tensor") != std::string::npos, err.c_str());
    }

private:
    QTemporaryDir dir_;
};

QTEST_APPLESS_MAIN(TestCheckpoint)
#include "test_checkpoint.moc"
