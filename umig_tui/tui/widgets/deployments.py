"""Panel 4: the latest deployment per environment, and live deploy watches with progress."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult

from umig_tui.deploy.watch_state import Stage, WatchState
from umig_tui.tui.colors import status_style
from umig_tui.tui.widgets.panel import Panel
from umig_tui.tui.widgets.table import Cell, SyncTable, fit_last_column
from umig_tui.util.durations import format_duration
from umig_tui.util.timefmt import ago, parse_iso
from umig_tui.views.dashboard import DashboardData

_STAGE_STATUS = {
    Stage.SUCCEEDED: "healthy",
    Stage.FAILED: "unhealthy",
    Stage.TIMED_OUT: "unreachable",
    Stage.INTERRUPTED: "unknown",
    Stage.MONITORING: "degraded",
    Stage.VALIDATING: "degraded",
}


def watch_text(panel: Panel, state: WatchState) -> Text:
    """``▰▰▰▱▱ monitoring 2m left`` in the stage's colour."""
    filled = round(state.progress * 5)
    style = status_style(panel.app, _STAGE_STATUS.get(state.stage, "unknown"))
    text = Text("▰" * filled + "▱" * (5 - filled) + " ", style=style)
    text.append(str(state.stage), style=style + Style(bold=True))
    if state.time_left is not None:
        text.append(f" {format_duration(state.time_left)} left")
    elif state.reason and state.stage is not Stage.SUCCEEDED:
        text.append(f": {state.reason}")
    return text


class DeploymentsPanel(Panel):
    number = 4
    title = "Deployments"
    help = "What each environment runs, when and by whom; `d` watches a deploy (stage and progress here)."

    def compose(self) -> ComposeResult:
        yield SyncTable(id="deploy-table")

    def show(self, data: DashboardData) -> None:
        rows: list[tuple[str, list[Cell]]] = []
        for row in data.deployments:
            watch = data.watches.get(row.env)
            deployed = parse_iso(row.deployed_at)
            when = ago(deployed, data.now) if deployed else (row.deployed_at or "-")
            version = row.version or "-"  # what it replaced is on the history screen (h)
            if watch is not None:
                version = f"→ {watch.expected}"
                when = format_duration(watch.elapsed)
                status: Text = watch_text(self, watch)
            else:
                status = Text(row.deployed_by or "-")
            rows.append((row.env, [Text(row.env, style="bold"), Text(version), when, status]))
        columns = ("Environment", "Version", "When", "By / watch")
        fit_last_column(columns, rows, self.content_size.width - 1)
        self.query_one(SyncTable).sync(columns, rows)
