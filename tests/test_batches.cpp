// Tests for datasets/batches: tensors per stage, loss masks over the right tokens, padding,
// a fixed order for a seed, and resuming at a batch.
#include <QtTest>

#include <filesystem>

#include "batches.h"
#include "datasets_test_util.h"
#include "demo_world.h"
#include "engine.h"
#include "tokenizer.h"

#include <torch/torch.h>

using namespace ember::data;
using ember::Tokenizer;

Q_DECLARE_METATYPE(ember::data::Stage)

namespace {

std::vector<int> row(const torch::Tensor& t, int64_t b, const torch::Tensor& mask)
{
    std::vector<int> out;
    for (int64_t i = 0; i < t.size(1); ++i)
        if (mask[b][i].item<double>() != 0) out.push_back(static_cast<int>(t[b][i].item<int64_t>()));
    return out;
}

namespace fs = std::filesystem;

} // namespace

class TestBatches final : public QObject {
    Q_OBJECT

    QTemporaryDir dir;
    std::unique_ptr<Workspace> ws;

    BatchOptions options(Stage stage, uint64_t seed = 0)
    {
        BatchOptions o;
        o.stage = stage;
        o.batchSize = 4;
        o.seed = seed;
        o.filter = {};   // every sample
        return o;
    }

private Q_SLOTS:
    void initTestCase()
    {
        ws = std::make_unique<Workspace>(Workspace::open(testutil::path(dir, "ws")));
        generateDemoWorld(*ws, {30, 2});
        Sample text;   // a text-only sample (no image) for the selection stages
        text.task = "Carry supplies over a mountain pass.";
        text.robots = {4};
        text.reasoning = {"Steep ground.", "Legs keep footing."};
        ws->insert(text);
    }

    void shapesPerStage_data()
    {
        QTest::addColumn<Stage>("stage");
        QTest::addColumn<int>("samples");
        QTest::newRow("alignment") << Stage::Alignment << 30;
        QTest::newRow("instruction") << Stage::Instruction << 30;
        QTest::newRow("selection") << Stage::Selection << 31;
        QTest::newRow("reasoning") << Stage::Reasoning << 31;
    }

    void shapesPerStage()
    {
        QFETCH(Stage, stage);
        QFETCH(int, samples);
        BatchBuilder bb(*ws, options(stage));
        QCOMPARE(bb.sampleCount(), samples);
        QCOMPARE(bb.batchesPerEpoch(), (samples + 3) / 4);
        const Batch b = bb.next();
        QCOMPARE(b.images.sizes(), (torch::IntArrayRef{4, 3, 224, 224}));
        QCOMPARE(b.inputIds.size(0), 4);
        QCOMPARE(b.attentionMask.sizes(), b.inputIds.sizes());
        QCOMPARE(b.lossMask.sizes(), b.inputIds.sizes());
        QCOMPARE(b.robotTargets.sizes(), (torch::IntArrayRef{4, 5}));
        // Padding is on the right, with <|endoftext|>, and never carries loss.
        const auto pad = b.attentionMask.eq(0);
        QVERIFY(b.inputIds.masked_select(pad).eq(Tokenizer::kEndOfText).all().item<bool>());
        QCOMPARE(b.lossMask.masked_select(pad).sum().item<float>(), 0.f);
        // Selection batches carry LM loss only on the reasoning text of samples that have it (from
        // the samples themselves, not the batch's own count).
        bool anyReasoning = false;
        for (int64_t i = 0; i < b.inputIds.size(0); ++i) {
            const auto s = ws->get(b.sampleIds[i].item<int64_t>());
            QVERIFY(s);
            anyReasoning = anyReasoning || !s->reasoning.empty();
            // Every stage's robot targets are the sample's robots, one-hot (all zero without).
            for (int r = 0; r < 5; ++r)
                QCOMPARE(b.robotTargets[i][r].item<float>() == 1.f, std::find(s->robots.begin(), s->robots.end(), r) != s->robots.end());
        }
        QCOMPARE(b.lossMask.sum().item<float>() > 0, stage != Stage::Selection || anyReasoning);
    }

