#include "ptb_tokenizer.h"

#include <algorithm>
#include <initializer_list>
#include <unordered_set>

namespace ember::train {

namespace {

// ---------------------------------------------------------------------------------------------
// UTF-8 <-> code points

using Text = std::u32string;
constexpr char32_t kEnd = 0xFFFFFFFFu;   // "no character here" (past the end)

Text decodeUtf8(const std::string& s)
{
    Text out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size();) {
        const auto b = static_cast<unsigned char>(s[i]);
        int len = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
        char32_t c = len == 1 ? b : len == 2 ? (b & 0x1F) : len == 3 ? (b & 0x0F) : (b & 0x07);
        bool ok = len > 0 && i + len <= s.size();
        for (int k = 1; ok && k < len; ++k) {
            const auto cb = static_cast<unsigned char>(s[i + k]);
            ok = (cb >> 6) == 2;
            c = (c << 6) | (cb & 0x3F);
        }
        if (!ok) {
            out.push_back(0xFFFD);
            ++i;
            continue;
        }
        out.push_back(c);
        i += len;
    }
    return out;
}

void appendUtf8(std::string& out, char32_t c)
{
    if (c < 0x80) {
        out.push_back(static_cast<char>(c));
    } else if (c < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (c >> 6)));
        out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else if (c < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (c >> 12)));
        out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (c >> 18)));
        out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
}

std::string encodeUtf8(const Text& t)
{
    std::string out;
    out.reserve(t.size());
    for (char32_t c : t)
        appendUtf8(out, c);
    return out;
}

// ---------------------------------------------------------------------------------------------
// Character classes of the lexer (Java's, approximated outside the common scripts)

bool inRange(char32_t c, char32_t lo, char32_t hi) { return c >= lo && c <= hi; }
bool isAsciiLetter(char32_t c) { return inRange(c, 'a', 'z') || inRange(c, 'A', 'Z'); }
bool isAsciiUpper(char32_t c) { return inRange(c, 'A', 'Z'); }
bool isAsciiDigit(char32_t c) { return inRange(c, '0', '9'); }
bool isAsciiAlnum(char32_t c) { return isAsciiLetter(c) || isAsciiDigit(c); }
bool isDigit(char32_t c)
{
    return isAsciiDigit(c) || inRange(c, 0x660, 0x669) || inRange(c, 0x6F0, 0x6F9) || inRange(c, 0x7C0, 0x7C9) ||
           inRange(c, 0x966, 0x96F) || inRange(c, 0xFF10, 0xFF19);
}

// Java's Character.isLetter for the scripts captions are written in.
bool isLetter(char32_t c)
{
    if (c < 0x80)
        return isAsciiLetter(c);
    if (c == 0xAA || c == 0xB5 || c == 0xBA)
        return true;
    if (inRange(c, 0xC0, 0xFF))
        return c != 0xD7 && c != 0xF7;
    return inRange(c, 0x100, 0x2AF) || c == 0x386 || (inRange(c, 0x388, 0x3FF) && c != 0x3A2 && c != 0x3F6) ||
           (inRange(c, 0x400, 0x52F) && !inRange(c, 0x482, 0x489)) || inRange(c, 0x531, 0x556) ||
           inRange(c, 0x561, 0x587) || inRange(c, 0x5D0, 0x5EA) || inRange(c, 0x620, 0x64A) ||
           inRange(c, 0x671, 0x6D3) || inRange(c, 0x904, 0x939) || inRange(c, 0x1E00, 0x1FBC) ||
           inRange(c, 0x3041, 0x3096) || inRange(c, 0x30A1, 0x30FA) || inRange(c, 0x3400, 0x4DBF) ||
           inRange(c, 0x4E00, 0x9FFF) || inRange(c, 0xAC00, 0xD7A3) || inRange(c, 0xF900, 0xFAFF);
}
bool isUpper(char32_t c)
{
    return isAsciiUpper(c) || (inRange(c, 0xC0, 0xDE) && c != 0xD7) || inRange(c, 0x391, 0x3AB) || inRange(c, 0x400, 0x42F);
}
// The lexer's LETTER adds the soft hyphen to [:letter:].
bool isWordLetter(char32_t c) { return isLetter(c) || c == 0xAD; }
bool isLetterOrDigit(char32_t c) { return isLetter(c) || isDigit(c); }
bool isSpace(char32_t c) { return c == ' ' || c == '\t' || c == 0xA0 || inRange(c, 0x2000, 0x200A) || c == 0x3000; }
bool isNewline(char32_t c) { return c == '\r' || c == '\n' || c == 0x2028 || c == 0x2029 || c == 0x0B || c == 0x0C || c == 0x85; }
bool isSpaceNL(char32_t c) { return isSpace(c) || isNewline(c); }
bool isApos(char32_t c) { return c == '\'' || c == 0x92 || c == 0x2019; }
bool isAposEtc(char32_t c) { return isApos(c) || c == '`' || c == 0x91 || c == 0x2018 || c == 0x201B; }
bool isInSentP(char32_t c) { return c == ',' || c == ';' || c == ':' || c == 0x3001; }
bool isHyphenChar(char32_t c) { return c == '-' || c == '_' || c == 0x58A || c == 0x2010 || c == 0x2011; }
bool isQuoteChar(char32_t c)
{
    return c == '`' || inRange(c, 0x2018, 0x201F) || inRange(c, 0x91, 0x94) || c == 0x2039 || c == 0x203A || c == 0xAB || c == 0xBB;
}
bool isMiscSymbol(char32_t c)
{
    static const std::u32string ascii = U"+%&~^|\\";
    if (c < 0x80)
        return ascii.find(c) != std::u32string::npos;
    return c == 0xA6 || c == 0xA7 || c == 0xA8 || c == 0xA9 || c == 0xAC || c == 0xAE || c == 0xAF ||
           inRange(c, 0xB0, 0xBA) || c == 0xD7 || c == 0xF7 || c == 0x387 || inRange(c, 0x2016, 0x2017) ||
           inRange(c, 0x2020, 0x2023) || inRange(c, 0x2030, 0x2038) || c == 0x203B || inRange(c, 0x203E, 0x2042) ||
           c == 0x2044 || inRange(c, 0x207A, 0x207F) || inRange(c, 0x208A, 0x208E) || inRange(c, 0x2100, 0x214F) ||
           inRange(c, 0x2190, 0x21FF) || inRange(c, 0x2200, 0x2BFF) || c == 0x3012 || c == 0x30FB ||
           inRange(c, 0xFF01, 0xFF0F) || inRange(c, 0xFF1A, 0xFF20) || inRange(c, 0xFF3B, 0xFF40) ||
           inRange(c, 0xFF5B, 0xFF65);
}

char32_t foldAscii(char32_t c) { return isAsciiUpper(c) ? c + 32 : c; }

// Java's toLowerCase(Locale.ENGLISH) for Latin, Greek and Cyrillic.
void appendLower(Text& out, char32_t c)
{
    if (isAsciiUpper(c) || (inRange(c, 0xC0, 0xDE) && c != 0xD7) || (inRange(c, 0x391, 0x3AB) && c != 0x3A2) ||
        inRange(c, 0x410, 0x42F))
        out.push_back(c + 0x20);
    else if (inRange(c, 0x400, 0x40F))
        out.push_back(c + 0x50);
    else if (c == 0x130) {
        out.push_back('i');
        out.push_back(0x307);
    } else if (c == 0x178)
        out.push_back(0xFF);
    else if ((inRange(c, 0x100, 0x137) || inRange(c, 0x14A, 0x177)) && c % 2 == 0)
        out.push_back(c + 1);
    else if ((inRange(c, 0x139, 0x148) || inRange(c, 0x179, 0x17E)) && c % 2 == 1)
        out.push_back(c + 1);
    else
        out.push_back(c);
}

