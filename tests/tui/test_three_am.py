"""The 3 a.m. test: what is wrong is on screen in seconds, whole, and reachable from the keyboard."""

from __future__ import annotations

import time
from typing import Any

import msgspec.structs
import pytest
from rich.text import Text

from tests.tui.conftest import (
    AppFactory,
    row_texts,
    wait_for,
    wait_for_data,
    wait_for_shown,
    widget_lines,
)
from umig_tui.analysis.alert_rules import AlertPhase
from umig_tui.config import Config
from umig_tui.demo.simulator import Simulator
from umig_tui.models import EnvStatus
from umig_tui.tui.app import UmigApp
from umig_tui.tui.widgets.environments import VERSION_WIDTH, EnvTable
from umig_tui.tui.widgets.filterbar import FilterBar
from umig_tui.tui.widgets.header import FleetHeader
from umig_tui.tui.widgets.table import SyncTable

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]


@pytest.fixture
def alerting_config(fast_config: Config) -> Config:
    """Polled every 0.2 s, alerts evaluated after 1 s: a failure fires within seconds."""
    return msgspec.structs.replace(
        fast_config, alerts=msgspec.structs.replace(fast_config.alerts, interval=1.0)
    )


def header(app: UmigApp) -> str:
    return widget_lines(app.query_one(FleetHeader))[0]


def reason(app: UmigApp) -> str:
    return " ".join(line.strip() for line in widget_lines(app.query_one("#env-reason")))


def env_order(app: UmigApp) -> list[str]:
    return [row[0] for row in row_texts(app.query_one(EnvTable))]


class TestHeaderNamesFiringAlerts:
    @pytest.mark.parametrize("size", SIZES)
    async def test_a_failing_environment_is_named_in_the_header_with_its_severity(
        self, make_app: AppFactory, sim: Simulator, alerting_config: Config, size: tuple[int, int]
    ) -> None:
        app = make_app(config=alerting_config, use_store=False)
        async with app.run_test(size=size) as pilot:
            await wait_for_data(pilot)
            assert "CRITICAL" not in header(app)
            sim.set_fault("production", "refused")
            line = await wait_for_shown(
                pilot,
                app.query_one(FleetHeader),
                lambda s: "production" in s and "CRIT" in s,
                what="the firing alert in the header",
                within=10,
            )
            # At 80 columns the badge is compact ("1 CRIT") to leave room for the alert's name.
            assert ("1 CRIT " if size[0] < 100 else "ALERTS  1 CRITICAL") in line
            assert "UNREACHABLE" in line
            assert len(line) <= size[0]

    async def test_alerts_are_counted_by_severity_worst_first_and_counts_go_before_the_cause(
        self, make_app: AppFactory, sim: Simulator, alerting_config: Config
    ) -> None:
        app = make_app(config=alerting_config, use_store=False)
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for_data(pilot)
            sim.set_fault("production", "refused")
            sim.set_fault("uat", "http500")
            line = await wait_for_shown(
                pilot,
                app.query_one(FleetHeader),
                lambda s: "2 CRIT" in s,
                what="two critical alerts",
                within=10,
            )
            # At 80 columns the status counts go first; the status word, alerts and clock stay.
            assert line.lstrip().startswith("⊘ UNREACHABLE")
            assert "healthy ·" not in line


class TestReasonLine:
    @pytest.mark.parametrize("size", SIZES)
    async def test_the_selected_rows_whole_reason_is_shown_under_the_table(
        self, make_app: AppFactory, sim: Simulator, fast_config: Config, size: tuple[int, int]
    ) -> None:
        app = make_app(config=fast_config, use_store=False)
        async with app.run_test(size=size) as pilot:
            await wait_for_data(pilot)
            sim.set_fault("uat", "http401")
            await wait_for(
                pilot,
                lambda: (
                    app.monitor is not None
                    and app.monitor.fleet.view("uat").status is EnvStatus.UNREACHABLE
                ),
                what="uat failing",
            )
            await pilot.press("n")  # the next problem: uat's row
            assert app.query_one(EnvTable).selected_key == "uat"
            error = app.monitor.fleet.view("uat").error if app.monitor else None
            assert error is not None
            await wait_for(
                pilot,
                lambda: error.reason.split()[-1] in reason(app),
                what="the whole reason under the table",
            )
            shown = reason(app)
            assert shown.startswith("uat — unreachable: auth_required: ")
            assert error.reason in shown  # uncut, wrapped if need be
            assert "values from" in shown  # the version shown is an earlier answer's


