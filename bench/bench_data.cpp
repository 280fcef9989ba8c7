// embervlm-bench-data: import and paging figures for the workspace store, as JSON.
//   embervlm-bench-data [--samples N] [--paging-samples N] [--demo N] [--dir DIR]
// Import: N samples (JSONL, with reasoning, QA and subtasks) in one import.
// Paging: a workspace of --paging-samples rows; first/middle/last pages, filtered, sorted and
// text-searched, 50 rows each.
#include "run_facts.h"
#include "demo_world.h"
#include "exporters.h"
#include "importers.h"
#include "workspace.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <unistd.h>
#include <string>

using namespace ember::data;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

double msSince(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

Sample synthetic(int64_t i)
{
    Sample s;
    s.uid = "bench" + std::to_string(i);
    s.task = "Inspect structure " + std::to_string(i) + (i % 3 ? " on the rocky hillside" : " under the pier");
    s.instruction = "Pick the robots best suited to the task.";
    s.robots = {static_cast<int>(i % 5)};
    if (i % 7 == 0) s.robots.push_back(4);
    s.reasoning = {"The scene shows the structure.", "The ground is uneven.", "Walking is needed.", "So legs."};
    s.qa = {{"Is there water?", i % 3 ? "No." : "Yes."}};
    s.caption = "Structure " + std::to_string(i) + ".";
    s.split = i % 10 < 7 ? Split::Train : i % 10 < 9 ? Split::Val : Split::Test;
    s.created = s.modified = 1700000000000 + i;
    return s;
}

void writeJsonl(const std::string& path, int64_t n)
{
    std::ofstream out(path);
    for (int64_t i = 0; i < n; ++i) {
        nlohmann::json j = {{"uid", "bench" + std::to_string(i)}};
        const auto s = synthetic(i);
        j["task"] = s.task;
        j["instruction"] = s.instruction;
        j["robots"] = nlohmann::json::array();
        for (int r : s.robots) j["robots"].push_back(robotName(r));
        j["reasoning"] = s.reasoning;
        j["qa"] = {{{"question", s.qa[0].question}, {"answer", s.qa[0].answer}}};
        j["caption"] = s.caption;
        j["split"] = toString(s.split);
        out << j.dump() << "\n";
    }
}

} // namespace

int main(int argc, char** argv)
{
    int64_t importN = 10000, pagingN = 100000, demoN = 0;
    std::string base = (fs::temp_directory_path() / ("embervlm-bench-data-" + std::to_string(::getpid()))).string();
    for (int i = 1; i < argc; i += 2) {
        const std::string k = argv[i];
        if (k == "--quick") {   // the same figures on small stores: seconds, for CI and a first look
            importN = 1000;
            pagingN = 5000;
            --i;
            continue;
        }
        if (i + 1 >= argc) {
            std::cerr << "usage: embervlm-bench-data [--samples N] [--paging-samples N] [--demo N] [--dir DIR] [--quick]\n";
            return 1;
        }
        if (k == "--samples") importN = std::atoll(argv[i + 1]);
        else if (k == "--paging-samples") pagingN = std::atoll(argv[i + 1]);
        else if (k == "--demo") demoN = std::atoll(argv[i + 1]);
        else if (k == "--dir") base = argv[i + 1];
        else {
            std::cerr << "usage: embervlm-bench-data [--samples N] [--paging-samples N] [--demo N] [--dir DIR] [--quick]\n";
            return 1;
        }
    }
    fs::remove_all(base);
    fs::create_directories(base);
    nlohmann::json out{{"bench", "data"}, {"run", ember::runFacts()}};
    try {
        // Import.
        const auto jsonl = base + "/import.jsonl";
        writeJsonl(jsonl, importN);
        {
            auto ws = Workspace::open(base + "/import");
            const auto t0 = Clock::now();
            const auto r = importJsonl(ws, jsonl);
            const double ms = msSince(t0);
            out["import_jsonl"] = {{"samples", r.imported}, {"ms", ms}, {"samples_per_s", r.imported / (ms / 1000)}};
            const auto t1 = Clock::now();
            exportJsonl(ws, base + "/export/all.jsonl");
            out["export_jsonl"] = {{"samples", r.imported}, {"ms", msSince(t1)}};
        }
        // Paging over a big workspace (filled with insertMany: the same path the importers use).
        {
            auto ws = Workspace::open(base + "/paging");
            std::vector<Sample> v;
            v.reserve(static_cast<size_t>(pagingN));
            for (int64_t i = 0; i < pagingN; ++i) v.push_back(synthetic(i));
            auto t0 = Clock::now();
            ws.insertMany(v);
            out["fill"] = {{"samples", pagingN}, {"ms", msSince(t0)}};
            v.clear();
            t0 = Clock::now();
            auto reopened = Workspace::open(base + "/paging");
            const auto total = reopened.count();
            out["open_and_count_ms"] = msSince(t0);
            nlohmann::json pages = nlohmann::json::object();
            auto timePage = [&](const std::string& name, SampleQuery q) {
                q.limit = 50;
                const auto t = Clock::now();
                const auto rows = reopened.query(q);
                const auto n = reopened.count(q);
                pages[name] = {{"ms", msSince(t)}, {"rows", rows.size()}, {"matching", n}};
            };
            SampleQuery q;
            timePage("first_page", q);
            q.offset = total / 2;
            timePage("middle_page", q);
            q.offset = total - 50;
            timePage("last_page", q);
            SampleQuery f;
            f.split = Split::Val;
            f.robot = 4;
            f.offset = std::min<int64_t>(1000, std::max<int64_t>(0, reopened.count(f) - 50));   // a full page deep in
            timePage("filter_split_robot", f);
            SampleQuery s;
            s.sort = SampleQuery::Sort::Task;
            s.descending = true;
            s.offset = total / 3;
            timePage("sort_by_task", s);
            SampleQuery m;
            m.sort = SampleQuery::Sort::Modified;
            m.descending = true;
            timePage("sort_by_modified", m);
            SampleQuery t;
            t.text = "under the pier";
            t.offset = 500;
            timePage("text_search", t);
            const auto th = Clock::now();
            reopened.labelHistogram();
            pages["label_histogram"] = {{"ms", msSince(th)}};
            out["paging"] = pages;
            out["paging_samples"] = total;
        }
        if (demoN > 0) {
            auto ws = Workspace::open(base + "/demo");
            DemoOptions o;
            o.count = demoN;
            const auto r = generateDemoWorld(ws, o);
            out["demo"] = {{"samples", r.generated}, {"seconds", r.seconds}};
        }
    } catch (const std::exception& e) {
        std::cerr << "embervlm-bench-data: " << e.what() << "\n";
        return 1;
    }
    fs::remove_all(base);
    std::cout << out.dump(2) << "\n";
    return 0;
}
