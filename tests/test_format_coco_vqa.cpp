// COCO captions and VQA v2, in and out, on files laid out as the datasets ship them
// (annotations/captions_val2017.json beside val2017/; v2_OpenEnded_mscoco_val2014_questions.json,
// v2_mscoco_val2014_annotations.json and val2014/COCO_val2014_<id>.jpg): every caption and all ten
// human answers kept, errors naming file and field with nothing imported, missing images as
// warnings, re-imports adding nothing, exports in the key layout pycocotools and vqa.py read,
// and round trips into a fresh workspace compared field by field.
#include <QtTest>

#include "datasets_test_util.h"
#include "exporters.h"
#include "importers.h"
#include "sample_json.h"
#include "workspace.h"

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include <filesystem>
#include <set>

using namespace ember::data;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr int kImageW = 64, kImageH = 48;

// A small JPEG whose bytes differ per seed.
void writeImage(const std::string& p, int seed) { testutil::writeSeededImage(p, seed, kImageW, kImageH); }

int64_t filesUnder(const std::string& dir)
{
    int64_t n = 0;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator(); ++it)
        if (it->is_regular_file()) ++n;
    return n;
}

json readJson(const std::string& p) { return json::parse(testutil::readFile(p)); }

// --- COCO ------------------------------------------------------------------------------------

// captions_val2017.json as COCO ships it (abridged): image records with license, URLs and the
// capture date; annotations not grouped by image, several captions ending in a space or newline.
// Image 632 has no caption.
json cocoCaptions()
{
    auto image = [](int64_t id, int license) {
        const std::string file = "000000" + std::to_string(1000000 + id).substr(1) + ".jpg";
        return json{{"license", license},
                    {"file_name", file},
                    {"coco_url", "http://images.cocodataset.org/val2017/" + file},
                    {"height", 426},
                    {"width", 640},
                    {"date_captured", "2013-11-21 01:34:01"},
                    {"flickr_url", "http://farm9.staticflickr.com/8035/" + std::to_string(id) + "_z.jpg"},
                    {"id", id}};
    };
    json anns = json::array();
    const std::vector<std::pair<int64_t, std::string>> captions = {
        {139, "A woman stands in the dining area at the table.\n"},
        {285, "A big burly grizzly bear is show with grass in the background."},
        {139, "A room with chairs, a table, and a woman in it."},
        {724, "A stop sign is mounted upside-down on it's post. "},
        {139, "A woman standing in a kitchen by a window"},
        {285, "The large brown bear has a black nose."},
        {285, "Closeup of a brown bear sitting in a grassy area."},
        {139, "A person standing at a table in a room."},
        {724, "A stop sign that has been placed upside down."},
        {285, "A large bear that is sitting on grass. "},
        {139, "A living area with a television and a table"},
        {724, "An upside down stop sign by the road."},
        {285, "A close up picture of a brown bear's face."},
        {724, "a stop sign put upside down on a metal pole "},
        {724, "A stop sign installed upside down on a street corner"},
    };
    int64_t id = 37;
    for (const auto& [imageId, caption] : captions)
        anns.push_back({{"image_id", imageId}, {"id", id++}, {"caption", caption}});
    return {{"info", {{"description", "COCO 2017 Dataset"}, {"url", "http://cocodataset.org"}, {"version", "1.0"},
                      {"year", 2017}, {"contributor", "COCO Consortium"}, {"date_created", "2017/09/01"}}},
            {"licenses", json::array({{{"url", "http://creativecommons.org/licenses/by-nc-sa/2.0/"}, {"id", 1},
                                       {"name", "Attribution-NonCommercial-ShareAlike License"}}})},
            {"images", json::array({image(139, 2), image(285, 4), image(632, 3), image(724, 1)})},
            {"annotations", anns}};
}

// <root>/annotations/captions_val2017.json and <root>/val2017/<id>.jpg; returns the annotation file.
std::string writeCocoLayout(const std::string& root, const json& doc = cocoCaptions())
{
    fs::create_directories(root + "/annotations");
    const std::string file = root + "/annotations/captions_val2017.json";
    testutil::writeFile(file, doc.dump());
    int seed = 1;
    for (const char* name : {"000000000139.jpg", "000000000285.jpg", "000000000632.jpg", "000000000724.jpg"})
        writeImage(root + "/val2017/" + name, seed++);
    return file;
}

// The captions of `imageId` in the fixture, trimmed, in annotation order.
std::vector<std::string> fixtureCaptions(int64_t imageId)
{
    std::vector<std::string> out;
    const json doc = cocoCaptions();
    for (const auto& a : doc["annotations"])
        if (a["image_id"] == imageId) {
            std::string c = a["caption"];
            while (!c.empty() && (c.back() == ' ' || c.back() == '\n')) c.pop_back();
            out.push_back(c);
        }
    return out;
}

// A list as JSON text: what a failing comparison prints.
QString asText(const std::vector<std::string>& v) { return QString::fromStdString(json(v).dump()); }

std::vector<std::string> captionsOf(const Sample& s)
{
    std::vector<std::string> v{s.caption};
    v.insert(v.end(), s.moreCaptions.begin(), s.moreCaptions.end());
    return v;
}

// --- VQA -------------------------------------------------------------------------------------

