"""Where the wall time of `umig-tui status` goes (a diagnostic, not a benchmark: run_all skips it).

Starts the same demo fleet as bench_status.py (50 environments, 100 ms latency, one port each) and
prints, as medians over several runs:

  phases      spawn → interpreter ready → CLI imports → parser → config → clients → store →
              poll → flush → close → render → interpreter shutdown (functions are wrapped in
              the child process by name; nothing in umig_tui/ is changed)
  importtime  `python -X importtime -m umig_tui status ...`: the heaviest modules, umig_tui's own
              module bodies, and imports that are retried on every call (a failing import inside
              a function, e.g. httpcore's `import sniffio` when sniffio is not installed)
  cprofile    one run under cProfile: self time by package and the top functions

    .venv/bin/python bench/profile_status.py [--runs 5] [--store] [--json] [--only phases]
"""

from __future__ import annotations

import argparse
import collections
import itertools
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import (  # bench/ is not a package: found via sys.path above
    BenchError,
    bytecode_env,
    console_script,
    demo_fleet,
    machine,
    machine_line,
    venv_python,
)

# Runs in the child: wraps the steps of `status` that exist (names may change; missing ones are
# skipped) and writes "label time" lines to $PHASES_OUT.
CHILD = r"""
import time
T0 = time.time()
import atexit, os, sys
STAMPS = [("interpreter ready", T0)]
def stamp(name):
    STAMPS.append((name, time.time()))
@atexit.register
def _dump(label="interpreter shutdown starts"):
    stamp(label)
    with open(os.environ["PHASES_OUT"], "w") as f:
        f.writelines(f"{n}\t{t:.6f}\n" for n, t in STAMPS)
import asyncio, importlib
import umig_tui.cli.main as cli_main
stamp("import umig_tui.cli.main")
def wrap(owner, name, label):
    fn = getattr(owner, name, None)
    if fn is None:
        return
    if asyncio.iscoroutinefunction(fn):
        async def wrapper(*a, **k):
            stamp(label + " >")
            try:
                return await fn(*a, **k)
            finally:
                stamp(label + " <")
    else:
        def wrapper(*a, **k):
            stamp(label + " >")
            try:
                return fn(*a, **k)
            finally:
                stamp(label + " <")
    setattr(owner, name, wrapper)
def module(name):
    try:
        return importlib.import_module(name)
    except ImportError:
        return None
wrap(cli_main, "build_parser", "build parser (imports the other command modules)")
oneshot, runtime, status = (module(m) for m in ("umig_tui.cli.oneshot", "umig_tui.service.runtime", "umig_tui.cli.status"))
monitor, store = module("umig_tui.service.monitor"), module("umig_tui.store.store")
if oneshot: wrap(oneshot, "load_config", "load config")
if runtime:
    wrap(runtime, "build_clients", "build clients")
    wrap(runtime, "open_store", "open store")
if monitor:
    wrap(monitor.Monitor, "poll_once", "poll (all requests)")
    wrap(monitor.Monitor, "aclose", "close clients + store")
if store: wrap(store.Store, "flush", "store flush")
if status:
    wrap(status, "render_status", "render table")
    wrap(status, "status_json", "build JSON")
stamp("import the status path (the command, the monitor, the client, the store)")
run = asyncio.run
def timed_run(coro, **kw):
    stamp("asyncio.run >")
    try:
        return run(coro, **kw)
    finally:
        stamp("asyncio.run <")
asyncio.run = timed_run
# As the console script runs it: main() with no argv (the collector paused while it starts),
# ended by exit_now (os._exit, no interpreter teardown), which writes the stamps first.
exit_now = cli_main.exit_now
def stamped_exit(code):
    _dump("exit_now (os._exit: no interpreter teardown)")
    exit_now(code)
cli_main.exit_now = stamped_exit
sys.argv = ["umig-tui", *sys.argv[1:]]
code = cli_main.main()
stamp("main returned")
sys.stdout.flush()
raise SystemExit(code)
"""


