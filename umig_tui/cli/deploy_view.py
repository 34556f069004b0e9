"""The live deploy-watch view for terminals (Rich; imported only when stdout is a terminal)."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from umig_tui.deploy.watch_state import Stage, WatchState
from umig_tui.util.durations import format_duration

_STAGE_STYLE = {
    Stage.SUCCEEDED: "bold green",
    Stage.FAILED: "bold red",
    Stage.TIMED_OUT: "bold red",
    Stage.INTERRUPTED: "yellow",
    Stage.MONITORING: "bold cyan",
    Stage.VALIDATING: "bold yellow",
}
_MARK = {"passed": ("✓", "green"), "failed": ("✗", "red"), "pending": ("…", "yellow")}


def render_watch(state: WatchState) -> RenderableType:
    head = Text()
    head.append(f"{state.stage.upper()}", style=_STAGE_STYLE.get(state.stage, "bold"))
    head.append(f"   elapsed {format_duration(state.elapsed)}")
    if state.time_left is not None:
        head.append(f"   time left {format_duration(state.time_left)}")
    bar = ProgressBar(total=1.0, completed=state.progress, width=50)
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
    if state.comparisons:
        table = Table(box=None, show_header=True, header_style="dim", padding=(0, 2))
        for column in ("metric", "previous", "now", "change", ""):
            table.add_column(column)
        for comparison in state.comparisons:
            percent = comparison.metric.startswith("error")

            def fmt(value: float | None, percent: bool = percent) -> str:
                if value is None:
                    return "-"
                return f"{value:.2%}" if percent else f"{value:.0f}ms"

            change = f"{comparison.change:+.0%}" if comparison.change is not None else "-"
            table.add_row(
                comparison.metric,
                fmt(comparison.baseline),
                fmt(comparison.current),
                change,
                Text("ok", style="green") if comparison.ok else Text("worse", style="bold red"),
            )
        rows.append(table)
    if state.reason:
        rows.append(
            Text(state.reason, style="bold red" if state.stage is not Stage.SUCCEEDED else "green")
        )
    versions = f"{state.previous_version or '?'} → {state.expected}"
    return Panel(Group(*rows), title=f"deploy watch · {state.env} · {versions}", title_align="left")
