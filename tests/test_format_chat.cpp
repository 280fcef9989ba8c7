// LLaVA instruction JSON and TRL's chat "messages" JSONL, in and out, on files laid out as those
// projects write them; the store's new fields (several captions, VQA answers, foreign fields);
// format detection.
#include <QtTest>

#include "datasets_test_util.h"
#include "exporters.h"
#include "importers.h"
#include "sample_json.h"
#include "workspace.h"

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include <filesystem>

using namespace ember::data;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

void writeImage(const std::string& p, int seed) { testutil::writeSeededImage(p, seed, 64, 48); }

// LLaVA-Instruct-150K's layout (llava_instruct_150k.json): ids are COCO file stems, the image a
// file name under the COCO train2017 folder, "<image>" on its own line in the first human turn;
// llava_v1_5_mix665k.json adds text-only ShareGPT entries with no "image" key.
const char* kLlava = R"([
  {
    "id": "000000033471",
    "image": "000000033471.jpg",
    "conversations": [
      {
        "from": "human",
        "value": "<image>\nWhat are the colors of the bus in the image?"
      },
      {
        "from": "gpt",
        "value": "The bus in the image is white and red."
      },
      {
        "from": "human",
        "value": "What feature can be seen on the back of the bus?"
      },
      {
        "from": "gpt",
        "value": "The back of the bus features an advertisement."
      }
    ]
  },
  {
    "id": "000000052846",
    "image": "000000052846.jpg",
    "conversations": [
      {
        "from": "human",
        "value": "Where is the cat positioned in the image?\n<image>"
      },
      {
        "from": "gpt",
        "value": "The cat is positioned on top of the back of the couch."
      }
    ]
  },
  {
    "id": "i6IyJda_0",
    "conversations": [
      {
        "from": "human",
        "value": "How to tell if a customer segment is well segmented? In 3 bullet points."
      },
      {
        "from": "gpt",
        "value": "1. Homogeneity 2. Distinctiveness 3. Stability"
      }
    ]
  }
]
)";

Sample onlySample(Workspace& ws, const std::string& uid)
{
    auto s = ws.getByUid(uid);
    if (!s) throw std::runtime_error("no sample " + uid);
    return *s;
}

std::vector<Sample> allSamples(const Workspace& ws)
{
    std::vector<Sample> out;
    for (auto id : ws.ids({})) out.push_back(*ws.get(id));
    return out;
}

} // namespace

