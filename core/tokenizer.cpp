// GPT-2 byte-level BPE (OpenAI encoder.py semantics) with EmberVLM's special tokens.
// See tokenizer.h and MODEL.md, "Tokenizer".
#include "tokenizer.h"

#include <nlohmann/json.hpp>
#include <unicode/uchar.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <queue>
#include <sstream>
#include <stdexcept>
#include <unordered_map>
#include <utility>

namespace ember {

namespace {

struct SpecialToken {
    std::string_view text;
    int id;
};

constexpr std::array<SpecialToken, 6> kSpecials{{
    {"<|endoftext|>", Tokenizer::kEndOfText},
    {"<|reasoning_start|>", Tokenizer::kReasoningStart},
    {"<|reasoning_end|>", Tokenizer::kReasoningEnd},
    {"<|robot_selection|>", Tokenizer::kRobotSelection},
    {"<|action_plan|>", Tokenizer::kActionPlan},
    {"<|image|>", Tokenizer::kImage},
}};

constexpr int kGpt2Vocab = 50257; // ids 0..50256 come from encoder.json

// ---- bytes_to_unicode (encoder.py) ----------------------------------------------------------

// byte -> code point, and code point (< 512) -> byte (-1 if not an image of a byte).
struct ByteUnicode {
    std::array<char32_t, 256> toCp{};
    std::array<int, 512> toByte{};
    ByteUnicode()
    {
        toByte.fill(-1);
        std::array<bool, 256> direct{};
        for (int b = '!'; b <= '~'; ++b) direct[b] = true;
        for (int b = 0xA1; b <= 0xAC; ++b) direct[b] = true;
        for (int b = 0xAE; b <= 0xFF; ++b) direct[b] = true;
        int n = 0;
        for (int b = 0; b < 256; ++b) {
            char32_t cp = direct[b] ? char32_t(b) : char32_t(256 + n++);
            toCp[b] = cp;
            toByte[cp] = b;
        }
    }
};

const ByteUnicode& byteUnicode()
{
    static const ByteUnicode table;
    return table;
}

// Strict UTF-8 decoding of one code point at s[i]. Returns the byte length (1..4) and sets cp,
// or returns 0 when the byte at s[i] does not start a valid sequence.
inline int decodeUtf8(const unsigned char* s, size_t n, size_t i, char32_t& cp)
{
    const unsigned char c = s[i];
    if (c < 0x80) {
        cp = c;
        return 1;
    }
    auto cont = [&](size_t k) { return k < n && (s[k] & 0xC0) == 0x80; };
    if (c >= 0xC2 && c <= 0xDF) {
        if (!cont(i + 1)) return 0;
        cp = (char32_t(c & 0x1F) << 6) | (s[i + 1] & 0x3F);
        return 2;
    }
    if (c >= 0xE0 && c <= 0xEF) {
        if (!cont(i + 1) || !cont(i + 2)) return 0;
        const unsigned char c1 = s[i + 1];
        if (c == 0xE0 && c1 < 0xA0) return 0;  // overlong
        if (c == 0xED && c1 > 0x9F) return 0;  // UTF-16 surrogate
        cp = (char32_t(c & 0x0F) << 12) | (char32_t(c1 & 0x3F) << 6) | (s[i + 2] & 0x3F);
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (!cont(i + 1) || !cont(i + 2) || !cont(i + 3)) return 0;
        const unsigned char c1 = s[i + 1];
        if (c == 0xF0 && c1 < 0x90) return 0;  // overlong
        if (c == 0xF4 && c1 > 0x8F) return 0;  // > U+10FFFF
        cp = (char32_t(c & 0x07) << 18) | (char32_t(c1 & 0x3F) << 12) |
             (char32_t(s[i + 2] & 0x3F) << 6) | (s[i + 3] & 0x3F);
        return 4;
    }
    return 0;
}

void appendUtf8(std::string& out, char32_t cp)
{
    if (cp < 0x80) {
        out += char(cp);
    } else if (cp < 0x800) {
        out += char(0xC0 | (cp >> 6));
        out += char(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += char(0xE0 | (cp >> 12));
        out += char(0x80 | ((cp >> 6) & 0x3F));
        out += char(0x80 | (cp & 0x3F));
    } else {
        out += char(0xF0 | (cp >> 18));
        out += char(0x80 | ((cp >> 12) & 0x3F));
        out += char(0x80 | ((cp >> 6) & 0x3F));
        out += char(0x80 | (cp & 0x3F));
    }
}

// Byte-encoded token text (encoder.json key / vocab.bpe part) -> raw bytes.
// Returns false if a character is not an image of bytes_to_unicode.
bool unicodeToBytes(std::string_view s, std::string& out)
{
    const auto& bu = byteUnicode();
    out.clear();
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    for (size_t i = 0; i < s.size();) {
        char32_t cp = 0;
        const int len = decodeUtf8(p, s.size(), i, cp);
        if (len == 0 || cp >= 512 || bu.toByte[cp] < 0) return false;
        out += char(bu.toByte[cp]);
        i += size_t(len);
    }
    return true;
}

// ---- Pre-tokenizer character classes ---------------------------------------------------------

enum CharClass : uint8_t { kLetter, kNumber, kSpace, kOther };

// JavaScript's \s.
inline bool isJsSpace(char32_t c)
{
    switch (c) {
    case 0x09: case 0x0A: case 0x0B: case 0x0C: case 0x0D: case 0x20:
    case 0xA0: case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F:
    case 0x3000: case 0xFEFF:
        return true;
    default:
        return c >= 0x2000 && c <= 0x200A;
    }
}

CharClass classifyCp(char32_t c)
{
    if (isJsSpace(c)) return kSpace;
    const uint32_t mask = U_GET_GC_MASK(UChar32(c));
    if (mask & U_GC_L_MASK) return kLetter;
    if (mask & U_GC_N_MASK) return kNumber;
    return kOther;
}

struct AsciiClasses {
    std::array<CharClass, 128> cls{};
    AsciiClasses()
    {
        for (char32_t c = 0; c < 128; ++c) cls[c] = classifyCp(c);
    }
};

const AsciiClasses& asciiClasses()
{
    static const AsciiClasses t;
    return t;
}

struct Unit {
    uint32_t pos;   // byte offset in the segment
    uint8_t len;    // byte length (1 for an invalid byte)
    CharClass cls;
    char32_t cp;    // 0xFFFFFFFF for an invalid byte
};

constexpr char32_t kInvalidCp = 0xFFFFFFFFu;

// ---- BPE cache -------------------------------------------------------------------------------

constexpr size_t kCacheMaxEntries = 1 << 18;
constexpr size_t kCacheMaxPieceBytes = 128;
constexpr size_t kCacheShards = 16;

struct CacheShard {
    std::mutex mutex;
    std::unordered_map<std::string, std::vector<int>> map;
};

struct PairHash {
    size_t operator()(uint64_t k) const noexcept
    {
        k ^= k >> 33;
        k *= 0xff51afd7ed558ccdULL;
        k ^= k >> 33;
        return size_t(k);
    }
};

} // namespace

struct Tokenizer::Impl {
    std::vector<std::string> idBytes;                  // raw bytes per id (size kVocabSize)
    std::unordered_map<std::string, int> symbolIds;    // raw bytes -> symbol id
    std::vector<int> symbolVocab;                      // symbol id -> token id (-1 if none)
    std::vector<std::string> symbolBytes;              // symbol id -> raw bytes
    std::array<int, 256> byteSymbol{};                 // byte -> symbol id
    std::array<int, 256> byteToken{};                  // byte -> token id
    struct Merge {
        int rank;
        int result;
    };
    std::unordered_map<uint64_t, Merge, PairHash> merges; // (left symbol, right symbol) -> merge
    mutable std::array<CacheShard, kCacheShards> cache;

