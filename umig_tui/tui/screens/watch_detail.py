"""Enter on a deploy watch in panel 4: its stages with times, the outage it saw, each gate and
comparison against its threshold, the verdict and rollback advice; live while it runs."""

from __future__ import annotations

from typing import ClassVar

from rich.console import Group, RenderableType
from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from umig_tui.deploy.verdict_record import is_ratio
from umig_tui.deploy.verdict_text import baselines, post_window, row, window_text
from umig_tui.deploy.watch_state import Stage, WatchState
from umig_tui.tui.colors import STAGE_STATUS, status_style
from umig_tui.tui.deploy_watches import DeployWatches
from umig_tui.tui.widgets.footer import KeyFooter
from umig_tui.util.durations import format_duration
from umig_tui.util.timefmt import clock, stamp, zone

_RESULT_STATUS = {"passed": "healthy", "failed": "unhealthy", "pending": "degraded"}
_OUTCOME_STATUS = {"pass": "healthy", "fail": "unhealthy", "inconclusive": "degraded"}
BOLD = Style(bold=True)
DIM = Style(dim=True)


def _took(seconds: float) -> str:
    return format_duration(seconds) if seconds >= 1 else "<1s"


def rollback_advice(state: WatchState) -> str | None:
    """The watch's advice on a rollback, once it has one."""
    if state.stage is Stage.FAILED:
        if state.rollback_recommended:
            target = state.previous_version
            return f"rollback recommended to {target}" if target else "rollback recommended"
        return "no rollback recommended: the new version's health did not fail"
    if state.stage is Stage.TIMED_OUT:
        return f"nothing to roll back: {state.expected} never appeared"
    if state.stage is Stage.INTERRUPTED:
        return "no verdict: the watch was stopped before it could judge the deploy"
    if state.stage is Stage.INCONCLUSIVE:
        return "not judged, and not a pass: watch it longer or with more traffic"
    return None