// ---------------------------------------------------------------------------------------------
// The lexer. At each position every rule reports how far it matches (trailing context included,
// as JFlex counts it); the longest wins, the earlier rule on a tie.

struct Match {
    size_t total = 0;   // length compared between rules (trailing context included)
    size_t advance = 0; // characters consumed (less than total after a trailing context or pushback)
    Text out;           // the token; empty with emit == false
    bool emit = true;
    bool newline = false;
};

// The rules' matches at one position: a later rule wins only when strictly longer.
class Offers {
public:
    void offer(size_t total, size_t advance, Text out, bool emit = true)
    {
        if (total == 0 || (have_ && total <= win_.total))
            return;
        have_ = true;
        win_.total = total;
        win_.advance = advance;
        win_.out = std::move(out);
        win_.emit = emit;
        win_.newline = false;
    }
    // A line end: offered only where no rule matched, so it always wins.
    void offerLineEnd(size_t n)
    {
        offer(n, n, U"", false);
        win_.newline = true;
    }
    bool any() const { return have_; }
    Match winner() { return std::move(win_); }

private:
    Match win_{0, 0, {}, false, false};
    bool have_ = false;
};

class Lexer {
public:
    explicit Lexer(const Text& t) : s_(t) {}

    // Tokens per line; a line per newline in the text, plus one.
    std::vector<std::vector<std::string>> run()
    {
        std::vector<std::vector<std::string>> lines(1);
        size_t i = 0;
        while (i < s_.size()) {
            Match m = best(i);
            if (m.newline)
                lines.emplace_back();
            else if (m.emit)
                lines.back().push_back(encodeUtf8(m.out));
            i += std::max<size_t>(m.advance, 1);
        }
        return lines;
    }

private:
    const Text& s_;

    char32_t at(size_t i) const { return i < s_.size() ? s_[i] : kEnd; }
    Text slice(size_t i, size_t n) const { return s_.substr(i, n); }

    // Case-insensitive literal (JFlex %caseless); '[X]' in a pattern is X exactly.
    size_t lit(size_t i, const char* pattern) const
    {
        size_t n = 0;
        for (const char* p = pattern; *p; ++p, ++n) {
            const char32_t c = at(i + n);
            if (*p == '[') {
                if (c != static_cast<unsigned char>(p[1]))
                    return 0;
                p += 2;
                continue;
            }
            if (c == kEnd || foldAscii(c) != foldAscii(static_cast<unsigned char>(*p)))
                return 0;
        }
        return n;
    }
    // The longest of several literals.
    size_t lits(size_t i, std::initializer_list<const char*> ps) const
    {
        size_t best = 0;
        for (const char* p : ps)
            best = std::max(best, lit(i, p));
        return best;
    }

    size_t runOf(size_t i, bool (*pred)(char32_t)) const
    {
        size_t j = i;
        while (j < s_.size() && pred(s_[j]))
            ++j;
        return j - i;
    }

    // WORD = LETTER (LETTER|DIGIT)* ([.!?] LETTER (LETTER|DIGIT)*)*
    size_t word(size_t i) const
    {
        if (!isWordLetter(at(i)))
            return 0;
        size_t j = i + 1;
        for (;;) {
            while (j < s_.size() && (isWordLetter(s_[j]) || isDigit(s_[j])))
                ++j;
            const char32_t c = at(j);
            if ((c == '.' || c == '!' || c == '?') && isWordLetter(at(j + 1)))
                j += 2;
            else
                break;
        }
        return j - i;
    }
    // REDAUX = APOS ([msdMSD] | re | ve | ll)
    size_t redaux(size_t i) const
    {
        if (!isApos(at(i)))
            return 0;
        if (lits(i + 1, {"re", "ve", "ll"}))
            return 3;
        const char32_t c = foldAscii(at(i + 1));
        return (c == 'm' || c == 's' || c == 'd') ? 2 : 0;
    }
    // SREDAUX = n APOSETCETERA t
    size_t sredaux(size_t i) const
    {
        return foldAscii(at(i)) == 'n' && isAposEtc(at(i + 1)) && foldAscii(at(i + 2)) == 't' ? 3 : 0;
    }
    // ACRO = [A-Za-z](\.[A-Za-z])*
    size_t acro(size_t i) const
    {
        if (!isAsciiLetter(at(i)))
            return 0;
        size_t j = i + 1;
        while (at(j) == '.' && isAsciiLetter(at(j + 1)))
            j += 2;
        return j - i;
    }
    // ACRO\. : the longest ACRO (possibly shorter than the greedy one) followed by a period.
    size_t acroDot(size_t i, size_t minLen = 1) const
    {
        size_t best = 0;
        for (size_t len = 1; len <= acro(i); len += 2)
            if (len >= minLen && at(i + len) == '.')
                best = len;
        return best;
    }
    size_t digitsUpTo(size_t i, size_t most) const
    {
        size_t n = 0;
        while (n < most && isDigit(at(i + n)))
            ++n;
        return n;
    }

    // Sets of end positions, for the patterns with bounded or optional parts.
    using Ends = std::vector<size_t>;
    static void addEnd(Ends& e, size_t p)
    {
        if (std::find(e.begin(), e.end(), p) == e.end())
            e.push_back(p);
    }
    Ends digitsEnds(const Ends& from, size_t lo, size_t hi) const
    {
        Ends out;
        for (size_t p : from) {
            const size_t n = digitsUpTo(p, hi);
            for (size_t k = lo; k <= n; ++k)
                addEnd(out, p + k);
        }
        return out;
    }
    template <typename Pred>
    Ends charEnds(const Ends& from, Pred pred, bool optional = false) const
    {
        Ends out;
        for (size_t p : from) {
            if (optional)
                addEnd(out, p);
            if (p < s_.size() && pred(s_[p]))
                addEnd(out, p + 1);
        }
        return out;
    }
    static Ends merged(Ends a, const Ends& b)
    {
        for (size_t p : b)
            addEnd(a, p);
        return a;
    }
    static size_t longest(const Ends& e, size_t i)
    {
        size_t best = 0;
        for (size_t p : e)
            best = std::max(best, p - i);
        return best;
    }

    static Text latexQuotes(const Text& in, bool probablyLeft)
    {
        Text out;
        for (char32_t c : in) {
            if (c == '\'')
                out += probablyLeft ? U"`" : U"'";
            else if (c == '"')
                out += probablyLeft ? U"``" : U"''";
            else if (c == 0x91 || c == 0x2018 || c == 0x201B || c == 0x2039)
                out += U"`";
            else if (c == 0x92 || c == 0x2019 || c == 0x203A)
                out += U"'";
            else if (c == 0x93 || c == 0x201C || c == 0xAB)
                out += U"``";
            else if (c == 0x94 || c == 0x201D || c == 0xBB)
                out += U"''";
            else
                out.push_back(c);
        }
        return out;
    }
    static Text withoutSoftHyphens(const Text& in)
    {
        Text out;
        for (char32_t c : in)
            if (c != 0xAD)
                out.push_back(c);
        return out.empty() ? U"-" : out;
    }
    static Text normalizedAmp(const Text& in)
    {
        Text out;
        for (size_t i = 0; i < in.size(); ++i) {
            if (in[i] == '&' && i + 4 < in.size() && foldAscii(in[i + 1]) == 'a' && foldAscii(in[i + 2]) == 'm' &&
                foldAscii(in[i + 3]) == 'p' && in[i + 4] == ';') {
                out.push_back('&');
                i += 4;
            } else {
                out.push_back(in[i]);
            }
        }
        return out;
    }
    static Text spacesToNbsp(Text t)
    {
        std::replace(t.begin(), t.end(), U' ', char32_t(0xA0));
        return t;
    }
    static Text parensEscaped(const Text& in)
    {
        Text out;
        for (char32_t c : in)
            out += c == '(' ? U"-LRB-" : c == ')' ? U"-RRB-" : Text(1, c);
        return out;
    }

