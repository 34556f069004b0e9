"""What the dashboard shows at one moment, built from the Monitor (no Textual here).

The TUI assigns a new DashboardData to its panels on every (coalesced) update; the same data can
be rendered headless, e.g. for an incident snapshot.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

import msgspec

from umig_tui.analysis.alert_rules import AlertPhase, AlertState
from umig_tui.analysis.drift import DriftFinding
from umig_tui.analysis.silences import Silence
from umig_tui.analysis.trends import MetricTrend
from umig_tui.events import Event
from umig_tui.metrics import PERFORMANCE_SERIES
from umig_tui.models import VersionRow
from umig_tui.service.monitor import Monitor
from umig_tui.state.fleet import EnvView, FleetState, FleetSummary
from umig_tui.state.recent import RecentSeries

if TYPE_CHECKING:  # loaded with the first deploy watch, not before the first frame
    from umig_tui.deploy.watch_state import WatchState

SPARK_WIDTH = 48


class DeploymentRow(msgspec.Struct, frozen=True):
    env: str
    version: str | None
    deployed_at: str | None
    deployed_by: str | None
    previous: str | None = None
    seen_at: float | None = None


class DashboardData(msgspec.Struct, frozen=True):
    views: tuple[EnvView, ...]
    total: int
    summary: FleetSummary
    matrix: Mapping[str, VersionRow]
    findings: tuple[DriftFinding, ...]
    sparks: Mapping[tuple[str, str], list[float | None]]
    latest: Mapping[tuple[str, str], float | None]
    deployments: tuple[DeploymentRow, ...]
    events: tuple[Event, ...]
    now: float
    last_update: float | None
    demo: bool = False
    paused: bool = False
    notice: str | None = None
    filter: str = ""
    stale: tuple[str, ...] = msgspec.field(default_factory=tuple)
    watches: Mapping[str, WatchState] = msgspec.field(default_factory=dict)
    alerts: tuple[AlertState, ...] = ()  # firing and pending first, worst first
    trends: Mapping[str, tuple[MetricTrend, ...]] = msgspec.field(default_factory=dict)
    # Environments drift cannot compare (no readable version), with why.
    unreadable: Mapping[str, str] = msgspec.field(default_factory=dict)
    # Every firing alert of the fleet, worst first, whatever the filter shows: the header's.
    firing: tuple[AlertState, ...] = ()
    # Drift findings the filter hides (the panel must not say "every environment agrees").
    hidden_findings: int = 0
    # Alerts someone silenced, by (rule, env): still shown, marked with who and until when.
    silenced: Mapping[tuple[str, str], Silence] = msgspec.field(default_factory=dict)
    # Reading from Prometheus (--source) and it does not answer: why, shown in the header.
    source_notice: str | None = None


class DriftMemo:
    """The drift findings of the last version matrix: analysing 50 environments on every
    frame costs more than the rest of the frame, and versions change at deploys only."""

    def __init__(self) -> None:
        self._key: object = None
        self._findings: tuple[DriftFinding, ...] = ()

    def findings(
        self, fleet: FleetState, matrix: Mapping[str, VersionRow]
    ) -> tuple[DriftFinding, ...]:
        # The changesets too: two schemas can differ below the same highest changeset.
        key = (matrix, [fleet.changesets(name) for name in fleet.names])
        if key != self._key:
            self._findings = tuple(fleet.drift())
            self._key = key
        return self._findings


def matches(view: EnvView, text: str) -> bool:
    """Filter: every word must appear in the name, tier, status or version (case-insensitive)."""
    haystack = f"{view.name} {view.tier} {view.status} {view.version or ''}".lower()
    return all(word in haystack for word in text.lower().split())


def build_dashboard(
    monitor: Monitor,
    recent: RecentSeries,
    *,
    now: float,
    events: Sequence[Event] = (),
    deployments: Mapping[str, DeploymentRow] | None = None,
    last_update: float | None = None,
    filter_text: str = "",
    paused: bool = False,
    watches: Mapping[str, WatchState] | None = None,
    alerts: Sequence[AlertState] = (),
    trends: Mapping[str, Sequence[MetricTrend]] | None = None,
    drift: DriftMemo | None = None,
    silenced: Mapping[tuple[str, str], Silence] | None = None,
) -> DashboardData:
    fleet = monitor.fleet
    all_views = fleet.views()
    views = (
        tuple(v for v in all_views if matches(v, filter_text)) if filter_text else tuple(all_views)
    )
    shown = {v.name for v in views}
    full_matrix = fleet.version_matrix()
    all_findings = drift.findings(fleet, full_matrix) if drift is not None else fleet.drift()
    matrix = {name: row for name, row in full_matrix.items() if name in shown}
    findings = tuple(f for f in all_findings if f.environment in shown)
    keys = [(v.name, metric) for v in views for metric in PERFORMANCE_SERIES]
    deployment_rows = tuple(
        (deployments or {}).get(v.name)
        or DeploymentRow(v.name, v.version, v.deployed_at, v.deployed_by)
        for v in views
    )
    return DashboardData(
        views=views,
        total=len(all_views),
        summary=fleet.summary(all_views),
        matrix=matrix,
        findings=findings,
        sparks={key: recent.values(key, now, SPARK_WIDTH) for key in keys},
        latest={key: recent.latest(key) for key in keys},
        deployments=deployment_rows,
        events=tuple(e for e in events if e.env is None or e.env in shown),
        now=now,
        last_update=last_update,
        demo=monitor.config.demo,
        paused=paused,
        notice=monitor.store_notice,
        source_notice=monitor.source_notice,
        filter=filter_text,
        stale=tuple(v.name for v in all_views if v.stale),
        watches=dict(watches or {}),
        alerts=tuple(a for a in alerts if a.env in shown),
        trends={env: tuple(t) for env, t in (trends or {}).items() if env in shown},
        unreadable={name: why for name, why in fleet.unreadable().items() if name in shown},
        firing=firing_worst_first(a for a in alerts if a.key not in (silenced or {})),
        hidden_findings=len(all_findings) - len(findings),
        silenced=dict(silenced or {}),
    )


def firing_worst_first(alerts: Iterable[AlertState]) -> tuple[AlertState, ...]:
    """Firing alerts, worst severity first, then the longest firing."""
    firing = [a for a in alerts if a.phase is AlertPhase.FIRING]
    return tuple(sorted(firing, key=lambda a: (-a.severity.rank, a.fired_at or a.since)))
