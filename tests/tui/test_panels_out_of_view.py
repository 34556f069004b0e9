"""Panel 3 scrolled out of view is not rebuilt at each wave; back in view, it shows the latest.

Its height (one row per environment shown) still follows the data at once, so the dashboard's
scrollable height and where every panel sits are what a full redraw gives.
"""

from __future__ import annotations

from typing import Any

from textual.containers import VerticalScroll

from tests.tui.conftest import AppFactory, good_result, row_texts, show_fleet, wait_for
from umig_tui.demo.simulator import Simulator
from umig_tui.models import Endpoint, PollResult
from umig_tui.service.setup import load_fleet
from umig_tui.sources.parse import parse_document
from umig_tui.tui.app import UmigApp
from umig_tui.tui.widgets.performance import PerformancePanel
from umig_tui.tui.widgets.table import SyncTable


def slow_production(app: UmigApp, sim: Simulator) -> None:
    """A metrics answer from production with a response time no demo figure has: 987 ms, ten
    minutes on (a sparkline bucket of its own: the latest figure is its bucket's average)."""
    assert app.monitor is not None
    base = good_result(sim, "production", Endpoint.METRICS, app.clock() + 600)
    assert base.raw is not None
    lines = [
        "umig_api_response_time_ms 987.0" if line.startswith("umig_api_response_time_ms") else line
        for line in base.raw.splitlines()
    ]
    body = "\n".join(lines) + "\n"
    value = parse_document(Endpoint.METRICS, body)
    app.monitor.apply(
        PollResult("production", Endpoint.METRICS, base.ts, 12.0, value=value, raw=body)
    )
    app.redraw()


def production_row(app: UmigApp) -> list[str]:
    rows = row_texts(app.query_one("#perf-table", SyncTable))
    return next(row for row in rows if row[0] == "production")


async def below_the_fold(pilot: Any) -> PerformancePanel:
    app = pilot.app
    await show_fleet(pilot)
    panel = app.query_one(PerformancePanel)
    await wait_for(pilot, panel.out_of_view, "panel 3 laid out below the fold")
    return panel


async def test_out_of_view_it_waits_and_scrolled_into_view_it_shows_the_latest(
    make_app: AppFactory, sim: Simulator
) -> None:
    app = make_app(use_store=False, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        panel = await below_the_fold(pilot)
        before = production_row(app)
        assert "987ms" not in before[1]

        slow_production(app, sim)
        await pilot.pause()
        assert app.data is not None
        assert app.data.latest[("production", "response_time_ms")] == 987.0
        assert production_row(app) == before  # not rebuilt out of view

        app.query_one("#main", VerticalScroll).scroll_end(animate=False)
        await wait_for(pilot, lambda: "987ms" in production_row(app)[1], "the latest, in view")
        assert not panel.out_of_view()
        shown = row_texts(app.query_one("#perf-table", SyncTable))
        panel.show(app.data)  # what a full redraw of the same data gives
        assert row_texts(app.query_one("#perf-table", SyncTable)) == shown


async def test_its_key_shows_the_latest_at_once(make_app: AppFactory, sim: Simulator) -> None:
    app = make_app(use_store=False, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await below_the_fold(pilot)
        slow_production(app, sim)
        await pilot.pause()
        await pilot.press("3")
        # Up to date before it scrolls: the focus is on a table that shows now's figures.
        assert "987ms" in production_row(app)[1]
        assert app.focused is app.query_one("#perf-table", SyncTable)


async def test_a_new_number_of_rows_is_shown_at_once_even_out_of_view(
    make_app: AppFactory,
) -> None:
    sim = Simulator(40, scenario="static", timeout_hint=1.0)
    app = make_app(
        config=load_fleet(demo=True, demo_envs=40), simulator=sim, use_store=False, poll=False
    )
    async with app.run_test(size=(120, 24)) as pilot:
        panel = await below_the_fold(pilot)
        table = app.query_one("#perf-table", SyncTable)
        assert table.row_count == 40
        main = app.query_one("#main", VerticalScroll)

        app.filter_text = "prod"
        app.redraw()
        await pilot.pause()
        assert app.data is not None
        shown = len(app.data.views)
        assert 1 < shown < 40
        assert panel.out_of_view()  # still below the fold, and yet:
        assert table.row_count == shown
        await pilot.pause()
        height = main.virtual_size.height
        # Catching up on the rest (the cells) moves nothing: the height was already right.
        slow_production(app, sim)
        await pilot.pause()
        main.scroll_end(animate=False)
        await wait_for(pilot, lambda: "987ms" in production_row(app)[1], "the latest, in view")
        await pilot.pause()
        assert main.virtual_size.height == height
