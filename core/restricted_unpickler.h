#pragma once
// The pickle interpreter behind TorchStateDict (internal): it builds only plain values (None,
// bools, numbers, strings, tuples, lists, dicts) and the storages and tensors torch.save
// describes, and refuses every other name a pickle asks for. Nothing is imported or called.
// Errors throw std::runtime_error naming the path and, for a damaged pickle, the byte.
#include "safetensors.h"

#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace ember::pickle {

// A storage type torch.save names (torch.<Type>Storage), with the dtype we read it as; one that
// is not supported is still recognised, so that a tensor of that type gets a clear message.
struct StorageType {
    const char* name;
    bool supported;
    DType dtype;
};

enum class Kind { None, Bool, Int, Float, Str, Bytes, Tuple, List, Dict, Global, Storage, Tensor };
const char* kindName(Kind k);

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

class RestrictedUnpickler {
public:
    RestrictedUnpickler(std::string path, const uint8_t* data, uint64_t size) : path_(std::move(path)), p_(data), n_(size) {}

    // The pickle's value; it and everything it refers to live as long as the unpickler.
    Value* run();

private:
    [[noreturn]] void error(const std::string& what) const;

    // Reading the pickle's bytes.
    const uint8_t* take(uint64_t k);
    uint64_t takeLE(int bytes);
    std::string takeString(uint64_t len);
    std::string takeLine();

    // Values, the stack, its marks and the memo.
    Value* make(Kind k);
    void push(Value* v);
    size_t floor() const { return marks_.empty() ? 0 : marks_.back(); }
    Value* pop();
    Value* top();
    std::vector<Value*> popMark();
    Value* expect(Value* v, Kind k, const char* what);
    void memoPut(uint64_t index);
    void memoGet(uint64_t index);
    Value* tuple(std::vector<Value*> items);

    // The names and calls a state dict needs.
    Value* global(const std::string& module, const std::string& name);
    Value* persistentLoad(Value* pid);
    std::vector<int64_t> intTuple(const Value* v, const char* what);
    Value* rebuildTensor(const Value* fn, const Value* args);
    Value* reduce(Value* fn, Value* args);

    // The opcodes, by family; each returns false for an opcode not its own.
    bool step(uint8_t op);   // true at STOP
    bool stackOp(uint8_t op);
    bool scalarOp(uint8_t op);
    bool containerOp(uint8_t op);
    bool objectOp(uint8_t op);

    std::string path_;
    const uint8_t* p_;
    uint64_t n_;
    uint64_t pos_ = 0, op_ = 0;
    std::deque<Value> values_;   // owns every value: no recursion on destruction, cycles harmless
    std::vector<Value*> stack_;
    std::vector<size_t> marks_;
    std::unordered_map<uint64_t, Value*> memo_;
};

} // namespace ember::pickle
