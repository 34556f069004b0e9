"""Issue 15 on the dashboard: a watch's verdict says what it rests on. Panel 4 keeps an
inconclusive watch (a warning, not a pass) with why and the evidence; the watch detail shows
the verdict — the window after the deploy, the labelled baseline, and per metric the value,
baseline, threshold, test, p and sample counts. Against the in-process demo fleet."""

from __future__ import annotations

import re
from typing import Any

import msgspec.structs
from textual.pilot import Pilot
from textual.widgets import Input, Static

from tests.tui.conftest import AppFactory, RecordingApp, wait_for, wait_for_data, wait_for_shown
from tests.tui.test_deploy_from_dashboard import watch_from_dashboard
from tests.tui.test_watch_detail import flat, focus_watch_row
from umig_tui.config import Config
from umig_tui.config.model import DeploySettings
from umig_tui.demo.simulator import Simulator
from umig_tui.deploy.watch_state import Stage
from umig_tui.models import Endpoint
from umig_tui.tui.screens.deploy_dialog import DeployDialog
from umig_tui.tui.screens.watch_detail import WatchDetailScreen
from umig_tui.tui.widgets.environments import EnvTable


async def land(
    app: RecordingApp, pilot: Pilot[Any], sim: Simulator, stage: Stage, times: str = "30s 1s"
) -> None:
    await watch_from_dashboard(app, pilot, "production", "1.2.0", times)
    sim.deploy("production", "1.2.0")
    await wait_for(
        pilot,
        lambda: app.watches.states["production"].stage is stage,
        f"the watch of production to end {stage}",
        within=15,
    )


async def test_an_inconclusive_watch_stays_in_panel_4_as_a_warning_with_why(
    make_app: AppFactory, fast_config: Config, sim: Simulator
) -> None:
    app = make_app(config=fast_config)  # [deploy] min_samples 20; the dialog's window is 1 s
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)
        await land(app, pilot, sim, Stage.INCONCLUSIVE)
        await focus_watch_row(app, pilot, "production")
        verdict = app.query_one("#deploy-verdict", Static)
        shown = flat(
            await wait_for_shown(
                pilot, verdict, lambda s: "inconclusive" in s, "the inconclusive verdict"
            )
        )
        assert "production → 1.2.0 inconclusive after" in shown
        assert re.search(r"too few (baseline )?samples", shown), shown
        # The evidence: which baseline, and the samples on each side.
        assert "vs 1.1.2 on production, the hour before the deploy" in shown
        assert re.search(r"samples \d+ after / \d+ before", shown), shown
        assert any(title == "Deploy inconclusive" for _, title, _ in app.notices)


async def test_the_watch_detail_shows_what_the_verdict_rests_on(
    make_app: AppFactory, fast_config: Config, sim: Simulator
) -> None:
    # A 3-second window at 0.2 s polls: a handful of samples, so a low minimum here; and a
    # handful of the previous version's first (on a busy machine polls come slower).
    config = msgspec.structs.replace(fast_config, deploy=DeploySettings(min_samples=3))
    app = make_app(config=config)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)
        assert app.monitor is not None
        before: list[float] = []
        app.monitor.subscribe(
            lambda change: (
                before.append(change.result.ts)
                if change.env == "production"
                and change.result is not None
                and change.result.endpoint is Endpoint.METRICS
                and change.result.ok
                else None
            )
        )
        await wait_for(pilot, lambda: len(before) >= 6, "six answers of 1.1.2", within=15)
        await land(app, pilot, sim, Stage.SUCCEEDED, "30s 3s")
        await focus_watch_row(app, pilot, "production")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, WatchDetailScreen), "the detail")
        body = app.screen.query_one("#watch-detail", Static)
        shown = flat(
            await wait_for_shown(pilot, body, lambda s: "Verdict: PASS" in s, "the verdict")
        )
        assert "no worse than 1.1.2 on production, the hour before the deploy" in shown
        assert "after the deploy:" in shown
        assert "baseline: 1.1.2 on production, the hour before the deploy" in shown
        assert "Metric Now Baseline Threshold Test p n Result" in shown
        assert re.search(
            r"response avg \d+ms \([+-]\d+%\) \d+ms ≤ \+10% at 95% confidence mann-whitney-u "
            r"[\d.e-]+ \d+ / \d+ pass",
            shown,
        ), shown


async def test_the_deploy_dialog_takes_a_soak_as_a_third_duration(
    make_app: AppFactory, fast_config: Config
) -> None:
    app = make_app(config=fast_config)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)
        table = app.query_one(EnvTable)
        table.focus()
        assert app.data is not None
        table.move_cursor(row=[v.name for v in app.data.views].index("production"))
        await pilot.pause()
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, DeployDialog), "the dialog")
        dialog = app.screen
        dialog.query_one("#deploy-version", Input).value = "1.2.0"
        dialog.query_one("#deploy-times", Input).value = "30s 1m 2h"
        dialog.query_one("#deploy-version", Input).focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: "production" in app.watches.states, "the watch to start")
        state = app.watches.states["production"]
        assert (state.deadline - state.started_at, state.soak) == (30.0, 7200.0)
