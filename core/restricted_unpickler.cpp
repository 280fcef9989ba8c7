#include "restricted_unpickler.h"

#include "file_errors.h"

#include <cstdio>
#include <cstring>

namespace ember::pickle {

namespace {

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

// Guards against pickles built to exhaust memory; real state dicts stay far below these.
constexpr size_t kMaxValues = 2'000'000, kMaxStack = 1'000'000, kMaxMarks = 10'000;

} // namespace

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

Value* RestrictedUnpickler::run()
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

void RestrictedUnpickler::error(const std::string& what) const
{
    fail(path_, "data.pkl " + what + " (at byte " + std::to_string(op_) + ")");
}

// ---- Reading the pickle's bytes ----------------------------------------------------------------

const uint8_t* RestrictedUnpickler::take(uint64_t k)
{
    if (k > n_ - pos_)
        error("ends inside an opcode's argument (truncated)");
    const uint8_t* r = p_ + pos_;
    pos_ += k;
    return r;
}

uint64_t RestrictedUnpickler::takeLE(int bytes)
{
    const uint8_t* q = take(static_cast<uint64_t>(bytes));
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; --i)
        v = (v << 8) | q[i];
    return v;
}

std::string RestrictedUnpickler::takeString(uint64_t len)
{
    const uint8_t* q = take(len);
    return std::string(reinterpret_cast<const char*>(q), static_cast<size_t>(len));
}

std::string RestrictedUnpickler::takeLine()
{
    const void* nl = std::memchr(p_ + pos_, '\n', static_cast<size_t>(n_ - pos_));
    if (!nl)
        error("ends inside a name (truncated)");
    const auto len = static_cast<uint64_t>(static_cast<const uint8_t*>(nl) - (p_ + pos_));
    std::string s = takeString(len);
    ++pos_;
    return s;
}

// ---- Values, the stack, its marks and the memo -------------------------------------------------

Value* RestrictedUnpickler::make(Kind k)
{
    if (values_.size() >= kMaxValues)
        error("holds more than " + std::to_string(kMaxValues) + " values (not a state dict)");
    values_.emplace_back();
    values_.back().kind = k;
    return &values_.back();
}

void RestrictedUnpickler::push(Value* v)
{
    if (stack_.size() >= kMaxStack)
        error("grows its stack past " + std::to_string(kMaxStack) + " values (not a state dict)");
    stack_.push_back(v);
}

Value* RestrictedUnpickler::pop()
{
    if (stack_.size() <= floor())
        error("pops an empty stack (damaged)");
    Value* v = stack_.back();
    stack_.pop_back();
    return v;
}

Value* RestrictedUnpickler::top()
{
    if (stack_.size() <= floor())
        error("reads an empty stack (damaged)");
    return stack_.back();
}

// The values since the last MARK, which is removed.
std::vector<Value*> RestrictedUnpickler::popMark()
{
    if (marks_.empty())
        error("has no MARK for an opcode that needs one (damaged)");
    const size_t m = marks_.back();
    marks_.pop_back();
    std::vector<Value*> out(stack_.begin() + static_cast<std::ptrdiff_t>(m), stack_.end());
    stack_.resize(m);
    return out;
}

Value* RestrictedUnpickler::expect(Value* v, Kind k, const char* what)
{
    if (v->kind != k)
        error(std::string("gives a ") + kindName(v->kind) + " where " + what + " needs a " + kindName(k));
    return v;
}

void RestrictedUnpickler::memoPut(uint64_t index)
{
    if (memo_.size() >= kMaxValues && !memo_.count(index))
        error("memoizes more than " + std::to_string(kMaxValues) + " values (not a state dict)");
    memo_[index] = top();
}

void RestrictedUnpickler::memoGet(uint64_t index)
{
    auto it = memo_.find(index);
    if (it == memo_.end())
        error("refers to memo entry " + std::to_string(index) + ", which was never stored (damaged)");
    push(it->second);
}

Value* RestrictedUnpickler::tuple(std::vector<Value*> items)
{
    Value* t = make(Kind::Tuple);
    t->items = std::move(items);
    return t;
}

// ---- The names and calls a state dict needs ----------------------------------------------------

// Recognises the few names a state dict needs; refuses everything else. Nothing is imported
// or called: a recognised name becomes an inert value the opcodes below interpret.
Value* RestrictedUnpickler::global(const std::string& module, const std::string& name)
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
Value* RestrictedUnpickler::persistentLoad(Value* pid)
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

std::vector<int64_t> RestrictedUnpickler::intTuple(const Value* v, const char* what)
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
Value* RestrictedUnpickler::rebuildTensor(const Value* fn, const Value* args)
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

Value* RestrictedUnpickler::reduce(Value* fn, Value* args)
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

// ---- The opcodes -------------------------------------------------------------------------------

bool RestrictedUnpickler::step(uint8_t op)
{
    if (op == '.')   // STOP
        return true;
    if (stackOp(op) || scalarOp(op) || containerOp(op) || objectOp(op))
        return false;
    char buf[8];
    std::snprintf(buf, sizeof buf, "0x%02x", op);
    error(std::string("uses pickle opcode ") + buf + ", which a torch.save state dict never holds");
}

