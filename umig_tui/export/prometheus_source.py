"""What the Prometheus export reads: the Monitor's state, the alerts, and running counters."""

from __future__ import annotations

from collections import Counter

from umig_tui.events import Event, EventKind
from umig_tui.export.prometheus import ExportState
from umig_tui.models import Endpoint
from umig_tui.service.alerts import AlertService
from umig_tui.service.monitor import Change, Monitor


def deployment_status(event: Event) -> str | None:
    """A timeline event's outcome label for umig_deployments_total (None: not an outcome)."""
    if event.kind is EventKind.ROLLBACK:
        return "rolled_back"
    if event.kind is not EventKind.DEPLOYMENT:
        return None
    deployment = event.deployment
    if deployment is None:
        return None
    if not deployment.watched:
        return "detected"
    stage = deployment.stage
    return stage if stage in ("succeeded", "failed", "timed_out") else None


class ExportSource:
    def __init__(
        self, monitor: Monitor, alerts: AlertService | None = None, *, base_units: bool = False
    ) -> None:
        self.monitor = monitor
        self.alerts = alerts
        self.base_units = base_units
        self._errors: Counter[tuple[str, str]] = Counter()
        self._deployments: Counter[tuple[str, str]] = Counter()
        self._last_poll: dict[str, float] = {}
        monitor.subscribe(self._on_change)

    async def load(self) -> None:
        """Deployment counts from the store's timeline (the counter's history)."""
        store = self.monitor.store
        if store is None:
            return
        kinds = [str(EventKind.DEPLOYMENT), str(EventKind.ROLLBACK)]
        for event in await store.events(kinds=kinds, limit=100_000):
            status = deployment_status(event)
            if status is not None and event.env:
                self._deployments[(event.env, status)] += 1

    def _on_change(self, change: Change) -> None:
        result = change.result
        if result is not None:
            if result.error is not None:
                self._errors[(result.env, str(result.error.kind))] += 1
            if result.endpoint is Endpoint.HEALTH:
                self._last_poll[result.env] = result.ts
        for event in change.events:
            status = deployment_status(event)
            if status is not None and event.env:
                self._deployments[(event.env, status)] += 1

    def state(self) -> ExportState:
        fleet = self.monitor.fleet
        return ExportState(
            views=tuple(fleet.views()),
            findings=tuple(fleet.drift()),
            alerts=tuple(self.alerts.alerts()) if self.alerts is not None else (),
            poll_errors=dict(self._errors),
            deployments=dict(self._deployments),
            last_poll=dict(self._last_poll),
            base_units=self.base_units,
        )