// Ten human answers as VQA v2 has them; answer ids given out of order to check they are sorted.
json humanAnswers(const std::vector<std::string>& answers, const std::vector<std::string>& confidences, bool shuffled)
{
    json out = json::array();
    for (size_t k = 0; k < answers.size(); ++k) {
        const size_t i = shuffled ? answers.size() - 1 - k : k;
        out.push_back({{"answer", answers[i]}, {"answer_confidence", confidences[i]}, {"answer_id", int64_t(i + 1)}});
    }
    return out;
}

const std::vector<std::string> kColors = {"red", "red", "red and white", "red", "red", "red", "maroon", "red", "red", "red"};
const std::vector<std::string> kConf = {"yes", "yes", "maybe", "yes", "yes", "yes", "no", "yes", "maybe", "yes"};
const std::vector<std::string> kYes = std::vector<std::string>(10, "no");
const std::vector<std::string> kRoad = {"bus", "bus", "bus", "car", "bus", "bus", "bus", "bus", "cars", "bus"};
const std::vector<std::string> kTwo = {"2", "2", "2", "3", "2", "2", "2", "two", "2", "2"};
const std::vector<std::string> kAllYes = std::vector<std::string>(10, "yes");

json vqaQuestions(const std::string& subtype)
{
    return {{"info", {{"description", "This is v2.0 of the VQA dataset."}, {"url", "http://visualqa.org"},
                      {"version", "2.0"}, {"year", 2017}, {"contributor", "VQA Team"},
                      {"date_created", "2017-04-26 17:07:13"}}},
            {"task_type", "Open-Ended"},
            {"data_type", "mscoco"},
            {"license", {{"url", "http://creativecommons.org/licenses/by/4.0/"},
                         {"name", "Creative Commons Attribution 4.0 International License"}}},
            {"data_subtype", subtype},
            {"questions", json::array({{{"image_id", 42}, {"question", "What color is the bus?"}, {"question_id", 42002}},
                                       {{"image_id", 42}, {"question", "Is it raining?"}, {"question_id", 42000}},
                                       {{"image_id", 73}, {"question", "How many people are there?"}, {"question_id", 73000}},
                                       {{"image_id", 42}, {"question", "What is on the road?"}, {"question_id", 42001}}})}};
}

json vqaAnnotations()
{
    auto ann = [](int64_t qid, int64_t image, const char* qtype, const char* atype, const char* mc, json answers) {
        return json{{"question_type", qtype}, {"multiple_choice_answer", mc}, {"answers", std::move(answers)},
                    {"image_id", image},      {"answer_type", atype},       {"question_id", qid}};
    };
    return {{"info", vqaQuestions("val2014")["info"]},
            {"license", vqaQuestions("val2014")["license"]},
            {"data_subtype", "val2014"},
            {"annotations", json::array({ann(42000, 42, "is it", "yes/no", "no", humanAnswers(kYes, kAllYes, false)),
                                         ann(73000, 73, "how many", "number", "2", humanAnswers(kTwo, kConf, false)),
                                         ann(42002, 42, "what color is the", "other", "red", humanAnswers(kColors, kConf, true)),
                                         ann(42001, 42, "what is on the", "other", "bus", humanAnswers(kRoad, kConf, false))})}};
}

struct VqaFiles {
    std::string questions, annotations;
};

// <root>/v2_OpenEnded_mscoco_val2014_questions.json, v2_mscoco_val2014_annotations.json and
// <root>/val2014/: image 42 in VQA's (COCO 2014's) naming, image 73 in COCO 2017's.
VqaFiles writeVqaLayout(const std::string& root, const json& q = vqaQuestions("val2014"), const json& a = vqaAnnotations())
{
    VqaFiles f{root + "/v2_OpenEnded_mscoco_val2014_questions.json", root + "/v2_mscoco_val2014_annotations.json"};
    fs::create_directories(root);
    testutil::writeFile(f.questions, q.dump());
    testutil::writeFile(f.annotations, a.dump());
    writeImage(root + "/val2014/COCO_val2014_000000000042.jpg", 7);
    writeImage(root + "/val2014/000000000073.jpg", 8);
    return f;
}

std::vector<HumanAnswer> answersOf(const std::vector<std::string>& a, const std::vector<std::string>& c)
{
    std::vector<HumanAnswer> out;
    for (size_t i = 0; i < a.size(); ++i) out.push_back({a[i], c[i]});
    return out;
}

// A sample made by hand (not imported), with an image stored from `imagePath`.
Sample handMade(Workspace& ws, const std::string& imagePath)
{
    Sample s;
    s.image = ws.storeImageFile(imagePath).info;
    s.source = "annotate";
    return s;
}

// The stored samples of a workspace by uid.
std::map<std::string, Sample> byUid(const Workspace& ws)
{
    std::map<std::string, Sample> out;
    for (int64_t id : ws.ids({})) {
        auto s = ws.get(id);
        out[s->uid] = *s;
    }
    return out;
}

} // namespace

