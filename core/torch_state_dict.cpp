#include "torch_state_dict.h"

#include "file_errors.h"
#include "restricted_unpickler.h"
#include "zip_archive.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <stdexcept>

namespace ember {

namespace {

using pickle::Kind;
using pickle::kindName;
using pickle::Value;

bool hasTensor(const Value* d)
{
    return std::any_of(d->dict.begin(), d->dict.end(), [](const auto& kv) { return kv.second->kind == Kind::Tensor; });
}

std::string shapeText(const std::vector<int64_t>& s)
{
    std::string r = "[";
    for (size_t i = 0; i < s.size(); ++i)
        r += (i ? "," : "") + std::to_string(s[i]);
    return r + "]";
}

// A tensor's storage: its bytes and how many elements of the tensor's dtype it holds.
struct StorageBytes {
    const uint8_t* base = nullptr;
    DType dtype = DType::F32;   // the tensor's
    uint64_t item = 0;          // dtypeSize(dtype)
    uint64_t available = 0;     // in the tensor's elements
};

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

    // The tensor's storage, found in the archive and checked to hold what it claims.
    StorageBytes storageOf(const std::string& who, const Value& t) const
    {
        const Value& st = *t.storage;
        if (!st.storageType->supported)
            fail(who + " is stored as torch." + st.storageType->name + ", which is not read (supported: float32, float16, "
                 "bfloat16, float64, int64, int32, int16, int8, uint8, bool)");
        const ZipEntry* e = entry("data/" + st.s);
        if (!e)
            fail(who + ": its storage data/" + quoted(st.s) + " is not in the archive (damaged)");
        checkStored(*e);
        const DType storageType = st.storageType->dtype;
        StorageBytes s;
        s.base = e->data;
        s.dtype = t.i ? t.dtype : storageType;
        s.item = dtypeSize(s.dtype);
        const uint64_t storageItem = dtypeSize(storageType);
        if (static_cast<uint64_t>(st.i) > e->size / storageItem)
            fail(who + ": its storage claims " + std::to_string(st.i) + " elements but data/" + quoted(st.s) + " holds " +
                 std::to_string(e->size) + " bytes (truncated?)");
        s.available = static_cast<uint64_t>(st.i) * storageItem / s.item;
        return s;
    }

    uint64_t elementCount(const std::string& who, const std::vector<int64_t>& shape) const
    {
        uint64_t numel = 1;
        for (int64_t d : shape) {
            const auto dim = static_cast<uint64_t>(d);
            if (dim > (1ull << 40) || (dim && numel > (1ull << 40) / dim))
                fail(who + " has an implausibly large shape " + std::to_string(d));
            numel *= dim;
        }
        return numel;
    }

    // The last element's index, offset + sum((size - 1) * stride), must lie inside the storage.
    // Returns whether the tensor is contiguous (row-major) there.
    bool checkInside(const std::string& who, const Value& t, uint64_t available) const
    {
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
        return contiguous;
    }

    // A transposed or sliced view: copied into a contiguous buffer (the caller sees a plain
    // row-major tensor). The copies together may not exceed twice the file's size, so that a
    // hostile file of many views of one large storage cannot exhaust memory.
    const uint8_t* copyStrided(const std::string& who, const Value& t, const StorageBytes& s, uint64_t numel,
                               size_t nbytes)
    {
        copied += nbytes;
        if (copied > 2 * static_cast<uint64_t>(f.mapSize_) + (64ull << 20))
            fail(who + ": its non-contiguous tensors would take more than twice the file's size to copy");
        auto buf = std::make_unique<uint8_t[]>(nbytes);
        const size_t rank = t.size.size();
        std::vector<int64_t> idx(rank, 0);
        uint8_t* out = buf.get();
        for (uint64_t n = 0; n < numel; ++n) {
            uint64_t at = static_cast<uint64_t>(t.offset);
            for (size_t k = 0; k < rank; ++k)
                at += static_cast<uint64_t>(idx[k]) * static_cast<uint64_t>(t.stride[k]);
            std::memcpy(out, s.base + at * s.item, static_cast<size_t>(s.item));
            out += s.item;
            for (size_t k = rank; k-- > 0;) {
                if (++idx[k] < t.size[k])
                    break;
                idx[k] = 0;
            }
        }
        f.owned_.push_back(std::move(buf));
        return f.owned_.back().get();
    }

    // The state dict's tensor, named; bounds checked, copied when it is not contiguous.
    TensorView view(const std::string& name, const Value& t)
    {
        const std::string who = "tensor '" + quoted(name) + "'";
        const StorageBytes s = storageOf(who, t);
        TensorView v;
        v.name = name;
        v.dtype = s.dtype;
        v.shape = t.size;
        const uint64_t numel = elementCount(who, t.size);
        if (numel == 0) {
            v.data = s.base;
            return v;
        }
        const bool contiguous = checkInside(who, t, s.available);
        v.nbytes = static_cast<size_t>(numel * s.item);
        v.data = contiguous ? s.base + static_cast<uint64_t>(t.offset) * s.item : copyStrided(who, t, s, numel, v.nbytes);
        return v;
    }

    // data.pkl, checked before it is unpickled.
    const ZipEntry& checkedPickle() const
    {
        const ZipEntry& pkl = *entry("data.pkl");
        checkStored(pkl);
        if (pkl.size > kMaxTorchPickle)
            fail("its data.pkl holds " + std::to_string(pkl.size) + " bytes, over the " +
                 std::to_string(kMaxTorchPickle >> 20) + " MiB limit");
        if (crc32(pkl.data, pkl.size) != pkl.crc)
            fail("its data.pkl fails its checksum (the file is damaged)");
        return pkl;
    }

    // The pickle's top-level dict, or, when that holds no tensors, the one under "state_dict" or
    // "model" (a training checkpoint).
    const Value* stateDictIn(const Value* root)
    {
        if (root->kind != Kind::Dict)
            fail(std::string("holds a ") + kindName(root->kind) + ", not a dict of tensors (a state dict)");
        if (hasTensor(root))
            return root;
        for (const char* key : {"state_dict", "model"})
            for (const auto& [k, v] : root->dict)
                if (k->kind == Kind::Str && k->s == key && v->kind == Kind::Dict && hasTensor(v)) {
                    f.nestedKey_ = key;
                    return v;
                }
        std::string keys;
        for (size_t i = 0; i < root->dict.size() && i < 8; ++i) {
            const Value* k = root->dict[i].first;
            keys += (i ? ", " : "") + (k->kind == Kind::Str ? "'" + quoted(k->s) + "'" : std::string(kindName(k->kind)));
        }
        fail("holds no tensors, neither at its top level nor under 'state_dict' or 'model'" +
             (keys.empty() ? std::string(" (an empty dict)") : " (its keys: " + keys + ")"));
    }

    void addTensors(const Value* sd)
    {
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
    }

    void read()
    {
        const auto* bytes = static_cast<const uint8_t*>(f.map_);
        const std::vector<ZipEntry> all = readZipDirectory(f.path_, bytes, f.mapSize_);
        findArchive(all);
        const ZipEntry& pkl = checkedPickle();
        pickle::RestrictedUnpickler u(f.path_, pkl.data, pkl.size);
        addTensors(stateDictIn(u.run()));
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
