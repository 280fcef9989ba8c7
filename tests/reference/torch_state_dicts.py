#!/usr/bin/python3
"""Writes PyTorch state-dict files for tests/test_state_dict.cpp and tests/test_checkpoint.cpp.

Run with Debian's interpreter and python3-torch: /usr/bin/python3.  Nothing written here is ever
loaded by Python: the hostile files hold pickles that would run a command if torch.load or
pickle.load read them, and the C++ reader must refuse them without running anything.

Commands
  write DIR MARKER
      DIR/model.pt        torch.save(module.state_dict()): f32, f16, bf16, f64, int64, int32, bool,
                          a transposed (non-contiguous) tensor, views sharing one storage, a
                          0-d tensor, an empty tensor
      DIR/model_p4.pt     the same with pickle protocol 4 (FRAME, MEMOIZE, SHORT_BINUNICODE)
      DIR/zip64.pt        model.pt's entries in an archive with zip64 records
      DIR/nested_state_dict.pt, DIR/nested_model.pt
                          {"state_dict": sd, "epoch": 3, ...} and {"model": sd, "optimizer": ...}
      DIR/expected.json   every tensor of model.pt: name, dtype, shape, contiguous bytes (hex)
      DIR/legacy.pt       the pre-1.6 format; DIR/deflated.pt model.pt recompressed;
      DIR/script.pt       a TorchScript module; DIR/bigendian.pt with byteorder "big"
      DIR/hostile_*.pt    pickles whose payload would create MARKER (os.system, builtins.eval,
                          a custom class, inside a real state dict, protocol 4's STACK_GLOBAL)
  from-safetensors IN OUT [--nest KEY] [--strided]
      reads a safetensors file (F32/F16/BF16/I64) and torch.save()s it as an OrderedDict,
      optionally under {KEY: ...}, optionally with every matrix a non-contiguous (transposed) view
"""

import argparse
import collections
import io
import json
import os
import pickle
import struct
import sys
import zipfile
import zlib

import torch


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(7)
        self.fc = torch.nn.Linear(5, 3)
        self.bn = torch.nn.BatchNorm1d(3)
        self.f16 = torch.nn.Parameter(torch.randn(4, 2).half())
        self.register_buffer("bf", torch.randn(3, 5).bfloat16())
        self.register_buffer("f64", torch.randn(2, 3, dtype=torch.float64))
        self.register_buffer("ids", torch.tensor([1, -2, 3, 1 << 40], dtype=torch.int64))
        self.register_buffer("i32", torch.tensor([[7, -8], [9, 10]], dtype=torch.int32))
        self.register_buffer("mask", torch.tensor([True, False, True]))
        base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
        self.register_buffer("base", base)
        self.register_buffer("transposed", torch.randn(3, 4).t())   # non-contiguous
        self.register_buffer("row", base[2])                         # shares base's storage, offset 12
        self.register_buffer("column", base[:, 1])                   # shares it, strided
        self.register_buffer("corner", base[1:3, 2:5])               # shares it, offset and strides
        self.register_buffer("scalar", torch.tensor(2.5))
        self.register_buffer("empty", torch.zeros(0, 3))


class Custom:
    """An arbitrary class: unpickling it would import __main__ and set its attributes."""

    def __init__(self, path):
        self.path = path


DTYPES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.float64: "F64",
          torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8",
          torch.bool: "BOOL"}


def raw_bytes(t):
    t = t.contiguous()
    if t.dtype == torch.bfloat16:
        t = t.view(torch.int16)
    return t.numpy().tobytes()


def write_zip(path, entries, zip64=False):
    """A stored zip archive; with zip64, every size and offset goes through zip64 records."""
    out = io.BytesIO()
    central = []
    for name, data in entries:
        offset = out.tell()
        crc = zlib.crc32(data)
        n = name.encode()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 45 if zip64 else 20, 0, 0, 0, 0, crc,
                              len(data), len(data), len(n), 0) + n + data)
        if zip64:
            extra = struct.pack("<HHQQQ", 1, 24, len(data), len(data), offset)
            sizes = (0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF)
        else:
            extra = b""
            sizes = (len(data), len(data), offset)
        central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45 if zip64 else 20, 0, 0, 0, 0, crc,
                                   sizes[0], sizes[1], len(n), len(extra), 0, 0, 0, 0, sizes[2]) + n + extra)
    dir_offset = out.tell()
    for c in central:
        out.write(c)
    dir_size = out.tell() - dir_offset
    if zip64:
        z = out.tell()
        out.write(struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, len(entries), len(entries),
                              dir_size, dir_offset))
        out.write(struct.pack("<IIQI", 0x07064B50, 0, z, 1))
        out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0))
    else:
        out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), dir_size, dir_offset, 0))
    with open(path, "wb") as f:
        f.write(out.getvalue())


