"""The `/` filter narrows every panel; the detail screen shows everything about one environment."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from textual.widgets import Static, TabbedContent

from tests.tui.conftest import (
    AppFactory,
    row_texts,
    show_fleet,
    wait_for,
    wait_for_data,
    widget_lines,
)
from umig_tui.config import Config
from umig_tui.demo.simulator import Simulator
from umig_tui.models import Endpoint, EnvStatus, ErrorKind, FetchError, PollResult
from umig_tui.service.setup import load_fleet
from umig_tui.tui.app import UmigApp
from umig_tui.tui.screens.detail import EnvDetailScreen
from umig_tui.tui.widgets.environments import EnvTable
from umig_tui.tui.widgets.filterbar import FilterBar
from umig_tui.tui.widgets.table import SyncTable


def env_rows(app: UmigApp) -> list[str]:
    """The environments the table shows, top to bottom."""
    return [row[0] for row in row_texts(app.query_one(EnvTable))]


def plain(static: Static) -> str:
    content = static.content
    return str(getattr(content, "plain", content))


async def open_detail(app: UmigApp, pilot: Any, env: str) -> EnvDetailScreen:
    """Enter on ``env``'s row."""
    table = app.query_one(EnvTable)
    table.focus()
    table.move_cursor(row=env_rows(app).index(env))
    await pilot.press("enter")
    screen = app.screen
    assert isinstance(screen, EnvDetailScreen)
    assert screen.env == env
    return screen


async def fault(app: UmigApp, pilot: Any, sim: Simulator, env: str, kind: str) -> None:
    """Inject ``kind`` into every endpoint of ``env`` and poll it now."""
    assert app.monitor is not None
    monitor = app.monitor
    fault_at = time.time()  # a result's ts is when its request started
    sim.set_fault(env, kind)

    def polled() -> bool:
        # Again and again: a refresh that lands while a poll of the same endpoint is finishing
        # is overwritten by that poll's next due time (a poller race, seen under CPU load).
        monitor.refresh(env)
        results = [monitor.fleet.latest(env, e) for e in monitor.signals]
        return all(r is not None and r.ts >= fault_at for r in results)

    await wait_for(pilot, polled, what=f"{env} polled with fault {kind}")
    app.redraw()
    await pilot.pause()


class TestFilter:
    async def test_typing_prod_narrows_the_table_enter_keeps_it_escape_clears_it(
        self, make_app: AppFactory
    ) -> None:
        app = make_app(use_store=False, poll=False)
        async with app.run_test(size=(80, 24)) as pilot:
            await show_fleet(pilot)
            assert env_rows(app) == ["development", "uat", "production", "hotfix"]

            await pilot.press("slash", *"prod")
            assert env_rows(app) == ["production"]
            assert app.query_one("#drift-matrix", SyncTable).row_count == 1
            assert app.query_one("#perf-table", SyncTable).row_count == 1
            assert app.query_one("#panel-1").border_subtitle == "1 of 4"

            await pilot.press("enter")
            assert isinstance(app.focused, EnvTable)
            assert env_rows(app) == ["production"]
            filter_bar = app.query_one(FilterBar)
            assert filter_bar.has_class("-active")
            assert filter_bar.value == "prod"

            await pilot.press("slash", "escape")
            assert env_rows(app) == ["development", "uat", "production", "hotfix"]
            assert not filter_bar.has_class("-active")
            assert filter_bar.value == ""
            assert isinstance(app.focused, EnvTable)
            assert app.query_one("#panel-1").border_subtitle == ""

    async def test_filter_words_match_name_tier_status_and_version(
        self, make_app: AppFactory
    ) -> None:
        sim = Simulator(5, scenario="static", timeout_hint=1.0)
        app = make_app(
            config=load_fleet(demo=True, demo_envs=5), simulator=sim, use_store=False, poll=False
        )
        cases = [
            ("rc", ["uat"]),  # version 1.2.0-rc.2
            ("1.1", ["production", "hotfix"]),  # 1.1.2 and 1.1.3+hotfix
            ("1.1 hotfix", ["hotfix"]),  # every word must match
            ("development", ["development", "dev-05"]),  # dev-05's tier
            ("unreachable", ["uat"]),  # status
            ("HEALTHY", ["development", "production", "hotfix", "dev-05"]),
            ("nothing-like-this", []),
        ]
        async with app.run_test(size=(80, 24)) as pilot:
            await show_fleet(pilot)
            assert app.monitor is not None
            error = FetchError(ErrorKind.HTTP_ERROR, "HTTP 500", http_status=500)
            app.monitor.apply(
                PollResult("uat", Endpoint.HEALTH, ts=app.clock(), latency_ms=3.0, error=error)
            )
            app.action_filter()
            filter_bar = app.query_one(FilterBar)
            for words, shown in cases:
                filter_bar.value = words
                await pilot.pause()
                assert env_rows(app) == shown, words


