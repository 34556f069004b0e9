"""Panel 5: alerts first (firing, then pending), then the timeline (status flips, deploys)."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import DataTable

from umig_tui.analysis.alert_rules import AlertPhase, AlertState
from umig_tui.events import Event, EventKind
from umig_tui.tui.colors import severity_style, status_style
from umig_tui.tui.widgets.panel import Panel
from umig_tui.tui.widgets.reason_line import ReasonLine
from umig_tui.tui.widgets.table import Cell, SyncTable, fit_last_column
from umig_tui.util.timefmt import clock
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


def alert_key(alert: AlertState) -> str:
    """The events table's row key of an alert (``n`` jumps to it, Enter opens it)."""
    return f"alert:{alert.rule}:{alert.env}"


class EventsPanel(Panel):
    number = 5
    title = "Alerts & events"
    help = "Firing and pending alerts (severity, since, value vs threshold), then the timeline."

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._whole: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        yield SyncTable(id="events-table")
        yield ReasonLine(id="event-reason")

    def show_whole(self) -> None:
        """The selected row whole: the What column is narrow beside panel 4."""
        key = self.query_one(SyncTable).selected_key
        self.query_one(ReasonLine).say(self._whole.get(key or "", ""))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "events-table":
            self.show_whole()

    def alert_label(self, alert: AlertState, data: DashboardData) -> Text:
        """The cause first (that is what gets cut last), then state, severity and rule, dimmed."""
        style = severity_style(self.app, str(alert.severity))
        pending = alert.phase is AlertPhase.PENDING
        label = Text("pending: " if pending else "", style=Style(dim=True))
        label.append(alert.cause, style=style + Style(dim=True) if pending else style)
        label.append(
            f"  {alert.phase.upper()} {alert.severity} {alert.rule.removeprefix('umig-')}",
            style=Style(dim=True),
        )
        silence = data.silenced.get(alert.key)
        if silence is not None:  # still listed: the next engineer sees who silenced it
            label.append(f"  {silence.mark(data.now)}", style=Style(dim=True, italic=True))
        return label

    def show(self, data: DashboardData) -> None:
        rows: list[tuple[str, list[Cell]]] = []
        whole: dict[str, str] = {}
        for alert in data.alerts:
            if alert.phase is AlertPhase.RESOLVED:
                continue
            whole[alert_key(alert)] = f"{alert.env}: {self.alert_label(alert, data).plain}"
            rows.append(
                (
                    alert_key(alert),
                    [
                        clock(alert.fired_at or alert.since),
                        Text(alert.env),
                        self.alert_label(alert, data),
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
            key = f"{event.id or ''}:{event.ts}:{index}"
            whole[key] = f"{clock(event.ts, label=True)} {event.env or '-'}: {short_summary(event)}"
            rows.append(
                (
                    key,
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
        fit_last_column(columns, rows, self.content_width - 1)
        self.query_one(SyncTable).sync(columns, rows)
        self._whole = whole
        self.show_whole()
        firing = sum(1 for a in data.alerts if a.phase is AlertPhase.FIRING)
        parts = [f"{firing} firing"] if firing else []
        if data.events:
            parts.append(f"{len(data.events)} events")
        self.set_subtitle(", ".join(parts))