    int intern(const std::string& bytes)
    {
        auto it = symbolIds.find(bytes);
        if (it != symbolIds.end()) return it->second;
        const int id = int(symbolBytes.size());
        symbolIds.emplace(bytes, id);
        symbolBytes.push_back(bytes);
        symbolVocab.push_back(-1);
        return id;
    }

    static uint64_t key(int a, int b) { return (uint64_t(uint32_t(a)) << 32) | uint32_t(b); }

    // File loading, used by fromFiles() (defined next to it).
    void loadEncoder(const std::string& encoderJsonPath);
    void addSymbolsAndBytes(const std::vector<bool>& seen, const std::string& encoderJsonPath);
    void loadMerges(const std::string& vocabBpePath);

    void emitSymbol(int sym, std::vector<int>& out) const
    {
        const int tok = symbolVocab[size_t(sym)];
        if (tok >= 0) {
            out.push_back(tok);
        } else { // cannot happen with GPT-2's files; keep the bytes anyway
            for (unsigned char b : symbolBytes[size_t(sym)]) out.push_back(byteToken[b]);
        }
    }

    // encoder.py's bpe(): repeatedly merge all occurrences (left to right) of the lowest-ranked
    // pair. Implemented with a min-heap ordered by (rank, position) over a linked list, which
    // gives the same result as long as a merge never creates a pair ranked below itself (true
    // for any merges file learned by BPE, GPT-2's included).
    void bpe(const unsigned char* p, size_t n, std::vector<int>& out) const
    {
        if (n == 1) {
            out.push_back(byteToken[p[0]]);
            return;
        }
        std::vector<int> sym(n), prev(n), next(n);
        for (size_t i = 0; i < n; ++i) {
            sym[i] = byteSymbol[p[i]];
            prev[i] = int(i) - 1;
            next[i] = (i + 1 < n) ? int(i + 1) : -1;
        }
        struct Cand {
            int rank;
            int left;
            int right;
            int leftSym;
            int rightSym;
            int result;
            bool operator>(const Cand& o) const
            {
                return rank != o.rank ? rank > o.rank : left > o.left;
            }
        };
        std::priority_queue<Cand, std::vector<Cand>, std::greater<Cand>> heap;
        auto push = [&](int l, int r) {
            if (l < 0 || r < 0) return;
            auto it = merges.find(key(sym[size_t(l)], sym[size_t(r)]));
            if (it != merges.end()) heap.push({it->second.rank, l, r, sym[size_t(l)], sym[size_t(r)], it->second.result});
        };
        for (size_t i = 0; i + 1 < n; ++i) push(int(i), int(i + 1));
        std::vector<bool> dead(n, false);
        while (!heap.empty()) {
            const Cand c = heap.top();
            heap.pop();
            const size_t l = size_t(c.left), r = size_t(c.right);
            if (dead[l] || dead[r] || next[l] != c.right || sym[l] != c.leftSym || sym[r] != c.rightSym)
                continue; // stale
            sym[l] = c.result;
            dead[r] = true;
            next[l] = next[r];
            if (next[r] >= 0) prev[size_t(next[r])] = c.left;
            push(prev[l], c.left);
            push(c.left, next[l]);
        }
        for (int i = 0; i >= 0; i = next[size_t(i)]) emitSymbol(sym[size_t(i)], out);
    }