class WatchView:
    """Renders one watch as the detail screen shows it (styles from the running app)."""

    def __init__(self, screen: Screen[None]) -> None:
        self.screen = screen

    def style(self, status: str, *, bold: bool = False) -> Style:
        return status_style(self.screen.app, status, bold=bold)

    def render(self, state: WatchState, now: float, *, running: bool) -> RenderableType:
        parts: list[RenderableType] = [self.head(state, now, running=running)]
        # The columns of clock times below are in the zone this heading names.
        times = f"times {zone(state.started_at)}"
        parts += [self.section(f"Stages ({times})"), self.stages(state, now)]
        parts += [self.section("Outage"), self.outages(state, now)]
        parts += [self.section("Validation gates"), self.gates(state)]
        parts += [self.section(self.verdict_title(state)), self.verdict(state)]
        return Group(*parts)

    @staticmethod
    def verdict_title(state: WatchState) -> str:
        final = state.stage.terminal or state.stage is Stage.SOAKING
        word = (state.verdict or "").upper()
        if not word:
            return "Verdict"
        return f"Verdict: {word}" + ("" if final else " so far")

    @staticmethod
    def section(title: str) -> Text:
        return Text(f"\n{title}", style=Style(bold=True, underline=True))

    def head(self, state: WatchState, now: float, *, running: bool) -> Text:
        versions = f"{state.previous_version or '?'} → {state.expected}"
        text = Text(f"Deploy watch · {state.env} · {versions}\n", style=BOLD)
        status = STAGE_STATUS.get(state.stage, "unknown")
        text.append(str(state.stage).upper().replace("_", " "), style=self.style(status, bold=True))
        if state.stage.terminal:
            text.append(f" after {_took(state.elapsed)}")
        else:
            text.append(f" for {_took(now - state.started_at)}")
            if state.time_left is not None:
                text.append(f" · {format_duration(state.time_left)} left")
        text.append(f" · started {stamp(state.started_at)}\n", style=DIM)
        # The verdict and the advice, whole and wrapped: the reason the page was opened.
        if state.stage.terminal and state.stage is not Stage.SUCCEEDED:
            text.append(state.reason or state.message or str(state.stage), style=BOLD)
        else:
            text.append(state.message)
        advice = rollback_advice(state)
        if advice and advice not in (state.reason or ""):
            text.append(f"\n{advice}", style=BOLD if state.rollback_recommended else Style())
        if running:
            text.append("\nlive: c cancels the watch (recorded as interrupted)", style=DIM)
        return text

    def stages(self, state: WatchState, now: float) -> Table:
        table = _table("Stage", "Started", "Ended", "Took", "Said")
        for mark, ended in state.stages():
            verdict = mark.stage.terminal
            until = ended if ended is not None else (None if verdict else now)
            table.add_row(
                Text(str(mark.stage), style=self.style(STAGE_STATUS.get(mark.stage, "unknown"))),
                clock(mark.at),
                "" if verdict else (clock(ended) if ended is not None else "now"),
                "" if until is None else _took(until - mark.at),
                Text(mark.message),
            )
        return table

    def outages(self, state: WatchState, now: float) -> RenderableType:
        if not state.outages:
            return Text("none seen: every check had an answer", style=DIM)
        table = _table("From", "To", "Down", "Checks", "What failed")
        for outage in state.outages:
            still = outage.end is None
            last = state.now if state.stage.terminal else now
            table.add_row(
                clock(outage.start),
                Text(
                    ("still down" if not state.stage.terminal else "down at the end")
                    if still
                    else clock(outage.end or 0.0),
                    style=self.style("unhealthy") if still else Style(),
                ),
                _took(outage.length(last)) + (" so far" if still and last == now else ""),
                str(outage.checks),
                Text(outage.what),
            )
        return table

    def gates(self, state: WatchState) -> RenderableType:
        if not state.gates:
            reached = any(m.stage is Stage.VALIDATING for m in state.timeline)
            return Text(
                "skipped" if reached or state.stage is Stage.MONITORING else _not_reached(state),
                style=DIM,
            )
        table = _table("Gate", "Value", "Wanted", "Result", "At")
        for gate in state.gates:
            # A gate still pending when the watch ended was never decided.
            result = (
                "undecided" if gate.status == "pending" and state.stage.terminal else gate.status
            )
            table.add_row(
                gate.name,
                Text(gate.detail or "-"),
                gate.wanted,
                Text(result, style=self.style(_RESULT_STATUS.get(gate.status, "unknown"))),
                clock(gate.decided_at) if gate.decided_at is not None else "",
            )
        return table

    def verdict(self, state: WatchState) -> RenderableType:
        """What the verdict rests on: the post-deploy window, each baseline (labelled), and per
        metric the value, baseline, threshold, test, p, sample counts and result."""
        detail = [m for m in state.verdict_detail if m.test != "gate"]  # gates are above
        if not detail:
            return self.comparisons(state)
        parts: list[RenderableType] = []
        head = Text()
        if state.verdict_reason:
            head.append(state.verdict_reason + "\n")
        window = post_window(detail)
        if window is not None:
            head.append(f"after the deploy: {window_text(window)}\n", style=DIM)
        for role, label, span in baselines(detail):
            head.append("baseline: " if role == "decides" else "also vs: ", style=DIM)
            head.append(label)
            head.append(f" ({span})\n" if span != "-" else "\n", style=DIM)
        if state.soak_state is not None and state.soak_until is not None:
            head.append(f"soak: {state.soak_state} until {stamp(state.soak_until)}\n")
        parts.append(head)
        table = _table("Metric", "Now", "Baseline", "Threshold", "Test", "p", "n", "Result")
        for m in detail:
            r = row(m)
            cells = [Text(c) for c in r.cells()]
            cells[-1] = Text(r.outcome, style=self.style(_OUTCOME_STATUS.get(r.outcome, "unknown")))
            if m.role == "context":
                cells = [Text(c.plain, style=DIM) for c in cells]
            table.add_row(*cells)
        parts.append(table)
        whys = Text()
        for m in detail:
            if m.why and m.role == "decides":
                whys.append(f"{m.metric}: ", style=BOLD)
                whys.append(f"{m.why}\n")
        if whys.plain:
            parts.append(whys)
        parts.append(
            Text(
                "n: samples after the deploy / baseline; dim rows: other baselines, shown, not deciding",
                style=DIM,
            )
        )
        return Group(*parts)

    def comparisons(self, state: WatchState) -> RenderableType:
        if not state.comparisons:
            reached = any(m.stage is Stage.MONITORING for m in state.timeline)
            return Text("no samples yet" if reached else _not_reached(state), style=DIM)
        table = _table("Metric", "Before", "Now", "Change", "Limit", "Result")
        for c in state.comparisons:
            percent = is_ratio(c.metric)

            def fmt(value: float | None, percent: bool = percent) -> str:
                if value is None:
                    return "-"
                return f"{value:.2%}" if percent else f"{value:.0f}ms"

            table.add_row(
                c.metric,
                fmt(c.baseline),
                fmt(c.current),
                f"{c.change:+.0%}" if c.change is not None else "-",
                c.limit,
                Text("ok", style=self.style("healthy"))
                if c.ok
                else Text("worse", style=self.style("unhealthy", bold=True)),
            )
        if state.samples:
            return Group(table, Text(f"{state.samples} samples since the deploy", style=DIM))
        return table


