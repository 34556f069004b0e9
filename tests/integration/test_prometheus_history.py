"""The history backfill of ``--source prometheus=URL`` against a real Prometheus: two days of the
fleet's history written as TSDB blocks before it starts (promtool), serve scraped live on top;
``query_range`` fills the reader's cache store, and a later run asks only for what is new.
Skips, saying why, without ``prometheus`` / ``promtool``."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import RawServer
from tests.integration.prometheus_blocks import (
    openmetrics,
    promtool_binary,
    response_ms,
    write_blocks,
)
from tests.integration.test_prometheus_scrape import api, wait_for
from tests.integration.test_prometheus_source import DEMO_ENVS, scraped
from umig_tui.config import load_config, with_source
from umig_tui.demo.server import ServerThread
from umig_tui.metrics import RESPONSE_TIME, poll_ok
from umig_tui.models import EnvStatus
from umig_tui.service.prometheus_history import HISTORY, RECENT, backfill, newest_sample
from umig_tui.service.prometheus_source import PrometheusReader
from umig_tui.service.runtime import FIRST_ANSWER_WITHIN, open_monitor
from umig_tui.sources.prometheus_api import choose_step
from umig_tui.store.store import Store

DAY = 86400.0


async def series(store: Store, env: str, metric: str) -> list[tuple[float, float]]:
    rows = await store.query(
        "SELECT s.ts, s.value FROM samples s JOIN series x ON x.id = s.series_id "
        "WHERE x.env = ? AND x.metric = ? ORDER BY s.ts",
        (env, metric),
    )
    return [(ts / 1000, value) for ts, value in rows]


def spy(reader: PrometheusReader) -> list[tuple[str, float, float]]:
    """Every range query the reader's client sends (still sent, over HTTP)."""
    asked: list[tuple[str, float, float]] = []
    real: Callable[..., Awaitable[Any]] = reader.api.query_range

    async def query_range(promql: str, start: float, end: float, step: float | None = None) -> Any:
        asked.append((promql, start, end))
        return await real(promql, start, end, step)

    reader.api.query_range = query_range  # type: ignore[method-assign]
    return asked


async def test_history_comes_from_query_range_and_a_later_run_asks_only_what_is_new(
    demo_server: ServerThread, fleet_config: Path, tmp_path: Path
) -> None:
    if promtool_binary() is None:
        pytest.skip("promtool is not installed (it comes with the `prometheus` package)")
    now = float(int(time.time()))  # whole seconds: the history's minutes and the steps align
    begin, end = now - 2 * DAY, now - 600  # two days, ending 10 minutes ago, a point a minute
    outage = (end - 6 * 3600, end - 5 * 3600)  # production down for an hour
    write_blocks(openmetrics(DEMO_ENVS, begin, end, outage=outage), tmp_path / "tsdb", tmp_path)
    running = {
        name: sim.release.version
        for name, sim in demo_server.call(lambda: dict(demo_server.simulator.envs)).items()
    }
    with scraped(fleet_config, tmp_path) as url:
        config = with_source(load_config(str(fleet_config), environ={}), url, demo=False)
        monitor = await open_monitor(config, environ={}, store_path=tmp_path / "cache.db")
        try:
            reader = monitor.source
            assert isinstance(reader, PrometheusReader)
            store = monitor.store
            assert store is not None
            asked = spy(reader)

            # First run, five minutes ago by its clock: the last 7 days at a step keeping a
            # series near 600 points, and the last hour at its own finer one (the sparklines').
            first_end = now - 300
            recent = first_end - RECENT
            reader.clock = lambda: first_end
            written = await backfill(reader, store, config)
            await store.flush()
            assert written > 0
            assert {(start, stop) for _, start, stop in asked} == {
                (first_end - HISTORY, recent),
                (recent, first_end),
            }
            step = choose_step(first_end - HISTORY, recent)
            assert step == 1200
            assert choose_step(recent, first_end) == 10
            for i, env in enumerate(DEMO_ENVS):
                points = await series(store, env, str(RESPONSE_TIME))
                assert begin <= points[0][0] < begin + step
                assert end - 10 <= points[-1][0] <= end + 300  # Prometheus's 5 m look-back
                coarse = [ts for ts, _ in points if ts < recent]
                assert len(coarse) == pytest.approx((recent - begin) / step, abs=2)
                assert len(points) - len(coarse) == pytest.approx((end + 300 - recent) / 10, abs=2)
                for ts, value in points:  # the value of the last minute at or before ts
                    sampled = begin + ((ts - begin) // 60) * 60
                    assert value == pytest.approx(response_ms(i, min(sampled, end)), abs=1e-6)
            health = await series(store, "production", poll_ok("health"))
            down = [ts for ts, ok in health if not ok]
            assert down
            assert all(outage[0] <= ts < outage[1] + 300 for ts in down)
            assert all(ok for _, ok in await series(store, "uat", poll_ok("health")))

            # Second run, now: only from the newest sample on — the last minutes, where serve's
            # live scrapes are — at the finer step that range allows (1 s).
            newest = await newest_sample(store)
            assert newest is not None

            def scrapes() -> bool:  # a few of serve's, older than the 1 s step
                query = 'count_over_time(umig_api_response_time_ms{job="umig-tui"}[1m]) >= 3'
                return bool(api(url, "/api/v1/query", query=query)["result"])

            wait_for(scrapes, timeout=10, what="three scrapes of serve in Prometheus")
            asked.clear()
            reader.clock = time.time
            assert await backfill(reader, store, config) > 0
            await store.flush()
            starts = {start for _, start, _ in asked}
            assert starts == {newest + 1}
            live = [ts for ts, _ in await series(store, "production", str(RESPONSE_TIME))]
            assert max(live) > now - 60  # serve's own samples, through Prometheus

            # Third run straight after: nothing new worth a query.
            asked.clear()
            assert await backfill(reader, store, config) == 0
            assert asked == []
        finally:
            await monitor.aclose()

        # A dashboard opening that cache shows the fleet as Prometheus holds it now, before any
        # poll cycle: a cache store has no bodies to restore from.
        opened = await open_monitor(
            config, environ={}, store_path=tmp_path / "cache.db", restore=True
        )
        try:
            for env in DEMO_ENVS:
                assert opened.fleet.versions(env).umig == running[env]
                assert opened.fleet.status(env)[0] is EnvStatus.HEALTHY
        finally:
            await opened.aclose()


async def test_a_prometheus_that_hangs_holds_the_first_frame_a_second_at_most(
    fleet_config: Path, tmp_path: Path
) -> None:
    async def hang(_reader: asyncio.StreamReader, _writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(30)

    async with RawServer(hang) as server:
        config = with_source(load_config(str(fleet_config), environ={}), server.url, demo=False)
        started = time.monotonic()
        monitor = await open_monitor(config, environ={}, use_store=False, restore=True)
        try:
            waited = time.monotonic() - started
            assert FIRST_ANSWER_WITHIN <= waited < FIRST_ANSWER_WITHIN + 0.5
            assert {monitor.fleet.status(env)[0] for env in DEMO_ENVS} == {EnvStatus.UNKNOWN}
        finally:
            await monitor.aclose()