    // ABBREV1 (abbreviations normally followed by lower-case words): the longest stem with its period.
    size_t abbrev1(size_t i) const
    {
        static const char* stems[] = {
            "Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep", "Sept", "Oct", "Nov", "Dec", "Mon", "Tue", "Tues",
            "Wed", "Thu", "Thurs", "Fri", "Ala", "Ariz", "[A]z", "[A]rk", "Calif", "Colo", "Conn", "Ct", "Dak", "[D]el",
            "Fla", "Ga", "[I]ll", "Ind", "Kan", "Kans", "Ky", "[L]a", "[M]ass", "Md", "Mich", "Minn", "[M]iss", "Mo",
            "Mont", "Neb", "Nev", "Okla", "[O]re", "[P]a", "Penn", "Tenn", "[T]ex", "Va", "Vt", "[W]ash", "Wis", "Wisc",
            "Wyo", "Inc", "Co", "Cos", "Corp", "Pt[y]", "Pt[e]", "Pt[y]s", "Pt[e]s", "Ppt[y]", "Ppt[e]", "Ppt[y]s",
            "Ppt[e]s", "Ltd", "Plc", "Rt", "Bancorp", "Bhd", "Assn", "Univ", "Intl", "Sys", "tel", "est", "ext", "sq",
            "Jr", "Sr", "Bros", "Ed.D", "Ph.D", "Blvd", "Rd", "Esq", "etc", "al", "seq", "Bldg"};
        size_t best = 0;
        for (const char* st : stems) {
            const size_t n = lit(i, st);
            if (n && at(i + n) == '.')
                best = std::max(best, n + 1);
        }
        return best;
    }
    // ABBREV4: person titles and the like, ACRO, company words (ABBREV2 adds the period).
    size_t abbrev2(size_t i) const
    {
        static const char* stems[] = {
            "Mr", "Mrs", "Ms", "[M]iss", "Dr", "Drs", "Prof", "Profs", "Sen", "Sens", "Rep", "Reps", "Atty", "Attys",
            "Lt", "Col", "Gen", "Messrs", "Gov", "Govs", "Adm", "Rev", "Maj", "Sgt", "Cpl", "Pvt", "Capt", "St", "Ste",
            "Ave", "Pres", "Lieut", "Hon", "Brig", "Cmdr", "Comdr", "Pfc", "Spc", "Supt", "Supts", "Det", "Mt", "Ft",
            "Adj", "Adv", "Asst", "Assoc", "Ens", "Insp", "Mlle", "Mme", "Msgr", "Sfc", "vs", "Alex", "Wm", "Jos", "Cie",
            "a.k.a", "cf", "TREAS", "Ph", "Invt", "Elec", "Natl", "M[f]g", "M[t]g", "Dept"};
        size_t best = 0;
        for (const char* st : stems) {
            const size_t n = lit(i, st);
            if (n && at(i + n) == '.')
                best = std::max(best, n + 1);
        }
        if (const size_t a = acroDot(i))
            best = std::max(best, a + 1);
        return best;
    }

    // The words after which an acronym's period also ends the sentence.
    size_t sentenceStarter(size_t i) const
    {
        static const char* words[] = {
            "[A]bout", "[A]ccording", "[A]dditionally", "[A]fter", "[A]n", "[A]", "[A]s", "[A]t", "[B]ut", "[E]arlier",
            "[H]e", "[H]er", "[H]ere", "[H]owever", "[I]f", "[I]n", "[I]t", "[L]ast", "[M]any", "[M]ore", "[M]r.",
            "[M]s.", "[N]ow", "[O]nce", "[O]ne", "[O]ther", "[O]ur", "[S]he", "[S]ince", "[S]o", "[S]ome", "[S]uch",
            "[T]hat", "[T]he", "[T]heir", "[T]hen", "[T]here", "[T]hese", "[T]hey", "[T]his", "[W]e", "[W]hen",
            "[W]hile", "[W]hat", "[Y]et", "[Y]ou"};
        size_t best = 0;
        for (const char* w : words) {
            const size_t n = lit(i, w);
            if (n && isSpaceNL(at(i + n)))
                best = std::max(best, n + 1);
        }
        return best;
    }

    size_t apoword(size_t i) const
    {
        size_t best = 0;
        const char32_t c0 = at(i);
        if (isApos(c0)) {
            if (foldAscii(at(i + 1)) == 'n')
                best = std::max<size_t>(best, isApos(at(i + 2)) ? 3 : 2);
            if (lit(i + 1, "em"))
                best = std::max<size_t>(best, 3);
            if (inRange(at(i + 1), '2', '9') && at(i + 2) == '0' && foldAscii(at(i + 3)) == 's')
                best = std::max<size_t>(best, 4);
            if (lit(i + 1, "til"))
                best = std::max<size_t>(best, foldAscii(at(i + 4)) == 'l' ? 5 : 4);
            if (lit(i + 1, "cause"))
                best = std::max<size_t>(best, 6);
        }
        if ((c0 == 'l' || c0 == 'L' || c0 == 'd' || c0 == 'D' || c0 == 'j' || c0 == 'J') && isApos(at(i + 1)))
            best = std::max<size_t>(best, 2);
        for (const char* stem : {"dunkin", "somethin", "ol"}) {
            const size_t n = lit(i, stem);
            if (n && isApos(at(i + n)))
                best = std::max(best, n + 1);
        }
        // [A-HJ-XZn] APOSETCETERA letter{2,}
        if (((isAsciiUpper(c0) && c0 != 'I' && c0 != 'Y') || c0 == 'n') && isAposEtc(at(i + 1))) {
            const size_t m = runOf(i + 2, isLetter);
            if (m >= 2)
                best = std::max(best, 2 + m);
        }
        // letter+ vowel APOSETCETERA [aeiouA-Z] letter*
        {
            const size_t r = runOf(i, isLetter);
            static const std::u32string vowels = U"aeiouyAEIOUY", after = U"aeiou";
            if (r >= 2 && vowels.find(at(i + r - 1)) != std::u32string::npos && isAposEtc(at(i + r))) {
                const char32_t n = at(i + r + 1);
                if (after.find(n) != std::u32string::npos || isAsciiUpper(n))
                    best = std::max(best, r + 2 + runOf(i + r + 2, isLetter));
            }
        }
        {
            const size_t n = lit(i, "cont'd");
            if (n)
                best = std::max(best, at(i + n) == '.' ? n + 1 : n);
        }
        best = std::max(best, lits(i, {"'twas", "nor'easter", "c'mon", "e'er", "s'mores", "ev'ry", "li'l", "nat'l"}));
        if (foldAscii(c0) == 'o' && isAposEtc(at(i + 1)) && foldAscii(at(i + 2)) == 'o')
            best = std::max<size_t>(best, 3);
        return best;
    }

