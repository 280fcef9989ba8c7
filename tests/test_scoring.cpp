// Tests for training/caption_metrics, vqa_accuracy and score_files (`embervlm score`): the
// official tools' figures on the fixtures in tests/fixtures/scoring, read through the CLI's
// readers. How every expected figure was made: tests/fixtures/scoring/README.md.
#include <QtTest>

#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "caption_metrics.h"
#include "sample_json.h"
#include "score_files.h"
#include "standard_text_metrics.h"

#include <QTemporaryDir>
#include "vqa_accuracy.h"

#ifndef EMBERVLM_TEST_FIXTURES_DIR
#error "EMBERVLM_TEST_FIXTURES_DIR must name tests/fixtures"
#endif

using namespace ember::train;

Q_DECLARE_METATYPE(std::string)

namespace {

std::string fixture(const char* name) { return std::string(EMBERVLM_TEST_FIXTURES_DIR) + "/scoring/" + name; }

nlohmann::json readJson(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw std::runtime_error("cannot open " + path);
    return nlohmann::json::parse(in);
}

// The message of the ScoreInputError that f throws ("" when it throws none).
std::string inputError(const std::function<void()>& f)
{
    try {
        f();
    } catch (const ScoreInputError& e) {
        return e.what();
    }
    return "";
}

constexpr double kCaptionTolerance = 1e-4;

} // namespace

class TestScoring final : public QObject {
    Q_OBJECT

    QTemporaryDir tmp_;

    std::string write(const char* name, const std::string& text)
    {
        const std::string path = tmp_.filePath(QString::fromUtf8(name)).toStdString();
        std::ofstream(path, std::ios::binary) << text;
        return path;
    }

private Q_SLOTS:
    // pycocoevalcap's tokenizer step, case by case. Expected: the real Stanford PTBTokenizer 3.4.1
    // (-preserveLines -lowerCase) with ptbtokenizer.py's PUNCTUATIONS filter.
    void tokenizer_data()
    {
        QTest::addColumn<std::string>("caption");
        QTest::addColumn<std::string>("expected");
        auto row = [](const char* name, const char* in, const char* out) {
            QTest::newRow(name) << std::string(in) << std::string(out);
        };
        row("clitics, quotes, brackets", "A man's dog, \"running\" (fast) in the U.S. and won't stop.",
            "a man 's dog running -lrb- fast -rrb- in the u.s. and wo n't stop");
        row("plural possessive, n't", "Two dogs' bowls are on the floor; they can't reach them.",
            "two dogs bowls are on the floor they ca n't reach them");
        row("fractions keep a no-break space", "It's a 3-1/2 inch screw and a 1 1/2 inch nail.",
            "it 's a 3-1/2 inch screw and a 1\u00a01/2 inch nail");
        row("currency", "The price is \u00a35 or \u20ac6 or \u00a57.", "the price is # 5 or $ 6 or \u00a5 7");
        row("assimilations", "I'm gonna eat this sandwich, wanna share?", "i 'm gon na eat this sandwich wan na share");
        row("cannot", "A man cannot find his keys.", "a man can not find his keys");
        row("abbreviation keeps its period", "Two cows in a field etc.", "two cows in a field etc.");
        row("acronym before a sentence starter", "plan B. A man stands.", "plan b a man stands");
        row("smileys", "Smiles :-) and winks ;) all around", "smiles :--rrb- and winks ;-rrb- all around");
        row("curly quotes", "She\u2019s holding a \u201cbig\u201d umbrella and doesn\u2019t care.",
            "she 's holding a big umbrella and does n't care");
        row("hyphenated words and numbers", "A 10-year-old boy has 3,000 stickers at 10:30.",
            "a 10-year-old boy has 3,000 stickers at 10:30");
        row("dashes and ellipses", "A dog -- running... fast - away!!", "a dog running fast away !!");
    }
    void tokenizer()
    {
        QFETCH(std::string, caption);
        QFETCH(std::string, expected);
        QCOMPARE(QString::fromStdString(ptbTokenize(caption)), QString::fromStdString(expected));
    }

