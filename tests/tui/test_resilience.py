"""The dashboard survives its own bugs and a sick fleet; updates coalesce; history survives a restart."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec.structs
import pytest

from tests.tui.conftest import AppFactory, good_result, row_texts, wait_for, wait_for_data
from umig_tui.config import Config
from umig_tui.demo.simulator import Simulator
from umig_tui.models import Endpoint, EnvStatus, ErrorKind
from umig_tui.polling.poller import Poller
from umig_tui.service.monitor import Change
from umig_tui.tui.app import RENDER_EVERY, UmigApp
from umig_tui.tui.colors import SPARK_CHARS
from umig_tui.tui.messages import FleetChanged
from umig_tui.tui.screens import detail, history
from umig_tui.tui.widgets.environments import EnvTable
from umig_tui.tui.widgets.table import SyncTable


def count_renders(app: UmigApp) -> list[float]:
    """Wrap ``app.redraw``: one entry per repaint of the dashboard."""
    calls: list[float] = []
    original: Callable[[], None] = app.redraw

    def counting() -> None:
        calls.append(app.clock())
        original()

    app.redraw = counting  # type: ignore[method-assign]
    return calls


def drawn(app: UmigApp, renders: list[float]) -> bool:
    """At least one repaint since ``renders`` was cleared, and none still waiting to run."""
    return bool(renders) and not app.repaint_pending and not app._message_queue.qsize()


def health_results(app: UmigApp) -> Counter[str]:
    """Health results applied per environment from now on."""
    assert app.monitor is not None
    counts: Counter[str] = Counter()

    def listener(change: Change) -> None:
        if change.result is not None and change.result.endpoint is Endpoint.HEALTH:
            counts[change.env] += 1

    app.monitor.subscribe(listener)
    return counts


class TestWorkerCrashes:
    async def test_a_crashing_poller_is_a_notification_and_the_others_keep_polling(
        self, make_app: AppFactory, fast_config: Config, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        run_env = Poller.run_env

        async def broken_for_uat(self: Poller, env: str) -> None:
            if env == "uat":
                raise RuntimeError("bug in the uat loop")
            await run_env(self, env)

        monkeypatch.setattr(Poller, "run_env", broken_for_uat)
        app = make_app(config=fast_config, use_store=False)
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for(
                pilot,
                lambda: any("polling uat failed" in n[2] for n in app.notices),
                what="the crash notification",
            )
            severity, _, message = next(n for n in app.notices if "polling uat" in n[2])
            assert severity == "error"
            assert "bug in the uat loop" in message
            counts = health_results(app)
            await wait_for(
                pilot,
                lambda: min(counts[e] for e in ("development", "production", "hotfix")) >= 2,
                what="the other environments polled on",
            )
            assert app.is_running
            assert app.return_code is None

    async def test_a_crashing_screen_worker_is_a_notification(
        self, make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Worker messages do not bubble: the detail and history screens report their own."""

        def broken(*args: Any, **kwargs: Any) -> Any:
            raise OSError("disk I/O error")

        monkeypatch.setattr(detail, "series_points", broken)
        monkeypatch.setattr(history, "load_history", broken)
        app = make_app(poll=False)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("enter")
            await wait_for(
                pilot,
                lambda: any("load chart history failed" in n[2] for n in app.notices),
                what="the chart worker's notification",
            )
            await pilot.press("escape", "h")
            await wait_for(
                pilot,
                lambda: any(
                    "load the timeline failed: disk I/O error" in n[2] for n in app.notices
                ),
                what="the history worker's notification",
            )
            assert isinstance(app.screen, history.HistoryScreen)
            await pilot.press("escape")
            assert app.is_running
            assert isinstance(app.focused, EnvTable)

    async def test_a_crashing_listener_stops_neither_polling_nor_the_app(
        self, make_app: AppFactory, fast_config: Config
    ) -> None:
        app = make_app(config=fast_config, use_store=False)
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for_data(pilot)
            assert app.monitor is not None

            def broken(change: Change) -> None:
                raise ValueError("a face's bug")

            app.monitor.subscribe(broken)
            counts = health_results(app)
            await wait_for(pilot, lambda: sum(counts.values()) >= 8, what="polling goes on")
            assert app.is_running