    void reasoningTextAndTargets()
    {
        BatchBuilder bb(*ws, options(Stage::Reasoning));
        const Batch b = bb.next();
        const auto tok = Tokenizer::shared();
        for (int64_t i = 0; i < b.inputIds.size(0); ++i) {
            const auto s = ws->get(b.sampleIds[i].item<int64_t>());
            QVERIFY(s);
            const auto all = row(b.inputIds, i, b.attentionMask);
            // The prompt as MODEL.md spells it (written out here, not the code's template).
            const auto prompt = tok->encode("<|robot_selection|>Task: " + s->task + "\n<|reasoning_start|>");
            QVERIFY(all.size() > prompt.size());
            QVERIFY(std::equal(prompt.begin(), prompt.end(), all.begin()));
            const auto target = row(b.inputIds, i, b.lossMask);
            QCOMPARE(QString::fromStdString(tok->decode(target)),
                     QString::fromStdString(formatReasoning(s->reasoning) + "<|reasoning_end|>"));
            for (int r = 0; r < 5; ++r)
                QCOMPARE(b.robotTargets[i][r].item<float>() == 1.f,
                         std::find(s->robots.begin(), s->robots.end(), r) != s->robots.end());
            QCOMPARE(b.reasoningSteps[i].item<int64_t>(), static_cast<int64_t>(s->reasoning.size()));
            QCOMPARE(b.hasImage[i].item<bool>(), s->image.id != 0);
            if (s->image.id) QVERIFY(b.images[i].abs().sum().item<float>() > 0);
        }
    }

    void fixedOrderForASeedAndResume()
    {
        std::vector<std::vector<int64_t>> first, second, other;
        {
            BatchBuilder a(*ws, options(Stage::Selection, 5));
            for (int i = 0; i < 12; ++i) {   // crosses into the second epoch (8 batches each)
                auto b = a.next();
                first.emplace_back(b.sampleIds.data_ptr<int64_t>(), b.sampleIds.data_ptr<int64_t>() + b.sampleIds.numel());
            }
        }
        {
            BatchBuilder a(*ws, options(Stage::Selection, 5));
            for (int i = 0; i < 12; ++i) {
                auto b = a.next();
                second.emplace_back(b.sampleIds.data_ptr<int64_t>(), b.sampleIds.data_ptr<int64_t>() + b.sampleIds.numel());
            }
            a.seek(1, 2);   // a resumed run at epoch 1, batch 2 is batch 10 of a fresh run
            auto b = a.next();
            QCOMPARE(b.epoch, 1);
            QCOMPARE(b.index, 2);
            QCOMPARE(std::vector<int64_t>(b.sampleIds.data_ptr<int64_t>(), b.sampleIds.data_ptr<int64_t>() + b.sampleIds.numel()),
                     first[10]);
        }
        QCOMPARE(first, second);
        BatchBuilder c(*ws, options(Stage::Selection, 6));
        QVERIFY(c.epochOrder(0) != BatchBuilder(*ws, options(Stage::Selection, 5)).epochOrder(0));
        QVERIFY(first[0] != first[8]);   // epochs are shuffled differently
    }

    // Issue 32: an image path stored as "../outside.png" (a valid picture there) is not read:
    // the batch goes through the workspace's containment check, and the sample trains text-only.
    void storedPathsLeavingTheWorkspaceAreNotRead()
    {
        QTemporaryDir d;
        const std::string root = testutil::path(d, "ws");
        auto w = Workspace::open(root);
        generateDemoWorld(w, {4, 3});
        const auto row = w.query({}).front();
        fs::copy_file(w.absolutePath(row.imagePath), testutil::path(d, "outside.jpg"));
        {
            BatchBuilder before(w, options(Stage::Alignment));
            QVERIFY(before.next().hasImage.all().item<bool>());   // the control: stored images are read
        }
        w.database().exec("UPDATE images SET path = '../outside.jpg'");
        BatchBuilder bb(w, options(Stage::Alignment));
        const Batch b = bb.next();
        QCOMPARE(b.hasImage.sum().item<int64_t>(), int64_t(0));
        QCOMPARE(b.images.abs().sum().item<float>(), 0.f);
    }

    void emptySelectionIsAClearError()
    {
        BatchOptions o = options(Stage::Alignment);
        o.filter.text = "no sample has this text";
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, BatchBuilder(*ws, o));
    }
};

QTEST_APPLESS_MAIN(TestBatches)
#include "test_batches.moc"