    // THING3 = [A-Za-z0-9]+(-[A-Za-z]+){0,2}(\\?/[A-Za-z0-9]+(-[A-Za-z]+){0,2}){1,2}
    Ends thing3Segment(const Ends& from) const
    {
        Ends e;
        for (size_t p : from) {
            const size_t r = runOf(p, isAsciiAlnum);
            if (r)
                addEnd(e, p + r);
        }
        Ends all = e, cur = e;
        for (int k = 0; k < 2; ++k) {
            Ends next;
            for (size_t p : cur)
                if (at(p) == '-') {
                    const size_t r = runOf(p + 1, isAsciiLetter);
                    if (r)
                        addEnd(next, p + 1 + r);
                }
            all = merged(all, next);
            cur = next;
        }
        return all;
    }
    size_t thing3(size_t i) const
    {
        Ends cur = thing3Segment({i});
        Ends result;
        for (int k = 0; k < 2; ++k) {
            Ends afterSlash;
            for (size_t p : cur) {
                if (at(p) == '/')
                    addEnd(afterSlash, p + 1);
                else if (at(p) == '\\' && at(p + 1) == '/')
                    addEnd(afterSlash, p + 2);
            }
            cur = thing3Segment(afterSlash);
            result = merged(result, cur);
        }
        return longest(result, i);
    }

    // HTHING = [A-Za-z0-9][A-Za-z0-9.,\u00AD]*(-([A-Za-z0-9\u00AD]+|ACRO2\.))+ : all end positions.
    Ends hthing(size_t i) const
    {
        if (!isAsciiAlnum(at(i)))
            return {};
        size_t j = i + 1;
        while (isAsciiAlnum(at(j)) || at(j) == '.' || at(j) == ',' || at(j) == 0xAD)
            ++j;
        Ends result, cur{j};
        while (!cur.empty()) {
            Ends next;
            for (size_t p : cur) {
                if (at(p) != '-')
                    continue;
                size_t r = 0;
                while (isAsciiAlnum(at(p + 1 + r)) || at(p + 1 + r) == 0xAD)
                    ++r;
                if (r)
                    addEnd(next, p + 1 + r);
                for (size_t a = 3; a <= acro(p + 1); a += 2)   // ACRO2\. : one ".x" at least
                    if (at(p + 1 + a) == '.')
                        addEnd(next, p + 2 + a);
            }
            Ends fresh;
            for (size_t p : next)
                if (std::find(result.begin(), result.end(), p) == result.end())
                    fresh.push_back(p);
            result = merged(result, fresh);
            cur = fresh;
        }
        return result;
    }

    // THING: ([dDoOlL] APOSETC ld)? ld+ (HYPHEN ([dDoOlL] APOSETC ld)? ld+)* : all end positions.
    Ends thingUnit(size_t p) const
    {
        Ends e;
        const size_t r = runOf(p, isLetterOrDigit);
        if (r)
            addEnd(e, p + r);
        static const std::u32string prefix = U"dDoOlL";
        if (prefix.find(at(p)) != std::u32string::npos && isAposEtc(at(p + 1)) && isLetterOrDigit(at(p + 2))) {
            const size_t r2 = runOf(p + 3, isLetterOrDigit);
            if (r2)
                addEnd(e, p + 3 + r2);
        }
        return e;
    }
    Ends thing(size_t i) const
    {
        Ends result = thingUnit(i), cur = result;
        while (!cur.empty()) {
            Ends fresh;
            for (size_t p : cur)
                if (isHyphenChar(at(p)))
                    for (size_t q : thingUnit(p + 1))
                        if (std::find(result.begin(), result.end(), q) == result.end() &&
                            std::find(fresh.begin(), fresh.end(), q) == fresh.end())
                            fresh.push_back(q);
            result = merged(result, fresh);
            cur = fresh;
        }
        return result;
    }
    // THINGA = [A-Z]+(([+&]|&amp;)[A-Z]+)+
    size_t thinga(size_t i) const
    {
        size_t j = i + runOf(i, isAsciiUpper);
        if (j == i)
            return 0;
        size_t best = 0;
        for (;;) {
            size_t sep = (at(j) == '+' || at(j) == '&') ? 1 : 0;
            if (lit(j, "&amp;"))
                sep = 5;
            if (!sep)
                break;
            const size_t r = runOf(j + sep, isAsciiUpper);
            if (!r)
                break;
            j += sep + r;
            best = j - i;
        }
        return best;
    }
    // The longest end in e followed by "." and an in-sentence punctuation mark (the ".": total + 1).
    size_t periodBeforeInSentP(const Ends& e, size_t i) const
    {
        size_t best = 0;
        for (size_t p : e)
            if (at(p) == '.' && isInSentP(at(p + 1)))
                best = std::max(best, p + 1 - i);
        return best;
    }

    // PHONE: (\(DD\)[ ]? | (\+\+?)?(D{2,4}[- ])?D{2,4}[- ]) D{3,4}[- ]?D{3,5}
    //      | ((\+\+?)?D{2,4}\.)?D{2,4}\.D{3,4}\.D{3,5}
    size_t phone(size_t i) const
    {
        auto sep = [](char32_t c) { return c == '-' || c == ' ' || c == 0xA0; };
        auto space = [](char32_t c) { return c == ' ' || c == 0xA0; };
        auto dot = [](char32_t c) { return c == '.'; };
        Ends plus{i};
        if (at(i) == '+')
            addEnd(plus, i + 1);
        if (at(i) == '+' && at(i + 1) == '+')
            addEnd(plus, i + 2);
        Ends paren;
        if (at(i) == '(')
            paren = charEnds(charEnds(digitsEnds({i + 1}, 2, 3), [](char32_t c) { return c == ')'; }), space, true);
        const Ends optGroup = merged(plus, charEnds(digitsEnds(plus, 2, 4), sep));
        const Ends pre = charEnds(digitsEnds(optGroup, 2, 4), sep);
        const Ends a = digitsEnds(charEnds(digitsEnds(merged(paren, pre), 3, 4), sep, true), 3, 5);
        const Ends lead = merged({i}, charEnds(digitsEnds(plus, 2, 4), dot));
        const Ends b = digitsEnds(charEnds(digitsEnds(charEnds(digitsEnds(lead, 2, 4), dot), 3, 4), dot), 3, 5);
        return longest(merged(a, b), i);
    }

    size_t frac(size_t i) const
    {
        auto slashEnds = [&](const Ends& from) {
            Ends out;
            for (size_t p : from) {
                if (at(p) == '/' || at(p) == 0x2044)
                    addEnd(out, p + 1);
                else if (at(p) == '\\' && at(p + 1) == '/')
                    addEnd(out, p + 2);
            }
            return out;
        };
        const Ends start{i};
        const Ends prefix = charEnds(digitsEnds(start, 1, 4), [](char32_t c) { return c == '-' || c == ' ' || c == 0xA0; });
        return longest(digitsEnds(slashEnds(digitsEnds(merged(start, prefix), 1, 4)), 1, 4), i);
    }

    size_t date(size_t i) const
    {
        auto sep = [](char32_t c) { return c == '-' || c == '/'; };
        return longest(digitsEnds(charEnds(digitsEnds(charEnds(digitsEnds({i}, 1, 2), sep), 1, 2), sep), 2, 4), i);
    }

    size_t number(size_t i) const
    {
        size_t j = i;
        if (at(j) == '-' || at(j) == '+')
            ++j;
        const size_t lead = runOf(j, isDigit);
        size_t k = j + lead;
        bool group = false;
        for (;;) {
            const char32_t c = at(k);
            if ((c == '.' || c == ':' || c == ',' || c == 0xAD || c == 0x66B || c == 0x66C) && isDigit(at(k + 1))) {
                k += 1 + runOf(k + 1, isDigit);
                group = true;
            } else {
                break;
            }
        }
        return (lead || group) ? k - i : 0;
    }