// PROTO, FRAME, MARK, POP, DUP and the memo.
bool RestrictedUnpickler::stackOp(uint8_t op)
{
    switch (op) {
    case 0x80: {   // PROTO
        const uint64_t v = takeLE(1);
        if (v < 2 || v > 5)
            error("uses pickle protocol " + std::to_string(v) + " (2 to 5 are read)");
        return true;
    }
    case 0x95: take(8); return true;   // FRAME: a length hint
    case '(':                          // MARK
        if (marks_.size() >= kMaxMarks)
            error("nests MARKs more than " + std::to_string(kMaxMarks) + " deep");
        marks_.push_back(stack_.size());
        return true;
    case '0': pop(); return true;                     // POP
    case '1': popMark(); return true;                 // POP_MARK
    case '2': push(top()); return true;               // DUP
    case 'q': memoPut(takeLE(1)); return true;        // BINPUT
    case 'r': memoPut(takeLE(4)); return true;        // LONG_BINPUT
    case 0x94: memoPut(memo_.size()); return true;    // MEMOIZE
    case 'h': memoGet(takeLE(1)); return true;        // BINGET
    case 'j': memoGet(takeLE(4)); return true;        // LONG_BINGET
    default: return false;
    }
}

// None, bools, integers, floats, strings and bytes.
bool RestrictedUnpickler::scalarOp(uint8_t op)
{
    switch (op) {
    case 'N': push(make(Kind::None)); return true;   // NONE
    case 0x88:                                       // NEWTRUE
    case 0x89: {                                     // NEWFALSE
        Value* v = make(Kind::Bool);
        v->i = op == 0x88;
        push(v);
        return true;
    }
    case 'J': {   // BININT
        Value* v = make(Kind::Int);
        v->i = static_cast<int32_t>(takeLE(4));
        push(v);
        return true;
    }
    case 'K':     // BININT1
    case 'M': {   // BININT2
        Value* v = make(Kind::Int);
        v->i = static_cast<int64_t>(takeLE(op == 'K' ? 1 : 2));
        push(v);
        return true;
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
        return true;
    }
    case 'G': {   // BINFLOAT, big-endian
        const uint8_t* q = take(8);
        uint64_t u = 0;
        for (int i = 0; i < 8; ++i)
            u = (u << 8) | q[i];
        Value* v = make(Kind::Float);
        std::memcpy(&v->f, &u, 8);
        push(v);
        return true;
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
        return true;
    }
    default: return false;
    }
}

// Tuples, lists and dicts.
bool RestrictedUnpickler::containerOp(uint8_t op)
{
    switch (op) {
    case ')': push(tuple({})); return true;           // EMPTY_TUPLE
    case 't': push(tuple(popMark())); return true;    // TUPLE
    case 0x85:                                        // TUPLE1
    case 0x86:                                        // TUPLE2
    case 0x87: {                                      // TUPLE3
        std::vector<Value*> items(static_cast<size_t>(op - 0x84));
        for (size_t i = items.size(); i-- > 0;)
            items[i] = pop();
        push(tuple(std::move(items)));
        return true;
    }
    case ']': push(make(Kind::List)); return true;   // EMPTY_LIST
    case 'l': {                                      // LIST
        Value* l = make(Kind::List);
        l->items = popMark();
        push(l);
        return true;
    }
    case 'a': {   // APPEND
        Value* v = pop();
        expect(top(), Kind::List, "APPEND")->items.push_back(v);
        return true;
    }
    case 'e': {   // APPENDS
        auto items = popMark();
        Value* l = expect(top(), Kind::List, "APPENDS");
        l->items.insert(l->items.end(), items.begin(), items.end());
        return true;
    }
    case '}': push(make(Kind::Dict)); return true;   // EMPTY_DICT
    case 'd':                                        // DICT
    case 'u': {                                      // SETITEMS
        auto items = popMark();
        if (items.size() % 2)
            error("gives a dict an odd number of keys and values");
        Value* d = op == 'd' ? make(Kind::Dict) : expect(top(), Kind::Dict, "SETITEMS");
        for (size_t i = 0; i < items.size(); i += 2)
            d->dict.emplace_back(items[i], items[i + 1]);
        if (op == 'd')
            push(d);
        return true;
    }
    case 's': {   // SETITEM
        Value* v = pop();
        Value* k = pop();
        expect(top(), Kind::Dict, "SETITEM")->dict.emplace_back(k, v);
        return true;
    }
    default: return false;
    }
}

// Globals, calls, BUILD and persistent ids (storages).
bool RestrictedUnpickler::objectOp(uint8_t op)
{
    switch (op) {
    case 'c':     // GLOBAL
    case 'i': {   // INST (protocol 0/1: names a class too)
        const std::string module = takeLine();
        const std::string name = takeLine();
        Value* g = global(module, name);
        if (op == 'i')
            error("creates an object with INST (" + g->s + "), which torch.save never does");
        push(g);
        return true;
    }
    case 0x93: {   // STACK_GLOBAL
        Value* name = pop();
        Value* module = pop();
        if (module->kind != Kind::Str || name->kind != Kind::Str)
            error("names a global with values that are not strings");
        push(global(module->s, name->s));
        return true;
    }
    case 'R':      // REDUCE
    case 0x81: {   // NEWOBJ
        Value* args = pop();
        Value* fn = pop();
        push(reduce(fn, args));
        return true;
    }
    case 'b': {   // BUILD: an OrderedDict's attributes (state_dict()'s _metadata); kept out
        Value* state = pop();
        Value* obj = top();
        if (obj->kind != Kind::Dict || (state->kind != Kind::Dict && state->kind != Kind::Tuple))
            error(std::string("sets the state of a ") + kindName(obj->kind) + ", which torch.save never does");
        return true;
    }
    case 'Q': push(persistentLoad(pop())); return true;   // BINPERSID
    default: return false;
    }
}

} // namespace ember::pickle
