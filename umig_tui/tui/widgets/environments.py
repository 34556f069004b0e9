"""Panel 1: every environment's status, version, uptime, deployment and latency."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType

from umig_tui.models import EnvStatus
from umig_tui.state.fleet import EnvView
from umig_tui.tui.colors import status_text
from umig_tui.tui.widgets.panel import Panel
from umig_tui.tui.widgets.table import Cell, SyncTable, clip, fit_last_column
from umig_tui.util.timefmt import ago, parse_iso
from umig_tui.views.dashboard import DashboardData

WIDE_COLUMNS = (
    "Environment",
    "Tier",
    "Status",
    "Version",
    "Uptime",
    "Deployed",
    "By",
    "Latency / detail",
)
NARROW_COLUMNS = ("Environment", "Status", "Version", "Uptime", "Latency / detail")


class EnvTable(SyncTable):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "Details", id="details")
    ]


def detail_text(view: EnvView, *, wide: bool) -> str:
    """Health latency while all is well; otherwise what is wrong (the error kind at least)."""
    latency = f"{view.latency_ms:.0f} ms" if view.latency_ms is not None else "-"
    if view.tls == "not verified":  # said where it is read, every time
        latency += " · TLS not verified"
    if view.status is EnvStatus.HEALTHY:
        problems = ", ".join(
            f"{endpoint}: {error.kind}" for endpoint, error in view.endpoint_errors.items()
        )
        return f"{latency} · {problems}" if problems else latency
    if view.error is not None:
        return f"{view.error.kind}: {view.error.reason}" if wide else str(view.error.kind)
    return view.reason


class EnvironmentsPanel(Panel):
    number = 1
    title = "Environments"
    help = "Status (always as a word), version, uptime, last deployment and health latency per environment."

    def compose(self) -> ComposeResult:
        yield EnvTable(id="env-table")

    def show(self, data: DashboardData) -> None:
        wide = self.wide
        rows: list[tuple[str, list[Cell]]] = []
        for view in data.views:
            status = status_text(self.app, str(view.status), stale=view.stale)
            cells: list[Cell] = [Text(view.name, style="bold")]
            if wide:
                cells += [str(view.tier)]
            cells += [status, Text(view.version or "-"), view.uptime or "-"]
            if wide:
                deployed = parse_iso(view.deployed_at)
                cells += [
                    ago(deployed, data.now) if deployed else (view.deployed_at or "-"),
                    clip(view.deployed_by or "-", 16),
                ]
            cells.append(Text(detail_text(view, wide=wide)))
            rows.append((view.name, cells))
        columns = WIDE_COLUMNS if wide else NARROW_COLUMNS
        fit_last_column(columns, rows, self.content_size.width - 1)
        self.query_one(EnvTable).sync(columns, rows)
        self.set_subtitle(f"{len(data.views)} of {data.total}" if data.filter else "")

    @property
    def selected(self) -> str | None:
        return self.query_one(EnvTable).selected_key
