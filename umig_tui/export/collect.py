"""Collecting what reports, snapshots and timelines show (the I/O half; rendering is pure)."""

from __future__ import annotations

from umig_tui.deploy.timeline import load_history, merge_history
from umig_tui.events import Event, EventKind
from umig_tui.export.report import HealthCounts, ReportData
from umig_tui.export.snapshot import Snapshot
from umig_tui.metrics import HEALTH_UP, RESPONSE_TIME
from umig_tui.service.alerts import AlertService
from umig_tui.service.monitor import Monitor
from umig_tui.store.windows import availability, window_stats


async def gather_report(
    monitor: Monitor, alerts: AlertService | None, *, since: float, now: float
) -> ReportData:
    store = monitor.store
    views = tuple(monitor.fleet.views())
    notice = None
    try:
        history = await load_history(store, monitor.config.history_file, since=since)
    except OSError as exc:
        history = merge_history([], [], since=since)
        notice = f"cannot read {monitor.config.history_file}: {exc.strerror or exc}"
    health: dict[str, HealthCounts] = {}
    performance = {}
    alert_events: list[Event] = []
    if store is not None:
        for view in views:
            _, polls = await availability(store, view.name, since=since, until=now, now=now)
            up = await window_stats(store, view.name, HEALTH_UP, since=since, until=now, now=now)
            healthy = round((up.avg or 0.0) * up.count)
            health[view.name] = HealthCounts(max(polls, up.count), healthy)
            performance[view.name] = await window_stats(
                store, view.name, RESPONSE_TIME, since=since, until=now, now=now
            )
        alert_events = await store.events(since=since, kinds=[str(EventKind.ALERT)], limit=1000)
    else:
        notice = (
            notice
            or f"no history: {monitor.store_notice or 'the store is disabled'}; figures are from one poll"
        )
    return ReportData(
        generated_at=now,
        since=since,
        environments=views,
        history=history,
        health=health,
        performance=performance,
        firing=tuple(alerts.firing()) if alerts is not None else (),
        alert_events=tuple(alert_events),
        demo=monitor.config.demo,
        notice=notice,
    )


async def gather_snapshot(
    monitor: Monitor, alerts: AlertService | None, *, now: float, window: float = 3600.0
) -> Snapshot:
    events: list[Event] = []
    if monitor.store is not None:
        events = await monitor.store.events(since=now - window, limit=500)
    return Snapshot(
        taken_at=now,
        views=tuple(monitor.fleet.views()),
        firing=tuple(alerts.firing()) if alerts is not None else (),
        findings=tuple(monitor.fleet.drift()),
        events=tuple(events),
        demo=monitor.config.demo,
    )
