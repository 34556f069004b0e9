"""Per-version baselines taken by the running engine (dashboard, ``serve``): once a version has run
for the baseline window, its baseline is in the store, for the next deploy watch to compare with.
Real HTTP to the demo-server, a real SQLite store."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from umig_tui.config import load_config
from umig_tui.demo.server import ServerThread
from umig_tui.service.engine import Engine
from umig_tui.service.runtime import open_monitor
from umig_tui.store.state import load_baselines


async def until(
    check: Callable[[], Awaitable[bool]], what: str, *, deadline_s: float = 20.0
) -> None:
    deadline = time.monotonic() + deadline_s
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


async def test_the_engine_stores_each_versions_baseline_once_its_window_has_run(
    demo_server: ServerThread, fleet_config: Path, tmp_path: Path
) -> None:
    config = load_config(str(fleet_config), environ={})
    monitor = await open_monitor(
        config.select(["production"]), environ={}, store_path=tmp_path / "store.db"
    )
    engine = Engine(monitor, environ={})
    await engine.start()
    assert engine.baselines is not None
    # Seconds instead of 5 + 15 minutes, and a few polls are enough here.
    engine.baselines.settle = 0.0
    engine.baselines.window = 3.0
    engine.baselines.min_samples = 1
    loops = [asyncio.create_task(loop) for loop in engine.loops().values()]
    store = monitor.store
    assert store is not None
    try:

        async def stored() -> bool:
            await store.flush()
            await engine.capture_baselines()
            return bool(await load_baselines(store, "production"))

        await until(stored, "the baseline of 1.1.2")
        baselines = await load_baselines(store, "production")
        assert {(b.version, b.source) for b in baselines} == {("1.1.2", "auto")}
        assert all(b.window_end - b.window_start == 3.0 for b in baselines)
        assert all(b.stats.count >= 1 for b in baselines)
        # Taken once: the next cycles add nothing for the same version.
        await engine.capture_baselines()
        assert len(await load_baselines(store, "production")) == len(baselines)
    finally:
        for task in loops:
            task.cancel()
        await asyncio.gather(*loops, return_exceptions=True)
        await engine.close()
        await monitor.aclose()
