#!/usr/bin/python3
"""Independent PyTorch reference implementation of EmberVLM (spec: shared/spec/MODEL.md).

Used as the yardstick for the C++ LibTorch implementation.  Self-contained: stdlib + torch +
numpy (+ cv2 only for --image).  Run with Debian's interpreter: /usr/bin/python3.

Commands
  params  --config-json '{}'
      print `name [shape] DTYPE` for every state-dict entry, in state-dict order
      (same format as shared/spec/parameters-base.txt without its comment lines).
  init    --config-json '{}' --seed S -o FILE [--nonzero-bias]
      write a randomly initialised checkpoint (safetensors, tensors sorted by name).
  forward --checkpoint C (--image I | --image-npy N | --no-image) --ids 1,2,3 [--float64]
      print one JSON object: vision_mean, vision_std, top10, trace.

Decisions where the brief / MODEL.md leave room (documented here, see also the report):
  * vision_std is the POPULATION std (torch.std(unbiased=False)) over all C*H*W elements of the
    final encoder map; vision_mean/std are null with --no-image.
  * Everything runs in float32 by default (eval mode: BN running stats, dropout off).
    --float64 is an optional diagnostic that runs the same model in double precision.
  * Validator score is compared in double: float(score_f32) >= float(threshold).
  * "answer" = argmax (first max on ties) of the answer distribution of the last ACCEPTED step;
    trace.answer_probs is that distribution.  A rejected step is recorded with its own score and
    answer_probs but is never used as the "previous" step (the loop stops right after it).
  * --image-npy arrays are fed as-is (no resize); they must already be [3,H,W] normalised.
  * Attention masking uses -inf on future positions before softmax (same result as HF's
    finfo.min masking for a causal mask without padding).
"""

import argparse
import json
import math
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

ROBOT_LABELS = ["Drone", "Underwater Robot", "Humanoid", "Robot with Wheels", "Robot with Legs"]

DEFAULT_CONFIG = {
    "vision_widths": [48, 96, 192, 384],
    "vision_depths": [2, 2, 14, 2],
    "visual_grid": [1, 1],
    "image_size": 224,
    "proj_hidden": 768,
    "vocab_size": 50262,
    "n_positions": 1024,
    "n_embd": 384,
    "n_layer": 6,
    "n_head": 6,
    "n_inner": 1536,
    "layer_norm_eps": 1e-5,
    "reasoning_hidden": 768,
    "validator_hidden": 384,
    "answer_hidden": 192,
    "num_robots": 5,
    "max_reasoning_steps": 4,
    "consistency_threshold": 0.5,
}

BN_EPS = 1e-5
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def make_config(overrides):
    cfg = dict(DEFAULT_CONFIG)
    for k, v in (overrides or {}).items():
        cfg[k] = v
    return cfg


# ----------------------------------------------------------------------------------------------
# safetensors (minimal reader / writer)
# ----------------------------------------------------------------------------------------------

_ST_NP = {"F32": np.dtype("<f4"), "F16": np.dtype("<f2"), "I64": np.dtype("<i8")}
_ST_ELEM = {"F32": 4, "F16": 2, "BF16": 2, "I64": 8}


def read_safetensors(path):
    """Return (dict name -> torch.Tensor, metadata dict of str -> str)."""
    with open(path, "rb") as f:
        raw = f.read()
    (hlen,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + hlen].decode("utf-8"))
    base = 8 + hlen
    meta = header.pop("__metadata__", None) or {}
    tensors = {}
    for name, info in header.items():
        dt = info["dtype"]
        shape = [int(s) for s in info["shape"]]
        b, e = info["data_offsets"]
        buf = raw[base + b: base + e]
        n = int(np.prod(shape)) if shape else 1
        if dt not in _ST_ELEM:
            raise ValueError("unsupported dtype %s for %s" % (dt, name))
        if len(buf) != n * _ST_ELEM[dt]:
            raise ValueError("bad byte size for %s" % name)
        if dt == "BF16":
            u16 = np.frombuffer(buf, dtype="<u2").astype(np.uint32)
            arr = (u16 << 16).view(np.float32)
            t = torch.from_numpy(arr.copy()).to(torch.bfloat16)
        else:
            arr = np.frombuffer(buf, dtype=_ST_NP[dt]).copy()
            t = torch.from_numpy(arr)
        tensors[name] = t.reshape(shape)
    return tensors, meta


