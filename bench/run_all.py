"""Run every benchmark in bench/ and write BENCHMARKS.md (one table: figure, target, measured,
machine). `make bench` runs this.

A benchmark is any ``bench/bench_<name>.py`` defining ``main(argv: list[str] | None = None)``
that returns a list of rows ``(figure, target, measured, unit[, ok[, note]])`` (benchlib.Row).
Drop a new file in (TUI first frame, store queries, RSS/CPU, ...) and it is picked up.

    .venv/bin/python bench/run_all.py [--only status] [--output BENCHMARKS.md] [--strict]
                                      [-- ARGS passed to every benchmark's main()]
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import (  # bench/ is not a package: found via sys.path above
    BENCH_DIR,
    ROOT,
    BenchError,
    Row,
    as_row,
    format_table,
    machine,
    machine_line,
    venv_python,
)

# Where the time goes (profiles, what was removed, why a target is still missed): written by
# hand, appended to BENCHMARKS.md under the table on every run.
NOTES = BENCH_DIR / "NOTES.md"


def discover(only: list[str]) -> list[Path]:
    scripts = sorted(BENCH_DIR.glob("bench_*.py"))
    if only:
        scripts = [s for s in scripts if s.stem.removeprefix("bench_") in only or s.stem in only]
    return scripts


def load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    if spec is None or spec.loader is None:
        raise BenchError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    if not callable(getattr(module, "main", None)):
        raise BenchError(f"{path.name} has no main() returning rows")
    return module


def run_one(path: Path, argv: list[str]) -> list[Row]:
    """A benchmark that fails yields one row saying so; the others still run."""
    name = path.stem.removeprefix("bench_")
    started = time.perf_counter()
    print(f"== {path.name}", file=sys.stderr, flush=True)
    try:
        rows = [as_row(item) for item in load(path).main(list(argv))]
    except BenchError as exc:
        return [Row(f"{name}: could not be measured", "-", "error", "", False, str(exc))]
    except SystemExit as exc:  # its argparse rejected the arguments given after --
        return [Row(f"{name}: bad arguments", "-", "error", "", False, f"exit {exc.code}")]
    except Exception as exc:
        traceback.print_exc()
        return [Row(f"{name}: crashed", "-", "error", "", False, f"{type(exc).__name__}: {exc}")]
    print(f"   {path.name} took {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return rows


def document(rows: list[Row], host: dict[str, Any], scripts: list[Path]) -> str:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    missed = [row for row in rows if row.ok is False]
    lines = [
        "# Benchmarks",
        "",
        f"Written by `make bench` (bench/run_all.py) on {stamp}; "
        f"benchmarks: {', '.join(s.name for s in scripts)}.",
        "Wall times are end-to-end process times of the installed `umig-tui` console script, "
        "median of several runs (min/median/max in the note). Figures depend on the machine "
        "and its load (the demo server runs on the same machine); re-run `make bench` to compare.",
        "",
        f"Machine: {machine_line(host)} (load = 1-minute load average when the run started).",
        "",
        format_table(rows, machine=machine_line(host, short=True)),
        "",
        f"Targets missed: {len(missed)}." if missed else "Every target is met.",
        "",
    ]
    if NOTES.exists():  # the analysis behind the figures, kept by hand beside the benchmarks
        lines += [NOTES.read_text(encoding="utf-8").rstrip(), ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    passthrough: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, passthrough = argv[:cut], argv[cut + 1 :]
    parser = argparse.ArgumentParser(description="Run bench/bench_*.py and write BENCHMARKS.md.")
    parser.add_argument("--only", action="append", default=[], metavar="NAME")
    parser.add_argument("--output", type=Path, default=ROOT / "BENCHMARKS.md")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    scripts = discover(args.only)
    if not scripts:
        print("run_all: no benchmarks matched", file=sys.stderr)
        return 2
    host = machine(str(venv_python()))  # before the runs: the load they see, not their own
    print(f"machine: {machine_line(host)}", file=sys.stderr)
    rows: list[Row] = []
    for path in scripts:
        rows += run_one(path, passthrough)
    text = document(rows, host, scripts)
    args.output.write_text(text, encoding="utf-8")
    print()
    print(text)
    print(f"(written to {args.output})")
    failed = any(row.ok is False for row in rows)
    return 1 if args.strict and failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # each benchmark stops what it started on the way out
        print("run_all: interrupted", file=sys.stderr)
        sys.exit(130)
