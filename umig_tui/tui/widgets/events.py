"""Panel 5: alerts first (firing, then pending), then the timeline (status flips, deploys)."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult

from umig_tui.analysis.alert_rules import AlertPhase
from umig_tui.events import Event, EventKind
from umig_tui.tui.colors import severity_style, status_style
from umig_tui.tui.widgets.panel import Panel
from umig_tui.tui.widgets.table import Cell, SyncTable, fit_last_column
from umig_tui.util.timefmt import ago, clock
from umig_tui.views.dashboard import DashboardData

MAX_ROWS = 50


def short_summary(event: Event) -> str:
    """The event without its environment (a column already says it), new version first."""
    change, deployment = event.status_change, event.deployment
    if change is not None:
        return f"{change.before} → {change.after}: {change.reason}".rstrip(": ")
    if deployment is not None:
        target = deployment.to_version or "?"
        if event.kind is EventKind.ROLLBACK:
            return f"rolled back to {target}"
        if not deployment.watched:
            return f"deployed {target}"
        return f"deploy {target} {deployment.stage or ''}".rstrip()
    prefix = f"{event.env}: " if event.env else ""
    return event.summary.removeprefix(prefix)


class EventsPanel(Panel):
    number = 5
    title = "Alerts & events"
    help = "Firing and pending alerts (severity, since, value vs threshold), then the timeline."

    def compose(self) -> ComposeResult:
        yield SyncTable(id="events-table")

    def show(self, data: DashboardData) -> None:
        rows: list[tuple[str, list[Cell]]] = []
        for alert in data.alerts:
            if alert.phase is AlertPhase.RESOLVED:
                continue
            style = severity_style(self.app, str(alert.severity))
            if alert.phase is AlertPhase.PENDING:
                style = style + Style(dim=True)
            value = "" if alert.value is None else f" {alert.value:.3g}"
            if alert.threshold is not None:
                value += f"/{alert.threshold:.3g}"
            label = (
                f"{alert.phase.upper()} {alert.severity} {alert.rule.removeprefix('umig-')}{value}"
            )
            rows.append(
                (
                    f"alert:{alert.rule}:{alert.env}",
                    [
                        ago(alert.fired_at or alert.since, data.now),
                        Text(alert.env),
                        Text(label, style=style),
                    ],
                )
            )
        for index, event in enumerate(data.events[:MAX_ROWS]):
            target = event.status_change.after if event.status_change is not None else ""
            if target:
                style = status_style(self.app, target)
            elif event.severity and event.severity.upper() in ("CRITICAL", "HIGH", "MEDIUM", "LOW"):
                style = severity_style(self.app, event.severity.upper())
            else:
                style = Style()
            rows.append(
                (
                    f"{event.id or ''}:{event.ts}:{index}",
                    [
                        clock(event.ts),
                        Text(event.env or "-"),
                        Text(short_summary(event), style=style),
                    ],
                )
            )
        if not rows:
            rows = [("none", ["", Text("-"), Text("nothing has happened yet")])]
        columns = ("When", "Environment", "What")
        fit_last_column(columns, rows, self.content_size.width - 1)
        self.query_one(SyncTable).sync(columns, rows)
        firing = sum(1 for a in data.alerts if a.phase is AlertPhase.FIRING)
        parts = [f"{firing} firing"] if firing else []
        if data.events:
            parts.append(f"{len(data.events)} events")
        self.set_subtitle(", ".join(parts))
