"""What the Prometheus export reads: the Monitor's state, the alerts, and running counters."""

from __future__ import annotations

from collections import Counter

from umig_tui.events import WATCH, Event, EventKind
from umig_tui.export.prometheus import ExportState, Probe, WatchMark
from umig_tui.models import MONITORED_ENDPOINTS, Endpoint
from umig_tui.service.alerts import AlertService
from umig_tui.service.monitor import Change, Monitor

REREAD = 60.0  # seconds of the store's timeline read again at each refresh
_DEPLOYMENT_KINDS = [str(EventKind.DEPLOYMENT), str(EventKind.ROLLBACK)]


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
        self._failures: Counter[str] = Counter()  # consecutive failed health polls
        self._watches: dict[str, WatchMark] = {}
        self._refreshed_at: float | None = None  # when the store was last read for watches
        monitor.subscribe(self._on_change)

    async def load(self) -> None:
        """Deployment counts from the store's timeline (the counter's history)."""
        store = self.monitor.store
        if store is None:
            return
        for event in await store.events(kinds=_DEPLOYMENT_KINDS, limit=100_000):
            status = deployment_status(event)
            if status is not None and event.env:
                self._deployments[(event.env, status)] += 1
            self._note_watch(event)
        self._refreshed_at = self.monitor.clock()

    async def refresh(self) -> None:
        """Deploy watches another process (``deploy watch``, a dashboard) records in the same
        store: the newest stage of each. Counters are not re-read (they count this process's
        own events and the history loaded at start)."""
        store = self.monitor.store
        if store is None:
            return
        now = self.monitor.clock()
        # A little before the last read: an event another process stamped a moment before it
        # committed it is not missed (reading one twice changes nothing).
        since = None if self._refreshed_at is None else self._refreshed_at - REREAD
        for event in await store.events(since=since, kinds=[str(EventKind.DEPLOYMENT)], limit=1000):
            self._note_watch(event)
        self._refreshed_at = now

    def _note_watch(self, event: Event) -> None:
        deployment = event.deployment
        if deployment is None or deployment.source != WATCH or not event.env:
            return
        current = self._watches.get(event.env)
        if current is None or current.at <= event.ts:
            self._watches[event.env] = WatchMark(event.ts, deployment)

    def _on_change(self, change: Change) -> None:
        result = change.result
        if result is not None:
            if result.error is not None:
                self._errors[(result.env, str(result.error.kind))] += 1
            if result.endpoint is Endpoint.HEALTH:
                self._last_poll[result.env] = result.ts
                if result.error is None:
                    self._failures.pop(result.env, None)
                else:
                    self._failures[result.env] += 1
        for event in change.events:
            status = deployment_status(event)
            if status is not None and event.env:
                self._deployments[(event.env, status)] += 1
            self._note_watch(event)

    def _probes(self) -> dict[tuple[str, str], Probe]:
        fleet = self.monitor.fleet
        probes: dict[tuple[str, str], Probe] = {}
        for env in fleet.names:
            for endpoint in MONITORED_ENDPOINTS:
                result = fleet.latest(env, endpoint)
                if result is not None:
                    probes[(env, str(endpoint))] = Probe(result.ok, result.latency_ms, result.error)
        return probes

    def state(self) -> ExportState:
        fleet = self.monitor.fleet
        changesets = {
            name: ids for name in fleet.names if (ids := fleet.changesets(name)) is not None
        }
        return ExportState(
            views=tuple(fleet.views()),
            findings=tuple(fleet.drift()),
            alerts=tuple(self.alerts.alerts()) if self.alerts is not None else (),
            poll_errors=dict(self._errors),
            deployments=dict(self._deployments),
            last_poll=dict(self._last_poll),
            base_units=self.base_units,
            versions=fleet.version_matrix(),
            changesets=changesets,
            probes=self._probes(),
            watches=dict(self._watches),
            health_failures=dict(self._failures),
        )
