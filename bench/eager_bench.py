#!/usr/bin/python3
"""Eager PyTorch baseline for embervlm-bench: the same model (tests/reference/embervlm_ref.py), the
same weights and inputs, timed the way a PyTorch user would run it.

  /usr/bin/python3 bench/eager_bench.py --checkpoint C --ids 1,2,3 --task-ids 4,5 --image-f32 F [--serve]

Prints one JSON object: the outputs used for the agreement check (vision mean, top-10 next-token
logits after the prompt, the greedy continuation, the robot-selection answer) and the medians in ms.
With --serve it prints the outputs, then times one figure for each name read from stdin and
answers with {"value": ...}: embervlm-bench uses this to take turns with the engine.
Decoding keeps a key/value cache per layer (concatenated each step, as Hugging Face's GPT-2 does).
"""
import argparse
import json
import math
import os
import sys
import time

import torch
import torch.nn.functional as F

# Installed (and in the build tree) the reference model lies beside this script, which Python
# searches first; run from the source tree it is in tests/reference.
sys.path.append(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "reference"))
import embervlm_ref as ref  # noqa: E402


def median_ms(repeats, fn):
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000.0)
    times.sort()
    return times[len(times) // 2]


def visual_tokens(model, images):
    vmap = model.vision(images)
    rows, cols = model.cfg["visual_grid"]
    pooled = F.adaptive_avg_pool2d(vmap, (rows, cols)).flatten(2).transpose(1, 2)
    return vmap, model.projection(pooled)


def block_step(blk, x, past):
    """One block over new positions x [1,T,D] with past (k, v) or None; returns x, (k, v)."""
    a = blk.ln_1(x)
    attn = blk.attn
    B, T, D = a.shape
    hd = D // attn.n_head

    def split(t):
        return t.view(B, T, attn.n_head, hd).transpose(1, 2)

    q, k, v = split(attn.q_proj(a)), split(attn.k_proj(a)), split(attn.v_proj(a))
    if past is not None:
        k = torch.cat([past[0], k], dim=2)
        v = torch.cat([past[1], v], dim=2)
    att = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(hd)
    if T > 1:
        S = k.shape[2]
        causal = torch.ones(T, S, dtype=torch.bool).tril(S - T)
        att = att.masked_fill(~causal, float("-inf"))
    att = torch.softmax(att, dim=-1)
    y = torch.matmul(att, v).transpose(1, 2).reshape(B, T, D)
    x = x + attn.out_proj(y)
    x = x + blk.mlp(blk.ln_2(x))
    return x, (k, v)


def lm_forward(lm, x, pasts, start):
    x = x + lm.wpe(torch.arange(start, start + x.shape[1]))[None]
    new = []
    for i, blk in enumerate(lm.h):
        x, kv = block_step(blk, x, pasts[i] if pasts else None)
        new.append(kv)
    return lm.ln_f(x), new


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--ids", required=True)
    p.add_argument("--task-ids", required=True)
    p.add_argument("--image-f32", required=True, help="raw float32 [3,S,S] normalised image")
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--repeats", type=int, default=10)
    p.add_argument("--new-tokens", type=int, default=64)
    p.add_argument("--serve", action="store_true",
                   help="print the outputs, then time one figure per name read from stdin")
    a = p.parse_args()
    torch.set_num_threads(a.threads or os.cpu_count())
    torch.manual_seed(0)
    model, _ = ref.load_model(a.checkpoint, torch.float32)
    model.eval()
    cfg = model.cfg
    S = cfg["image_size"]
    ids = [int(x) for x in a.ids.split(",")]
    task_ids = [int(x) for x in a.task_ids.split(",")]
    g = torch.Generator().manual_seed(1234)
    image = torch.from_numpy(ref.np.fromfile(a.image_f32, dtype=ref.np.float32).reshape(1, 3, S, S).copy())
    image8 = image.repeat(8, 1, 1, 1)
    lm = model.language_model
    # The eager side's CPU path, beside the engine's (ATen's kernels, oneDNN's and BLAS's level).
    out = {"threads": torch.get_num_threads(),
           "torch": {"version": torch.__version__,
                     "aten_cpu_capability": torch.backends.cpu.get_cpu_capability()
                     if hasattr(torch.backends, "cpu") and hasattr(torch.backends.cpu, "get_cpu_capability")
                     else os.environ.get("ATEN_CPU_CAPABILITY", "auto"),
                     "onednn_max_cpu_isa": os.environ.get("ONEDNN_MAX_CPU_ISA", "all"),
                     "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE", "auto")}}

    with torch.no_grad():
        vmap, vis = visual_tokens(model, image)
        out["vision_mean"] = float(vmap.mean())
        x = torch.cat([vis, lm.wte(torch.tensor([ids]))], dim=1)
        h, _ = lm_forward(lm, x, None, 0)
        logits = h[0, -1] @ lm.wte.weight.t()
        top = torch.topk(logits, 10)
        out["top10"] = [[int(i), float(v)] for v, i in zip(top.values, top.indices)]
        out["prefill_positions"] = x.shape[1]

    def prefill():
        hh, _ = lm_forward(lm, x, None, 0)
        return hh[0, -1] @ lm.wte.weight.t()

    def decode():
        hh, pasts = lm_forward(lm, x, None, 0)
        pos = x.shape[1]
        tok = int(torch.argmax(hh[0, -1] @ lm.wte.weight.t()))
        produced = [tok]
        t0 = time.perf_counter()
        for _ in range(a.new_tokens - 1):
            e = lm.wte(torch.tensor([[tok]]))
            hh, pasts = lm_forward(lm, e, pasts, pos)
            pos += 1
            tok = int(torch.argmax(hh[0, -1] @ lm.wte.weight.t()))
            produced.append(tok)
        return produced, (a.new_tokens - 1) / (time.perf_counter() - t0)

    def select():
        _, v = visual_tokens(model, image)
        xx = torch.cat([v, lm.wte(torch.tensor([task_ids]))], dim=1)
        hh, _ = lm_forward(lm, xx, None, 0)
        return model.reasoning.run(hh[0, -1], cfg["max_reasoning_steps"], cfg["consistency_threshold"])

    with torch.no_grad():
        out["greedy_ids"] = decode()[0]
        out["selection_answer"] = select()["answer"]
        out["selection_answer_probs"] = select()["answer_probs"]

    # One training step: batch 8 x 64 tokens, AdamW over every parameter. On its own copy of the
    # model, so that the other figures keep the checkpoint's weights.
    train_model, _ = ref.load_model(a.checkpoint, torch.float32)
    train_model.train()
    tlm = train_model.language_model
    opt = torch.optim.AdamW(train_model.parameters(), lr=1e-4, weight_decay=0.01)
    tids = torch.randint(0, 50000, (8, 64), generator=g)
    robots = torch.randint(0, cfg["num_robots"], (8,), generator=g)

    def train_step():
        opt.zero_grad()
        _, v = visual_tokens(train_model, image8)
        xx = torch.cat([v, tlm.wte(tids)], dim=1)
        hh, _ = lm_forward(tlm, xx, None, 0)
        G = v.shape[1]
        lg = hh[:, G:G + 63] @ tlm.wte.weight.t()
        loss = F.cross_entropy(lg.reshape(-1, lg.shape[-1]), tids[:, 1:].reshape(-1))
        r = train_model.reasoning
        prev = r.reasoning_head(hh[:, -1])
        logits = r.answer_head(prev)
        for _ in range(1, cfg["max_reasoning_steps"]):
            cur = r.reasoning_head(prev)
            r.step_validator(torch.cat([cur, prev], -1))
            logits = r.answer_head(cur)
            prev = cur
        loss = loss + F.cross_entropy(logits, robots)
        loss.backward()
        opt.step()

    def no_grad(fn):
        def run():
            with torch.no_grad():
                return fn()
        return run

    def decode_rate():
        rates = sorted(decode()[1] for _ in range(3))
        return rates[1]

    figures = {
        "vision_projection_b1_ms": no_grad(lambda: median_ms(a.repeats, lambda: visual_tokens(model, image))),
        "vision_projection_b8_ms": no_grad(lambda: median_ms(a.repeats, lambda: visual_tokens(model, image8))),
        "prefill_ms": no_grad(lambda: median_ms(a.repeats, prefill)),
        "decode_tokens_per_s": no_grad(decode_rate),
        "robot_selection_ms": no_grad(lambda: median_ms(a.repeats, select)),
        "train_step_ms": lambda: median_ms(max(3, a.repeats // 3), train_step),
    }
    if not a.serve:
        for name, fn in figures.items():
            out[name] = fn()
        print(json.dumps(out))
        return
    print(json.dumps(out), flush=True)
    for line in sys.stdin:
        name = line.strip()
        if name in figures:
            print(json.dumps({"value": figures[name]()}), flush=True)
        else:
            print(json.dumps({"error": "unknown figure " + name}), flush=True)


if __name__ == "__main__":
    main()
