#include "torch_state_dict.h"

#include "printable.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <deque>
#include <map>
#include <stdexcept>
#include <unordered_map>

namespace ember {

namespace {

[[noreturn]] void fail(const std::string& path, const std::string& what)
{
    throw std::runtime_error(path + ": " + what);
}

// A name or key from the file, safe and short enough to put in a message.
std::string quoted(const std::string& s)
{
    return printableText(s.size() > 200 ? s.substr(0, 200) + "..." : s);
}

uint16_t rd16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
uint32_t rd32(const uint8_t* p) { return rd16(p) | (static_cast<uint32_t>(rd16(p + 2)) << 16); }
uint64_t rd64(const uint8_t* p) { return rd32(p) | (static_cast<uint64_t>(rd32(p + 4)) << 32); }

uint32_t crc32(const uint8_t* data, uint64_t n)
{
    static const auto table = [] {
        std::array<uint32_t, 256> t{};
        for (uint32_t i = 0; i < 256; ++i) {
            uint32_t c = i;
            for (int k = 0; k < 8; ++k)
                c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
            t[i] = c;
        }
        return t;
    }();
    uint32_t c = 0xffffffffu;
    for (uint64_t i = 0; i < n; ++i)
        c = table[(c ^ data[i]) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

// ---- The zip archive ---------------------------------------------------------------------------

struct ZipEntry {
    std::string name;
    uint16_t method = 0;
    uint32_t crc = 0;
    uint64_t compressedSize = 0;
    uint64_t size = 0;
    const uint8_t* data = nullptr;   // compressedSize bytes inside the mapped file
};

constexpr uint32_t kLocalHeader = 0x04034b50, kCentralHeader = 0x02014b50, kEndOfDirectory = 0x06054b50,
                   kZip64End = 0x06064b50, kZip64Locator = 0x07064b50;
constexpr uint64_t kEndSize = 22, kCentralSize = 46, kLocalSize = 30, kZip64EndSize = 56, kLocatorSize = 20;

// The central directory, every entry checked against the file's bounds. Sizes and offsets come
// from the central directory, not the local headers (torch.save leaves those zero and writes
// data descriptors). Zip64 records are followed for archives over 4 GiB.
std::vector<ZipEntry> readZipDirectory(const std::string& path, const uint8_t* b, uint64_t size)
{
    if (size < kEndSize)
        fail(path, "truncated: " + std::to_string(size) + " bytes, too short for a zip archive");
    // The end-of-directory record: the last 22 bytes, or earlier when a comment (at most 65535
    // bytes) follows it.
    const uint64_t lowest = size > kEndSize + 0xffff ? size - kEndSize - 0xffff : 0;
    uint64_t end = UINT64_MAX;
    for (uint64_t p = size - kEndSize + 1; p-- > lowest;)
        if (rd32(b + p) == kEndOfDirectory && p + kEndSize + rd16(b + p + 20) <= size) {
            end = p;
            break;
        }
    if (end == UINT64_MAX)
        fail(path, "the zip archive has no end-of-directory record (the file is truncated or not a zip archive)");
    if (rd16(b + end + 4) != 0 || rd16(b + end + 6) != 0)
        fail(path, "a zip archive split over several files is not supported");
    uint64_t count = rd16(b + end + 10), dirSize = rd32(b + end + 12), dirOffset = rd32(b + end + 16);
    if (count == 0xffff || dirSize == 0xffffffffu || dirOffset == 0xffffffffu) {
        if (end < kLocatorSize || rd32(b + end - kLocatorSize) != kZip64Locator)
            fail(path, "the zip archive's directory is marked zip64 but has no zip64 locator (damaged)");
        const uint64_t z = rd64(b + end - kLocatorSize + 8);
        if (size < kZip64EndSize || z > size - kZip64EndSize || rd32(b + z) != kZip64End)
            fail(path, "the zip64 end-of-directory record is missing or out of bounds (damaged)");
        count = rd64(b + z + 32);
        dirSize = rd64(b + z + 40);
        dirOffset = rd64(b + z + 48);
    }
    if (dirOffset > size || dirSize > size - dirOffset)
        fail(path, "the zip directory [" + std::to_string(dirOffset) + ", +" + std::to_string(dirSize) +
                       ") runs past the end of the " + std::to_string(size) + "-byte file (truncated?)");
    if (count > dirSize / kCentralSize)
        fail(path, "the zip directory claims " + std::to_string(count) + " entries but holds " +
                       std::to_string(dirSize) + " bytes (damaged)");
    std::vector<ZipEntry> entries;
    entries.reserve(static_cast<size_t>(count));
    const uint64_t dirEnd = dirOffset + dirSize;
    uint64_t p = dirOffset;
    for (uint64_t i = 0; i < count; ++i) {
        if (dirEnd - p < kCentralSize || rd32(b + p) != kCentralHeader)
            fail(path, "zip directory entry " + std::to_string(i) + " is damaged");
        const uint8_t* h = b + p;
        const uint16_t flags = rd16(h + 8);
        ZipEntry e;
        e.method = rd16(h + 10);
        e.crc = rd32(h + 16);
        e.compressedSize = rd32(h + 20);
        e.size = rd32(h + 24);
        const uint64_t nameLen = rd16(h + 28), extraLen = rd16(h + 30), commentLen = rd16(h + 32);
        uint64_t local = rd32(h + 42);
        if (dirEnd - p - kCentralSize < nameLen + extraLen + commentLen)
            fail(path, "zip directory entry " + std::to_string(i) + " runs past the directory (damaged)");
        e.name.assign(reinterpret_cast<const char*>(h + kCentralSize), nameLen);
        // Zip64: the saturated fields follow, in this order, in extra field 0x0001.
        const uint8_t* x = h + kCentralSize + nameLen;
        const uint8_t* xEnd = x + extraLen;
        while (xEnd - x >= 4) {
            const uint16_t id = rd16(x), len = rd16(x + 2);
            if (len > xEnd - x - 4)
                break;
            if (id == 0x0001) {
                const uint8_t* f = x + 4;
                auto take = [&](uint64_t& field) {
                    if (f + 8 > x + 4 + len)
                        fail(path, "zip entry '" + quoted(e.name) + "' has a short zip64 field (damaged)");
                    field = rd64(f);
                    f += 8;
                };
                if (e.size == 0xffffffffu) take(e.size);
                if (e.compressedSize == 0xffffffffu) take(e.compressedSize);
                if (local == 0xffffffffu) take(local);
            }
            x += 4 + len;
        }
        p += kCentralSize + nameLen + extraLen + commentLen;
        if (flags & 1)
            fail(path, "zip entry '" + quoted(e.name) + "' is encrypted");
        if (local > size || size - local < kLocalSize || rd32(b + local) != kLocalHeader)
            fail(path, "zip entry '" + quoted(e.name) + "': its local header is missing or out of bounds (truncated?)");
        const uint64_t dataStart = local + kLocalSize + rd16(b + local + 26) + rd16(b + local + 28);
        if (dataStart > size || e.compressedSize > size - dataStart)
            fail(path, "zip entry '" + quoted(e.name) + "' runs past the end of the " + std::to_string(size) +
                           "-byte file (truncated?)");
        if (e.method == 0 && e.compressedSize != e.size)
            fail(path, "zip entry '" + quoted(e.name) + "' is stored with " + std::to_string(e.compressedSize) +
                           " bytes but claims " + std::to_string(e.size) + " (damaged)");
        e.data = b + dataStart;
        entries.push_back(std::move(e));
    }
    return entries;
}

// ---- The pickle --------------------------------------------------------------------------------

// Storage types torch.save names (torch.<Type>Storage), with the dtype we read them as; the
// ones without a dtype are recognised so that a tensor of that type gets a clear message.
struct StorageType {
    const char* name;
    bool supported;
    DType dtype;
};
constexpr StorageType kStorageTypes[] = {
    {"FloatStorage", true, DType::F32},   {"HalfStorage", true, DType::F16},   {"BFloat16Storage", true, DType::BF16},
    {"DoubleStorage", true, DType::F64},  {"LongStorage", true, DType::I64},   {"IntStorage", true, DType::I32},
    {"ShortStorage", true, DType::I16},   {"CharStorage", true, DType::I8},    {"ByteStorage", true, DType::U8},
    {"BoolStorage", true, DType::BOOL},   {"UntypedStorage", true, DType::U8}, {"ComplexFloatStorage", false, DType::U8},
    {"ComplexDoubleStorage", false, DType::U8}, {"QInt8Storage", false, DType::U8}, {"QUInt8Storage", false, DType::U8},
    {"QInt32Storage", false, DType::U8},  {"QUInt4x2Storage", false, DType::U8}, {"QUInt2x4Storage", false, DType::U8},
};

// torch dtypes (torch.float32, ...) as _rebuild_tensor_v3 names them.
constexpr std::pair<const char*, DType> kTorchDTypes[] = {
    {"float32", DType::F32}, {"float16", DType::F16}, {"bfloat16", DType::BF16}, {"float64", DType::F64},
    {"int64", DType::I64},   {"int32", DType::I32},   {"int16", DType::I16},     {"int8", DType::I8},
    {"uint8", DType::U8},    {"bool", DType::BOOL},
};

enum class Kind { None, Bool, Int, Float, Str, Bytes, Tuple, List, Dict, Global, Storage, Tensor };

const char* kindName(Kind k)
{
    switch (k) {
    case Kind::None: return "None";
    case Kind::Bool: return "bool";
    case Kind::Int: return "int";
    case Kind::Float: return "float";
    case Kind::Str: return "str";
    case Kind::Bytes: return "bytes";
    case Kind::Tuple: return "tuple";
    case Kind::List: return "list";
    case Kind::Dict: return "dict";
    case Kind::Global: return "class or function";
    case Kind::Storage: return "storage";
    case Kind::Tensor: return "tensor";
    }
    return "?";
}

// What a recognised global is.
enum class GlobalRole { OrderedDict, RebuildV2, RebuildV3, RebuildParameter, StorageClass, TorchDType };

struct Value {
    Kind kind = Kind::None;
    int64_t i = 0;   // Bool, Int; Storage: element count
    double f = 0;
    std::string s;   // Str, Bytes; Global: "module.name"; Storage: key
    std::vector<Value*> items;                     // Tuple, List
    std::vector<std::pair<Value*, Value*>> dict;   // Dict, in insertion order
    GlobalRole role = GlobalRole::OrderedDict;     // Global
    const StorageType* storageType = nullptr;      // Global (StorageClass), Storage
    DType dtype = DType::F32;                      // Global (TorchDType); Tensor
    // Tensor: storage, offset, size, stride, in elements of dtype.
    const Value* storage = nullptr;
    int64_t offset = 0;
    std::vector<int64_t> size, stride;
};

// Guards against pickles built to exhaust memory; real state dicts stay far below these.
constexpr size_t kMaxValues = 2'000'000, kMaxStack = 1'000'000, kMaxMarks = 10'000;

class Unpickler {
public:
    Unpickler(std::string path, const uint8_t* data, uint64_t size) : path_(std::move(path)), p_(data), n_(size) {}

    Value* run()
    {
        while (true) {
            if (pos_ >= n_)
                error("ends before its STOP opcode (truncated)");
            op_ = pos_;
            const uint8_t op = p_[pos_++];
            if (step(op))
                break;
        }
        if (stack_.size() != 1 || !marks_.empty())
            error("leaves " + std::to_string(stack_.size()) + " values on its stack at STOP (damaged)");
        return stack_.back();
    }

private:
    [[noreturn]] void error(const std::string& what) const
    {
        fail(path_, "data.pkl " + what + " (at byte " + std::to_string(op_) + ")");
    }

    const uint8_t* take(uint64_t k)
    {
        if (k > n_ - pos_)
            error("ends inside an opcode's argument (truncated)");
        const uint8_t* r = p_ + pos_;
        pos_ += k;
        return r;
    }
    uint64_t takeLE(int bytes)
    {
        const uint8_t* q = take(static_cast<uint64_t>(bytes));
        uint64_t v = 0;
        for (int i = bytes - 1; i >= 0; --i)
            v = (v << 8) | q[i];
        return v;
    }
    std::string takeString(uint64_t len)
    {
        const uint8_t* q = take(len);
        return std::string(reinterpret_cast<const char*>(q), static_cast<size_t>(len));
    }
    std::string takeLine()
    {
        const void* nl = std::memchr(p_ + pos_, '\n', static_cast<size_t>(n_ - pos_));
        if (!nl)
            error("ends inside a name (truncated)");
        const auto len = static_cast<uint64_t>(static_cast<const uint8_t*>(nl) - (p_ + pos_));
        std::string s = takeString(len);
        ++pos_;
        return s;
    }

    Value* make(Kind k)
    {
        if (values_.size() >= kMaxValues)
            error("holds more than " + std::to_string(kMaxValues) + " values (not a state dict)");
        values_.emplace_back();
        values_.back().kind = k;
        return &values_.back();
    }
    void push(Value* v)
    {
        if (stack_.size() >= kMaxStack)
            error("grows its stack past " + std::to_string(kMaxStack) + " values (not a state dict)");
        stack_.push_back(v);
    }
    size_t floor() const { return marks_.empty() ? 0 : marks_.back(); }
    Value* pop()
    {
        if (stack_.size() <= floor())
            error("pops an empty stack (damaged)");
        Value* v = stack_.back();
        stack_.pop_back();
        return v;
    }
    Value* top()
    {
        if (stack_.size() <= floor())
            error("reads an empty stack (damaged)");
        return stack_.back();
    }
    // The values since the last MARK, which is removed.
    std::vector<Value*> popMark()
    {
        if (marks_.empty())
            error("has no MARK for an opcode that needs one (damaged)");
        const size_t m = marks_.back();
        marks_.pop_back();
        std::vector<Value*> out(stack_.begin() + static_cast<std::ptrdiff_t>(m), stack_.end());
        stack_.resize(m);
        return out;
    }
    Value* expect(Value* v, Kind k, const char* what)
    {
        if (v->kind != k)
            error(std::string("gives a ") + kindName(v->kind) + " where " + what + " needs a " + kindName(k));
        return v;
    }

    void memoPut(uint64_t index)
    {
        if (memo_.size() >= kMaxValues && !memo_.count(index))
            error("memoizes more than " + std::to_string(kMaxValues) + " values (not a state dict)");
        memo_[index] = top();
    }
    void memoGet(uint64_t index)
    {
        auto it = memo_.find(index);
        if (it == memo_.end())
            error("refers to memo entry " + std::to_string(index) + ", which was never stored (damaged)");
        push(it->second);
    }

    Value* tuple(std::vector<Value*> items)
    {
        Value* t = make(Kind::Tuple);
        t->items = std::move(items);
        return t;
    }

    // Recognises the few names a state dict needs; refuses everything else. Nothing is imported
    // or called: a recognised name becomes an inert value the opcodes below interpret.
    Value* global(const std::string& module, const std::string& name)
    {
        Value* g = make(Kind::Global);
        g->s = module + "." + name;
        if (module == "collections" && name == "OrderedDict") {
            g->role = GlobalRole::OrderedDict;
            return g;
        }
        if (module == "torch._utils") {
            if (name == "_rebuild_tensor_v2") { g->role = GlobalRole::RebuildV2; return g; }
            if (name == "_rebuild_tensor_v3") { g->role = GlobalRole::RebuildV3; return g; }
            if (name == "_rebuild_parameter" || name == "_rebuild_parameter_with_state") {
                g->role = GlobalRole::RebuildParameter;
                return g;
            }
        }
        if (module == "torch") {
            for (const auto& t : kStorageTypes)
                if (name == t.name) {
                    g->role = GlobalRole::StorageClass;
                    g->storageType = &t;
                    return g;
                }
            for (const auto& [n, d] : kTorchDTypes)
                if (name == n) {
                    g->role = GlobalRole::TorchDType;
                    g->dtype = d;
                    return g;
                }
        }
        throw std::runtime_error("refused: " + path_ + " contains a Python object of type " + quoted(g->s) +
                                 "; only tensors and plain containers are read");
    }

    // ('storage', torch.<Type>Storage, key, location, element count): a storage in data/<key>.
    Value* persistentLoad(Value* pid)
    {
        if (pid->kind != Kind::Tuple || pid->items.size() != 5 || pid->items[0]->kind != Kind::Str ||
            pid->items[0]->s != "storage")
            error("has a persistent id that is not a ('storage', type, key, location, size) tuple");
        const Value* type = pid->items[1];
        if (type->kind != Kind::Global || type->role != GlobalRole::StorageClass)
            error("names a storage whose type is not a torch storage class");
        Value* s = make(Kind::Storage);
        s->storageType = type->storageType;
        s->s = expect(pid->items[2], Kind::Str, "a storage key")->s;
        const Value* numel = expect(pid->items[4], Kind::Int, "a storage size");
        if (numel->i < 0)
            error("gives storage '" + quoted(s->s) + "' a negative size");
        s->i = numel->i;
        return s;
    }

    std::vector<int64_t> intTuple(const Value* v, const char* what)
    {
        if (v->kind != Kind::Tuple)
            error(std::string("gives a ") + kindName(v->kind) + " as a tensor's " + what);
        std::vector<int64_t> out;
        for (const Value* x : v->items) {
            if (x->kind != Kind::Int || x->i < 0)
                error(std::string("gives a tensor's ") + what + " an entry that is not a non-negative integer");
            out.push_back(x->i);
        }
        return out;
    }

    // _rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, metadata]) and
    // _v3(..., hooks, dtype[, metadata]): the tensor is described; its bounds are checked when
    // the state dict is assembled and its name is known.
    Value* rebuildTensor(const Value* fn, const Value* args)
    {
        const bool v3 = fn->role == GlobalRole::RebuildV3;
        const size_t lo = v3 ? 7 : 6;
        if (args->kind != Kind::Tuple || args->items.size() < lo || args->items.size() > lo + 1)
            error("calls " + fn->s + " with arguments torch.save does not write");
        Value* t = make(Kind::Tensor);
        t->storage = expect(args->items[0], Kind::Storage, "a tensor's storage");
        t->offset = expect(args->items[1], Kind::Int, "a tensor's storage offset")->i;
        if (t->offset < 0)
            error("gives a tensor a negative storage offset");
        t->size = intTuple(args->items[2], "size");
        t->stride = intTuple(args->items[3], "stride");
        if (t->size.size() != t->stride.size())
            error("gives a tensor " + std::to_string(t->size.size()) + " sizes but " +
                  std::to_string(t->stride.size()) + " strides");
        if (v3) {
            const Value* d = args->items[6];
            if (d->kind != Kind::Global || d->role != GlobalRole::TorchDType)
                error("gives _rebuild_tensor_v3 a dtype that is not a torch dtype");
            t->dtype = d->dtype;
            t->i = 1;   // the dtype is the tensor's own, not its storage's
        }
        return t;
    }

    Value* reduce(Value* fn, Value* args)
    {
        if (fn->kind != Kind::Global)
            error(std::string("calls a ") + kindName(fn->kind));
        switch (fn->role) {
        case GlobalRole::OrderedDict:
            if (args->kind != Kind::Tuple || !args->items.empty())
                error("calls collections.OrderedDict with arguments");
            return make(Kind::Dict);
        case GlobalRole::RebuildV2:
        case GlobalRole::RebuildV3:
            return rebuildTensor(fn, args);
        case GlobalRole::RebuildParameter:
            if (args->kind != Kind::Tuple || args->items.empty() || args->items[0]->kind != Kind::Tensor)
                error("calls " + fn->s + " without a tensor");
            return args->items[0];   // a parameter's data is its tensor; requires_grad is irrelevant here
        case GlobalRole::StorageClass:
        case GlobalRole::TorchDType:
            break;
        }
        error("calls " + quoted(fn->s) + ", which torch.save never calls");
    }

    // Returns true at STOP.
    bool step(uint8_t op)
    {
        switch (op) {
        case 0x80: {   // PROTO
            const uint64_t v = takeLE(1);
            if (v < 2 || v > 5)
                error("uses pickle protocol " + std::to_string(v) + " (2 to 5 are read)");
            return false;
        }
        case 0x95: take(8); return false;   // FRAME: a length hint
        case '.': return true;              // STOP
        case '(':                           // MARK
            if (marks_.size() >= kMaxMarks)
                error("nests MARKs more than " + std::to_string(kMaxMarks) + " deep");
            marks_.push_back(stack_.size());
            return false;
        case '0': pop(); return false;                  // POP
        case '1': popMark(); return false;              // POP_MARK
        case '2': push(top()); return false;            // DUP
        case 'N': push(make(Kind::None)); return false;   // NONE
        case 0x88:                                      // NEWTRUE
        case 0x89: {                                    // NEWFALSE
            Value* v = make(Kind::Bool);
            v->i = op == 0x88;
            push(v);
            return false;
        }
        case 'J': {   // BININT
            Value* v = make(Kind::Int);
            v->i = static_cast<int32_t>(takeLE(4));
            push(v);
            return false;
        }
        case 'K':     // BININT1
        case 'M': {   // BININT2
            Value* v = make(Kind::Int);
            v->i = static_cast<int64_t>(takeLE(op == 'K' ? 1 : 2));
            push(v);
            return false;
        }
        case 0x8a:     // LONG1
        case 0x8b: {   // LONG4
            const uint64_t len = takeLE(op == 0x8a ? 1 : 4);
            if (len > 8)
                error("holds an integer of " + std::to_string(len) + " bytes (at most 8 are read)");
            Value* v = make(Kind::Int);
            uint64_t u = len ? takeLE(static_cast<int>(len)) : 0;
            if (len && len < 8 && (u >> (8 * len - 1)) & 1)
                u |= ~0ull << (8 * len);   // sign-extend
            v->i = static_cast<int64_t>(u);
            push(v);
            return false;
        }
        case 'G': {   // BINFLOAT, big-endian
            const uint8_t* q = take(8);
            uint64_t u = 0;
            for (int i = 0; i < 8; ++i)
                u = (u << 8) | q[i];
            Value* v = make(Kind::Float);
            std::memcpy(&v->f, &u, 8);
            push(v);
            return false;
        }
        case 'X':      // BINUNICODE
        case 0x8c:     // SHORT_BINUNICODE
        case 0x8d:     // BINUNICODE8
        case 'T':      // BINSTRING
        case 'U':      // SHORT_BINSTRING
        case 'B':      // BINBYTES
        case 'C':      // SHORT_BINBYTES
        case 0x8e: {   // BINBYTES8
            const int width = op == 0x8c || op == 'U' || op == 'C' ? 1 : op == 0x8d || op == 0x8e ? 8 : 4;
            Value* v = make(op == 'B' || op == 'C' || op == 0x8e ? Kind::Bytes : Kind::Str);
            v->s = takeString(takeLE(width));
            push(v);
            return false;
        }
        case ')': push(tuple({})); return false;                    // EMPTY_TUPLE
        case 't': push(tuple(popMark())); return false;             // TUPLE
        case 0x85:                                                  // TUPLE1
        case 0x86:                                                  // TUPLE2
        case 0x87: {                                                // TUPLE3
            std::vector<Value*> items(static_cast<size_t>(op - 0x84));
            for (size_t i = items.size(); i-- > 0;)
                items[i] = pop();
            push(tuple(std::move(items)));
            return false;
        }
        case ']': push(make(Kind::List)); return false;   // EMPTY_LIST
        case 'l': {                                       // LIST
            Value* l = make(Kind::List);
            l->items = popMark();
            push(l);
            return false;
        }
        case 'a': {   // APPEND
            Value* v = pop();
            expect(top(), Kind::List, "APPEND")->items.push_back(v);
            return false;
        }
        case 'e': {   // APPENDS
            auto items = popMark();
            Value* l = expect(top(), Kind::List, "APPENDS");
            l->items.insert(l->items.end(), items.begin(), items.end());
            return false;
        }
        case '}': push(make(Kind::Dict)); return false;   // EMPTY_DICT
        case 'd':                                         // DICT
        case 'u': {                                       // SETITEMS
            auto items = popMark();
            if (items.size() % 2)
                error("gives a dict an odd number of keys and values");
            Value* d = op == 'd' ? make(Kind::Dict) : expect(top(), Kind::Dict, "SETITEMS");
            for (size_t i = 0; i < items.size(); i += 2)
                d->dict.emplace_back(items[i], items[i + 1]);
            if (op == 'd')
                push(d);
            return false;
        }
        case 's': {   // SETITEM
            Value* v = pop();
            Value* k = pop();
            expect(top(), Kind::Dict, "SETITEM")->dict.emplace_back(k, v);
            return false;
        }
        case 'q': memoPut(takeLE(1)); return false;         // BINPUT
        case 'r': memoPut(takeLE(4)); return false;         // LONG_BINPUT
        case 0x94: memoPut(memo_.size()); return false;     // MEMOIZE
        case 'h': memoGet(takeLE(1)); return false;         // BINGET
        case 'j': memoGet(takeLE(4)); return false;         // LONG_BINGET
        case 'c':                                           // GLOBAL
        case 'i': {                                         // INST (protocol 0/1: names a class too)
            const std::string module = takeLine();
            const std::string name = takeLine();
            Value* g = global(module, name);
            if (op == 'i')
                error("creates an object with INST (" + g->s + "), which torch.save never does");
            push(g);
            return false;
        }
        case 0x93: {   // STACK_GLOBAL
            Value* name = pop();
            Value* module = pop();
            if (module->kind != Kind::Str || name->kind != Kind::Str)
                error("names a global with values that are not strings");
            push(global(module->s, name->s));
            return false;
        }
        case 'R':      // REDUCE
        case 0x81: {   // NEWOBJ
            Value* args = pop();
            Value* fn = pop();
            push(reduce(fn, args));
            return false;
        }
        case 'b': {   // BUILD: an OrderedDict's attributes (state_dict()'s _metadata); kept out
            Value* state = pop();
            Value* obj = top();
            if (obj->kind != Kind::Dict || (state->kind != Kind::Dict && state->kind != Kind::Tuple))
                error(std::string("sets the state of a ") + kindName(obj->kind) + ", which torch.save never does");
            return false;
        }
        case 'Q': push(persistentLoad(pop())); return false;   // BINPERSID
        default:
            break;
        }
        char buf[8];
        std::snprintf(buf, sizeof buf, "0x%02x", op);
        error(std::string("uses pickle opcode ") + buf + ", which a torch.save state dict never holds");
    }

    std::string path_;
    const uint8_t* p_;
    uint64_t n_;
    uint64_t pos_ = 0, op_ = 0;
    std::deque<Value> values_;   // owns every value: no recursion on destruction, cycles harmless
    std::vector<Value*> stack_;
    std::vector<size_t> marks_;
    std::unordered_map<uint64_t, Value*> memo_;
};

bool hasTensor(const Value* d)
{
    return std::any_of(d->dict.begin(), d->dict.end(), [](const auto& kv) { return kv.second->kind == Kind::Tensor; });
}

const uint8_t kZipMagic[4] = {'P', 'K', 3, 4};
const uint8_t kEmptyZipMagic[4] = {'P', 'K', 5, 6};
// A legacy torch.save file: protocol 2, then LONG1 of 10 bytes (its magic number).
const uint8_t kLegacyMagic[4] = {0x80, 0x02, 0x8a, 0x0a};

} // namespace

// Everything open() does, with the file's private members in reach.
struct TorchStateDictReader {
    TorchStateDict& f;
    std::map<std::string, const ZipEntry*> entries;
    std::string prefix;   // "archive/": the folder every entry of a torch.save archive sits in
    uint64_t copied = 0;  // bytes of non-contiguous tensors copied so far

    [[noreturn]] void fail(const std::string& what) const { ember::fail(f.path_, what); }

    const ZipEntry* entry(const std::string& name) const
    {
        auto it = entries.find(prefix + name);
        return it == entries.end() ? nullptr : it->second;
    }

    void checkStored(const ZipEntry& e) const
    {
        if (e.method != 0)
            fail("zip entry '" + quoted(e.name) + "' is compressed (method " + std::to_string(e.method) +
                 "); torch.save stores entries uncompressed: re-save the state dict with torch.save");
    }

    void findArchive(const std::vector<ZipEntry>& all)
    {
        for (const auto& e : all)
            if (!entries.emplace(e.name, &e).second)
                fail("zip entry '" + quoted(e.name) + "' appears twice (damaged)");
        if (all.empty())
            fail("the zip archive is empty, not a file torch.save wrote");
        // As PyTorch's reader: the first entry's folder is the archive's name.
        const auto slash = all.front().name.find('/');
        prefix = slash == std::string::npos ? std::string() : all.front().name.substr(0, slash + 1);
        const std::string code = prefix + "code/";
        if (entry("constants.pkl") || std::any_of(all.begin(), all.end(), [&](const ZipEntry& e) {
                return e.name.compare(0, code.size(), code) == 0;
            }))
            fail("is a TorchScript module (torch.jit.save), not a state dict: save model.state_dict() with torch.save");
        if (!entry("data.pkl"))
            fail("a zip archive without " + quoted(prefix) + "data.pkl: not a file torch.save wrote");
        if (const ZipEntry* order = entry("byteorder")) {
            checkStored(*order);
            std::string s(reinterpret_cast<const char*>(order->data), static_cast<size_t>(std::min<uint64_t>(order->size, 16)));
            while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r'))
                s.pop_back();
            if (s != "little")
                fail("was written on a '" + quoted(s) + "'-endian machine; only little-endian files are read");
        }
    }

    // The state dict's tensor, named; bounds checked, copied when it is not contiguous.
    TensorView view(const std::string& name, const Value& t)
    {
        const Value& st = *t.storage;
        const std::string who = "tensor '" + quoted(name) + "'";
        if (!st.storageType->supported)
            fail(who + " is stored as torch." + st.storageType->name + ", which is not read (supported: float32, float16, "
                 "bfloat16, float64, int64, int32, int16, int8, uint8, bool)");
        const ZipEntry* e = entry("data/" + st.s);
        if (!e)
            fail(who + ": its storage data/" + quoted(st.s) + " is not in the archive (damaged)");
        checkStored(*e);
        const DType storageType = st.storageType->dtype;
        const DType dtype = t.i ? t.dtype : storageType;
        const uint64_t item = dtypeSize(dtype);
        const uint64_t storageItem = dtypeSize(storageType);
        if (static_cast<uint64_t>(st.i) > e->size / storageItem)
            fail(who + ": its storage claims " + std::to_string(st.i) + " elements but data/" + quoted(st.s) + " holds " +
                 std::to_string(e->size) + " bytes (truncated?)");
        const uint64_t available = static_cast<uint64_t>(st.i) * storageItem / item;   // in the tensor's elements
        TensorView v;
        v.name = name;
        v.dtype = dtype;
        v.shape = t.size;
        uint64_t numel = 1;
        for (int64_t d : t.size) {
            const auto dim = static_cast<uint64_t>(d);
            if (dim > (1ull << 40) || (dim && numel > (1ull << 40) / dim))
                fail(who + " has an implausibly large shape " + std::to_string(d));
            numel *= dim;
        }
        const uint8_t* base = e->data;
        if (numel == 0) {
            v.data = base;
            return v;
        }
        // The last element's index, offset + sum((size - 1) * stride), must lie inside the storage.
        const auto offset = static_cast<uint64_t>(t.offset);
        if (offset >= available)
            fail(who + ": storage offset " + std::to_string(offset) + " lies past its storage's " +
                 std::to_string(available) + " elements (damaged)");
        uint64_t room = available - 1 - offset, last = 0;
        bool contiguous = true;
        uint64_t expect = 1;
        for (size_t k = t.size.size(); k-- > 0;) {
            const auto size = static_cast<uint64_t>(t.size[k]), stride = static_cast<uint64_t>(t.stride[k]);
            if (size > 1) {
                if (stride && size - 1 > (room - last) / stride)
                    fail(who + " with shape " + shapeText(t.size) + " and strides " + shapeText(t.stride) +
                         " runs past its storage's " + std::to_string(available) + " elements (damaged)");
                last += (size - 1) * stride;
                if (stride != expect)
                    contiguous = false;
            }
            expect *= size;
        }
        v.nbytes = static_cast<size_t>(numel * item);
        if (contiguous) {
            v.data = base + offset * item;
            return v;
        }
        // A transposed or sliced view: copied into a contiguous buffer (the caller sees a plain
        // row-major tensor). The copies together may not exceed twice the file's size, so that a
        // hostile file of many views of one large storage cannot exhaust memory.
        copied += v.nbytes;
        if (copied > 2 * static_cast<uint64_t>(f.mapSize_) + (64ull << 20))
            fail(who + ": its non-contiguous tensors would take more than twice the file's size to copy");
        auto buf = std::make_unique<uint8_t[]>(v.nbytes);
        const size_t rank = t.size.size();
        std::vector<int64_t> idx(rank, 0);
        uint8_t* out = buf.get();
        for (uint64_t n = 0; n < numel; ++n) {
            uint64_t at = offset;
            for (size_t k = 0; k < rank; ++k)
                at += static_cast<uint64_t>(idx[k]) * static_cast<uint64_t>(t.stride[k]);
            std::memcpy(out, base + at * item, static_cast<size_t>(item));
            out += item;
            for (size_t k = rank; k-- > 0;) {
                if (++idx[k] < t.size[k])
                    break;
                idx[k] = 0;
            }
        }
        v.data = buf.get();
        f.owned_.push_back(std::move(buf));
        return v;
    }

    static std::string shapeText(const std::vector<int64_t>& s)
    {
        std::string r = "[";
        for (size_t i = 0; i < s.size(); ++i)
            r += (i ? "," : "") + std::to_string(s[i]);
        return r + "]";
    }

    void read()
    {
        const auto* bytes = static_cast<const uint8_t*>(f.map_);
        const std::vector<ZipEntry> all = readZipDirectory(f.path_, bytes, f.mapSize_);
        findArchive(all);
        const ZipEntry& pkl = *entry("data.pkl");
        checkStored(pkl);
        if (pkl.size > kMaxTorchPickle)
            fail("its data.pkl holds " + std::to_string(pkl.size) + " bytes, over the " +
                 std::to_string(kMaxTorchPickle >> 20) + " MiB limit");
        if (crc32(pkl.data, pkl.size) != pkl.crc)
            fail("its data.pkl fails its checksum (the file is damaged)");
        Unpickler u(f.path_, pkl.data, pkl.size);
        const Value* root = u.run();
        if (root->kind != Kind::Dict)
            fail(std::string("holds a ") + kindName(root->kind) + ", not a dict of tensors (a state dict)");
        const Value* sd = root;
        if (!hasTensor(root)) {
            for (const char* key : {"state_dict", "model"})
                for (const auto& [k, v] : root->dict)
                    if (sd == root && k->kind == Kind::Str && k->s == key && v->kind == Kind::Dict && hasTensor(v)) {
                        sd = v;
                        f.nestedKey_ = key;
                    }
            if (sd == root) {
                std::string keys;
                for (size_t i = 0; i < root->dict.size() && i < 8; ++i) {
                    const Value* k = root->dict[i].first;
                    keys += (i ? ", " : "") + (k->kind == Kind::Str ? "'" + quoted(k->s) + "'" : std::string(kindName(k->kind)));
                }
                fail("holds no tensors, neither at its top level nor under 'state_dict' or 'model'" +
                     (keys.empty() ? std::string(" (an empty dict)") : " (its keys: " + keys + ")"));
            }
        }
        std::map<std::string, size_t> at;
        for (const auto& [k, v] : sd->dict) {
            if (v->kind != Kind::Tensor)
                continue;   // an epoch number, a config: not a tensor
            if (k->kind != Kind::Str)
                fail(std::string("holds a tensor under a ") + kindName(k->kind) + " key, not a name");
            TensorView tv = view(k->s, *v);
            auto it = at.find(k->s);
            if (it != at.end()) {
                f.tensors_[it->second] = std::move(tv);   // as in Python, a repeated key's last value wins
            } else {
                at[k->s] = f.tensors_.size();
                f.tensors_.push_back(std::move(tv));
            }
        }
        f.buildIndex();
    }
};

std::unique_ptr<TorchStateDict> TorchStateDict::open(const std::string& path)
{
    std::unique_ptr<TorchStateDict> f(new TorchStateDict);
    f->path_ = path;
    f->mapFile(path, 4, "too short for a PyTorch file");
    const auto* bytes = static_cast<const uint8_t*>(f->map_);
    if (std::memcmp(bytes, kLegacyMagic, 4) == 0)
        fail(path, "is in PyTorch's legacy format (torch.save before 1.6, or _use_new_zipfile_serialization=False), "
                   "which is not read: load it in Python and save it again with torch.save");
    if (std::memcmp(bytes, kZipMagic, 4) != 0 && std::memcmp(bytes, kEmptyZipMagic, 4) != 0)
        fail(path, "is not a zip archive, so not a file torch.save (1.6 or later) wrote");
    TorchStateDictReader{*f, {}, {}, 0}.read();
    return f;
}

bool looksLikeTorchFile(const std::string& path)
{
    uint8_t head[4] = {};
    FILE* fp = std::fopen(path.c_str(), "rb");
    if (!fp)
        return false;
    const size_t got = std::fread(head, 1, 4, fp);
    std::fclose(fp);
    return got == 4 && (std::memcmp(head, kZipMagic, 4) == 0 || std::memcmp(head, kEmptyZipMagic, 4) == 0 ||
                        std::memcmp(head, kLegacyMagic, 4) == 0);
}

std::unique_ptr<TensorFile> openStateDict(const std::string& path)
{
    if (looksLikeTorchFile(path))
        return TorchStateDict::open(path);
    return SafetensorsFile::open(path);
}

} // namespace ember