    // The Java process lexes all captions as one text: a line's end can depend on the next line.
    void tokenizerSeesTheNextLine()
    {
        const auto t = ptbTokenizeCaptions({"A sign with the letter B.", "A man stands.", "A sign with the letter B."});
        QCOMPARE(t.size(), size_t(3));
        QCOMPARE(t[0], std::string("a sign with the letter b"));
        QCOMPARE(t[1], std::string("a man stands"));
        QCOMPARE(t[2], std::string("a sign with the letter b."));
        QCOMPARE(ptbTokenizeCaptions({"one\ntwo", ""}), (std::vector<std::string>{"one two", ""}));
        QCOMPARE(ptbRawTokens("(Hi), \"you\"..."), (std::vector<std::string>{"-LRB-", "Hi", "-RRB-", ",", "``", "you", "''", "..."}));
    }

    // 350 captions (ordinary and deliberately noisy) against the Java tokenizer's output.
    void tokenizerCorpus()
    {
        const auto doc = readJson(fixture("ptb_tokenizer_cases.json"));
        std::vector<std::string> in, expected;
        for (const auto& c : doc.at("cases")) {
            in.push_back(c.at(0).get<std::string>());
            expected.push_back(c.at(1).get<std::string>());
        }
        QVERIFY(in.size() >= 300);
        const auto got = ptbTokenizeCaptions(in);
        QCOMPARE(got.size(), in.size());
        for (size_t i = 0; i < in.size(); ++i)
            QVERIFY2(got[i] == expected[i],
                     qPrintable(QStringLiteral("case %1: %2\n got      %3\n expected %4")
                                    .arg(i)
                                    .arg(QString::fromStdString(in[i]), QString::fromStdString(got[i]),
                                         QString::fromStdString(expected[i]))));
    }

    // Official figures on the fixture case (5 scored images, 3-5 references each; image 106 has
    // no caption and is not scored). Produced by pycocoevalcap's own COCOEvalCap.evaluate() with
    // the Stanford tokenizer, as README.md says:
    //   /usr/bin/python3 run_captions.py captions_val.json results.json
    void captionsOfficial()
    {
        const auto e = readCaptionFiles(fixture("captions_val.json"), fixture("results.json"));
        QCOMPARE(e.imageIds, (std::vector<std::string>{"101", "102", "103", "104", "105"}));
        QCOMPARE(e.references[1].size(), size_t(4));
        QCOMPARE(e.predictions[0], std::string("A man riding a wave on a surfboard."));
        const CaptionScores s = scoreCaptionEvaluation(e);
        const double official[6] = {0.823896653655122,  0.6882807054935487,  0.5045085304749909,
                                    0.38152238397914834, 0.6550551020084223, 1.4085804957282408};
        const double ours[6] = {s.bleu[0], s.bleu[1], s.bleu[2], s.bleu[3], s.rougeL, s.cider};
        const char* names[6] = {"Bleu_1", "Bleu_2", "Bleu_3", "Bleu_4", "ROUGE_L", "CIDEr"};
        for (int k = 0; k < 6; ++k) {
            qInfo("%-8s official %.12f  ours %.12f", names[k], official[k], ours[k]);
            QVERIFY2(std::fabs(official[k] - ours[k]) < kCaptionTolerance, names[k]);
        }
    }

