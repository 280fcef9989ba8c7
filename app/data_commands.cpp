#include "data_commands.h"

#include "augment.h"
#include "cli_args.h"
#include "progress_line.h"
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

// Progress on stderr: redrawn in place on a terminal, one line per tenth otherwise so that logs
// stay short.
ember::data::Progress progressPrinter(const std::string& what)
{
    if (isatty(fileno(stderr)))
        return ember::cli::countLine(what, stderr);
    auto lastTenth = std::make_shared<int64_t>(-1);
    return [what, lastTenth](int64_t done, int64_t total) {
        const int64_t tenth = total > 0 ? done * 10 / total : 10;
        if (tenth != *lastTenth)
            std::fprintf(stderr, "%s %lld/%lld\n", what.c_str(), static_cast<long long>(done), static_cast<long long>(total));
        *lastTenth = tenth;
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
    std::vector<ImportStep> items;
    try {
        items = planImport(a.positional(), a.get("--format"), a.get("--questions"), a.get("--annotations"));
    } catch (const std::invalid_argument& e) {
        throw UsageError(e.what());
    }
    ImportOptions o;
    o.author = a.get("--author");
    o.imagesDir = a.get("--images");
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
        for (const auto& item : items) {
            const auto t0 = std::chrono::steady_clock::now();
            const auto prog = progressPrinter("import " + item.path);
            const ImportReport r = importStep(ws, item, o, prog);
            const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            for (const auto& w : r.warnings) std::cerr << "warning: " << w << "\n";
            std::cout << item.path << (item.second.empty() ? "" : " + " + item.second) << ": read " << r.imported
                      << " new, skipped " << r.skipped << " (" << item.format << ", " << s << " s)\n";
            imported += r.imported;
        }
        all.commit();
    } catch (...) {
        if (items.size() > 1)
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
    try {
        if (a.has("--splits")) r = exportSplits(ws, a.get("--splits"), fmt, o, progressPrinter("export"));
        else r = exportAs(ws, fmt, a.require("-o"), o, progressPrinter("export"));
    } catch (const std::invalid_argument& e) {
        throw UsageError(e.what());
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

using ember::cli::Command;
using ember::cli::Option;

// A `data` command on the workspace given by -w. Only demo and import make a workspace; the
// others need one (a typo must not create one), and only stats and export run on a read-only one.
Command onWorkspace(const std::string& name, const std::string& summary, std::vector<Option> options,
                    int (*body)(const Args&, Workspace&), std::string positional = "", std::string positionalHelp = "")
{
    options.insert(options.begin(), Option{"-w,--workspace", "DIR", "the workspace folder", true});
    const bool creates = name == "demo" || name == "import";
    const bool reads = name == "stats" || name == "export";
    return {name, summary, std::move(options), std::move(positional), std::move(positionalHelp),
            [=](const Args& a) {
                const std::string dir = a.get("--workspace");
                auto ws = Workspace::open(dir, creates ? Workspace::Mode::Create : Workspace::Mode::Existing);
                if (ws.readOnly() && !reads)
                    throw std::runtime_error("workspace " + dir + " is read-only: `data " + name + "` would change it");
                return body(a, ws);
            }};
}

} // namespace

Command dataCommand()
{
    Command data{"data", "workspace data: demo world, import, export, splits, augmentation, stats"};
    data.children = {
        onWorkspace("demo", "generate the demo world",
                    {{"--count", "N", "samples (default 2000)"},
                     {"--seed", "S", "world seed (default 1)"},
                     {"--size", "PX", "image size (default 256)"}},
                    cmdDemo),
        onWorkspace("import", "import LLaVA, chat JSONL, COCO, VQA v2, imagefolder, upstream JSON, JSONL or images",
                    {{"--format", "FORMAT",
                      "single, multi, jsonl, folder, llava, messages, coco, imagefolder or vqa (detected when omitted)"},
                     {"--images", "DIR", "where the files' image names are looked up first"},
                     {"--questions", "FILE", "VQA v2 questions file"},
                     {"--annotations", "FILE", "VQA v2 annotations file (answers)"},
                     {"--author", "NAME", "recorded as each sample's author"}},
                    cmdImport, "PATH", "files or folders; one command imports all or nothing"),
        onWorkspace("export", "write samples as JSONL, LLaVA, chat JSONL, COCO, VQA v2, imagefolder or upstream JSON",
                    {{"--format", "FORMAT", "jsonl (default), single, multi, llava, messages, coco, imagefolder or vqa"},
                     {"-o", "PATH", "output file (a folder for coco, imagefolder and vqa)"},
                     {"--split", "SPLIT", "only train, val or test"},
                     {"--splits", "DIR", "one file per split in DIR instead of -o"},
                     {"--no-images", "", "do not copy the images"}},
                    cmdExport),
        onWorkspace("split", "assign train/val/test, deterministic by content hash",
                    {{"--train", "F", "fraction (default 0.7)"},
                     {"--val", "F", "fraction (default 0.2)"},
                     {"--test", "F", "fraction (default 0.1)"},
                     {"--seed", "S", "seed (default 0)"},
                     {"--keep", "", "only assign samples that have no split"}},
                    cmdSplit),
        onWorkspace("augment", "label-preserving copies of every original sample",
                    {{"--factor", "N", "copies per sample (default 9)"},
                     {"--seed", "S", "seed (default 0)"},
                     {"--no-images", "", "copy the labels only"}},
                    cmdAugment),
        onWorkspace("stats", "counts per split, status and robot", {{"--json", "", "print JSON"}}, cmdStats),
    };
    return data;
}
