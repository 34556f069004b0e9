"""`a`: the alerts as they stand (Enter opens one; silenced ones say by whom and until when),
and the log of every alert transition from the store."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Input, Static

from umig_tui.events import EventKind
from umig_tui.service.alerts import AlertService
from umig_tui.service.monitor import Monitor
from umig_tui.tui.colors import severity_style
from umig_tui.tui.screens.alert_detail import AlertDetailScreen
from umig_tui.tui.widgets.footer import KeyFooter
from umig_tui.tui.widgets.search import SearchBox, matching_rows
from umig_tui.tui.widgets.table import Cell, SyncTable
from umig_tui.tui.workers import WorkerScreen
from umig_tui.util.timefmt import ago, stamp

LOG_DAYS = 7


class AlertLogScreen(WorkerScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back (clears a search first)", id="alerts-back"),
        Binding("slash", "search", "Search", id="alerts-search", key_display="/"),
        Binding("r", "reload", "Reload", id="alerts-reload"),
        Binding("enter", "open_alert", "Detail", id="alerts-open", show=True),
    ]

    def __init__(
        self, monitor: Monitor, alerts: AlertService | None, clock: Callable[[], float] = time.time
    ):
        super().__init__()
        self.monitor = monitor
        self.alerts = alerts
        self.clock = clock
        self._keys: dict[str, tuple[str, str]] = {}  # row key → (rule, env)
        self._reasons: dict[str, Text] = {}  # row key → the whole line under the table
        self._log_rows: list[tuple[str, list[Cell]]] = []

    def compose(self) -> ComposeResult:
        yield SearchBox("search: type to filter both lists, esc clears", id="alerts-search-box")
        yield Static("Alerts now", classes="section-title")
        yield SyncTable(id="alerts-now")
        # The highlighted alert in full (its cause, its silence): the table cuts its last column.
        yield Static(id="alerts-reason")
        yield Static(f"Alert log (last {LOG_DAYS} days)", classes="section-title")
        yield SyncTable(id="alerts-log")
        yield KeyFooter(compact=True)

    DEFAULT_CSS = """
    #alerts-reason { height: auto; padding: 0 1; }
    """

    def on_mount(self) -> None:
        self.action_reload()
        self.query_one("#alerts-now", SyncTable).focus()

    def on_screen_resume(self) -> None:
        self.show_now()  # back from an alert's detail: its silence may have changed

    def action_reload(self) -> None:
        self.show_now()
        self.refresh_silences()
        self.load_log()

    @work(exclusive=True, group="silences", exit_on_error=False, description="read the silences")
    async def refresh_silences(self) -> None:
        if self.alerts is not None:
            await self.alerts.silences.refresh()
            self.show_now()

    def show_now(self) -> None:
        """The alerts as the service holds them now (no I/O)."""
        now = self.clock()
        rows: list[tuple[str, list[Cell]]] = []
        silenced = self.alerts.silenced() if self.alerts is not None else {}
        self._keys, self._reasons = {}, {}
        for alert in self.alerts.alerts() if self.alerts is not None else []:
            value = "-" if alert.value is None else f"{alert.value:g}"
            if alert.threshold is not None:
                value += f" / {alert.threshold:g}"
            key = f"{alert.rule}:{alert.env}"
            self._keys[key] = alert.key
            summary = Text(alert.cause)  # environment and rule have their columns
            state = str(alert.phase)
            reason = Text(alert.summary)
            silence = silenced.get(alert.key)
            if silence is not None:
                state += ", silenced"
                summary = Text.assemble(
                    (silence.mark(now), Style(bold=True)), " · ", summary, style=Style(dim=True)
                )
                reason = Text.assemble(
                    (silence.mark(now), Style(bold=True)),
                    f" ({silence.comment})" if silence.comment else "",
                    " · ",
                    reason,
                )
            self._reasons[key] = reason
            rows.append(
                (
                    key,
                    [
                        Text(
                            str(alert.severity), style=severity_style(self.app, str(alert.severity))
                        ),
                        state,
                        Text(alert.env),
                        Text(alert.rule),
                        ago(alert.fired_at or alert.since, now),
                        value,
                        summary,
                    ],
                )
            )
        if not rows:
            rows = [
                ("none", [Text("-"), "", Text(""), Text("every rule is quiet"), "", "", Text("")])
            ]
        columns = (
            "Severity",
            "State",
            "Environment",
            "Rule",
            "Since",
            "Value / threshold",
            "Summary",
        )
        table = self.query_one("#alerts-now", SyncTable)
        table.sync(columns, matching_rows(rows, self.query_one(SearchBox).needle, len(columns)))
        self._show_reason(table)

    def _show_reason(self, table: SyncTable) -> None:
        reason = Text("")
        if table.row_count and 0 <= table.cursor_row < table.row_count:
            row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
            reason = self._reasons.get(str(row_key.value), reason)
        if reason.plain:
            reason = reason + Text("  (Enter: detail, s there silences)", style=Style(dim=True))
        self.query_one("#alerts-reason", Static).update(reason)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "alerts-now":
            self._show_reason(self.query_one("#alerts-now", SyncTable))

    def action_open_alert(self) -> None:
        table = self.query_one("#alerts-now", SyncTable)
        if not table.has_focus or table.row_count == 0:
            return
        row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
        self._open(str(row_key.value))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "alerts-now":
            event.stop()
            self._open(str(event.row_key.value))

    def _open(self, key: str) -> None:
        found = self._keys.get(key)
        if found is None or self.alerts is None:
            return
        rule, env = found
        self.app.push_screen(AlertDetailScreen(self.alerts, rule, env, clock=self.clock))

    @work(exclusive=True, group="alert-log", exit_on_error=False, description="load the alert log")
    async def load_log(self) -> None:
        store = self.monitor.store
        rows: list[tuple[str, list[Cell]]] = []
        if store is not None:
            since = self.clock() - LOG_DAYS * 86400
            for event in await store.events(since=since, kinds=[str(EventKind.ALERT)], limit=1000):
                severity = (event.severity or "").upper()
                style = severity_style(self.app, severity) if severity else ""
                rows.append(
                    (
                        f"{event.id}",
                        [stamp(event.ts), Text(event.env or "-"), Text(event.summary, style=style)],
                    )
                )
        if not rows:
            note = "no alerts recorded" if store is not None else "no store: the log is not kept"
            rows = [("none", ["-", Text("-"), Text(note)])]
        self._log_rows = rows
        self._show_log()

    def _show_log(self) -> None:
        needle = self.query_one(SearchBox).needle
        self.query_one("#alerts-log", SyncTable).sync(
            ("When", "Environment", "Alert"), matching_rows(self._log_rows, needle, 3)
        )

    # -- search -------------------------------------------------------------------------------

    def action_search(self) -> None:
        self.query_one(SearchBox).open()

    def action_back(self) -> None:
        """Escape: first out of the search (clearing it), then back to the dashboard."""
        if self.query_one(SearchBox).close():
            self.query_one("#alerts-now", SyncTable).focus()
            return
        self.app.pop_screen()

    @on(Input.Changed, "#alerts-search-box")
    def search_changed(self) -> None:
        self.show_now()
        self._show_log()

    @on(Input.Submitted, "#alerts-search-box")
    def search_done(self) -> None:
        self.query_one("#alerts-now", SyncTable).focus()
