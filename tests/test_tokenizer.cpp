// Tests for core/tokenizer: ids against the reference GPT-2 encoder (fixtures made by
// tests/reference/gen_tokenizer_fixtures.js), round trips, invalid UTF-8, special tokens.
#include <QTemporaryDir>
#include <QtTest>

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "printable.h"
#include "tokenizer.h"

#ifndef EMBERVLM_BUILD_DATA_DIR
#error "EMBERVLM_BUILD_DATA_DIR must name the folder with encoder.json and vocab.bpe"
#endif
#ifndef EMBERVLM_TEST_FIXTURES_DIR
#error "EMBERVLM_TEST_FIXTURES_DIR must name tests/fixtures"
#endif

using ember::Tokenizer;

Q_DECLARE_METATYPE(std::string)
Q_DECLARE_METATYPE(std::vector<int>)

namespace {

std::string dataFile(const char* name) { return std::string(EMBERVLM_BUILD_DATA_DIR) + "/" + name; }

nlohmann::json readJson(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot open " + path);
    return nlohmann::json::parse(in);
}

QByteArray printable(const std::string& s)
{
    QByteArray b = QByteArray::fromStdString(s.size() > 60 ? s.substr(0, 60) + "..." : s);
    return b.toPercentEncoding(" !\"#$&'()*+,-./:;<=>?@[]^_`{|}~");
}

QString idsToString(const std::vector<int>& ids)
{
    QStringList parts;
    for (int id : ids) parts << QString::number(id);
    return parts.join(QLatin1Char(','));
}

} // namespace

class TestTokenizer final : public QObject {
    Q_OBJECT

private:
    std::shared_ptr<const Tokenizer> tok;

private Q_SLOTS:
    // Issue 15: model output and file text reach terminals as text, never as escape sequences.
    void printableTextNeutralisesControlBytes()
    {
        using ember::printableText;
        QCOMPARE(QString::fromStdString(printableText("Under\x1b[31mwater\a")), QString::fromUtf8("Under\uFFFD[31mwater\uFFFD"));
        QCOMPARE(printableText("two\nlines\tand tabs, caf\xC3\xA9"), std::string("two\nlines\tand tabs, caf\xC3\xA9"));
        QCOMPARE(printableText(std::string("nul\0x", 5)), std::string("nul\xEF\xBF\xBDx"));
    }

    void initTestCase()
    {
        tok = Tokenizer::fromFiles(dataFile("encoder.json"), dataFile("vocab.bpe"));
        QVERIFY(tok);
        QCOMPARE(tok->vocabSize(), 50262);
    }

    void fixtures_data()
    {
        QTest::addColumn<std::string>("text");
        QTest::addColumn<std::vector<int>>("expected");
        const auto fixtures = readJson(std::string(EMBERVLM_TEST_FIXTURES_DIR) + "/tokenizer_expected.json");
        QVERIFY(fixtures.is_array());
        QVERIFY(fixtures.size() >= 60);
        int row = 0;
        for (const auto& e : fixtures) {
            if (e.value("excluded", false)) continue;
            const std::string text = e.at("text").get<std::string>();
            const std::vector<int> ids = e.at("ids").get<std::vector<int>>();
            const QByteArray name = QByteArray::number(row++) + ": " + printable(text);
            QTest::newRow(name.constData()) << text << ids;
        }
    }

    void fixtures()
    {
        QFETCH(std::string, text);
        QFETCH(std::vector<int>, expected);
        const std::vector<int> got = tok->encode(text);
        if (got != expected) {
            qWarning("expected %s", qPrintable(idsToString(expected)));
            qWarning("got      %s", qPrintable(idsToString(got)));
        }
        QVERIFY(got == expected);
        QCOMPARE(tok->decode(got), text);
    }