class TestDetail:
    async def test_components_and_metrics_tabs_show_everything_the_endpoints_said(
        self, make_app: AppFactory
    ) -> None:
        app = make_app(use_store=False, poll=False)
        async with app.run_test(size=(80, 24)) as pilot:
            await show_fleet(pilot)
            screen = await open_detail(app, pilot, "uat")
            rows = row_texts(screen.query_one("#components-table", SyncTable))
            groups = {row[0] for row in rows}
            assert {"orchestrator", "entity manager", "service", "repositories"} <= groups
            names = {row[1] for row in rows}
            assert {"ComponentOrchestrator", "teams", "emailService", "database"} <= names
            orchestrator = next(row for row in rows if row[0] == "orchestrator")
            assert orchestrator[2] == "active"
            assert "25 components" in orchestrator[3]
            database = next(row for row in rows if row[1] == "database")
            assert database[3].startswith("schema 031")  # the version first: never cut off

            rows = row_texts(screen.query_one("#metrics-table", SyncTable))
            labels = [row[0] for row in rows]
            metrics = {"response_time_ms", "error_rate", "active_users", "db_connections"}
            assert metrics <= set(labels)
            # Every Prometheus sample too, labels and all.
            assert 'umig_version_info{build="rc.2",version="1.2.0-rc.2"}' in labels
            assert "umig_api_response_time_ms" in labels
            values = {row[0]: row[1] for row in rows}
            assert values["umig_ui_components_loaded"] == "25"

    async def test_overview_shows_the_last_error_of_a_faulty_environment(
        self, make_app: AppFactory, sim: Simulator
    ) -> None:
        app = make_app(use_store=False)
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for_data(pilot)
            await fault(app, pilot, sim, "uat", "http500")
            assert app.monitor is not None
            assert app.monitor.fleet.view("uat").status is EnvStatus.UNREACHABLE
            table_row = next(row for row in row_texts(app.query_one(EnvTable)) if row[0] == "uat")
            assert table_row[1] == "⊘ unreachable"

            screen = await open_detail(app, pilot, "uat")
            overview = plain(screen.query_one("#overview", Static))
            assert "unreachable" in overview
            assert "http_error" in overview
            assert "500" in overview
            # The last good answers are still shown: the version did not vanish with the error.
            assert "1.2.0-rc.2" in overview
            assert "unreachable" in plain(screen.query_one("#detail-title", Static))

    async def test_raw_json_is_shown_literally_never_as_markup_or_escapes(
        self, make_app: AppFactory, sim: Simulator
    ) -> None:
        app = make_app(use_store=False)
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for_data(pilot)
            await fault(app, pilot, sim, "uat", "hostile")
            screen = await open_detail(app, pilot, "uat")
            screen.query_one(TabbedContent).active = "tab-raw"
            await pilot.pause()
            raw = screen.query_one("#raw", Static)
            text = plain(raw)
            assert "── admin/health" in text
            assert '"umig": {' in text
            assert "[bold red]PWNED[/bold red]" in text
            assert "\x1b" not in text
            assert "\x07" not in text
            assert "\x08" not in text
            # On screen, as typed: the markup was not interpreted.
            on_screen = "\n".join(widget_lines(raw))
            assert "[bold red]PWNED[/bold red]" in on_screen
            overview = plain(screen.query_one("#overview", Static))
            assert "[bold red]PWNED" in overview
            assert "\x1b" not in overview

    async def test_brackets_switch_tabs_both_ways(self, make_app: AppFactory) -> None:
        app = make_app(use_store=False, poll=False)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("enter")
            assert isinstance(app.screen, EnvDetailScreen)
            tabs = app.screen.query_one(TabbedContent)
            assert tabs.active == "tab-overview"
            seen = []
            for key in ("]", "]", "[", "[", "["):
                await pilot.press(key)
                seen.append(tabs.active)
            assert seen == [
                "tab-components",
                "tab-metrics",
                "tab-components",
                "tab-overview",
                "tab-slo",  # round the end
            ]


def test_demo_config_has_four_environments(demo_config: Config) -> None:
    """The fixtures' premise: the four seed environments, in order."""
    assert [env.name for env in demo_config.environments] == [
        "development",
        "uat",
        "production",
        "hotfix",
    ]


class TestSloTab:
    async def test_slo_tab_shows_every_window_with_the_targets(
        self, make_app: AppFactory, tmp_path: Path
    ) -> None:
        # Without the demo's week of history: this is about one poll's sliver of a window.
        app = make_app(store_path=tmp_path / "slo.db", poll=False, demo_history=False)
        async with app.run_test(size=(120, 40)) as pilot:
            assert app.monitor is not None
            await app.monitor.poll_once()
            assert app.monitor.store is not None
            await app.monitor.store.flush()
            await pilot.press("enter")
            screen = app.screen
            assert isinstance(screen, EnvDetailScreen)
            screen.query_one(TabbedContent).active = "tab-slo"
            screen.load_slo()
            table = screen.query_one("#slo-table", SyncTable)
            await wait_for(
                pilot,
                lambda: [row[0] for row in row_texts(table)] == ["1h", "24h", "7d", "30d"],
                "the SLO table",
            )
            rows = row_texts(table)
            # One good health poll: its figure, how little of the hour it covers, no verdict.
            assert " of 1h (" in rows[0][1]
            assert rows[0][2] == "100.000%"
            assert rows[0][5] == "not enough data"
            assert "99.9%" in plain(screen.query_one("#slo-targets", Static))