class TestUpdates:
    async def test_a_flood_of_updates_coalesces_into_a_few_repaints(
        self, make_app: AppFactory, sim: Simulator
    ) -> None:
        app = make_app(use_store=False, poll=False)
        async with app.run_test(size=(80, 24)) as pilot:
            assert app.monitor is not None
            await pilot.pause(RENDER_EVERY)  # past the start-up render's throttle window
            renders = count_renders(app)
            for _ in range(500):
                app.post_message(FleetChanged())
            await wait_for(pilot, lambda: drawn(app, renders), "the coalesced repaint")
            assert 1 <= len(renders) <= 3, renders

            # The real path: each of 400 applied results posts a FleetChanged.
            renders.clear()
            ts = app.clock()
            for step in range(25):
                for env in sim.names:
                    for endpoint in app.monitor.signals:
                        app.monitor.apply(good_result(sim, env, endpoint, ts + step / 1000))
            await wait_for(pilot, lambda: drawn(app, renders), "the coalesced repaint")
            assert 1 <= len(renders) <= 3, renders
            assert [row[1] for row in row_texts(app.query_one(EnvTable))] == ["● healthy"] * 4

    async def test_a_hanging_environment_does_not_hold_up_the_others(
        self, make_app: AppFactory, fast_config: Config, sim: Simulator
    ) -> None:
        polling = msgspec.structs.replace(fast_config.polling, timeout=3.0)
        app = make_app(
            config=msgspec.structs.replace(fast_config, polling=polling), use_store=False
        )
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for_data(pilot)
            assert app.monitor is not None
            fleet = app.monitor.fleet
            sim.set_fault("uat", "hang")
            app.monitor.refresh("uat")
            counts = health_results(app)
            # uat hangs for 3 s (the timeout); production answers every 0.2 s meanwhile.
            await wait_for(
                pilot, lambda: counts["production"] >= 3, what="production polled on meanwhile"
            )
            assert fleet.view("uat").status is not EnvStatus.UNREACHABLE  # still hanging
            assert counts["uat"] <= 1  # at most a request sent before the fault
            await wait_for(
                pilot,
                lambda: fleet.view("uat").status is EnvStatus.UNREACHABLE,
                what="uat timed out",
            )
            error = fleet.view("uat").error
            assert error is not None
            assert error.kind is ErrorKind.TIMEOUT
            await wait_for(pilot, lambda: app.data is not None and app.data.views[1].error)

            def rows() -> dict[str, list[str]]:
                return {row[0]: row for row in row_texts(app.query_one(EnvTable))}

            # (stale too: at 0.2 s intervals a 3 s timeout is older than two intervals)
            assert rows()["uat"][1].startswith("⊘ unreachable")
            # Waited for, not sampled: polled every 0.2 s, production counts as stale after
            # 0.4 s without an answer, which a loaded machine can take.
            await wait_for(
                pilot, lambda: rows()["production"][1] == "● healthy", "production healthy"
            )


class TestRestart:
    async def test_a_restart_shows_history_at_the_first_frame(
        self, make_app: AppFactory, fast_config: Config, store_path: Path
    ) -> None:
        """Both runs use the same temp store (``store_path``)."""
        first = make_app(config=fast_config)
        async with first.run_test(size=(80, 24)) as pilot:
            await wait_for_data(pilot)
            counts = health_results(first)
            await wait_for(pilot, lambda: min(counts.values(), default=0) >= 3)
            await pilot.press("q")
        assert first.return_code == 0
        assert os.path.exists(store_path)  # noqa: ASYNC240 - once, in a test

        second = make_app(config=fast_config, poll=False)
        async with second.run_test(size=(80, 24)) as pilot:
            # The first frame, before any poll: poll=False, nothing will ever be fetched.
            first_render = second.data
            assert first_render is not None
            assert [v.version for v in first_render.views] == [
                "1.3.0-dev+ci.1245",
                "1.2.0-rc.2",
                "1.1.2",
                "1.1.3+hotfix",
            ]
            rows = row_texts(second.query_one(EnvTable))
            assert [row[2] for row in rows] == [v.version for v in first_render.views]
            perf = row_texts(second.query_one("#perf-table", SyncTable))
            assert len(perf) == 4
            for row in perf:
                for cell in row[1:]:
                    assert any(char in SPARK_CHARS for char in cell), row
            # The first run closed the store and let go of it: this one records.
            assert second.monitor is not None
            assert second.monitor.store is not None
            assert second.monitor.store.recording
            await pilot.pause()


class TestNotifications:
    async def test_endpoint_text_in_a_notification_is_shown_literally_never_run(
        self, make_app: AppFactory
    ) -> None:
        """An alert summary or a deploy reason quotes what an endpoint said: Textual would parse
        it as markup (a stray ``[/]`` raises, ``[@click=…]`` is an action)."""
        app = make_app(use_store=False, poll=False)
        async with app.run_test(size=(120, 40)) as pilot:
            hostile = "uat: health is v1.0[/] down [@click=app.quit]x[/] [bold red]PWNED"
            app.notify(hostile, title="CRITICAL alert", severity="error")
            app.screen.notify(hostile)  # widgets and screens go through the app's notify too
            await pilot.pause(0.3)  # drawn (a markup toast would raise in render)
            assert app.is_running
            notes = list(app._notifications)  # the demo's own note about its scenario too
            assert [n.message for n in notes].count(hostile) == 2
            assert not any(n.markup for n in notes)
