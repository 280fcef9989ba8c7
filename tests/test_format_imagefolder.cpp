// Hugging Face imagefolder (importHfImageFolder / exportHfImageFolder), on folders laid out as
// the datasets library reads them: split folders with metadata.jsonl or metadata.csv (RFC 4180
// quoting, line breaks in quoted cells), a flat folder, the columns (text/caption/captions,
// question/answer, the rest kept), errors naming file/line/field with a full rollback, repeated
// imports, and export → import field by field with the layout checked against the loader's rules.
#include <QtTest>

#include "datasets_test_util.h"
#include "exporters.h"
#include "importers.h"
#include "sample_json.h"
#include "workspace.h"

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include <filesystem>
#include <map>
#include <set>

using namespace ember::data;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// A small PNG whose content (and so hash) depends on seed and size.
void writeImage(const std::string& p, int seed, int w = 40, int h = 30) { QVERIFY(testutil::writeSeededImage(p, seed, w, h)); }

void writeText(const std::string& p, const std::string& text)
{
    fs::create_directories(fs::path(p).parent_path());
    testutil::writeFile(p, text);
}

int64_t filesUnder(const std::string& dir)
{
    int64_t n = 0;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec))
        if (it->is_regular_file()) ++n;
    return n;
}

bool anyContains(const std::vector<std::string>& v, const std::string& part)
{
    return std::any_of(v.begin(), v.end(), [&](const std::string& s) { return s.find(part) != std::string::npos; });
}

std::vector<Sample> loadAll(const Workspace& ws, const std::vector<int64_t>& ids)
{
    std::vector<Sample> out;
    for (auto id : ids) out.push_back(*ws.get(id));
    return out;
}

// The layout exportHfImageFolder writes, checked against what the datasets loader does with a
// folder (src/datasets, read for this test since python3-datasets is not in Debian 12):
//  * data_files.py get_data_patterns / KEYWORDS_IN_DIR_NAME_BASE_PATTERNS with SPLIT_KEYWORDS:
//    split folders named train / validation / test; once they exist, files outside them are not
//    read, so no metadata file may lie at the top;
//  * folder_based_builder.py _split_generators: all metadata files of one kind ("Found metadata
//    files with different extensions"), the same features in every split's file ("Metadata
//    files … have different features"), a "file_name" column of strings (_set_feature);
//  * _read_metadata (.jsonl): pyarrow.json, one object per line, one type per column;
//  * _generate_examples: file_name relative, no "://", no absolute path, no ".." out of the
//    folder, opened as os.path.join(<metadata file's folder>, file_name).
void checkLoaderLayout(const std::string& root)
{
    std::map<std::string, std::string> schema;   // column → JSON kind, over every row of every file
    bool haveSchema = false;
    int64_t rows = 0;
    for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator(); ++it) {
        const auto name = it->path().filename().string();
        if (name != "metadata.jsonl" && name != "metadata.csv" && name != "metadata.parquet") continue;
        QCOMPARE(QString::fromStdString(name), QStringLiteral("metadata.jsonl"));
        const auto rel = it->path().lexically_relative(root);
        const auto folder = rel.parent_path().string();
        QVERIFY2(folder == "train" || folder == "validation" || folder == "test", rel.string().c_str());
        std::istringstream in(testutil::readFile(it->path().string()));
        std::string line;
        while (std::getline(in, line)) {
            const json rec = json::parse(line);
            QVERIFY(rec.is_object());
            QVERIFY(rec.contains("file_name") && rec["file_name"].is_string());
            const std::string f = rec["file_name"].get<std::string>();
            QVERIFY(f.find("://") == std::string::npos);
            QVERIFY(!fs::path(f).is_absolute());
            QVERIFY(fs::path(f).lexically_normal().string().rfind("..", 0) != 0);
            const auto img = it->path().parent_path() / f;
            QVERIFY2(fs::is_regular_file(img), img.string().c_str());
            QVERIFY(!cv::imread(img.string()).empty());
            std::map<std::string, std::string> kinds;
            for (const auto& [k, v] : rec.items()) {
                std::string kind = v.type_name();
                if (v.is_array()) {
                    kind += "<";
                    for (const auto& e : v) kind = kind.substr(0, 6) + e.type_name();
                    kind += ">";
                }
                kinds[k] = kind;
            }
            if (!haveSchema) {
                schema = kinds;
                haveSchema = true;
            }
            QCOMPARE(kinds.size(), schema.size());
            for (const auto& [k, kind] : kinds) {
                QVERIFY2(schema.count(k), k.c_str());
                // An empty list has no element type, nor a null a type: pyarrow unifies those.
                if (kind == "array<>" || kind == "null" || schema[k] == "null" || schema[k] == "array<>") {
                    if (schema[k] == "null" || schema[k] == "array<>") schema[k] = kind;
                    continue;
                }
                QVERIFY2(kind == schema[k], (k + ": " + kind + " vs " + schema[k]).c_str());
            }
            ++rows;
        }
    }
    QVERIFY(rows > 0);
}

} // namespace

