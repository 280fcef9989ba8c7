#!/usr/bin/python3
"""Each benchmark program's quick mode, run as the README says, from a bin folder (the build's or
an install's): it must exit 0 and print JSON holding its figures and the run's facts.

  bench_quick.py BIN_DIR [PROGRAM ...]   (default: every benchmark)
"""
import json
import os
import subprocess
import sys
import tempfile


def run(cmd, **kw):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=600, **kw)
    if p.returncode != 0:
        sys.exit(f"FAIL: {' '.join(cmd)} exited {p.returncode}:\n{p.stderr[-3000:]}")
    try:
        return json.loads(p.stdout)
    except json.JSONDecodeError:
        sys.exit(f"FAIL: {' '.join(cmd)} printed no JSON:\n{p.stdout[-2000:]}")


def facts(name, d):
    f = d.get("run", {})
    for k in ("cpu", "cores", "isa", "commit", "date"):
        if not f.get(k):
            sys.exit(f"FAIL: {name}: no run.{k} in its JSON")


def positive(name, d, *path):
    v = d
    for k in path:
        if not isinstance(v, dict) or k not in v:
            sys.exit(f"FAIL: {name}: no {'.'.join(path)} in its JSON")
        v = v[k]
    if not isinstance(v, (int, float)) or not v > 0:
        sys.exit(f"FAIL: {name}: {'.'.join(path)} = {v!r}, not a positive figure")
    return v


def engine(bin_dir, tmp):
    d = run([f"{bin_dir}/embervlm-bench", "--quick"], cwd=tmp)
    facts("embervlm-bench", d)
    a = d.get("agreement", {})
    if not (a.get("top10_ids_equal") and a.get("selection_answer_equal")):
        sys.exit(f"FAIL: embervlm-bench: engine and eager PyTorch disagree: {a}")
    figures = ("vision_projection_b1_ms", "vision_projection_b8_ms", "prefill_ms", "decode_tokens_per_s",
               "robot_selection_ms", "train_step_ms")
    for f in figures:
        positive("embervlm-bench", d, "comparison", f, "engine")
        positive("embervlm-bench", d, "comparison", f, "eager")
        positive("embervlm-bench", d, "comparison", f, "ratio")
    positive("embervlm-bench", d, "engine_decode_tokens_per_s_after_700_token_prompt")
    positive("embervlm-bench", d, "decode_fraction_of_bound")
    return "agreement ok, " + ", ".join(f"{f} ×{d['comparison'][f]['ratio']:.2f}" for f in figures)


def data(bin_dir, tmp):
    d = run([f"{bin_dir}/embervlm-bench-data", "--quick", "--dir", f"{tmp}/data"])
    facts("embervlm-bench-data", d)
    positive("embervlm-bench-data", d, "import_jsonl", "samples_per_s")
    for page in ("first_page", "last_page", "text_search", "filter_split_robot"):
        if d["paging"][page]["rows"] != 50:
            sys.exit(f"FAIL: embervlm-bench-data: {page} gave {d['paging'][page]['rows']} rows, not 50")
    return f"import {d['import_jsonl']['samples_per_s']:.0f} samples/s"


def train_view(bin_dir, tmp):
    d = run([f"{bin_dir}/embervlm-bench-train-view", "--quick"], env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))
    facts("embervlm-bench-train-view", d)
    positive("embervlm-bench-train-view", d, "longest_stall_ms")
    if d["gui_thread_db_calls"] != 0:
        sys.exit(f"FAIL: embervlm-bench-train-view: {d['gui_thread_db_calls']} database calls on the GUI thread")
    return f"longest stall {d['longest_stall_ms']} ms over {d['runs']} runs"


def studio(bin_dir, tmp):
    d = run([f"{bin_dir}/embervlm-bench-studio", "--quick", "--work", f"{tmp}/studio"],
            env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))
    facts("embervlm-bench-studio", d)
    for act in ("next_sample", "previous_sample", "filter_change", "text_search", "scroll_page"):
        positive("embervlm-bench-studio", d, "annotate", act, "longest_stall_ms")
    t = d["typing_during_import"]
    if d["gui_thread_statements"] or t["gui_thread_statements"]:
        sys.exit("FAIL: embervlm-bench-studio: SQLite statements on the GUI thread")
    if t["characters_kept_after_kill9"] != t["characters"]:
        sys.exit(f"FAIL: embervlm-bench-studio: {t['characters_kept_after_kill9']}/{t['characters']} characters kept after kill -9")
    return f"J stall {d['annotate']['next_sample']['longest_stall_ms']} ms, {t['characters']} characters kept"


def cli(bin_dir, tmp):
    d = run([f"{bin_dir}/embervlm-bench-cli", "--quick"])
    facts("embervlm-bench-cli", d)
    for name in ("version", "help", "tokenize", "data_stats_2000", "select_base"):
        positive("embervlm-bench-cli", d, "ms", name, "median")
    # The light front end loads no LibTorch: its commands start faster than the engine's.
    for name in ("version", "help", "data_stats_2000"):
        if not d["ms"][name]["median"] < d["engine_ms"][name]["median"]:
            sys.exit(f"FAIL: embervlm-bench-cli: {name} is no faster than in embervlm-engine")
    return ", ".join(f"{k} {v['median']:.0f} ms" for k, v in d["ms"].items())


PROGRAMS = {"embervlm-bench": engine, "embervlm-bench-data": data, "embervlm-bench-train-view": train_view,
            "embervlm-bench-studio": studio, "embervlm-bench-cli": cli}


def main():
    bin_dir = os.path.abspath(sys.argv[1])
    names = sys.argv[2:] or list(PROGRAMS)
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            print(f"{name} --quick: {PROGRAMS[name](bin_dir, tmp)}", flush=True)


if __name__ == "__main__":
    main()
