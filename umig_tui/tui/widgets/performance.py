"""Panel 3: sparklines of response time, error rate, active users and DB connections."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult

from umig_tui.dashboard import DashboardData
from umig_tui.store.samples import ACTIVE_USERS, DB_CONNECTIONS, ERROR_RATE, RESPONSE_TIME
from umig_tui.tui.colors import spark, variable
from umig_tui.tui.widgets.panel import Panel
from umig_tui.tui.widgets.table import Cell, SyncTable

METRICS: tuple[tuple[str, str, str], ...] = (
    (RESPONSE_TIME, "Response", "{:.0f}ms"),
    (ERROR_RATE, "Errors", "{:.1%}"),
    (ACTIVE_USERS, "Users", "{:.0f}"),
    (DB_CONNECTIONS, "DB conns", "{:.0f}"),
)


class PerformancePanel(Panel):
    number = 3
    title = "Performance"
    help = "Recent trend (from the store at start, then live) and the current value per metric."

    def compose(self) -> ComposeResult:
        yield SyncTable(id="perf-table")

    def show(self, data: DashboardData) -> None:
        width = 16 if self.wide else 5
        style = Style(color=variable(self.app, "spark-color"))
        rows: list[tuple[str, list[Cell]]] = []
        for view in data.views:
            cells: list[Cell] = [Text(view.name, style="bold")]
            for metric, _, fmt in METRICS:
                values = data.sparks.get((view.name, metric), [])[-width:]
                latest = data.latest.get((view.name, metric))
                text = Text(spark(values), style=style)
                text.append(" " + (fmt.format(latest) if latest is not None else "-").rjust(6))
                cells.append(text)
            rows.append((view.name, cells))
        self.query_one(SyncTable).sync(("Environment", *(label for _, label, _ in METRICS)), rows)
