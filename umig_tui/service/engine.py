"""One run's long-lived services, assembled once: the polling loops, alert evaluation and
notification, the history JSONL, the store's writer, and whatever a face adds (``/metrics``).

The dashboard runs ``loops()`` as Textual workers; ``serve`` (and ``export prometheus --serve``)
runs them headless with ``run()``. Nothing here knows which.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Coroutine, Mapping, Sequence
from typing import Any, Protocol

from umig_tui.config import ConfigError
from umig_tui.models import Endpoint, EnvStatus
from umig_tui.service.alerts import AlertService
from umig_tui.service.history_writer import HistoryWriter
from umig_tui.service.monitor import Change, Monitor
from umig_tui.service.notify import Notifier, notifier_for
from umig_tui.store.trends import BaselineCapture

log = logging.getLogger(__name__)

ALERTS = "alert evaluation"
# Seconds: results that may change an alert wake the evaluation, at most this often.
ALERT_AT_MOST_EVERY = 0.5
POLL = "poll:"  # + the environment's name


class Extra(Protocol):
    """Something a face runs beside the engine (the ``/metrics`` endpoint)."""

    async def start(self, engine: Engine) -> None: ...

    async def close(self) -> None: ...


class Engine:
    def __init__(
        self,
        monitor: Monitor,
        *,
        environ: Mapping[str, str] | None = None,
        extras: Sequence[Extra] = (),
    ) -> None:
        self.monitor = monitor
        self.environ = os.environ if environ is None else environ
        self.extras = tuple(extras)
        self.notifier: Notifier | None = None
        self.history: HistoryWriter | None = None
        # Each version's baseline, taken once it has run for the baseline window: what a deploy
        # watch compares the next version with (service.deploy_baselines).
        self.baselines: BaselineCapture | None = None
        self._alerts: AlertService | None = None
        self._started: list[Extra] = []
        # Set when a result could change an alert (an environment not healthy, a status flip):
        # the rules are evaluated then, not up to a whole interval later.
        self._alert_due = asyncio.Event()

    @property
    def alerts(self) -> AlertService:
        assert self._alerts is not None, "Engine.start() first"
        return self._alerts

    async def start(self) -> list[str]:
        """Open everything; returns what a person should know (a sink that cannot be used),
        never raises for it: monitoring goes on without the part that failed."""
        notices: list[str] = []
        config = self.monitor.config
        try:
            # Reading from Prometheus, this run evaluates nothing: serve notifies.
            if self.monitor.source is None:
                self.notifier = notifier_for(config.notify, self.environ)
        except ConfigError as exc:  # a webhook token variable unset: alerts on screen only
            notices.append(f"notifications off: {exc}")
        self._alerts = AlertService(self.monitor, notifier=self.notifier, clock=self.monitor.clock)
        await self._alerts.restore()
        if self._alerts.notice is not None:  # no Alertmanager to read alerts from
            notices.append(self._alerts.notice)
        if config.history_file is not None:
            self.history = HistoryWriter(self.monitor, config.history_file)
        if self.monitor.store is not None:
            self.baselines = BaselineCapture(self.monitor.store)
        self.monitor.subscribe(self._on_change)
        self.monitor.start()
        for extra in self.extras:
            try:
                await extra.start(self)
            except OSError as exc:
                notices.append(str(exc))
                continue
            self._started.append(extra)
        return notices

    def loop_names(self) -> list[str]:
        return [*(POLL + env for env in self.monitor.fleet.names), ALERTS]

    def loop(self, name: str) -> Coroutine[Any, Any, None]:
        """A fresh coroutine of the loop called ``name`` (a crashed one is started again)."""
        if name == ALERTS:
            return self._alert_loop()
        return self.monitor.poll_loop(name.removeprefix(POLL))

    def loops(self) -> dict[str, Coroutine[Any, Any, None]]:
        return {name: self.loop(name) for name in self.loop_names()}

    def _on_change(self, change: Change) -> None:
        result = change.result
        if (
            self.baselines is not None
            and result is not None
            and result.error is None
            and result.endpoint in (Endpoint.VERSION, Endpoint.HEALTH)
        ):
            self.baselines.seen(change.env, self.monitor.fleet.versions(change.env).umig, result.ts)
        if change.status is not EnvStatus.HEALTHY or any(e.status_change for e in change.events):
            self._alert_due.set()

    async def _alert_loop(self) -> None:
        """Every ``[alerts] interval``, and within half a second of a result that may change an
        alert: a failing environment is in the header in seconds, not at the next cycle."""
        interval = self.monitor.config.alerts.interval
        await asyncio.sleep(min(interval, 5.0))  # soon after the first polls, then regularly
        while True:
            self._alert_due.clear()
            await self.alerts.evaluate()
            await self.capture_baselines()
            await asyncio.sleep(min(interval, ALERT_AT_MOST_EVERY))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._alert_due.wait(), max(0.0, interval - ALERT_AT_MOST_EVERY)
                )

    async def capture_baselines(self) -> None:
        """Store the baseline of each version whose window is over (once per version)."""
        if self.baselines is None:
            return
        try:
            saved = await self.baselines.capture(self.monitor.clock())
        except Exception:  # a baseline is worth a log line, never the alert loop
            log.exception("baseline capture failed")
            return
        for baseline in saved:
            log.info("baseline of %s on %s: %s", baseline.version, baseline.env, baseline.metric)

    async def run(self) -> None:
        """Every loop until cancelled (headless); one loop failing stops the run, loudly."""
        async with asyncio.TaskGroup() as group:
            for name, loop in self.loops().items():
                group.create_task(loop, name=name)

    async def close(self) -> None:
        """Stop what ``start`` opened (the Monitor is closed by whoever opened it)."""
        for extra in reversed(self._started):
            try:
                await extra.close()
            except Exception:
                log.exception("closing %r failed", extra)
        if self.history is not None:
            await self.history.aclose()
        if self._alerts is not None:
            await self._alerts.aclose()
        if self.notifier is not None:
            await self.notifier.aclose()
