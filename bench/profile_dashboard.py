"""Where a second of the running dashboard's CPU goes (a diagnostic: run_all skips it).

Starts the demo fleet (``--envs`` environments, one port each, no latency) and runs the
dashboard in this process (Textual's headless driver, 120×40, a temporary store, the demo's
intervals: health and metrics every 5 s, components and version every 15 s), with a timer
(``time.thread_time``: the main thread's CPU) around each of the pieces below, put on their
classes before the app is built. After ``--settle`` seconds it measures ``--window`` seconds
and prints, per piece, its calls, CPU per call and per second, and its share of the process's
CPU (every thread); what the pieces do not cover is "the rest of the main thread", and the other
threads are the store's SQLite connection (the headless driver reads and writes no terminal).

    .venv/bin/python bench/profile_dashboard.py [--envs 50] [--settle 15] [--window 40]

Not the terminal: the headless driver writes no frame (the compaction of each frame, ~0.1 ms,
is not counted), and a pty's dashboard (``bench_tui.py``) is the figure issue 17 measures.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import BenchError, console_script, demo_fleet  # bench/ is not a package

DEMO_INTERVALS = '\n[polling]\nhealth = "5s"\nmetrics = "5s"\ncomponents = "15s"\nversion = "15s"\n'


class Timed:
    """Calls and main-thread CPU of one method, from a wrapper on its class."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.calls = 0
        self.seconds = 0.0
        self._depth = 0  # a piece that calls itself (a redraw in a redraw) is counted once

    def wrap(self, owner: type, name: str) -> None:
        method: Callable[..., Any] = getattr(owner, name)

        @functools.wraps(method)
        def timed(*args: Any, **kwargs: Any) -> Any:
            if self._depth:
                return method(*args, **kwargs)
            self._depth += 1
            started = time.thread_time()
            try:
                return method(*args, **kwargs)
            finally:
                self.seconds += time.thread_time() - started
                self.calls += 1
                self._depth -= 1

        setattr(owner, name, timed)

    def snapshot(self) -> tuple[int, float]:
        return self.calls, self.seconds


def pieces() -> list[Timed]:
    """The pieces, each wrapped on its class (nested ones are counted inside their outer one)."""
    from textual.screen import Screen

    from umig_tui.service.monitor import Monitor
    from umig_tui.tui.app import UmigApp
    from umig_tui.tui.widgets.environments import EnvironmentsPanel

    table: list[tuple[str, type, str]] = [
        ("the clock's tick (the header's line built again)", UmigApp, "_tick"),
        ("the wave's redraw (the feed, the five panels' show())", UmigApp, "redraw"),
        ("  of it, panel 1's show()", EnvironmentsPanel, "show"),
        ("frames (Textual's compositor, every update)", Screen, "_compositor_refresh"),
        ("answers applied (fleet state, status, events, feed)", Monitor, "apply"),
    ]
    timed = []
    for label, owner, name in table:
        piece = Timed(label)
        piece.wrap(owner, name)
        timed.append(piece)
    return timed


async def measure(
    config: Path, store: Path, timed: list[Timed], settle: float, window: float
) -> tuple[float, float, float, list[tuple[Timed, int, float]]]:
    """(wall s, process CPU s, main-thread CPU s, per piece (piece, calls, CPU s))."""
    from umig_tui.service.setup import load_fleet
    from umig_tui.tui.app import UmigApp

    app = UmigApp(load_fleet(str(config)), store_path=store, bell=False)
    async with app.run_test(size=(120, 40)):
        await asyncio.sleep(settle)
        before = [piece.snapshot() for piece in timed]
        wall0, cpu0, main0 = time.perf_counter(), time.process_time(), time.thread_time()
        await asyncio.sleep(window)
        wall = time.perf_counter() - wall0
        cpu, main = time.process_time() - cpu0, time.thread_time() - main0
        after = [piece.snapshot() for piece in timed]
    spent = [
        (piece, calls - calls0, seconds - seconds0)
        for piece, (calls0, seconds0), (calls, seconds) in zip(timed, before, after, strict=True)
    ]
    return wall, cpu, main, spent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--envs", type=int, default=50)
    parser.add_argument("--settle", type=float, default=15.0)
    parser.add_argument("--window", type=float, default=40.0)
    args = parser.parse_args(argv)
    umig_tui = console_script("umig-tui")
    if umig_tui is None:
        raise BenchError("the umig-tui console script is not installed")
    timed = pieces()
    with tempfile.TemporaryDirectory(prefix="umig-profile-dashboard-") as tmp:
        work = Path(tmp)
        with demo_fleet(umig_tui, envs=args.envs, latency="0ms", workdir=work) as fleet:
            config = work / "dashboard.toml"
            config.write_text(fleet.config.read_text(encoding="utf-8") + DEMO_INTERVALS)
            wall, cpu, main_thread, spent = asyncio.run(
                measure(config, work / "s.db", timed, args.settle, args.window)
            )
    requests = args.envs * (2 / 5 + 2 / 15)
    print(
        f"{args.envs} environments, {requests:.1f} requests/s, {wall:.0f} s after {args.settle:.0f} s: "
        f"the process {1000 * cpu / wall:.2f} ms of CPU a second ({100 * cpu / wall:.2f} % of a "
        f"core, {1000 * cpu / wall / requests:.3f} ms a request), its main thread "
        f"{1000 * main_thread / wall:.2f} ms\n"
    )
    print(f"  {'piece':56} {'calls/s':>8} {'ms a call':>10} {'ms a second':>12} {'share':>6}")
    covered = 0.0
    for piece, calls, seconds in spent:
        if not piece.label.startswith(" "):
            covered += seconds
        print(
            f"  {piece.label:56} {calls / wall:8.2f} {1000 * seconds / max(calls, 1):10.3f} "
            f"{1000 * seconds / wall:12.2f} {seconds / cpu:6.1%}"
        )
    rest = main_thread - covered
    others = cpu - main_thread
    print(f"  {'the rest of the main thread (requests, alerts, loop)':56} {'':8} {'':10} "
          f"{1000 * rest / wall:12.2f} {rest / cpu:6.1%}")  # fmt: skip
    print(f"  {'other threads (the store SQLite connection)':56} {'':8} {'':10} "
          f"{1000 * others / wall:12.2f} {others / cpu:6.1%}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