class TestFormatImageFolder final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void importsSplitFoldersWithJsonl()
    {
        QTemporaryDir dir;
        const std::string root = testutil::path(dir, "hf");
        writeImage(root + "/train/a.png", 1);
        writeImage(root + "/train/sub/b.png", 2);
        writeImage(root + "/train/c.png", 3);
        writeImage(root + "/test/d.png", 4);
        writeText(root + "/train/metadata.jsonl",
                  R"({"file_name": "a.png", "text": "A red square.", "label": 3, "meta": {"k": [1, 2]}}
{"file_name": "sub/b.png", "caption": ["First caption.", "Second caption.", "Third."], "label": 4, "meta": null}
{"file_name": "c.png", "question": "What colour?", "answer": "Blue.", "label": 5}

{"file_name": "a.png", "text": "The red square again.", "label": 6}
)");
        writeText(root + "/test/metadata.jsonl",
                  R"({"file_name": "d.png", "text": "Test image.", "question": ["Q1?", "Q2?"], )"
                  R"("answer": ["A1.", "A2."], "label": 7})" "\n");
        // Hidden folders are not read (resolve_pattern skips them), so this one breaks nothing.
        writeText(root + "/.cache/metadata.jsonl", "not json\n");

        auto ws = Workspace::open(testutil::path(dir, "ws"));
        ImportOptions opts;
        opts.author = "importer";
        const auto r = importHfImageFolder(ws, root, opts);
        QCOMPARE(r.imported, 5);
        QCOMPARE(r.skipped, 0);
        QVERIFY(r.warnings.empty());
        const auto s = loadAll(ws, r.ids);   // test/ before train/, rows in file order
        QCOMPARE(toString(s[0].split), toString(Split::Test));
        QCOMPARE(s[0].caption, std::string("Test image."));
        QCOMPARE(s[0].qa.size(), size_t(2));
        QCOMPARE(s[0].qa[1].question, std::string("Q2?"));
        QCOMPARE(s[0].qa[1].answer, std::string("A2."));
        QCOMPARE(extraObject(s[0]), json({{"label", 7}}));

        QCOMPARE(toString(s[1].split), toString(Split::Train));
        QCOMPARE(s[1].caption, std::string("A red square."));
        QVERIFY(s[1].moreCaptions.empty());
        QCOMPARE(extraObject(s[1]), json::parse(R"({"label": 3, "meta": {"k": [1, 2]}})"));
        QCOMPARE(s[1].image.width, 40);
        QCOMPARE(s[1].source, std::string("imagefolder:hf"));
        QCOMPARE(s[1].author, std::string("importer"));
        QCOMPARE(toString(s[1].status), toString(Status::Draft));

        QCOMPARE(s[2].caption, std::string("First caption."));
        QCOMPARE(s[2].moreCaptions, (std::vector<std::string>{"Second caption.", "Third."}));
        QCOMPARE(extraObject(s[2]), json::parse(R"({"label": 4, "meta": null})"));   // null kept as the file has it

        QVERIFY(s[3].caption.empty());
        QCOMPARE(s[3].qa.size(), size_t(1));
        QCOMPARE(s[3].qa[0].question, std::string("What colour?"));
        QCOMPARE(s[3].qa[0].answer, std::string("Blue."));

        // A file named twice is two rows, two samples (the loader yields each row), one image.
        QCOMPARE(s[4].caption, std::string("The red square again."));
        QCOMPARE(s[4].image.hash, s[1].image.hash);
        QVERIFY(s[4].uid != s[1].uid);

        // A repeated import adds nothing.
        const auto again = importHfImageFolder(ws, root + "/", opts);
        QCOMPARE(again.imported, 0);
        QCOMPARE(again.skipped, 5);
        QCOMPARE(ws.count(), 5);
    }

    void importsCsvWithQuotedCommasAndNewlines()
    {
        QTemporaryDir dir;
        const std::string root = testutil::path(dir, "csvset");
        writeImage(root + "/train/a.png", 1);
        writeImage(root + "/train/b.png", 2);
        writeImage(root + "/validation/c.png", 3);
        writeImage(root + "/validation/d.png", 4);
        // A byte order mark, CRLF line ends, a blank line, quoted commas, doubled quotes, a line
        // break inside a quoted cell (CRLF, kept as written), an empty cell.
        writeText(root + "/train/metadata.csv",
                  "\xEF\xBB\xBF"
                  "file_name,text,score,notes\r\n"
                  "a.png,\"A cat, sitting.\",0.9,\r\n"
                  "\r\n"
                  "b.png,\"She said \"\"hi\"\"\r\nand left.\",1,\"multi\r\nline, note\"\r\n");
        // A JSON list in a caption cell (several captions), a question with an empty answer, a
        // short record (the missing cells are absent), no line end at the end.
        writeText(root + "/validation/metadata.csv",
                  "file_name,text,question,answer,score,notes\n"
                  "c.png,\"[\"\"one\"\", \"\"two\"\"]\",Is it red?,,2,x\n"
                  "d.png,Short");
        auto ws = Workspace::open(testutil::path(dir, "ws"));
        const auto r = importHfImageFolder(ws, root);
        QCOMPARE(r.imported, 4);
        const auto s = loadAll(ws, r.ids);
        QCOMPARE(toString(s[0].split), toString(Split::Train));
        QCOMPARE(s[0].caption, std::string("A cat, sitting."));
        QCOMPARE(extraObject(s[0]), json::parse(R"({"score": "0.9", "notes": null})"));
        QCOMPARE(s[1].caption, std::string("She said \"hi\"\r\nand left."));
        QCOMPARE(extraObject(s[1]), json::parse(R"({"score": "1", "notes": "multi\r\nline, note"})"));
        QCOMPARE(toString(s[2].split), toString(Split::Val));
        QCOMPARE(s[2].caption, std::string("one"));
        QCOMPARE(s[2].moreCaptions, std::vector<std::string>{"two"});
        QCOMPARE(s[2].qa.size(), size_t(1));
        QCOMPARE(s[2].qa[0].question, std::string("Is it red?"));
        QCOMPARE(s[2].qa[0].answer, std::string());
        QCOMPARE(extraObject(s[2]), json::parse(R"({"score": "2", "notes": "x"})"));
        QCOMPARE(s[3].caption, std::string("Short"));
        QVERIFY(s[3].extra.empty());
    }

    void importsFlatFolder()
    {
        QTemporaryDir dir;
        const std::string root = testutil::path(dir, "flat");
        writeImage(root + "/x.png", 1);
        writeImage(root + "/images/y.png", 2);
        writeImage(root + "/train/z.png", 3);
        writeText(root + "/metadata.csv",
                  "file_name,caption,label\n"
                  "x.png,A flat one.,cat\n"
                  "images/y.png,\"Nested, with a comma.\",dog\n"
                  "train/z.png,In a train folder.,cow\n");
        auto ws = Workspace::open(testutil::path(dir, "ws"));
        const auto r = importHfImageFolder(ws, root);
        QCOMPARE(r.imported, 3);
        const auto s = loadAll(ws, r.ids);
        // No split folder holds metadata: nobody chose a split (the loader would call it "train")...
        QCOMPARE(toString(s[0].split), toString(Split::None));
        QCOMPARE(s[0].caption, std::string("A flat one."));
        QCOMPARE(extraObject(s[0]), json({{"label", "cat"}}));
        QCOMPARE(toString(s[1].split), toString(Split::None));
        QCOMPARE(s[1].caption, std::string("Nested, with a comma."));
        // ... unless the image itself lies in a split folder.
        QCOMPARE(toString(s[2].split), toString(Split::Train));
        QCOMPARE(importHfImageFolder(ws, root).imported, 0);
    }

    void splitFolderNames_data()
    {
        QTest::addColumn<QString>("folder");
        QTest::addColumn<int>("split");
        const int none = int(Split::None), train = int(Split::Train), val = int(Split::Val), test = int(Split::Test);
        for (const char* n : {"train", "training", "train-00000", "data_train", "data/train"})
            QTest::newRow(n) << QString(n) << train;
        for (const char* n : {"validation", "valid", "val", "dev", "val2017", "my.val.set"})
            QTest::newRow(n) << QString(n) << val;
        for (const char* n : {"test", "testing", "eval", "evaluation", "test-dev"})
            QTest::newRow(n) << QString(n) << test;
        // The loader's patterns are case-sensitive and want a separator next to the keyword.
        for (const char* n : {"Train", "trainer", "contest", "images"})
            QTest::newRow(n) << QString(n) << none;
    }

    void splitFolderNames()
    {
        QFETCH(QString, folder);
        QFETCH(int, split);
        QTemporaryDir dir;
        const std::string sub = testutil::path(dir, "hf/" + folder.toStdString());
        writeImage(sub + "/a.png", 1);
        writeText(sub + "/metadata.jsonl", R"({"file_name": "a.png", "text": "x"})" "\n");
        auto ws = Workspace::open(testutil::path(dir, "ws"));
        const auto r = importHfImageFolder(ws, testutil::path(dir, "hf"));
        QCOMPARE(r.imported, 1);
        QCOMPARE(int(ws.get(r.ids[0])->split), split);
    }

    void splitFoldersHideTopLevelMetadata()
    {
        // With split folders present the loader reads only them: a top-level metadata file is ignored.
        QTemporaryDir dir;
        const std::string root = testutil::path(dir, "hf");
        writeImage(root + "/train/a.png", 1);
        writeImage(root + "/b.png", 2);
        writeText(root + "/train/metadata.jsonl", R"({"file_name": "a.png"})" "\n");
        writeText(root + "/metadata.jsonl", R"({"file_name": "b.png"})" "\n");
        auto ws = Workspace::open(testutil::path(dir, "ws"));
        const auto r = importHfImageFolder(ws, root);
        QCOMPARE(r.imported, 1);
        QVERIFY(anyContains(r.warnings, root + "/metadata.jsonl: outside the split folders"));
    }

    void malformedFileNamesFileLineField_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("text");
        QTest::addColumn<int>("line");
        QTest::addColumn<QString>("field");
        QTest::newRow("bad json") << "metadata.jsonl" << "{\"file_name\": \"a.png\"}\n{\"file_name\": \n" << 2 << "";
        QTest::newRow("not an object") << "metadata.jsonl" << "[\"a.png\"]\n" << 1 << "";
        QTest::newRow("no file_name") << "metadata.jsonl" << "{\"file_name\": \"a.png\"}\n\n{\"text\": \"x\"}\n" << 3
                                      << "file_name";
        QTest::newRow("file_name number") << "metadata.jsonl" << "{\"file_name\": 5}\n" << 1 << "file_name";
        QTest::newRow("file_name ..") << "metadata.jsonl" << "{\"file_name\": \"sub/../../a.png\"}\n" << 1
                                      << "file_name";
        QTest::newRow("file_name absolute") << "metadata.jsonl" << "{\"file_name\": \"/etc/passwd\"}\n" << 1
                                            << "file_name";
        QTest::newRow("file_name url") << "metadata.jsonl" << "{\"file_name\": \"file:///etc/passwd\"}\n" << 1
                                       << "file_name";
        QTest::newRow("file_names") << "metadata.jsonl" << "{\"file_names\": [\"a.png\"]}\n" << 1 << "file_names";
        QTest::newRow("caption type") << "metadata.jsonl" << "{\"file_name\": \"a.png\", \"text\": 5}\n" << 1 << "text";
        QTest::newRow("caption list") << "metadata.jsonl" << "{\"file_name\": \"a.png\", \"captions\": [\"a\", 1]}\n"
                                      << 1 << "captions[1]";
        QTest::newRow("qa lengths") << "metadata.jsonl"
                                    << "{\"file_name\": \"a.png\", \"question\": [\"a\", \"b\"], \"answer\": [\"x\"]}\n"
                                    << 1 << "answer";
        QTest::newRow("csv unclosed quote") << "metadata.csv"
                                            << "file_name,text\na.png,ok\na.png,\"never closed\nmore\n" << 3 << "";
        QTest::newRow("csv too many fields") << "metadata.csv" << "file_name,text\na.png,\"x, y\",extra\n" << 2 << "";
        QTest::newRow("csv line after a quoted break")
            << "metadata.csv" << "file_name,text\na.png,\"two\nlines\"\na.png,x,y\n" << 4 << "";
        QTest::newRow("csv no file_name") << "metadata.csv" << "name,text\na.png,x\n" << 2 << "file_name";
        QTest::newRow("csv header twice") << "metadata.csv" << "file_name,text,text\na.png,x,y\n" << 1 << "text";
        QTest::newRow("csv empty") << "metadata.csv" << "\n\n" << 1 << "";
    }

    void malformedFileNamesFileLineField()
    {
        QFETCH(QString, file);
        QFETCH(QString, text);
        QFETCH(int, line);
        QFETCH(QString, field);
        QTemporaryDir dir;
        const std::string root = testutil::path(dir, "hf");
        // A good train/ split (read first) and the bad file in validation/: every file is checked
        // before the first image is stored.
        const std::string kind = file.toStdString();
        writeImage(root + "/train/a.png", 1);
        writeImage(root + "/validation/a.png", 2);
        writeText(root + "/train/" + kind, kind == "metadata.csv" ? "file_name,text\na.png,fine\n"
                                                                 : "{\"file_name\": \"a.png\", \"text\": \"fine\"}\n");
        const std::string bad = root + "/validation/" + kind;
        writeText(bad, text.toStdString());
        auto ws = Workspace::open(testutil::path(dir, "ws"));
        const auto filesBefore = filesUnder(testutil::path(dir, "ws/images"));
        try {
            importHfImageFolder(ws, root);
            QFAIL("no ImportError");
        } catch (const ImportError& e) {
            QCOMPARE(QString::fromStdString(e.file), QString::fromStdString(bad));
            QCOMPARE(e.line, int64_t(line));
            QCOMPARE(QString::fromStdString(e.field), field);
        }
        QCOMPARE(ws.count(), 0);
        QCOMPARE(filesUnder(testutil::path(dir, "ws/images")), filesBefore);
    }

    void cancelRollsBackSamplesAndImages()
    {
        QTemporaryDir dir;
        const std::string root = testutil::path(dir, "hf");
        std::string meta;
        for (int i = 0; i < 5; ++i) {
            writeImage(root + "/train/" + std::to_string(i) + ".png", i + 1);
            meta += "{\"file_name\": \"" + std::to_string(i) + ".png\", \"text\": \"t" + std::to_string(i) + "\"}\n";
        }
        writeText(root + "/train/metadata.jsonl", meta);
        auto ws = Workspace::open(testutil::path(dir, "ws"));
        const auto filesBefore = filesUnder(testutil::path(dir, "ws/images"));
        int64_t lastDone = -1;
        // Cancel at the very end: every image is stored by then.
        const Progress cancelAtEnd = [&](int64_t done, int64_t total) {
            lastDone = done;
            return done < total;
        };
        QVERIFY_THROWS_EXCEPTION(Cancelled, importHfImageFolder(ws, root, {}, cancelAtEnd));
        QCOMPARE(lastDone, 5);
        QCOMPARE(ws.count(), 0);
        QCOMPARE(filesUnder(testutil::path(dir, "ws/images")), filesBefore);
        // And the folder still imports afterwards.
        QCOMPARE(importHfImageFolder(ws, root).imported, 5);
    }

    void missingAndCorruptImagesAreWarnings()
    {
        QTemporaryDir dir;
        const std::string root = testutil::path(dir, "hf");
        writeImage(root + "/train/a.png", 1);
        writeText(root + "/train/corrupt.png", "this is not a PNG");
        writeText(root + "/train/metadata.jsonl",
                  "{\"file_name\": \"a.png\"}\n{\"file_name\": \"missing.png\"}\n{\"file_name\": \"corrupt.png\"}\n");
        auto ws = Workspace::open(testutil::path(dir, "ws"));
        const auto r = importHfImageFolder(ws, root);
        QCOMPARE(r.imported, 1);
        QCOMPARE(r.skipped, 2);
        QCOMPARE(r.warnings.size(), size_t(2));
        QVERIFY(anyContains(r.warnings, "train/metadata.jsonl:2: image 'missing.png' not found"));
        QVERIFY(anyContains(r.warnings, "train/metadata.jsonl:3"));
        QVERIFY(anyContains(r.warnings, "corrupt.png"));
    }

    void refusesFoldersItCannotRead()
    {
        QTemporaryDir dir;
        auto ws = Workspace::open(testutil::path(dir, "ws"));
        const std::string plain = testutil::path(dir, "plain");
        writeImage(plain + "/a.png", 1);
        try {
            importHfImageFolder(ws, plain);
            QFAIL("no ImportError");
        } catch (const ImportError& e) {
            QVERIFY(e.message.find("no metadata.jsonl or metadata.csv") != std::string::npos);
        }
        const std::string parquet = testutil::path(dir, "parquet");
        writeText(parquet + "/train/metadata.parquet", "PAR1");
        try {
            importHfImageFolder(ws, parquet);
            QFAIL("no ImportError");
        } catch (const ImportError& e) {
            QVERIFY(e.message.find("metadata.parquet is not supported") != std::string::npos);
        }
        // The loader refuses metadata files of different kinds in one dataset.
        const std::string mixed = testutil::path(dir, "mixed");
        writeImage(mixed + "/train/a.png", 1);
        writeImage(mixed + "/test/b.png", 2);
        writeText(mixed + "/train/metadata.csv", "file_name\na.png\n");
        writeText(mixed + "/test/metadata.jsonl", "{\"file_name\": \"b.png\"}\n");
        try {
            importHfImageFolder(ws, mixed);
            QFAIL("no ImportError");
        } catch (const ImportError& e) {
            QVERIFY(e.message.find("different kinds") != std::string::npos);
        }
        QVERIFY_THROWS_EXCEPTION(ImportError, importHfImageFolder(ws, testutil::path(dir, "nowhere")));
        QCOMPARE(ws.count(), 0);
    }

    void imagesDirIsLookedInFirst()
    {
        QTemporaryDir dir;
        const std::string root = testutil::path(dir, "hf");
        writeImage(root + "/train/a.png", 1, 40, 30);
        writeImage(root + "/train/b.png", 2, 40, 30);
        writeImage(testutil::path(dir, "elsewhere/a.png"), 3, 50, 20);
        writeText(root + "/train/metadata.jsonl", "{\"file_name\": \"a.png\"}\n{\"file_name\": \"b.png\"}\n");
        auto ws = Workspace::open(testutil::path(dir, "ws"));
        ImportOptions opts;
        opts.imagesDir = testutil::path(dir, "elsewhere");
        const auto r = importHfImageFolder(ws, root, opts);
        QCOMPARE(r.imported, 2);
        QCOMPARE(ws.get(r.ids[0])->image.width, 50);   // from --images
        QCOMPARE(ws.get(r.ids[1])->image.width, 40);   // beside the metadata file
    }

    void exportsPlainColumns()
    {
        QTemporaryDir dir;
        auto ws = Workspace::open(testutil::path(dir, "ws"));
        writeImage(testutil::path(dir, "in/a.png"), 1);
        writeImage(testutil::path(dir, "in/b.png"), 2);
        Sample a;
        a.image = ws.storeImageFile(testutil::path(dir, "in/a.png")).info;
        a.caption = "A \"quoted\" caption.";
        a.qa = {{"What is it?", "A square."}};
        a.split = Split::Val;
        setExtra(a, {{"label", 1}});
        ws.insert(a);
        Sample b;
        b.image = ws.storeImageFile(testutil::path(dir, "in/b.png")).info;
        b.split = Split::Val;
        ws.insert(b);
        const std::string out = testutil::path(dir, "out");
        const auto r = exportHfImageFolder(ws, out);
        QCOMPARE(r.written, 2);
        QCOMPARE(r.skipped, 0);
        QVERIFY(r.warnings.empty());
        // One column set for every row; strings where no sample needs a list.
        QCOMPARE(testutil::readFile(out + "/validation/metadata.jsonl"),
                 "{\"file_name\": \"" + fs::path(a.image.path).filename().string() +
                     "\", \"text\": \"A \\\"quoted\\\" caption.\", \"question\": \"What is it?\", \"answer\": \"A "
                     "square.\", \"label\": 1}\n"
                     "{\"file_name\": \"" + fs::path(b.image.path).filename().string() +
                     "\", \"text\": \"\", \"question\": \"\", \"answer\": \"\", \"label\": null}\n");
        QVERIFY(!fs::exists(out + "/train"));
        checkLoaderLayout(out);
        // Read back: the same fields, the empty ones empty.
        auto ws2 = Workspace::open(testutil::path(dir, "ws2"));
        const auto back = loadAll(ws2, importHfImageFolder(ws2, out).ids);
        QCOMPARE(back.size(), size_t(2));
        QCOMPARE(back[0].caption, a.caption);
        QCOMPARE(back[0].qa, a.qa);
        QCOMPARE(back[0].extra, a.extra);
        QVERIFY(back[1].caption.empty() && back[1].qa.empty());
        QCOMPARE(extraObject(back[1]), json({{"label", nullptr}}));
    }

    void exportImportRoundTrip()
    {
        QTemporaryDir dir;
        auto ws = Workspace::open(testutil::path(dir, "ws"));
        std::vector<StoredImage> imgs;
        for (int i = 0; i < 6; ++i) {
            const auto p = testutil::path(dir, "in/" + std::to_string(i) + ".png");
            writeImage(p, i + 1, 40 + i, 30);
            imgs.push_back(ws.storeImageFile(p));
        }
        std::vector<Sample> in(8);
        in[0].image = imgs[0].info;   // caption only
        in[0].caption = "Only a caption.";
        in[0].split = Split::Train;
        setExtra(in[0], {{"label", 1}, {"tags", json::array({"a", "b"})}});
        in[1].image = imgs[1].info;   // several captions and one pair
        in[1].caption = "First.";
        in[1].moreCaptions = {"Second.", "Third, with a comma."};
        in[1].qa = {{"Q?", "A."}};
        in[1].split = Split::Val;
        setExtra(in[1], {{"label", 2}, {"tags", json::array({"c"})}});
        in[2].image = imgs[2].info;   // two pairs, no caption
        in[2].qa = {{"How many?", "Two."}, {"Which colour?", "Green.\nMostly."}};
        in[2].split = Split::Test;
        setExtra(in[2], {{"label", 3}, {"tags", json::array()}});
        in[3].image = imgs[3].info;   // no split: written to train/
        in[3].caption = "Unsplit.";
        setExtra(in[3], {{"label", 4}, {"tags", json::array({"d"})}});
        in[4].caption = "Text only.";   // no image: not expressible
        in[4].split = Split::Train;
        in[5].image = imgs[4].info;   // VQA fields: no column for them
        in[5].qa = {{"Is it?", "yes"}};
        in[5].qa[0].questionId = 42;
        in[5].qa[0].answerType = "yes/no";
        in[5].qa[0].humanAnswers = {{"yes", "yes"}, {"no", "maybe"}};
        in[5].split = Split::Train;
        setExtra(in[5], {{"label", 5}, {"tags", json::array({"e"})}});
        in[6].image = imgs[0].info;   // the same image again, another row
        in[6].caption = "Same image, other caption.";
        in[6].split = Split::Train;
        setExtra(in[6], {{"label", 6}, {"tags", json::array({"f"})}});
        in[7].image = imgs[5].info;   // what the studio has and the format has not
        in[7].caption = "Rich.";
        in[7].task = "Inspect the roof.";
        in[7].robots = {0};
        in[7].reasoning = {"It is high."};
        in[7].status = Status::Reviewed;
        in[7].split = Split::Test;
        setExtra(in[7], {{"label", 7}, {"tags", json::array({"g"})}});
        for (auto& s : in) ws.insert(s);

        const std::string out = testutil::path(dir, "out");
        const auto r = exportHfImageFolder(ws, out);
        QCOMPARE(r.written, 7);
        QCOMPARE(r.skipped, 1);
        QVERIFY(anyContains(r.warnings, "1 samples without an image"));
        QVERIFY(anyContains(r.warnings, "1 Q&A pairs carry VQA fields"));
        QCOMPARE(r.warnings.size(), size_t(2));
        for (const char* f : {"train/metadata.jsonl", "validation/metadata.jsonl", "test/metadata.jsonl"})
            QVERIFY2(fs::is_regular_file(out + "/" + f), f);
        checkLoaderLayout(out);

        auto ws2 = Workspace::open(testutil::path(dir, "ws2"));
        const auto back = importHfImageFolder(ws2, out);
        QCOMPARE(back.imported, 7);
        QVERIFY(back.warnings.empty());
        // Import order: test/, train/, validation/; rows in the exported (id) order.
        const std::vector<size_t> order{2, 7, 0, 3, 5, 6, 1};
        const auto got = loadAll(ws2, back.ids);
        for (size_t k = 0; k < order.size(); ++k) {
            const Sample& want = in[order[k]];
            const Sample& have = got[k];
            const std::string label = "sample " + std::to_string(order[k]);
            QVERIFY2(have.image.hash == want.image.hash, label.c_str());
            QVERIFY2(have.caption == want.caption, label.c_str());
            QVERIFY2(have.moreCaptions == want.moreCaptions, label.c_str());
            QVERIFY2(have.qa.size() == want.qa.size(), label.c_str());
            for (size_t q = 0; q < want.qa.size(); ++q) {
                QVERIFY2(have.qa[q].question == want.qa[q].question, label.c_str());
                QVERIFY2(have.qa[q].answer == want.qa[q].answer, label.c_str());
            }
            QVERIFY2(extraObject(have) == extraObject(want), label.c_str());
            QVERIFY2(have.split == (want.split == Split::None ? Split::Train : want.split), label.c_str());
        }
        // What the format cannot carry (listed in the closing note): VQA fields, the studio's own fields.
        QCOMPARE(got[4].qa[0].questionId, int64_t(0));
        QVERIFY(got[4].qa[0].humanAnswers.empty());
        QVERIFY(got[1].task.empty() && got[1].robots.empty() && got[1].reasoning.empty());
        QCOMPARE(toString(got[1].status), toString(Status::Draft));

        // Stable: exporting the imported copy gives the same files, byte for byte.
        const std::string out2 = testutil::path(dir, "out2");
        const auto r2 = exportHfImageFolder(ws2, out2);
        QCOMPARE(r2.written, 7);
        for (const char* f : {"train/metadata.jsonl", "validation/metadata.jsonl", "test/metadata.jsonl"})
            QCOMPARE(testutil::readFile(out2 + "/" + f), testutil::readFile(out + "/" + f));
        // And importing the export again adds nothing.
        const auto again = importHfImageFolder(ws2, out);
        QCOMPARE(again.imported, 0);
        QCOMPARE(again.skipped, 7);
    }

    void exportSaysWhatItCannotWrite()
    {
        QTemporaryDir dir;
        auto ws = Workspace::open(testutil::path(dir, "ws"));
        writeImage(testutil::path(dir, "in/a.png"), 1);
        writeImage(testutil::path(dir, "in/b.png"), 2);
        Sample a;
        a.image = ws.storeImageFile(testutil::path(dir, "in/a.png")).info;
        a.caption = "Ours.";
        setExtra(a, {{"text", "theirs"}, {"score", 1}});   // a foreign "text" our caption column replaces
        a.split = Split::Train;
        ws.insert(a);
        Sample b;
        b.image = ws.storeImageFile(testutil::path(dir, "in/b.png")).info;
        b.caption = "Other.";
        setExtra(b, {{"score", "high"}});   // a column of two types: pyarrow cannot read it
        b.split = Split::Train;
        ws.insert(b);
        const std::string out = testutil::path(dir, "out");
        writeText(out + "/validation/metadata.jsonl", "{\"file_name\": \"old.png\"}\n");   // an older export's split
        ExportOptions opts;
        opts.copyImages = false;
        const auto r = exportHfImageFolder(ws, out, opts);
        QCOMPARE(r.written, 2);
        QVERIFY(anyContains(r.warnings, "foreign field 'text'"));
        QVERIFY(anyContains(r.warnings, "column 'score' mixes types"));
        QVERIFY(anyContains(r.warnings, "validation/metadata.jsonl: a metadata file this export did not write"));
        QVERIFY(anyContains(r.warnings, "images placed anyway"));
        QVERIFY(fs::is_regular_file(out + "/train/" + fs::path(a.image.path).filename().string()));
    }
};

QTEST_APPLESS_MAIN(TestFormatImageFolder)
#include "test_format_imagefolder.moc"
