#include "data_commands.h"

#include "augment.h"
#include "cli_args.h"
#include "demo_world.h"
#include "exporters.h"
#include "importers.h"
#include "splits.h"
#include "workspace.h"

#include <limits>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <cstdio>
#include <iostream>
#include <memory>
#include <set>

#include <unistd.h>

using namespace ember::data;
using ember::cli::Args;
using ember::cli::UsageError;

namespace {

const char* kDataUsage =
    "usage: embervlm data <command> -w WORKSPACE [options]\n"
    "  demo     [--count N] [--seed S] [--size PX]          generate the demo world (default 2000, seed 1)\n"
    "  import   [--format single|multi|jsonl|folder] [--author A] PATH...   (format detected when omitted)\n"
    "  export   --format jsonl|single|multi -o FILE [--split train|val|test] [--no-images]\n"
    "  export   --format jsonl|single|multi --splits DIR     train/val/test files\n"
    "  split    [--train 0.7] [--val 0.2] [--test 0.1] [--seed S] [--keep]   deterministic by content hash\n"
    "  augment  [--factor N] [--seed S] [--no-images]       label-preserving copies of every original sample\n"
    "  stats    [--json]                                    counts per split, status and robot\n";

// Progress on stderr: redrawn in place (at most every 100 ms) on a terminal, one line per
// tenth otherwise so that logs stay short.
ember::data::Progress progressPrinter(const std::string& what)
{
    const bool tty = isatty(fileno(stderr));
    auto last = std::make_shared<std::chrono::steady_clock::time_point>();
    auto lastTenth = std::make_shared<int64_t>(-1);
    return [what, last, lastTenth, tty](int64_t done, int64_t total) {
        const int64_t tenth = total > 0 ? done * 10 / total : 10;
        if (!tty) {
            if (tenth != *lastTenth)
                std::fprintf(stderr, "%s %lld/%lld\n", what.c_str(), static_cast<long long>(done), static_cast<long long>(total));
            *lastTenth = tenth;
            return true;
        }
        const auto now = std::chrono::steady_clock::now();
        if (done < total && now - *last < std::chrono::milliseconds(100)) return true;
        *last = now;
        std::fprintf(stderr, "\r%s %lld/%lld (%3.0f%%)", what.c_str(), static_cast<long long>(done),
                     static_cast<long long>(total), total ? 100.0 * done / total : 100.0);
        if (done >= total) std::fprintf(stderr, "\n");
        std::fflush(stderr);
        return true;
    };
}

int cmdDemo(const Args& a, Workspace& ws)
{
    DemoOptions o;
    o.count = a.getInt("--count", 2000, 1, 200000);
    o.seed = static_cast<uint64_t>(a.getInt("--seed", 1, 0, std::numeric_limits<long long>::max()));
    o.imageSize = static_cast<int>(a.getInt("--size", 256, 32, 2048));
    const auto r = generateDemoWorld(ws, o, progressPrinter("demo"));
    std::cout << "generated " << r.generated << " samples (" << r.skipped << " already present) in " << r.seconds << " s\n";
    return 0;
}

int cmdImport(const Args& a, Workspace& ws)
{
    if (a.positional().empty()) throw UsageError("import needs at least one PATH");
    ImportOptions o;
    o.author = a.get("--author");
    // One command, one transaction: a bad second file leaves the first unimported too.
    Transaction all(ws.database());
    struct NewFiles {
        std::vector<std::string> paths;
        bool keep = false;
        ~NewFiles()
        {
            std::error_code ec;
            if (!keep)
                for (const auto& p : paths) std::filesystem::remove(p, ec);
        }
    } created;
    o.newFilesOut = &created.paths;
    int64_t imported = 0;
    try {
        for (const auto& path : a.positional()) {
            const std::string fmt = a.has("--format") ? a.get("--format") : detectFormat(path);
            const auto t0 = std::chrono::steady_clock::now();
            const auto prog = progressPrinter("import " + path);
            ImportReport r;
            if (fmt == "single") r = importUpstreamSingle(ws, path, o, prog);
            else if (fmt == "multi") r = importUpstreamMulti(ws, path, o, prog);
            else if (fmt == "jsonl") r = importJsonl(ws, path, o, prog);
            else if (fmt == "folder") r = importImageFolder(ws, path, o, prog);
            else throw UsageError("unknown --format '" + fmt + "' (single, multi, jsonl or folder)");
            const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            for (const auto& w : r.warnings) std::cerr << "warning: " << w << "\n";
            std::cout << path << ": read " << r.imported << " new, skipped " << r.skipped << " (" << fmt << ", " << s << " s)\n";
            imported += r.imported;
        }
        all.commit();
    } catch (...) {
        if (a.positional().size() > 1)
            std::cerr << "nothing imported: the files of one command are imported together or not at all\n";
        throw;
    }
    created.keep = true;
    std::cout << "imported " << imported << " samples\n";
    return 0;
}

int cmdExport(const Args& a, Workspace& ws)
{
    const std::string fmt = a.get("--format", "jsonl");
    ExportOptions o;
    o.copyImages = !a.has("--no-images");
    if (a.has("--split")) o.filter.split = splitFromString(a.get("--split"));
    ExportReport r;
    if (a.has("--splits")) {
        r = exportSplits(ws, a.get("--splits"), fmt, o, progressPrinter("export"));
    } else {
        const auto out = a.require("-o");
        if (fmt == "jsonl") r = exportJsonl(ws, out, o, progressPrinter("export"));
        else if (fmt == "single") r = exportUpstreamSingle(ws, out, o, progressPrinter("export"));
        else if (fmt == "multi") r = exportUpstreamMulti(ws, out, o, progressPrinter("export"));
        else throw UsageError("unknown --format '" + fmt + "' (jsonl, single or multi)");
    }
    for (const auto& w : r.warnings) std::cerr << "warning: " << w << "\n";
    std::cout << "wrote " << r.written << " samples";
    if (r.skipped) std::cout << " (" << r.skipped << " skipped: the format cannot express them)";
    std::cout << "\n";
    return 0;
}

int cmdSplit(const Args& a, Workspace& ws)
{
    SplitOptions o;
    o.train = a.getDouble("--train", 0.7, 0.0, 1.0);
    o.val = a.getDouble("--val", 0.2, 0.0, 1.0);
    o.test = a.getDouble("--test", 0.1, 0.0, 1.0);
    o.seed = static_cast<uint64_t>(a.getInt("--seed", 0, 0, std::numeric_limits<long long>::max()));
    o.onlyUnassigned = a.has("--keep");
    const auto c = assignSplits(ws, o, progressPrinter("split"));
    std::cout << "train " << c[1] << ", val " << c[2] << ", test " << c[3] << ", none " << c[0] << "\n";
    return 0;
}

int cmdAugment(const Args& a, Workspace& ws)
{
    AugmentOptions o;
    o.factor = static_cast<int>(a.getInt("--factor", 9, 1, 100));
    o.seed = static_cast<uint64_t>(a.getInt("--seed", 0, 0, std::numeric_limits<long long>::max()));
    o.images = !a.has("--no-images");
    const auto r = augmentWorkspace(ws, o, progressPrinter("augment"));
    std::cout << "added " << r.created << " augmented samples from " << r.sources << " sources\n";
    return 0;
}

int cmdStats(const Args& a, Workspace& ws)
{
    const auto splits = ws.splitCounts();
    SampleQuery reviewed;
    reviewed.status = Status::Reviewed;
    SampleQuery derived;
    derived.derived = true;
    const auto hist = ws.labelHistogram();
    nlohmann::json j{{"workspace", ws.dir()},
                     {"samples", ws.count()},
                     {"images", ws.imageCount()},
                     {"reviewed", ws.count(reviewed)},
                     {"augmented", ws.count(derived)},
                     {"splits", {{"none", splits[0]}, {"train", splits[1]}, {"val", splits[2]}, {"test", splits[3]}}},
                     {"runs", ws.runs().size()}};
    for (int r = 0; r < robotCount(); ++r) j["robots"][robotName(r)] = hist[static_cast<size_t>(r)];
    if (a.has("--json")) {
        std::cout << j.dump(2) << "\n";
        return 0;
    }
    std::printf("workspace %s\n", ws.dir().c_str());
    std::printf("samples   %lld (%lld reviewed, %lld augmented), images %lld, runs %zu\n",
                static_cast<long long>(ws.count()), static_cast<long long>(ws.count(reviewed)),
                static_cast<long long>(ws.count(derived)), static_cast<long long>(ws.imageCount()), ws.runs().size());
    std::printf("splits    train %lld, val %lld, test %lld, none %lld\n", static_cast<long long>(splits[1]),
                static_cast<long long>(splits[2]), static_cast<long long>(splits[3]), static_cast<long long>(splits[0]));
    for (int r = 0; r < robotCount(); ++r)
        std::printf("  %-18s %lld\n", robotName(r).c_str(), static_cast<long long>(hist[static_cast<size_t>(r)]));
    return 0;
}

} // namespace

