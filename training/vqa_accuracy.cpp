#include "vqa_accuracy.h"

#include "caption_metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <stdexcept>
#include <unordered_map>

namespace ember::train {

namespace {

bool isDigit(char c) { return c >= '0' && c <= '9'; }

const std::vector<std::string>& punctuationMarks()
{
    static const std::vector<std::string> p{";", "/", "[", "]", "\"", "{", "}", "(", ")", "=", "+",
                                            "\\", "_", "-", ">", "<", "@", "`", ",", "?", "!"};
    return p;
}

const std::unordered_map<std::string, std::string>& numberWords()
{
    static const std::unordered_map<std::string, std::string> m{
        {"none", "0"}, {"zero", "0"}, {"one", "1"}, {"two", "2"},   {"three", "3"}, {"four", "4"},
        {"five", "5"}, {"six", "6"},  {"seven", "7"}, {"eight", "8"}, {"nine", "9"},  {"ten", "10"}};
    return m;
}

// vqaEval's contractions table, keys as it spells them (a few capitalised keys can never match
// after its lower-casing; kept so the table stays the official one).
const std::unordered_map<std::string, std::string>& contractions()
{
    static const std::unordered_map<std::string, std::string> m{
        {"aint", "ain't"}, {"arent", "aren't"}, {"cant", "can't"}, {"couldve", "could've"}, {"couldnt", "couldn't"},
        {"couldn'tve", "couldn't've"}, {"couldnt've", "couldn't've"}, {"didnt", "didn't"}, {"doesnt", "doesn't"},
        {"dont", "don't"}, {"hadnt", "hadn't"}, {"hadnt've", "hadn't've"}, {"hadn'tve", "hadn't've"},
        {"hasnt", "hasn't"}, {"havent", "haven't"}, {"hed", "he'd"}, {"hed've", "he'd've"}, {"he'dve", "he'd've"},
        {"hes", "he's"}, {"howd", "how'd"}, {"howll", "how'll"}, {"hows", "how's"}, {"Id've", "I'd've"},
        {"I'dve", "I'd've"}, {"Im", "I'm"}, {"Ive", "I've"}, {"isnt", "isn't"}, {"itd", "it'd"}, {"itd've", "it'd've"},
        {"it'dve", "it'd've"}, {"itll", "it'll"}, {"let's", "let's"}, {"maam", "ma'am"}, {"mightnt", "mightn't"},
        {"mightnt've", "mightn't've"}, {"mightn'tve", "mightn't've"}, {"mightve", "might've"}, {"mustnt", "mustn't"},
        {"mustve", "must've"}, {"neednt", "needn't"}, {"notve", "not've"}, {"oclock", "o'clock"},
        {"oughtnt", "oughtn't"}, {"ow's'at", "'ow's'at"}, {"'ows'at", "'ow's'at"}, {"'ow'sat", "'ow's'at"},
        {"shant", "shan't"}, {"shed've", "she'd've"}, {"she'dve", "she'd've"}, {"she's", "she's"},
        {"shouldve", "should've"}, {"shouldnt", "shouldn't"}, {"shouldnt've", "shouldn't've"},
        {"shouldn'tve", "shouldn't've"}, {"somebody'd", "somebodyd"}, {"somebodyd've", "somebody'd've"},
        {"somebody'dve", "somebody'd've"}, {"somebodyll", "somebody'll"}, {"somebodys", "somebody's"},
        {"someoned", "someone'd"}, {"someoned've", "someone'd've"}, {"someone'dve", "someone'd've"},
        {"someonell", "someone'll"}, {"someones", "someone's"}, {"somethingd", "something'd"},
        {"somethingd've", "something'd've"}, {"something'dve", "something'd've"}, {"somethingll", "something'll"},
        {"thats", "that's"}, {"thered", "there'd"}, {"thered've", "there'd've"}, {"there'dve", "there'd've"},
        {"therere", "there're"}, {"theres", "there's"}, {"theyd", "they'd"}, {"theyd've", "they'd've"},
        {"they'dve", "they'd've"}, {"theyll", "they'll"}, {"theyre", "they're"}, {"theyve", "they've"},
        {"twas", "'twas"}, {"wasnt", "wasn't"}, {"wed've", "we'd've"}, {"we'dve", "we'd've"}, {"weve", "we've"},
        {"werent", "weren't"}, {"whatll", "what'll"}, {"whatre", "what're"}, {"whats", "what's"},
        {"whatve", "what've"}, {"whens", "when's"}, {"whered", "where'd"}, {"wheres", "where's"},
        {"whereve", "where've"}, {"whod", "who'd"}, {"whod've", "who'd've"}, {"who'dve", "who'd've"},
        {"wholl", "who'll"}, {"whos", "who's"}, {"whove", "who've"}, {"whyll", "why'll"}, {"whyre", "why're"},
        {"whys", "why's"}, {"wont", "won't"}, {"wouldve", "would've"}, {"wouldnt", "wouldn't"},
        {"wouldnt've", "wouldn't've"}, {"wouldn'tve", "wouldn't've"}, {"yall", "y'all"}, {"yall'll", "y'all'll"},
        {"y'allll", "y'all'll"}, {"yall'd've", "y'all'd've"}, {"y'alld've", "y'all'd've"}, {"y'all'dve", "y'all'd've"},
        {"youd", "you'd"}, {"youd've", "you'd've"}, {"you'dve", "you'd've"}, {"youll", "you'll"},
        {"youre", "you're"}, {"youve", "you've"}};
    return m;
}

std::string replaceAll(std::string s, const std::string& from, const std::string& to)
{
    size_t pos = 0;
    while ((pos = s.find(from, pos)) != std::string::npos) {
        s.replace(pos, from.size(), to);
        pos += to.size();
    }
    return s;
}

// vqaEval strips line breaks and tabs, then white space at both ends, before anything else.
std::string cleaned(const std::string& s)
{
    std::string t = s;
    std::replace(t.begin(), t.end(), '\n', ' ');
    std::replace(t.begin(), t.end(), '\t', ' ');
    return pythonStrip(t);
}

} // namespace

std::string vqaProcessPunctuation(const std::string& text)
{
    bool digitCommaDigit = false;   // commaStrip: (\d)(,)(\d) anywhere in the input
    for (size_t i = 1; i + 1 < text.size(); ++i)
        if (text[i] == ',' && isDigit(text[i - 1]) && isDigit(text[i + 1]))
            digitCommaDigit = true;
    std::string out = text;
    for (const auto& p : punctuationMarks()) {
        // The test looks at the input, the replacement works on the output so far.
        const bool remove = text.find(p + " ") != std::string::npos || text.find(" " + p) != std::string::npos ||
                            digitCommaDigit;
        out = replaceAll(out, p, remove ? "" : " ");
    }
    // periodStrip: a period not followed by a digit goes. vqaEval passes re.UNICODE (32) where
    // re.sub takes its count, so at most 32 periods go.
    std::string stripped;
    int removed = 0;
    for (size_t i = 0; i < out.size(); ++i) {
        if (out[i] == '.' && removed < 32 && !(i + 1 < out.size() && isDigit(out[i + 1]))) {
            ++removed;
            continue;
        }
        stripped.push_back(out[i]);
    }
    return stripped;
}

std::string vqaProcessDigitArticle(const std::string& text)
{
    std::vector<std::string> words;
    for (auto w : pythonSplit(lowerCased(text))) {
        auto it = numberWords().find(w);
        if (it != numberWords().end())
            w = it->second;
        if (w == "a" || w == "an" || w == "the")
            continue;
        words.push_back(w);
    }
    std::string out;
    for (size_t i = 0; i < words.size(); ++i) {
        auto it = contractions().find(words[i]);
        if (i)
            out.push_back(' ');
        out += it == contractions().end() ? words[i] : it->second;
    }
    return out;
}

double vqaQuestionAccuracy(const VqaQuestion& q)
{
    if (q.answers.empty())
        throw std::invalid_argument("question " + q.questionId + " has no ground-truth answer");
    std::vector<VqaGtAnswer> gts = q.answers;
    for (auto& a : gts)
        a.answer = cleaned(a.answer);
    std::string pred = cleaned(q.prediction);
    std::set<std::string> distinct;
    for (const auto& a : gts)
        distinct.insert(a.answer);
    // vqaEval normalises only when the humans disagree.
    if (distinct.size() > 1) {
        for (auto& a : gts)
            a.answer = vqaProcessDigitArticle(vqaProcessPunctuation(a.answer));
        pred = vqaProcessDigitArticle(vqaProcessPunctuation(pred));
    }
    double sum = 0;
    for (const auto& held : gts) {
        int matching = 0;
        for (const auto& other : gts) {
            const bool sameRecord = other.answer == held.answer && other.otherFields == held.otherFields;
            if (!sameRecord && other.answer == pred)
                ++matching;
        }
        sum += std::min(1.0, matching / 3.0);
    }
    return sum / static_cast<double>(gts.size());
}

double pythonRound(double x, int digits)
{
    if (!std::isfinite(x))
        return x;
    // The exact decimal expansion (glibc prints every digit); the next digit decides, since
    // exact halves go away from zero.
    static thread_local char buf[1400];
    std::snprintf(buf, sizeof buf, "%.1100f", std::fabs(x));
    std::string s = buf;
    const size_t dot = s.find('.');
    std::string kept = s.substr(0, dot + 1 + digits);
    const bool up = s[dot + 1 + digits] >= '5';
    if (up) {
        // Add one unit in the last kept place.
        int i = static_cast<int>(kept.size()) - 1;
        for (; i >= 0; --i) {
            if (kept[i] == '.')
                continue;
            if (kept[i] == '9') {
                kept[i] = '0';
            } else {
                ++kept[i];
                break;
            }
        }
        if (i < 0)
            kept.insert(kept.begin(), '1');
    }
    const double v = std::strtod(kept.c_str(), nullptr);
    return x < 0 ? -v : v;
}

VqaAccuracy vqaAccuracy(const std::vector<VqaQuestion>& questions)
{
    if (questions.empty())
        throw std::invalid_argument("no questions to score");
    VqaAccuracy out;
    std::map<std::string, std::vector<double>> byQuestionType, byAnswerType;
    double total = 0;
    for (const auto& q : questions) {
        const double acc = vqaQuestionAccuracy(q);
        out.perQuestion.push_back(acc);
        total += acc;
        byQuestionType[q.questionType].push_back(acc);
        byAnswerType[q.answerType].push_back(acc);
    }
    auto percent = [](const std::vector<double>& accs) {
        double sum = 0;
        for (double a : accs)
            sum += a;
        return pythonRound(100.0 * sum / static_cast<double>(accs.size()), 2);
    };
    out.overall = pythonRound(100.0 * total / static_cast<double>(questions.size()), 2);
    for (const auto& [type, accs] : byQuestionType)
        out.perQuestionType[type] = percent(accs);
    for (const auto& [type, accs] : byAnswerType)
        out.perAnswerType[type] = percent(accs);
    return out;
}

} // namespace ember::train