    // The scorers alone on tokens (an empty candidate included): pycocoevalcap's Bleu(4),
    // Rouge() and Cider() on the same dicts (README.md: run_scorers.py).
    void captionScorersOnTokens()
    {
        const std::vector<CaptionSample> samples{
            {{"a man riding a wave", "a surfer on a wave"}, "a man on a wave"},
            {{"two dogs play", "dogs playing in grass", "two dogs"}, ""},
            {{"a red bus"}, "a red bus"}};
        const auto s = scoreCaptions(samples);
        const double bleu[4] = {0.7788007828767051, 0.7109445942922794, 0.5816869208020344, 9.356557050899113e-05};
        for (int k = 0; k < 4; ++k)
            QVERIFY(std::fabs(s.bleu[k] - bleu[k]) < kCaptionTolerance);
        QVERIFY(std::fabs(s.rougeL - 0.6) < kCaptionTolerance);
        QVERIFY(std::fabs(s.cider - 3.6538061612057207) < kCaptionTolerance);
        QCOMPARE(s.ciderPerImage.size(), size_t(3));
        QVERIFY(std::fabs(s.ciderPerImage[0] - 3.4614184836171624) < kCaptionTolerance);
        QCOMPARE(s.ciderPerImage[1], 0.0);
        QVERIFY(std::fabs(s.ciderPerImage[2] - 7.5) < kCaptionTolerance);
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, corpusBleu({}));
    }

    // Official figures, exact: GT-Vision-Lab's vqa.py + vqaEval.py, unmodified, Python 2.7.18
    // (README.md: run_vqa.py annotations questions results).
    void vqaOfficial()
    {
        const auto qs = readVqaFiles(fixture("v2_mscoco_val_annotations.json"), fixture("vqa_results.json"),
                                     fixture("v2_OpenEnded_mscoco_val_questions.json"));
        QCOMPARE(qs.size(), size_t(10));
        const VqaAccuracy a = vqaAccuracy(qs);
        QCOMPARE(a.overall, 73.0);
        QCOMPARE(a.perAnswerType, (std::map<std::string, double>{{"number", 83.33}, {"other", 70.0}, {"yes/no", 66.67}}));
        QCOMPARE(a.perQuestionType, (std::map<std::string, double>{{"are there", 100.0},
                                                                    {"how many", 80.0},
                                                                    {"how many people are", 90.0},
                                                                    {"is the", 100.0},
                                                                    {"is this", 0.0},
                                                                    {"what does the", 100.0},
                                                                    {"what is the", 30.0},
                                                                    {"what is the man", 75.0}}));
        // vqaEval.evalQA, per question in annotation order.
        const double evalQA[10] = {100.0, 0.0, 100.0, 60.0, 90.0, 30.0, 90.0, 60.0, 100.0, 100.0};
        for (size_t i = 0; i < 10; ++i)
            QCOMPARE(pythonRound(100 * a.perQuestion[i], 2), evalQA[i]);
        // The questions file is optional: the same figures without it.
        QCOMPARE(vqaAccuracy(readVqaFiles(fixture("v2_mscoco_val_annotations.json"), fixture("vqa_results.json"))).overall,
                 73.0);
    }

    // vqaEval's processPunctuation / processDigitArticle, expected values printed by the
    // official functions (README.md: run_vqa_units.py).
    void vqaNormalisation_data()
    {
        QTest::addColumn<bool>("punctuation");
        QTest::addColumn<std::string>("in");
        QTest::addColumn<std::string>("out");
        auto p = [](const std::string& in, const std::string& out) {
            QTest::newRow(("punct " + in).c_str()) << true << in << out;
        };
        auto d = [](const std::string& in, const std::string& out) {
            QTest::newRow(("digit " + in).c_str()) << false << in << out;
        };
        p("yes.", "yes");
        p("t-shirt", "t shirt");
        p("1,000", "1000");
        p("1,000 people!", "1000 people");
        p("hello , world", "hello  world");
        p("3.5", "3.5");
        p("a.b.c", "abc");
        p("e.g. this", "eg this");
        p("what?!", "what  ");
        p("(left)", " left ");
        p("left / right", "left  right");
        p("@home", " home");
        p("a;b", "a b");
        p(std::string(40, '.') + "x", "........x");   // re.UNICODE passed as sub's count: 32 periods go
        p("1..2", "1.2");
        p("5.", "5");
        p("...5", ".5");
        p("it's", "it's");
        p("don't", "don't");
        p("a-b -c", "ab c");
        p("x,y", "x y");
        p("1,a-b", "1 a b");
        d("The Dog", "dog");
        d("two dogs", "2 dogs");
        d("none", "0");
        d("an apple a day", "apple day");
        d("dont know", "don't know");
        d("Ive", "ive");
        d("hes surfing", "he's surfing");
        d("  multiple   spaces  ", "multiple spaces");
        d("ten TEN Ten", "10 10 10");
        d("THE END", "end");
        d("yall", "y'all");
        d("somebody'd", "somebodyd");
        d("whats up", "what's up");
        d("a", "");
        d("Caf\u00c9", "caf\u00e9");
    }
    void vqaNormalisation()
    {
        QFETCH(bool, punctuation);
        QFETCH(std::string, in);
        QFETCH(std::string, out);
        const std::string got = punctuation ? vqaProcessPunctuation(in) : vqaProcessDigitArticle(in);
        QCOMPARE(QString::fromStdString(got), QString::fromStdString(out));
    }

    // Python 2's round(x, 2), as vqaEval rounds (printed by Python 2.7.18).
    void pythonRounding()
    {
        const std::pair<double, double> cases[] = {{0.125, 0.13},  {-0.125, -0.13}, {2.675, 2.67},         {1.005, 1.0},
                                                   {66.665, 66.67}, {83.333333333, 83.33}, {0.5, 0.5},      {99.995, 100.0},
                                                   {12.345, 12.35}, {0.375, 0.38},   {100.0, 100.0}};
        for (const auto& [x, r] : cases)
            QCOMPARE(pythonRound(x, 2), r);
    }

    // Normalisation only where the humans disagree; leave-one-out sets drop equal records.
    void vqaQuestionRules()
    {
        VqaQuestion q;
        for (int i = 0; i < 10; ++i)
            q.answers.push_back({"yes", "{\"answer_id\":" + std::to_string(i + 1) + "}"});
        q.prediction = " yes\t";
        QCOMPARE(vqaQuestionAccuracy(q), 1.0);
        q.prediction = "Yes";   // all ten humans agree: no normalisation, no match
        QCOMPARE(vqaQuestionAccuracy(q), 0.0);
        q.answers[0].answer = "yes!";
        QCOMPARE(vqaQuestionAccuracy(q), 1.0);

        // Five identical "red" records and five identical "blue" ones (no answer_id): official 50.0.
        VqaQuestion same;
        same.questionType = "what color";
        same.answerType = "other";
        for (int i = 0; i < 10; ++i)
            same.answers.push_back({i < 5 ? "red" : "blue", "{}"});
        same.prediction = "red";
        QCOMPARE(vqaAccuracy({same}).overall, 50.0);
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, vqaAccuracy({}));
    }

    void detectsTheTask()
    {
        QVERIFY(detectScoreTask(fixture("captions_val.json")) == ScoreTask::Captions);
        QVERIFY(detectScoreTask(fixture("v2_mscoco_val_annotations.json")) == ScoreTask::Vqa);
        const auto other = write("other.json", R"({"annotations": [{"bbox": [1, 2, 3, 4]}]})");
        QVERIFY(QString::fromStdString(inputError([&] { detectScoreTask(other); })).contains("neither \"answers\""));
    }

    // The CLI's output: the official key names, nothing else.
    void jsonKeys()
    {
        const auto caps = nlohmann::ordered_json::parse(scoreJson(scoreFiles(fixture("captions_val.json"), fixture("results.json"))));
        std::vector<std::string> keys;
        for (const auto& [k, v] : caps.items())
            keys.push_back(k);
        QCOMPARE(keys, (std::vector<std::string>{"Bleu_1", "Bleu_2", "Bleu_3", "Bleu_4", "ROUGE_L", "CIDEr"}));
        QVERIFY(std::fabs(caps["CIDEr"].get<double>() - 1.4085804957282408) < kCaptionTolerance);

        const auto r = scoreFiles(fixture("v2_mscoco_val_annotations.json"), fixture("vqa_results.json"),
                                  fixture("v2_OpenEnded_mscoco_val_questions.json"));
        const auto vqa = nlohmann::json::parse(scoreJson(r));
        QCOMPARE(vqa.size(), size_t(3));
        QCOMPARE(vqa["overall"].get<double>(), 73.0);
        QCOMPARE(vqa["perAnswerType"]["yes/no"].get<double>(), 66.67);
        QCOMPARE(vqa["perQuestionType"]["what is the man"].get<double>(), 75.0);
        QVERIFY(QString::fromStdString(scoreText(r)).contains("yes/no"));
        QVERIFY(!inputError([&] {
                     scoreFiles(fixture("captions_val.json"), fixture("results.json"),
                                fixture("v2_OpenEnded_mscoco_val_questions.json"));
                 }).empty());
    }

    // Malformed input: one error naming the file and the field, as the official tools assert.
    void malformedFiles_data()
    {
        QTest::addColumn<std::string>("refs");
        QTest::addColumn<std::string>("preds");
        QTest::addColumn<std::string>("fragment");   // expected in the message
        const std::string caps = R"({"images": [{"id": 1}, {"id": 2}],
            "annotations": [{"image_id": 1, "id": 1, "caption": "a dog"}, {"image_id": 2, "id": 2, "caption": "a cat"}]})";
        const std::string vqa = R"({"annotations": [{"question_id": 7, "question_type": "what", "answer_type": "other",
            "answers": [{"answer": "dog", "answer_id": 1}]}]})";
        auto row = [](const char* name, const std::string& r, const std::string& p, const char* f) {
            QTest::newRow(name) << r << p << std::string(f);
        };
        row("refs not JSON", "{\"images\": [", "[]", "refs.json: not valid JSON");
        row("refs not an object", "[1, 2]", "[]", "refs.json: expected a JSON object");
        row("caption not a string",
            R"({"images": [{"id": 1}], "annotations": [{"image_id": 1, "caption": "a"}, {"image_id": 1, "caption": 5}]})",
            R"([{"image_id": 1, "caption": "a"}])", "refs.json: annotations[1].caption must be a string");
        row("annotation of no image", R"({"images": [{"id": 1}], "annotations": [{"image_id": 3, "caption": "a"}]})", "[]",
            "annotations[0].image_id 3 is not in \"images\"");
        row("no images", R"({"annotations": [{"image_id": 3, "caption": "a"}]})", "[]", "refs.json: expected a JSON object with \"images\"");
        row("results not an array", caps, R"({"image_id": 1})", "preds.json: results must be an array");
        row("result without caption", caps, R"([{"image_id": 1}])", "preds.json: results[0] has no \"caption\"");
        row("result id not an id", caps, R"([{"image_id": [1], "caption": "x"}])", "results[0].image_id must be an integer or a string");
        row("unknown image", caps, R"([{"image_id": 1, "caption": "x"}, {"image_id": 9, "caption": "y"}])",
            "preds.json: results[1].image_id 9 is not an image of");
        row("string id is another id", caps, R"([{"image_id": "1", "caption": "x"}, {"image_id": 2, "caption": "y"}])",
            "results[0].image_id \"1\" is not an image of");
        row("two results for one image", caps,
            R"([{"image_id": 1, "caption": "x"}, {"image_id": 2, "caption": "y"}, {"image_id": 1, "caption": "z"}])",
            "image 1 has more than one result (results[0] and results[2])");
        row("missing result", caps, R"([{"image_id": 2, "caption": "y"}])", "no result for 1 of the 2 images");
        row("vqa answer not a string",
            R"({"annotations": [{"question_id": 7, "question_type": "what", "answer_type": "other", "answers": [{"answer": 3}]}]})",
            "[]", "refs.json: annotations[0].answers[0].answer must be a string");
        row("vqa without answer_type",
            R"({"annotations": [{"question_id": 7, "question_type": "what", "answers": [{"answer": "x"}]}]})", "[]",
            "annotations[0] has no \"answer_type\"");
        row("vqa unknown question", vqa, R"([{"question_id": 7, "answer": "dog"}, {"question_id": 8, "answer": "cat"}])",
            "preds.json: results[1].question_id 8 is not a question of");
        row("vqa missing answer", vqa, "[]", "preds.json: no result for 1 of the 1 questions");
        row("vqa answer not string", vqa, R"([{"question_id": 7, "answer": null}])", "results[0].answer must be a string");
    }
    void malformedFiles()
    {
        QFETCH(std::string, refs);
        QFETCH(std::string, preds);
        QFETCH(std::string, fragment);
        const auto r = write("refs.json", refs);
        const auto p = write("preds.json", preds);
        const std::string msg = inputError([&] { scoreFiles(r, p); });
        QVERIFY2(msg.find(fragment) != std::string::npos, ("got: " + msg).c_str());
    }

    void questionsFileChecked()
    {
        const auto ann = fixture("v2_mscoco_val_annotations.json");
        const auto res = fixture("vqa_results.json");
        const auto partial = write("questions.json", R"({"questions": [{"question_id": 201000, "image_id": 201, "question": "?"}]})");
        QVERIFY(QString::fromStdString(inputError([&] { readVqaFiles(ann, res, partial); }))
                    .contains("question 201001 of"));
        const auto bad = write("questions2.json", R"({"questions": [{"question_id": 201000}]})");
        QVERIFY(QString::fromStdString(inputError([&] { readVqaFiles(ann, res, bad); }))
                    .contains("questions[0] has no \"question\""));
        // Multiple choice: a predicted answer must be one of the question's choices.
        const auto mcAnn = write("mc_ann.json", R"({"annotations": [{"question_id": 1, "question_type": "what",
            "answer_type": "other", "answers": [{"answer": "dog", "answer_id": 1}]}]})");
        const auto mcQ = write("mc_q.json", R"({"task_type": "Multiple Choice", "questions": [{"question_id": 1,
            "question": "What?", "multiple_choices": ["dog", "cat"]}]})");
        QCOMPARE(readVqaFiles(mcAnn, write("mc_ok.json", R"([{"question_id": 1, "answer": "cat"}])"), mcQ).size(), size_t(1));
        QVERIFY(QString::fromStdString(inputError([&] {
                    readVqaFiles(mcAnn, write("mc_bad.json", R"([{"question_id": 1, "answer": "cow"}])"), mcQ);
                })).contains("multiple_choices"));
        // A question answered twice keeps its last answer, as vqa.py's index does.
        const auto twice = write("twice.json", R"([{"question_id": 1, "answer": "cat"}, {"question_id": 1, "answer": "dog"}])");
        QCOMPARE(readVqaFiles(mcAnn, twice).front().prediction, std::string("dog"));
        QVERIFY(QString::fromStdString(inputError([&] { readVqaFiles(fixture("nope.json"), res); })).startsWith("cannot open"));
    }

    // `embervlm eval`'s figures come from the same scorers: the fixture's references as stored
    // samples (several captions each, ten human answers per question) and its predictions as the
    // generated texts give the official figures, and the results files it writes score the same.
    void evalTallyGivesTheOfficialFigures()
    {
        using ember::data::Sample;
        const auto refs = readJson(fixture("captions_val.json"));
        std::map<int64_t, Sample> byImage;
        for (const auto& img : refs["images"]) {
            Sample s;
            s.id = img["id"].get<int64_t>() + 5000;   // the kept image id must win over the sample id
            ember::data::setExtra(s, {{"image_id", img["id"]}});
            byImage[img["id"].get<int64_t>()] = s;
        }
        for (const auto& a : refs["annotations"]) {
            Sample& s = byImage.at(a["image_id"].get<int64_t>());
            (s.caption.empty() ? s.caption : s.moreCaptions.emplace_back()) = a["caption"].get<std::string>();
        }
        StandardTextTally tally;
        for (const auto& r : readJson(fixture("results.json")))
            tally.addCaption(byImage.at(r["image_id"].get<int64_t>()), r["caption"].get<std::string>());

        const auto ann = readJson(fixture("v2_mscoco_val_annotations.json"));
        std::map<int64_t, std::string> predicted;
        for (const auto& r : readJson(fixture("vqa_results.json")))
            predicted[r["question_id"].get<int64_t>()] = r["answer"].get<std::string>();
        for (const auto& a : ann["annotations"]) {
            Sample s;
            s.id = a["image_id"].get<int64_t>();
            ember::data::QaPair p;
            p.question = "?";
            p.answer = a["multiple_choice_answer"].get<std::string>();
            p.questionId = a["question_id"].get<int64_t>();
            for (const auto& h : a["answers"])
                p.humanAnswers.push_back({h["answer"].get<std::string>(), h["answer_confidence"].get<std::string>()});
            s.qa = {p};
            tally.addAnswer(s, 0, predicted.at(p.questionId), false);
        }
        const auto f = tally.figures();
        QCOMPARE(f.bleu4, 0.38152238397914834);
        QCOMPARE(f.rougeL, 0.6550551020084223);
        QVERIFY(std::abs(f.cider - 1.4085804957282408) < 1e-12);
        QCOMPARE(f.vqaAccuracy, 73.0);
        QVERIFY(std::isnan(f.blindVqaAccuracy));   // no blind answers given

        QTemporaryDir dir;
        const std::string caps = dir.path().toStdString() + "/captions_results.json";
        const std::string answers = dir.path().toStdString() + "/vqa_results.json";
        tally.writeCaptionResults(caps);
        tally.writeAnswerResults(answers);
        const auto again = scoreCaptionEvaluation(readCaptionFiles(fixture("captions_val.json"), caps));
        QCOMPARE(again.bleu[3], 0.38152238397914834);   // the files written score as pycocoevalcap scored them
        QVERIFY(std::abs(again.cider - 1.4085804957282408) < 1e-12);
        QCOMPARE(vqaAccuracy(readVqaFiles(fixture("v2_mscoco_val_annotations.json"), answers)).overall, 73.0);
    }
};

QTEST_APPLESS_MAIN(TestScoring)
#include "test_scoring.moc"
