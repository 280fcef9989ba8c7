#pragma once
// Helpers shared by the datasets test suites (and the training and studio suites that need a
// workspace): temporary workspaces and sample builders.
#include "demo_world.h"
#include "sample.h"
#include "workspace.h"

#include <QTemporaryDir>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#ifndef EMBERVLM_SHARED_DIR
#error "EMBERVLM_SHARED_DIR must name the shared folder"
#endif

namespace testutil {

inline std::string upstream(const char* name) { return std::string(EMBERVLM_SHARED_DIR) + "/data/upstream/" + name; }

inline std::string path(const QTemporaryDir& d, const std::string& rel) { return d.path().toStdString() + "/" + rel; }

inline void writeFile(const std::string& p, const std::string& text)
{
    std::ofstream out(p, std::ios::binary);
    out << text;
}

// A small image (format from the extension) whose content, and so hash, depends on seed and
// size: one colour and one white pixel. Creates the folders; false when it cannot be written.
inline bool writeSeededImage(const std::string& p, int seed, int w = 60, int h = 40)
{
    cv::Mat m(h, w, CV_8UC3, cv::Scalar(seed * 40 % 255, seed * 90 % 255, seed * 20 % 255));
    m.at<cv::Vec3b>(seed % h, seed % w) = cv::Vec3b(255, 255, 255);
    std::filesystem::create_directories(std::filesystem::path(p).parent_path());
    return cv::imwrite(p, m);
}

inline std::string readFile(const std::string& p)
{
    std::ifstream in(p, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// A workspace at dir holding a small demo world (40 samples at 64 px unless told otherwise):
// what the training, Train view and Evaluate view suites run on.
inline void makeDemoWorkspace(const std::string& dir, uint64_t seed = 1, int64_t count = 40, int imageSize = 64)
{
    auto ws = ember::data::Workspace::open(dir);
    ember::data::DemoOptions o;
    o.count = count;
    o.seed = seed;
    o.imageSize = imageSize;
    ember::data::generateDemoWorld(ws, o);
}

// n bare samples whose tasks are prefix + "0", prefix + "1", ...
inline std::vector<ember::data::Sample> samplesWithTasks(const std::string& prefix, int n)
{
    std::vector<ember::data::Sample> v(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i)
        v[static_cast<size_t>(i)].task = prefix + std::to_string(i);
    return v;
}

inline ember::data::Sample fullSample(int i)
{
    using namespace ember::data;
    Sample s;
    s.task = "Inspect pipe number " + std::to_string(i) + " at the bottom of the tank.";
    s.instruction = "Pick the robots.";
    s.robots = {4, 1};
    s.reasoning = {"The pipe is under water.", "Only a submersible can reach it.", "So the Underwater Robot."};
    s.subtasks = {{"Dive to the pipe", 1, 1}, {"Walk the catwalk", 4, 2}};
    s.caption = "A tank with a pipe " + std::to_string(i) + ".";
    s.qa = {{"Is there water?", "Yes."}, {"How many pipes?", "One."}};
    s.split = Split::Val;
    s.status = Status::Reviewed;
    s.source = "test";
    s.author = "tester";
    return s;
}

} // namespace testutil