def _not_reached(state: WatchState) -> str:
    return "not reached" if state.stage.terminal else "not reached yet"


def _table(*columns: str) -> Table:
    table = Table(box=None, show_header=True, header_style="dim", padding=(0, 1), expand=False)
    for index, column in enumerate(columns):
        # The last column is prose (a message, a cause): it wraps instead of being cut.
        table.add_column(column, overflow="fold" if index == len(columns) - 1 else "ellipsis")
    return table


class WatchDetailScreen(Screen[None]):
    """One deploy watch, redrawn every second while it runs."""

    DEFAULT_CSS = """
    #watch-detail-body {
        height: 1fr;
        padding: 0 1;
    }
    #watch-detail {
        width: 1fr;
        height: auto;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back", id="watch-back"),
        Binding("c", "cancel_watch", "Cancel watch", id="watch-cancel"),
    ]

    def __init__(self, env: str, watches: DeployWatches) -> None:
        super().__init__(name=f"watch-{env}")
        self.env = env
        self.watches = watches
        self.last: WatchState | None = watches.states.get(env)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="watch-detail-body"):
            yield Static(id="watch-detail")
        yield KeyFooter(compact=True)

    def on_mount(self) -> None:
        self.redraw()
        self.set_interval(1.0, self.redraw)
        self.query_one(VerticalScroll).focus()

    @property
    def running(self) -> bool:
        return self.watches.is_running(self.env)

    def redraw(self) -> None:
        state = self.watches.states.get(self.env)
        if state is not None and (self.last is None or state.started_at == self.last.started_at):
            self.last = state  # the watch this screen opened on, not a newer one of the env
        body = self.query_one("#watch-detail", Static)
        if self.last is None:
            body.update(Text(f"No deploy watch of {self.env}."))
            return
        running = self.running and not self.last.stage.terminal
        body.update(WatchView(self).render(self.last, self.watches.clock(), running=running))
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """`c` is offered (in the footer) only while the watch runs."""
        if action == "cancel_watch":
            return self.running
        return True

    def action_cancel_watch(self) -> None:
        if self.watches.cancel(self.env, "watch cancelled from the dashboard"):
            self.notify(f"Cancelling the watch of {self.env}", timeout=3)
        else:
            self.notify(f"The watch of {self.env} has already ended", timeout=3)
