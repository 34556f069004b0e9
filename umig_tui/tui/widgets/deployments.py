"""Panel 4: the latest deployment per environment."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult

from umig_tui.dashboard import DashboardData
from umig_tui.timefmt import ago, parse_iso
from umig_tui.tui.widgets.panel import Panel
from umig_tui.tui.widgets.table import Cell, SyncTable, fit_last_column


class DeploymentsPanel(Panel):
    number = 4
    title = "Deployments"
    help = "What each environment runs, when it was deployed, by whom, and what it replaced."

    def compose(self) -> ComposeResult:
        yield SyncTable(id="deploy-table")

    def show(self, data: DashboardData) -> None:
        rows: list[tuple[str, list[Cell]]] = []
        for row in data.deployments:
            deployed = parse_iso(row.deployed_at)
            when = ago(deployed, data.now) if deployed else (row.deployed_at or "-")
            version = (
                f"{row.previous} → {row.version or '?'}" if row.previous else (row.version or "-")
            )
            rows.append(
                (
                    row.env,
                    [
                        Text(row.env, style="bold"),
                        Text(version),
                        when,
                        Text(row.deployed_by or "-"),
                    ],
                )
            )
        columns = ("Environment", "Version", "Deployed", "By")
        fit_last_column(columns, rows, self.content_size.width - 1)
        self.query_one(SyncTable).sync(columns, rows)
