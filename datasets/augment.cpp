#include "augment.h"

#include "content_hash.h"
#include "demo_scenes.h"
#include "image.h"

#include "image_codecs.h"
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <regex>

namespace ember::data {

namespace {

constexpr int kJpegQuality = 92;

// Word swaps that never change which robot fits: verbs and adverbs, not places or objects.
const std::vector<std::pair<std::string, std::vector<std::string>>>& synonyms()
{
    static const std::vector<std::pair<std::string, std::vector<std::string>>> s = {
        {"Inspect", {"Examine", "Check"}},        {"inspect", {"examine", "check"}},
        {"Survey", {"Scan", "Surveil"}},          {"Carry", {"Transport", "Bring"}},
        {"carry", {"transport", "bring"}},        {"Deliver", {"Bring", "Take"}},
        {"Move", {"Shift", "Relocate"}},          {"Check", {"Inspect", "Examine"}},
        {"Collect", {"Gather", "Pick up"}},       {"Find", {"Locate", "Track down"}},
        {"Monitor", {"Watch", "Keep an eye on"}}, {"quickly", {"fast", "rapidly"}},
        {"as fast as possible", {"as quickly as possible", "without delay"}},
        {"Search", {"Look through", "Comb"}},     {"Help", {"Assist"}},
        {"Patrol", {"Guard", "Walk a patrol of"}},
    };
    return s;
}

const std::vector<std::string>& prefixes()
{
    static const std::vector<std::string> p = {"", "Please ", "We need to ", "Your job: ", "The goal is to ",
                                               "Can you ", "Task for today: "};
    return p;
}

std::string lowerFirst(std::string s)
{
    if (s.size() > 1 && std::isupper(static_cast<unsigned char>(s[0])) && !std::isupper(static_cast<unsigned char>(s[1])))
        s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
    return s;
}

bool mentionsSides(const Sample& s)
{
    static const std::regex sides(R"(\b(left|right|east|west)\b)", std::regex::icase);
    if (std::regex_search(s.task, sides) || std::regex_search(s.caption, sides)) return true;
    for (const auto& q : s.qa)
        if (std::regex_search(q.question, sides) || std::regex_search(q.answer, sides)) return true;
    return false;
}

} // namespace

std::string paraphraseTask(const std::string& task, uint64_t seed)
{
    demo::Rng rng(seed);
    std::string out = task;
    for (const auto& [word, alts] : synonyms()) {
        const auto pos = out.find(word);
        if (pos == std::string::npos) continue;
        const bool boundaryBefore = pos == 0 || !std::isalpha(static_cast<unsigned char>(out[pos - 1]));
        const size_t end = pos + word.size();
        const bool boundaryAfter = end >= out.size() || !std::isalpha(static_cast<unsigned char>(out[end]));
        if (boundaryBefore && boundaryAfter && rng.chance(0.6)) out.replace(pos, word.size(), rng.pick(alts));
    }
    const std::string& prefix = rng.pick(prefixes());
    if (!prefix.empty()) {
        out = prefix + lowerFirst(out);
        if (prefix == "Can you " && !out.empty() && out.back() == '.') out.back() = '?';
    }
    return out;
}

std::string ImageTransform::describe() const
{
    std::string s;
    if (flip) s += "flip,";
    if (brightness != 0 || contrast != 1 || saturation != 1) s += "jitter,";
    if (cropFraction < 1) s += "crop,";
    if (!s.empty()) s.pop_back();
    return s;
}

ImageTransform randomTransform(uint64_t seed, bool allowFlip)
{
    demo::Rng rng(seed);
    ImageTransform t;
    t.flip = allowFlip && rng.chance(0.5);
    t.brightness = rng.real(-25, 25);
    t.contrast = rng.real(0.8, 1.2);
    t.saturation = rng.real(0.7, 1.3);
    // A crop that keeps most of the frame, so counted objects stay (mostly) inside.
    t.cropFraction = rng.chance(0.5) ? rng.real(0.85, 0.97) : 1.0;
    t.cropX = rng.real();
    t.cropY = rng.real();
    return t;
}

cv::Mat applyTransform(const cv::Mat& bgr, const ImageTransform& t)
{
    cv::Mat img = bgr.clone();
    if (t.flip) cv::flip(img, img, 1);
    if (t.cropFraction < 1) {
        const int w = std::max(1, static_cast<int>(img.cols * t.cropFraction));
        const int h = std::max(1, static_cast<int>(img.rows * t.cropFraction));
        const int x = static_cast<int>((img.cols - w) * t.cropX), y = static_cast<int>((img.rows - h) * t.cropY);
        cv::resize(img(cv::Rect(x, y, w, h)), img, bgr.size(), 0, 0, cv::INTER_LINEAR);
    }
    img.convertTo(img, -1, t.contrast, t.brightness + 128 * (1 - t.contrast));
    if (t.saturation != 1) {
        cv::Mat hsv;
        cv::cvtColor(img, hsv, cv::COLOR_BGR2HSV);
        std::vector<cv::Mat> ch;
        cv::split(hsv, ch);
        ch[1].convertTo(ch[1], -1, t.saturation, 0);
        cv::merge(ch, hsv);
        cv::cvtColor(hsv, img, cv::COLOR_HSV2BGR);
    }
    return img;
}

Sample augmentSample(const Workspace& ws, const Sample& src, int index, const AugmentOptions& opts, cv::Mat* image)
{
    const std::string key = src.uid + ":aug:" + std::to_string(opts.seed) + ":" + std::to_string(index);
    const uint64_t h = hash64(key);
    Sample s = src;
    s.id = 0;
    s.uid = sha256Hex(key).substr(0, 16);
    s.derivedFrom = src.uid;
    s.created = s.modified = 0;
    s.source = "augment:" + src.source;
    std::vector<std::string> ops;
    if (opts.text && !src.task.empty()) {
        s.task = paraphraseTask(src.task, h);
        if (s.task != src.task) ops.push_back("paraphrase");
    }
    if (image) *image = cv::Mat();
    if (opts.images && src.image.id && image) {
        cv::Mat orig;   // BGR, decoded as the model and the views decode it (upright, alpha on white)
        try {
            const ember::RgbImage rgb = ember::decodeImageFile(ws.absolutePath(src.image.path));
            cv::cvtColor(cv::Mat(rgb.height, rgb.width, CV_8UC3, const_cast<uint8_t*>(rgb.rgb.data())), orig,
                         cv::COLOR_RGB2BGR);
        } catch (const ember::ImageError&) {
            // a missing or unreadable file: the sample keeps its text augmentation only
        }
        if (!orig.empty()) {
            const auto t = randomTransform(h ^ 0xA5A5A5A5ull, !mentionsSides(src));
            *image = applyTransform(orig, t);
            if (!t.describe().empty()) ops.push_back(t.describe());
        }
    }
    s.augmentation.clear();
    for (const auto& o : ops) s.augmentation += (s.augmentation.empty() ? "" : ",") + o;
    return s;
}

AugmentReport augmentWorkspace(Workspace& ws, const AugmentOptions& opts, const Progress& progress)
{
    if (opts.factor < 0 || opts.factor > 100) throw std::invalid_argument("augmentation factor must be in [0, 100]");
    AugmentReport rep;
    SampleQuery q = opts.filter;
    const auto ids = ws.ids(q);
    rep.sources = static_cast<int64_t>(ids.size());
    std::vector<std::string> written;
    bool committed = false;
    {
        Transaction tx(ws.database());
        try {
            for (size_t i = 0; i < ids.size(); ++i) {
                report(progress, static_cast<int64_t>(i), rep.sources);
                const auto src = ws.get(ids[i]);
                if (!src) continue;
                for (int k = 0; k < opts.factor; ++k) {
                    cv::Mat img;
                    Sample s = augmentSample(ws, *src, k, opts, &img);
                    if (ws.getByUid(s.uid)) {
                        ++rep.skipped;
                        continue;
                    }
                    if (!img.empty()) {
                        const std::vector<uint8_t> jpeg = codecs::encodeJpeg(img, kJpegQuality);
                        auto stored = ws.storeImageBytes(jpeg, "jpg");
                        if (stored.newFile) written.push_back(ws.absolutePath(stored.info.path));
                        s.image = stored.info;
                    }
                    ws.insertInTransaction(s);
                    ++rep.created;
                }
            }
            tx.commit();
            committed = true;
        } catch (...) {
            std::error_code ec;
            for (const auto& f : written) std::filesystem::remove(f, ec);
            throw;
        }
    }
    (void)committed;
    report(progress, rep.sources, rep.sources);
    return rep;
}

} // namespace ember::data
