"""Panel 5: alerts and the recent timeline (status flips, deployments, notices)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult

from umig_tui.dashboard import DashboardData
from umig_tui.timefmt import clock
from umig_tui.tui.colors import severity_style, status_style
from umig_tui.tui.widgets.panel import Panel
from umig_tui.tui.widgets.table import Cell, SyncTable

MAX_ROWS = 50


class EventsPanel(Panel):
    number = 5
    title = "Alerts & events"
    help = "Newest first: status changes, deployments and alerts, with the time they happened."

    def compose(self) -> ComposeResult:
        yield SyncTable(id="events-table")

    def show(self, data: DashboardData) -> None:
        rows: list[tuple[str, list[Cell]]] = []
        for index, event in enumerate(data.events[:MAX_ROWS]):
            target = str(event.data.get("to", "")) if event.kind == "status_change" else ""
            if target:
                style = status_style(self.app, target)
            elif event.severity and event.severity.upper() in ("CRITICAL", "HIGH", "MEDIUM", "LOW"):
                style = severity_style(self.app, event.severity.upper())
            else:
                style = None
            key = f"{event.id or ''}:{event.ts}:{index}"
            rows.append(
                (
                    key,
                    [
                        clock(event.ts),
                        Text(event.env or "-"),
                        Text(event.summary, style=style or ""),
                    ],
                )
            )
        if not rows:
            rows = [("none", ["", Text("-"), Text("nothing has happened yet")])]
        self.query_one(SyncTable).sync(("Time", "Environment", "Event"), rows)
        self.border_subtitle = f"{len(data.events)} events" if data.events else ""
