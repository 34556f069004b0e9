"""Deploy watches started from the dashboard (`d`): several can run at once, one per env."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from textual.app import App
from textual.worker import Worker

from umig_tui.deploy.watch_state import Stage, WatchOptions, WatchState
from umig_tui.service.deploy_watch import prepare_watch, run_watch
from umig_tui.service.monitor import Monitor
from umig_tui.tui.messages import FleetChanged
from umig_tui.tui.screens.deploy_dialog import DeployRequest


class DeployWatches:
    def __init__(
        self,
        app: App[Any],
        monitor: Callable[[], Monitor | None],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.app = app
        self.monitor = monitor
        self.clock = clock
        self.states: dict[str, WatchState] = {}
        self._workers: dict[str, Worker[WatchState]] = {}

    def start(self, request: DeployRequest | None) -> None:
        if request is None:
            return
        old = self._workers.pop(request.env, None)
        if old is not None and old.is_running:
            old.cancel()
            self.app.notify(f"Replaced the running watch of {request.env}", timeout=3)
        self._workers[request.env] = self.app.run_worker(
            self._run(request),
            name=f"watch:{request.env}",
            group="deploy-watch",
            description=f"deploy watch of {request.env}",
            exit_on_error=False,
        )

    async def _run(self, request: DeployRequest) -> WatchState:
        monitor = self.monitor()
        assert monitor is not None
        config = monitor.config
        options = WatchOptions(
            expected=request.version,
            timeout=request.timeout,
            monitor=request.monitor,
            interval=min(10.0, config.polling.health),
            error_rate=config.thresholds.error_rate,
            degradation=config.thresholds.degradation,
        )
        watch, recorder = await prepare_watch(monitor, request.env, options, now=self.clock())

        async def on_state(state: WatchState, transition: bool) -> None:
            await recorder.record(state, transition)
            self.states[request.env] = state
            if transition and state.stage.terminal:
                self._announce(state)
            self.app.post_message(FleetChanged())

        try:
            return await run_watch(
                watch, partial(monitor.fetch, request.env), clock=self.clock, on_state=on_state
            )
        except asyncio.CancelledError:
            # Replaced, or the dashboard is closing: a closing record, never "in progress".
            state = watch.interrupt(
                self.clock(), "watch interrupted (replaced or dashboard closed)"
            )
            self.states[request.env] = state
            with contextlib.suppress(Exception):
                await recorder.record(state, True)
            raise

    def _announce(self, state: WatchState) -> None:
        if state.stage is Stage.SUCCEEDED:
            self.app.notify(
                f"{state.env}: {state.expected} is live and healthy",
                title="Deploy succeeded",
                timeout=10,
            )
            return
        self.app.bell()
        self.app.notify(
            f"{state.env}: {state.reason or state.stage}",
            title="Deploy failed" if state.stage is Stage.FAILED else "Deploy timed out",
            severity="error",
            timeout=30,
        )