    void roundTripCorpus()
    {
        const auto corpus = readJson(std::string(EMBERVLM_TEST_FIXTURES_DIR) + "/tokenizer_corpus.json");
        QVERIFY(corpus.is_array());
        for (const auto& e : corpus) {
            const std::string text = e.get<std::string>();
            const auto ids = tok->encode(text);
            for (int id : ids) QVERIFY(id >= 0 && id < Tokenizer::kVocabSize);
            QCOMPARE(tok->decode(ids), text);
        }
    }

    void invalidUtf8_data()
    {
        QTest::addColumn<std::string>("text");
        using namespace std::string_literals;
        QTest::newRow("lone continuation") << "a\x80"s "b";
        QTest::newRow("continuation run") << "\x80\x81\xBF"s;
        QTest::newRow("truncated 4-byte") << "go \xF0\x9F\x98"s;
        QTest::newRow("truncated 4-byte mid") << "x\xF0\x9F\x98y z"s;
        QTest::newRow("truncated 2-byte at end") << "caf\xC3"s;
        QTest::newRow("0xFF") << "\xFF"s;
        QTest::newRow("0xFE 0xFF in word") << "ab\xFE\xFF"s "cd"s;
        QTest::newRow("overlong slash") << "\xC0\xAF"s;
        QTest::newRow("overlong 3-byte") << "\xE0\x80\xAF"s;
        QTest::newRow("overlong 4-byte") << "\xF0\x80\x80\xAF"s;
        QTest::newRow("surrogate high") << "\xED\xA0\x80"s;
        QTest::newRow("surrogate pair") << "\xED\xA0\xBD\xED\xB8\x80"s;
        QTest::newRow("above U+10FFFF") << "\xF4\x90\x80\x80"s;
        QTest::newRow("0xF5") << "\xF5\x80\x80\x80"s;
        QTest::newRow("mixed") << " \x80 !!\xFF?? 's\xC3\xA9\xE2\x82 \xF0"s;
        QTest::newRow("NUL bytes") << "a\0b\0\0 c"s;
        QTest::newRow("invalid next to special") << "\xFF<|image|>\xC3"s;
        std::string all;
        for (int b = 0; b < 256; ++b) all += char(b);
        QTest::newRow("all bytes") << all;
        std::string allPairs;
        for (int a = 0x80; a < 256; a += 3)
            for (int b = 0; b < 256; b += 7) {
                allPairs += char(a);
                allPairs += char(b);
            }
        QTest::newRow("byte pairs") << allPairs;
    }

    void invalidUtf8()
    {
        QFETCH(std::string, text);
        const auto ids = tok->encode(text);
        for (int id : ids) QVERIFY(id >= 0 && id < Tokenizer::kVocabSize);
        QCOMPARE(tok->decode(ids), text);
    }

    void invalidByteJoinsPunctuation()
    {
        // A truncated "\xE2\x80\x94" leaves two invalid bytes; both belong to [^\s\p{L}\p{N}],
        // so they form one piece (with its leading space) and BPE merges them: "âĢ" = 447,
        // "ĠâĢ" = 564 in GPT-2's vocabulary.
        QCOMPARE(tok->encode("\xE2\x80"), std::vector<int>{447});
        QCOMPARE(tok->encode("a \xE2\x80"), (std::vector<int>{64, 564}));
        QCOMPARE(tok->encode("\xE2\x80\x94"), std::vector<int>{960}); // the valid em dash
    }