def _span(start: str, end: str) -> str:
    """A step's own name, or 'a → b' for the time between two steps."""
    if start.endswith(" >") and end == start[:-1] + "<":
        return start[:-2]
    return f"  ({start.rstrip(' <>')} → {end.rstrip(' <>')})"


def phases(python: Path, args: list[str], env: dict[str, str], runs: int) -> None:
    print("\n## phases (median over runs; indented: time between two wrapped steps)\n")
    spans: dict[str, list[float]] = collections.defaultdict(list)
    order: list[str] = []
    totals: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "phases.txt"
        for index in range(runs + 1):  # the first run warms the bytecode cache
            started = time.time()
            done = subprocess.run(
                [python, "-c", CHILD, *args],
                env={**env, "PHASES_OUT": str(out)},
                capture_output=True,
                text=True,
                check=False,
            )
            ended = time.time()
            if done.returncode not in (0, 1):
                raise BenchError(f"status failed: {done.stderr[-1500:]}")
            stamps = [
                (name, float(t))
                for name, t in (line.split("\t") for line in out.read_text().splitlines())
            ]
            if index == 0:
                continue
            points = [("spawn", started), *stamps, ("process exit", ended)]
            totals.append(ended - started)
            for (a, ta), (b, tb) in itertools.pairwise(points):
                key = _span(a, b)
                if key not in spans:
                    order.append(key)
                spans[key].append(tb - ta)
    total = statistics.median(totals)
    for key in order:
        value = statistics.median(spans[key])
        if value < 0.0005:  # < 0.5 ms: bookkeeping between two steps
            continue
        print(f"  {value * 1000:8.1f} ms  {100 * value / total:5.1f}%  {key}")
    print(f"  {total * 1000:8.1f} ms  total wall (median of {len(totals)})")


_IMPORT_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")


