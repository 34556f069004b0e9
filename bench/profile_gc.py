"""What the cyclic garbage collector costs the running dashboard (a diagnostic: run_all skips it).

Starts the demo fleet (``--envs`` environments, one port each, no latency) and runs the
dashboard in this process (Textual's headless driver, 120×40, a temporary store, the demo's
intervals: health and metrics every 5 s, components and version every 15 s). After ``--settle``
seconds it freezes what exists, as util/collector.py does after the first frame, sets the young
generation's threshold and measures ``--window`` seconds: the process's CPU, and the time and
number of collections (``gc.callbacks``). Python's 700 and util/collector.YOUNG_THRESHOLD
alternate, ``--runs`` times each.

    .venv/bin/python bench/profile_gc.py [--envs 50] [--runs 2] [--settle 10] [--window 40]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import BenchError, console_script, demo_fleet  # bench/ is not a package

DEMO_INTERVALS = '\n[polling]\nhealth = "5s"\nmetrics = "5s"\ncomponents = "15s"\nversion = "15s"\n'


class Collections:
    """Time spent in collections, and how many, from gc.callbacks."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.count = 0
        self._started = 0.0

    def __call__(self, phase: str, _info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._started
            self.count += 1


async def measure(
    config: Path, store: Path, threshold: int, settle: float, window: float
) -> tuple[float, float, int]:
    """(CPU %, collector ms per second, collections) over ``window`` after ``settle``."""
    from umig_tui.service.setup import load_fleet
    from umig_tui.tui.app import UmigApp

    app = UmigApp(load_fleet(str(config)), store_path=store, bell=False)
    collections = Collections()
    async with app.run_test(size=(120, 40)):
        await asyncio.sleep(settle)
        gc.collect()
        gc.freeze()
        young, *older = gc.get_threshold()
        gc.set_threshold(threshold, *older)
        gc.callbacks.append(collections)
        try:
            cpu0, wall0 = time.process_time(), time.perf_counter()
            await asyncio.sleep(window)
            cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        finally:
            gc.callbacks.remove(collections)
            gc.set_threshold(young, *older)
            gc.unfreeze()
    return 100 * cpu / wall, 1000 * collections.seconds / wall, collections.count


def main(argv: list[str] | None = None) -> int:
    from umig_tui.util.collector import YOUNG_THRESHOLD

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--envs", type=int, default=50)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--settle", type=float, default=10.0)
    parser.add_argument("--window", type=float, default=40.0)
    args = parser.parse_args(argv)
    umig_tui = console_script("umig-tui")
    if umig_tui is None:
        raise BenchError("the umig-tui console script is not installed")
    thresholds = (gc.get_threshold()[0], YOUNG_THRESHOLD)
    results: dict[int, list[tuple[float, float, int]]] = {t: [] for t in thresholds}
    with tempfile.TemporaryDirectory(prefix="umig-profile-gc-") as tmp:
        work = Path(tmp)
        with demo_fleet(umig_tui, envs=args.envs, latency="0ms", workdir=work) as fleet:
            config = work / "dashboard.toml"
            config.write_text(fleet.config.read_text(encoding="utf-8") + DEMO_INTERVALS)
            for run in range(args.runs):
                order = thresholds if run % 2 == 0 else thresholds[::-1]
                for threshold in order:
                    store = work / f"s-{threshold}-{run}.db"
                    figures = asyncio.run(
                        measure(config, store, threshold, args.settle, args.window)
                    )
                    results[threshold].append(figures)
                    print(
                        f"threshold {threshold:6d}: CPU {figures[0]:.2f} %, collector "
                        f"{figures[1]:.2f} ms/s in {figures[2]} collections",
                        flush=True,
                    )
    print(f"\nmedians over {args.runs} runs of {args.window:.0f} s, {args.envs} environments:")
    for threshold, runs in results.items():
        cpu, collector, count = (statistics.median(column) for column in zip(*runs, strict=True))
        print(
            f"  young threshold {threshold:6d}: CPU {cpu:.2f} % of a core, collector "
            f"{collector:.2f} ms/s ({count:.0f} collections)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