class TestResize:
    async def test_the_layout_follows_a_resize_both_ways_at_once(
        self, make_app: AppFactory
    ) -> None:
        app = make_app(use_store=False)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for_data(pilot)

            def side_by_side() -> bool:
                four, five = app.query_one("#panel-4"), app.query_one("#panel-5")
                return four.region.y == five.region.y and four.region.x != five.region.x

            await wait_for(pilot, side_by_side, what="panels 4 and 5 side by side at 120×40")
            await pilot.resize_terminal(80, 24)
            await pilot.pause()
            assert app.screen.has_class("-narrow")
            await wait_for(pilot, lambda: not side_by_side(), what="stacked at 80×24")
            await pilot.resize_terminal(120, 40)
            await pilot.pause()
            assert not app.screen.has_class("-narrow")
            await wait_for(pilot, side_by_side, what="side by side again at 120×40")


class TestHostileAndStaleValues:
    async def test_a_200_character_version_is_capped_and_whole_in_the_reason(
        self, make_app: AppFactory, sim: Simulator, fast_config: Config
    ) -> None:
        app = make_app(config=fast_config, use_store=False)
        long_version = "1.2.3-" + "x" * 194
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for_data(pilot)
            sim.deploy("hotfix", long_version)
            table = app.query_one(EnvTable)
            await wait_for(
                pilot,
                lambda: any(row[0] == "hotfix" and "1.2.3-x" in row[2] for row in row_texts(table)),
                what="the long version in the table",
            )
            row = next(row for row in row_texts(table) if row[0] == "hotfix")
            assert len(row[2]) <= VERSION_WIDTH
            assert row[2].endswith("…")
            assert row[3] != "-"  # uptime still in its column
            lines = await wait_for_shown(pilot, table, lambda s: "hotfix" in s)
            assert all(len(line) <= 80 for line in lines.splitlines())
            table.move_cursor(row=env_order(app).index("hotfix"))
            shown = app.monitor.fleet.view("hotfix").version if app.monitor else None
            assert shown
            assert len(shown) > VERSION_WIDTH
            await wait_for(pilot, lambda: shown in reason(app).replace(" ", ""))

    async def test_a_stale_row_is_dimmed_and_says_its_age(
        self, make_app: AppFactory, sim: Simulator, fast_config: Config
    ) -> None:
        now = [1_800_000_000.0]
        app = make_app(config=fast_config, use_store=False, clock=lambda: now[0], poll=False)
        async with app.run_test(size=(120, 40)) as pilot:
            from tests.tui.conftest import show_fleet

            await show_fleet(pilot)
            table = app.query_one(EnvTable)
            cell = table.get_row("uat")[3]
            assert isinstance(cell, Text)
            assert not cell.style
            now[0] += 125  # nothing polled for two minutes
            app.redraw()
            await pilot.pause()
            status = table.get_row("uat")[2]
            assert isinstance(status, Text)
            assert status.plain == "● healthy (stale 2m)"
            assert "dim" in str(status.style)
            version = table.get_row("uat")[3]
            assert isinstance(version, Text)
            assert "dim" in str(version.style)