    size_t ldots(size_t i) const
    {
        if (at(i) == 0x85 || at(i) == 0x2026)
            return 1;
        size_t best = 0;
        const size_t r = runOf(i, [](char32_t c) { return c == '.'; });
        if (r >= 3)
            best = std::min<size_t>(r, 5);
        // (\.[ ]){2,4}\.
        size_t reps = 0;
        while (reps < 4 && at(i + 2 * reps) == '.' && (at(i + 2 * reps + 1) == ' ' || at(i + 2 * reps + 1) == 0xA0))
            ++reps;
        for (size_t k = reps; k >= 2; --k)
            if (at(i + 2 * k) == '.') {
                best = std::max(best, 2 * k + 1);
                break;
            }
        return best;
    }

    size_t smiley(size_t i) const
    {
        static const std::u32string mouth = U"()DPdpO\\{@|[]";
        size_t best = 0;
        for (size_t eyesAt : {i, i + 1}) {
            if (eyesAt == i + 1 && at(i) != '<' && at(i) != '>')
                continue;
            const char32_t e = at(eyesAt);
            if (e != ':' && e != ';' && e != '=')
                continue;
            for (size_t mouthAt : {eyesAt + 1, eyesAt + 2}) {
                if (mouthAt == eyesAt + 2) {
                    const char32_t n = at(eyesAt + 1);
                    if (n != '-' && n != 'o' && n != '*' && n != '\'')
                        continue;
                }
                if (mouth.find(at(mouthAt)) == std::u32string::npos)
                    continue;
                const char32_t after = at(mouthAt + 1);
                if (after != kEnd && !isAsciiAlnum(after))
                    best = std::max(best, mouthAt + 2 - i);
            }
        }
        return best;
    }

    size_t filename(size_t i) const
    {
        static const char* exts[] = {"bat", "bmp", "c",   "class", "cgi", "cpp", "dll", "doc",  "docx", "exe", "gif",
                                     "gz",  "h",   "htm", "html",  "jar", "java", "jpeg", "jpg", "mov",  "mp3", "pdf",
                                     "php", "pl",  "png", "ppt",   "ps",  "py",  "sql", "tar",  "txt",  "wav", "x",
                                     "xml", "zip"};
        size_t j = i + runOf(i, isLetterOrDigit);
        if (j == i)
            return 0;
        size_t best = 0;
        while (at(j) == '.') {
            const size_t r = runOf(j + 1, isLetterOrDigit);
            if (!r)
                break;
            const char32_t ctx = at(j + 1 + r);
            if (ctx != kEnd && (isSpaceNL(ctx) || ctx == '.' || ctx == '?' || ctx == '!' || ctx == ',')) {
                for (const char* e : exts)
                    if (lit(j + 1, e) == r) {
                        best = j + 1 + r - i;
                        break;
                    }
            }
            j += 1 + r;
        }
        return best ? best + 1 : 0;   // + the context character
    }

    // The path of LIKELYURL: "/" then [^ \t\n\f\r"<>|()]+ ending on a character that is not .!?{},-
    size_t urlPath(size_t p) const
    {
        if (at(p) != '/')
            return 0;
        auto inPath = [](char32_t x) {
            return x != kEnd && std::u32string(U" \t\n\f\r\"<>|()").find(x) == std::u32string::npos;
        };
        size_t r = 0;
        while (inPath(at(p + 1 + r)))
            ++r;
        while (r >= 2 && std::u32string(U".!?{},-").find(at(p + r)) != std::u32string::npos)
            --r;
        return r >= 2 ? r + 1 : 0;
    }
    // LIKELYURL = (www\.(label\.)+[a-zA-Z]{2,4} | (label2\.)+(com|net|org|edu)) path?
    size_t likelyUrl(size_t i) const
    {
        auto label1 = [](char32_t x) {
            return x != kEnd && std::u32string(U" \t\n\f\r\"<>|.!?(){},").find(x) == std::u32string::npos;
        };
        // The lexer's class [^ ... ,-_$] excludes the range ',' .. '_' (digits and capitals among them).
        auto label2 = [](char32_t x) {
            return x != kEnd && std::u32string(U" \t\n\f\r\"`'<>|.!?(){}$").find(x) == std::u32string::npos &&
                   !inRange(x, ',', '_');
        };
        Ends ends;
        if (size_t w = lit(i, "www.")) {
            size_t p = i + w;
            for (;;) {
                size_t r = 0;
                while (label1(at(p + r)))
                    ++r;
                if (!r || at(p + r) != '.')
                    break;
                p += r + 1;
                const size_t letters = std::min<size_t>(runOf(p, isAsciiLetter), 4);
                for (size_t k = 2; k <= letters; ++k)
                    addEnd(ends, p + k);
            }
        }
        {
            size_t p = i;
            for (;;) {
                size_t r = 0;
                while (label2(at(p + r)))
                    ++r;
                if (!r || at(p + r) != '.')
                    break;
                p += r + 1;
                if (lits(p, {"com", "net", "org", "edu"}))
                    addEnd(ends, p + 3);
            }
        }
        size_t best = 0;
        for (size_t e : ends)
            best = std::max(best, e - i + urlPath(e));
        return best;
    }
    // EMAIL = (<)?[a-zA-Z0-9][^ws"<>|(){}]*@([^ws"<>|(){}.]+\.)*[^ws"<>|(){}.]+(>)?
    size_t email(size_t i) const
    {
        auto inMail = [](char32_t x) {
            return x != kEnd && x != 0xA0 && std::u32string(U" \t\n\f\r\"<>|(){}").find(x) == std::u32string::npos;
        };
        size_t start = i;
        if (at(i) == '<')
            start = i + 1;
        else if (size_t n = lit(i, "&lt;"))
            start = i + n;
        if (!isAsciiAlnum(at(start)))
            return 0;
        size_t end = start + 1;
        while (inMail(at(end)))
            ++end;
        // For each '@' not followed by '.', the domain runs to the first ".." (or the run's end),
        // less a final '.'; the longest wins. Scanned from the right, so linear.
        size_t best = 0, bestEnd = 0;
        size_t limit = end;   // first ".." at or after the position being looked at
        for (size_t a = end; a-- > start + 1;) {
            if (at(a) == '.' && a + 1 < end && at(a + 1) == '.')
                limit = a;
            if (at(a) != '@' || a + 1 >= end || at(a + 1) == '.')
                continue;
            size_t e = limit;
            if (at(e - 1) == '.')
                --e;
            if (e > a + 1 && e - i > best) {
                best = e - i;
                bestEnd = e;
            }
        }
        if (!best)
            return 0;
        if (bestEnd == end && at(end) == '>')
            return best + 1;
        if (bestEnd == end && lit(end, "&gt;"))
            return best + 4;
        return best;
    }

