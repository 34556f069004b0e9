"""`a`: the alerts as they stand, and the log of every alert transition from the store."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Footer, Static

from umig_tui.events import EventKind
from umig_tui.service.alerts import AlertService
from umig_tui.service.monitor import Monitor
from umig_tui.tui.colors import severity_style
from umig_tui.tui.widgets.table import Cell, SyncTable
from umig_tui.tui.workers import WorkerScreen
from umig_tui.util.timefmt import ago, stamp

LOG_DAYS = 7


class AlertLogScreen(WorkerScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back", id="alerts-back"),
        Binding("r", "reload", "Reload", id="alerts-reload"),
    ]

    def __init__(
        self, monitor: Monitor, alerts: AlertService | None, clock: Callable[[], float] = time.time
    ):
        super().__init__()
        self.monitor = monitor
        self.alerts = alerts
        self.clock = clock

    def compose(self) -> ComposeResult:
        yield Static("Alerts now", classes="section-title")
        yield SyncTable(id="alerts-now")
        yield Static(f"Alert log (last {LOG_DAYS} days)", classes="section-title")
        yield SyncTable(id="alerts-log")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.action_reload()

    def action_reload(self) -> None:
        now = self.clock()
        rows: list[tuple[str, list[Cell]]] = []
        for alert in self.alerts.alerts() if self.alerts is not None else []:
            value = "-" if alert.value is None else f"{alert.value:g}"
            if alert.threshold is not None:
                value += f" / {alert.threshold:g}"
            rows.append(
                (
                    f"{alert.rule}:{alert.env}",
                    [
                        Text(
                            str(alert.severity), style=severity_style(self.app, str(alert.severity))
                        ),
                        str(alert.phase),
                        Text(alert.env),
                        Text(alert.rule),
                        ago(alert.fired_at or alert.since, now),
                        value,
                        Text(alert.summary),
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
        self.query_one("#alerts-now", SyncTable).sync(columns, rows)
        self.load_log()

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
        self.query_one("#alerts-log", SyncTable).sync(("When", "Environment", "Alert"), rows)
