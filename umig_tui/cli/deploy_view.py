"""The live deploy-watch view for terminals (Rich; imported only when stdout is a terminal)."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from umig_tui.deploy.verdict_text import COLUMNS, baselines, fmt, post_window, row, window_text
from umig_tui.deploy.watch_state import Stage, WatchState
from umig_tui.util.durations import format_duration
from umig_tui.util.timefmt import clock

_STAGE_STYLE = {
    Stage.SUCCEEDED: "bold green",
    Stage.FAILED: "bold red",
    Stage.TIMED_OUT: "bold red",
    Stage.INTERRUPTED: "yellow",
    Stage.INCONCLUSIVE: "bold yellow",
    Stage.SOAKING: "bold green",
    Stage.MONITORING: "bold cyan",
    Stage.VALIDATING: "bold yellow",
}
_MARK = {"passed": ("✓", "green"), "failed": ("✗", "red"), "pending": ("…", "yellow")}
_OUTCOME = {"pass": "green", "fail": "bold red", "inconclusive": "yellow"}


def verdict_view(state: WatchState) -> list[RenderableType]:
    """The verdict (so far, while monitoring): what each metric rests on, in a table."""
    detail = state.verdict_detail
    head = Text("verdict ")
    final = state.stage.terminal or state.stage is Stage.SOAKING
    word = state.verdict or "-"
    head.append(word.upper(), style=_OUTCOME.get(word, "bold"))
    if not final:
        head.append(" so far", style="dim")
    if state.verdict_reason and state.verdict_reason not in state.message:
        head.append(f"  {state.verdict_reason}")
    if state.soak_state is not None and state.soak_until is not None:
        head.append(f"  · soak {state.soak_state} until {clock(state.soak_until, label=True)}")
    out: list[RenderableType] = [head]
    window = post_window(detail)
    if window is not None:
        out.append(Text(f"after the deploy: {window_text(window)}", style="dim"))
    for role, label, span in baselines(detail):
        word = "baseline" if role == "decides" else "also vs"
        line = Text(f"{word}: ", style="dim")
        line.append(label)
        if span != "-":
            line.append(f" ({span})", style="dim")
        out.append(line)
    table = Table(box=None, show_header=True, header_style="dim", padding=(0, 1))
    for column in COLUMNS:
        table.add_column(column)
    for m in detail:
        if m.role == "context":
            continue
        r = row(m)
        cells = [Text(c) for c in r.cells()]
        cells[-1] = Text(r.outcome, style=_OUTCOME.get(r.outcome, ""))
        table.add_row(*cells)
        if r.why and m.test != "gate":
            table.add_row(Text(""), Text(r.why, style="yellow"), *[Text("")] * 6)
    out.append(table)
    return out


def render_watch(state: WatchState) -> RenderableType:
    head = Text()
    head.append(f"{state.stage.upper()}", style=_STAGE_STYLE.get(state.stage, "bold"))
    head.append(f"   elapsed {format_duration(state.elapsed)}")
    if state.time_left is not None:
        head.append(f"   time left {format_duration(state.time_left)}")
    bar = Table.grid()  # a row of its own: the bar alone ends with no line break
    bar.add_row(ProgressBar(total=1.0, completed=state.progress, width=50))
    rows: list[RenderableType] = [head, bar, Text(state.message)]
    if state.gates:
        gates = Text("gates: ")
        for gate in state.gates:
            mark, colour = _MARK.get(gate.status, ("?", "white"))
            gates.append(f"{mark} {gate.name}", style=colour)
            if gate.detail:
                gates.append(f" ({gate.detail})", style="dim")
            gates.append("  ")
        rows.append(gates)
    if state.verdict_detail:
        rows.extend(verdict_view(state))
    elif state.comparisons:  # a state recorded before verdicts had details
        table = Table(box=None, show_header=True, header_style="dim", padding=(0, 2))
        for column in ("metric", "previous", "now", "change", ""):
            table.add_column(column)
        for c in state.comparisons:
            change = f"{c.change:+.0%}" if c.change is not None else "-"
            table.add_row(
                Text(c.metric),
                Text(fmt(c.metric, c.baseline)),
                Text(fmt(c.metric, c.current)),
                Text(change),
                Text("ok", style="green") if c.ok else Text("worse", style="bold red"),
            )
        rows.append(table)
    if state.reason and state.reason != state.message:
        rows.append(Text(state.reason, style=_STAGE_STYLE.get(state.stage, "bold")))
    versions = f"{state.previous_version or '?'} → {state.expected}"
    # A version is what an endpoint said: a Text title, never markup.
    title = Text(f"deploy watch · {state.env} · {versions}")
    return Panel(Group(*rows), title=title, title_align="left")