class TestFormatCocoVqa final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    // --- COCO import -------------------------------------------------------------------------
    void cocoKeepsEveryCaption()
    {
        QTemporaryDir dir;
        const auto file = writeCocoLayout(testutil::path(dir, "coco"));
        auto ws = Workspace::open(testutil::path(dir, "ws"));
        std::vector<std::pair<int64_t, int64_t>> calls;
        const auto r = importCoco(ws, file, {}, [&](int64_t d, int64_t t) {
            calls.emplace_back(d, t);
            return true;
        });
        QCOMPARE(r.imported, 4);   // 139, 285, 632 (no caption: the image alone), 724
        QCOMPARE(r.skipped, 0);
        QVERIFY(r.warnings.empty());
        QCOMPARE(r.ids.size(), size_t(4));
        QVERIFY(!calls.empty() && calls.back() == std::make_pair(int64_t(4), int64_t(4)));
        const int64_t imageIds[] = {139, 285, 632, 724};
        for (size_t i = 0; i < 4; ++i) {
            const auto s = ws.get(r.ids[i]);
            QVERIFY(s);
            const auto extra = extraObject(*s);
            QCOMPARE(extra["image_id"].get<int64_t>(), imageIds[i]);
            QVERIFY(s->split == Split::Val);
            QCOMPARE(QString::fromStdString(s->source), QStringLiteral("coco:captions_val2017.json"));
            QCOMPARE(s->image.width, kImageW);
            QCOMPARE(s->image.height, kImageH);
            QVERIFY(s->task.empty() && s->qa.empty() && s->robots.empty());
            if (imageIds[i] == 632) {
                QVERIFY(s->caption.empty() && s->moreCaptions.empty());
                continue;
            }
            QCOMPARE(asText(captionsOf(*s)), asText(fixtureCaptions(imageIds[i])));
            QCOMPARE(s->moreCaptions.size(), size_t(4));   // five captions per image
        }
        // Captions in annotation order, the trailing newline and spaces gone.
        const auto first = ws.get(r.ids[0]);
        QCOMPARE(QString::fromStdString(first->caption), QStringLiteral("A woman stands in the dining area at the table."));
        QCOMPARE(QString::fromStdString(first->moreCaptions[3]), QStringLiteral("A living area with a television and a table"));
        const auto stop = ws.get(r.ids[3]);
        QCOMPARE(QString::fromStdString(stop->caption), QStringLiteral("A stop sign is mounted upside-down on it's post."));
        // The image record's other simple fields are kept; width/height come from the image itself.
        const json extra = extraObject(*first);
        QCOMPARE(extra, json({{"image_id", 139}, {"license", 2}, {"date_captured", "2013-11-21 01:34:01"},
                              {"coco_url", "http://images.cocodataset.org/val2017/000000000139.jpg"},
                              {"flickr_url", "http://farm9.staticflickr.com/8035/139_z.jpg"}}));

        // A second import of the same file adds nothing.
        const auto again = importCoco(ws, file);
        QCOMPARE(again.imported, 0);
        QCOMPARE(again.skipped, 4);
        QCOMPARE(ws.count(), 4);
    }

    // --images DIR first, then the file's own folder when there is no <subset> folder.
    void cocoImageRoots()
    {
        QTemporaryDir dir;
        const json doc = cocoCaptions();
        {
            const std::string file = testutil::path(dir, "ann/captions_val2017.json");
            fs::create_directories(testutil::path(dir, "ann"));
            testutil::writeFile(file, doc.dump());
            int seed = 1;
            for (const char* name : {"000000000139.jpg", "000000000285.jpg", "000000000632.jpg", "000000000724.jpg"})
                writeImage(testutil::path(dir, std::string("pictures/") + name), seed++);
            auto ws = Workspace::open(testutil::path(dir, "ws1"));
            ImportOptions o;
            o.imagesDir = testutil::path(dir, "pictures");
            o.author = "ann";
            o.status = Status::Reviewed;
            const auto r = importCoco(ws, file, o);
            QCOMPARE(r.imported, 4);
            const auto s = ws.get(r.ids[1]);
            QCOMPARE(QString::fromStdString(s->author), QStringLiteral("ann"));
            QVERIFY(s->status == Status::Reviewed);
        }
        {
            // Everything in one folder; a file name without a subset gives no split.
            const std::string file = testutil::path(dir, "flat/captions.json");
            int seed = 1;
            for (const char* name : {"000000000139.jpg", "000000000285.jpg", "000000000632.jpg", "000000000724.jpg"})
                writeImage(testutil::path(dir, std::string("flat/") + name), seed++);
            testutil::writeFile(file, doc.dump(2));
            auto ws = Workspace::open(testutil::path(dir, "ws2"));
            const auto r = importCoco(ws, file);
            QCOMPARE(r.imported, 4);
            QVERIFY(ws.get(r.ids[0])->split == Split::None);
        }
    }

    void cocoMissingImageWarns()
    {
        QTemporaryDir dir;
        const auto file = writeCocoLayout(testutil::path(dir, "coco"));
        fs::remove(testutil::path(dir, "coco/val2017/000000000285.jpg"));
        auto ws = Workspace::open(testutil::path(dir, "ws"));
        const auto r = importCoco(ws, file);
        QCOMPARE(r.imported, 3);
        QCOMPARE(r.skipped, 1);
        QCOMPARE(r.warnings.size(), size_t(1));
        QVERIFY2(r.warnings[0].find("000000000285.jpg") != std::string::npos, r.warnings[0].c_str());
        QVERIFY(r.warnings[0].find("captions_val2017.json") != std::string::npos);
    }

    void cocoMalformed_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("field");
        auto edit = [](const std::function<void(json&)>& fn) {
            json d = cocoCaptions();
            fn(d);
            return QString::fromStdString(d.dump(1));
        };
        QTest::newRow("not JSON") << QStringLiteral("{\"images\": [\n{\"id\": 1,,}") << QString();
        QTest::newRow("not an object") << QStringLiteral("[1, 2]") << QString();
        QTest::newRow("no images") << edit([](json& d) { d.erase("images"); }) << "images";
        QTest::newRow("annotations not an array")
            << edit([](json& d) { d["annotations"] = json::object(); }) << "annotations";
        QTest::newRow("caption not a string")
            << edit([](json& d) { d["annotations"][1]["caption"] = 5; }) << "annotations[1].caption";
        QTest::newRow("unknown image id")
            << edit([](json& d) { d["annotations"][2]["image_id"] = 999; }) << "annotations[2].image_id";
        QTest::newRow("image id a string") << edit([](json& d) { d["images"][0]["id"] = "139"; }) << "images[0].id";
        QTest::newRow("image id twice") << edit([](json& d) { d["images"][3]["id"] = 139; }) << "images[3].id";
        QTest::newRow("no file_name")
            << edit([](json& d) { d["images"][1].erase("file_name"); }) << "images[1].file_name";
        QTest::newRow("annotation not an object")
            << edit([](json& d) { d["annotations"][14] = "caption"; }) << "annotations[14]";
    }

    void cocoMalformed()
    {
        QFETCH(QString, text);
        QFETCH(QString, field);
        QTemporaryDir dir;
        const auto file = writeCocoLayout(testutil::path(dir, "coco"));
        testutil::writeFile(file, text.toStdString());
        auto ws = Workspace::open(testutil::path(dir, "ws"));
        try {
            importCoco(ws, file);
            QFAIL("no ImportError");
        } catch (const ImportError& e) {
            QCOMPARE(QString::fromStdString(e.file), QString::fromStdString(file));
            QCOMPARE(QString::fromStdString(e.field), field);
            QVERIFY(std::string(e.what()).find("captions_val2017.json") != std::string::npos);
        }
        QCOMPARE(ws.count(), 0);
        QCOMPARE(filesUnder(testutil::path(dir, "ws/images")), 0);
    }

    // A cancel after the images were stored rolls back the rows and removes the files.
    void cocoCancelRollsBack()
    {
        QTemporaryDir dir;
        const auto file = writeCocoLayout(testutil::path(dir, "coco"));
        auto ws = Workspace::open(testutil::path(dir, "ws"));
        QVERIFY_THROWS_EXCEPTION(Cancelled, importCoco(ws, file, {}, [](int64_t d, int64_t t) { return d < t; }));
        QCOMPARE(ws.count(), 0);
        QCOMPARE(filesUnder(testutil::path(dir, "ws/images")), 0);
        QCOMPARE(importCoco(ws, file).imported, 4);   // and nothing of it blocks a later import
    }

    // --- COCO export and round trip ----------------------------------------------------------
    void cocoRoundTrip()
    {
        QTemporaryDir dir;
        const auto file = writeCocoLayout(testutil::path(dir, "coco"));
        auto ws = Workspace::open(testutil::path(dir, "ws"));
        const auto r = importCoco(ws, file);
        QCOMPARE(r.imported, 4);
        // Besides the import: a text-only sample and the captionless 632 (both skipped), a captioned
        // sample made by hand without a split or image id, and one whose kept image id 139 is taken.
        Sample textOnly;
        textOnly.task = "Inspect the roof.";
        textOnly.caption = "No image here.";
        ws.insert(textOnly);
        writeImage(testutil::path(dir, "own/a.jpg"), 20);
        writeImage(testutil::path(dir, "own/b.jpg"), 21);
        Sample own = handMade(ws, testutil::path(dir, "own/a.jpg"));
        own.caption = "  A hand-written caption. ";
        own.moreCaptions = {"", "A second one."};
        ws.insert(own);
        Sample clash = handMade(ws, testutil::path(dir, "own/b.jpg"));
        clash.caption = "Another picture claiming image 139.";
        clash.split = Split::Val;
        setExtra(clash, {{"image_id", 139}, {"id", "llava-7"}});
        ws.insert(clash);
        writeImage(testutil::path(dir, "own/c.jpg"), 22);
        Sample blank = handMade(ws, testutil::path(dir, "own/c.jpg"));
        blank.caption = " \n";   // nothing left once trimmed: skipped
        ws.insert(blank);

        // A file an earlier export left under 139's name is replaced, not kept.
        const std::string out = testutil::path(dir, "out");
        fs::create_directories(out + "/val2017");
        testutil::writeFile(out + "/val2017/000000000139.jpg", "stale");
        const auto e = exportCoco(ws, out);
        QCOMPARE(e.written, 5);   // 139, 285, 724, own, clash
        QCOMPARE(e.skipped, 3);   // 632 (no caption), textOnly (no image), blank
        QVERIFY(e.warnings.empty());

        // The key layout of captions_val2017.json: what pycocotools' COCO() indexes.
        QCOMPARE(QString::fromStdString(detectFormat(out + "/annotations/captions_val2017.json")), QStringLiteral("coco"));
        const json val = readJson(out + "/annotations/captions_val2017.json");
        QVERIFY(val["info"].is_object() && val["licenses"].is_array());
        QVERIFY(val["images"].is_array() && val["annotations"].is_array());
        std::set<int64_t> imageIds, annIds;
        for (const auto& img : val["images"]) {
            QVERIFY(img["id"].is_number_integer() && img["file_name"].is_string());
            QCOMPARE(img["width"].get<int>(), kImageW);
            QCOMPARE(img["height"].get<int>(), kImageH);
            imageIds.insert(img["id"].get<int64_t>());
            QVERIFY(fs::is_regular_file(out + "/val2017/" + img["file_name"].get<std::string>()));
        }
        QCOMPARE(imageIds.size(), size_t(4));   // 139, 285, 724 and the clash under a new id
        QVERIFY(imageIds.count(139) && imageIds.count(285) && imageIds.count(724));
        for (const auto& a : val["annotations"]) {
            QVERIFY(a["id"].is_number_integer() && a["image_id"].is_number_integer() && a["caption"].is_string());
            QVERIFY(annIds.insert(a["id"].get<int64_t>()).second);
            QVERIFY(imageIds.count(a["image_id"].get<int64_t>()));
        }
        QCOMPARE(val["annotations"].size(), size_t(16));
        const json& img139 = val["images"][0];
        QCOMPARE(img139["file_name"].get<std::string>(), std::string("000000000139.jpg"));
        QCOMPARE(img139["license"].get<int>(), 2);
        QCOMPARE(img139["coco_url"].get<std::string>(), std::string("http://images.cocodataset.org/val2017/000000000139.jpg"));
        QCOMPARE(testutil::readFile(out + "/val2017/000000000139.jpg"),
                 testutil::readFile(testutil::path(dir, "coco/val2017/000000000139.jpg")));
        const json& clashRec = val["images"][3];
        QCOMPARE(clashRec["id"].get<int64_t>(), clash.id);   // its sample id, free
        QVERIFY(!clashRec.contains("image_id"));             // a foreign "id" never overrides COCO's
        // No split: train2017.
        const json train = readJson(out + "/annotations/captions_train2017.json");
        QCOMPARE(train["images"].size(), size_t(1));
        QCOMPARE(train["images"][0]["id"].get<int64_t>(), own.id);
        QCOMPARE(train["annotations"].size(), size_t(2));
        QCOMPARE(train["annotations"][0]["caption"].get<std::string>(), std::string("A hand-written caption."));
        QVERIFY(fs::is_regular_file(out + "/train2017/" + train["images"][0]["file_name"].get<std::string>()));

        // Into a fresh workspace, from the export's own layout (../val2017/ beside annotations/).
        auto fresh = Workspace::open(testutil::path(dir, "ws2"));
        const auto rv = importCoco(fresh, out + "/annotations/captions_val2017.json");
        const auto rt = importCoco(fresh, out + "/annotations/captions_train2017.json");
        QCOMPARE(rv.imported, 4);
        QCOMPARE(rt.imported, 1);
        QVERIFY(rv.warnings.empty() && rt.warnings.empty());
        const auto before = byUid(ws);
        const auto after = byUid(fresh);
        int same = 0;
        for (const auto& [uid, b] : after) {
            const auto it = before.find(uid);
            if (it == before.end()) continue;   // own and clash were made by hand: new uids
            const Sample& a = it->second;
            QCOMPARE(b.caption, a.caption);
            QCOMPARE(asText(b.moreCaptions), asText(a.moreCaptions));
            QCOMPARE(extraObject(b), extraObject(a));
            QVERIFY(b.split == a.split);
            QCOMPARE(b.image.hash, a.image.hash);
            QCOMPARE(b.source, a.source);
            ++same;
        }
        QCOMPARE(same, 3);   // 139, 285, 724 come back under their own uids
        // The hand-made ones: captions (trimmed, the empty one gone), the split train, image ids in extra.
        const auto ownBack = fresh.get(rt.ids[0]);
        QCOMPARE(asText(captionsOf(*ownBack)), asText({"A hand-written caption.", "A second one."}));
        QVERIFY(ownBack->split == Split::Train);
        QCOMPARE(ownBack->image.hash, own.image.hash);
        QCOMPARE(extraObject(*ownBack), json({{"image_id", own.id}}));
        const auto clashBack = fresh.get(rv.ids[3]);
        QCOMPARE(clashBack->caption, clash.caption);
        QCOMPARE(clashBack->image.hash, clash.image.hash);

        // The export re-imported where it came from adds nothing new for COCO's own images.
        const auto back = importCoco(ws, out + "/annotations/captions_val2017.json");
        QCOMPARE(back.skipped, 3);
        QCOMPARE(back.imported, 1);   // the clash, now COCO image `clash.id`
    }

    // A failed (here: cancelled) export leaves the previous one as it was, without temporary files.
    void cocoFailedExportKeepsPrevious()
    {
        QTemporaryDir dir;
        const auto file = writeCocoLayout(testutil::path(dir, "coco"));
        auto ws = Workspace::open(testutil::path(dir, "ws"));
        importCoco(ws, file);
        const std::string out = testutil::path(dir, "out");
        QCOMPARE(exportCoco(ws, out).written, 3);
        const std::string annFile = out + "/annotations/captions_val2017.json";
        const std::string previous = testutil::readFile(annFile);
        Sample s = *ws.get(ws.ids({})[0]);
        s.caption = "Changed.";
        ws.update(s);
        QVERIFY_THROWS_EXCEPTION(Cancelled, exportCoco(ws, out, {}, [](int64_t d, int64_t t) { return d < t; }));
        QCOMPARE(testutil::readFile(annFile), previous);
        QCOMPARE(filesUnder(out + "/annotations"), 1);
        QCOMPARE(exportCoco(ws, out).written, 3);
        QVERIFY(testutil::readFile(annFile).find("Changed.") != std::string::npos);
    }

    // --- VQA import --------------------------------------------------------------------------
    void vqaKeepsHumanAnswers()
    {
        QTemporaryDir dir;
        const auto f = writeVqaLayout(testutil::path(dir, "vqa"));
        auto ws = Workspace::open(testutil::path(dir, "ws"));
        const auto r = importVqa(ws, f.questions, f.annotations);
        QCOMPARE(r.imported, 2);
        QCOMPARE(r.skipped, 0);
        QVERIFY(r.warnings.empty());
        const auto s42 = ws.get(r.ids[0]);
        QCOMPARE(extraObject(*s42), json({{"image_id", 42}}));
        QVERIFY(s42->split == Split::Val);
        QCOMPARE(QString::fromStdString(s42->source), QStringLiteral("vqa:v2_OpenEnded_mscoco_val2014_questions.json"));
        QVERIFY(s42->image.id != 0);
        QCOMPARE(s42->qa.size(), size_t(3));
        // By question id.
        QCOMPARE(s42->qa[0].questionId, int64_t(42000));
        QCOMPARE(s42->qa[1].questionId, int64_t(42001));
        QCOMPARE(s42->qa[2].questionId, int64_t(42002));
        QCOMPARE(QString::fromStdString(s42->qa[0].question), QStringLiteral("Is it raining?"));
        QCOMPARE(QString::fromStdString(s42->qa[0].answer), QStringLiteral("no"));
        QCOMPARE(QString::fromStdString(s42->qa[0].answerType), QStringLiteral("yes/no"));
        QCOMPARE(QString::fromStdString(s42->qa[0].questionType), QStringLiteral("is it"));
        QCOMPARE(s42->qa[0].humanAnswers, answersOf(kYes, kAllYes));
        // Given in reverse answer_id order: back in answer_id order, each with its confidence.
        QCOMPARE(QString::fromStdString(s42->qa[2].question), QStringLiteral("What color is the bus?"));
        QCOMPARE(QString::fromStdString(s42->qa[2].answer), QStringLiteral("red"));
        QCOMPARE(QString::fromStdString(s42->qa[2].questionType), QStringLiteral("what color is the"));
        QCOMPARE(QString::fromStdString(s42->qa[2].answerType), QStringLiteral("other"));
        QCOMPARE(s42->qa[2].humanAnswers.size(), size_t(10));
        QCOMPARE(s42->qa[2].humanAnswers, answersOf(kColors, kConf));
        const auto s73 = ws.get(r.ids[1]);   // found under COCO 2017's name
        QCOMPARE(extraObject(*s73), json({{"image_id", 73}}));
        QCOMPARE(s73->qa.size(), size_t(1));
        QCOMPARE(s73->qa[0].humanAnswers, answersOf(kTwo, kConf));
        QCOMPARE(QString::fromStdString(s73->qa[0].answerType), QStringLiteral("number"));

        const auto again = importVqa(ws, f.questions, f.annotations);
        QCOMPARE(again.imported, 0);
        QCOMPARE(again.skipped, 2);
        QCOMPARE(ws.count(), 2);

        // The two files told apart by content, given in either order.
        auto other = Workspace::open(testutil::path(dir, "ws2"));
        const auto swapped = importVqa(other, f.annotations, f.questions);
        QCOMPARE(swapped.imported, 2);
        QVERIFY(other.get(swapped.ids[0])->qa == s42->qa);
        QCOMPARE(other.get(swapped.ids[0])->uid, s42->uid);
    }

    // test-dev has questions only; its images are test2015's.
    void vqaQuestionsOnly()
    {
        QTemporaryDir dir;
        const std::string root = testutil::path(dir, "vqa");
        fs::create_directories(root);
        json q = vqaQuestions("test-dev2015");
        q["questions"] = json::array({{{"image_id", 1}, {"question", "Is this a kitchen?"}, {"question_id", 1000}},
                                      {{"image_id", 1}, {"question", "What is on the wall?"}, {"question_id", 1001}}});
        const std::string file = root + "/v2_OpenEnded_mscoco_test-dev2015_questions.json";
        testutil::writeFile(file, q.dump());
        writeImage(root + "/test2015/COCO_test2015_000000000001.jpg", 3);
        auto ws = Workspace::open(testutil::path(dir, "ws"));
        const auto r = importVqa(ws, file, "");
        QCOMPARE(r.imported, 1);
        const auto s = ws.get(r.ids[0]);
        QVERIFY(s->split == Split::Test);
        QCOMPARE(s->qa.size(), size_t(2));
        QVERIFY(s->qa[0].answer.empty() && s->qa[0].humanAnswers.empty() && s->qa[0].answerType.empty());
        QCOMPARE(s->qa[1].questionId, int64_t(1001));
        // Exported like test2015: questions and no annotations file.
        const std::string out = testutil::path(dir, "out");
        const auto e = exportVqa(ws, out);
        QCOMPARE(e.written, 1);
        QVERIFY(fs::is_regular_file(out + "/v2_OpenEnded_mscoco_test2015_questions.json"));
        QVERIFY(!fs::exists(out + "/v2_mscoco_test2015_annotations.json"));
        QVERIFY(fs::is_regular_file(out + "/test2015/COCO_test2015_000000000001.jpg"));
        auto fresh = Workspace::open(testutil::path(dir, "ws2"));
        const auto back = importVqa(fresh, out + "/v2_OpenEnded_mscoco_test2015_questions.json", "");
        QCOMPARE(back.imported, 1);
        QVERIFY(fresh.get(back.ids[0])->qa == s->qa);
    }

    void vqaMissingImageWarns()
    {
        QTemporaryDir dir;
        const auto f = writeVqaLayout(testutil::path(dir, "vqa"));
        fs::remove(testutil::path(dir, "vqa/val2014/000000000073.jpg"));
        auto ws = Workspace::open(testutil::path(dir, "ws"));
        const auto r = importVqa(ws, f.questions, f.annotations);
        QCOMPARE(r.imported, 1);
        QCOMPARE(r.skipped, 1);
        QCOMPARE(r.warnings.size(), size_t(1));
        QVERIFY2(r.warnings[0].find("COCO_val2014_000000000073.jpg") != std::string::npos, r.warnings[0].c_str());
    }

    void vqaMalformed_data()
    {
        QTest::addColumn<QString>("questions");
        QTest::addColumn<QString>("annotations");
        QTest::addColumn<bool>("inAnnotations");   // which file the error names
        QTest::addColumn<QString>("field");
        const QString q = QString::fromStdString(vqaQuestions("val2014").dump());
        const QString a = QString::fromStdString(vqaAnnotations().dump());
        auto editQ = [](const std::function<void(json&)>& fn) {
            json d = vqaQuestions("val2014");
            fn(d);
            return QString::fromStdString(d.dump());
        };
        auto editA = [](const std::function<void(json&)>& fn) {
            json d = vqaAnnotations();
            fn(d);
            return QString::fromStdString(d.dump());
        };
        QTest::newRow("questions not JSON") << QStringLiteral("{\"questions\": [") << a << false << QString();
        QTest::newRow("annotations not JSON") << q << QStringLiteral("{]") << true << QString();
        QTest::newRow("no questions") << editQ([](json& d) { d.erase("questions"); }) << a << false << "questions";
        QTest::newRow("question not a string")
            << editQ([](json& d) { d["questions"][1]["question"] = json::array(); }) << a << false << "questions[1].question";
        QTest::newRow("question id twice")
            << editQ([](json& d) { d["questions"][3]["question_id"] = 42000; }) << a << false << "questions[3].question_id";
        QTest::newRow("annotations not an array")
            << q << editA([](json& d) { d["annotations"] = "none"; }) << true << "annotations";
        QTest::newRow("unknown question id")
            << q << editA([](json& d) { d["annotations"][0]["question_id"] = 5; }) << true << "annotations[0].question_id";
        QTest::newRow("answers not an array")
            << q << editA([](json& d) { d["annotations"][1]["answers"] = 3; }) << true << "annotations[1].answers";
        QTest::newRow("answer not a string")
            << q << editA([](json& d) { d["annotations"][0]["answers"][3]["answer"] = 1; }) << true
            << "annotations[0].answers[3].answer";
        QTest::newRow("other image")
            << q << editA([](json& d) { d["annotations"][2]["image_id"] = 73; }) << true << "annotations[2].image_id";
        QTest::newRow("no multiple_choice_answer")
            << q << editA([](json& d) { d["annotations"][3].erase("multiple_choice_answer"); }) << true
            << "annotations[3].multiple_choice_answer";
    }

    void vqaMalformed()
    {
        QFETCH(QString, questions);
        QFETCH(QString, annotations);
        QFETCH(bool, inAnnotations);
        QFETCH(QString, field);
        QTemporaryDir dir;
        const auto f = writeVqaLayout(testutil::path(dir, "vqa"));
        testutil::writeFile(f.questions, questions.toStdString());
        testutil::writeFile(f.annotations, annotations.toStdString());
        auto ws = Workspace::open(testutil::path(dir, "ws"));
        try {
            importVqa(ws, f.questions, f.annotations);
            QFAIL("no ImportError");
        } catch (const ImportError& e) {
            QCOMPARE(QString::fromStdString(e.file), QString::fromStdString(inAnnotations ? f.annotations : f.questions));
            QCOMPARE(QString::fromStdString(e.field), field);
        }
        QCOMPARE(ws.count(), 0);
        QCOMPARE(filesUnder(testutil::path(dir, "ws/images")), 0);
    }

    // --- VQA export and round trip -----------------------------------------------------------
    void vqaRoundTrip()
    {
        QTemporaryDir dir;
        const auto f = writeVqaLayout(testutil::path(dir, "vqa"));
        auto ws = Workspace::open(testutil::path(dir, "ws"));
        const auto r = importVqa(ws, f.questions, f.annotations);
        QCOMPARE(r.imported, 2);
        // Besides the import: a pair typed by hand (no split), an image without pairs and a
        // text-only pair (both skipped).
        writeImage(testutil::path(dir, "own/a.jpg"), 30);
        writeImage(testutil::path(dir, "own/b.jpg"), 31);
        Sample own = handMade(ws, testutil::path(dir, "own/a.jpg"));
        own.qa = {{"Is the light on?", "Yes."}, {"How many lamps?", "3"}};
        ws.insert(own);
        Sample bare = handMade(ws, testutil::path(dir, "own/b.jpg"));
        ws.insert(bare);
        Sample textOnly;
        textOnly.qa = {{"Why?", "Because."}};
        ws.insert(textOnly);

        const std::string out = testutil::path(dir, "out");
        const auto e = exportVqa(ws, out);
        QCOMPARE(e.written, 3);
        QCOMPARE(e.skipped, 2);
        QVERIFY(e.warnings.empty());

        // The key layout vqa.py and vqaEval.py read.
        const std::string qFile = out + "/v2_OpenEnded_mscoco_val2014_questions.json";
        const std::string aFile = out + "/v2_mscoco_val2014_annotations.json";
        QCOMPARE(QString::fromStdString(detectFormat(qFile)), QStringLiteral("vqa-questions"));
        QCOMPARE(QString::fromStdString(detectFormat(aFile)), QStringLiteral("vqa-annotations"));
        const json qs = readJson(qFile), as = readJson(aFile);
        QVERIFY(qs["info"].is_object() && qs["license"].is_object());
        QCOMPARE(qs["task_type"].get<std::string>(), std::string("Open-Ended"));
        QCOMPARE(qs["data_type"].get<std::string>(), std::string("mscoco"));
        QCOMPARE(qs["data_subtype"].get<std::string>(), std::string("val2014"));
        QVERIFY(as["info"].is_object() && as["license"].is_object());
        QCOMPARE(as["data_subtype"].get<std::string>(), std::string("val2014"));
        std::set<int64_t> qids;
        for (const auto& x : qs["questions"]) {
            QVERIFY(x["image_id"].is_number_integer() && x["question"].is_string());
            QVERIFY(qids.insert(x["question_id"].get<int64_t>()).second);
        }
        QCOMPARE(qids, (std::set<int64_t>{42000, 42001, 42002, 73000}));
        QCOMPARE(as["annotations"].size(), size_t(4));
        for (const auto& x : as["annotations"]) {
            QVERIFY(qids.count(x["question_id"].get<int64_t>()));
            for (const char* k : {"question_type", "answer_type", "multiple_choice_answer"}) QVERIFY(x[k].is_string());
            QVERIFY(x["image_id"].is_number_integer());
            QCOMPARE(x["answers"].size(), size_t(10));
            for (size_t i = 0; i < 10; ++i) {
                QVERIFY(x["answers"][i]["answer"].is_string() && x["answers"][i]["answer_confidence"].is_string());
                QCOMPARE(x["answers"][i]["answer_id"].get<int64_t>(), int64_t(i + 1));
            }
        }
        QVERIFY(fs::is_regular_file(out + "/val2014/COCO_val2014_000000000042.jpg"));
        QVERIFY(fs::is_regular_file(out + "/val2014/COCO_val2014_000000000073.jpg"));   // renamed to VQA's naming
        const std::string ownImage = out + "/train2014/COCO_train2014_" +
                                     QString::number(own.id).rightJustified(12, '0').toStdString() + ".jpg";
        QVERIFY2(fs::is_regular_file(ownImage), ownImage.c_str());

        // Into a fresh workspace: every field VQA has comes back.
        auto fresh = Workspace::open(testutil::path(dir, "ws2"));
        const auto rv = importVqa(fresh, qFile, aFile);
        QCOMPARE(rv.imported, 2);
        QVERIFY(rv.warnings.empty());
        for (size_t i = 0; i < 2; ++i) {
            const auto a = ws.get(r.ids[i]);
            const auto b = fresh.get(rv.ids[i]);
            QCOMPARE(b->uid, a->uid);
            QVERIFY(b->qa == a->qa);
            QCOMPARE(extraObject(*b), extraObject(*a));
            QVERIFY(b->split == a->split);
            QCOMPARE(b->image.hash, a->image.hash);
            QCOMPARE(b->source, a->source);
        }
        // The pair typed by hand comes back with VQA's fields filled in: ten copies of its
        // answer, the answer type inferred, "none of the above", question ids image × 1000 + k.
        const auto rt = importVqa(fresh, out + "/v2_OpenEnded_mscoco_train2014_questions.json",
                                  out + "/v2_mscoco_train2014_annotations.json");
        QCOMPARE(rt.imported, 1);
        const auto ownBack = fresh.get(rt.ids[0]);
        QVERIFY(ownBack->split == Split::Train);
        QCOMPARE(ownBack->image.hash, own.image.hash);
        QCOMPARE(extraObject(*ownBack), json({{"image_id", own.id}}));
        QCOMPARE(ownBack->qa.size(), size_t(2));
        QCOMPARE(ownBack->qa[0].question, own.qa[0].question);
        QCOMPARE(ownBack->qa[0].answer, own.qa[0].answer);
        QCOMPARE(ownBack->qa[0].questionId, own.id * 1000);
        QCOMPARE(ownBack->qa[1].questionId, own.id * 1000 + 1);
        QCOMPARE(QString::fromStdString(ownBack->qa[0].answerType), QStringLiteral("yes/no"));
        QCOMPARE(QString::fromStdString(ownBack->qa[1].answerType), QStringLiteral("number"));
        QCOMPARE(QString::fromStdString(ownBack->qa[0].questionType), QStringLiteral("none of the above"));
        QCOMPARE(ownBack->qa[0].humanAnswers, std::vector<HumanAnswer>(10, HumanAnswer{"Yes.", "yes"}));

        // A second export gives the same VQA content (ids are deterministic), and re-importing
        // the export where it came from adds nothing.
        const std::string out2 = testutil::path(dir, "out2");
        exportVqa(ws, out2);
        QCOMPARE(readJson(out2 + "/v2_mscoco_val2014_annotations.json")["annotations"], as["annotations"]);
        QCOMPARE(importVqa(ws, qFile, aFile).imported, 0);
    }
};

QTEST_APPLESS_MAIN(TestFormatCocoVqa)
#include "test_format_coco_vqa.moc"