    void bpeCached(const char* data, size_t n, std::vector<int>& out) const
    {
        const auto* p = reinterpret_cast<const unsigned char*>(data);
        if (n == 1) {
            out.push_back(byteToken[p[0]]);
            return;
        }
        if (n > kCacheMaxPieceBytes) {
            bpe(p, n, out);
            return;
        }
        std::string keyStr(data, n);
        CacheShard& shard = cache[std::hash<std::string>{}(keyStr) % kCacheShards];
        {
            std::lock_guard<std::mutex> lock(shard.mutex);
            auto it = shard.map.find(keyStr);
            if (it != shard.map.end()) {
                out.insert(out.end(), it->second.begin(), it->second.end());
                return;
            }
        }
        const size_t start = out.size();
        bpe(p, n, out);
        std::vector<int> result(out.begin() + std::ptrdiff_t(start), out.end());
        std::lock_guard<std::mutex> lock(shard.mutex);
        if (shard.map.size() >= kCacheMaxEntries / kCacheShards) shard.map.clear();
        shard.map.emplace(std::move(keyStr), std::move(result));
    }

    // GPT-2's pre-tokenizer regex (JavaScript semantics for \s, \p{L}, \p{N}):
    // 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
    void encodeOrdinary(std::string_view text, std::vector<int>& out) const
    {
        if (text.empty()) return;
        const auto* s = reinterpret_cast<const unsigned char*>(text.data());
        const size_t nb = text.size();
        const auto& ascii = asciiClasses();

        std::vector<Unit> units;
        units.reserve(nb);
        for (size_t i = 0; i < nb;) {
            if (s[i] < 0x80) {
                units.push_back({uint32_t(i), 1, ascii.cls[s[i]], char32_t(s[i])});
                ++i;
                continue;
            }
            char32_t cp = 0;
            const int len = decodeUtf8(s, nb, i, cp);
            if (len == 0) {
                units.push_back({uint32_t(i), 1, kOther, kInvalidCp});
                ++i;
            } else {
                units.push_back({uint32_t(i), uint8_t(len), classifyCp(cp), cp});
                i += size_t(len);
            }
        }

        const size_t n = units.size();
        auto emit = [&](size_t from, size_t to) { // units [from, to)
            const size_t b0 = units[from].pos;
            const size_t b1 = (to < n) ? units[to].pos : nb;
            bpeCached(text.data() + b0, b1 - b0, out);
        };
        auto runEnd = [&](size_t from, CharClass cls) {
            size_t j = from;
            while (j < n && units[j].cls == cls) ++j;
            return j;
        };

        size_t i = 0;
        while (i < n) {
            const Unit& u = units[i];
            // 's|'t|'re|'ve|'m|'ll|'d
            if (u.cp == '\'' && i + 1 < n) {
                const char32_t c1 = units[i + 1].cp;
                if (c1 == 's' || c1 == 't' || c1 == 'm' || c1 == 'd') {
                    emit(i, i + 2);
                    i += 2;
                    continue;
                }
                if (i + 2 < n) {
                    const char32_t c2 = units[i + 2].cp;
                    if ((c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') || (c1 == 'l' && c2 == 'l')) {
                        emit(i, i + 3);
                        i += 3;
                        continue;
                    }
                }
            }
            //  ?\p{L}+ |  ?\p{N}+ |  ?[^\s\p{L}\p{N}]+
            if (u.cp == ' ' && i + 1 < n && units[i + 1].cls != kSpace) {
                const size_t j = runEnd(i + 1, units[i + 1].cls);
                emit(i, j);
                i = j;
                continue;
            }
            if (u.cls != kSpace) {
                const size_t j = runEnd(i, u.cls);
                emit(i, j);
                i = j;
                continue;
            }
            // \s+(?!\S) | \s+
            const size_t j = runEnd(i, kSpace);
            size_t end = j;
            if (j < n && j - i >= 2) end = j - 1; // leave the last space for the next word
            emit(i, end);
            i = end;
        }
    }
};

Tokenizer::Tokenizer() : d(std::make_unique<Impl>()) {}
Tokenizer::~Tokenizer() = default;

namespace {

std::string readFile(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("Tokenizer: cannot open file: " + path);
    std::ostringstream ss;
    ss << in.rdbuf();
    if (in.bad()) throw std::runtime_error("Tokenizer: cannot read file: " + path);
    return ss.str();
}

nlohmann::json readJsonObject(const std::string& path)
{
    const std::string text = readFile(path);
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(text);
    } catch (const std::exception& e) {
        throw std::runtime_error("Tokenizer: malformed JSON in " + path + ": " + e.what());
    }
    if (!j.is_object())
        throw std::runtime_error("Tokenizer: " + path + " is not a JSON object");
    return j;
}

// A JSON object of string keys and non-negative integer values, nothing else ({"token": id, ...}),
// each pair handed to add(key, value) in order; false, having added nothing final, for any other
// text (the caller then parses it in full). Strings take JSON's escapes, \uXXXX surrogate pairs too.
template <class Add>
bool readFlatTokenIds(std::string_view t, Add&& add)
{
    size_t i = 0;
    auto ws = [&] {
        while (i < t.size() && (t[i] == ' ' || t[i] == '\n' || t[i] == '\r' || t[i] == '\t')) ++i;
    };
    auto hex4 = [&](uint32_t& v) {
        if (i + 4 > t.size()) return false;
        v = 0;
        for (int k = 0; k < 4; ++k) {
            const char c = t[i++];
            v = v * 16 + uint32_t(c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : 99);
            if (v > 0xFFFF) return false;
        }
        return true;
    };
    std::vector<std::pair<std::string, long long>> pairs;
    pairs.reserve(kGpt2Vocab);
    ws();
    if (i >= t.size() || t[i++] != '{') return false;
    ws();
    if (i < t.size() && t[i] == '}') return false;   // empty: let the full parse say so
    while (true) {
        ws();
        if (i >= t.size() || t[i++] != '"') return false;
        std::string key;
        while (true) {
            if (i >= t.size()) return false;
            const char c = t[i++];
            if (c == '"') break;
            if (static_cast<unsigned char>(c) < 0x20) return false;
            if (c != '\\') {
                key += c;
                continue;
            }
            if (i >= t.size()) return false;
            const char e = t[i++];
            switch (e) {
            case '"': key += '"'; break;
            case '\\': key += '\\'; break;
            case '/': key += '/'; break;
            case 'b': key += '\b'; break;
            case 'f': key += '\f'; break;
            case 'n': key += '\n'; break;
            case 'r': key += '\r'; break;
            case 't': key += '\t'; break;
            case 'u': {
                uint32_t cp = 0;
                if (!hex4(cp)) return false;
                if (cp >= 0xD800 && cp < 0xDC00) {
                    uint32_t lo = 0;
                    if (i + 2 > t.size() || t[i] != '\\' || t[i + 1] != 'u') return false;
                    i += 2;
                    if (!hex4(lo) || lo < 0xDC00 || lo > 0xDFFF) return false;
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                    return false;
                }
                appendUtf8(key, char32_t(cp));
                break;
            }
            default: return false;
            }
        }
        ws();
        if (i >= t.size() || t[i++] != ':') return false;
        ws();
        long long v = 0;
        const size_t digits = i;
        while (i < t.size() && t[i] >= '0' && t[i] <= '9' && i - digits < 12) v = v * 10 + (t[i++] - '0');
        if (i == digits || (t[digits] == '0' && i - digits > 1)) return false;
        if (i < t.size() && (t[i] == '.' || t[i] == 'e' || t[i] == 'E' || (t[i] >= '0' && t[i] <= '9'))) return false;
        pairs.emplace_back(std::move(key), v);
        ws();
        if (i >= t.size()) return false;
        const char c = t[i++];
        if (c == '}') break;
        if (c != ',') return false;
    }
    ws();
    if (i != t.size()) return false;
    // JSON keeps the last of duplicate keys, as nlohmann does: hand them over in order.
    for (const auto& [k, v] : pairs) add(k, v);
    return true;
}

// Every '\n'-separated piece, including a final empty one after a trailing newline.
std::vector<std::string_view> splitLines(std::string_view all)
{
    std::vector<std::string_view> lines;
    size_t start = 0;
    while (true) {
        const size_t nl = all.find('\n', start);
        if (nl == std::string_view::npos) {
            lines.push_back(all.substr(start));
            break;
        }
        lines.push_back(all.substr(start, nl - start));
        start = nl + 1;
    }
    return lines;
}

bool isSplitSpace(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

// Python's str.split() with no argument (the line itself has no '\n').
std::vector<std::string_view> splitWhitespace(std::string_view line)
{
    std::vector<std::string_view> parts;
    size_t k = 0;
    while (k < line.size()) {
        while (k < line.size() && isSplitSpace(line[k])) ++k;
        const size_t w = k;
        while (k < line.size() && !isSplitSpace(line[k])) ++k;
        if (k > w) parts.push_back(line.substr(w, k - w));
    }
    return parts;
}

} // namespace

void Tokenizer::Impl::loadEncoder(const std::string& encoderJsonPath)
{
    // GPT-2's symbols: its 50,257 tokens and the merges' parts, about 100,000 in all.
    symbolIds.reserve(1 << 17);
    symbolBytes.reserve(1 << 17);
    symbolVocab.reserve(1 << 17);
    idBytes.assign(kVocabSize, std::string());
    std::vector<bool> seen(kVocabSize, false);
    std::string bytes;
    auto add = [&](const std::string& token, long long id) {
        if (id < 0 || id >= kGpt2Vocab)
            throw std::runtime_error("Tokenizer: id " + std::to_string(id) + " out of range in " + encoderJsonPath);
        if (!unicodeToBytes(token, bytes)) {
            if (id == kEndOfText) return; // fixed below
            throw std::runtime_error("Tokenizer: token \"" + token + "\" is not byte-level in " + encoderJsonPath);
        }
        idBytes[size_t(id)] = bytes;
        seen[size_t(id)] = true;
    };
    // encoder.json is one flat {"token": id} object: read as such it takes 3 ms instead of the
    // 27 ms of a general parse, which every `embervlm tokenize` paid. Anything else in the file
    // (or a malformed one) goes through nlohmann-json, with its error.
    const std::string text = readFile(encoderJsonPath);
    if (!readFlatTokenIds(text, add)) {
        std::fill(seen.begin(), seen.end(), false);
        const nlohmann::json j = readJsonObject(encoderJsonPath);
        for (auto it = j.begin(); it != j.end(); ++it) {
            if (!it.value().is_number_integer())
                throw std::runtime_error("Tokenizer: non-integer id for \"" + it.key() + "\" in " + encoderJsonPath);
            add(it.key(), it.value().get<long long>());
        }
    }
    for (const auto& sp : kSpecials) {
        idBytes[size_t(sp.id)] = std::string(sp.text);
        seen[size_t(sp.id)] = true;
    }
    addSymbolsAndBytes(seen, encoderJsonPath);
}

void Tokenizer::Impl::addSymbolsAndBytes(const std::vector<bool>& seen, const std::string& encoderJsonPath)
{
    // Symbols: every vocabulary token (except the specials) can be a BPE symbol.
    for (int id = 0; id < kGpt2Vocab; ++id) {
        if (!seen[size_t(id)] || id == kEndOfText) continue;
        const int sym = intern(idBytes[size_t(id)]);
        if (symbolVocab[size_t(sym)] < 0) symbolVocab[size_t(sym)] = id;
    }
    const auto& bu = byteUnicode();
    for (int b = 0; b < 256; ++b) {
        const std::string one(1, char(b));
        auto it = symbolIds.find(one);
        if (it == symbolIds.end() || symbolVocab[size_t(it->second)] < 0) {
            std::string name;
            appendUtf8(name, bu.toCp[size_t(b)]);
            throw std::runtime_error("Tokenizer: byte token \"" + name + "\" missing from " + encoderJsonPath);
        }
        byteSymbol[size_t(b)] = it->second;
        byteToken[size_t(b)] = symbolVocab[size_t(it->second)];
    }
}

// vocab.bpe: merges are lines [1:-1] (encoder.py).
void Tokenizer::Impl::loadMerges(const std::string& vocabBpePath)
{
    const std::string text = readFile(vocabBpePath);
    const std::vector<std::string_view> lines = splitLines(text);
    merges.reserve(lines.size());
    if (lines.size() < 3)
        throw std::runtime_error("Tokenizer: no merges in " + vocabBpePath);
    std::string a, b, ab;
    for (size_t li = 1; li + 1 < lines.size(); ++li) {
        const std::vector<std::string_view> parts = splitWhitespace(lines[li]);
        if (parts.empty()) continue;
        if (parts.size() != 2)
            throw std::runtime_error("Tokenizer: malformed merge on line " + std::to_string(li + 1) + " of " + vocabBpePath);
        if (!unicodeToBytes(parts[0], a) || !unicodeToBytes(parts[1], b))
            throw std::runtime_error("Tokenizer: non-byte-level merge on line " + std::to_string(li + 1) + " of " + vocabBpePath);
        const int sa = intern(a);
        const int sb = intern(b);
        ab.assign(a).append(b);
        const int sr = intern(ab);
        merges[key(sa, sb)] = Merge{int(li - 1), sr}; // later duplicates win, like dict()
    }
    if (merges.empty())
        throw std::runtime_error("Tokenizer: no merges in " + vocabBpePath);
}

std::shared_ptr<const Tokenizer> Tokenizer::fromFiles(const std::string& encoderJsonPath,
                                                      const std::string& vocabBpePath)
{
    std::shared_ptr<Tokenizer> tok(new Tokenizer());
    tok->d->loadEncoder(encoderJsonPath);
    tok->d->loadMerges(vocabBpePath);
    return tok;
}

std::shared_ptr<const Tokenizer> Tokenizer::shared()
{
    static std::mutex mutex;
    static std::shared_ptr<const Tokenizer> instance;
    std::lock_guard<std::mutex> lock(mutex);
    if (!instance) {
        const std::string dir = dataDir();
        instance = fromFiles(dir + "/encoder.json", dir + "/vocab.bpe");
    }
    return instance;
}

std::string Tokenizer::dataDir()
{
    namespace fs = std::filesystem;
    if (const char* env = std::getenv("EMBERVLM_DATA_DIR"); env && *env) return env;
    std::string exeCandidate;
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        const fs::path dir = (exe.parent_path() / ".." / "share" / "embervlm").lexically_normal();
        exeCandidate = dir.string();
        if (fs::exists(dir / "encoder.json", ec)) return exeCandidate;
    }
#ifdef EMBERVLM_BUILD_DATA_DIR
    return EMBERVLM_BUILD_DATA_DIR;
#else
    return exeCandidate.empty() ? std::string("share/embervlm") : exeCandidate;
#endif
}

std::vector<int> Tokenizer::encode(std::string_view text) const
{
    std::vector<int> out;
    out.reserve(text.size() / 3 + 4);
    size_t segStart = 0;
    size_t pos = 0;
    while (pos < text.size()) {
        const void* hit = std::memchr(text.data() + pos, '<', text.size() - pos);
        if (!hit) break;
        pos = size_t(static_cast<const char*>(hit) - text.data());
        const std::string_view rest = text.substr(pos);
        int matched = -1;
        size_t matchedLen = 0;
        for (const auto& sp : kSpecials) {
            if (rest.size() >= sp.text.size() && rest.compare(0, sp.text.size(), sp.text) == 0) {
                matched = sp.id;
                matchedLen = sp.text.size();
                break;
            }
        }
        if (matched < 0) {
            ++pos;
            continue;
        }
        d->encodeOrdinary(text.substr(segStart, pos - segStart), out);
        out.push_back(matched);
        pos += matchedLen;
        segStart = pos;
    }
    d->encodeOrdinary(text.substr(segStart), out);
    return out;
}

std::string Tokenizer::decode(const std::vector<int>& ids) const
{
    std::string out;
    for (int id : ids)
        if (id >= 0 && id < kVocabSize) out += d->idBytes[size_t(id)];
    return out;
}

std::string Tokenizer::tokenBytes(int id) const
{
    if (id < 0 || id >= kVocabSize) return {};
    return d->idBytes[size_t(id)];
}

} // namespace ember
