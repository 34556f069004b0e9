"""Every key of the dashboard does what its binding says (Pilot, in-process demo fleet)."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from textual.binding import Binding
from textual.command import CommandInput, CommandList, CommandPalette
from textual.widgets import Input, Static
from textual.widgets._footer import FooterKey

from tests.tui.conftest import AppFactory, RecordingApp, show_fleet, wait_for, wait_for_data
from umig_tui.config import Config
from umig_tui.service.monitor import Change
from umig_tui.tui.app import UmigApp
from umig_tui.tui.screens.deploy_dialog import DeployDialog
from umig_tui.tui.screens.detail import EnvDetailScreen
from umig_tui.tui.screens.help import HelpScreen
from umig_tui.tui.screens.history import HistoryScreen
from umig_tui.tui.widgets.environments import EnvTable
from umig_tui.tui.widgets.filterbar import FilterBar
from umig_tui.tui.widgets.header import FleetHeader
from umig_tui.util.ui_state import load_ui_state

APP_BINDINGS = [b for b in UmigApp.BINDINGS if isinstance(b, Binding)]
PANEL_TABLES = {
    "1": "env-table",
    "2": "drift-matrix",
    "3": "perf-table",
    "4": "deploy-table",
    "5": "events-table",
}


def header_text(app: UmigApp) -> str:
    return app.query_one(FleetHeader).plain


def count_results(app: UmigApp) -> Counter[str]:
    """Results per environment of the requests that start from now on (not those in flight)."""
    assert app.monitor is not None
    counts: Counter[str] = Counter()
    since = time.time()  # a result's ts is when its request started

    def listener(change: Change) -> None:
        if change.result is not None and change.result.ts >= since:
            counts[change.env] += 1

    app.monitor.subscribe(listener)
    return counts


async def select_row(app: UmigApp, pilot: Any, env: str) -> None:
    table = app.query_one(EnvTable)
    table.focus()
    table.move_cursor(row=[v.name for v in app.data.views].index(env) if app.data else 0)
    await pilot.pause()
    assert app.selected_env() == env


class TestHelp:
    async def test_question_mark_opens_help_generated_from_every_binding(
        self, make_app: AppFactory
    ) -> None:
        app = make_app(use_store=False, poll=False)
        async with app.run_test(size=(80, 24)) as pilot:
            main = app.screen
            await pilot.press("question_mark")
            assert isinstance(app.screen, HelpScreen)
            content = app.screen.query_one("#help-text", Static).content
            text = str(getattr(content, "plain", content))
            for binding in APP_BINDINGS:
                assert binding.description in text, binding
                assert binding.id, binding
                assert binding.id in text, binding
            for _title, items in app.help_sections():
                for item in items:
                    if isinstance(item, Binding) and item.description:
                        assert item.description in text, item
            assert "Command palette" in text
            await pilot.press("escape")
            assert app.screen is main
            assert isinstance(app.focused, EnvTable)

    async def test_footer_shows_the_bindings_and_quit_fits_at_80_columns(
        self, make_app: AppFactory
    ) -> None:
        app = make_app(use_store=False, poll=False)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            shown = {
                b.binding.id: b.binding.description
                for b in app.screen.active_bindings.values()
                if b.binding.show
            }
            for binding in APP_BINDINGS:
                if binding.show:
                    assert shown.get(binding.id) == binding.description
            assert shown.get("details") == "Details"  # Enter, from the focused table
            keys = {key.description: key for key in app.screen.query(FooterKey)}
            assert set(keys) >= {b.description for b in APP_BINDINGS if b.show} | {"Details"}
            # The footer scrolls at 80 columns; the keys that matter at 3 a.m. are on screen.
            for description in ("Details", "Help", "Quit", "Filter", "Refresh", "Pause"):
                region = keys[description].region
                assert region.width > 0, description
                assert region.right <= 80, description


class TestPolling:
    async def test_r_refreshes_the_selected_environment_then_every_one(
        self, make_app: AppFactory
    ) -> None:
        # Stock intervals (30 s and more): after the first poll nothing is due for a while.
        app = make_app(use_store=False)
        async with app.run_test(size=(80, 24)) as pilot:
            assert app.monitor is not None
            monitor = app.monitor
            await wait_for(
                pilot,
                lambda: all(
                    monitor.fleet.latest(env, endpoint) is not None
                    for env in monitor.fleet.names
                    for endpoint in monitor.signals
                ),
                what="the first poll",
            )
            await pilot.pause()  # the first poll's loops note their next due times
            counts = count_results(app)
            await select_row(app, pilot, "uat")
            await pilot.press("r")
            endpoints = len(monitor.signals)
            await wait_for(pilot, lambda: counts["uat"] >= endpoints, what="uat refreshed")
            await pilot.pause(0.2)
            assert set(counts) == {"uat"}
            assert any("Refreshing uat" in message for _, _, message in app.notices)

            await pilot.press("2")  # focus elsewhere: r means every environment
            await pilot.press("r")
            await wait_for(
                pilot,
                lambda: (
                    all(counts[env] >= endpoints for env in monitor.fleet.names)
                    and counts["uat"] >= 2 * endpoints
                ),
                what="every environment refreshed",
            )
            assert any("every environment" in message for _, _, message in app.notices)

    async def test_p_pauses_and_resumes_polling(
        self, make_app: AppFactory, fast_config: Config
    ) -> None:
        app = make_app(config=fast_config, use_store=False)
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for_data(pilot)
            assert app.monitor is not None
            monitor = app.monitor

            def paused() -> bool:
                return monitor.paused

            await pilot.press("p")
            assert paused()
            assert "PAUSED" in header_text(app)
            counts = count_results(app)  # fetches already in flight may land, but no new ones
            await pilot.pause(0.6)  # three health intervals
            assert sum(counts.values()) == 0

            await pilot.press("p")
            assert not paused()
            assert "PAUSED" not in header_text(app)
            await wait_for(pilot, lambda: sum(counts.values()) > 0, what="polling again")


class TestThemes:
    async def test_t_cycles_the_shipped_themes_and_remembers_the_choice(
        self, make_app: AppFactory
    ) -> None:
        app = make_app(use_store=False, poll=False)
        async with app.run_test(size=(80, 24)) as pilot:
            assert app.theme == "umig-dark"
            seen = []
            for _ in range(4):
                await pilot.press("t")
                seen.append(app.theme)
                assert load_ui_state()["theme"] == app.theme
            assert seen == ["umig-light", "high-contrast", "monochrome", "umig-dark"]


class TestPanels:
    async def test_number_keys_focus_the_table_of_their_panel(self, make_app: AppFactory) -> None:
        app = make_app(use_store=False, poll=False)
        async with app.run_test(size=(80, 24)) as pilot:
            await show_fleet(pilot)
            main = app.query_one("#main")
            for key in ("5", "3", "4", "2", "1"):
                await pilot.press(key)
                assert app.focused is not None, key
                assert app.focused.id == PANEL_TABLES[key], key
                # Stacked at 80×24: the panel is scrolled into view.
                assert main.region.overlaps(app.focused.region), key

    async def test_enter_opens_the_detail_of_the_row_and_escape_goes_back(
        self, make_app: AppFactory
    ) -> None:
        app = make_app(use_store=False, poll=False)
        async with app.run_test(size=(80, 24)) as pilot:
            await show_fleet(pilot)
            main = app.screen
            await select_row(app, pilot, "production")
            await pilot.press("enter")
            assert isinstance(app.screen, EnvDetailScreen)
            assert app.screen.env == "production"
            await pilot.press("escape")
            assert app.screen is main
            assert isinstance(app.focused, EnvTable)
            assert app.selected_env() == "production"

    async def test_main_screen_keys_are_off_on_the_detail_screen(
        self, make_app: AppFactory
    ) -> None:
        app = make_app(use_store=False, poll=False)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("enter")
            assert isinstance(app.screen, EnvDetailScreen)
            await pilot.press("slash", "3")
            await pilot.press("escape")
            filter_bar = app.query_one(FilterBar)
            assert not filter_bar.has_class("-active")
            assert isinstance(app.focused, EnvTable)


class TestDialogs:
    async def test_d_opens_the_deploy_dialog_with_the_suggested_version(
        self, make_app: AppFactory
    ) -> None:
        app = make_app(use_store=False, poll=False)
        async with app.run_test(size=(80, 24)) as pilot:
            await show_fleet(pilot)
            await select_row(app, pilot, "production")
            await pilot.press("d")
            dialog = app.screen
            assert isinstance(dialog, DeployDialog)
            assert dialog.env == "production"
            # uat runs 1.2.0-rc.2: production is due the release, not the candidate.
            assert dialog.query_one("#deploy-version", Input).value == "1.2.0"
            await pilot.press("escape")
            assert not isinstance(app.screen, DeployDialog)
            assert app.watches.states == {}
            assert not [w for w in app.workers if w.group == "deploy-watch"]

    async def test_h_opens_the_history_screen(self, make_app: AppFactory) -> None:
        app = make_app(poll=False)
        async with app.run_test(size=(80, 24)) as pilot:
            main = app.screen
            await pilot.press("h")
            assert isinstance(app.screen, HistoryScreen)
            await wait_for(
                pilot,
                lambda: (
                    "deployments" in str(app.screen.query_one("#history-summary", Static).content)
                ),
                what="the history summary",
            )
            await pilot.press("escape")
            assert app.screen is main

    async def test_slash_opens_the_filter(self, make_app: AppFactory) -> None:
        app = make_app(use_store=False, poll=False)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("slash")
            filter_bar = app.query_one(FilterBar)
            assert filter_bar.has_class("-active")
            assert app.focused is filter_bar

    async def test_command_palette_lists_every_environment(self, make_app: AppFactory) -> None:
        app = make_app(use_store=False, poll=False)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("ctrl+p")
            assert isinstance(app.screen, CommandPalette)
            commands = app.screen.query_one(CommandList)

            def prompts() -> list[str]:
                # A prompt is the command, then its help on a second line.
                return [
                    str(commands.get_option_at_index(i).prompt).split("\n")[0]
                    for i in range(commands.option_count)
                ]

            names = [env.name for env in app.config.environments]
            await wait_for(
                pilot,
                lambda: all(f"Open {name}" in prompts() for name in names),
                what="a command per environment before typing",
            )
            await pilot.press(*"prod")
            await wait_for(pilot, lambda: "Open production" in prompts(), what="palette hits")
            assert "Refresh production" in prompts()
            assert "Open uat" not in prompts()
            app.screen.query_one(CommandInput).value = "open production"
            await wait_for(
                pilot, lambda: prompts() and prompts()[0] == "Open production", what="best hit"
            )
            await pilot.press("enter")
            await wait_for(pilot, lambda: isinstance(app.screen, EnvDetailScreen), what="detail")
            assert isinstance(app.screen, EnvDetailScreen)
            assert app.screen.env == "production"


class TestQuit:
    async def test_q_quits_with_return_code_0_and_closes_the_store(
        self, make_app: AppFactory
    ) -> None:
        app: RecordingApp = make_app(poll=False)
        async with app.run_test(size=(80, 24)) as pilot:
            await show_fleet(pilot)
            assert app.monitor is not None
            assert app.monitor.store is not None
            store = app.monitor.store
            await pilot.press("q")
            await pilot.pause()
        assert app.return_code == 0
        assert not app.is_running
        assert store.closed  # an open aiosqlite connection would hang the interpreter's exit