int runDataCommand(const std::vector<std::string>& args)
{
    if (args.empty() || args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
        std::cout << kDataUsage;
        return args.empty() ? 1 : 0;
    }
    const std::string sub = args[0];
    const std::vector<std::string> rest(args.begin() + 1, args.end());
    std::set<std::string> valued{"-w", "--workspace"};
    std::set<std::string> flags;
    if (sub == "demo") valued.insert({"--count", "--seed", "--size"});
    else if (sub == "import") valued.insert({"--format", "--author"});
    else if (sub == "export") {
        valued.insert({"--format", "-o", "--split", "--splits"});
        flags.insert("--no-images");
    } else if (sub == "split") {
        valued.insert({"--train", "--val", "--test", "--seed"});
        flags.insert("--keep");
    } else if (sub == "augment") {
        valued.insert({"--factor", "--seed"});
        flags.insert("--no-images");
    } else if (sub == "stats") flags.insert("--json");
    else throw UsageError("unknown data command '" + sub + "'\n" + kDataUsage);
    const Args a(rest, valued, flags);
    const std::string dir = a.has("-w") ? a.get("-w") : a.get("--workspace");
    if (dir.empty()) throw UsageError("data " + sub + " needs -w WORKSPACE");
    // Only demo and import make a workspace; the others need one (a typo must not create one).
    auto ws = Workspace::open(dir, sub == "demo" || sub == "import" ? Workspace::Mode::Create : Workspace::Mode::Existing);
    if (ws.readOnly() && sub != "stats" && sub != "export")
        throw std::runtime_error("workspace " + dir + " is read-only: `data " + sub + "` would change it");
    if (sub == "demo") return cmdDemo(a, ws);
    if (sub == "import") return cmdImport(a, ws);
    if (sub == "export") return cmdExport(a, ws);
    if (sub == "split") return cmdSplit(a, ws);
    if (sub == "augment") return cmdAugment(a, ws);
    return cmdStats(a, ws);
}
