"""What the dashboard accumulates between frames: sparkline buckets, the timeline, deployments.

No Textual here: the app feeds it Monitor changes and asks it for a DashboardData per frame.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from umig_tui.analysis.alert_rules import AlertState
from umig_tui.analysis.silences import Silence
from umig_tui.analysis.trends import MetricTrend
from umig_tui.events import Event
from umig_tui.metrics import PERFORMANCE_SERIES
from umig_tui.service.monitor import Change, Monitor
from umig_tui.state.recent import RecentSeries
from umig_tui.store.samples import samples_from_result
from umig_tui.store.sparklines import bucketed_history
from umig_tui.views.dashboard import DashboardData, DeploymentRow, DriftMemo, build_dashboard

if TYPE_CHECKING:  # loaded with the first deploy watch, not before the first frame
    from umig_tui.deploy.watch_state import WatchState

SPARK_BUCKETS = 48
EVENTS_KEPT = 200


class DashboardFeed:
    def __init__(self, monitor: Monitor) -> None:
        self.monitor = monitor
        polling = monitor.config.polling
        # Two poll intervals per bucket, so jitter never leaves a bucket empty.
        self.recent = RecentSeries(2 * min(polling.health, polling.metrics), SPARK_BUCKETS)
        self.events: deque[Event] = deque(maxlen=EVENTS_KEPT)
        self.deployments: dict[str, DeploymentRow] = {}
        self.last_update: float | None = None
        self.drift = DriftMemo()

    async def load(self, now: float) -> None:
        """Sparklines, events and deployments from the store, before the first frame."""
        store = self.monitor.store
        if store is None:
            return
        names = self.monitor.fleet.names
        history = await bucketed_history(
            store,
            names,
            PERFORMANCE_SERIES,
            since=now - self.recent.bucket * SPARK_BUCKETS,
            bucket=self.recent.bucket,
        )
        self.recent.seed(history)
        for event in reversed(await store.events(since=now - 7 * 86400, limit=EVENTS_KEPT)):
            self.remember(event)
        updated = [v.updated_at for v in self.monitor.fleet.views() if v.updated_at]
        self.last_update = max(updated) if updated else None

    def on_change(self, change: Change) -> None:
        result = change.result
        if result is not None:
            self.last_update = result.ts
            for metric, value in samples_from_result(result):
                if metric in PERFORMANCE_SERIES:
                    self.recent.add((result.env, metric), result.ts, value)
        for event in change.events:
            self.remember(event)

    def remember(self, event: Event) -> None:
        self.events.appendleft(event)
        deployment = event.deployment
        if deployment is not None and event.env:
            self.deployments[event.env] = DeploymentRow(
                event.env,
                deployment.to_version,
                deployment.deployed_at,
                deployment.deployed_by,
                previous=deployment.from_version,
                seen_at=event.ts,
            )

    def build(
        self,
        *,
        now: float,
        filter_text: str = "",
        watches: Mapping[str, WatchState] | None = None,
        alerts: Sequence[AlertState] = (),
        trends: Mapping[str, Sequence[MetricTrend]] | None = None,
        silenced: Mapping[tuple[str, str], Silence] | None = None,
    ) -> DashboardData:
        return build_dashboard(
            self.monitor,
            self.recent,
            now=now,
            events=list(self.events),
            deployments=self.deployments,
            last_update=self.last_update,
            filter_text=filter_text,
            paused=self.monitor.paused,
            watches=watches,
            alerts=alerts,
            trends=trends,
            drift=self.drift,
            silenced=silenced,
        )
