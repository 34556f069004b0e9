"""What runs beside the pollers in the dashboard: the alert loop and the /metrics server."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

from umig_tui.alerting import AlertService
from umig_tui.analysis.alerts import AlertPhase, Transition
from umig_tui.config import ConfigError
from umig_tui.models import Severity
from umig_tui.notify.sinks import Notifier, notifier_for
from umig_tui.tui.messages import FleetChanged

if TYPE_CHECKING:
    from umig_tui.tui.app import UmigApp

log = logging.getLogger(__name__)


class BackgroundServices:
    def __init__(self, app: UmigApp, *, bell: bool, metrics_port: int | None) -> None:
        self.app = app
        self.bell = bell
        self.metrics_port = metrics_port
        self.alerts: AlertService | None = None
        self.notifier: Notifier | None = None
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        monitor = self.app.monitor
        assert monitor is not None
        settings = monitor.config.notify
        try:
            self.notifier = notifier_for(settings, self.app.environ or os.environ)
        except ConfigError as exc:  # a missing webhook token: say so, alert on screen only
            self.app.notify(str(exc), title="Notifications off", severity="warning", timeout=10)
        self.alerts = AlertService(monitor, notifier=self.notifier, clock=self.app.clock)
        await self.alerts.restore()
        self.alerts.subscribe(self._on_transitions)
        if self.app.poll:
            self.app.run_worker(
                self._alert_loop(),
                name="alerts",
                group="alerts",
                description="alert evaluation",
                exit_on_error=False,
            )
        if self.metrics_port is not None:
            await self._serve_metrics(self.metrics_port)

    async def _alert_loop(self) -> None:
        assert self.alerts is not None
        interval = self.app.config.alerts.interval
        await asyncio.sleep(min(interval, 5.0))  # soon after the first polls, then regularly
        while True:
            await self.alerts.evaluate()
            await asyncio.sleep(interval)

    async def _serve_metrics(self, port: int) -> None:
        from umig_tui.export.metrics_server import start_metrics_server
        from umig_tui.export.source import ExportSource

        assert self.app.monitor is not None
        source = ExportSource(self.app.monitor, self.alerts)
        await source.load()
        try:
            self._server = await start_metrics_server("127.0.0.1", port, source.state)
        except OSError as exc:
            self.app.notify(
                f"cannot serve /metrics on 127.0.0.1:{port}: {exc.strerror}",
                title="Metrics",
                severity="error",
                timeout=10,
            )
            return
        self.app.notify(f"serving http://127.0.0.1:{port}/metrics", title="Metrics", timeout=4)

    def _on_transitions(self, transitions: Sequence[Transition]) -> None:
        new_critical = [
            t
            for t in transitions
            if t.alert.phase is AlertPhase.FIRING
            and t.previous is not AlertPhase.FIRING
            and t.alert.severity is Severity.CRITICAL
        ]
        if new_critical:
            if self.bell:
                self.app.bell()
            for transition in new_critical:
                self.app.notify(
                    transition.alert.summary, title="CRITICAL alert", severity="error", timeout=15
                )
        if transitions:
            self.app.post_message(FleetChanged())

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        if self.notifier is not None:
            await self.notifier.aclose()