    // SGML: <!x...>, <?x...>, <name attr="v" ...>, <name/>, </name>
    size_t sgml(size_t i) const
    {
        if (at(i) != '<')
            return 0;
        auto nameChar = [](char32_t x) { return isAsciiAlnum(x) || x == '_' || x == ':' || x == '.' || x == '-'; };
        auto name = [&](size_t p) -> size_t {
            if (!isAsciiLetter(at(p)))
                return 0;
            size_t n = 1;
            while (nameChar(at(p + n)))
                ++n;
            return n;
        };
        auto spaces = [&](size_t p) {
            while (at(p) == ' ')
                ++p;
            return p;
        };
        const char32_t c1 = at(i + 1);
        if ((c1 == '!' || c1 == '?') && (isAsciiLetter(at(i + 2)) || at(i + 2) == '-')) {
            for (size_t p = i + 3; at(p) != kEnd && at(p) != '\r' && at(p) != '\n'; ++p)
                if (at(p) == '>')
                    return p + 1 - i;
            return 0;
        }
        if (c1 == '/') {
            const size_t n = name(i + 2);
            if (!n)
                return 0;
            const size_t p = spaces(i + 2 + n);
            return at(p) == '>' ? p + 1 - i : 0;
        }
        const size_t n = name(i + 1);
        if (!n)
            return 0;
        Ends ends{i + 1 + n}, cur = ends;
        while (!cur.empty()) {   // ([ ]+ (name | name[ ]*=[ ]*('..'|"..")))*
            Ends fresh;
            for (size_t p : cur) {
                const size_t q = spaces(p);
                const size_t m = q > p ? name(q) : 0;
                if (!m)
                    continue;
                addEnd(fresh, q + m);
                size_t e = spaces(q + m);
                if (at(e) != '=')
                    continue;
                e = spaces(e + 1);
                const char32_t quote = at(e);
                if (quote != '\'' && quote != '"')
                    continue;
                size_t k = e + 1;
                while (at(k) != kEnd && at(k) != quote)
                    ++k;
                if (at(k) == quote)
                    addEnd(fresh, k + 1);
            }
            Ends added;
            for (size_t p : fresh)
                if (std::find(ends.begin(), ends.end(), p) == ends.end())
                    added.push_back(p);
            ends = merged(ends, added);
            cur = added;
        }
        size_t best = 0;
        for (size_t p : ends) {
            size_t q = spaces(p);
            if (at(q) == '/')
                q = spaces(q + 1);
            if (at(q) == '>')
                best = std::max(best, q + 1 - i);
        }
        return best;
    }
    size_t asianSmiley(size_t i) const
    {
        static const std::u32string eye = U"-^x=~<>'", eye2 = U"^x=~<>'", eye3 = U"^x=~<>'`";
        auto in = [](const std::u32string& set, char32_t x) { return x != kEnd && set.find(x) != std::u32string::npos; };
        size_t best = 0;
        if (in(eye, at(i)) && at(i + 1) == '_' && in(eye, at(i + 2)))
            best = 3;
        if (at(i) == '(' && in(eye, at(i + 1))) {
            if (in(eye, at(i + 2)) && at(i + 3) == ')')
                best = std::max<size_t>(best, 4);
            if ((at(i + 2) == '_' || at(i + 2) == '.') && in(eye, at(i + 3)) && at(i + 4) == ')')
                best = std::max<size_t>(best, 5);
        }
        if (at(i) == '(' && in(eye2, at(i + 1)) && at(i + 2) == '-' && in(eye3, at(i + 3)) && at(i + 4) == ')')
            best = std::max<size_t>(best, 5);
        return best;
    }

