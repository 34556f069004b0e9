"""Panel 1: every environment's status, version, uptime, deployment and latency."""

from __future__ import annotations

from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable

from umig_tui.models import EnvStatus
from umig_tui.state.fleet import EnvView
from umig_tui.tui.colors import status_text
from umig_tui.tui.widgets.panel import Panel
from umig_tui.tui.widgets.reason_line import ReasonLine
from umig_tui.tui.widgets.table import Cell, SyncTable, clip, fit_last_column
from umig_tui.util.timefmt import ago, parse_iso
from umig_tui.views.dashboard import DashboardData
from umig_tui.views.reasons import VERSION_SHOWN, reason_line
from umig_tui.views.sorting import SORT_COLUMN, sort_views

# Versions are data from the endpoint: a hostile 200-character one must not widen the table.
VERSION_WIDTH = VERSION_SHOWN
DIM = Style(dim=True)

WIDE_COLUMNS = (
    "Environment",
    "Tier",
    "Status",
    "Version",
    "Uptime",
    "Deployed",
    "By",
    # Latency while all is well, else what is wrong. A short heading: a long one is the
    # column's least width, and at 120 columns with an unreachable row the table overflowed.
    "Detail",
)
NARROW_COLUMNS = ("Environment", "Status", "Version", "Uptime", "Detail")


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

    row_order = "config"  # one of views.sorting.SORTS
    _views: dict[str, EnvView]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._views = {}
        self._rows: dict[str, tuple[tuple[object, ...], list[Cell]]] = {}  # name → (key, cells)

    def compose(self) -> ComposeResult:
        yield EnvTable(id="env-table")
        yield ReasonLine(id="env-reason")

    def show(self, data: DashboardData) -> None:
        wide = self.wide
        rows: list[tuple[str, list[Cell]]] = []
        views = sort_views(data.views, self.row_order, data.now)
        theme = self.app.theme
        for view in views:
            # Stale: no poll for two intervals. An environment in error backs off on purpose,
            # and its reason line says since when nothing was read.
            stale = view.stale and view.error is None
            age = ago(view.updated_at, data.now).removesuffix(" ago") if stale else None
            deployed = parse_iso(view.deployed_at) if wide else None
            when = (
                (ago(deployed, data.now) if deployed else (view.deployed_at or "-")) if wide else ""
            )
            detail = detail_text(view, wide=wide)
            # What the row shows, and nothing else: most rows are the same as a second ago, and
            # building their cells was a third of a repaint at 50 environments.
            key = (
                theme, wide, view.name, view.tier, view.status, stale, age,
                view.shows_old_values, view.version, view.uptime, when, view.deployed_by, detail,
            )  # fmt: skip
            cached = self._rows.get(view.name)
            if cached is None or cached[0] != key:
                cached = self._rows[view.name] = (key, self._cells(view, stale, age, when, detail))
            rows.append((view.name, list(cached[1])))
        columns = self._columns(WIDE_COLUMNS if wide else NARROW_COLUMNS)
        fit_last_column(columns, rows, self.content_width - 1)
        table = self.query_one(EnvTable)
        table.sync(columns, rows)
        self._views = {view.name: view for view in views}
        self.show_reason()
        parts = [f"{len(data.views)} of {data.total}"] if data.filter else []
        if self.row_order != "config":
            parts.append(f"sorted by {self.row_order}")
        self.set_subtitle(", ".join(parts))

    def _cells(
        self, view: EnvView, stale: bool, age: str | None, when: str, detail: str
    ) -> list[Cell]:
        wide = self.wide
        status = status_text(self.app, str(view.status), stale=stale, age=age)
        old = DIM if view.shows_old_values else Style()  # from an earlier answer: dimmed
        cells: list[Cell] = [Text(view.name, style="bold")]
        if wide:
            cells += [str(view.tier)]
        cells += [
            status,
            clip(Text(view.version or "-", style=old), VERSION_WIDTH),
            Text(view.uptime or "-", style=old),
        ]
        if wide:
            cells += [Text(when), clip(view.deployed_by or "-", 16)]
        cells.append(Text(detail))
        return cells

    def _columns(self, columns: tuple[str, ...]) -> tuple[str, ...]:
        """The sorted column says so; promotion order (the config's) marks none."""
        label = SORT_COLUMN.get(self.row_order)
        return tuple(f"{c} ▼" if c == label else c for c in columns)

    def show_reason(self) -> None:
        """The selected row's whole reason, wrapped: the table cuts it at the column's width."""
        view = self._views.get(self.selected or "")
        line = "" if view is None or self.data is None else reason_line(view, self.data.now)
        quiet = view is not None and view.status is EnvStatus.HEALTHY
        self.query_one(ReasonLine).say(line, quiet=quiet)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "env-table":
            self.show_reason()

    @property
    def selected(self) -> str | None:
        return self.query_one(EnvTable).selected_key
