#!/usr/bin/python3
"""safetensors_to_pt.py IN.safetensors OUT.pt [--hostile]: what a PyTorch user hands the studio.

Writes the tensors of an EmberVLM safetensors file as `torch.save(state_dict)` writes a
pytorch_model.bin (Debian's python3-torch, no safetensors package needed). --hostile adds an
object whose unpickling would run os.system: the studio must refuse the file and run nothing.
"""
import json, os, struct, sys
import numpy as np
import torch

src, dst = sys.argv[1], sys.argv[2]
with open(src, "rb") as f:
    n = struct.unpack("<Q", f.read(8))[0]
    header = json.loads(f.read(n))
    data = f.read()
kinds = {"F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32, "F64": np.float64}
state = {}
for name, t in header.items():
    if name == "__metadata__":
        continue
    a, b = t["data_offsets"]
    state[name] = torch.from_numpy(np.frombuffer(data[a:b], dtype=kinds[t["dtype"]]).copy().reshape(t["shape"]))


class Payload:
    def __reduce__(self):
        return (os.system, ("touch " + dst + ".ran",))


if len(sys.argv) > 3 and sys.argv[3] == "--hostile":
    state["payload"] = Payload()
torch.save(state, dst)
