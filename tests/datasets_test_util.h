#pragma once
// Helpers shared by the datasets test suites: temporary workspaces and sample builders.
#include "sample.h"
#include "workspace.h"

#include <QTemporaryDir>

#include <fstream>
#include <string>

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

inline std::string readFile(const std::string& p)
{
    std::ifstream in(p, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
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