    void specialTokens()
    {
        const struct {
            const char* text;
            int id;
        } specials[] = {
            {"<|endoftext|>", Tokenizer::kEndOfText},
            {"<|reasoning_start|>", Tokenizer::kReasoningStart},
            {"<|reasoning_end|>", Tokenizer::kReasoningEnd},
            {"<|robot_selection|>", Tokenizer::kRobotSelection},
            {"<|action_plan|>", Tokenizer::kActionPlan},
            {"<|image|>", Tokenizer::kImage},
        };
        for (const auto& s : specials) {
            QCOMPARE(tok->encode(s.text), std::vector<int>{s.id});
            QCOMPARE(tok->tokenBytes(s.id), std::string(s.text));
            QCOMPARE(tok->decode({s.id}), std::string(s.text));
        }
        QCOMPARE(Tokenizer::kEndOfText, 50256);
        QCOMPARE(Tokenizer::kImage, 50261);
        QCOMPARE(Tokenizer::kVocabSize, 50262);

        const auto ids = tok->encode("hello<|endoftext|>world");
        QCOMPARE(ids, (std::vector<int>{31373, 50256, 6894}));
        // The ordinary pieces' ids are the reference encoder's (node, third_party/gpt2/Encoder.js).
        QCOMPARE(tok->encode("<|image|><|robot_selection|>Task:"),
                 (std::vector<int>{Tokenizer::kImage, Tokenizer::kRobotSelection, 25714, 25}));
        // Partial special strings are ordinary text.
        QCOMPARE(tok->encode("<|endof"), (std::vector<int>{27, 91, 437, 1659}));
        // Out-of-range ids decode to nothing.
        QCOMPARE(tok->tokenBytes(-1), std::string());
        QCOMPARE(tok->tokenBytes(Tokenizer::kVocabSize), std::string());
        QCOMPARE(tok->decode({-5, 15496, 99999}), std::string("Hello"));
        // Byte-level tokens: "Ġ" (id 220) is a space.
        QCOMPARE(tok->tokenBytes(220), std::string(" "));
    }

    void missingFile()
    {
        const std::string missing = "/nonexistent/embervlm/encoder.json";
        try {
            (void)Tokenizer::fromFiles(missing, dataFile("vocab.bpe"));
            QFAIL("expected std::runtime_error");
        } catch (const std::runtime_error& e) {
            QVERIFY2(std::string(e.what()).find(missing) != std::string::npos, e.what());
        }
        const std::string missingBpe = "/nonexistent/embervlm/vocab.bpe";
        QVERIFY_THROWS_EXCEPTION(std::runtime_error, (void)Tokenizer::fromFiles(dataFile("encoder.json"), missingBpe));
        // A malformed encoder.json (the merges file given as JSON) names the file too.
        try {
            (void)Tokenizer::fromFiles(dataFile("vocab.bpe"), dataFile("vocab.bpe"));
            QFAIL("expected std::runtime_error");
        } catch (const std::runtime_error& e) {
            QVERIFY2(std::string(e.what()).find(dataFile("vocab.bpe")) != std::string::npos, e.what());
        }
    }

    // encoder.json is read by a fast flat-object reader (and by nlohmann-json when that one gives
    // up): the same vocabulary written out other ways, as JSON tools write it, tokenizes the same,
    // and a file that is not {"token": integer} is refused naming the file and the entry.
    void encoderJsonAsOtherToolsWriteIt()
    {
        std::ifstream in(dataFile("encoder.json"));
        const nlohmann::json vocab = nlohmann::json::parse(in);
        QTemporaryDir dir;
        const std::string pretty = dir.path().toStdString() + "/pretty.json", utf8 = dir.path().toStdString() + "/utf8.json",
                          escaped = dir.path().toStdString() + "/escaped.json", floaty = dir.path().toStdString() + "/floaty.json";
        std::ofstream(pretty) << vocab.dump(2) << "\n";                 // indented, keys sorted
        std::ofstream(utf8) << vocab.dump(-1, ' ', false);               // raw UTF-8, no \u escapes
        std::ofstream(escaped) << vocab.dump(-1, ' ', true);             // every non-ASCII character as \u
        nlohmann::json bad = vocab;
        bad["hello"] = 31373.5;
        std::ofstream(floaty) << bad.dump();
        const std::string text = "Step 1: the roof is high.<|reasoning_end|> \xc3\xa9t\xc3\xa9 \xf0\x9f\x9a\x81 -- \\ \" '";
        for (const std::string& f : {pretty, utf8, escaped}) {
            const auto other = Tokenizer::fromFiles(f, dataFile("vocab.bpe"));
            QCOMPARE(other->encode(text), tok->encode(text));
            for (int id : {0, 220, 31373, 50255})
                QCOMPARE(other->tokenBytes(id), tok->tokenBytes(id));
        }
        try {
            (void)Tokenizer::fromFiles(floaty, dataFile("vocab.bpe"));
            QFAIL("expected std::runtime_error");
        } catch (const std::runtime_error& e) {
            QVERIFY2(std::string(e.what()).find("non-integer id for \"hello\"") != std::string::npos, e.what());
            QVERIFY2(std::string(e.what()).find(floaty) != std::string::npos, e.what());
        }
    }

