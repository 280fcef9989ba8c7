// Reliability and security of the torch-free layers (issue 15): files appear whole or not at all
// (a full disk injected with RLIMIT_FSIZE; a real tiny tmpfs in test_full_tmpfs),
// image paths that are FIFOs, devices or folders never block, huge images are refused by their
// header, paths read from a workspace stay inside it, leftovers are tidied, a workspace that
// cannot be read is never taken for a new one, and two fuzzers (safetensors reader, JSONL
// importer) run thousands of mutated files without a crash or a hang.
#include <QtTest>

#include "atomic_file.h"
#include "datasets_test_util.h"
#include "exporters.h"
#include "image.h"
#include "importers.h"
#include "safetensors.h"
#include "schema.h"
#include "workspace.h"

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <dlfcn.h>
#include <filesystem>
#include <random>
#include <sys/resource.h>
#include <sys/stat.h>

using namespace ember::data;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Every fsync the code under test makes while recording, by the path of the descriptor: this
// executable's definition of fsync takes precedence over libc's for every caller (symbol
// interposition), and forwards to it.
std::atomic<bool> gRecordSyncs{false};
std::vector<std::string> gSynced;

} // namespace

extern "C" int fsync(int fd)
{
    if (gRecordSyncs) {
        char link[64], target[4096];
        std::snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        const ssize_t n = ::readlink(link, target, sizeof target - 1);
        gSynced.emplace_back(n > 0 ? std::string(target, static_cast<size_t>(n)) : std::string("?"));
    }
    static const auto real = reinterpret_cast<int (*)(int)>(::dlsym(RTLD_NEXT, "fsync"));
    return real(fd);
}

namespace {

void writeImage(const std::string& p, int seed)
{
    cv::Mat m(24, 32, CV_8UC3, cv::Scalar(seed * 40 % 255, seed * 90 % 255, seed * 20 % 255));
    fs::create_directories(fs::path(p).parent_path());
    cv::imwrite(p, m);
}

// Files larger than `bytes` cannot be written while this lives: the write fails with EFBIG, as a
// full disk fails with ENOSPC, at the same point of the code.
struct FileSizeLimit {
    rlimit saved{};
    explicit FileSizeLimit(rlim_t bytes)
    {
        std::signal(SIGXFSZ, SIG_IGN);
        getrlimit(RLIMIT_FSIZE, &saved);
        rlimit l = saved;
        l.rlim_cur = bytes;
        setrlimit(RLIMIT_FSIZE, &l);
    }
    ~FileSizeLimit() { setrlimit(RLIMIT_FSIZE, &saved); }
};

std::vector<std::string> filesIn(const std::string& dir)
{
    std::vector<std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(dir))
        if (e.is_regular_file()) out.push_back(fs::relative(e.path(), dir).string());
    std::sort(out.begin(), out.end());
    return out;
}

std::string pngHeader(uint32_t w, uint32_t h)
{
    std::string s("\x89PNG\r\n\x1a\n", 8);
    s += std::string("\0\0\0\x0dIHDR", 8);
    for (uint32_t v : {w, h})
        for (int i = 3; i >= 0; --i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
    s += std::string("\x08\x02\0\0\0", 5);
    return s;
}

} // namespace

