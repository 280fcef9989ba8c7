#include "demo_scenes.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

namespace ember::data::demo {

namespace {

constexpr int W = 256;   // scenes are drawn on a 256×256 canvas, then resized

using C = cv::Scalar;    // BGR

C mix(const C& a, const C& b, double t) { return a * (1 - t) + b * t; }

C jitter(const C& c, Rng& rng, int amount)
{
    return C(std::clamp(c[0] + rng.range(-amount, amount), 0.0, 255.0),
             std::clamp(c[1] + rng.range(-amount, amount), 0.0, 255.0),
             std::clamp(c[2] + rng.range(-amount, amount), 0.0, 255.0));
}

void gradient(cv::Mat& img, int y0, int y1, const C& top, const C& bottom)
{
    for (int y = std::max(0, y0); y < std::min(img.rows, y1); ++y) {
        const double t = y1 > y0 + 1 ? double(y - y0) / (y1 - y0 - 1) : 0;
        img.row(y).setTo(mix(top, bottom, t));
    }
}

void sky(cv::Mat& img, const SceneFacts& f, int horizon, Rng& rng)
{
    if (f.timeOfDay == "night") {
        gradient(img, 0, horizon, C(60, 25, 10), C(110, 60, 40));
        for (int i = 0; i < 40; ++i)
            cv::circle(img, {rng.range(0, W - 1), rng.range(0, std::max(1, horizon - 10))}, 1, C(230, 230, 255), -1);
        cv::circle(img, {rng.range(30, 220), rng.range(15, std::max(16, horizon / 3))}, 10, C(210, 235, 245), -1, cv::LINE_AA);
    } else if (f.timeOfDay == "dusk") {
        gradient(img, 0, horizon, C(120, 60, 80), C(80, 150, 250));
        cv::circle(img, {rng.range(40, 210), horizon - 12}, 16, C(90, 190, 255), -1, cv::LINE_AA);
    } else {
        gradient(img, 0, horizon, C(235, 170, 90), C(250, 225, 190));
        if (f.weather == "clear") cv::circle(img, {rng.range(30, 220), rng.range(20, 45)}, 14, C(150, 245, 255), -1, cv::LINE_AA);
    }
    const int clouds = f.weather == "cloudy" ? rng.range(3, 6) : f.weather == "clear" ? rng.range(0, 2) : 0;
    const C cloud = f.timeOfDay == "night" ? C(120, 100, 90) : f.weather == "cloudy" ? C(215, 215, 215) : C(250, 250, 250);
    for (int i = 0; i < clouds; ++i) {
        const cv::Point c{rng.range(10, W - 10), rng.range(15, std::max(20, horizon / 2))};
        for (int k = 0; k < 4; ++k)
            cv::ellipse(img, c + cv::Point(k * 12 - 18, (k % 2) * 5), {rng.range(12, 20), rng.range(7, 11)}, 0, 0, 360,
                        cloud, -1, cv::LINE_AA);
    }
}

void fog(cv::Mat& img, double amount)
{
    cv::Mat grey(img.size(), img.type(), C(210, 210, 205));
    cv::addWeighted(img, 1 - amount, grey, amount, 0, img);
}

void building(cv::Mat& img, int x, int w, int top, int bottom, const C& wall, bool lit, Rng& rng)
{
    cv::rectangle(img, {x, top}, {x + w, bottom}, wall, -1);
    cv::rectangle(img, {x, top}, {x + w, bottom}, wall * 0.7, 1);
    const C window = lit ? C(120, 220, 255) : C(170, 140, 110);
    for (int y = top + 6; y + 6 < bottom; y += 12)
        for (int xx = x + 4; xx + 5 < x + w; xx += 10)
            if (!lit || rng.chance(0.6)) cv::rectangle(img, {xx, y}, {xx + 5, y + 6}, window, -1);
}

void person(cv::Mat& img, int x, int feet, int h, Rng& rng)
{
    const C skin = rng.pick(std::vector<C>{C(150, 180, 230), C(100, 140, 190), C(60, 90, 140), C(170, 200, 240)});
    const C shirt = jitter(rng.pick(std::vector<C>{C(200, 80, 40), C(40, 40, 200), C(60, 160, 60), C(160, 60, 160), C(40, 160, 220)}), rng, 20);
    const int head = std::max(3, h / 7);
    const int bodyTop = feet - h + 2 * head;
    cv::line(img, {x - h / 10, feet}, {x, feet - h / 2 + head / 2}, C(70, 50, 40), std::max(2, h / 14), cv::LINE_AA);
    cv::line(img, {x + h / 10, feet}, {x, feet - h / 2 + head / 2}, C(70, 50, 40), std::max(2, h / 14), cv::LINE_AA);
    cv::rectangle(img, {x - h / 8, bodyTop}, {x + h / 8, feet - h / 2 + head / 2}, shirt, -1);
    cv::line(img, {x - h / 8, bodyTop + 2}, {x - h / 5, bodyTop + h / 3}, shirt, std::max(2, h / 16), cv::LINE_AA);
    cv::line(img, {x + h / 8, bodyTop + 2}, {x + h / 5, bodyTop + h / 3}, shirt, std::max(2, h / 16), cv::LINE_AA);
    cv::circle(img, {x, bodyTop - head}, head, skin, -1, cv::LINE_AA);
}

void fishAt(cv::Mat& img, cv::Point c, int len, const C& col, bool left)
{
    cv::ellipse(img, c, {len / 2, len / 4}, 0, 0, 360, col, -1, cv::LINE_AA);
    const int d = left ? 1 : -1;
    std::vector<cv::Point> tail{c + cv::Point(d * len / 2, 0), c + cv::Point(d * (len / 2 + len / 3), -len / 4),
                                c + cv::Point(d * (len / 2 + len / 3), len / 4)};
    cv::fillConvexPoly(img, tail, col, cv::LINE_AA);
    cv::circle(img, c + cv::Point(-d * len / 4, -len / 12), std::max(1, len / 12), C(20, 20, 20), -1);
}

void box(cv::Mat& img, int x, int y, int s, Rng& rng)
{
    const C col = jitter(C(70, 130, 180), rng, 20);
    cv::rectangle(img, {x, y}, {x + s, y + s}, col, -1);
    cv::rectangle(img, {x, y}, {x + s, y + s}, col * 0.6, 1);
    cv::line(img, {x + s / 2, y}, {x + s / 2, y + s}, C(170, 200, 220), 1);
}

void rock(cv::Mat& img, cv::Point c, int r, const C& col, Rng& rng)
{
    std::vector<cv::Point> pts;
    const int n = rng.range(6, 9);
    for (int i = 0; i < n; ++i) {
        const double a = 2 * M_PI * i / n;
        const double rr = r * rng.real(0.7, 1.1);
        pts.emplace_back(c.x + int(rr * std::cos(a)), c.y + int(rr * std::sin(a) * 0.7));
    }
    cv::fillPoly(img, std::vector<std::vector<cv::Point>>{pts}, jitter(col, rng, 15), cv::LINE_AA);
    cv::polylines(img, pts, true, col * 0.6, 1, cv::LINE_AA);
}

void tree(cv::Mat& img, int x, int ground, int h, Rng& rng)
{
    cv::rectangle(img, {x - 2, ground - h / 2}, {x + 2, ground}, C(30, 60, 90), -1);
    cv::circle(img, {x, ground - h / 2 - h / 4}, h / 3, jitter(C(40, 120, 50), rng, 20), -1, cv::LINE_AA);
}

void car(cv::Mat& img, int x, int y, int w, Rng& rng)
{
    const C col = jitter(rng.pick(std::vector<C>{C(40, 40, 180), C(180, 120, 40), C(200, 200, 200), C(30, 30, 30), C(40, 170, 230)}), rng, 15);
    cv::rectangle(img, {x, y - w / 4}, {x + w, y}, col, -1);
    cv::rectangle(img, {x + w / 5, y - w / 2 + 2}, {x + 4 * w / 5, y - w / 4}, col, -1);
    cv::rectangle(img, {x + w / 4, y - w / 2 + 4}, {x + 3 * w / 4, y - w / 4 - 1}, C(230, 210, 180), -1);
    cv::circle(img, {x + w / 5, y}, w / 8, C(20, 20, 20), -1, cv::LINE_AA);
    cv::circle(img, {x + 4 * w / 5, y}, w / 8, C(20, 20, 20), -1, cv::LINE_AA);
}

void smokeClouds(cv::Mat& img, Rng& rng)
{
    cv::Mat layer = img.clone();
    for (int i = 0; i < 7; ++i)
        cv::circle(layer, {rng.range(20, 236), rng.range(20, 120)}, rng.range(18, 40), C(90, 90, 95), -1, cv::LINE_AA);
    cv::addWeighted(img, 0.45, layer, 0.55, 0, img);
}

void stairs(cv::Mat& img, int x0, int y0, int steps, int stepW, int stepH, const C& col)
{
    for (int i = 0; i < steps; ++i) {
        const int x = x0 + i * stepW, y = y0 - (i + 1) * stepH;
        cv::rectangle(img, {x, y}, {x0 + steps * stepW, y + stepH}, col * (0.8 + 0.2 * (i % 2)), -1);
        cv::line(img, {x, y}, {x0 + steps * stepW, y}, col * 0.5, 1);
    }
}

// ---- one painter per environment ------------------------------------------------------------

void paintOpenSky(cv::Mat& img, const SceneFacts& f, Rng& rng)
{
    const int horizon = rng.range(170, 200);
    sky(img, f, horizon, rng);
    gradient(img, horizon, W, jitter(C(70, 150, 110), rng, 15), C(40, 110, 70));
    for (int i = 0; i < f.buildings; ++i) {   // a distant skyline
        const int bw = rng.range(12, 22), x = rng.range(0, W - bw);
        building(img, x, bw, horizon - rng.range(15, 40), horizon, C(120, 110, 105), f.timeOfDay == "night", rng);
    }
    for (int i = 0; i < f.trees; ++i) tree(img, rng.range(5, W - 5), rng.range(horizon + 10, W - 5), rng.range(20, 34), rng);
    for (int i = 0; i < 5; ++i)   // birds
        if (rng.chance(0.5)) {
            const cv::Point b{rng.range(20, 230), rng.range(30, horizon - 40)};
            cv::line(img, b, b + cv::Point(5, -3), C(40, 40, 40), 1, cv::LINE_AA);
            cv::line(img, b + cv::Point(5, -3), b + cv::Point(10, 0), C(40, 40, 40), 1, cv::LINE_AA);
        }
}

void paintRooftop(cv::Mat& img, const SceneFacts& f, Rng& rng)
{
    sky(img, f, W, rng);
    int x = -rng.range(0, 10);
    const bool lit = f.timeOfDay == "night";
    for (int i = 0; i < f.buildings; ++i) {
        const int bw = W / f.buildings + rng.range(-6, 6);
        const int top = rng.range(90, 170);
        building(img, x, bw, top, W, jitter(C(140, 135, 130), rng, 25), lit, rng);
        cv::rectangle(img, {x - 2, top - 4}, {x + bw + 2, top}, C(80, 80, 85), -1);   // parapet
        if (i == 0 && f.solarPanels)
            for (int p = 0; p < 3; ++p)
                cv::rectangle(img, {x + 4 + p * 14, top - 12}, {x + 15 + p * 14, top - 5}, C(120, 60, 30), -1);
        if (rng.chance(0.3)) cv::line(img, {x + bw / 2, top - 4}, {x + bw / 2, top - 30}, C(60, 60, 60), 2);   // mast
        x += bw;
    }
    if (f.weather == "foggy") fog(img, 0.4);
}

void paintUnderwater(cv::Mat& img, const SceneFacts& f, Rng& rng)
{
    const bool deep = f.variant == "deep seabed";
    gradient(img, 0, W, deep ? C(110, 60, 10) : C(200, 160, 40), deep ? C(50, 25, 5) : C(130, 90, 20));
    if (!deep)
        for (int i = 0; i < 5; ++i) {   // light shafts
            cv::Mat layer = img.clone();
            const int x = rng.range(0, W);
            std::vector<cv::Point> ray{{x, 0}, {x + 20, 0}, {x + 60, W}, {x + 30, W}};
            cv::fillConvexPoly(layer, ray, C(230, 220, 160), cv::LINE_AA);
            cv::addWeighted(img, 0.85, layer, 0.15, 0, img);
        }
    const int floor = rng.range(200, 225);
    cv::ellipse(img, {W / 2, floor + 60}, {220, 70}, 0, 180, 360, deep ? C(70, 80, 90) : C(120, 180, 200), -1, cv::LINE_AA);
    cv::rectangle(img, {0, floor + 55}, {W, W}, deep ? C(70, 80, 90) : C(120, 180, 200), -1);
    if (f.wreck) {
        std::vector<cv::Point> hull{{40, floor + 10}, {200, floor + 25}, {190, floor - 20}, {60, floor - 35}};
        cv::fillConvexPoly(img, hull, C(40, 60, 80), cv::LINE_AA);
        cv::rectangle(img, {100, floor - 60}, {130, floor - 30}, C(45, 65, 85), -1);
    }
    if (f.pipeline) {
        cv::line(img, {0, floor + 20}, {W, floor + 5}, C(60, 90, 120), 10, cv::LINE_AA);
        for (int x = 20; x < W; x += 50) cv::line(img, {x, floor + 24 - x / 17}, {x, floor + 14 - x / 17}, C(40, 60, 80), 3);
    }
    if (f.variant == "reef")
        for (int i = 0; i < 8; ++i) {
            const cv::Point c{rng.range(10, 246), floor + rng.range(0, 20)};
            cv::ellipse(img, c, {rng.range(8, 16), rng.range(6, 12)}, 0, 180, 360,
                        rng.pick(std::vector<C>{C(120, 80, 240), C(80, 160, 250), C(200, 120, 230)}), -1, cv::LINE_AA);
        }
    for (int i = 0; i < 6; ++i) {   // seaweed
        const int x = rng.range(5, 250), h = rng.range(25, 60);
        for (int y = 0; y < h; y += 4)
            cv::line(img, {x + int(4 * std::sin((y + x) * 0.3)), floor + 15 - y},
                     {x + int(4 * std::sin((y + 4 + x) * 0.3)), floor + 11 - y}, C(60, 140, 40), 3, cv::LINE_AA);
    }
    for (int i = 0; i < f.fish; ++i)
        fishAt(img, {rng.range(20, 236), rng.range(30, floor - 30)}, rng.range(12, 22),
               rng.pick(std::vector<C>{C(0, 160, 250), C(0, 220, 250), C(200, 200, 60), C(180, 100, 230)}), rng.chance(0.5));
    for (int i = 0; i < 12; ++i)
        cv::circle(img, {rng.range(0, W), rng.range(0, floor)}, rng.range(1, 3), C(250, 240, 220), 1, cv::LINE_AA);
}

void indoorRoom(cv::Mat& img, Rng& rng, const C& wall, const C& floorCol, int floorY)
{
    gradient(img, 0, floorY, wall, wall * 0.85);
    gradient(img, floorY, W, floorCol, floorCol * 0.75);
    cv::line(img, {0, floorY}, {W, floorY}, wall * 0.6, 2);
    (void)rng;
}

void paintHome(cv::Mat& img, const SceneFacts& f, Rng& rng)
{
    const int floorY = rng.range(150, 175);
    indoorRoom(img, rng, jitter(C(170, 210, 230), rng, 20), jitter(C(60, 100, 150), rng, 15), floorY);
    const int wx = rng.range(20, 150);   // window with a view of the sky
    cv::rectangle(img, {wx, 30}, {wx + 70, 95}, C(240, 200, 150), -1);
    cv::rectangle(img, {wx, 30}, {wx + 70, 95}, C(240, 240, 240), 3);
    cv::line(img, {wx + 35, 30}, {wx + 35, 95}, C(240, 240, 240), 2);
    if (f.variant == "kitchen") {
        cv::rectangle(img, {0, floorY - 45}, {W, floorY + 5}, C(200, 200, 200), -1);   // counter
        cv::rectangle(img, {0, floorY - 50}, {W, floorY - 44}, C(90, 90, 90), -1);
        for (int x = 10; x < W; x += 50) cv::rectangle(img, {x, floorY - 38}, {x + 40, floorY}, C(170, 170, 175), 1);
    } else {
        const int sx = rng.range(10, 120);   // sofa
        cv::rectangle(img, {sx, floorY - 35}, {sx + 110, floorY + 10}, jitter(C(60, 60, 150), rng, 30), -1);
        cv::rectangle(img, {sx, floorY - 55}, {sx + 110, floorY - 30}, jitter(C(50, 50, 130), rng, 30), -1);
        cv::rectangle(img, {sx + 40, floorY + 20}, {sx + 100, floorY + 30}, C(40, 70, 110), -1);   // table
    }
    for (int i = 0; i < f.people; ++i) person(img, 30 + i * (200 / std::max(1, f.people)) + rng.range(0, 20), rng.range(floorY + 20, 245), rng.range(80, 110), rng);
}

void paintOffice(cv::Mat& img, const SceneFacts& f, Rng& rng)
{
    const int floorY = rng.range(140, 165);
    indoorRoom(img, rng, jitter(C(215, 215, 210), rng, 15), jitter(C(120, 110, 100), rng, 15), floorY);
    for (int x = 0; x < W; x += 64) cv::rectangle(img, {x + 6, 10}, {x + 58, 14}, C(250, 250, 250), -1);   // lights
    for (int d = 0; d < 3; ++d) {   // desks with screens
        const int x = 10 + d * 85;
        cv::rectangle(img, {x, floorY + 10}, {x + 70, floorY + 16}, C(60, 90, 130), -1);
        cv::rectangle(img, {x + 20, floorY - 22}, {x + 50, floorY + 2}, C(30, 30, 30), -1);
        cv::rectangle(img, {x + 22, floorY - 20}, {x + 48, floorY}, jitter(C(200, 140, 80), rng, 30), -1);
        cv::line(img, {x + 35, floorY + 2}, {x + 35, floorY + 10}, C(30, 30, 30), 2);
    }
    if (rng.chance(0.6)) cv::circle(img, {230, floorY - 10}, 12, C(50, 140, 60), -1, cv::LINE_AA);   // plant
    for (int i = 0; i < f.people; ++i) person(img, 25 + i * (210 / std::max(1, f.people)) + rng.range(0, 15), rng.range(floorY + 30, 250), rng.range(75, 105), rng);
}

void paintWarehouse(cv::Mat& img, const SceneFacts& f, Rng& rng, bool withStairs)
{
    const int floorY = rng.range(120, 140);
    indoorRoom(img, rng, jitter(C(150, 150, 145), rng, 10), jitter(C(150, 150, 150), rng, 10), floorY);
    for (int x = -40; x < W + 40; x += 40) cv::line(img, {W / 2 + (x - W / 2) / 4, floorY}, {x, W}, C(120, 120, 120), 1);
    cv::line(img, {W / 2 - 8, floorY}, {W / 2 - 60, W}, C(40, 200, 230), 3);   // lane markings
    cv::line(img, {W / 2 + 8, floorY}, {W / 2 + 60, W}, C(40, 200, 230), 3);
    for (int s = 0; s < 2; ++s) {   // shelving
        const int x = s ? 175 : 5;
        cv::rectangle(img, {x, 30}, {x + 75, floorY}, C(60, 60, 160), 2);
        for (int y = 30; y < floorY; y += 30) cv::line(img, {x, y}, {x + 75, y}, C(40, 90, 200), 3);
    }
    int placed = 0;
    for (int y = 32; y + 22 < floorY && placed < f.boxes; y += 30)
        for (int x : {10, 35, 180, 205})
            if (placed < f.boxes && rng.chance(0.8)) {
                box(img, x, y + 6, 20, rng);
                ++placed;
            }
    for (; placed < f.boxes; ++placed) box(img, rng.range(80, 150), rng.range(floorY + 10, 220), rng.range(16, 26), rng);
    if (withStairs) {
        cv::rectangle(img, {150, 50}, {W, 58}, C(70, 70, 70), -1);   // mezzanine
        stairs(img, 120, floorY + 60, f.steps, 12, 10, C(120, 120, 125));
    }
    for (int i = 0; i < f.people; ++i) person(img, rng.range(90, 170), rng.range(floorY + 40, 250), rng.range(60, 80), rng);
}

void paintRoad(cv::Mat& img, const SceneFacts& f, Rng& rng)
{
    const int horizon = rng.range(100, 130);
    sky(img, f, horizon, rng);
    for (int i = 0; i < f.buildings; ++i) {
        const int bw = rng.range(25, 45), x = rng.range(0, W - bw);
        building(img, x, bw, horizon - rng.range(30, 80), horizon, jitter(C(150, 150, 160), rng, 30), f.timeOfDay == "night", rng);
    }
    cv::rectangle(img, {0, horizon}, {W, W}, C(110, 170, 120), -1);
    std::vector<cv::Point> road{{W / 2 - 15, horizon}, {W / 2 + 15, horizon}, {W + 60, W}, {-60, W}};
    if (f.variant == "parking lot") road = {{0, horizon}, {W, horizon}, {W, W}, {0, W}};
    cv::fillConvexPoly(img, road, C(80, 80, 85), cv::LINE_AA);
    if (f.variant == "parking lot")
        for (int x = 10; x < W; x += 40) cv::line(img, {x, horizon + 40}, {x - 20, W}, C(240, 240, 240), 2);
    else
        for (int y = horizon + 5; y < W; y += 22) cv::line(img, {W / 2, y}, {W / 2, y + 10 + (y - horizon) / 10}, C(240, 240, 240), 2 + (y - horizon) / 40);
    for (int i = 0; i < f.vehicles; ++i) car(img, rng.range(10, 200), rng.range(horizon + 40, 240), rng.range(34, 50), rng);
    for (int i = 0; i < f.people; ++i) person(img, rng.range(10, 246), rng.range(horizon + 30, 250), rng.range(40, 70), rng);
    if (f.timeOfDay == "night") img *= 0.6;
    if (f.weather == "foggy") fog(img, 0.45);
}

void paintRough(cv::Mat& img, const SceneFacts& f, Rng& rng)
{
    const int horizon = rng.range(80, 120);
    sky(img, f, horizon + 40, rng);
    for (int m = 0; m < 3; ++m) {   // mountain ridges, far to near
        std::vector<cv::Point> ridge{{0, W}};
        int y = horizon + m * 25;
        for (int x = 0; x <= W; x += 16) {
            y = std::clamp(y + rng.range(-14, 14), horizon - 40 + m * 20, horizon + 40 + m * 25);
            ridge.emplace_back(x, y);
        }
        ridge.emplace_back(W, W);
        const C col = mix(C(130, 130, 140), C(60, 90, 100), m / 2.0);
        cv::fillPoly(img, std::vector<std::vector<cv::Point>>{ridge}, jitter(col, rng, 10), cv::LINE_AA);
    }
    for (int i = 0; i < f.trees; ++i) tree(img, rng.range(5, 250), rng.range(horizon + 40, 200), rng.range(16, 26), rng);
    for (int i = 0; i < f.rocks; ++i) rock(img, {rng.range(0, W), rng.range(150, 250)}, rng.range(8, 24), C(100, 110, 120), rng);
    if (f.weather == "foggy") fog(img, 0.35);
}

void paintRubble(cv::Mat& img, const SceneFacts& f, Rng& rng)
{
    const int horizon = rng.range(90, 120);
    sky(img, f, horizon, rng);
    gradient(img, horizon, W, C(110, 120, 130), C(80, 90, 100));
    for (int i = 0; i < f.buildings; ++i) {   // broken walls with jagged tops
        const int x = rng.range(0, 200), w = rng.range(30, 60), top = rng.range(40, horizon);
        std::vector<cv::Point> wall{{x, horizon + 20}, {x, top}};
        for (int k = 1; k <= 4; ++k) wall.emplace_back(x + k * w / 4, top + rng.range(-10, 30));
        wall.emplace_back(x + w, horizon + 20);
        cv::fillPoly(img, std::vector<std::vector<cv::Point>>{wall}, jitter(C(150, 160, 175), rng, 15), cv::LINE_AA);
        for (int y = top + 10; y < horizon; y += 14) cv::rectangle(img, {x + 6, y}, {x + 12, y + 7}, C(40, 40, 40), -1);
    }
    for (int i = 0; i < f.rocks; ++i) {
        const cv::Point c{rng.range(0, W), rng.range(horizon + 10, 250)};
        if (rng.chance(0.5)) rock(img, c, rng.range(6, 22), C(140, 150, 165), rng);
        else {
            cv::RotatedRect slab(c, cv::Size2f(float(rng.range(20, 50)), float(rng.range(6, 12))), float(rng.range(-40, 40)));
            cv::Point2f p[4];
            slab.points(p);
            std::vector<cv::Point> pts(p, p + 4);
            cv::fillConvexPoly(img, pts, jitter(C(160, 170, 180), rng, 20), cv::LINE_AA);
        }
    }
    for (int i = 0; i < 6; ++i) {   // bent rebar
        const cv::Point a{rng.range(0, W), rng.range(horizon, W)};
        cv::line(img, a, a + cv::Point(rng.range(-20, 20), rng.range(-25, -5)), C(40, 60, 110), 2, cv::LINE_AA);
    }
    if (f.smoke) smokeClouds(img, rng);
    for (int i = 0; i < f.people; ++i) person(img, rng.range(20, 236), rng.range(200, 250), rng.range(40, 60), rng);
}

void paintStairs(cv::Mat& img, const SceneFacts& f, Rng& rng)
{
    if (f.outdoor) {
        sky(img, f, 120, rng);
        gradient(img, 120, W, C(100, 150, 110), C(70, 120, 80));
    } else
        indoorRoom(img, rng, jitter(C(190, 200, 210), rng, 20), jitter(C(90, 110, 140), rng, 15), 200);
    const int stepH = rng.range(12, 16), stepW = rng.range(14, 20);
    const int x0 = rng.range(10, 60);
    stairs(img, x0, 250, f.steps, stepW, stepH, f.outdoor ? C(150, 150, 155) : C(90, 120, 160));
    cv::line(img, {x0, 250 - 40}, {x0 + f.steps * stepW, 250 - 40 - f.steps * stepH}, C(50, 50, 50), 3, cv::LINE_AA);   // rail
    for (int i = 0; i < f.people; ++i) {
        const int k = rng.range(0, std::max(0, f.steps - 1));
        person(img, x0 + k * stepW + stepW / 2, 250 - (k + 1) * stepH, rng.range(60, 80), rng);
    }
    for (int i = 0; i < f.boxes; ++i) box(img, rng.range(180, 230), rng.range(210, 230), 18, rng);
}

void paintHarbour(cv::Mat& img, const SceneFacts& f, Rng& rng)
{
    const int waterline = rng.range(100, 130);
    sky(img, f, waterline, rng);
    gradient(img, waterline, W, C(170, 120, 40), C(90, 50, 10));
    for (int y = waterline + 6; y < W; y += 9)   // ripples
        cv::line(img, {rng.range(0, 200), y}, {rng.range(40, 256), y}, C(200, 160, 90), 1, cv::LINE_AA);
    const int px = rng.range(100, 170);   // pier with pilings reaching under water
    cv::rectangle(img, {px, waterline - 12}, {W, waterline - 4}, C(50, 90, 130), -1);
    for (int x = px + 8; x < W; x += 22) cv::rectangle(img, {x, waterline - 4}, {x + 6, W}, C(40, 70, 100), -1);
    if (rng.chance(0.7)) {   // a moored boat
        std::vector<cv::Point> hull{{20, waterline - 2}, {90, waterline - 2}, {80, waterline + 14}, {30, waterline + 14}};
        cv::fillConvexPoly(img, hull, C(230, 230, 240), cv::LINE_AA);
        cv::line(img, {55, waterline - 2}, {55, waterline - 50}, C(80, 80, 80), 2);
    }
    for (int i = 0; i < f.fish; ++i) fishAt(img, {rng.range(20, 236), rng.range(waterline + 40, 240)}, 14, C(60, 160, 200), rng.chance(0.5));
    for (int i = 0; i < f.people; ++i) person(img, rng.range(px + 10, 246), waterline - 12, rng.range(35, 45), rng);
    if (f.weather == "foggy") fog(img, 0.4);
}

} // namespace

const char* environmentName(Environment e)
{
    switch (e) {
    case Environment::OpenSky: return "open sky";
    case Environment::Rooftop: return "rooftop";
    case Environment::Underwater: return "underwater";
    case Environment::Home: return "home";
    case Environment::Office: return "office";
    case Environment::Warehouse: return "warehouse";
    case Environment::Road: return "road";
    case Environment::RoughTerrain: return "rough terrain";
    case Environment::Rubble: return "rubble";
    case Environment::Stairs: return "stairs";
    case Environment::Harbour: return "harbour";
    case Environment::DisasterSite: return "disaster site";
    case Environment::Loading: return "loading hall";
    }
    return "";
}

namespace {

// The per-environment part of randomFacts() for open-air and water scenes.
void skyAndWaterFacts(SceneFacts& f, Rng& rng)
{
    switch (f.env) {
    case Environment::OpenSky:
        f.variant = rng.pick(std::vector<std::string>{"farmland", "valley", "city outskirts"});
        f.buildings = f.variant == "city outskirts" ? rng.range(3, 7) : 0;
        f.trees = f.variant == "city outskirts" ? rng.range(0, 3) : rng.range(2, 8);
        if (f.weather == "foggy") f.weather = "cloudy";
        break;
    case Environment::Rooftop:
        f.variant = "rooftops";
        f.buildings = rng.range(3, 5);
        f.solarPanels = rng.chance(0.5);
        break;
    case Environment::Underwater:
        f.outdoor = true;
        f.water = true;
        f.timeOfDay = "day";
        f.weather = "clear";
        f.variant = rng.pick(std::vector<std::string>{"reef", "deep seabed", "shallow lagoon"});
        f.fish = rng.range(1, 7);
        f.wreck = rng.chance(0.35);
        f.pipeline = !f.wreck && rng.chance(0.4);
        break;
    case Environment::Harbour:
        f.water = true;
        f.variant = "harbour";
        f.fish = rng.range(0, 3);
        f.people = rng.range(0, 2);
        break;
    default:
        break;
    }
}

// The per-environment part of randomFacts() for indoor scenes.
void indoorFacts(SceneFacts& f, Rng& rng)
{
    switch (f.env) {
    case Environment::Home:
        f.outdoor = false;
        f.variant = rng.pick(std::vector<std::string>{"living room", "kitchen"});
        f.people = rng.range(1, 3);
        break;
    case Environment::Office:
        f.outdoor = false;
        f.variant = "open-plan office";
        f.people = rng.range(1, 4);
        break;
    case Environment::Warehouse:
        f.outdoor = false;
        f.variant = "warehouse";
        f.boxes = rng.range(3, 12);
        f.people = rng.range(0, 1);
        break;
    case Environment::Loading:
        f.outdoor = false;
        f.variant = "warehouse with a mezzanine";
        f.boxes = rng.range(4, 10);
        f.steps = rng.range(5, 7);
        f.people = rng.range(0, 1);
        break;
    default:
        break;
    }
}

// The per-environment part of randomFacts() for outdoor ground scenes: roads, rough ground,
// stairs, ruins.
void groundFacts(SceneFacts& f, Rng& rng)
{
    switch (f.env) {
    case Environment::Road:
        f.variant = rng.pick(std::vector<std::string>{"street", "parking lot"});
        f.buildings = rng.range(1, 4);
        f.vehicles = rng.range(0, 3);
        f.people = rng.range(0, 2);
        break;
    case Environment::RoughTerrain:
        f.variant = rng.pick(std::vector<std::string>{"rocky hillside", "mountain trail", "boulder field"});
        f.rocks = rng.range(4, 12);
        f.trees = rng.range(0, 4);
        break;
    case Environment::Rubble:
        f.variant = "collapsed building";
        f.buildings = rng.range(1, 3);
        f.rocks = rng.range(10, 20);
        f.smoke = rng.chance(0.3);
        f.people = 0;
        break;
    case Environment::Stairs:
        f.outdoor = rng.chance(0.4);
        f.variant = f.outdoor ? "outdoor steps" : "stairwell";
        f.steps = rng.range(6, 10);
        f.boxes = rng.range(0, 2);
        f.people = rng.range(0, 1);
        break;
    case Environment::DisasterSite:
        f.variant = "disaster site";
        f.buildings = rng.range(2, 3);
        f.rocks = rng.range(12, 22);
        f.smoke = true;
        f.people = rng.range(0, 2);
        if (f.weather == "foggy") f.weather = "cloudy";
        break;
    default:
        break;
    }
}

} // namespace

SceneFacts randomFacts(Environment env, Rng& rng)
{
    SceneFacts f;
    f.env = env;
    f.timeOfDay = rng.pick(std::vector<std::string>{"day", "day", "day", "dusk", "night"});
    f.weather = rng.pick(std::vector<std::string>{"clear", "clear", "cloudy", "foggy"});
    switch (env) {
    case Environment::OpenSky:
    case Environment::Rooftop:
    case Environment::Underwater:
    case Environment::Harbour:
        skyAndWaterFacts(f, rng);
        break;
    case Environment::Home:
    case Environment::Office:
    case Environment::Warehouse:
    case Environment::Loading:
        indoorFacts(f, rng);
        break;
    case Environment::Road:
    case Environment::RoughTerrain:
    case Environment::Rubble:
    case Environment::Stairs:
    case Environment::DisasterSite:
        groundFacts(f, rng);
        break;
    }
    if (!f.outdoor) {
        f.timeOfDay = "day";
        f.weather = "clear";
    }
    return f;
}

cv::Mat renderScene(const SceneFacts& f, Rng& rng, int size)
{
    cv::Mat img(W, W, CV_8UC3, C(0, 0, 0));
    switch (f.env) {
    case Environment::OpenSky: paintOpenSky(img, f, rng); break;
    case Environment::Rooftop: paintRooftop(img, f, rng); break;
    case Environment::Underwater: paintUnderwater(img, f, rng); break;
    case Environment::Home: paintHome(img, f, rng); break;
    case Environment::Office: paintOffice(img, f, rng); break;
    case Environment::Warehouse: paintWarehouse(img, f, rng, false); break;
    case Environment::Loading: paintWarehouse(img, f, rng, true); break;
    case Environment::Road: paintRoad(img, f, rng); break;
    case Environment::RoughTerrain: paintRough(img, f, rng); break;
    case Environment::Rubble:
    case Environment::DisasterSite: paintRubble(img, f, rng); break;
    case Environment::Stairs: paintStairs(img, f, rng); break;
    case Environment::Harbour: paintHarbour(img, f, rng); break;
    }
    // Mild sensor noise so that no two scenes are pixel-identical and nothing is perfectly flat.
    cv::RNG local(rng.next());
    cv::Mat noise(img.size(), CV_16SC3), img16;
    local.fill(noise, cv::RNG::NORMAL, 0, 4);
    img.convertTo(img16, CV_16SC3);
    img16 += noise;
    img16.convertTo(img, CV_8UC3);   // saturating
    if (size != W) cv::resize(img, img, {size, size}, 0, 0, cv::INTER_AREA);
    return img;
}

} // namespace ember::data::demo
