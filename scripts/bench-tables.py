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


def load(pattern):
    runs = []
    for p in sorted(BENCH.glob(pattern)):
        d = json.loads(p.read_text())
        d["_file"] = p.relative_to(ROOT).as_posix()
        runs.append(d)
    return sorted(runs, key=lambda d: d["samples"])


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


TABLES = {"studio": studio_table}


def render(readme):
    for name, make in TABLES.items():
        pat = re.compile(rf"(<!-- bench:{name} -->\n).*?(<!-- /bench:{name} -->)", re.S)
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
