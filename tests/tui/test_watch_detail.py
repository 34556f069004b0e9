"""Issue 14, deploy watches you can inspect and keep: a failed watch keeps its verdict and
rollback advice in panel 4 until dismissed (`x`); Enter opens a watch's detail (stages with
times, the outage, each gate against what it wants, the verdict), live while it runs, and `c`
cancels it (recorded as interrupted); quitting with a watch running asks first; the deploy
dialog's error is shown whole. Against the real in-process demo fleet, at 80×24 and 120×40."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Static

from tests.tui.conftest import (
    AppFactory,
    RecordingApp,
    wait_for,
    wait_for_data,
    wait_for_shown,
    widget_lines,
)
from tests.tui.test_deploy_from_dashboard import watch_from_dashboard
from umig_tui.config import Config
from umig_tui.demo.simulator import Simulator
from umig_tui.deploy.watch_state import Stage
from umig_tui.tui.screens.confirm import ConfirmQuit
from umig_tui.tui.screens.deploy_dialog import DeployDialog
from umig_tui.tui.screens.watch_detail import WatchDetailScreen
from umig_tui.tui.widgets.deployments import DeploymentsPanel
from umig_tui.tui.widgets.environments import EnvTable
from umig_tui.tui.widgets.table import SyncTable

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]
ADVICE = "rollback recommended to 1.1.2"  # production runs 1.1.2 in the demo fleet


def flat(text: str) -> str:
    """Screen text with its line breaks and padding folded to single spaces (wrapped prose)."""
    return " ".join(text.split())


async def fail_a_deploy(app: RecordingApp, pilot: Pilot[Any], sim: Simulator) -> None:
    """Watch production for 1.2.0, which lands after a short outage and comes up unhealthy."""
    await watch_from_dashboard(app, pilot, "production", "1.2.0")
    sim.deploy("production", "1.2.0", downtime=0.8, status="unhealthy")
    await wait_for(
        pilot,
        lambda: app.watches.states["production"].stage is Stage.FAILED,
        "the watch of production to fail",
        within=15,
    )


async def focus_watch_row(app: RecordingApp, pilot: Pilot[Any], env: str) -> SyncTable:
    await pilot.press("4")
    table = app.query_one("#deploy-table", SyncTable)
    assert app.data is not None
    table.move_cursor(row=[row.env for row in app.data.deployments].index(env))
    await pilot.pause()
    assert app.focused is table
    return table


@pytest.mark.parametrize("size", SIZES)
async def test_a_failed_watch_keeps_its_verdict_and_rollback_advice_until_dismissed(
    make_app: AppFactory, fast_config: Config, sim: Simulator, size: tuple[int, int]
) -> None:
    app = make_app(config=fast_config)
    async with app.run_test(size=size) as pilot:
        await wait_for_data(pilot)
        await fail_a_deploy(app, pilot, sim)
        await focus_watch_row(app, pilot, "production")
        verdict = app.query_one("#deploy-verdict", Static)
        verdict.scroll_visible(animate=False)
        shown = await wait_for_shown(
            pilot, verdict, lambda s: ADVICE in flat(s), "the rollback advice, whole"
        )
        assert "production → 1.2.0 failed after" in flat(shown)
        assert "health is unhealthy after the deploy" in flat(shown)
        # Still there frames later: it is no toast.
        frames = app.notices.copy()
        await wait_for(pilot, lambda: app._last_render > 0 and not app.repaint_pending)
        app.redraw()
        await pilot.pause()
        assert ADVICE in flat("\n".join(widget_lines(verdict)))
        assert app.notices[: len(frames)] == frames

        # The footer offers x while the panel is focused; x dismisses the verdict.
        assert "watch-dismiss" in {b.binding.id for b in app.active_bindings.values()}
        await pilot.press("x")
        await wait_for(pilot, lambda: "production" not in app.watches.states, "the dismissal")
        await wait_for(pilot, lambda: not verdict.display, "the verdict to go")
        panel = app.query_one(DeploymentsPanel)
        await wait_for_shown(pilot, panel, lambda s: "failed" not in s, "the row without a watch")


async def test_enter_on_a_failed_watch_shows_stages_outage_gates_and_verdict(
    make_app: AppFactory, fast_config: Config, sim: Simulator
) -> None:
    app = make_app(config=fast_config)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)
        await fail_a_deploy(app, pilot, sim)
        await focus_watch_row(app, pilot, "production")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, WatchDetailScreen), "the detail")
        body = app.screen.query_one("#watch-detail", Static)
        shown = flat(
            await wait_for_shown(pilot, body, lambda s: "Outage" in s, "the watch's detail")
        )
        assert "Deploy watch · production · 1.1.2 → 1.2.0" in shown
        assert "FAILED after" in shown
        assert ADVICE in shown
        for stage in ("waiting", "confirmed", "validating", "failed"):
            assert stage in shown
        # The outage: 503s while the new version started, and it never came back healthy.
        assert "HTTP 503" in shown
        assert "down at the end" in shown
        # Each gate with its value, what it wants, and its result.
        assert "health unhealthy healthy failed" in shown
        state = app.watches.states["production"]
        assert [m.stage for m in state.timeline] == [
            Stage.WAITING,
            Stage.CONFIRMED,
            Stage.VALIDATING,
            Stage.FAILED,
        ]
        assert "watch-cancel" not in {
            b.binding.id for b in app.active_bindings.values() if b.enabled
        }
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, WatchDetailScreen), "closing")


@pytest.mark.parametrize("size", SIZES)
async def test_the_detail_of_a_running_watch_is_live_and_c_cancels_it(
    make_app: AppFactory, fast_config: Config, store_path: Path, size: tuple[int, int]
) -> None:
    app = make_app(config=fast_config)
    async with app.run_test(size=size) as pilot:
        await wait_for_data(pilot)
        await watch_from_dashboard(app, pilot, "production", "9.9.9")
        await focus_watch_row(app, pilot, "production")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, WatchDetailScreen), "the detail")
        body = app.screen.query_one("#watch-detail", Static)
        first = flat(
            await wait_for_shown(
                pilot,
                body,
                lambda s: "WAITING for" in s and "current version 1.1.2" in flat(s),
                "a waiting watch that has heard from production",
            )
        )
        assert "current version 1.1.2, expecting 9.9.9" in first
        assert "c cancels the watch" in first
        # Live: the time spent waiting moves on without a key.
        await wait_for_shown(
            pilot, body, lambda s: flat(s) != first and "WAITING" in s, "the next second"
        )

        await pilot.press("c")
        await wait_for(
            pilot,
            lambda: app.watches.states["production"].stage is Stage.INTERRUPTED,
            "the watch to be cancelled",
        )
        shown = flat(
            await wait_for_shown(pilot, body, lambda s: "INTERRUPTED" in s, "the cancelled watch")
        )
        assert "watch cancelled from the dashboard" in shown
        assert app.watches.running() == []
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, WatchDetailScreen), "closing")
    # Recorded like Ctrl-C in the CLI: a closing deployment event, never "in progress".
    assert recorded_stages(store_path, "production") == ["waiting", "interrupted"]


def recorded_stages(store_path: Path, env: str) -> list[str]:
    with sqlite3.connect(store_path) as db:
        rows = db.execute(
            "SELECT summary FROM events WHERE env = ? AND kind = 'deployment' ORDER BY ts", (env,)
        ).fetchall()
    stages = []
    for (summary,) in rows:
        if "watching the deploy" in summary:
            stages.append("waiting")
        elif "interrupted" in summary:
            stages.append("interrupted")
        else:
            stages.append(summary)
    return stages


async def test_quitting_with_a_watch_running_asks_first_and_records_it_interrupted(
    make_app: AppFactory, fast_config: Config, store_path: Path
) -> None:
    app = make_app(config=fast_config)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        await watch_from_dashboard(app, pilot, "production", "9.9.9")
        await pilot.press("q")
        await wait_for(
            pilot,
            lambda: isinstance(app.screen, ConfirmQuit) and app.screen.query("#confirm-quit-text"),
            "the question",
        )
        question = flat(
            await wait_for_shown(
                pilot,
                app.screen.query_one("#confirm-quit-text"),
                lambda s: "running" in s,
                "the question on screen",
            )
        )
        assert "1 deploy watch is running" in question
        assert "production → 9.9.9" in question
        depth = len(app.screen_stack)
        await pilot.press("q")  # a second q while asking stacks no second question
        await pilot.pause()
        assert len(app.screen_stack) == depth
        await pilot.press("n")
        await wait_for(pilot, lambda: not isinstance(app.screen, ConfirmQuit), "staying")
        assert [s.env for s in app.watches.running()] == ["production"]

        await pilot.press("q")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmQuit), "the question")
        await pilot.press("y")
        await wait_for(pilot, lambda: not app.is_running, "the dashboard to quit", within=10)
    assert app.watches.states["production"].reason == "watch interrupted (dashboard quit)"
    assert recorded_stages(store_path, "production") == ["waiting", "interrupted"]


async def test_quitting_without_a_watch_running_does_not_ask(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        await pilot.press("q")
        await wait_for(pilot, lambda: not app.is_running, "the dashboard to quit")


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(
    ("times", "message"),
    [
        (
            "10m soon",
            "invalid duration 'soon': use a number and a unit (ms, s, m, h, d, w), e.g. 30s or 5m",
        ),
        ("[b]x[/] 1m", "invalid duration '[b]x[/]': use a number and a unit"),
        (
            "1m 2m 3m 4m",
            "give at most three durations (wait up to, monitor for, soak for), not 4: 1m 2m 3m 4m",
        ),
    ],
)
async def test_the_deploy_dialog_shows_its_error_whole(
    make_app: AppFactory, size: tuple[int, int], times: str, message: str
) -> None:
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await wait_for_data(pilot)
        app.query_one(EnvTable).focus()
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, DeployDialog), "the dialog")
        dialog = app.screen
        dialog.query_one("#deploy-version", Input).value = "1.2.0"
        dialog.query_one("#deploy-times", Input).value = times
        dialog.query_one("#deploy-version", Input).focus()
        await pilot.press("enter")
        error = dialog.query_one("#deploy-error", Static)
        await wait_for_shown(pilot, error, lambda s: message in flat(s), f"{message!r}, whole")
        assert isinstance(app.screen, DeployDialog)  # still asking
