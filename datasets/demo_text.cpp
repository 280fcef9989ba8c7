#include "demo_text.h"

#include <algorithm>
#include <cctype>

namespace ember::data::demo {

namespace {

enum Robot { kDrone = 0, kUnderwater = 1, kHumanoid = 2, kWheels = 3, kLegs = 4 };

std::string number(int n)
{
    static const char* words[] = {"no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
                                  "eleven", "twelve"};
    return n >= 0 && n <= 12 ? words[n] : std::to_string(n);
}

std::string counted(int n, const std::string& one, const std::string& many)
{
    return number(n) + " " + (n == 1 ? one : many);
}

std::string capitalised(std::string s)
{
    if (!s.empty()) s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
    return s;
}

std::string article(const std::string& word)
{
    return (std::string("aeiou").find(word[0]) != std::string::npos ? "an " : "a ") + word;
}

std::string whenAndWeather(const SceneFacts& f)
{
    if (!f.outdoor || f.env == Environment::Underwater) return "";
    std::string s = f.timeOfDay == "night" ? " at night" : f.timeOfDay == "dusk" ? " at dusk" : " in daylight";
    if (f.weather == "cloudy") s += " under a cloudy sky";
    else if (f.weather == "foggy") s += " in fog";
    else if (f.timeOfDay != "night") s += " under a clear sky";
    return s;
}

// The place as a noun phrase with its article ("a valley", "farmland", "rooftops").
std::string placeName(const SceneFacts& f)
{
    const std::string& v = f.variant;
    if (v == "farmland" || v == "rooftops" || v == "outdoor steps") return v;
    if (v == "city outskirts") return "the outskirts of a city";
    if (v == "reef") return "a coral reef";
    return article(v);
}

// A short description used both in captions and in the first reasoning step.
std::string sceneSummary(const SceneFacts& f)
{
    switch (f.env) {
    case Environment::OpenSky:
        return "a wide view over " + placeName(f) + (f.buildings ? " with " + counted(f.buildings, "building", "buildings") + " on the horizon" : "") +
               (f.trees ? std::string(f.buildings ? " and " : " with ") + counted(f.trees, "tree", "trees") : "");
    case Environment::Rooftop:
        return "the rooftops of " + counted(f.buildings, "building", "buildings") + " high above the street" +
               (f.solarPanels ? ", with solar panels on one roof" : "");
    case Environment::Underwater: {
        std::string s = f.variant == "reef" ? "a coral reef under water" : f.variant == "deep seabed" ? "a dark, deep seabed" : "a shallow lagoon seen from under the surface";
        s += " with " + counted(f.fish, "fish", "fish");
        if (f.wreck) s += " and a sunken ship";
        if (f.pipeline) s += " and a pipeline along the bottom";
        return s;
    }
    case Environment::Home:
        return article(f.variant) + " with " + counted(f.people, "person", "people") +
               (f.variant == "kitchen" ? " near the counter" : " and a sofa");
    case Environment::Office:
        return "an open-plan office with desks, screens and " + counted(f.people, "person", "people");
    case Environment::Warehouse:
        return "a warehouse with tall shelving, marked lanes on a flat floor and " + counted(f.boxes, "box", "boxes");
    case Environment::Road:
        return (f.variant == "street" ? std::string("a paved street") : std::string("a paved parking lot")) + " with " +
               counted(f.vehicles, "car", "cars") + " and " + counted(f.buildings, "building", "buildings") + " nearby";
    case Environment::RoughTerrain:
        return article(f.variant) + " covered with " + counted(f.rocks, "rock", "rocks") +
               (f.trees ? " and " + counted(f.trees, "tree", "trees") : "");
    case Environment::Rubble:
        return "a collapsed building with broken walls and heaps of debris" + std::string(f.smoke ? " under drifting smoke" : "");
    case Environment::Stairs:
        return (f.outdoor ? std::string("a flight of outdoor steps") : std::string("an indoor stairwell")) + " with " +
               counted(f.steps, "step", "steps") + (f.people ? " and one person on them" : "");
    case Environment::Harbour:
        return "a harbour with a wooden pier standing on pilings in the water" +
               (f.people ? ", " + counted(f.people, "person", "people") + " on the pier" : std::string());
    case Environment::DisasterSite:
        return "a disaster site where smoke rises over collapsed walls and debris";
    case Environment::Loading:
        return "a warehouse floor with " + counted(f.boxes, "box", "boxes") + " and a staircase up to a mezzanine";
    }
    return "a scene";
}

// Why the environment constrains the choice (reasoning step 3).
std::string constraint(Environment e)
{
    switch (e) {
    case Environment::OpenSky: return "The area is wide and open, so speed and a view from above matter more than payload.";
    case Environment::Rooftop: return "The work is high above the street, where nothing moving on the ground can reach.";
    case Environment::Underwater: return "Everything of interest is below the surface, so the robot has to dive and move through water.";
    case Environment::Home: return "A home is built for people: furniture, doors and objects are sized for human hands.";
    case Environment::Office: return "An office is made for people, with doors, handles and staff who expect to be spoken to.";
    case Environment::Warehouse: return "The floor is flat and smooth with marked lanes, ideal for fast and efficient ground transport.";
    case Environment::Road: return "The surface is paved and level, so fast ground travel with a good payload is possible.";
    case Environment::RoughTerrain: return "The ground is steep and uneven and strewn with rocks that block anything that rolls.";
    case Environment::Rubble: return "Broken concrete and debris make the ground unstable and full of gaps.";
    case Environment::Stairs: return "Steps separate the levels, so the robot must be able to climb them.";
    case Environment::Harbour: return "The job has two parts: the open air above the water and the structure below the waterline.";
    case Environment::DisasterSite: return "Smoke hides parts of the site from the ground and debris covers every path.";
    case Environment::Loading: return "Most of the floor is flat, but the upper level can only be reached by the stairs.";
    }
    return "";
}

// Why a robot beats the others when it works alone (reasoning step 4).
std::string whyAlone(int robot)
{
    switch (robot) {
    case kDrone: return "Flying is the fastest way to cover distance and reach high places; a ground robot would be slow or could not get there at all.";
    case kUnderwater: return "Only a submersible can work here; flying, walking and rolling robots cannot operate under water.";
    case kHumanoid: return "The work needs hands, tools and a natural way of dealing with people, which flying, rolling and four-legged robots lack.";
    case kWheels: return "On flat ground, rolling is the fastest and most energy-efficient way to move loads; legs or flight would waste energy.";
    case kLegs: return "Walking keeps footing on uneven ground and climbs steps; wheels would get stuck and flight cannot carry the load for long.";
    }
    return "";
}

// What a robot contributes when it is part of a team.
std::string roleInTeam(int robot)
{
    switch (robot) {
    case kDrone: return "a flying robot covers the area quickly and sees it from above";
    case kUnderwater: return "a submersible handles everything below the waterline";
    case kHumanoid: return "a human-like robot handles objects and people";
    case kWheels: return "a wheeled robot moves loads fast across the flat floor";
    case kLegs: return "a legged robot crosses broken ground and climbs steps";
    }
    return "";
}

std::string conclusion(const std::vector<int>& robots)
{
    if (robots.size() == 1) return "The best choice is therefore the " + robotName(robots[0]) + ".";
    std::string s = "No single robot does every part, so the team is the ";
    for (size_t i = 0; i < robots.size(); ++i) {
        if (i) s += i + 1 == robots.size() ? " and the " : ", the ";
        s += robotName(robots[i]);
    }
    return s + ".";
}

struct TaskDef {
    std::string text;
    std::vector<int> robots;
    std::string need;
    std::vector<Subtask> subtasks = {};
};

std::vector<TaskDef> openSkyTasks(const SceneFacts& f)
{
    const std::string& v = f.variant;
    return {{"Survey the " + (v == "city outskirts" ? std::string("outskirts of the city") : v) + " from above and map the areas damaged by the storm.", {kDrone}, "quick coverage of a large area from a high viewpoint"},
            {"Deliver a small first-aid kit across the " + v + " as fast as possible.", {kDrone}, "fast transport of a light package over open ground"},
            {"Count the animals grazing across the " + v + " in a single pass.", {kDrone}, "a high viewpoint over a wide open space"},
            {"Follow the flock of birds and record where it settles.", {kDrone}, "keeping up with fast movement in the air"}};
}

std::vector<TaskDef> rooftopTasks(const SceneFacts& f)
{
    std::vector<TaskDef> t{{"Inspect the top of the tallest building for cracks.", {kDrone}, "reaching a high, hard-to-reach spot"},
                           {"Photograph every antenna mast on these roofs after the storm.", {kDrone}, "moving quickly between high points"},
                           {"Look for a lost cat on the rooftops without entering the buildings.", {kDrone}, "searching high places from the air"}};
    if (f.solarPanels) t.push_back({"Check the solar panels on the roof for dirt and damage.", {kDrone}, "a close look at a surface high above the ground"});
    return t;
}

std::vector<TaskDef> underwaterTasks(const SceneFacts& f)
{
    const std::string& v = f.variant;
    std::vector<TaskDef> t{{"Survey the " + v + " and count the kinds of fish living there.", {kUnderwater}, "moving and observing below the surface"},
                           {"Recover a lost camera from the sea floor.", {kUnderwater}, "diving to the bottom and grasping an object"},
                           {"Measure the water temperature close to the bottom.", {kUnderwater}, "carrying a sensor deep under water"}};
    if (f.wreck) t.push_back({"Inspect the hull of the sunken ship for leaking fuel.", {kUnderwater}, "a close inspection of a structure on the seabed"});
    if (f.pipeline) t.push_back({"Follow the pipeline along the bottom and look for cracks.", {kUnderwater}, "following a structure on the seabed"});
    return t;
}

std::vector<TaskDef> homeTasks(const SceneFacts& f)
{
    const std::string& v = f.variant;
    if (v == "kitchen")
        return {{"Load the dishes from the counter into the dishwasher.", {kHumanoid}, "careful handling of fragile objects"},
                {"Prepare a cup of tea for the person in the kitchen.", {kHumanoid}, "using kitchen tools made for human hands"},
                {"Help the elderly resident sit down at the table.", {kHumanoid}, "gentle physical help for a person"}};
    return {{"Bring a glass of water to the person on the sofa.", {kHumanoid}, "carrying a glass and handing it to a person"},
            {"Tidy the living room and put the cushions back on the sofa.", {kHumanoid}, "picking up and placing household objects"},
            {"Help the elderly resident stand up and walk to the window.", {kHumanoid}, "gentle physical help for a person"}};
}

std::vector<TaskDef> officeTasks(const SceneFacts&)
{
    return {{"Greet the visitors and guide them to the meeting room.", {kHumanoid}, "talking with people and walking with them"},
            {"Hand out printed documents to the people at their desks.", {kHumanoid}, "handing objects to people"},
            {"Open the cabinet and fetch the blue folder for the manager.", {kHumanoid}, "opening doors and picking out one object"},
            {"Push the mail cart along the floor and hand each letter to its addressee.", {kHumanoid, kWheels}, "both moving a cart efficiently and handing items to people",
             {{"Move the mail cart between the desks", kWheels, 1}, {"Hand each letter to its addressee", kHumanoid, 2}}}};
}

std::vector<TaskDef> warehouseTasks(const SceneFacts&)
{
    return {{"Move the boxes from the shelves to the loading bay along the marked lanes.", {kWheels}, "moving loads efficiently along fixed routes"},
            {"Carry heavy crates across the warehouse floor all day long.", {kWheels}, "a good payload and long endurance"},
            {"Patrol the aisles at night and report any blocked lane.", {kWheels}, "fast, efficient travel on a flat floor"}};
}

std::vector<TaskDef> roadTasks(const SceneFacts& f)
{
    const std::string& v = f.variant;
    if (v == "parking lot")
        return {{"Patrol the parking lot and report cars parked in the fire lane.", {kWheels}, "fast, efficient travel over a level surface"},
                {"Collect the shopping carts left around the parking lot.", {kWheels}, "pushing loads across a paved area"}};
    return {{"Deliver parcels to the houses along this street.", {kWheels}, "carrying a payload quickly along a paved route"},
            {"Carry groceries from the shop to a house further down the road.", {kWheels}, "carrying a load over a smooth surface"},
            {"Sweep the litter from the pavement before morning.", {kWheels}, "steady travel along a level path"}};
}

std::vector<TaskDef> roughTerrainTasks(const SceneFacts& f)
{
    const std::string& v = f.variant;
    return {{"Carry water and supplies up the " + v + " to the hikers' camp.", {kLegs}, "carrying a load over steep, broken ground"},
            {"Inspect the fence posts along the " + v + ".", {kLegs}, "a close look while walking over rocks"},
            {"Collect rock samples from across the " + v + ".", {kLegs}, "stable footing and stops at many points on rough ground"}};
}

std::vector<TaskDef> rubbleTasks(const SceneFacts&)
{
    return {{"Climb over the debris and check inside the collapsed building for gas leaks.", {kLegs}, "crossing unstable debris at ground level"},
            {"Carry a sensor package across the broken concrete to the far wall.", {kLegs}, "carrying a load over loose rubble"},
            {"Search the collapse for survivors: map it from above, then check the gaps at ground level.", {kDrone, kLegs}, "both an overview from the air and access to narrow gaps in the debris",
             {{"Map the collapse from above", kDrone, 1}, {"Check the gaps in the debris at ground level", kLegs, 2}}}};
}

std::vector<TaskDef> stairsTasks(const SceneFacts& f)
{
    if (f.outdoor)
        return {{"Carry the toolbox up the steps to the upper terrace.", {kLegs}, "climbing steps while carrying a load"},
                {"Patrol these steps at night and report anything left on them.", {kLegs}, "going up and down steps repeatedly"}};
    return {{"Carry a box up the stairs and put it on a shelf in the upstairs office.", {kHumanoid, kLegs}, "climbing stairs with a load and then placing it with care",
             {{"Carry the box up the stairs", kLegs, 1}, {"Put the box on the shelf", kHumanoid, 2}}},
            {"Patrol the stairwell between the floors during the night.", {kLegs}, "climbing stairs again and again"}};
}

std::vector<TaskDef> harbourTasks(const SceneFacts&)
{
    return {{"Inspect the pier's pilings both above and below the waterline.", {kDrone, kUnderwater}, "both a view from the air and a dive below the surface",
             {{"Inspect the pilings above the water", kDrone, 1}, {"Inspect the pilings below the waterline", kUnderwater, 1}}},
            {"Find the source of an oil sheen: scan the water surface, then check the pier below the water.", {kDrone, kUnderwater}, "a fast search of the surface and an inspection under water",
             {{"Scan the water surface for the sheen", kDrone, 1}, {"Check the pier's structure under water", kUnderwater, 2}}},
            {"Check the hull and propeller of the boat moored in the harbour.", {kUnderwater}, "working below the waterline"}};
}

std::vector<TaskDef> disasterSiteTasks(const SceneFacts&)
{
    return {{"Map the disaster area from above and bring a radio to the people cut off behind the debris.", {kDrone, kLegs}, "both an aerial overview and a delivery over broken ground",
             {{"Map the area from above", kDrone, 1}, {"Carry the radio over the debris", kLegs, 2}}},
            {"Find hot spots through the smoke and carry an extinguisher over the rubble to them.", {kDrone, kLegs}, "both a view over the smoke and a load carried across debris",
             {{"Locate hot spots from the air", kDrone, 1}, {"Carry the extinguisher to the hot spots", kLegs, 2}}}};
}

std::vector<TaskDef> loadingTasks(const SceneFacts&)
{
    return {{"Move the boxes across the floor and carry some of them up the stairs to the mezzanine.", {kWheels, kLegs}, "both efficient transport on the flat floor and climbing stairs with a load",
             {{"Move the boxes across the floor to the stairs", kWheels, 1}, {"Carry the boxes up to the mezzanine", kLegs, 2}}},
            {"Take stock of the boxes on the floor and on the upper level.", {kWheels, kLegs}, "covering the floor quickly and reaching the upper level by the stairs",
             {{"Count the boxes on the floor", kWheels, 1}, {"Count the boxes on the mezzanine", kLegs, 1}}}};
}

// The tasks a scene can be given, each with the robots that suit it and why.
std::vector<TaskDef> tasksFor(const SceneFacts& f)
{
    switch (f.env) {
    case Environment::OpenSky: return openSkyTasks(f);
    case Environment::Rooftop: return rooftopTasks(f);
    case Environment::Underwater: return underwaterTasks(f);
    case Environment::Home: return homeTasks(f);
    case Environment::Office: return officeTasks(f);
    case Environment::Warehouse: return warehouseTasks(f);
    case Environment::Road: return roadTasks(f);
    case Environment::RoughTerrain: return roughTerrainTasks(f);
    case Environment::Rubble: return rubbleTasks(f);
    case Environment::Stairs: return stairsTasks(f);
    case Environment::Harbour: return harbourTasks(f);
    case Environment::DisasterSite: return disasterSiteTasks(f);
    case Environment::Loading: return loadingTasks(f);
    }
    return {};
}

} // namespace

std::string caption(const SceneFacts& f)
{
    return capitalised(sceneSummary(f)) + whenAndWeather(f) + ".";
}

namespace {

// One question about the scene in one of its wordings; each wording has its own answer form, so
// an answer follows from the question and the picture, never from the question alone.
struct Asked {
    std::string question, answer;
};

std::string timeWord(const SceneFacts& f) { return f.timeOfDay == "night" ? "night" : f.timeOfDay == "dusk" ? "dusk" : "daytime"; }

std::vector<Asked> timeQuestions(const SceneFacts& f)
{
    const std::string t = timeWord(f);
    return {{"What time of day is it?", capitalised(t) + "."},
            {"Is it day or night?", "It is " + t + "."},
            {"When was this picture taken?", t == "night" ? "At night." : t == "dusk" ? "At dusk." : "During the day."}};
}

std::vector<Asked> weatherQuestions(const SceneFacts& f)
{
    return {{"What is the weather like?", capitalised(f.weather) + "."},
            {"How is the sky?", f.weather == "foggy" ? "It is foggy." : "The sky is " + f.weather + "."}};
}

std::string skyContents(const SceneFacts& f)
{
    if (f.weather == "foggy") return "Only fog.";
    if (f.timeOfDay == "night") return f.weather == "cloudy" ? "Dark clouds at night." : "The moon and stars.";
    if (f.weather == "cloudy") return "Grey clouds.";
    return f.timeOfDay == "dusk" ? "The setting sun." : "The sun.";
}

// What a ground robot would have to get past, when the scene has an obstacle.
std::string obstacle(const SceneFacts& f)
{
    switch (f.env) {
    case Environment::RoughTerrain: return "Rocks and steep, uneven ground.";
    case Environment::Rubble: return "Heaps of broken concrete.";
    case Environment::DisasterSite: return "Debris and smoke.";
    case Environment::Stairs: return "A flight of " + number(f.steps) + " steps.";
    case Environment::Loading: return "The stairs up to the mezzanine.";
    case Environment::Road: return f.vehicles ? "Nothing; the cars are parked." : "Nothing; the road is clear.";
    case Environment::Warehouse: return "Nothing; the lanes are clear.";
    default: return "";
    }
}

std::string peopleAnswer(int n)
{
    if (n == 0) return "There is nobody.";
    return n == 1 ? "There is one person." : "There are " + number(n) + " people.";
}

} // namespace

std::vector<QaPair> questions(const SceneFacts& f, Rng& rng)
{
    std::vector<std::vector<Asked>> families;
    const std::string place = capitalised(placeName(f));
    families.push_back({{"Where was this picture taken?", place + "."},
                        {"What kind of place is this?", "It is " + placeName(f) + "."}});
    families.push_back({{"Is there water in the scene?", f.water ? "Yes." : "No."},
                        {"Can you see any water?", f.water ? "Yes, there is water." : "No, there is no water."}});
    const bool sky = f.outdoor && f.env != Environment::Underwater;
    if (sky) {
        families.push_back(timeQuestions(f));
        families.push_back(weatherQuestions(f));
        families.push_back({{"What is in the sky?", skyContents(f)}});
    }
    families.push_back({{"Is this scene indoors or outdoors?", f.env == Environment::Underwater ? "Under water." : f.outdoor ? "Outdoors." : "Indoors."},
                        {"Are we inside or outside?", f.env == Environment::Underwater ? "Under water." : f.outdoor ? "Outside." : "Inside."}});
    const bool peopleMatter = f.env == Environment::Home || f.env == Environment::Office || f.env == Environment::Road ||
                              f.env == Environment::Harbour || f.env == Environment::Stairs || f.env == Environment::Warehouse;
    if (peopleMatter)
        families.push_back({{"How many people are there?", capitalised(number(f.people)) + "."},
                            {"How many people can you see?", peopleAnswer(f.people)}});
    if (f.env == Environment::Underwater) {
        families.push_back({{"How many fish can you see?", capitalised(number(f.fish)) + "."}});
        families.push_back({{"Is there a sunken ship?", f.wreck ? "Yes." : "No."},
                            {"What lies on the bottom?", f.wreck ? "A sunken ship." : f.pipeline ? "A pipeline." : "Sand and seaweed."}});
    }
    if (f.env == Environment::Warehouse || f.env == Environment::Loading)
        families.push_back({{"How many boxes are there?", capitalised(number(f.boxes)) + "."},
                            {"Count the boxes.", "There " + std::string(f.boxes == 1 ? "is " : "are ") + counted(f.boxes, "box", "boxes") + "."}});
    if (f.env == Environment::Road)
        families.push_back({{"How many cars are there?", capitalised(number(f.vehicles)) + "."}});
    if (!obstacle(f).empty()) families.push_back({{"What blocks the way?", obstacle(f)}});
    families.push_back({{"Are there stairs in the image?", f.steps ? "Yes." : "No."}});
    if (f.smoke || f.env == Environment::Rubble) families.push_back({{"Is there smoke?", f.smoke ? "Yes." : "No."}});
    if (f.env == Environment::Rooftop) families.push_back({{"Are there solar panels?", f.solarPanels ? "Yes." : "No."}});
    // Three or four questions in a seed-dependent order and wording.
    std::vector<QaPair> out;
    const int keep = rng.range(3, 4);
    for (int i = 0; i < keep && !families.empty(); ++i) {
        const size_t k = rng.next() % families.size();
        const auto& a = rng.pick(families[k]);
        out.push_back({a.question, a.answer});
        families.erase(families.begin() + static_cast<std::ptrdiff_t>(k));
    }
    return out;
}

const std::vector<SharedTask>& sharedTasks()
{
    using E = Environment;
    static const std::vector<SharedTask> t = {
        {"Find the source of the leak and report where it is.",
         {{kUnderwater, {E::Underwater}, "following the pipeline along the seabed to the leak"},
          {kDrone, {E::Rooftop}, "a close look at roofs high above the street"},
          {kHumanoid, {E::Home}, "opening cupboards and checking taps inside a home"},
          {kLegs, {E::Stairs}, "going down the stairs to the basement below"}}},
        {"Bring this package to the person waiting there.",
         {{kWheels, {E::Road}, "carrying a package quickly along a paved route"},
          {kLegs, {E::Stairs, E::RoughTerrain}, "carrying a package over steps or rocks"},
          {kHumanoid, {E::Office, E::Home}, "handing a package to a person indoors"},
          {kDrone, {E::OpenSky}, "flying a light package across open country"}}},
        {"Inspect the structure for damage and report what you find.",
         {{kDrone, {E::Rooftop}, "a view of high roofs and towers"},
          {kUnderwater, {E::Underwater}, "a close look at a structure under water"},
          {kLegs, {E::Rubble}, "walking over unstable debris to the broken walls"}}},
        {"Search the area for the lost backpack.",
         {{kDrone, {E::OpenSky}, "a fast search of a wide open area from above"},
          {kLegs, {E::RoughTerrain}, "a search on foot across rocks"},
          {kUnderwater, {E::Underwater}, "a search of the sea floor"},
          {kWheels, {E::Warehouse}, "a quick search along the lanes of a flat floor"}}},
        {"Patrol the area tonight and report anything unusual.",
         {{kWheels, {E::Road, E::Warehouse}, "steady travel over a flat surface for hours"},
          {kLegs, {E::Stairs, E::RoughTerrain}, "walking over steps or rough ground for hours"},
          {kDrone, {E::Rooftop}, "moving between high roofs"},
          {kHumanoid, {E::Office}, "checking doors and speaking to staff indoors"}}},
        {"Carry the supplies to the far end.",
         {{kWheels, {E::Warehouse, E::Road}, "moving a load fast across level ground"},
          {kLegs, {E::RoughTerrain, E::Rubble}, "carrying a load over broken ground"},
          {kUnderwater, {E::Underwater}, "carrying a load along the seabed"}}},
    };
    return t;
}

void fitScene(SceneFacts& f, const SharedTask& task)
{
    const std::string& t = task.text;
    if (t.rfind("Find the source of the leak", 0) == 0) {
        if (f.env == Environment::Underwater) {
            f.pipeline = true;
            f.wreck = false;
        }
        if (f.env == Environment::Home) f.variant = "kitchen";
        if (f.env == Environment::Stairs) {
            f.outdoor = false;
            f.variant = "stairwell";
            f.timeOfDay = "day";
            f.weather = "clear";
        }
    }
    if (t.rfind("Bring this package", 0) == 0 && f.env != Environment::OpenSky && f.env != Environment::RoughTerrain)
        f.people = std::max(f.people, 1);
    if (t.rfind("Inspect the structure", 0) == 0 && f.env == Environment::Underwater) {
        f.wreck = true;
        f.pipeline = false;
    }
}

std::map<std::string, std::string> sceneAttributes(const SceneFacts& f)
{
    std::map<std::string, std::string> a{{"place", environmentName(f.env)}, {"variant", f.variant},
                                         {"water", f.water ? "yes" : "no"}, {"stairs", f.steps ? "yes" : "no"}};
    if (f.outdoor && f.env != Environment::Underwater) {
        a["time"] = f.timeOfDay;
        a["weather"] = f.weather;
    }
    a["people"] = std::to_string(std::min(f.people, 4));
    if (f.env == Environment::Warehouse || f.env == Environment::Loading) a["boxes"] = std::to_string(f.boxes);
    if (f.env == Environment::Road) a["cars"] = std::to_string(f.vehicles);
    if (f.env == Environment::Underwater) {
        a["fish"] = std::to_string(f.fish);
        a["bottom"] = f.wreck ? "wreck" : f.pipeline ? "pipeline" : "sand";
    }
    if (f.smoke) a["smoke"] = "yes";
    return a;
}

namespace {

DemoTask reasonedTask(const SceneFacts& f, const std::string& text, std::vector<int> robots, const std::string& need,
                      std::vector<Subtask> subtasks)
{
    DemoTask t;
    t.task = text;
    t.robots = normalizeRobots(std::move(robots));
    t.subtasks = std::move(subtasks);
    t.reasoning.push_back("The image shows " + sceneSummary(f) + whenAndWeather(f) + ".");
    t.reasoning.push_back("The task needs " + need + ".");
    t.reasoning.push_back(constraint(f.env));
    if (t.robots.size() == 1)
        t.reasoning.push_back(whyAlone(t.robots[0]));
    else {
        std::string roles;
        for (size_t i = 0; i < t.robots.size(); ++i)
            roles += (i ? (i + 1 == t.robots.size() ? " and " : ", ") : "") + roleInTeam(t.robots[i]);
        t.reasoning.push_back(capitalised(roles) + ".");
    }
    t.reasoning.push_back(conclusion(t.robots));
    return t;
}

} // namespace

DemoTask selectionTask(const SceneFacts& f, Rng& rng)
{
    const auto defs = tasksFor(f);
    const TaskDef& d = defs[rng.next() % defs.size()];
    return reasonedTask(f, d.text, d.robots, d.need, d.subtasks);
}

DemoTask sharedSelectionTask(const SceneFacts& f, const SharedTask& task, const SharedTask::Option& option)
{
    return reasonedTask(f, task.text, {option.robot}, option.need, {});
}

} // namespace ember::data::demo
