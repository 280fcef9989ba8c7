#!/usr/bin/env python3
"""README figures from the benchmarks' JSON, never typed in.

The JSON files a benchmark printed are kept in docs/bench/ (e.g. `embervlm-bench-studio
--samples 10000 > docs/bench/studio-10000.json`). This script renders each table and writes it
between `<!-- bench:NAME -->` and `<!-- /bench:NAME -->` in README.md; with --check it only says
whether the README holds exactly what the JSON gives (a ctest test runs that).
"""
import json
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
BENCH = ROOT / "docs" / "bench"


def files(pattern):
    """Every docs/bench file matching pattern, read, each with its path as "_file"."""
    return [json.loads(p.read_text()) | {"_file": p.relative_to(ROOT).as_posix()} for p in sorted(BENCH.glob(pattern))]


def load(pattern):
    return sorted(files(pattern), key=lambda d: d["samples"])


def num(x, digits=0):
    return f"{x:,.{digits}f}"


def studio_table():
    runs = load("studio-*.json")
    if not runs:
        return "(no docs/bench/studio-*.json yet)"
    head = "| | " + " | ".join(f"{num(r['samples'])} photographs" for r in runs) + " |"
    rule = "|---|" + "---|" * len(runs)

    def row(label, cell):
        return f"| {label} | " + " | ".join(cell(r) for r in runs) + " |"

    def act(name):
        return lambda r: (f"{r['annotate'][name]['longest_stall_ms']} ms · "
                          f"{r['annotate'][name]['median_ms']} / {r['annotate'][name]['p95_ms']} ms")

    rows = [
        head, rule,
        row("import (the Annotate view's, one transaction)",
            lambda r: f"{r['import']['images_per_s']} images/s ({num(r['import']['seconds'])} s)"),
        row("workspace beyond the image files",
            lambda r: f"{num(r['import']['overhead_bytes'] / 2**20, 1)} MiB ({r['import']['overhead_pct_of_images']}%)"),
        row("studio open → usable Annotate list (ms)", lambda r: num(r["annotate"]["open_to_usable_ms"], 1)),
        row("J (next): longest stall · picture shown median / p95", act("next_sample")),
        row("K (previous)", act("previous_sample")),
        row("filter change (split)", act("filter_change")),
        row("text search (after the 250 ms typing pause)", act("text_search")),
        row("scroll the list by a page", act("scroll_page")),
        row("typing 200 characters during a 10,000-photo import: longest stall",
            lambda r: f"{r['typing_during_import']['longest_stall_ms']} ms"),
        row("characters in the store after kill -9 (import still writing)",
            lambda r: f"{r['typing_during_import']['characters_kept_after_kill9']} / {r['typing_during_import']['characters']}"),
        row("SQLite statements on the GUI thread",
            lambda r: str(r["gui_thread_statements"] + r["typing_during_import"]["gui_thread_statements"])),
    ]
    cpu = {f"{r['cpu']}, {r['cores']} cores" for r in runs}
    note = (f"Printed by `embervlm-bench-studio --samples N --work DIR` ({'; '.join(sorted(cpu))}; offscreen; "
            f"each interaction {runs[0]['annotate']['next_sample']['repeats']} times; stall: the longest gap of a 5 ms "
            f"precise timer on the GUI thread, 5 ms being none). Files: "
            + ", ".join(f"`{r['_file']}`" for r in runs) + ".")
    before = [r for r in runs if "before" in r]
    if before:
        bh = "| on the GUI thread | " + " | ".join(
            f"store + decode calls before, {num(r['samples'])} | now | whole longest stall now" for r in before) + " |"
        br = "|---|" + "---|---|---|" * len(before)
        lines = [bh, br]
        now_calls = lambda r: f"none ({r['gui_thread_statements']} statements)"
        for key, label in (("next_sample", "J (next sample)"), ("filter_change", "filter change"),
                           ("text_search", "text search"), ("scroll_page", "scroll by a page")):
            lines.append(f"| {label} | " + " | ".join(
                f"{r['before'][key]['median_ms']} ms median, {r['before'][key]['longest_stall_ms']} ms longest | "
                f"{now_calls(r)} | {r['annotate'][key]['longest_stall_ms']} ms" for r in before) + " |")
        lines.append("| a keystroke while an import writes | " + " | ".join(
            f"{num(r['before']['keystroke_during_import_ms'])} ms"
            f"{', the character lost' if r['before']['keystroke_during_import_lost'] else ''} | none (journal + retry off the GUI thread) | "
            f"{r['typing_during_import']['longest_stall_ms']} ms, "
            f"{r['typing_during_import']['characters_kept_after_kill9']}/{r['typing_during_import']['characters']} kept"
            for r in before) + " |")
        note += ("\n\nBefore this change the view made its store and decode calls on the GUI thread: a query and "
                 "a full-size decode per J, count + histogram + a page + its thumbnails per filter or search, a "
                 "page and its thumbnails per scrolled page, one write transaction per keystroke (waiting out "
                 "the 10 s busy timeout while an import held the lock). The benchmark replays those calls on the "
                 "same workspace and times them (`before` in the JSON). Painting and layout came on top of them "
                 "then and remain now: they are the whole stall now.\n\n" + "\n".join(lines))
    return "\n".join(rows) + "\n\n" + note


