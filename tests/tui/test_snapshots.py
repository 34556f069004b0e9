"""Snapshots of the dashboard with the clock and the data frozen (pytest-textual-snapshot).

After a deliberate change of the look: ``pytest tests/tui/test_snapshots.py --snapshot-update``,
then look at every changed SVG before committing it.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Iterator
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.conftest import seed_path
from tests.tui.conftest import feed
from umig_tui.demo.simulator import Simulator
from umig_tui.metrics import (
    ACTIVE_USERS,
    DB_CONNECTIONS,
    ERROR_RATE,
    PERFORMANCE_SERIES,
    RESPONSE_TIME,
)
from umig_tui.models import Endpoint, ErrorKind, FetchError, PollResult
from umig_tui.service.setup import load_fleet
from umig_tui.tui.app import UmigApp

FROZEN = 1_761_480_030.0  # 2025-10-26 12:00:30 UTC: mid-bucket, so feed() lands in the newest
SPARK_POINTS = 16


def frozen() -> float:
    return FROZEN


@pytest.fixture(autouse=True)
def utc() -> Iterator[None]:
    """The header's clock and timelines are local time: make local time the same everywhere."""
    saved = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if saved is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = saved
    time.tzset()


@pytest.fixture
def frozen_sim() -> Simulator:
    return Simulator(4, scenario="static", clock=frozen)


@pytest.fixture
def app(frozen_sim: Simulator) -> UmigApp:
    """The dashboard on the frozen demo fleet: no store, no polling, frozen clock."""
    return UmigApp(
        load_fleet(demo=True),
        environ={},
        simulator=frozen_sim,
        clock=frozen,
        use_store=False,
        poll=False,
    )


# A typical size per metric, so that the values next to the sparklines look like the real ones.
SCALE = {RESPONSE_TIME: 180.0, ERROR_RATE: 0.01, ACTIVE_USERS: 120.0, DB_CONNECTIONS: 10.0}


def spark_points(app: UmigApp) -> None:
    """Sixteen deterministic buckets of history per environment and metric (a slow wave)."""
    assert app.feed is not None
    bucket = app.feed.recent.bucket
    for index, env in enumerate(("development", "uat", "production", "hotfix")):
        for offset, metric in enumerate(PERFORMANCE_SERIES):
            for step in range(SPARK_POINTS):
                wave = 1.0 + 0.4 * math.sin((step + index + offset) / 2.5)
                ts = FROZEN - (SPARK_POINTS - step) * bucket  # the newest bucket is left to feed()
                app.feed.recent.add((env, metric), ts, SCALE[metric] * wave)


async def frozen_fleet(pilot: Pilot[Any], sim: Simulator, *, fault: str | None = None) -> None:
    """One result per environment and endpoint, built from the frozen simulator; then draw."""
    app = pilot.app
    assert isinstance(app, UmigApp)
    assert app.monitor is not None
    spark_points(app)
    feed(app, sim, FROZEN - 3)
    if fault is not None:
        error = FetchError(ErrorKind.HTTP_ERROR, "HTTP 500 Internal Server Error", http_status=500)
        for endpoint in app.monitor.signals:
            app.monitor.apply(
                PollResult(fault, endpoint, ts=FROZEN - 2, latency_ms=40.0, error=error)
            )
    app.redraw()
    await pilot.pause()


class TestMainScreen:
    def test_main_screen_at_80x24(
        self, snap_compare: Any, app: UmigApp, frozen_sim: Simulator
    ) -> None:
        async def run_before(pilot: Pilot[Any]) -> None:
            await frozen_fleet(pilot, frozen_sim)

        assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)

    def test_main_screen_at_120x40(
        self, snap_compare: Any, app: UmigApp, frozen_sim: Simulator
    ) -> None:
        async def run_before(pilot: Pilot[Any]) -> None:
            await frozen_fleet(pilot, frozen_sim)

        assert snap_compare(app, terminal_size=(120, 40), run_before=run_before)

    def test_main_screen_with_an_unreachable_environment(
        self, snap_compare: Any, app: UmigApp, frozen_sim: Simulator
    ) -> None:
        async def run_before(pilot: Pilot[Any]) -> None:
            await frozen_fleet(pilot, frozen_sim, fault="uat")

        assert snap_compare(app, terminal_size=(120, 40), run_before=run_before)


async def failing_with_alerts(pilot: Pilot[Any], sim: Simulator, env: str) -> None:
    """``env`` failed its last three health checks and the alert rules have run: the header
    names the firing alert; ``n`` selects the row so its reason line shows."""
    app = pilot.app
    assert isinstance(app, UmigApp)
    await frozen_fleet(pilot, sim)
    assert app.monitor is not None
    assert app.engine is not None
    error = FetchError(ErrorKind.CONNECT_ERROR, "connection refused")
    for step in (3, 2, 1):
        for endpoint in app.monitor.signals:
            app.monitor.apply(
                PollResult(env, endpoint, ts=FROZEN - step, latency_ms=None, error=error)
            )
    await app.engine.alerts.evaluate()
    app.redraw()
    await pilot.pause()
    await pilot.press("n")
    await pilot.pause()


class TestThreeAm:
    """What an on-call engineer sees first: the header names the firing alert, the selected
    row's whole reason is under the table, an unreachable row's values are dimmed."""

    def test_firing_alert_and_reason_line_at_80x24(
        self, snap_compare: Any, app: UmigApp, frozen_sim: Simulator
    ) -> None:
        async def run_before(pilot: Pilot[Any]) -> None:
            await failing_with_alerts(pilot, frozen_sim, "production")

        assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)

    def test_sorted_by_status_with_a_firing_alert_at_120x40(
        self, snap_compare: Any, app: UmigApp, frozen_sim: Simulator
    ) -> None:
        async def run_before(pilot: Pilot[Any]) -> None:
            await failing_with_alerts(pilot, frozen_sim, "hotfix")
            await pilot.press("o")
            await pilot.pause()

        assert snap_compare(app, terminal_size=(120, 40), run_before=run_before)


class TestDetailScreen:
    def test_overview_tab(self, snap_compare: Any, app: UmigApp, frozen_sim: Simulator) -> None:
        async def run_before(pilot: Pilot[Any]) -> None:
            await frozen_fleet(pilot, frozen_sim)
            app.open_detail("production")
            await pilot.pause()

        assert snap_compare(app, terminal_size=(120, 40), run_before=run_before)


class TestHelpScreen:
    def test_help_lists_every_key(
        self, snap_compare: Any, app: UmigApp, frozen_sim: Simulator
    ) -> None:
        async def run_before(pilot: Pilot[Any]) -> None:
            await frozen_fleet(pilot, frozen_sim)
            await pilot.press("question_mark")

        assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_the_frozen_fleet_does_not_depend_on_the_wall_clock(frozen_sim: Simulator) -> None:
    """The premise of every snapshot: the same frozen clock gives the same bodies."""
    again = Simulator(4, scenario="static", clock=frozen)
    for env in frozen_sim.names:
        for endpoint in (Endpoint.HEALTH, Endpoint.VERSION, Endpoint.METRICS):
            path = seed_path(endpoint)
            assert frozen_sim.respond(env, path).body == again.respond(env, path).body
