"""What one dashboard repaint costs in Python, panel by panel (issue 17: "never repaint what did
not change").

The dashboard on the in-process demo fleet of ``--envs`` environments, headless at 120×40, no
store, no polling loops: one real poll of every signal, then ``--runs`` repaints of the same data
(the steady state between polls: most rows unchanged) and of data where every environment's
metrics moved (one poll of every signal before each repaint). Prints milliseconds per repaint
(``UmigApp.redraw``: building the frame's data and every panel's ``show``) and per panel.

    .venv/bin/python bench/bench_repaint.py [--envs 50] [--runs 30]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

import msgspec.structs

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import Row, cli, info  # bench/ is not a package: found via sys.path above

from umig_tui.demo.simulator import Simulator
from umig_tui.service.setup import load_fleet
from umig_tui.tui.app import UmigApp
from umig_tui.tui.widgets.panel import Panel


def ms(calls: list[float]) -> float:
    return statistics.median(calls) * 1000


async def measure(envs: int, runs: int) -> list[Row]:
    config = load_fleet(demo=True, demo_envs=envs)
    sim = Simulator(envs, scenario="static")
    app = UmigApp(config, environ={}, simulator=sim, use_store=False, poll=False)
    async with app.run_test(size=(120, 40)) as pilot:
        assert app.monitor is not None
        await app.monitor.poll_once()
        app.redraw()
        await pilot.pause()
        same: list[float] = []
        for _ in range(runs):
            started = time.perf_counter()
            app.redraw()
            same.append(time.perf_counter() - started)
            await pilot.pause()
        moved: list[float] = []
        for _ in range(max(3, runs // 5)):
            await app.monitor.poll_once()
            started = time.perf_counter()
            app.redraw()
            moved.append(time.perf_counter() - started)
            await pilot.pause()
        assert app.data is not None
        rows = [
            info(f"repaint of {envs} environments (redraw), nothing changed", ms(same), "ms"),
            info(f"repaint of {envs} environments, after a poll of every signal", ms(moved), "ms"),
        ]
        for panel in app.query(Panel):
            calls = []
            for step in range(runs):  # the clock moves, the figures do not
                data = msgspec.structs.replace(app.data, now=app.data.now + step + 1)
                started = time.perf_counter()
                panel.show(data)
                calls.append(time.perf_counter() - started)
            rows.append(
                info(f"  {type(panel).__name__}.show(), {envs} environments", ms(calls), "ms")
            )
        return rows


def main(argv: list[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--envs", type=int, default=50)
    parser.add_argument("--runs", type=int, default=30)
    args, _ = parser.parse_known_args(argv)  # run_all passes every benchmark the same ARGS
    return asyncio.run(measure(args.envs, args.runs))


if __name__ == "__main__":
    sys.exit(cli("bench_repaint", main))
