"""The alert log: Enter opens an alert's detail; `s` silences it (1/2/3 for 15m/1h/4h and a
required comment), the alert stays listed and says who silenced it until when; `u` ends it."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from msgspec.structs import replace
from textual.pilot import Pilot
from textual.widgets import Input, Static

from tests.integration.test_alertmanager import alertmanager  # noqa: F401 - the fixture
from tests.integration.test_alertmanager_silences import am_silences
from tests.tui.conftest import AppFactory, RecordingApp, wait_for, wait_for_shown
from umig_tui.analysis.alert_rules import AlertPhase, AlertState
from umig_tui.config import Config, NotifySettings
from umig_tui.events import AlertChange, Event, EventKind
from umig_tui.models import Severity
from umig_tui.tui.screens.alert_detail import AlertDetailScreen
from umig_tui.tui.screens.alerts import AlertLogScreen
from umig_tui.tui.screens.silence_dialog import SilenceDialog
from umig_tui.tui.widgets.table import SyncTable

RULE = "umig-health-check-failed"


def firing(now: float, env: str = "uat") -> AlertState:
    return AlertState(
        RULE,
        env,
        AlertPhase.FIRING,
        Severity.CRITICAL,
        since=now - 300,
        fired_at=now - 240,
        value=5.0,
        threshold=3.0,
        summary=f"{env}: {RULE} (5 consecutive failed health checks)",
        description="UMIG health check endpoint failing 3 consecutive times",
    )


async def with_alert(pilot: Pilot[Any]) -> AlertState:
    """The dashboard up (no polling: nothing re-evaluates), one critical alert firing on uat,
    with its transitions in the store."""
    app = pilot.app
    assert isinstance(app, RecordingApp)
    await wait_for(pilot, lambda: app.engine is not None and app.monitor is not None, "start")
    assert app.engine is not None
    assert app.monitor is not None
    now = time.time()
    alert = firing(now)
    app.engine.alerts.engine.restore([alert])
    store = app.monitor.store
    assert store is not None
    for ts, phase in ((now - 300, "pending"), (now - 240, "firing")):
        await store.add_event(
            Event(
                ts,
                "uat",
                EventKind.ALERT,
                f"{RULE} {phase}",
                "critical",
                AlertChange(RULE, phase, 5.0, 3.0),
            )
        )
    return alert


def plain(widget: Static) -> str:
    content = widget.render()
    return str(getattr(content, "plain", content))


async def open_detail(pilot: Pilot[Any]) -> AlertDetailScreen:
    app = pilot.app
    await pilot.press("a")
    await wait_for(pilot, lambda: isinstance(app.screen, AlertLogScreen), "the alert log")
    table = app.screen.query_one("#alerts-now", SyncTable)
    await wait_for(pilot, lambda: table.row_count == 1 and app.focused is table, "the alert row")
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(app.screen, AlertDetailScreen), "the alert detail")
    assert isinstance(app.screen, AlertDetailScreen)
    return app.screen


async def silence_with(pilot: Pilot[Any], preset: str, comment: str) -> None:
    app = pilot.app
    await pilot.press("s")
    await wait_for(pilot, lambda: isinstance(app.screen, SilenceDialog), "the silence dialog")
    await pilot.press(preset)
    assert isinstance(app.focused, Input)
    await pilot.press(*comment) if comment else None
    await pilot.press("enter")


async def test_enter_opens_the_alert_and_s_silences_it_with_a_comment(
    make_app: AppFactory, store_path: Path
) -> None:
    app = make_app(poll=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await with_alert(pilot)
        detail = await open_detail(pilot)
        body = detail.query_one("#alert-detail", Static)
        shown = await wait_for_shown(pilot, body, lambda s: "Silence" in s, "the detail")
        assert "CRITICAL umig-health-check-failed on uat" in shown
        assert "5 against threshold 3" in shown
        assert "5 consecutive failed health checks" in shown
        assert "not silenced" in shown
        transitions = detail.query_one("#alert-transitions", SyncTable)
        await wait_for(pilot, lambda: transitions.row_count == 2, "the transitions")
        assert [str(transitions.get_row_at(i)[1]) for i in range(2)] == ["firing", "pending"]

        # An empty comment is refused, saying why; the dialog stays.
        await silence_with(pilot, "3", "")
        assert isinstance(app.screen, SilenceDialog)
        error = app.screen.query_one("#silence-error", Static)
        assert "a comment is required" in plain(error)

        await pilot.press(*"fix deploying")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, AlertDetailScreen), "back")
        user = app.engine.alerts.silences.user() if app.engine else "?"
        shown = await wait_for_shown(
            pilot, body, lambda s: f"silenced by {user} until" in s, "the silence in the detail"
        )
        assert "fix deploying" in shown
        assert any(title == "Silenced" for _, title, _ in app.notices)
        silence = app.engine.alerts.silenced()[(RULE, "uat")] if app.engine else None
        assert silence is not None
        assert silence.ends_at - silence.starts_at == 4 * 3600  # key 3: 4h

        await pilot.press("escape")
        assert isinstance(app.screen, AlertLogScreen)
        table = app.screen.query_one("#alerts-now", SyncTable)
        await wait_for_shown(
            pilot,
            table,
            lambda s: f"silenced by {user} until" in s,
            "the alert still listed, marked silenced",
        )
        assert table.row_count == 1
        reason = app.screen.query_one("#alerts-reason", Static)
        shown = await wait_for_shown(pilot, reason, lambda s: "fix deploying" in s, "the reason")
        assert f"silenced by {user} until" in shown  # in full, under the table

        # u on the detail ends it; the alert is no longer marked.
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, AlertDetailScreen), "the detail")
        body = app.screen.query_one("#alert-detail", Static)
        await pilot.press("u")
        await wait_for_shown(pilot, body, lambda s: "not silenced" in s, "the silence ended")
        assert app.engine is not None
        assert app.engine.alerts.silenced() == {}


async def test_a_silence_made_in_one_dashboard_shows_in_another_on_the_store(
    make_app: AppFactory, store_path: Path
) -> None:
    first = make_app(poll=False)
    async with first.run_test(size=(120, 40)) as pilot:
        alert = await with_alert(pilot)
        assert first.engine is not None
        await first.engine.alerts.silences.silence(alert, 900, "known issue")
    second = make_app(poll=False)
    async with second.run_test(size=(120, 40)) as pilot:
        await with_alert(pilot)
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(second.screen, AlertLogScreen), "the alert log")
        table = second.screen.query_one("#alerts-now", SyncTable)
        await wait_for_shown(pilot, table, lambda s: "silenced by" in s, "the silence marked")


async def test_silencing_through_a_real_alertmanager(
    make_app: AppFactory,
    demo_config: Config,
    alertmanager: str,  # noqa: F811
) -> None:
    config = replace(demo_config, notify=NotifySettings(alertmanager=alertmanager))
    app = make_app(poll=False, config=config)
    async with app.run_test(size=(80, 24)) as pilot:
        await with_alert(pilot)
        detail = await open_detail(pilot)
        body = detail.query_one("#alert-detail", Static)
        await wait_for_shown(pilot, body, lambda s: "Alertmanager at" in s, "where silences go")
        await silence_with(pilot, "1", "db failover")
        await wait_for(pilot, lambda: isinstance(app.screen, AlertDetailScreen), "back")
        await wait_for_shown(pilot, body, lambda s: "silenced by" in s, "the silence")
        [made] = await asyncio.to_thread(am_silences, alertmanager)
        assert made["comment"] == "db failover"
        assert made["status"]["state"] == "active"
        await pilot.press("u")
        await wait_for_shown(pilot, body, lambda s: "not silenced" in s, "the silence ended")
        after = await asyncio.to_thread(am_silences, alertmanager)
        assert [s["status"]["state"] for s in after] == ["expired"]
