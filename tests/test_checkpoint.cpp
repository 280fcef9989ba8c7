// safetensors and checkpoints: bit-exact round trips, the importers, and every malformed-file case
// giving one clear error instead of a crash.
#include "checkpoint.h"
#include "convert.h"
#include "model.h"
#include "safetensors.h"

#include <QDir>
#include <QFile>
#include <QProcess>
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
        QCOMPARE(got.size(), state.size());
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
        torch::NoGradGuard ng;
        NamedTensors timm, hf;
        importerSources(src, timm, hf);
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

    // The same weights as PyTorch state dicts, written by PyTorch's torch.save (a flat
    // pytorch_model.bin with non-contiguous Conv1D weights; a timm .pth nested under
    // "state_dict" as training scripts save it), convert to a byte-identical checkpoint. An
    // EmberVLM state dict saved by PyTorch loads as a model; the studio's Open imports the others.
    void importersReadPyTorchFiles()
    {
        QVERIFY2(pythonTorch(), "Debian's python3-torch is missing (/usr/bin/python3 cannot import torch): it writes the "
                                "PyTorch files; scripts/deps.sh --tests installs it");
        EmberVLM src(tiny());
        torch::NoGradGuard ng;
        NamedTensors timm, hf;
        importerSources(src, timm, hf);
        const QString d = dir_.path() + "/pt";
        QVERIFY(QDir().mkpath(d));
        writeTensors((d + "/repvit.safetensors").toStdString(), timm, {{"format", "pt"}});
        writeTensors((d + "/gpt2.safetensors").toStdString(), hf, {{"format", "pt"}});
        QVERIFY(toTorch(d + "/repvit.safetensors", d + "/repvit_m0_9.pth", {"--nest", "state_dict"}));
        QVERIFY(toTorch(d + "/gpt2.safetensors", d + "/pytorch_model.bin", {"--strided"}));

        ConvertOptions o;
        o.configOverrides = kTiny;
        o.seed = 99;
        o.timmVision = (d + "/repvit.safetensors").toStdString();
        o.hfGpt2 = (d + "/gpt2.safetensors").toStdString();
        o.output = (d + "/from-safetensors.safetensors").toStdString();
        convertCheckpoint(o);
        o.timmVision = (d + "/repvit_m0_9.pth").toStdString();
        o.hfGpt2 = (d + "/pytorch_model.bin").toStdString();
        o.output = (d + "/from-torch.safetensors").toStdString();
        convertCheckpoint(o);
        QFile a(d + "/from-safetensors.safetensors"), b(d + "/from-torch.safetensors");
        QVERIFY(a.open(QIODevice::ReadOnly) && b.open(QIODevice::ReadOnly));
        QVERIFY(a.size() > 100000);
        QVERIFY(a.readAll() == b.readAll());

        // The same name mapping and checks: a wrong shape names the tensor.
        NamedTensors bad = hf;
        bad[1].second = torch::zeros({1024, 31});
        writeTensors((d + "/bad.safetensors").toStdString(), bad, {});
        QVERIFY(toTorch(d + "/bad.safetensors", d + "/bad.bin", {}));
        o.hfGpt2 = (d + "/bad.bin").toStdString();
        auto err = errorOf([&] { convertCheckpoint(o); });
        QVERIFY2(err.find("bad.bin: tensor 'transformer.wpe.weight' gives shape [1024,31]") != std::string::npos, err.c_str());

        // torch.save(model.state_dict()) of an EmberVLM model: loads, config from the shapes.
        const QString ours = d + "/ours.safetensors";
        saveCheckpointFile(ours.toStdString(), *src);
        QVERIFY(toTorch(ours, d + "/ours.pt", {}));
        CheckpointMeta meta;
        auto back = loadCheckpointFile((d + "/ours.pt").toStdString(), &meta);
        QVERIFY(meta.trained);
        QVERIFY(!meta.warnings.empty() && meta.warnings[0].find("a PyTorch state dict carries no model config") != std::string::npos);
        auto want = stateDict(*src), got = stateDict(*back);
        QCOMPARE(got.size(), want.size());
        for (size_t i = 0; i < want.size(); ++i)
            QVERIFY2(torch::equal(got[i].second, want[i].second), want[i].first.c_str());
        err = errorOf([&] { loadCheckpointFile((d + "/pytorch_model.bin").toStdString()); });
        QVERIFY2(err.find("a PyTorch state dict without EmberVLM's tensor names") != std::string::npos, err.c_str());

        // Open in the studio: GPT-2 weights are imported onto the open model, ours pass through.
        auto plan = importForOpening((d + "/pytorch_model.bin").toStdString(), d.toStdString(), ours.toStdString());
        QCOMPARE(QString::fromStdString(plan.path), d + "/pytorch_model-imported.safetensors");
        QVERIFY2(plan.message.find("Imported Hugging Face GPT-2 weights") != std::string::npos, plan.message.c_str());
        auto imported = loadCheckpointFile(plan.path);
        QVERIFY(torch::equal(stateDict(*imported)[0].second, want[0].second));   // vision kept from the base
        auto again = importForOpening((d + "/pytorch_model.bin").toStdString(), d.toStdString(), ours.toStdString());
        QCOMPARE(QString::fromStdString(again.path), d + "/pytorch_model-imported-2.safetensors");
        auto same = importForOpening((d + "/ours.pt").toStdString(), d.toStdString(), {});
        QCOMPARE(QString::fromStdString(same.path), d + "/ours.pt");
        QVERIFY(same.message.empty());
    }

private:
    static bool pythonTorch()
    {
        QProcess p;
        p.start("/usr/bin/python3", {"-c", "import torch"});
        return p.waitForFinished(120000) && p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
    }

    static bool toTorch(const QString& in, const QString& out, const QStringList& extra)
    {
        QProcess p;
        p.start("/usr/bin/python3", QStringList{EMBERVLM_SOURCE_DIR "/tests/reference/torch_state_dicts.py",
                                                "from-safetensors", in, out} + extra);
        if (!p.waitForFinished(300000) || p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
            qWarning().noquote() << "torch_state_dicts.py failed:" << p.readAllStandardError();
            return false;
        }
        return true;
    }

    // A model's weights in timm's and Hugging Face GPT-2's layouts (names, fused c_attn, Conv1D
    // [in,out] weights), with a classifier head and HF's mask buffers the importers skip.
    static void importerSources(EmberVLM& src, NamedTensors& timm, NamedTensors& hf)
    {
        initWeights(*src, 21);
        torch::NoGradGuard ng;
        for (auto& [name, t] : stateDict(*src))
            if (t.is_floating_point())
                t.normal_(0, 0.1);   // every tensor distinct, biases included
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
    }

    QTemporaryDir dir_;
};

QTEST_APPLESS_MAIN(TestCheckpoint)
#include "test_checkpoint.moc"