def importtime(python: Path, args: list[str], env: dict[str, str], runs: int) -> None:
    print("\n## imports (python -X importtime; µs figures include its own overhead)\n")
    tables = []
    for index in range(runs + 1):
        done = subprocess.run(
            [python, "-X", "importtime", "-m", "umig_tui", *args],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if index == 0:
            continue
        rows = []
        for line in done.stderr.splitlines():
            match = _IMPORT_LINE.match(line)
            if match:
                depth = len(match.group(3)) // 2
                rows.append((int(match.group(1)), int(match.group(2)), depth, match.group(4)))
        tables.append(rows)
    cumulative: dict[str, list[int]] = collections.defaultdict(list)
    own: dict[str, list[int]] = collections.defaultdict(list)
    repeats: dict[str, list[tuple[int, int]]] = collections.defaultdict(list)
    totals = []
    for rows in tables:
        counts = collections.Counter(name for _s, _c, _d, name in rows)
        totals.append(sum(cum for _s, cum, depth, _n in rows if depth == 0))
        seen: set[str] = set()
        for self_us, cum, _depth, name in rows:
            if name not in seen:
                cumulative[name].append(cum)
                seen.add(name)
            if name.startswith("umig_tui"):
                own[name].append(self_us)
        for name, count in counts.items():
            if count >= 5:  # optional imports tried twice (h2, socksio, ...) are noise
                spent = sum(s for s, _c, _d, n in rows if n == name)
                repeats[name].append((count, spent))
    print(f"  all imports: {statistics.median(totals) / 1000:.0f} ms (sum of top-level entries)")
    print("\n  heaviest (cumulative, incl. what they import):")
    heavy = sorted(cumulative.items(), key=lambda kv: -statistics.median(kv[1]))
    shown = 0
    for name, values in heavy:
        if name.count(".") > 1 and not name.startswith("umig_tui"):
            continue
        print(f"    {statistics.median(values) / 1000:7.1f} ms  {name}")
        shown += 1
        if shown >= 25:
            break
    print("\n  umig_tui module bodies (self time: dataclasses, enums, regexes built at import):")
    for name, values in sorted(own.items(), key=lambda kv: -statistics.median(kv[1]))[:12]:
        print(f"    {statistics.median(values) / 1000:7.1f} ms  {name}")
    if repeats:
        print("\n  imported again and again (a failing import inside a function, paid per call):")
        for name, values in repeats.items():
            count = statistics.median(c for c, _s in values)
            spent = statistics.median(s for _c, s in values)
            print(f"    {name}: {count:.0f} times, {spent / 1000:.0f} ms")


def cprofile(python: Path, args: list[str], env: dict[str, str]) -> None:
    print("\n## cProfile (one run; profiling slows it 1.5-3×: compare shares, not times)\n")
    with tempfile.TemporaryDirectory() as tmp:
        stats = Path(tmp) / "status.prof"
        code = (
            "import cProfile, sys\n"
            "from umig_tui.cli.main import main\n"
            f"cProfile.run('code = main(sys.argv[1:])', {str(stats)!r})\n"
        )
        # Twice: the first run fills the bytecode cache (``--bytecode warm``), the second is kept.
        for _ in range(2):
            subprocess.run([python, "-c", code, *args], env=env, capture_output=True, check=False)
        report = (
            "import pstats, re, sys, collections\n"
            f"s = pstats.Stats({str(stats)!r})\n"
            "agg = collections.Counter()\n"
            "for (file, line, fn), (cc, nc, tt, ct, callers) in s.stats.items():\n"
            "    m = re.search(r'site-packages/([^/]+)/', file)\n"
            "    key = m.group(1) if m else ('umig_tui/' + file.split('umig_tui/')[1].split('/')[0]"
            " if 'umig_tui/' in file else 'asyncio' if '/asyncio/' in file else"
            " 'import machinery' if '<frozen' in file else 'builtins' if file == '~' else 'stdlib')\n"
            "    agg[key] += tt\n"
            "total = sum(agg.values())\n"
            "print('  self time by package:')\n"
            "for k, v in agg.most_common(14):\n"
            "    print(f'    {v * 1000:7.1f} ms  {100 * v / total:4.1f}%  {k}')\n"
            "print()\n"
            "s.sort_stats('tottime').print_stats(20)\n"
        )
        done = subprocess.run(
            [python, "-c", report], env=env, capture_output=True, text=True, check=False
        )
        text = re.sub(r"^.*?(  self time)", r"\1", done.stdout, flags=re.S)
        print(text.rstrip())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--envs", type=int, default=50)
    parser.add_argument("--latency", default="100ms")
    parser.add_argument(
        "--profile",
        default="us088",
        choices=["us088", "us088-scriptrunner", "umig-admin-v2"],
        help="what the demo fleet speaks",
    )
    parser.add_argument("--store", action="store_true", help="with a temp store (not --no-store)")
    parser.add_argument("--json", action="store_true", help="status --json")
    parser.add_argument(
        "--only", action="append", choices=["phases", "importtime", "cprofile"], default=[]
    )
    parser.add_argument("--bytecode", choices=["warm", "cold", "inherit"], default="warm")
    args = parser.parse_args(argv)
    sections = args.only or ["phases", "importtime", "cprofile"]
    umig_tui = console_script("umig-tui")
    if umig_tui is None:
        print("profile_status: umig-tui is not installed", file=sys.stderr)
        return 2
    python = venv_python()
    print(f"machine: {machine_line(machine(str(python)))}")
    with tempfile.TemporaryDirectory(prefix="umig-profile-") as tmp:
        work = Path(tmp)
        env = bytecode_env(args.bytecode, work / "pycache")
        try:
            with demo_fleet(
                umig_tui,
                envs=args.envs,
                latency=args.latency,
                workdir=work,
                extra=["--profile", args.profile, "--probe-delay", "0"],
            ) as fleet:
                status = ["status", "--config", str(fleet.config)]
                status += ["--store", str(work / "s.db")] if args.store else ["--no-store"]
                status += ["--json"] if args.json else []
                print(f"command: umig-tui {' '.join(status)}")
                print(f"fleet: {args.envs} environments, {args.latency} per request")
                if "phases" in sections:
                    phases(python, status, env, args.runs)
                if "importtime" in sections:
                    importtime(python, status, env, args.runs)
                if "cprofile" in sections:
                    cprofile(python, status, env)
        except BenchError as exc:
            print(f"profile_status: {exc}", file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