    // c++ and c#, the words the lexer splits (cannot, gonna), SGML tags, dash and ampersand entities.
    void offerSpecialCases(size_t i, Offers& o) const
    {
        const char32_t c = at(i);
        if (size_t n = lit(i, "c++"))
            o.offer(n, n, slice(i, n));
        if ((foldAscii(c) == 'c' || foldAscii(c) == 'f') && at(i + 1) == '#')
            o.offer(2, 2, slice(i, 2));
        if (lit(i, "cannot"))
            o.offer(6, 3, slice(i, 3));
        if (lit(i, "'twas"))
            o.offer(5, 2, slice(i, 2));
        if (lit(i, "'tis"))
            o.offer(4, 2, slice(i, 2));
        if (lits(i, {"gonna", "gotta", "lemme", "gimme", "wanna"}))
            o.offer(5, 3, slice(i, 3));
        if (size_t n = sgml(i))
            o.offer(n, n, spacesToNbsp(slice(i, n)));
        if (c == 0x96 || c == 0x97 || inRange(c, 0x2013, 0x2015))
            o.offer(1, 1, U"--");
        if (size_t n = lits(i, {"&mdash;", "&ndash;", "&MD;"}))
            o.offer(n, n, U"--");
        if (lit(i, "&amp;"))
            o.offer(5, 5, U"&");
    }
    // WORD before a clitic, SWORD before n't, WORD alone (w long), APOWORD, y'.
    void offerWords(size_t i, size_t w, Offers& o) const
    {
        const char32_t c = at(i);
        if (w) {
            if (size_t r = redaux(i + w))
                o.offer(w + r, w, withoutSoftHyphens(slice(i, w)));
        }
        {   // SWORD / SREDAUX
            size_t r = 0;
            while (isAsciiLetter(at(i + r)) || at(i + r) == 0xAD)
                ++r;
            if (r >= 2 && sredaux(i + r - 1)) {
                size_t e = r - 1;
                size_t last = e;
                while (last > 0 && at(i + last - 1) == 0xAD)
                    --last;
                if (last > 0 && isAsciiLetter(at(i + last - 1)) && foldAscii(at(i + last - 1)) != 'n')
                    o.offer(e + 3, e, withoutSoftHyphens(slice(i, e)));
            }
        }
        if (w)
            o.offer(w, w, withoutSoftHyphens(slice(i, w)));
        if (size_t n = apoword(i))
            o.offer(n, n, slice(i, n));
        if (foldAscii(c) == 'y' && isApos(at(i + 1)) && isLetter(at(i + 2)))
            o.offer(3, 2, slice(i, 2));
    }
    // URLs, e-mail addresses, @handles and #hashtags.
    void offerUrlsAndHandles(size_t i, Offers& o) const
    {
        const char32_t c = at(i);
        if (size_t n = lits(i, {"http://", "https://"})) {
            auto inUrl = [](char32_t x) {
                return x != kEnd && !isSpaceNL(x) && std::u32string(U"\"<>|(){}").find(x) == std::u32string::npos;
            };
            auto lastOk = [&](char32_t x) { return inUrl(x) && std::u32string(U".!?,-").find(x) == std::u32string::npos; };
            size_t r = 0;
            while (inUrl(at(i + n + r)))
                ++r;
            while (r >= 2 && !lastOk(at(i + n + r - 1)))
                --r;
            if (r >= 2)
                o.offer(n + r, n + r, slice(i, n + r));
        }
        if (size_t n = likelyUrl(i))
            o.offer(n, n, slice(i, n));
        if (size_t n = email(i))
            o.offer(n, n, slice(i, n));
        if (c == '@' && (isAsciiLetter(at(i + 1)) || at(i + 1) == '_')) {
            size_t r = 2;
            while (isAsciiAlnum(at(i + r)) || at(i + r) == '_')
                ++r;
            o.offer(r, r, slice(i, r));
        }
        if (c == '#' && isWordLetter(at(i + 1))) {
            const size_t r = 1 + runOf(i + 1, isWordLetter);
            o.offer(r, r, slice(i, r));
        }
    }
    // A clitic before a non-letter, dates, numbers and fractions.
    void offerCliticsAndNumbers(size_t i, Offers& o) const
    {
        const char32_t c = at(i);
        if (size_t r = redaux(i); r && at(i + r) != kEnd && !isAsciiLetter(at(i + r)))
            o.offer(r + 1, r, latexQuotes(slice(i, r), false));
        if (sredaux(i) && at(i + 3) != kEnd && !isAsciiLetter(at(i + 3)))
            o.offer(4, 3, latexQuotes(slice(i, 3), false));
        if (isDigit(c)) {
            if (size_t n = date(i))
                o.offer(n, n, slice(i, n));
        }
        if (size_t n = number(i))
            o.offer(n, n, withoutSoftHyphens(slice(i, n)));
        if (isDigit(c)) {
            if (size_t n = frac(i))
                o.offer(n, n, spacesToNbsp(slice(i, n)));
        }
        if (c == 0xBC || c == 0xBD || c == 0xBE || inRange(c, 0x2153, 0x215E)) {
            const Text out = c == 0xBC ? U"1/4" : c == 0xBD ? U"1/2" : c == 0xBE ? U"3/4" : c == 0x2153 ? U"1/3"
                           : c == 0x2154 ? U"2/3" : slice(i, 1);
            o.offer(1, 1, out);
        }
    }
    // Fixed tokens (-LRB-, S&P-500, cap'n), THING3, dollar signs and currency symbols.
    void offerFixedTokensAndMoney(size_t i, Offers& o) const
    {
        const char32_t c = at(i);
        if (size_t n = lits(i, {"-RRB-", "-LRB-", "-RCB-", "-LCB-", "-RSB-", "-LSB-", "C.D.s", "pro-", "anti-",
                                "S&P-500", "S&amp;P-500", "S&Ls", "S&amp;Ls"}))
            o.offer(n, n, normalizedAmp(slice(i, n)));
        if (lit(i, "cap") && isApos(at(i + 3)) && foldAscii(at(i + 4)) == 'n')
            o.offer(5, 5, slice(i, 5));
        if (foldAscii(c) == 'c' && isApos(at(i + 1)) && lit(i + 2, "est"))
            o.offer(5, 5, slice(i, 5));
        if (isAsciiAlnum(c)) {
            if (size_t n = thing3(i))
                o.offer(n, n, slice(i, n));
        }
        {   // DOLSIGN = [A-Z]*\$|#
            const size_t u = runOf(i, isAsciiUpper);
            if (at(i + u) == '$')
                o.offer(u + 1, u + 1, slice(i, u + 1));
            if (c == '#')
                o.offer(1, 1, slice(i, 1));
        }
        if (c == 0xA2 || c == 0xA3 || c == 0xA4 || c == 0xA5 || c == 0x80 || c == 0x20A0 || c == 0x20AC || c == 0x60B ||
            c == 0xE3F || c == 0x20A4 || c == 0xFFE0 || c == 0xFFE1 || c == 0xFFE5 || c == 0xFFE6) {
            const Text out = c == 0xA2 ? U"cents" : c == 0xA3 ? U"#" : (c == 0x80 || c == 0xA4 || c == 0x20A0 || c == 0x20AC) ? U"$" : slice(i, 1);
            o.offer(1, 1, out);
        }
    }
    // Acronyms and abbreviations with their period (and when it also ends the sentence), '99,
    // file names, a WORD (w long) before ".,".
    void offerAbbreviations(size_t i, size_t w, Offers& o) const
    {
        const char32_t c = at(i);
        if (size_t a = acroDot(i)) {
            // ACRONYM/(SPACENLS)(sentence starter)SPACENL: the period also ends the sentence.
            const size_t len = a + 1;
            size_t sp = 0;
            while (isSpaceNL(at(i + len + sp)))
                ++sp;
            if (sp) {
                if (size_t st = sentenceStarter(i + len + sp)) {
                    if (len == 2)
                        o.offer(len + sp + st, 1, slice(i, 1));
                    else
                        o.offer(len + sp + st, len - 1, slice(i, len));
                }
            }
        }
        for (const char* stem : {"ca", "fig", "figs", "prop", "no", "nos", "art", "bldg", "pp", "op"}) {
            const size_t n = lit(i, stem);
            if (!n || at(i + n) != '.')
                continue;
            if (isDigit(at(i + n + 1)))
                o.offer(n + 2, n + 1, slice(i, n + 1));
            else if (isSpaceNL(at(i + n + 1)) && isDigit(at(i + n + 2)))
                o.offer(n + 3, n + 1, slice(i, n + 1));
        }
        {
            size_t n = 0;
            if (lit(i, "pt") && (at(i + 2) == 'e' || at(i + 2) == 'y' || at(i + 2) == 'E' || at(i + 2) == 'Y'))
                n = 3;
            else if (lit(i, "co"))
                n = 2;
            if (n && at(i + n) == '.' && isSpace(at(i + n + 1)) && lits(i + n + 2, {"ltd", "lim"}))
                o.offer(n + 5, n + 1, slice(i, n + 1));
        }
        if (size_t n = abbrev1(i)) {
            const char32_t a1 = at(i + n), a2 = at(i + n + 1);
            if (isSpaceNL(a1) && a2 != kEnd && (isSpaceNL(a2) || isUpper(a2)))
                o.offer(n + 2, n - 1, slice(i, n));   // the period is read again, as a sentence end
            if (a1 != kEnd && a2 != kEnd)
                o.offer(n + 2, n, slice(i, n));
            o.offer(n, n - 1, slice(i, n));
        }
        if (size_t n = abbrev2(i))
            o.offer(n, n, slice(i, n));
        if (isApos(c) && isDigit(at(i + 1)) && isDigit(at(i + 2)) && isSpaceNL(at(i + 3)))
            o.offer(4, 3, slice(i, 3));
        if (size_t n = filename(i))
            o.offer(n, n - 1, slice(i, n - 1));
        if (w && at(i + w) == '.' && isInSentP(at(i + w + 1)))
            o.offer(w + 2, w + 1, withoutSoftHyphens(slice(i, w + 1)));
    }
    // Phone numbers, double quotes, < and >, smileys and brackets.
    void offerPhoneQuotesAndBrackets(size_t i, Offers& o) const
    {
        const char32_t c = at(i);
        if (isDigit(c) || c == '(' || c == '+') {
            if (size_t n = phone(i))
                o.offer(n, n, parensEscaped(spacesToNbsp(slice(i, n))));
        }
        if (size_t q = c == '"' ? 1 : lit(i, "&quot;")) {
            const char32_t n = at(i + q);
            if (isAsciiAlnum(n) || n == '$')
                o.offer(q + 1, q, U"``");
            o.offer(q, q, U"''");
        }
        if (c == 0x7F)
            o.offer(1, 1, U"", false);
        if (c == '<')
            o.offer(1, 1, U"<");
        else if (lit(i, "&lt;"))
            o.offer(4, 4, U"<");
        if (c == '>')
            o.offer(1, 1, U">");
        else if (lit(i, "&gt;"))
            o.offer(4, 4, U">");
        if (size_t n = smiley(i))
            o.offer(n, n - 1, parensEscaped(slice(i, n - 1)));
        if (size_t n = asianSmiley(i))
            o.offer(n, n, parensEscaped(slice(i, n)));
        if (c == '{')
            o.offer(1, 1, U"-LCB-");
        if (c == '}')
            o.offer(1, 1, U"-RCB-");
        if (c == '[')
            o.offer(1, 1, U"-LSB-");
        if (c == ']')
            o.offer(1, 1, U"-RSB-");
        if (c == '(')
            o.offer(1, 1, U"-LRB-");
        if (c == ')')
            o.offer(1, 1, U"-RRB-");
    }
    // Runs of dashes, ellipses, footnote marks and asterisks; sentence punctuation, = and /.
    void offerPunctuation(size_t i, Offers& o) const
    {
        const char32_t c = at(i);
        if (c == '-') {
            const size_t r = runOf(i, [](char32_t x) { return x == '-'; });
            o.offer(r, r, (r == 3 || r == 4) ? Text(U"--") : slice(i, r));
        }
        if (size_t n = ldots(i))
            o.offer(n, n, U"...");
        if (c == '@' || c == '#' || c == '_') {   // FNMARKS
            size_t r = 1;
            while (at(i + r) == c)
                ++r;
            o.offer(r, r, slice(i, r));
        }
        if (c == '*') {
            const size_t r = runOf(i, [](char32_t x) { return x == '*'; });
            o.offer(r, r, slice(i, r));
        }
        if (c == '\\' && at(i + 1) == '*') {
            size_t k = 0;
            while (k < 3 && at(i + 2 * k) == '\\' && at(i + 2 * k + 1) == '*')
                ++k;
            o.offer(2 * k, 2 * k, slice(i, 2 * k));
        }
        if (isInSentP(c))
            o.offer(1, 1, slice(i, 1));
        if (c == '?' || c == '!') {
            const size_t r = runOf(i, [](char32_t x) { return x == '?' || x == '!'; });
            o.offer(r, r, slice(i, r));
        }
        if (c == '.' || c == 0xA1 || c == 0xBF || c == 0x37E || c == 0x589 || c == 0x61F || c == 0x6D4 ||
            inRange(c, 0x700, 0x702) || c == 0x7FA || c == 0x3002)
            o.offer(1, 1, slice(i, 1));
        if (c == '=' || c == '/')
            o.offer(1, 1, slice(i, 1));
    }
    // HTHING, THING and THINGA: hyphenated and compound words.
    void offerThings(size_t i, Offers& o) const
    {
        {
            const Ends h = hthing(i);
            if (size_t n = periodBeforeInSentP(h, i))
                o.offer(n + 1, n, withoutSoftHyphens(slice(i, n)));
            if (size_t n = longest(h, i))
                o.offer(n, n, withoutSoftHyphens(slice(i, n)));
        }
        {
            const Ends t = thing(i);
            if (size_t n = periodBeforeInSentP(t, i))
                o.offer(n + 1, n, slice(i, n));
            if (size_t n = longest(t, i))
                o.offer(n, n, slice(i, n));
        }
        if (size_t n = thinga(i)) {
            if (at(i + n) == '.' && isInSentP(at(i + n + 1)))
                o.offer(n + 2, n + 1, normalizedAmp(slice(i, n + 1)));
            o.offer(n, n, normalizedAmp(slice(i, n)));
        }
    }
    // Single quotes, clitics alone, QUOTES, << and >>, other symbols.
    void offerQuotesAndSymbols(size_t i, Offers& o) const
    {
        const char32_t c = at(i);
        if (c == '\'' && isAsciiLetter(at(i + 1))) {
            const char32_t n = at(i + 2);
            if (n != kEnd && n != ' ' && n != '\t' && n != '\n' && n != '\r' && n != 0xA0)
                o.offer(3, 1, U"`");
        }
        if (size_t r = redaux(i))
            o.offer(r, r, latexQuotes(slice(i, r), false));
        if (sredaux(i))
            o.offer(3, 3, latexQuotes(slice(i, 3), false));
        {   // QUOTES = APOS | '' | [`‘’‚‛“”...]{1,2}
            size_t n = isApos(c) ? 1 : 0;
            if (c == '\'' && at(i + 1) == '\'')
                n = 2;
            if (isQuoteChar(c))
                n = std::max<size_t>(n, isQuoteChar(at(i + 1)) ? 2 : 1);
            if (n)
                o.offer(n, n, latexQuotes(slice(i, n), false));
        }
        if ((c == '<' && at(i + 1) == '<') || (c == '>' && at(i + 1) == '>'))
            o.offer(2, 2, slice(i, 2));
        if (isMiscSymbol(c))
            o.offer(1, 1, slice(i, 1));
    }
    // White space, line ends, &nbsp; and, when nothing else matched, the untokenizable.
    void offerSpaceAndRest(size_t i, Offers& o) const
    {
        const char32_t c = at(i);
        if (isSpace(c) || c == 0 || c == 0x200B || c == 0x200E || c == 0x200F || c == 0xFEFF) {
            const size_t r = isSpace(c) ? runOf(i, isSpace) : 1;
            o.offer(r, r, U"", false);
        }
        if (isNewline(c) && !o.any()) {
            const size_t n = (c == '\r' && at(i + 1) == '\n') ? 2 : 1;
            o.offerLineEnd(n);
        }
        if (lit(i, "&nbsp;"))
            o.offer(6, 6, U"", false);
        if (!o.any())
            o.offer(1, 1, U"", false);   // untokenizable: deleted
    }