def read_zip(path):
    with zipfile.ZipFile(path) as z:
        return [(i.filename, z.read(i.filename)) for i in z.infolist()]


def hostile_pickle(obj, protocol=2):
    return pickle.dumps(obj, protocol=protocol)


def torch_zip_with_pickle(path, pkl):
    """A torch.save-shaped archive whose data.pkl is `pkl`."""
    write_zip(path, [("archive/data.pkl", pkl), ("archive/version", b"3\n")])


def write_all(d, marker):
    sd = Net().state_dict()
    torch.save(sd, os.path.join(d, "model.pt"))
    torch.save(sd, os.path.join(d, "model_p4.pt"), pickle_protocol=4)
    write_zip(os.path.join(d, "zip64.pt"), read_zip(os.path.join(d, "model.pt")), zip64=True)
    torch.save({"state_dict": sd, "epoch": 3, "best": 0.25, "names": ["a", "b"]}, os.path.join(d, "nested_state_dict.pt"))
    opt = torch.optim.SGD(Net().parameters(), lr=0.1, momentum=0.9)
    torch.save({"model": sd, "optimizer": opt.state_dict(), "step": 10}, os.path.join(d, "nested_model.pt"))
    expected = [{"name": k, "dtype": DTYPES[v.dtype], "shape": list(v.shape), "hex": raw_bytes(v).hex(),
                 "contiguous": v.is_contiguous()} for k, v in sd.items()]
    with open(os.path.join(d, "expected.json"), "w") as f:
        json.dump(expected, f)

    torch.save(sd, os.path.join(d, "legacy.pt"), _use_new_zipfile_serialization=False)
    with zipfile.ZipFile(os.path.join(d, "deflated.pt"), "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in read_zip(os.path.join(d, "model.pt")):
            z.writestr(name, data)
    torch.jit.save(torch.jit.script(torch.nn.Linear(2, 2)), os.path.join(d, "script.pt"))
    write_zip(os.path.join(d, "bigendian.pt"), read_zip(os.path.join(d, "model.pt")) + [("model/byteorder", b"big")])

    command = "touch " + marker

    class RunsCommand:
        def __reduce__(self):
            return (os.system, (command,))

    class Evaluates:
        def __reduce__(self):
            return (eval, ("open(%r, 'w').write('ran')" % marker,))

    torch_zip_with_pickle(os.path.join(d, "hostile_system.pt"), hostile_pickle({"w": RunsCommand()}))
    torch_zip_with_pickle(os.path.join(d, "hostile_eval.pt"), hostile_pickle(Evaluates()))
    torch_zip_with_pickle(os.path.join(d, "hostile_class.pt"), hostile_pickle({"w": Custom(marker)}))
    torch_zip_with_pickle(os.path.join(d, "hostile_p4.pt"), hostile_pickle([Evaluates()], protocol=4))
    # The payload inside a real torch.save archive, after a genuine tensor.
    torch.save(collections.OrderedDict([("weight", torch.ones(2)), ("x", RunsCommand())]),
               os.path.join(d, "hostile_in_state_dict.pt"))


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    data = raw[8 + n:]
    kinds = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "I64": torch.int64}
    out = collections.OrderedDict()
    for name, e in header.items():
        if name == "__metadata__":
            continue
        b, end = e["data_offsets"]
        t = torch.frombuffer(bytearray(data[b:end]), dtype=kinds[e["dtype"]]) if end > b else \
            torch.zeros(0, dtype=kinds[e["dtype"]])
        out[name] = t.reshape(e["shape"]).clone()
    return out


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "write":
        write_all(sys.argv[2], sys.argv[3])
        return
    if len(sys.argv) < 4 or sys.argv[1] != "from-safetensors":
        sys.exit(__doc__)
    args = argparse.ArgumentParser(prog="torch_state_dicts.py from-safetensors")
    args.add_argument("input")
    args.add_argument("output")
    args.add_argument("--nest", default="")
    args.add_argument("--strided", action="store_true")
    a = args.parse_args(sys.argv[2:])
    sd = read_safetensors(a.input)
    if a.strided:   # the same values through non-contiguous views, as a transposed weight is saved
        for k, v in sd.items():
            if v.dim() == 2:
                sd[k] = v.t().contiguous().t()
    torch.save({a.nest: sd, "epoch": 1} if a.nest else sd, a.output)


if __name__ == "__main__":
    main()