def one(pattern):
    runs = files(pattern)
    return runs[-1] if runs else None


def facts(d):
    """The run a figure came from: CPU, cores, path, commit, date (bench/run_facts.h)."""
    r = d.get("run", {})
    return (f"{r.get('cpu', '?')}, {r.get('cores', '?')} cores, {r.get('isa', '?')}; "
            f"commit {r.get('commit', '?')}, {r.get('date', '?')[:10]}; `{d['_file']}`")


def engine_table():
    runs = files("engine-*.json")
    if not runs:
        return "(no docs/bench/engine-*.json yet)"
    runs.sort(key=lambda d: ["avx512", "avx2", "generic"].index(d["run"]["isa"]))
    names = [("vision_projection_b1_ms", "vision + projection, batch 1", "ms"),
             ("vision_projection_b8_ms", "vision + projection, batch 8", "ms"),
             ("prefill_ms", "prefill, 1 visual + 64 text positions", "ms"),
             ("robot_selection_ms", "robot selection end to end", "ms"),
             ("decode_tokens_per_s", "greedy decode, 64 new tokens (f32)", "tok/s"),
             ("train_step_ms", "training step, batch 8 × 64 tokens, AdamW", "ms")]
    head = "| engine ÷ eager PyTorch (engine / eager) | " + " | ".join(f"{d['run']['isa']}" for d in runs) + " |"
    lines = [head, "|---|" + "---|" * len(runs)]
    for key, label, unit in names:
        def cell(d):
            c = d["comparison"][key]
            if unit == "tok/s":   # a speed: how many times eager's
                return f"{c['engine'] / c['eager']:.2f}× ({c['engine']:.0f} / {c['eager']:.0f} tok/s)"
            return f"{c['ratio']:.2f} ({c['engine']:.1f} / {c['eager']:.1f} ms)"
        lines.append(f"| {label} | " + " | ".join(cell(d) for d in runs) + " |")
    lines.append("| decode ÷ the bench's bandwidth bound | " + " | ".join(
        f"{100 * d['decode_fraction_of_bound']:.0f}% (copy {d['copy_bandwidth_gb_s']:.1f} GB/s)" for d in runs) + " |")
    lines.append("| decode after a 700-token prompt | " + " | ".join(
        f"{d['engine_decode_tokens_per_s_after_700_token_prompt']:.0f} tok/s "
        f"({100 * d['engine_decode_tokens_per_s_after_700_token_prompt'] / d['engine']['decode_tokens_per_s']:.0f}% of short)"
        for d in runs) + " |")
    lines.append("| agreement with eager (top-10 ids, greedy tokens, robot) | " + " | ".join(
        f"{'yes' if d['agreement']['top10_ids_equal'] else 'NO'}, {d['agreement']['greedy_tokens_equal']}, "
        f"{'yes' if d['agreement']['selection_answer_equal'] else 'NO'}" for d in runs) + " |")
    note = ("Printed by `embervlm-bench --preset base --repeats {r} --rounds {n}` (`EMBERVLM_ISA=avx2` for the AVX2 "
            "column: oneDNN, OpenBLAS and ATen capped alike on both sides); each ratio the median of the rounds' "
            "back-to-back ratios. Runs: ").format(r=runs[0]["repeats"], n=runs[0]["rounds"])
    note += "; ".join(facts(d) for d in runs) + "."
    return "\n".join(lines) + "\n\n" + note


def demo_table():
    runs = files("demo-seed*.json")
    if not runs:
        return "(no docs/bench/demo-seed*.json yet)"
    head = ("| run | end to end | accuracy | blind | image-decided | image-decided blind | "
            "answers EM / F1 (blind) | caption F1 | reasoning F1 / distinct-2 |")
    lines = [head, "|---|---|---|---|---|---|---|---|---|",
             "| target | ≤ 15 min | ≥ 0.95 | | ≥ 0.90 | ≤ 0.45 | ≥ 0.70 / ≥ 0.80 | ≥ 0.60 | ≥ 0.50 / ≥ 0.5 |"]
    for d in runs:
        m = d["metrics"]
        t = int(round(d["seconds"]))
        lines.append(
            f"| seed {d['seed']} | {t // 60} min {t % 60} s | {m['accuracy']:.3f} | {m['blind_accuracy']:.3f} | "
            f"{m['image_decided_accuracy']:.3f} | {m['image_decided_blind_accuracy']:.3f} | "
            f"{m['answer_exact_match']:.3f} / {m['answer_token_f1']:.3f} "
            f"({m['blind_answer_exact_match']:.3f} / {m['blind_answer_token_f1']:.3f}) | {m['caption_token_f1']:.3f} | "
            f"{m['reasoning_token_f1']:.3f} / {m['distinct_2']:.3f} |")
    note = ("Printed by `embervlm demo -w DIR --seed S --json` (its last line; the test split of the seed's own "
            "world). Runs: " + "; ".join(f"seed {d['seed']}: {facts(d)}" for d in runs) + ".")
    return "\n".join(lines) + "\n\n" + note


