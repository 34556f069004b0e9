"""Enter on an alert: what fired, against what threshold, since when, its transitions, and its
silence; `s` silences it, `u` ends the silence."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import ClassVar

from rich.console import Group
from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static

from umig_tui.analysis.alert_rules import AlertPhase, AlertState
from umig_tui.analysis.silences import Silence, SilenceError
from umig_tui.events import AlertChange, EventKind
from umig_tui.service.alerts import AlertService
from umig_tui.tui.colors import severity_style
from umig_tui.tui.screens.silence_dialog import SilenceDialog, SilenceRequest
from umig_tui.tui.widgets.footer import KeyFooter
from umig_tui.tui.widgets.table import Cell, SyncTable
from umig_tui.tui.workers import WorkerScreen
from umig_tui.util.durations import format_duration
from umig_tui.util.timefmt import ago, stamp

HISTORY_DAYS = 7


def value_against_threshold(value: float | None, threshold: float | None) -> str:
    shown = "-" if value is None else f"{value:g}"
    return shown if threshold is None else f"{shown} against threshold {threshold:g}"


class AlertDetailScreen(WorkerScreen):
    DEFAULT_CSS = """
    #alert-detail-body { height: auto; max-height: 60%; padding: 0 1; }
    #alert-transitions { height: 1fr; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back", id="alert-detail-back"),
        Binding("s", "silence", "Silence", id="alert-silence"),
        Binding("u", "unsilence", "Unsilence", id="alert-unsilence"),
        Binding("r", "reload", "Reload", id="alert-detail-reload"),
    ]

    def __init__(
        self,
        alerts: AlertService,
        rule: str,
        env: str,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__()
        self.alerts = alerts
        self.rule = rule
        self.env = env
        self.clock = clock
        self.last: AlertState | None = None  # kept when the engine forgets a resolved alert

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="alert-detail-body"):
            yield Static(id="alert-detail")
        yield Static("Transitions", classes="section-title")
        yield SyncTable(id="alert-transitions")
        yield KeyFooter(compact=True)

    def on_mount(self) -> None:
        self.show()
        self.action_reload()
        self.set_interval(2.0, self.show)  # the phase and the silence's end move on by themselves

    @property
    def alert(self) -> AlertState | None:
        for alert in self.alerts.alerts():
            if alert.key == (self.rule, self.env):
                self.last = alert
                break
        return self.last

    def show(self) -> None:
        """Redraw the alert from what the service holds now (no I/O)."""
        alert = self.alert
        widget = self.query_one("#alert-detail", Static)
        if alert is None:
            widget.update(Text(f"{self.rule} on {self.env}: no such alert now (it cleared)"))
            return
        now = self.clock()
        title = Text()
        title.append(
            f"{str(alert.severity).upper()} ", severity_style(self.app, str(alert.severity))
        )
        title.append(f"{alert.rule} on {alert.env}", Style(bold=True))
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style=Style(bold=True), no_wrap=True)
        grid.add_column(overflow="fold")  # the whole reason, never cut

        def row(label: str, value: str | Text) -> None:
            grid.add_row(label, value if isinstance(value, Text) else Text(value))

        row("State", str(alert.phase))
        row("Cause", alert.summary or "-")
        row("Rule", alert.description or alert.rule)
        row("Value", value_against_threshold(alert.value, alert.threshold))
        row("Since", f"{stamp(alert.since)} ({ago(alert.since, now)})")
        if alert.fired_at is not None:
            row("Fired at", f"{stamp(alert.fired_at)} ({ago(alert.fired_at, now)})")
        if alert.resolved_at is not None:
            row("Resolved at", f"{stamp(alert.resolved_at)} ({ago(alert.resolved_at, now)})")
        row("Silence", self._silence_text(alert, now))
        widget.update(Group(title, Text(""), grid))

    def _silence_text(self, alert: AlertState, now: float) -> Text:
        silences = self.alerts.silences
        silence = silences.silence_for(alert)
        if silence is not None:
            text = Text(silence.mark(now), style=Style(bold=True))
            left = max(60.0, round((silence.ends_at - now) / 60) * 60)
            text.append(f" ({format_duration(left)} left)")
            text.append(f": {silence.comment}" if silence.comment else "")
            text.append(f"  [{silence.source}, u ends it]", style=Style(dim=True))
        elif alert.phase is AlertPhase.RESOLVED:
            text = Text("resolved: nothing to silence")
        else:
            text = Text(f"not silenced (s silences it, in {silences.where})")
        if silences.error:
            text.append(f"\nsilences not read: {silences.error}", style=Style(dim=True))
        return text

    def action_reload(self) -> None:
        self.load()

    @work(exclusive=True, group="alert-detail", exit_on_error=False, description="load the alert")
    async def load(self) -> None:
        await self.alerts.silences.refresh()
        self.show()
        store = self.alerts.monitor.store
        rows: list[tuple[str, list[Cell]]] = []
        if store is not None:
            since = self.clock() - HISTORY_DAYS * 86400
            events = await store.events(
                since=since, env=self.env, kinds=[str(EventKind.ALERT)], limit=1000
            )
            for event in events:
                change = event.payload
                if not isinstance(change, AlertChange) or change.rule != self.rule:
                    continue
                rows.append(
                    (
                        str(event.id),
                        [
                            stamp(event.ts),
                            change.phase,
                            value_against_threshold(change.value, change.threshold),
                        ],
                    )
                )
        if not rows:
            note = (
                f"no transitions in the last {HISTORY_DAYS} days"
                if store is not None
                else "no store: transitions are not kept"
            )
            rows = [("none", ["-", note, ""])]
        self.query_one("#alert-transitions", SyncTable).sync(
            ("When", "Phase", "Value against threshold"), rows
        )

    # -- silencing ------------------------------------------------------------------------------

    def action_silence(self) -> None:
        alert = self.alert
        if alert is None or alert.phase is AlertPhase.RESOLVED:
            self.notify("the alert is resolved: nothing to silence", severity="warning")
            return

        def chosen(request: SilenceRequest | None) -> None:
            if request is not None:
                self._silence(alert, request)

        self.app.push_screen(SilenceDialog(alert, self.alerts.silences.where), chosen)

    @work(group="silence", exit_on_error=False, description="silence the alert")
    async def _silence(self, alert: AlertState, request: SilenceRequest) -> None:
        try:
            silence = await self.alerts.silences.silence(alert, request.seconds, request.comment)
        except SilenceError as exc:
            self.notify(str(exc), title="Not silenced", severity="error", timeout=10)
            return
        self.notify(f"{alert.rule} on {alert.env}: {silence.mark(self.clock())}", title="Silenced")
        self._changed()

    def action_unsilence(self) -> None:
        alert = self.alert
        silence = self.alerts.silences.silence_for(alert) if alert is not None else None
        if silence is None:
            self.notify("the alert is not silenced", severity="warning")
            return
        self._unsilence(silence)

    @work(group="silence", exit_on_error=False, description="end the silence")
    async def _unsilence(self, silence: Silence) -> None:
        try:
            await self.alerts.silences.expire(silence)
        except SilenceError as exc:
            self.notify(str(exc), title="Silence not ended", severity="error", timeout=10)
            return
        self.notify(f"{self.rule} on {self.env}: the silence is over", title="Unsilenced")
        self._changed()

    def _changed(self) -> None:
        self.show()
        self.load()