    void sharedFromDataDir()
    {
        qputenv("EMBERVLM_DATA_DIR", QByteArray(EMBERVLM_BUILD_DATA_DIR));
        QCOMPARE(Tokenizer::dataDir(), std::string(EMBERVLM_BUILD_DATA_DIR));
        const auto a = Tokenizer::shared();
        QVERIFY(a);
        QCOMPARE(Tokenizer::shared().get(), a.get()); // loaded once
        QCOMPARE(a->encode("Hello world"), (std::vector<int>{15496, 995}));
        qunsetenv("EMBERVLM_DATA_DIR");
    }

    void threadSafety()
    {
        const auto corpus = readJson(std::string(EMBERVLM_TEST_FIXTURES_DIR) + "/tokenizer_corpus.json");
        std::vector<std::string> texts;
        for (const auto& e : corpus) texts.push_back(e.get<std::string>());
        std::vector<std::vector<int>> expected;
        for (const auto& t : texts) expected.push_back(tok->encode(t));
        std::atomic<int> failures{0};
        std::vector<std::thread> threads;
        for (int t = 0; t < 4; ++t)
            threads.emplace_back([&, t] {
                for (int rep = 0; rep < 20; ++rep)
                    for (size_t i = (size_t(t) + size_t(rep)) % texts.size(), k = 0; k < texts.size();
                         ++k, i = (i + 1) % texts.size())
                        if (tok->encode(texts[i]) != expected[i]) ++failures;
            });
        for (auto& th : threads) th.join();
        QCOMPARE(failures.load(), 0);
    }

    void throughput()
    {
        const auto corpus = readJson(std::string(EMBERVLM_TEST_FIXTURES_DIR) + "/tokenizer_corpus.json");
        // Typical text: the corpus without its pathological long words, plus varying numbers.
        std::vector<std::string> pieces;
        for (const auto& e : corpus)
            if (e.get<std::string>().size() < 256) pieces.push_back(e.get<std::string>());
        QVERIFY(!pieces.empty());
        std::string text;
        size_t k = 0;
        while (text.size() < (1u << 20)) {
            text += pieces[k % pieces.size()];
            text += k % 7 == 0 ? "\n" : " ";
            text += std::to_string(k * 7919u);
            ++k;
        }
        // A fresh tokenizer, so the BPE cache starts cold.
        const auto fresh = Tokenizer::fromFiles(dataFile("encoder.json"), dataFile("vocab.bpe"));
        const auto t0 = std::chrono::steady_clock::now();
        const auto ids = fresh->encode(text);
        const auto t1 = std::chrono::steady_clock::now();
        const auto ids2 = fresh->encode(text);
        const auto t2 = std::chrono::steady_clock::now();
        const double cold = std::chrono::duration<double>(t1 - t0).count();
        const double warm = std::chrono::duration<double>(t2 - t1).count();
        const double mb = double(text.size()) / (1024.0 * 1024.0);
        qInfo("encode %.2f MB -> %zu tokens: cold %.3f s (%.1f MB/s), warm %.3f s (%.1f MB/s)", mb,
              ids.size(), cold, mb / cold, warm, mb / warm);
        QCOMPARE(ids2, ids);
        QCOMPARE(fresh->decode(ids), text);
    }
};

QTEST_APPLESS_MAIN(TestTokenizer)
#include "test_tokenizer.moc"