def start_table():
    runs = files("start-*.json")
    if not runs:
        return "(no docs/bench/start-*.json yet)"

    def span(key, unit):
        lo, hi = min(d[key] for d in runs), max(d[key] for d in runs)
        return f"{lo:.0f}–{hi:.0f} {unit}" if round(lo) != round(hi) else f"{lo:.0f} {unit}"
    return (f"Studio cold start with a `base` model (`embervlm-studio --checkpoint base.safetensors --benchmark`, "
            f"from the first instruction; {len(runs)} runs): window shown after {span('window_ms', 'ms')}, model "
            f"ready after {span('model_ready_ms', 'ms')}, {span('rss_mb', 'MB')} resident. Runs: "
            + "; ".join(facts(d) for d in runs) + ".")


def train_view_table():
    d = one("train-view-*.json")
    if not d:
        return "(no docs/bench/train-view-*.json yet)"
    return (f"The Train view with {d['runs']} finished runs (`embervlm-bench-train-view --runs {d['runs']}`; offscreen; "
            f"a 5 ms precise timer on the GUI thread): the table fills {d['table_filled_ms']} ms after the workspace "
            f"is set, and over {d['seconds']:.0f} s of polling, with a selection and an overlay tick every 250 ms, the "
            f"longest gap between ticks is {d['longest_stall_ms']} ms; {d['gui_thread_db_calls']} database calls on "
            f"the GUI thread ({facts(d)}).")


def data_table():
    d = one("data-*.json")
    if not d:
        return "(no docs/bench/data-*.json yet)"
    p = d["paging"]
    worst = max(v["ms"] for k, v in p.items() if "rows" in v)   # the pages (the histogram is no page)
    return (f"`embervlm-bench-data` (`{d['run'].get('command', 'embervlm-bench-data')}`): "
            f"{num(d['import_jsonl']['samples'])} samples import in {d['import_jsonl']['ms'] / 1000:.2f} s "
            f"({num(d['import_jsonl']['samples_per_s'])} samples/s); over {num(d['paging_samples'])} samples any 50-row page, "
            f"filtered, sorted or searched, takes at most {worst:.1f} ms and the label histogram "
            f"{p['label_histogram']['ms']:.1f} ms ({facts(d)}).")


def cli_table():
    d = one("cli-*.json")
    if not d:
        return "(no docs/bench/cli-*.json yet)"
    names = [("version", "`embervlm --version`"), ("help", "`embervlm --help`"), ("tokenize", "`embervlm tokenize TEXT`"),
             ("data_stats_2000", "`embervlm data stats` (2,000 samples)"), ("select_base", "`embervlm select` (`base`, cold)")]
    lines = ["| command, cold process start to exit | now | in the engine program (as before the front end) |",
             "|---|---|---|"]
    for key, label in names:
        before = d.get("engine_ms", {}).get(key)
        lines.append(f"| {label} | {d['ms'][key]['median']:.0f} ms | " + (f"{before['median']:.0f} ms" if before else "") + " |")
    return ("\n".join(lines) + f"\n\nPrinted by `embervlm-bench-cli --runs {d['runs']}` (medians; {facts(d)}).")


TABLES = {"studio": studio_table, "engine": engine_table, "demo": demo_table, "studio-start": start_table,
          "train-view": train_view_table, "data": data_table, "cli": cli_table}


def render(readme):
    for name, make in TABLES.items():
        pat = re.compile(rf"(<!-- bench:{re.escape(name)} -->\n).*?(<!-- /bench:{re.escape(name)} -->)", re.S)
        if not pat.search(readme):
            raise SystemExit(f"README.md has no <!-- bench:{name} --> block")
        readme = pat.sub(lambda m: m.group(1) + make() + "\n" + m.group(2), readme)
    return readme


def main():
    readme_path = ROOT / "README.md"
    readme = readme_path.read_text()
    new = render(readme)
    if "--check" in sys.argv:
        if new != readme:
            print("README.md's benchmark tables differ from docs/bench/*.json: run scripts/bench-tables.py")
            return 1
        print("README.md's benchmark tables match docs/bench/*.json")
        return 0
    readme_path.write_text(new)
    return 0


if __name__ == "__main__":
    sys.exit(main())
