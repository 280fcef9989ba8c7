// Losses, schedule and metrics against values worked out by hand.
#include "fused_ops.h"
#include "isa_variant.h"
#include "losses.h"
#include "metrics.h"
#include "model.h"
#include "schedule.h"

#include <QtTest>

#include <cmath>

using namespace ember::train;

namespace {
double v(const torch::Tensor& t) { return t.item<double>(); }
} // namespace

class TestTrainingLosses final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        if (const QString skip = isaVariantSkipReason(); !skip.isEmpty())
            QSKIP(qPrintable(skip));
        qInfo() << "cpu path:" << ember::isaSummary().c_str();
    }

    // The one-pass cross-entropy gives LibTorch's loss and gradient (a vocabulary that is not a
    // multiple of 16 exercises the vector tail; large logits the overflow guard).
    void tokenCrossEntropyMatchesLibTorch()
    {
        torch::manual_seed(5);
        for (double gain : {1.0, 40.0}) {
            auto logits = (torch::randn({37, 1003}) * gain).requires_grad_(true);
            auto targets = torch::randint(0, 1003, {37}, torch::kLong);
            auto ref = torch::nn::functional::cross_entropy(logits, targets);
            auto gRef = torch::autograd::grad({ref * 3.0}, {logits})[0];
            auto fused = ember::train::tokenCrossEntropy(logits, targets);
            auto g = torch::autograd::grad({fused * 3.0}, {logits})[0];
            QVERIFY(std::abs(fused.item<double>() - ref.item<double>()) < 1e-5 * std::max(1.0, ref.item<double>()));
            QVERIFY((g - gRef).abs().max().item<double>() < 1e-6);
        }
        auto bad = torch::randn({2, 5});
        QVERIFY_THROWS_EXCEPTION(std::exception, ember::train::tokenCrossEntropy(bad, torch::tensor({0L, 7L})));
    }

    // The one-pass AdamW follows torch::optim::AdamW step by step, weight decay included, and
    // leaves parameters without a gradient alone.
    void fusedAdamWMatchesLibTorch()
    {
        torch::manual_seed(6);
        auto a = torch::randn({1000}).requires_grad_(true), b = a.detach().clone().requires_grad_(true);
        auto frozenA = torch::randn({10}).requires_grad_(true), frozenB = frozenA.detach().clone().requires_grad_(true);
        const auto opts = torch::optim::AdamWOptions(1e-2).weight_decay(0.05);
        ember::train::FusedAdamW fused({a, frozenA}, opts);
        torch::optim::AdamW plain({b, frozenB}, opts);
        for (int step = 0; step < 6; ++step) {
            auto g = torch::randn({1000});
            fused.clearGradients();
            plain.zero_grad();
            a.mutable_grad() = g.clone();
            b.mutable_grad() = g.clone();
            fused.step();
            plain.step();
            QVERIFY((a - b).abs().max().item<double>() < 1e-6);
        }
        QVERIFY(!frozenA.grad().defined());
        QVERIFY(torch::equal(frozenA, frozenB));
    }

    // The token embedding's gradient is sparse: added to the tied head's dense gradient it gives
    // what a dense embedding gradient would; alone, densifyGradients makes it dense for clipping,
    // the data-parallel average and AdamW.
    void tiedEmbeddingGradient()
    {
        ember::ModelConfig cfg;
        cfg.applyOverrides(R"({"n_embd":32,"n_head":2,"n_layer":1,"n_inner":64})");
        torch::manual_seed(8);
        ember::LanguageModel lm(cfg);
        const auto ids = torch::tensor({{5L, 9L, 5L, 300L}});   // token 5 twice: its rows add up
        auto& w = lm->wte->weight;
        auto denseGrad = [&](bool withHead) {
            auto e = torch::embedding(w, ids);   // LibTorch's dense gradient
            auto loss = withHead ? torch::matmul(e, w.t()).pow(2).mean() : e.pow(2).sum();
            return torch::autograd::grad({loss}, {w})[0];
        };
        for (bool withHead : {true, false}) {
            w.mutable_grad() = torch::Tensor();
            auto e = lm->embed(ids);
            (withHead ? lm->logits(e).pow(2).mean() : e.pow(2).sum()).backward();
            QCOMPARE(w.grad().is_sparse(), !withHead);
            densifyGradients({w});
            QVERIFY(!w.grad().is_sparse());
            const auto ref = denseGrad(withHead);
            QVERIFY2((w.grad() - ref).abs().max().item<double>() < 1e-6, withHead ? "with head" : "embedding only");
            QVERIFY(ref.abs().sum().item<double>() > 0);
        }
        // AdamW takes a sparse gradient as its dense equivalent: LibTorch's own AdamW given the
        // dense gradient is the reference.
        auto a = torch::randn({6, 3}).requires_grad_(true), b = a.detach().clone().requires_grad_(true);
        ember::train::FusedAdamW opt({a}, torch::optim::AdamWOptions(1e-2));
        torch::optim::AdamW ref({b}, torch::optim::AdamWOptions(1e-2));
        torch::embedding(a, torch::tensor({1L, 4L}), -1, false, true).sum().backward();
        b.mutable_grad() = a.grad().to_dense();
        QVERIFY(a.grad().is_sparse());
        opt.step();
        ref.step();
        QVERIFY2((a - b).abs().max().item<double>() < 1e-6, "as fusedAdamWMatchesLibTorch: within 1e-6 of LibTorch's AdamW");
    }

    void softTargets()
    {
        auto logits = torch::tensor({{0.0f, 0.0f}, {0.0f, std::log(3.0f)}});
        QVERIFY(std::abs(v(softTargetCrossEntropy(logits.narrow(0, 0, 1), torch::tensor({{1.0f, 0.0f}}))) - std::log(2.0)) < 1e-6);
        // Two robots sharing the mass: -(0.5 log .25 + 0.5 log .75) for the second row.
        const double want = -(0.5 * std::log(0.25) + 0.5 * std::log(0.75));
        QVERIFY(std::abs(v(softTargetCrossEntropy(logits.narrow(0, 1, 1), torch::tensor({{0.5f, 0.5f}}))) - want) < 1e-6);
    }

    void maskedLm()
    {
        auto logits = torch::zeros({1, 4, 4});
        logits[0][3][2] = 100.0f;   // a confident wrong/right prediction at a masked-out position
        auto targets = torch::tensor({{1, 2, 3, 0}}, torch::kLong);
        auto mask = torch::tensor({{1, 1, 0, 0}}, torch::kLong);
        QVERIFY(std::abs(v(maskedLmLoss(logits, targets, mask)) - std::log(4.0)) < 1e-6);
        QCOMPARE(v(maskedLmLoss(logits, targets, torch::zeros({1, 4}, torch::kLong))), 0.0);
    }

    void contrastive()
    {
        auto eye = torch::eye(2);
        // Scale 1: logits = I, each row's loss is log(1 + e^-1).
        QVERIFY(std::abs(v(contrastiveLoss(eye, eye, torch::tensor(0.0f))) - std::log1p(std::exp(-1.0))) < 1e-6);
        // The scale is capped at 100: log(1000) behaves like log(100).
        auto swapped = torch::tensor({{0.0f, 1.0f}, {1.0f, 0.0f}});
        const double capped = v(contrastiveLoss(eye, swapped, torch::tensor(std::log(1000.0f))));
        QVERIFY(std::abs(capped - 100.0) < 1e-3);
        // Initial temperature 0.07.
        const double t007 = v(contrastiveLoss(eye, swapped, torch::tensor(std::log(1.0f / 0.07f))));
        QVERIFY(std::abs(t007 - 1.0 / 0.07) < 1e-3);
    }

    void distillation()
    {
        auto teacher = torch::tensor({{{0.0f, std::log(3.0f)}}});
        auto student = torch::zeros({1, 1, 2});
        auto mask = torch::ones({1, 1});
        QVERIFY(std::abs(v(distillationLoss(student, teacher, mask, 1.0)) - 0.130812) < 1e-5);
        QVERIFY(std::abs(v(distillationLoss(student, teacher, mask, 2.0)) - 0.145331) < 1e-4);
        QVERIFY(v(distillationLoss(teacher, teacher, mask, 2.0)) < 1e-7);
        // Top-k form with the teacher's log-probabilities of both ids equals the full form here.
        auto ids = torch::tensor({{{0, 1}}}, torch::kLong);
        auto logprobs = torch::log_softmax(teacher, -1);
        QVERIFY(std::abs(v(distillationLossTopK(student, ids, logprobs, mask, 2.0)) - 0.145331) < 1e-4);
    }

    void consistency()
    {
        QVERIFY(std::abs(v(consistencyLoss(torch::tensor({0.5f}), torch::tensor({0.5f}))) - std::log(2.0)) < 1e-6);
        const double good = v(consistencyLoss(torch::tensor({0.99f}), torch::tensor({0.01f})));
        QVERIFY(std::abs(good + std::log(0.99)) < 1e-5);
    }

    void schedule()
    {
        Schedule s{1e-3, 10, 110, 0.1};
        QVERIFY(std::abs(s.at(0) - 1e-4) < 1e-12);
        QVERIFY(std::abs(s.at(9) - 1e-3) < 1e-12);
        QVERIFY(std::abs(s.at(10) - 1e-3) < 1e-12);
        QVERIFY(std::abs(s.at(60) - 0.55e-3) < 1e-9);   // half way: min + (1-min)/2
        QVERIFY(std::abs(s.at(110) - 1e-4) < 1e-12);
        QVERIFY(std::abs(s.at(500) - 1e-4) < 1e-12);
    }

    void classification()
    {
        auto r = reportFromConfusion({{5, 1}, {2, 2}});
        QCOMPARE(r.total, 10LL);
        QVERIFY(std::abs(r.accuracy - 0.7) < 1e-12);
        QVERIFY(std::abs(r.precision[0] - 5.0 / 7) < 1e-12);
        QVERIFY(std::abs(r.recall[0] - 5.0 / 6) < 1e-12);
        QVERIFY(std::abs(r.f1[0] - 10.0 / 13) < 1e-12);
        QVERIFY(std::abs(r.f1[1] - 4.0 / 7) < 1e-12);
        QVERIFY(std::abs(r.macroF1 - (10.0 / 13 + 4.0 / 7) / 2) < 1e-12);
        // A class never seen nor predicted stays out of the macro average.
        auto r3 = reportFromConfusion({{5, 1, 0}, {2, 2, 0}, {0, 0, 0}});
        QVERIFY(std::abs(r3.macroF1 - r.macroF1) < 1e-12);
    }

    void calibration()
    {
        auto r = classificationReport({0, 1, 1, 0}, {0, 0, 1, 0}, {0.9, 0.9, 0.6, 0.6}, 2, 10);
        // Bin 0.9: one right, one wrong -> |0.5 - 0.9|; bin 0.6: both right -> |1 - 0.6|.
        QVERIFY(std::abs(r.ece - (0.5 * 0.4 + 0.5 * 0.4)) < 1e-12);
        QCOMPARE(r.binCount[9], 2LL);
        QCOMPARE(r.binCount[6], 2LL);
        QCOMPARE(r.confusion[1][0], 1LL);
    }

    void textMetrics()
    {
        QVERIFY(exactMatch("The Drone.", "drone"));
        QVERIFY(!exactMatch("a drone", "drones"));
        QVERIFY(std::abs(tokenF1("the cat sat", "a cat sat down") - 0.8) < 1e-12);
        QCOMPARE(tokenF1("", ""), 1.0);
        QCOMPARE(tokenF1("x", ""), 0.0);
    }
};

QTEST_APPLESS_MAIN(TestTrainingLosses)
#include "test_training_losses.moc"