class TestKeys:
    async def test_o_cycles_the_sort_and_the_column_says_so(
        self, make_app: AppFactory, sim: Simulator, fast_config: Config
    ) -> None:
        app = make_app(config=fast_config, use_store=False)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for_data(pilot)
            assert env_order(app) == ["development", "uat", "production", "hotfix"]
            sim.set_fault("hotfix", "http500")
            await wait_for(
                pilot,
                lambda: (
                    app.data is not None
                    and any(v.status is EnvStatus.UNREACHABLE for v in app.data.views)
                ),
            )
            await pilot.press("o")  # status: worst first
            table = app.query_one(EnvTable)
            assert any(str(c.label).startswith("Status ▼") for c in table.columns.values())
            assert env_order(app)[0] == "hotfix"
            await pilot.press("o")  # name
            assert env_order(app) == ["development", "hotfix", "production", "uat"]
            await pilot.press("o")  # version, newest first
            assert env_order(app)[0] == "development"
            for _ in range(3):  # latency, age, back to the config's (promotion) order
                await pilot.press("o")
            assert env_order(app) == ["development", "uat", "production", "hotfix"]
            assert not any("▼" in str(c.label) for c in table.columns.values())

    async def test_n_and_shift_n_walk_the_problems_rows_then_alerts(
        self, make_app: AppFactory, sim: Simulator, alerting_config: Config
    ) -> None:
        app = make_app(config=alerting_config, use_store=False)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for_data(pilot)
            await pilot.press("slash", *"development", "enter")
            await wait_for(pilot, lambda: env_order(app) == ["development"])
            await pilot.press("n")
            assert any("No problem" in message for _, _, message in app.notices)
            await pilot.press("escape")
            sim.set_fault("production", "refused")
            await wait_for(
                pilot,
                lambda: (
                    app.data is not None
                    and any(a.rule == "umig-health-check-failed" for a in app.data.firing)
                ),
                what="production's health alert firing",
                within=10,
            )
            await pilot.press("n")
            assert app.focused is app.query_one(EnvTable)
            assert app.query_one(EnvTable).selected_key == "production"
            await pilot.press("n")
            events = app.query_one("#events-table", SyncTable)
            assert app.focused is events
            assert app.data is not None
            first = next(a for a in app.data.alerts if a.phase is not AlertPhase.RESOLVED)
            assert events.selected_key == f"alert:{first.rule}:{first.env}"
            await pilot.press("N")
            assert app.focused is app.query_one(EnvTable)

    async def test_vim_keys_move_in_tables(self, make_app: AppFactory) -> None:
        app = make_app(use_store=False)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for_data(pilot)
            table = app.query_one(EnvTable)
            table.focus()
            await pilot.press("j", "j")
            assert table.cursor_row == 2
            await pilot.press("k")
            assert table.cursor_row == 1
            await pilot.press("G")
            assert table.cursor_row == 3
            await pilot.press("g")
            assert table.cursor_row == 0
            await pilot.press("end")
            assert table.cursor_row == 3
            await pilot.press("home")
            assert table.cursor_row == 0

    async def test_escape_clears_a_kept_filter_and_the_bar_takes_one_row(
        self, make_app: AppFactory
    ) -> None:
        app = make_app(use_store=False)
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for_data(pilot)
            await pilot.press("slash", *"prod", "enter")
            bar = app.query_one(FilterBar)
            assert bar.region.height == 1
            await wait_for(pilot, lambda: env_order(app) == ["production"])
            assert app.focused is app.query_one(EnvTable)
            await pilot.press("escape")
            await wait_for(pilot, lambda: len(env_order(app)) == 4, what="the filter cleared")
            assert app.filter_text == ""

    async def test_a_filter_hiding_findings_does_not_claim_agreement(
        self, make_app: AppFactory
    ) -> None:
        app = make_app(use_store=False)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for_data(pilot)
            assert app.data is not None
            assert app.data.findings
            await pilot.press("slash", *"development", "enter")
            findings = app.query_one("#drift-findings", SyncTable)
            await wait_for(
                pilot,
                lambda: any("hidden by the filter" in " ".join(r) for r in row_texts(findings)),
            )
            assert not any("every environment agrees" in " ".join(r) for r in row_texts(findings))

    async def test_ctrl_c_says_how_to_quit_in_plain_words(self, make_app: AppFactory) -> None:
        app = make_app(use_store=False)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("ctrl+c")
            message = next(m for _, title, m in app.notices if title == "Do you want to quit?")
            assert "[b]" not in message
            assert message.startswith("Press q")

    async def test_c_copies_the_selected_row_and_its_reason(
        self, make_app: AppFactory, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
        monkeypatch.delenv("TMUX", raising=False)
        monkeypatch.delenv("STY", raising=False)
        app = make_app(use_store=False)
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for_data(pilot)
            await pilot.press("c")
            message = next(m for _, title, m in app.notices if title == "Copy")
            assert "copied" not in message.lower()
            assert app.clipboard.startswith("development\t")
            assert "development — healthy: all checks pass" in app.clipboard
            saved = list((tmp_path / "state").rglob("row-development-*.txt"))
            assert saved
            assert saved[0].read_text() == app.clipboard


class TestOldValuesDimmed:
    async def test_an_unreachable_environments_last_values_are_dimmed_everywhere(
        self, make_app: AppFactory, sim: Simulator, fast_config: Config
    ) -> None:
        from umig_tui.tui.screens.detail import EnvDetailScreen

        app = make_app(config=fast_config, use_store=False)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for_data(pilot)
            perf = app.query_one("#perf-table", SyncTable)

            def dimmed(cell: object) -> bool:
                return isinstance(cell, Text) and any(
                    "dim" in str(span.style) for span in cell.spans
                )

            assert not dimmed(perf.get_row("uat")[1])
            sim.set_fault("uat", "http500")
            await wait_for(pilot, lambda: dimmed(perf.get_row("uat")[1]), what="uat's values dim")
            # Polled every 0.2 s, a healthy environment is stale after 0.4 s without an answer:
            # on a loaded machine that happens for a moment, so it is waited for, not sampled.
            await wait_for(
                pilot,
                lambda: not dimmed(perf.get_row("production")[1]),
                what="production's values live",
            )
            version = app.query_one(EnvTable).get_row("uat")[3]
            assert isinstance(version, Text)
            assert "dim" in str(version.style)
            app.open_detail("uat")
            await wait_for(
                pilot,
                lambda: (
                    isinstance(app.screen, EnvDetailScreen)
                    and bool(app.screen.query("#components-table"))
                ),
            )
            components = app.screen.query_one("#components-table", SyncTable)
            await wait_for(pilot, lambda: components.row_count > 0)
            status = components.get_row_at(0)[2]
            assert isinstance(status, Text)
            assert "dim" in str(status.style)
            assert status.plain.endswith("ago)")


class TestAlertLogSearch:
    async def test_slash_filters_the_alert_lists_and_escape_clears_then_goes_back(
        self, make_app: AppFactory, sim: Simulator, alerting_config: Config
    ) -> None:
        from umig_tui.tui.screens.alerts import AlertLogScreen

        app = make_app(config=alerting_config, use_store=False)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for_data(pilot)
            sim.set_fault("production", "refused")
            await wait_for(
                pilot,
                lambda: (
                    app.data is not None
                    and any(a.rule == "umig-health-check-failed" for a in app.data.firing)
                ),
                within=10,
            )
            await pilot.press("a")
            await wait_for(pilot, lambda: isinstance(app.screen, AlertLogScreen))
            now = app.screen.query_one("#alerts-now", SyncTable)
            await wait_for(pilot, lambda: now.row_count >= 2, what="two alerts listed")
            await pilot.press("slash", *"consecutive")
            rows = row_texts(now)
            assert rows
            assert all("health-check-failed" in row[3] for row in rows)
            assert (
                rows[0][6].startswith("3 consecutive failed health checks")
                or "consecutive" in rows[0][6]
            )
            await pilot.press(*"zzz")
            assert "nothing matches" in " ".join(row_texts(now)[0])
            await pilot.press("escape")
            assert now.row_count >= 2
            assert isinstance(app.screen, AlertLogScreen)
            await pilot.press("escape")
            assert not isinstance(app.screen, AlertLogScreen)


class TestPrometheusSource:
    async def test_prometheus_down_is_in_the_header_and_said_once(self, tmp_path: Any) -> None:
        import socket

        from tests.tui.conftest import RecordingApp
        from umig_tui.config.lookup import parse_config_text

        with socket.socket() as sock:  # a port nothing listens on
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        config = parse_config_text(
            f'[source]\nprometheus = "http://127.0.0.1:{port}"\n'
            '[[environments]]\nname = "production"\nurl = "https://prod.example"\n'
            'tier = "production"\n'
        )
        app = RecordingApp(config, environ={}, use_store=False)
        async with app.run_test(size=(80, 24)) as pilot:
            line = await wait_for_shown(
                pilot,
                app.query_one(FleetHeader),
                lambda s: "PROMETHEUS DOWN" in s,
                what="Prometheus down in the header",
                within=10,
            )
            assert line.lstrip().startswith("UMIG")
            said = [m for _, title, m in app.notices if title == "Prometheus"]
            assert len(said) == 1
            assert f"127.0.0.1:{port}" in said[0]


async def test_shift_p_opens_the_promotion_board(make_app: AppFactory) -> None:
    from umig_tui.tui.screens.promotion import PromotionScreen

    app = make_app(use_store=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        await pilot.press("P")
        await wait_for(pilot, lambda: isinstance(app.screen, PromotionScreen), "the board")
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, PromotionScreen), "back")


async def test_the_demo_says_what_its_scenario_plays(make_app: AppFactory) -> None:
    from umig_tui.demo.scenarios import SCENARIOS

    app = make_app(use_store=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        said = [m for _, title, m in app.notices if title == "Demo fleet: static"]
        assert said == [SCENARIOS["static"].description]
        tooltip = str(app.query_one(FleetHeader).tooltip)
        assert "HIGH drift" in tooltip


async def test_a_new_demo_store_gets_a_week_of_history_after_the_first_frame(
    make_app: AppFactory,
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        store = app.monitor.store if app.monitor else None
        assert store is not None
        deadline = time.monotonic() + 30
        while not await store.query("SELECT 1 FROM meta WHERE key = 'demo_metric_history'"):
            assert time.monotonic() < deadline, "the demo's history was never written"
            await pilot.pause(0.2)
        [(oldest,)] = await store.query("SELECT min(ts) FROM samples")
        assert app.clock() - float(oldest) / 1000 > 6 * 86400