class TestFormatChat final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void storeKeepsCaptionsAnswersAndForeignFields()
    {
        QTemporaryDir dir;
        auto ws = Workspace::open(testutil::path(dir, "ws"));
        Sample s;
        s.caption = "A man riding a wave on top of a surfboard.";
        s.moreCaptions = {"A surfer riding a wave.", "A person on a surfboard in the ocean."};
        QaPair q{"What color is the board?", "white"};
        q.questionId = 458752000;
        q.answerType = "other";
        q.questionType = "what color is the";
        for (int i = 0; i < 10; ++i) q.humanAnswers.push_back({i < 7 ? "white" : "yellow", i == 3 ? "maybe" : "yes"});
        s.qa = {q, {"Is it sunny?", "yes"}};
        s.extra = R"({"id":"000000033471","image_id":33471})";
        ws.insert(s);
        auto back = ws.get(s.id);
        QVERIFY(back);
        QCOMPARE(back->moreCaptions, s.moreCaptions);
        QVERIFY(back->qa == s.qa);
        QCOMPARE(back->qa[0].humanAnswers.size(), size_t(10));
        QCOMPARE(back->qa[0].humanAnswers[3].confidence, std::string("maybe"));
        QCOMPARE(extraObject(*back)["image_id"].get<int>(), 33471);
        QCOMPARE(allCaptions(*back).size(), size_t(3));
        // update replaces the child rows, the captions included
        back->moreCaptions = {"Only one more."};
        back->qa.pop_back();
        ws.update(*back);
        auto again = ws.get(s.id);
        QCOMPARE(again->moreCaptions, std::vector<std::string>{"Only one more."});
        QCOMPARE(again->qa.size(), size_t(1));
        // and the own JSONL carries them losslessly
        const json j = sampleToJson(*again, "");
        std::string ref;
        const Sample fromJson = sampleFromJson(j, &ref);
        QCOMPARE(fromJson.moreCaptions, again->moreCaptions);
        QVERIFY(fromJson.qa == again->qa);
        QCOMPARE(fromJson.extra, again->extra);
    }

    void llavaImportsPairsInOrderAndSkipsTextOnly()
    {
        QTemporaryDir dir;
        const std::string images = testutil::path(dir, "coco/train2017");
        writeImage(images + "/000000033471.jpg", 1);
        writeImage(images + "/000000052846.jpg", 2);
        const std::string file = testutil::path(dir, "llava_instruct_150k.json");
        testutil::writeFile(file, kLlava);
        QCOMPARE(detectFormat(file), std::string("llava"));
        auto ws = Workspace::open(testutil::path(dir, "ws"));
        ImportOptions o;
        o.imagesDir = images;
        const auto r = importLlava(ws, file, o);
        QCOMPARE(r.imported, int64_t(2));
        QCOMPARE(r.skipped, int64_t(1));   // the text-only entry
        QCOMPARE(r.warnings.size(), size_t(1));
        QVERIFY2(r.warnings[0].find("1 text-only") != std::string::npos, r.warnings[0].c_str());
        const Sample bus = *ws.get(r.ids[0]);
        QCOMPARE(bus.qa.size(), size_t(2));
        QCOMPARE(bus.qa[0].question, std::string("What are the colors of the bus in the image?"));
        QCOMPARE(bus.qa[0].answer, std::string("The bus in the image is white and red."));
        QCOMPARE(bus.qa[1].question, std::string("What feature can be seen on the back of the bus?"));
        QCOMPARE(extraObject(bus)["id"].get<std::string>(), std::string("000000033471"));
        QVERIFY(bus.image.id != 0);
        QCOMPARE(bus.image.width, 64);
        const Sample cat = *ws.get(r.ids[1]);
        QCOMPARE(cat.qa[0].question, std::string("Where is the cat positioned in the image?"));
        QCOMPARE(cat.source, std::string("llava:llava_instruct_150k.json"));
        // a second import of the same file adds nothing
        const auto again = importLlava(ws, file, o);
        QCOMPARE(again.imported, int64_t(0));
        QCOMPARE(ws.count(), int64_t(2));
    }

    void llavaImagesBesideTheFileAndMissingOnes()
    {
        QTemporaryDir dir;
        // LLaVA v1.5's mix names images relative to a data root: "coco/train2017/…".
        writeImage(testutil::path(dir, "data/coco/train2017/000000033471.jpg"), 3);
        const std::string file = testutil::path(dir, "data/mix.json");
        testutil::writeFile(file, R"([{"id": "a", "image": "coco/train2017/000000033471.jpg", "conversations": [
            {"from": "human", "value": "<image>\nDescribe the image."}, {"from": "gpt", "value": "A bus."}]},
          {"id": "b", "image": "coco/train2017/missing.jpg", "conversations": [
            {"from": "human", "value": "<image>\nWhat is it?"}, {"from": "gpt", "value": "A cat."}]}])");
        auto ws = Workspace::open(testutil::path(dir, "ws"));
        const auto r = importLlava(ws, file);
        QCOMPARE(r.imported, int64_t(1));
        QCOMPARE(r.skipped, int64_t(1));
        QCOMPARE(r.warnings.size(), size_t(1));
        QVERIFY2(r.warnings[0].find("missing.jpg") != std::string::npos, r.warnings[0].c_str());
    }

    void llavaMalformedRecordNamesFieldAndRollsBack()
    {
        QTemporaryDir dir;
        writeImage(testutil::path(dir, "x.jpg"), 4);
        const std::string file = testutil::path(dir, "bad.json");
        testutil::writeFile(file, "[\n{\"id\": 1, \"image\": \"x.jpg\", \"conversations\": [{\"from\": \"human\", \"value\": \"Q\"}, "
                                  "{\"from\": \"gpt\", \"value\": \"A\"}]},\n"
                                  "{\"id\": 2, \"image\": \"x.jpg\", \"conversations\": [{\"from\": \"robot\", \"value\": \"Q\"}]}\n]");
        auto ws = Workspace::open(testutil::path(dir, "ws"));
        try {
            importLlava(ws, file);
            QFAIL("accepted an unknown speaker");
        } catch (const ImportError& e) {
            QCOMPARE(e.line, int64_t(3));
            QCOMPARE(e.field, std::string("conversations[0].from"));
        }
        QCOMPARE(ws.count(), int64_t(0));
        QCOMPARE(ws.imageCount(), int64_t(0));
    }

    void llavaRoundTrip()
    {
        QTemporaryDir dir;
        const std::string images = testutil::path(dir, "train2017");
        writeImage(images + "/000000033471.jpg", 1);
        writeImage(images + "/000000052846.jpg", 2);
        const std::string file = testutil::path(dir, "llava.json");
        testutil::writeFile(file, kLlava);
        auto ws = Workspace::open(testutil::path(dir, "ws"));
        ImportOptions o;
        o.imagesDir = images;
        importLlava(ws, file, o);
        // a sample LLaVA cannot express: no Q&A
        Sample captionOnly;
        captionOnly.caption = "Only a caption.";
        ws.insert(captionOnly);
        const std::string out = testutil::path(dir, "export/llava.json");
        const auto rep = exportLlava(ws, out);
        QCOMPARE(rep.written, int64_t(2));
        QCOMPARE(rep.skipped, int64_t(1));
        // the real layout: id, image relative to the file, "<image>\n" before the first question
        const json doc = json::parse(testutil::readFile(out));
        QVERIFY(doc.is_array());
        QCOMPARE(doc[0]["id"].get<std::string>(), std::string("000000033471"));
        const std::string img = doc[0]["image"].get<std::string>();
        QVERIFY(fs::is_regular_file(fs::path(out).parent_path() / img));
        QCOMPARE(doc[0]["conversations"][0]["from"].get<std::string>(), std::string("human"));
        QVERIFY(doc[0]["conversations"][0]["value"].get<std::string>().rfind("<image>\n", 0) == 0);
        QCOMPARE(doc[0]["conversations"][3]["from"].get<std::string>(), std::string("gpt"));
        auto ws2 = Workspace::open(testutil::path(dir, "ws2"));
        const auto back = importLlava(ws2, out);
        QCOMPARE(back.imported, int64_t(2));
        const auto a = allSamples(ws), b = allSamples(ws2);
        for (int i = 0; i < 2; ++i) {
            QVERIFY(a[i].qa == b[i].qa);
            QCOMPARE(a[i].image.hash, b[i].image.hash);
            QCOMPARE(a[i].extra, b[i].extra);
        }
    }

    void messagesImportAndRoundTrip()
    {
        QTemporaryDir dir;
        writeImage(testutil::path(dir, "data/images/0.jpg"), 5);
        writeImage(testutil::path(dir, "data/images/1.jpg"), 6);
        // TRL's vision SFT layout (e.g. HuggingFaceH4/llava-instruct-mix-vsft as JSONL): parts
        // with {"type": "image"} where the picture goes; content may also be a plain string.
        const std::string file = testutil::path(dir, "data/train.jsonl");
        testutil::writeFile(file,
            R"({"images": ["images/0.jpg"], "messages": [{"role": "system", "content": [{"type": "text", "text": "You are a helpful robot dispatcher."}]}, {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "Who should inspect the roof?"}]}, {"role": "assistant", "content": [{"type": "text", "text": "A drone."}]}, {"role": "user", "content": [{"type": "text", "text": "Why?"}]}, {"role": "assistant", "content": [{"type": "text", "text": "It flies."}]}]})" "\n"
            R"({"images": ["images/1.jpg"], "messages": [{"role": "user", "content": "<image>What is shown?"}, {"role": "assistant", "content": "A kitchen."}]})" "\n"
            R"({"messages": [{"role": "user", "content": "Hello"}, {"role": "assistant", "content": "Hi"}]})" "\n");
        QCOMPARE(detectFormat(file), std::string("messages"));
        auto ws = Workspace::open(testutil::path(dir, "ws"));
        const auto r = importMessages(ws, file);
        QCOMPARE(r.imported, int64_t(2));
        QCOMPARE(r.skipped, int64_t(1));
        const Sample first = *ws.get(r.ids[0]);
        QCOMPARE(first.qa.size(), size_t(2));
        QCOMPARE(first.qa[0].question, std::string("Who should inspect the roof?"));
        QCOMPARE(first.qa[1].answer, std::string("It flies."));
        QCOMPARE(extraObject(first)["system"].get<std::string>(), std::string("You are a helpful robot dispatcher."));
        QCOMPARE(ws.get(r.ids[1])->qa[0].question, std::string("What is shown?"));

        const std::string out = testutil::path(dir, "out/messages.jsonl");
        const auto rep = exportMessages(ws, out);
        QCOMPARE(rep.written, int64_t(2));
        const json line0 = json::parse(testutil::readFile(out).substr(0, testutil::readFile(out).find('\n')));
        QCOMPARE(line0["messages"][0]["role"].get<std::string>(), std::string("system"));
        QCOMPARE(line0["messages"][1]["content"][0]["type"].get<std::string>(), std::string("image"));
        QCOMPARE(line0["images"].size(), size_t(1));
        auto ws2 = Workspace::open(testutil::path(dir, "ws2"));
        QCOMPARE(importMessages(ws2, out).imported, int64_t(2));
        const auto a = allSamples(ws), b = allSamples(ws2);
        for (int i = 0; i < 2; ++i) {
            QVERIFY(a[i].qa == b[i].qa);
            QCOMPARE(a[i].image.hash, b[i].image.hash);
            QCOMPARE(extraObject(a[i]), extraObject(b[i]));
        }
    }

    void messagesBadContentNamesLineAndField()
    {
        QTemporaryDir dir;
        const std::string file = testutil::path(dir, "bad.jsonl");
        testutil::writeFile(file, "{\"images\": [\"a.jpg\"], \"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"audio\"}]}]}\n");
        auto ws = Workspace::open(testutil::path(dir, "ws"));
        try {
            importMessages(ws, file);
            QFAIL("accepted an audio part");
        } catch (const ImportError& e) {
            QCOMPARE(e.line, int64_t(1));
            QCOMPARE(e.field, std::string("messages[0].content[0].type"));
        }
    }

    void detectsEachFormatFromContent()
    {
        QTemporaryDir dir;
        const auto put = [&](const char* name, const std::string& text) {
            const auto p = testutil::path(dir, name);
            testutil::writeFile(p, text);
            return p;
        };
        // COCO and VQA files are one JSON object; their telling keys come after long parts.
        const std::string longImages = "[" + std::string(3 << 20, ' ') + "]";
        QCOMPARE(detectFormat(put("captions_val2017.json",
                                  "{\"info\": {}, \"images\": " + longImages + ", \"annotations\": [{\"image_id\": 1, \"id\": 2, \"caption\": \"x\"}]}")),
                 std::string("coco"));
        QCOMPARE(detectFormat(put("coco-min.json", R"({"images":[{"id":1,"file_name":"a.jpg"}],"annotations":[{"image_id":1,"id":1,"caption":"c"}]})")),
                 std::string("coco"));
        QCOMPARE(detectFormat(put("q.json", R"({"info": {}, "task_type": "Open-Ended", "questions": [{"image_id": 1, "question": "?", "question_id": 10}]})")),
                 std::string("vqa-questions"));
        QCOMPARE(detectFormat(put("a.json", R"({"annotations": [{"question_type": "is", "multiple_choice_answer": "yes", "question_id": 10}]})")),
                 std::string("vqa-annotations"));
        QCOMPARE(detectFormat(put("own.jsonl", R"({"uid": "x", "task": "t"})" "\n")), std::string("jsonl"));
        QCOMPARE(detectFormat(put("chat.jsonl", R"({"messages": [], "images": []})" "\n")), std::string("messages"));
        QCOMPARE(detectFormat(testutil::upstream("single_robot_selection.json")), std::string("single"));
        fs::create_directories(testutil::path(dir, "hf/train"));
        put("hf/train/metadata.jsonl", R"({"file_name": "a.jpg", "text": "x"})" "\n");
        QCOMPARE(detectFormat(testutil::path(dir, "hf")), std::string("imagefolder"));
        fs::create_directories(testutil::path(dir, "plain"));
        QCOMPARE(detectFormat(testutil::path(dir, "plain")), std::string("folder"));
        QVERIFY_THROWS_EXCEPTION(ImportError, detectFormat(put("what.json", R"([{"foo": 1}])")));
        QVERIFY_THROWS_EXCEPTION(ImportError, detectFormat(put("what2.json", "{\n  \"foo\": 1\n}\n")));
    }

    void planPairsVqaFilesByContent()
    {
        QTemporaryDir dir;
        const auto q = testutil::path(dir, "v2_OpenEnded_mscoco_val2014_questions.json");
        const auto a = testutil::path(dir, "v2_mscoco_val2014_annotations.json");
        testutil::writeFile(q, R"({"questions": [{"image_id": 1, "question": "?", "question_id": 10}]})");
        testutil::writeFile(a, R"({"annotations": [{"multiple_choice_answer": "yes", "question_id": 10}]})");
        // in either order
        const auto steps = planImport({a, q});
        QCOMPARE(steps.size(), size_t(1));
        QCOMPARE(steps[0].format, std::string("vqa"));
        QCOMPARE(steps[0].path, q);
        QCOMPARE(steps[0].second, a);
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, planImport({a}));
        // the folders the COCO and VQA exports write import by naming the folder
        fs::create_directories(testutil::path(dir, "coco/annotations"));
        testutil::writeFile(testutil::path(dir, "coco/annotations/captions_val2017.json"), "{}");
        testutil::writeFile(testutil::path(dir, "coco/annotations/captions_train2017.json"), "{}");
        const auto coco = planImport({testutil::path(dir, "coco")});
        QCOMPARE(coco.size(), size_t(2));
        QCOMPARE(coco[0].format, std::string("coco"));
        QCOMPARE(fs::path(coco[0].path).filename().string(), std::string("captions_train2017.json"));
        fs::create_directories(testutil::path(dir, "vqa"));
        fs::copy_file(q, testutil::path(dir, "vqa/v2_OpenEnded_mscoco_val2014_questions.json"));
        fs::copy_file(a, testutil::path(dir, "vqa/v2_mscoco_val2014_annotations.json"));
        testutil::writeFile(testutil::path(dir, "vqa/v2_OpenEnded_mscoco_test2015_questions.json"), "{}");
        const auto vqa = planImport({testutil::path(dir, "vqa")});
        QCOMPARE(vqa.size(), size_t(2));
        QCOMPARE(fs::path(vqa[0].path).filename().string(), std::string("v2_OpenEnded_mscoco_test2015_questions.json"));
        QCOMPARE(vqa[0].second, std::string());   // test2015 has no answers
        QCOMPARE(fs::path(vqa[1].second).filename().string(), std::string("v2_mscoco_val2014_annotations.json"));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, planImport({q}, "nonsense"));
    }
};

QTEST_GUILESS_MAIN(TestFormatChat)
#include "test_format_chat.moc"
