#include "export_support.h"

#include "workspace.h"

namespace fs = std::filesystem;

namespace ember::data::detail {

std::unique_ptr<ember::AtomicFile> openOut(const std::string& path)
{
    const auto parent = fs::path(path).parent_path();
    if (!parent.empty()) fs::create_directories(parent);
    return std::make_unique<ember::AtomicFile>(path);
}

void forEachSample(const Workspace& ws, const SampleQuery& q, const Progress& progress,
                   const std::function<void(const Sample&)>& fn)
{
    constexpr int64_t kProgressEvery = 256;
    const auto ids = ws.ids(q);
    const auto total = static_cast<int64_t>(ids.size());
    for (int64_t i = 0; i < total; ++i) {
        if (i % kProgressEvery == 0) report(progress, i, total);
        if (auto s = ws.get(ids[static_cast<size_t>(i)])) fn(*s);
    }
    report(progress, total, total);
}

bool placeImage(const Workspace& ws, const Sample& s, const fs::path& dest, ExportReport& rep)
{
    fs::path src;
    try {
        src = ws.absolutePath(s.image.path);
    } catch (const UnsafePathError& e) {
        rep.warnings.push_back("sample " + s.uid + ": " + e.what());   // never copy a file from outside
        return false;
    }
    std::error_code ec;
    if (fs::exists(dest, ec)) return true;
    fs::create_directories(dest.parent_path(), ec);
    fs::create_hard_link(src, dest, ec);
    if (!ec) return true;
    ec.clear();
    fs::copy_file(src, dest, ec);
    if (!ec) return true;
    rep.warnings.push_back("sample " + s.uid + ": cannot copy " + src.string() + ": " + ec.message());
    return false;
}

std::string imageReference(const Workspace& ws, const Sample& s, const fs::path& base, const ExportOptions& opts,
                           ExportReport& rep)
{
    if (opts.copyImages) {
        const std::string ref = "images/" + exportedImageName(s);
        return placeImage(ws, s, base / ref, rep) ? ref : std::string();
    }
    try {
        return ws.absolutePath(s.image.path);
    } catch (const UnsafePathError& e) {
        rep.warnings.push_back("sample " + s.uid + ": " + e.what());
        return {};
    }
}

std::string exportedImageName(const Sample& s)
{
    return fs::path(s.image.path).filename().string();
}

} // namespace ember::data::detail
