"""Deploy watches started from the dashboard (`d`): several can run at once, one per env."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

import msgspec
from textual.app import App
from textual.worker import Worker, WorkerCancelled, WorkerFailed

from umig_tui.service.monitor import Monitor
from umig_tui.tui.messages import FleetChanged

# The deploy watch's modules load with the first watch, not before the first frame.
if TYPE_CHECKING:
    from umig_tui.deploy.watch_state import WatchState

REPLACED = "watch interrupted (replaced or dashboard closed)"


class DeployRequest(msgspec.Struct, frozen=True):
    """What the deploy dialog asks for: watch ``env`` until ``version`` lands."""

    env: str
    version: str
    timeout: float
    monitor: float
    soak: float | None = None  # None: [deploy] soak


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
        self._stop_reasons: dict[str, str] = {}  # why a watch is being cancelled, per env

    def running(self) -> list[WatchState]:
        """The watches still running, as they stand."""
        return [
            self.states[env]
            for env, worker in self._workers.items()
            if worker.is_running and env in self.states and not self.states[env].stage.terminal
        ]

    def is_running(self, env: str) -> bool:
        worker = self._workers.get(env)
        return worker is not None and worker.is_running

    def cancel(self, env: str, why: str = "watch cancelled from the dashboard") -> bool:
        """Stop the running watch of ``env``; it is recorded as interrupted with ``why``."""
        worker = self._workers.get(env)
        if worker is None or not worker.is_running:
            return False
        self._stop_reasons[env] = why
        worker.cancel()
        return True

    async def stop_all(self, why: str) -> None:
        """Cancel every running watch and wait until each has recorded its closing state
        (before the dashboard closes its store)."""
        stopping = [w for env, w in self._workers.items() if self.cancel(env, why)]
        for worker in stopping:
            with contextlib.suppress(WorkerCancelled, WorkerFailed):
                await worker.wait()

    def dismiss(self, env: str) -> bool:
        """Forget the ended watch of ``env`` (its verdict leaves panel 4); not a running one."""
        state = self.states.get(env)
        if state is None or not state.stage.terminal or self.is_running(env):
            return False
        del self.states[env]
        self._workers.pop(env, None)
        self.app.post_message(FleetChanged())
        return True

    def start(self, request: DeployRequest | None) -> None:
        if request is None:
            return
        old = self._workers.pop(request.env, None)
        if old is not None and old.is_running:
            self._stop_reasons[request.env] = REPLACED
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
        from umig_tui.deploy.watch_state import Stage, WatchOptions

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
            min_samples=config.deploy.min_samples,
            confidence=config.deploy.confidence,
            tolerance=config.deploy.tolerance,
            soak=config.deploy.soak if request.soak is None else request.soak,
        )
        from umig_tui.service.deploy_watch import prepare_watch, run_watch  # not before a watch

        watch, recorder = await prepare_watch(monitor, request.env, options, now=self.clock())

        async def on_state(state: WatchState, transition: bool) -> None:
            await recorder.record(state, transition)
            self.states[request.env] = state
            if transition and (state.stage.terminal or state.stage is Stage.SOAKING):
                self._announce(state)
            self.app.post_message(FleetChanged())

        try:
            return await run_watch(
                watch, partial(monitor.fetch, request.env), clock=self.clock, on_state=on_state
            )
        except asyncio.CancelledError:
            # Cancelled, replaced, or the dashboard is closing: a closing record, never
            # "in progress".
            why = self._stop_reasons.pop(request.env, REPLACED)
            state = watch.interrupt(self.clock(), why)
            shown = self.states.get(request.env)
            if shown is None or shown.started_at == state.started_at:  # not a newer watch's
                self.states[request.env] = state
            with contextlib.suppress(Exception):
                await recorder.record(state, True)
            self.app.post_message(FleetChanged())
            raise

    def _announce(self, state: WatchState) -> None:
        from umig_tui.deploy.watch_state import Stage

        if state.stage in (Stage.SUCCEEDED, Stage.SOAKING):
            soak = {"soaking": "passed; soaking", "passed": "passed and soaked"}
            self.app.notify(
                f"{state.env}: {state.expected} {soak.get(state.soak_state or '', 'passed')}: "
                f"{state.verdict_reason or 'live and healthy'}",
                title="Deploy succeeded" if state.stage is Stage.SUCCEEDED else "Deploy passed",
                timeout=10,
            )
            return
        if state.stage is Stage.INCONCLUSIVE:  # a warning, not a pass
            self.app.notify(
                f"{state.env}: {state.expected} is live, not judged: {state.verdict_reason}",
                title="Deploy inconclusive",
                severity="warning",
                timeout=30,
            )
            return
        self.app.bell()
        self.app.notify(
            f"{state.env}: {state.reason or state.stage}",
            title="Deploy failed" if state.stage is Stage.FAILED else "Deploy timed out",
            severity="error",
            timeout=30,
        )
