#pragma once
// Procedural scenes for the demo world: what a scene contains (SceneFacts) and how it looks
// (renderScene). The text about a scene is in demo_text; no text is ever drawn into the image.
#include <opencv2/core.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace ember::data::demo {

// A small, platform-independent generator: the same seed gives the same world everywhere
// (std::uniform_*_distribution is implementation-defined).
class Rng {
public:
    explicit Rng(uint64_t seed) : s_(seed ^ 0x9E3779B97F4A7C15ull) { next(); }
    uint64_t next()
    {   // splitmix64
        uint64_t z = (s_ += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    int range(int lo, int hi) { return lo + static_cast<int>(next() % static_cast<uint64_t>(hi - lo + 1)); }   // [lo, hi]
    double real() { return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0); }
    double real(double lo, double hi) { return lo + (hi - lo) * real(); }
    bool chance(double p) { return real() < p; }
    template <typename T> const T& pick(const std::vector<T>& v) { return v[next() % v.size()]; }

private:
    uint64_t s_;
};

enum class Environment {
    OpenSky,       // fields or a skyline under a wide sky
    Rooftop,       // roofs and towers seen from above the street
    Underwater,    // reef, seabed, wreck or pipeline
    Home,          // living room or kitchen with people
    Office,        // desks, screens and people
    Warehouse,     // flat floor, shelving, boxes
    Road,          // paved street or parking lot
    RoughTerrain,  // rocky hills, boulders
    Rubble,        // collapsed building, debris
    Stairs,        // a staircase between floors
    Harbour,       // mixed: water with a pier and sky
    DisasterSite,  // mixed: smoke over rubble and broken streets
    Loading        // mixed: warehouse floor with stairs to a mezzanine
};
constexpr int kEnvironmentCount = 13;
const char* environmentName(Environment e);   // "open sky", "rooftop", ...

struct SceneFacts {
    Environment env = Environment::OpenSky;
    std::string timeOfDay = "day";   // day | dusk | night (outdoor); indoor scenes use "day"
    std::string weather = "clear";   // clear | cloudy | foggy (outdoor)
    bool outdoor = true;
    bool water = false;
    int people = 0;
    int buildings = 0;
    int fish = 0;
    int boxes = 0;
    int vehicles = 0;
    int rocks = 0;
    int trees = 0;
    int steps = 0;          // stair steps
    bool smoke = false;
    bool wreck = false;     // underwater: a sunken hull
    bool pipeline = false;
    bool solarPanels = false;
    std::string variant;    // a finer label: "living room", "kitchen", "reef", "parking lot", ...
};

SceneFacts randomFacts(Environment env, Rng& rng);
// BGR image of size×size. Deterministic for (facts, rng state).
cv::Mat renderScene(const SceneFacts& facts, Rng& rng, int size);

} // namespace ember::data::demo