def _st_dtype(t):
    if t.dtype == torch.float32:
        return "F32"
    if t.dtype == torch.float16:
        return "F16"
    if t.dtype == torch.int64:
        return "I64"
    if t.dtype == torch.bfloat16:
        return "BF16"
    raise ValueError("unsupported dtype %s" % t.dtype)


def write_safetensors(path, tensors, metadata):
    names = sorted(tensors.keys())
    header = {"__metadata__": dict(metadata)}
    blobs = []
    off = 0
    for name in names:
        t = tensors[name].detach().contiguous().cpu()
        dt = _st_dtype(t)
        if dt == "BF16":
            b = (t.to(torch.float32).numpy().view(np.uint32) >> 16).astype("<u2").tobytes()
        else:
            b = t.numpy().astype(_ST_NP[dt], copy=False).tobytes()
        header[name] = {"dtype": dt, "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    hbytes = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hbytes += b" " * ((8 - len(hbytes) % 8) % 8)  # pad header to 8-byte alignment (allowed by format)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hbytes)))
        f.write(hbytes)
        for b in blobs:
            f.write(b)


# ----------------------------------------------------------------------------------------------
# Vision: RepViT (timm repvit_m0_9, non-legacy)
# ----------------------------------------------------------------------------------------------

def make_divisible(v, divisor=8, min_value=None, round_limit=0.9):
    """timm.layers.make_divisible."""
    min_value = min_value or divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < round_limit * v:
        new_v += divisor
    return new_v


class ConvNorm(nn.Module):
    def __init__(self, cin, cout, k=1, stride=1, pad=0, groups=1):
        super().__init__()
        self.c = nn.Conv2d(cin, cout, k, stride, pad, groups=groups, bias=False)
        self.bn = nn.BatchNorm2d(cout, eps=BN_EPS)

    def forward(self, x):
        return self.bn(self.c(x))


class RepVggDw(nn.Module):
    def __init__(self, ed, k=3):
        super().__init__()
        self.conv = ConvNorm(ed, ed, k, 1, (k - 1) // 2, groups=ed)
        self.conv1 = nn.Conv2d(ed, ed, 1, 1, 0, groups=ed, bias=True)
        self.bn = nn.BatchNorm2d(ed, eps=BN_EPS)

    def forward(self, x):
        return self.bn(self.conv(x) + self.conv1(x) + x)


class SqueezeExcite(nn.Module):
    """timm SEModule(channels, rd_ratio=0.25): rd = make_divisible(C*0.25, 8, round_limit=0)."""

    def __init__(self, ch, rd_ratio=0.25):
        super().__init__()
        rd = make_divisible(ch * rd_ratio, 8, round_limit=0.0)
        self.fc1 = nn.Conv2d(ch, rd, 1, bias=True)
        self.fc2 = nn.Conv2d(rd, ch, 1, bias=True)

    def forward(self, x):
        s = x.mean((2, 3), keepdim=True)
        s = F.relu(self.fc1(s))
        s = self.fc2(s)
        return x * torch.sigmoid(s)


class RepVitMlp(nn.Module):
    def __init__(self, cin, hidden):
        super().__init__()
        self.conv1 = ConvNorm(cin, hidden, 1, 1, 0)
        self.conv2 = ConvNorm(hidden, cin, 1, 1, 0)

    def forward(self, x):
        return self.conv2(F.gelu(self.conv1(x)))  # exact (erf) GELU


class RepVitBlock(nn.Module):
    def __init__(self, ch, use_se, mlp_ratio=2):
        super().__init__()
        self.token_mixer = RepVggDw(ch, 3)
        self.se = SqueezeExcite(ch, 0.25) if use_se else nn.Identity()
        self.channel_mixer = RepVitMlp(ch, ch * mlp_ratio)

    def forward(self, x):
        x = self.token_mixer(x)
        x = self.se(x)
        return x + self.channel_mixer(x)


class RepVitDownsample(nn.Module):
    def __init__(self, cin, cout, mlp_ratio=2):
        super().__init__()
        self.pre_block = RepVitBlock(cin, use_se=False, mlp_ratio=mlp_ratio)
        self.spatial_downsample = ConvNorm(cin, cin, 3, 2, 1, groups=cin)
        self.channel_downsample = ConvNorm(cin, cout, 1, 1, 0)
        self.ffn = RepVitMlp(cout, cout * mlp_ratio)

    def forward(self, x):
        x = self.pre_block(x)
        x = self.spatial_downsample(x)
        x = self.channel_downsample(x)
        return x + self.ffn(x)


class RepVitStage(nn.Module):
    def __init__(self, cin, cout, depth, downsample):
        super().__init__()
        self.downsample = RepVitDownsample(cin, cout) if downsample else nn.Identity()
        blocks = []
        use_se = True
        for _ in range(depth):
            blocks.append(RepVitBlock(cout, use_se))
            use_se = not use_se
        self.blocks = nn.Sequential(*blocks)

    def forward(self, x):
        return self.blocks(self.downsample(x))


class RepVitStem(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv1 = ConvNorm(cin, cout // 2, 3, 2, 1)
        self.conv2 = ConvNorm(cout // 2, cout, 3, 2, 1)

    def forward(self, x):
        return self.conv2(F.gelu(self.conv1(x)))


class RepVit(nn.Module):
    def __init__(self, widths, depths):
        super().__init__()
        self.stem = RepVitStem(3, widths[0])
        stages = []
        prev = widths[0]
        for i, (w, d) in enumerate(zip(widths, depths)):
            stages.append(RepVitStage(prev, w, d, downsample=(i > 0)))
            prev = w
        self.stages = nn.Sequential(*stages)

    def forward(self, x):
        return self.stages(self.stem(x))


# ----------------------------------------------------------------------------------------------
# Projection
# ----------------------------------------------------------------------------------------------

class Projection(nn.Module):
    def __init__(self, din, hidden, dout):
        super().__init__()
        self.fc1 = nn.Linear(din, hidden)
        self.fc2 = nn.Linear(hidden, dout)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x)))  # Dropout(0.1) between: identity in eval


# ----------------------------------------------------------------------------------------------
# GPT-2 (pre-LN, separate q/k/v/out_proj, gelu_new, tied head)
# ----------------------------------------------------------------------------------------------

def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


class Attention(nn.Module):
    def __init__(self, d, n_head):
        super().__init__()
        self.n_head = n_head
        self.q_proj = nn.Linear(d, d)
        self.k_proj = nn.Linear(d, d)
        self.v_proj = nn.Linear(d, d)
        self.out_proj = nn.Linear(d, d)

    def forward(self, x):
        B, T, D = x.shape
        hd = D // self.n_head

        def split(t):
            return t.view(B, T, self.n_head, hd).transpose(1, 2)

        q, k, v = split(self.q_proj(x)), split(self.k_proj(x)), split(self.v_proj(x))
        att = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(hd)
        causal = torch.ones(T, T, dtype=torch.bool, device=x.device).tril()
        att = att.masked_fill(~causal, float("-inf"))
        att = torch.softmax(att, dim=-1)
        y = torch.matmul(att, v).transpose(1, 2).reshape(B, T, D)
        return self.out_proj(y)


class Mlp(nn.Module):
    def __init__(self, d, inner):
        super().__init__()
        self.fc1 = nn.Linear(d, inner)
        self.fc2 = nn.Linear(inner, d)

    def forward(self, x):
        return self.fc2(gelu_new(self.fc1(x)))


class Block(nn.Module):
    def __init__(self, d, n_head, inner, eps):
        super().__init__()
        self.ln_1 = nn.LayerNorm(d, eps=eps)
        self.attn = Attention(d, n_head)
        self.ln_2 = nn.LayerNorm(d, eps=eps)
        self.mlp = Mlp(d, inner)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT2(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d = cfg["n_embd"]
        self.wte = nn.Embedding(cfg["vocab_size"], d)
        self.wpe = nn.Embedding(cfg["n_positions"], d)
        self.h = nn.ModuleList([Block(d, cfg["n_head"], cfg["n_inner"], cfg["layer_norm_eps"])
                                for _ in range(cfg["n_layer"])])
        self.ln_f = nn.LayerNorm(d, eps=cfg["layer_norm_eps"])

    def forward(self, inputs_embeds):
        T = inputs_embeds.shape[1]
        pos = torch.arange(T, device=inputs_embeds.device)
        x = inputs_embeds + self.wpe(pos)[None]
        for blk in self.h:
            x = blk(x)
        h = self.ln_f(x)
        logits = torch.matmul(h, self.wte.weight.t())  # tied LM head, no bias
        return h, logits


# ----------------------------------------------------------------------------------------------
# Reasoning module
# ----------------------------------------------------------------------------------------------

class Reasoning(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d = cfg["n_embd"]
        self.reasoning_head = nn.Sequential(nn.Linear(d, cfg["reasoning_hidden"]), nn.ReLU(),
                                            nn.Dropout(0.1), nn.Linear(cfg["reasoning_hidden"], d))
        self.step_validator = nn.Sequential(nn.Linear(2 * d, cfg["validator_hidden"]), nn.ReLU(),
                                            nn.Linear(cfg["validator_hidden"], 1), nn.Sigmoid())
        self.answer_head = nn.Sequential(nn.Linear(d, cfg["answer_hidden"]), nn.ReLU(),
                                         nn.Linear(cfg["answer_hidden"], cfg["num_robots"]))

    def run(self, h_last, max_steps, threshold):
        """h_last: [d] (one sample).  Returns the trace dict."""
        steps = []

        def probs(s):
            return torch.softmax(self.answer_head(s[None])[0], dim=-1)

        prev = self.reasoning_head(h_last[None])[0]
        last_probs = probs(prev)
        steps.append({"score": None, "accepted": True,
                      "answer_probs": [float(p) for p in last_probs]})
        for _ in range(1, max_steps):
            cur = self.reasoning_head(prev[None])[0]
            score = float(self.step_validator(torch.cat([cur, prev])[None])[0, 0])
            p = probs(cur)
            accepted = score >= float(threshold)
            steps.append({"score": score, "accepted": accepted,
                          "answer_probs": [float(x) for x in p]})
            if not accepted:
                break
            prev, last_probs = cur, p
        answer = int(torch.argmax(last_probs).item())
        return {"steps": steps, "answer_probs": [float(x) for x in last_probs], "answer": answer}


# ----------------------------------------------------------------------------------------------
# Full model
# ----------------------------------------------------------------------------------------------

class EmberVLM(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.vision = RepVit(cfg["vision_widths"], cfg["vision_depths"])
        self.projection = Projection(cfg["vision_widths"][-1], cfg["proj_hidden"], cfg["n_embd"])
        self.language_model = GPT2(cfg)
        self.reasoning = Reasoning(cfg)

    @torch.no_grad()
    def forward_one(self, image, ids):
        """image: [3,H,W] tensor or None; ids: list[int].  Returns (vision_map or None, h, logits)."""
        parts = []
        vmap = None
        if image is not None:
            vmap = self.vision(image[None])                        # [1,C,h,w]
            rows, cols = self.cfg["visual_grid"]
            pooled = F.adaptive_avg_pool2d(vmap, (rows, cols))     # [1,C,rows,cols]
            tokens = pooled.flatten(2).transpose(1, 2)             # [1,rows*cols,C], row-major
            parts.append(self.projection(tokens))
        if ids:
            parts.append(self.language_model.wte(torch.tensor([ids], dtype=torch.long)))
        if not parts:
            raise ValueError("empty sequence: give an image and/or token ids")
        x = torch.cat(parts, dim=1)
        if x.shape[1] > self.cfg["n_positions"]:
            raise ValueError("sequence length %d exceeds n_positions" % x.shape[1])
        h, logits = self.language_model(x)
        return vmap, h[0], logits[0]


def state_dict_entries(model):
    return list(model.state_dict().items())


# ----------------------------------------------------------------------------------------------
# Preprocessing
# ----------------------------------------------------------------------------------------------

def load_image_cv2(path, size):
    import cv2  # only needed for --image
    bgr = cv2.imread(path, cv2.IMREAD_COLOR)
    if bgr is None:
        raise ValueError("cannot decode image %s" % path)
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    rgb = cv2.resize(rgb, (size, size), interpolation=cv2.INTER_LINEAR)
    x = rgb.astype(np.float32) / 255.0
    x = (x - np.array(IMAGENET_MEAN, dtype=np.float32)) / np.array(IMAGENET_STD, dtype=np.float32)
    return torch.from_numpy(np.ascontiguousarray(x.transpose(2, 0, 1)))


# ----------------------------------------------------------------------------------------------
# Commands
# ----------------------------------------------------------------------------------------------

def _dtype_name(t):
    return {torch.float32: "F32", torch.int64: "I64", torch.float16: "F16",
            torch.bfloat16: "BF16", torch.float64: "F64"}[t.dtype]


def cmd_params(args):
    cfg = make_config(json.loads(args.config_json))
    model = EmberVLM(cfg)
    for name, t in state_dict_entries(model):
        print("%s [%s] %s" % (name, ",".join(str(s) for s in t.shape), _dtype_name(t)))
    if args.summary:
        params = dict(model.named_parameters())
        nparam = len(params)
        entries = state_dict_entries(model)
        print("# state-dict entries: %d (%d parameters, %d buffers)"
              % (len(entries), nparam, len(entries) - nparam), file=sys.stderr)
        tot_p = tot_b = 0
        for comp in ["vision", "projection", "language_model", "reasoning"]:
            p = sum(v.numel() for k, v in params.items() if k.startswith(comp + "."))
            b = sum(v.numel() for k, v in entries if k.startswith(comp + ".") and k not in params)
            tot_p += p
            tot_b += b
            print("# params %s: %d  (buffer elements: %d)" % (comp, p, b), file=sys.stderr)
        print("# params total: %d  (buffer elements: %d)" % (tot_p, tot_b), file=sys.stderr)


def cmd_init(args):
    cfg = make_config(json.loads(args.config_json))
    torch.manual_seed(args.seed)
    model = EmberVLM(cfg)

    def bias_(b):
        if args.nonzero_bias:
            nn.init.normal_(b, 0.0, 0.02)
        else:
            nn.init.zeros_(b)

    with torch.no_grad():
        for m in model.modules():  # deterministic module order
            if isinstance(m, (nn.Linear,)):
                nn.init.normal_(m.weight, 0.0, 0.02)
                if m.bias is not None:
                    bias_(m.bias)
            elif isinstance(m, nn.Embedding):
                nn.init.normal_(m.weight, 0.0, 0.02)
            elif isinstance(m, nn.LayerNorm):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Conv2d):
                # kaiming normal (fan_out, relu) scaled by 0.5: at full scale the un-normalised
                # residual stack of 24 RepViT blocks blows activations up to ~1e4 (GELU/SE then
                # saturate and stop being tested); at 0.5 the 7x7 map has std ~O(1).
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                m.weight.mul_(0.5)
                if m.bias is not None:
                    bias_(m.bias)
            elif isinstance(m, nn.BatchNorm2d):
                m.running_mean.normal_(0.0, 0.1)
                m.running_var.uniform_(0.5, 1.5)
                m.weight.uniform_(0.5, 1.5)
                m.bias.normal_(0.0, 0.1)
                m.num_batches_tracked.zero_()
    sd = {k: v for k, v in model.state_dict().items()}
    meta = {"format": "embervlm", "config": json.dumps(cfg),
            "robot_labels": json.dumps(ROBOT_LABELS)}
    write_safetensors(args.output, sd, meta)


def load_model(path, dtype):
    tensors, meta = read_safetensors(path)
    if meta.get("format") != "embervlm":
        print("warning: checkpoint metadata format is %r" % meta.get("format"), file=sys.stderr)
    cfg = make_config(json.loads(meta["config"]) if "config" in meta else {})
    model = EmberVLM(cfg)
    expected = model.state_dict()
    missing = [k for k in expected if k not in tensors]
    unexpected = [k for k in tensors if k not in expected]
    bad = [k for k in expected if k in tensors and list(tensors[k].shape) != list(expected[k].shape)]
    if missing or unexpected or bad:
        raise ValueError("state dict mismatch: missing=%s unexpected=%s bad_shape=%s"
                         % (missing[:10], unexpected[:10], bad[:10]))
    sd = {}
    for k, v in tensors.items():
        sd[k] = v.to(expected[k].dtype) if v.is_floating_point() else v
    model.load_state_dict(sd, strict=True)
    model.eval()
    if dtype == torch.float64:
        model.double()
    return model, cfg


def cmd_forward(args):
    dtype = torch.float64 if args.float64 else torch.float32
    t0 = time.time()
    model, cfg = load_model(args.checkpoint, dtype)
    t1 = time.time()
    ids = [int(s) for s in args.ids.split(",") if s.strip() != ""] if args.ids else []
    for i in ids:
        if not 0 <= i < cfg["vocab_size"]:
            raise ValueError("token id %d out of range" % i)
    image = None
    if args.image_npy:
        arr = np.load(args.image_npy)
        if arr.ndim != 3 or arr.shape[0] != 3:
            raise ValueError("--image-npy must be a [3,H,W] array, got %s" % (arr.shape,))
        image = torch.from_numpy(np.ascontiguousarray(arr.astype(np.float32)))
    elif args.image:
        image = load_image_cv2(args.image, int(cfg["image_size"]))
    if image is not None:
        image = image.to(dtype)
    with torch.no_grad():
        vmap, h, logits = model.forward_one(image, ids)
        h_last = h[-1]
        trace = model.reasoning.run(h_last, int(cfg["max_reasoning_steps"]),
                                    float(cfg["consistency_threshold"]))
        last = logits[-1]
        vals, idx = torch.topk(last, 10, largest=True, sorted=True)
    out = {
        # population mean/std (unbiased=False) over every element of the final encoder map
        "vision_mean": None if vmap is None else float(vmap.mean()),
        "vision_std": None if vmap is None else float(vmap.std(unbiased=False)),
        "top10": [[int(i), float(v)] for i, v in zip(idx.tolist(), vals.tolist())],
        "trace": trace,
    }
    t2 = time.time()
    print(json.dumps(out))
    if args.timing:
        print("load %.3fs forward %.3fs" % (t1 - t0, t2 - t1), file=sys.stderr)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)

    p = sub.add_parser("params")
    p.add_argument("--config-json", default="{}")
    p.add_argument("--summary", action="store_true", help="also print count comment lines to stderr")
    p.set_defaults(fn=cmd_params)

    p = sub.add_parser("init")
    p.add_argument("--config-json", default="{}")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--nonzero-bias", action="store_true",
                   help="Linear/Conv biases ~ N(0,0.02) instead of zero (catches missing-bias bugs)")
    p.set_defaults(fn=cmd_init)

    p = sub.add_parser("forward")
    p.add_argument("--checkpoint", required=True)
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--image")
    g.add_argument("--image-npy")
    g.add_argument("--no-image", action="store_true")
    p.add_argument("--ids", default="")
    p.add_argument("--float64", action="store_true", help="diagnostic: run in double precision")
    p.add_argument("--timing", action="store_true", help="print load/forward time to stderr")
    p.set_defaults(fn=cmd_forward)

    args = ap.parse_args(argv)
    torch.set_grad_enabled(False)
    args.fn(args)


if __name__ == "__main__":
    main()