    // Every rule at i, offered in the lexer's order (which breaks ties); w: the WORD at i.
    Match best(size_t i) const
    {
        Offers o;
        const size_t w = word(i);
        offerSpecialCases(i, o);
        offerWords(i, w, o);
        offerUrlsAndHandles(i, o);
        offerCliticsAndNumbers(i, o);
        offerFixedTokensAndMoney(i, o);
        offerAbbreviations(i, w, o);
        offerPhoneQuotesAndBrackets(i, o);
        offerPunctuation(i, o);
        offerThings(i, o);
        offerQuotesAndSymbols(i, o);
        offerSpaceAndRest(i, o);
        return o.winner();
    }
};

const std::unordered_set<std::string>& punctuations()
{
    // pycocoevalcap's PUNCTUATIONS, compared after lower-casing as it does.
    static const std::unordered_set<std::string> p{"''", "'", "``", "`", "-LRB-", "-RRB-", "-LCB-", "-RCB-", ".",
                                                   "?",  "!", ",",  ":", "-",     "--",    "...",   ";"};
    return p;
}

std::string lowerJoined(const std::vector<std::string>& tokens)
{
    std::string out;
    for (const auto& tok : tokens) {
        const std::string t = lowerCased(tok);
        if (punctuations().count(t))
            continue;
        if (!out.empty())
            out.push_back(' ');
        out += t;
    }
    return out;
}

// ---------------------------------------------------------------------------------------------
// Python's white space, as str.split() and str.strip() see it.

bool isPyWhitespace(char32_t c)
{
    return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 || c == 0x1680 ||
           inRange(c, 0x2000, 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

} // namespace

std::vector<std::string> pythonSplit(const std::string& s)
{
    std::vector<std::string> out;
    std::string cur;
    bool in = false;
    for (char32_t c : decodeUtf8(s)) {
        if (isPyWhitespace(c)) {
            if (in)
                out.push_back(cur);
            cur.clear();
            in = false;
        } else {
            appendUtf8(cur, c);
            in = true;
        }
    }
    if (in)
        out.push_back(cur);
    return out;
}

std::string pythonStrip(const std::string& s)
{
    const Text t = decodeUtf8(s);
    size_t b = 0, e = t.size();
    while (b < e && isPyWhitespace(t[b]))
        ++b;
    while (e > b && isPyWhitespace(t[e - 1]))
        --e;
    return encodeUtf8(t.substr(b, e - b));
}

std::string lowerCased(const std::string& s)
{
    Text lower;
    for (char32_t c : decodeUtf8(s))
        appendLower(lower, c);
    return encodeUtf8(lower);
}

std::vector<std::string> ptbRawTokens(const std::string& text)
{
    const Text t = decodeUtf8(text);
    auto lines = Lexer(t).run();
    std::vector<std::string> out;
    for (auto& l : lines)
        out.insert(out.end(), l.begin(), l.end());
    return out;
}

std::vector<std::string> ptbTokenizeCaptions(const std::vector<std::string>& captions)
{
    if (captions.empty())
        return {};
    Text all;
    for (size_t k = 0; k < captions.size(); ++k) {
        if (k)
            all.push_back('\n');
        for (char32_t c : decodeUtf8(captions[k]))
            all.push_back(isNewline(c) && c != 0x85 ? U' ' : c);
    }
    const auto lines = Lexer(all).run();
    std::vector<std::string> out;
    out.reserve(captions.size());
    for (size_t k = 0; k < captions.size(); ++k)
        out.push_back(k < lines.size() ? lowerJoined(lines[k]) : std::string());
    return out;
}

std::string ptbTokenize(const std::string& caption) { return ptbTokenizeCaptions({caption}).front(); }

} // namespace ember::train