class TestReliability final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void atomicFileKeepsThePreviousFileOnFailure()
    {
        QTemporaryDir dir;
        const std::string target = testutil::path(dir, "out.json");
        ember::writeFileAtomic(target, std::string("previous"));
        QString message;
        {
            FileSizeLimit limit(1000);
            try {
                ember::writeFileAtomic(target, std::string(5000, 'x'));
            } catch (const std::runtime_error& e) {
                message = QString::fromUtf8(e.what());
            }
        }
        QVERIFY2(message.contains("write failed") && message.contains("out.json"), qPrintable(message));
        QCOMPARE(QString::fromStdString(testutil::readFile(target)), QStringLiteral("previous"));
        QCOMPARE(filesIn(dir.path().toStdString()), std::vector<std::string>{"out.json"});   // no temporary left
        QCOMPARE(QString::fromStdString(ember::ioErrorText(ENOSPC)), QStringLiteral("no space left on the disk"));
    }

    // A file written atomically is on the disk before it replaces the old one: its data is
    // synced before the rename, and its folder after (or a power cut could leave an empty file).
    void atomicWritesAreSynced()
    {
        QTemporaryDir dir;
        const std::string folder = fs::canonical(dir.path().toStdString()).string(), target = folder + "/out.json";
        gSynced.clear();
        gRecordSyncs = true;
        ember::writeFileAtomic(target, std::string("{}"));
        gRecordSyncs = false;
        const auto synced = [&](auto match) { return std::any_of(gSynced.begin(), gSynced.end(), match); };
        QVERIFY2(synced([&](const std::string& p) { return p.rfind(target + ".tmp", 0) == 0; }),
                 "the temporary file was not synced before the rename");
        QVERIFY2(synced([&](const std::string& p) { return p == folder; }), "the folder was not synced after the rename");
        QCOMPARE(QString::fromStdString(testutil::readFile(target)), QStringLiteral("{}"));
    }

    // Issue 32: a symlink planted under the temporary file's name is removed, never written
    // through: the file outside keeps its bytes, the target is a regular file with the new ones.
    void atomicWritesNeverFollowAPlantedLink()
    {
        QTemporaryDir dir, outside;
        const std::string target = testutil::path(dir, "state.json"), victim = testutil::path(outside, "precious.txt");
        std::ofstream(victim) << "keep me";
        QCOMPARE(::symlink(victim.c_str(), (target + ".tmp" + std::to_string(::getpid())).c_str()), 0);
        ember::writeFileAtomic(target, std::string("{\"step\": 3}"));
        QCOMPARE(QString::fromStdString(testutil::readFile(victim)), QStringLiteral("keep me"));
        QVERIFY(fs::is_regular_file(fs::symlink_status(target)));
        QCOMPARE(QString::fromStdString(testutil::readFile(target)), QStringLiteral("{\"step\": 3}"));
        QCOMPARE(filesIn(dir.path().toStdString()), std::vector<std::string>{"state.json"});   // the link is gone too
    }

    void imageFilesMustBeRegularFiles()
    {
        QTemporaryDir dir;
        const std::string fifo = testutil::path(dir, "fifo.png");
        QCOMPARE(::mkfifo(fifo.c_str(), 0600), 0);
        auto refused = [](const std::string& p) {
            try {
                ember::readImageFileBytes(p);
            } catch (const ember::ImageError& e) {
                return QString::fromUtf8(e.what());
            }
            return QString();
        };
        QVERIFY(refused(fifo).contains("not a regular file"));
        QVERIFY(refused("/dev/zero").contains("not a regular file"));
        QVERIFY(refused(dir.path().toStdString()).contains("is a folder"));
        QVERIFY(refused(testutil::path(dir, "missing.png")).contains("no such file"));
    }

    void hugeImagesAreRefusedByTheirHeader()
    {
        const std::string png = pngHeader(20000, 20000);
        int64_t w = 0, h = 0;
        QVERIFY(ember::imageHeaderSize(reinterpret_cast<const uint8_t*>(png.data()), png.size(), &w, &h));
        QCOMPARE(w, 20000);
        QCOMPARE(h, 20000);
        // A JPEG: SOI, an APP0 segment, then SOF0 with height 30000 and width 4000.
        const std::string jpg("\xFF\xD8\xFF\xE0\x00\x04\x00\x00\xFF\xC0\x00\x11\x08\x75\x30\x0F\xA0\x03\x01\x22\x00", 21);
        QVERIFY(ember::imageHeaderSize(reinterpret_cast<const uint8_t*>(jpg.data()), jpg.size(), &w, &h));
        QCOMPARE(w, 4000);
        QCOMPARE(h, 30000);
        QTemporaryDir dir;
        auto ws = Workspace::open(testutil::path(dir, "ws"));
        QString message;
        try {
            ws.storeImageBytes(std::vector<uint8_t>(png.begin(), png.end()), "png");
        } catch (const ember::ImageError& e) {
            message = QString::fromUtf8(e.what());
        }
        QVERIFY2(message.contains("image too large (20000×20000"), qPrintable(message));
        QVERIFY(!message.contains("Assertion"));
        QCOMPARE(ws.imageCount(), 0);
    }

    void jsonlImportSurvivesHostileImageReferences()
    {
        QTemporaryDir dir;
        const std::string base = testutil::path(dir, "in");
        fs::create_directories(base);
        QCOMPARE(::mkfifo((base + "/fifo.png").c_str(), 0600), 0);
        writeImage(base + "/good.png", 1);
        writeImage(base + "/other.png", 2);
        const auto bytes = testutil::readFile(base + "/good.png");
        auto line = [](const std::string& task, const json& image) {
            return json{{"task", task}, {"robots", {"Drone"}}, {"image", image}}.dump() + "\n";
        };
        const std::string file = base + "/data.jsonl";
        testutil::writeFile(file, line("a fifo", "fifo.png") + line("a device", "/dev/zero") + line("a folder", "/etc") +
                                      line("a wrong hash", json{{"path", "other.png"}, {"sha256", std::string(64, 'a')}}) +
                                      line("a good one", "good.png"));
        auto ws = Workspace::open(testutil::path(dir, "ws"));
        const auto r = importJsonl(ws, file);
        QCOMPARE(r.imported, 5);   // the samples stay; their unusable images do not
        QCOMPARE(ws.imageCount(), 1);
        QCOMPARE(static_cast<int>(r.warnings.size()), 4);
        const std::string joined = [&] {
            std::string j;
            for (const auto& w : r.warnings) j += w + "\n";
            return j;
        }();
        QVERIFY2(joined.find("data.jsonl:1: image skipped") != std::string::npos, joined.c_str());
        QVERIFY(joined.find("data.jsonl:3: image skipped: /etc: is a folder") != std::string::npos);
        QVERIFY(joined.find("does not match its sha256") != std::string::npos);
        QVERIFY(bytes.size() > 0);
    }

    void executionOrderMustFit()
    {
        QTemporaryDir dir;
        const std::string file = testutil::path(dir, "multi.json");
        testutil::writeFile(file, R"([{"instruction":"x","input":"Task: Carry it","subtasks":[)"
                                  R"({"subtask":"Carry","assigned_robot":"Drone","execution_order":99999999999}]}])");
        auto ws = Workspace::open(testutil::path(dir, "ws"));
        try {
            importUpstreamMulti(ws, file);
            QFAIL("an execution_order that wraps was accepted");
        } catch (const ImportError& e) {
            QVERIFY2(e.field.find("execution_order") != std::string::npos, e.what());
        }
        QCOMPARE(ws.count(), 0);
    }

    void workspacesThatCannotBeReadAreNeverTakenForNewOnes()
    {
        QTemporaryDir dir;
        const std::string typo = testutil::path(dir, "typo_dir");
        QVERIFY_THROWS_EXCEPTION(std::runtime_error, Workspace::open(typo, Workspace::Mode::Existing));
        QVERIFY(!fs::exists(typo));   // nothing created
        const std::string zero = testutil::path(dir, "zero");
        fs::create_directories(zero);
        testutil::writeFile(zero + "/workspace.db", "");
        QString message;
        try {
            Workspace::open(zero);
        } catch (const std::exception& e) {
            message = QString::fromUtf8(e.what());
        }
        QVERIFY2(message.contains("empty (0 bytes)"), qPrintable(message));
        QCOMPARE(fs::file_size(zero + "/workspace.db"), 0u);   // not filled with a new schema
        // Read-only: reads work, writes throw, nothing is tidied or migrated.
        const std::string ro = testutil::path(dir, "ro");
        {
            auto ws = Workspace::open(ro);
            auto s = testutil::fullSample(1);
            ws.insert(s);
        }
        auto ws = Workspace::open(ro, Workspace::Mode::ReadOnly);
        QVERIFY(ws.readOnly());
        QCOMPARE(ws.count(), 1);
        auto s = testutil::fullSample(2);
        QVERIFY_THROWS_EXCEPTION(std::exception, ws.insert(s));
        QCOMPARE(ws.count(), 1);
    }

    void pathsReadFromAWorkspaceStayInsideIt()
    {
        QTemporaryDir dir;
        const std::string secret = testutil::path(dir, "secret.txt");
        testutil::writeFile(secret, "do not copy");
        auto ws = Workspace::open(testutil::path(dir, "a/ws"));
        writeImage(testutil::path(dir, "img.png"), 3);
        auto stored = ws.storeImageFile(testutil::path(dir, "img.png"));
        Sample s = testutil::fullSample(1);
        s.image = stored.info;
        ws.insert(s);
        ws.database().exec("UPDATE images SET path = '../../secret.txt'");
        QVERIFY_THROWS_EXCEPTION(UnsafePathError, ws.absolutePath("../../secret.txt"));
        QVERIFY_THROWS_EXCEPTION(UnsafePathError, ws.absolutePath("/etc/passwd"));
        fs::create_symlink(secret, fs::path(ws.dir()) / "images" / "link.png");
        QVERIFY_THROWS_EXCEPTION(UnsafePathError, ws.absolutePath("images/link.png"));
        QCOMPARE(QString::fromStdString(ws.absolutePath("images/ab/x.png")), QString::fromStdString(ws.dir() + "/images/ab/x.png"));
        const std::string out = testutil::path(dir, "export/out.jsonl");
        const auto r = exportJsonl(ws, out);
        QCOMPARE(r.written, 1);
        QCOMPARE(static_cast<int>(r.warnings.size()), 1);
        QVERIFY(r.warnings[0].find("leads out of the workspace") != std::string::npos);
        QVERIFY(!fs::exists(testutil::path(dir, "export/images/secret.txt")));
        QVERIFY(testutil::readFile(out).find("secret") == std::string::npos);
    }

    // A top-level folder may be a link to a bigger disk: what lies in its target is the
    // workspace's; a link inside it that leads further out is still refused.
    void aLinkedImagesFolderIsTheWorkspacesOwn()
    {
        QTemporaryDir dir;
        const std::string big = testutil::path(dir, "bigdisk/images"), secret = testutil::path(dir, "secret.txt");
        fs::create_directories(big + "/ab");
        testutil::writeFile(secret, "do not copy");
        const std::string root = testutil::path(dir, "ws");
        { auto ws = Workspace::open(root); }
        fs::remove_all(root + "/images");
        fs::create_directory_symlink(big, root + "/images");
        auto ws = Workspace::open(root);
        writeImage(testutil::path(dir, "img.png"), 5);
        const auto stored = ws.storeImageFile(testutil::path(dir, "img.png"));
        QVERIFY(fs::exists(big + "/" + fs::path(stored.info.path).lexically_relative("images").string()));   // on the big disk
        QCOMPARE(QString::fromStdString(ws.absolutePath(stored.info.path)), QString::fromStdString(root + "/" + stored.info.path));
        fs::create_symlink(secret, big + "/ab/out.png");
        QVERIFY_THROWS_EXCEPTION(UnsafePathError, ws.absolutePath("images/ab/out.png"));
        QVERIFY_THROWS_EXCEPTION(UnsafePathError, ws.absolutePath("runs/../../secret.txt"));
    }

    void aFailedExportKeepsThePreviousOne()
    {
        QTemporaryDir dir;
        auto ws = Workspace::open(testutil::path(dir, "ws"));
        for (int i = 0; i < 40; ++i) {
            auto s = testutil::fullSample(i);
            ws.insert(s);
        }
        const std::string out = testutil::path(dir, "out.jsonl");
        exportJsonl(ws, out);
        const std::string good = testutil::readFile(out);
        QVERIFY(good.size() > 4000);
        {
            FileSizeLimit limit(2000);
            QVERIFY_THROWS_EXCEPTION(std::runtime_error, exportJsonl(ws, out));
            QVERIFY_THROWS_EXCEPTION(std::runtime_error, exportUpstreamSingle(ws, out));
        }
        QCOMPARE(testutil::readFile(out), good);
        for (const auto& f : fs::directory_iterator(dir.path().toStdString()))
            QVERIFY2(f.path().filename().string().find(".tmp") == std::string::npos, f.path().c_str());
    }

    // Issue 32: a workspace whose images/ (or runs/) is a link to another workspace's never
    // deletes the other's files, however old, when it tidies.
    void tidyNeverDeletesThroughALinkedFolder()
    {
        QTemporaryDir dir;
        const std::string a = testutil::path(dir, "a"), b = testutil::path(dir, "b");
        std::string stored;
        {
            auto wa = Workspace::open(a);
            writeImage(testutil::path(dir, "img.png"), 2);
            stored = wa.storeImageFile(testutil::path(dir, "img.png")).info.path;
        }
        const std::string theirs = a + "/images/aa/" + std::string(64, 'a') + ".png";   // a store file A does not list either
        fs::create_directories(fs::path(theirs).parent_path());
        testutil::writeFile(theirs, "x");
        fs::create_directories(a + "/runs/run-1");
        testutil::writeFile(a + "/runs/run-1/state.json", R"({"last":"ckpt-4.safetensors","best":"best.safetensors"})");
        testutil::writeFile(a + "/runs/run-1/ckpt-2.safetensors", "old");
        const auto old = fs::file_time_type::clock::now() - std::chrono::hours(2);
        for (const std::string& p : {a + "/" + stored, theirs, a + "/runs/run-1/ckpt-2.safetensors"})
            fs::last_write_time(p, old);
        {
            auto wb = Workspace::open(b);
        }
        fs::remove_all(b + "/images");
        fs::remove_all(b + "/runs");
        fs::create_directory_symlink(a + "/images", b + "/images");
        fs::create_directory_symlink(a + "/runs", b + "/runs");
        Workspace::TidyReport rep;
        try {
            auto wb = Workspace::open(b);
            rep = wb.tidy();
        } catch (const std::exception& e) {
            QFAIL(e.what());
        }
        QCOMPARE(rep.files, int64_t(0));
        for (const std::string& p : {a + "/" + stored, theirs, a + "/runs/run-1/ckpt-2.safetensors"})
            QVERIFY2(fs::exists(p), p.c_str());
    }

    void leftoversAreTidiedAtTheNextOpen()
    {
        QTemporaryDir dir;
        // Tidying runs at the first open of a folder in a process: the workspace is made under
        // another name and copied, as another process would leave it.
        const std::string root = testutil::path(dir, "ws"), made = testutil::path(dir, "made");
        std::string kept;
        {
            auto ws = Workspace::open(made);
            writeImage(testutil::path(dir, "img.png"), 4);
            kept = ws.storeImageFile(testutil::path(dir, "img.png")).info.path;
            RunInfo run;
            run.name = "r";
            run.stage = 3;
            ws.createRun(run);
            CheckpointInfo gone;
            gone.runId = run.id;
            gone.step = 2;
            gone.path = "runs/run-1/ckpt-2.safetensors";
            ws.addCheckpoint(gone);
        }
        fs::copy(made, root, fs::copy_options::recursive);
        const auto old = fs::file_time_type::clock::now() - std::chrono::hours(2);
        auto touch = [&](const std::string& rel, bool isOld) {
            const std::string p = root + "/" + rel;
            fs::create_directories(fs::path(p).parent_path());
            testutil::writeFile(p, std::string(100, 'x'));
            if (isOld) fs::last_write_time(p, old);
        };
        const std::string hash(64, 'a'), hash2(64, 'b');
        touch("images/aa/" + hash + ".png", true);             // a killed import's file
        touch("images/bb/" + hash2 + ".png", false);           // another process's import in progress
        touch("images/aa/" + hash + ".png.tmp123", true);      // a killed write
        touch("images/demo-rooftop.png", true);                // the studio's own picture, not the store's
        touch("runs/run-1/ckpt-2.optim.pt", true);     // rotated away, state names ckpt-4
        touch("runs/run-1/ckpt-4.safetensors", true);
        touch("runs/run-1/ckpt-4.optim.pt", true);
        touch("runs/run-1/best.safetensors", true);
        testutil::writeFile(root + "/runs/run-1/state.json", R"({"last":"ckpt-4.safetensors","best":"best.safetensors"})");
        fs::last_write_time(fs::path(root) / kept, old);
        auto ws = Workspace::open(root);
        QVERIFY(!fs::exists(root + "/images/aa/" + hash + ".png"));
        QVERIFY(!fs::exists(root + "/images/aa/" + hash + ".png.tmp123"));
        QVERIFY(fs::exists(root + "/images/bb/" + hash2 + ".png"));
        QVERIFY(fs::exists(root + "/images/demo-rooftop.png"));
        QVERIFY(fs::exists(root + "/" + kept));
        QVERIFY(!fs::exists(root + "/runs/run-1/ckpt-2.optim.pt"));
        QVERIFY(fs::exists(root + "/runs/run-1/ckpt-4.safetensors"));
        QVERIFY(fs::exists(root + "/runs/run-1/ckpt-4.optim.pt"));
        QVERIFY(fs::exists(root + "/runs/run-1/best.safetensors"));
        QVERIFY(ws.checkpoints(1).empty());   // the row whose file is gone
    }

    void nestedTransactionsCommitTogether()
    {
        QTemporaryDir dir;
        auto ws = Workspace::open(testutil::path(dir, "ws"));
        {
            Transaction outer(ws.database());
            {
                Transaction inner(ws.database());
                auto s = testutil::fullSample(1);
                ws.insertInTransaction(s);
                inner.commit();
            }
            // outer not committed: the inner work goes too
        }
        QCOMPARE(ws.count(), 0);
        {
            Transaction outer(ws.database());
            {
                Transaction inner(ws.database());
                auto s = testutil::fullSample(2);
                ws.insertInTransaction(s);
                // inner rolled back
            }
            auto s = testutil::fullSample(3);
            ws.insertInTransaction(s);
            outer.commit();
        }
        QCOMPARE(ws.count(), 1);
    }

    void fuzzSafetensorsReader()
    {
        QTemporaryDir dir;
        const std::string valid = testutil::path(dir, "valid.safetensors");
        std::vector<float> a(12, 1.5f);
        std::vector<int64_t> b{1, 2, 3};
        ember::writeSafetensors(valid, {{"a.weight", ember::DType::F32, {3, 4}, a.data(), a.size() * 4},
                                        {"b", ember::DType::I64, {3}, b.data(), b.size() * 8}},
                                {{"format", "embervlm"}, {"config", "{}"}});
        QVERIFY(ember::SafetensorsFile::open(valid)->tensors().size() == 2);
        const std::string good = testutil::readFile(valid);
        std::mt19937_64 rng(15);
        const std::string path = testutil::path(dir, "mutant.safetensors");
        int refused = 0, opened = 0;
        for (int it = 0; it < 3000; ++it) {
            std::string m = good;
            const int edits = 1 + static_cast<int>(rng() % 4);
            for (int e = 0; e < edits; ++e) {
                switch (rng() % 5) {
                case 0: m[rng() % m.size()] = static_cast<char>(rng()); break;                        // a byte
                case 1: m.resize(rng() % m.size()); break;                                              // truncated
                case 2: for (int i = 0; i < 8 && i < static_cast<int>(m.size()); ++i) m[i] = static_cast<char>(rng()); break;   // header length
                case 3: { const size_t at = 8 + rng() % 40; if (at < m.size()) m.insert(at, std::string(1 + rng() % 9, static_cast<char>('0' + rng() % 10))); } break;   // digits in the header
                default: if (m.size() > 16) m.erase(8 + rng() % (m.size() - 8), 1); break;
                }
                if (m.empty()) break;
            }
            testutil::writeFile(path, m);
            try {
                auto f = ember::SafetensorsFile::open(path);
                for (const auto& t : f->tensors())   // every view lies inside the mapping
                    if (t.nbytes) (void)static_cast<const volatile uint8_t*>(t.data)[t.nbytes - 1];
                ++opened;
            } catch (const std::exception&) {
                ++refused;
            }
        }
        QVERIFY(refused > 1500);   // the mutations did reach the checks
        QVERIFY(opened > 0);   // and some mutants were still valid files, which opened
    }

    void fuzzJsonlImporter()
    {
        QTemporaryDir dir;
        writeImage(testutil::path(dir, "in/a.png"), 5);
        std::string good;
        for (int i = 0; i < 4; ++i) {
            auto s = testutil::fullSample(i);
            json j = {{"uid", "U-" + std::to_string(i)}, {"task", s.task}, {"robots", {"Drone", "Humanoid"}}, {"caption", s.caption},
                      {"qa", {{{"question", "q?"}, {"answer", "a."}}}}, {"reasoning", s.reasoning},
                      {"subtasks", {{{"subtask", "x"}, {"assigned_robot", "Drone"}, {"execution_order", 1}}}}, {"split", "val"},
                      {"image", {{"path", "a.png"}}}};
            good += j.dump() + "\n";
        }
        auto ws = Workspace::open(testutil::path(dir, "ws"));
        const std::string path = testutil::path(dir, "in/mutant.jsonl");
        std::mt19937_64 rng(16);
        const std::string alphabet = "{}[]\":,0123456789-.eE truefalsn\\u\n";
        int failed = 0, imported = 0;
        for (int it = 0; it < 2000; ++it) {
            std::string m = good;
            const int edits = 1 + static_cast<int>(rng() % 3);
            for (int e = 0; e < edits && !m.empty(); ++e) {
                const size_t at = rng() % m.size();
                switch (rng() % 3) {
                case 0: m[at] = alphabet[rng() % alphabet.size()]; break;
                case 1: m.erase(at, 1 + rng() % 8); break;
                default: m.insert(at, 1, alphabet[rng() % alphabet.size()]); break;
                }
            }
            // uids vary per iteration so that a valid mutant imports instead of being skipped
            for (size_t p = m.find("\"U-"); p != std::string::npos; p = m.find("\"U-", p + 3)) m.insert(p + 3, std::to_string(it) + "-");
            testutil::writeFile(path, m);
            const auto before = ws.count();
            try {
                const auto r = importJsonl(ws, path);
                QCOMPARE(ws.count(), before + r.imported);
                imported += r.imported > 0;
            } catch (const std::exception&) {
                QCOMPARE(ws.count(), before);   // all or nothing
                ++failed;
            }
        }
        QVERIFY(failed > 100);
        QVERIFY(imported > 100);
    }
};

QTEST_APPLESS_MAIN(TestReliability)
#include "test_reliability.moc"
