#include "demo_world.h"

#include "content_hash.h"
#include "demo_scenes.h"
#include "demo_text.h"
#include "splits.h"
#include "workspace.h"

#include "image_codecs.h"

#include <chrono>
#include <filesystem>

namespace ember::data {

namespace {
constexpr int kJpegQuality = 92;
constexpr double kImageDecidedShare = 0.5;
const char* kDemoInstruction =
    "Look at the image and read the task. Choose the robot, or the robots, best suited to it: "
    "Drone, Underwater Robot, Humanoid, Robot with Wheels or Robot with Legs.";

// The image files a run wrote: removed again unless its transaction committed.
struct WrittenImages {
    std::vector<std::string> files;
    bool committed = false;
    WrittenImages() = default;
    WrittenImages(const WrittenImages&) = delete;
    WrittenImages& operator=(const WrittenImages&) = delete;
    ~WrittenImages()
    {
        if (committed) return;
        std::error_code ec;
        for (const auto& f : files) std::filesystem::remove(f, ec);
    }
};

bool alreadyStored(Statement& exists, const std::string& uid)
{
    exists.bind(1, uid);
    const bool have = exists.step();
    exists.reset();
    return have;
}

// Sample i of the world, its image stored in ws. The draws from its generator come in a fixed
// order (scene, picture, task, questions): changing it changes every demo world.
Sample demoSample(Workspace& ws, const DemoOptions& opts, int64_t i, const std::string& uid, const std::string& source,
                  WrittenImages& written)
{
    // One generator per sample: sample i is the same whatever count was asked for.
    demo::Rng rng(opts.seed * 0x100000001B3ull + static_cast<uint64_t>(i) * 0x9E3779B97F4A7C15ull + 17);
    // Half the samples get a shared task text, its robot drawn uniformly: text alone gets
    // those right about one time in three, the image decides.
    const bool shared = rng.chance(kImageDecidedShare);
    const demo::SharedTask* st = shared ? &rng.pick(demo::sharedTasks()) : nullptr;
    const demo::SharedTask::Option* option = shared ? &rng.pick(st->options) : nullptr;
    const auto env = shared ? rng.pick(option->scenes)
                            : static_cast<demo::Environment>(rng.range(0, demo::kEnvironmentCount - 1));
    demo::SceneFacts facts = demo::randomFacts(env, rng);
    if (shared) demo::fitScene(facts, *st);
    const cv::Mat img = demo::renderScene(facts, rng, opts.imageSize);
    const std::vector<uint8_t> jpeg = codecs::encodeJpeg(img, kJpegQuality);
    auto stored = ws.storeImageBytes(jpeg, "jpg");
    if (stored.newFile) written.files.push_back(ws.absolutePath(stored.info.path));

    const auto task = shared ? demo::sharedSelectionTask(facts, *st, *option) : demo::selectionTask(facts, rng);
    Sample s;
    s.uid = uid;
    s.image = stored.info;
    s.task = task.task;
    s.instruction = kDemoInstruction;
    s.robots = task.robots;
    s.reasoning = task.reasoning;
    s.subtasks = task.subtasks;
    s.caption = demo::caption(facts);
    s.qa = demo::questions(facts, rng);
    s.imageDecided = shared;
    s.scene = demo::sceneAttributes(facts);
    s.status = Status::Reviewed;   // generated with known ground truth
    s.source = source;
    s.author = "demo";
    return s;
}

} // namespace

DemoReport generateDemoWorld(Workspace& ws, const DemoOptions& opts, const Progress& progress)
{
    if (opts.count < 0) throw std::invalid_argument("demo count must not be negative");
    if (opts.imageSize < 32 || opts.imageSize > 2048) throw std::invalid_argument("demo image size must be in [32, 2048]");
    const auto t0 = std::chrono::steady_clock::now();
    DemoReport rep;
    WrittenImages written;   // removed if the transaction rolls back

    const std::string source = "demo:seed=" + std::to_string(opts.seed);
    auto exists = ws.database().prepare("SELECT 1 FROM samples WHERE uid=?");
    {
        Transaction tx(ws.database());
        for (int64_t i = 0; i < opts.count; ++i) {
            report(progress, i, opts.count);
            const std::string uid = sha256Hex(source + ":" + std::to_string(i)).substr(0, 16);
            if (alreadyStored(exists, uid)) {
                ++rep.skipped;
                continue;
            }
            Sample s = demoSample(ws, opts, i, uid, source, written);
            ws.insertInTransaction(s);
            ++rep.generated;
        }
        tx.commit();
        written.committed = true;
    }
    if (opts.assignSplits) {
        SplitOptions so;
        so.onlyUnassigned = true;
        assignSplits(ws, so);
    }
    report(progress, opts.count, opts.count);
    rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return rep;
}

} // namespace ember::data
