"""Panel 4: the latest deployment per environment, and live deploy watches with progress.

A watch that ended badly (failed, timed out, interrupted) keeps its verdict and rollback advice
under the table, whole, until dismissed with `x`; Enter on a watch's row opens its detail.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import DataTable, Static

from umig_tui.tui.colors import STAGE_STATUS, status_style
from umig_tui.tui.deploy_watches import DeployWatches
from umig_tui.tui.widgets.panel import Panel
from umig_tui.tui.widgets.table import Cell, SyncTable, fit_last_column
from umig_tui.util.durations import format_duration
from umig_tui.util.timefmt import ago, parse_iso
from umig_tui.views.dashboard import DashboardData

# The deploy watch's modules load with the first watch shown, not before the first frame.
if TYPE_CHECKING:
    from umig_tui.deploy.watch_state import WatchState


def watch_text(panel: Panel, state: WatchState) -> Text:
    """``▰▰▰▱▱ monitoring 2m left`` in the stage's colour."""
    from umig_tui.deploy.watch_state import Stage

    filled = round(state.progress * 5)
    style = status_style(panel.app, STAGE_STATUS.get(state.stage, "unknown"))
    text = Text("▰" * filled + "▱" * (5 - filled) + " ", style=style)
    text.append(str(state.stage), style=style + Style(bold=True))
    if state.time_left is not None:
        text.append(f" {format_duration(state.time_left)} left")
        if state.stage is Stage.MONITORING:  # what the verdict will rest on, so far
            text.append(f" · {state.samples} samples", style=Style(dim=True))
    elif state.reason and state.stage is not Stage.SUCCEEDED:
        text.append(f": {state.reason}")
    return text


def ended_badly(state: WatchState) -> bool:
    from umig_tui.deploy.watch_state import Stage

    return state.stage.terminal and state.stage is not Stage.SUCCEEDED


def verdicts(watches: Mapping[str, WatchState]) -> list[WatchState]:
    """The watches whose verdict stays on screen until dismissed: latest first."""
    return sorted(
        (s for s in watches.values() if ended_badly(s)), key=lambda s: s.now, reverse=True
    )


def verdict_text(panel: Panel, states: list[WatchState]) -> Text:
    """``✖ production failed after 1m 5s: health is unhealthy …; rollback recommended to
    1.2.0`` per watch, whole (it wraps), then the keys."""
    text = Text()
    for state in states:
        style = status_style(panel.app, STAGE_STATUS.get(state.stage, "unknown"), bold=True)
        text.append(f"✖ {state.env} → {state.expected} ", style=style)
        text.append(str(state.stage).replace("_", " "), style=style)
        text.append(f" after {format_duration(state.elapsed)}: ")
        text.append(state.reason or state.message or "no reason given")
        text.append("\n")
        # What the verdict rested on: the baseline, and each metric that did not pass.
        for line in _evidence(state):
            text.append(f"{line}\n", style=Style(dim=True))
    text.append("Enter: the watch's detail · x: dismiss", style=Style(dim=True))
    return text


def _evidence(state: WatchState) -> list[str]:
    """One line: the baseline the verdict was judged against, and the samples on each side
    (the detail screen has every metric)."""
    from umig_tui.deploy.verdict_text import window_text

    deciding = [m for m in state.verdict_detail if m.role == "decides" and m.test != "gate"]
    first = next((m for m in deciding if m.baseline_label), None)
    if first is None:
        return []
    line = f"  vs {first.baseline_label}"
    window = window_text(first.baseline_window)
    if window != "-":
        line += f" ({window})"
    return [line + f" · samples {first.n_post} after / {first.n_base} before"]


class DeploymentsPanel(Panel):
    class OpenWatch(Message):
        """Enter on a row with a watch: the app opens its detail (screens are the app's)."""

        def __init__(self, env: str) -> None:
            super().__init__()
            self.env = env

    number = 4
    title = "Deployments"
    help = (
        "What each environment runs, when and by whom; `d` watches a deploy (stage and progress "
        "here). A failed watch keeps its verdict here until `x`; Enter opens a watch's detail."
    )

    DEFAULT_CSS = """
    #deploy-verdict {
        height: auto;
        width: 1fr;
        display: none;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("x", "dismiss_watch", "Dismiss watch", id="watch-dismiss"),
    ]

    def compose(self) -> ComposeResult:
        yield SyncTable(id="deploy-table")
        yield Static(id="deploy-verdict")

    @property
    def watches(self) -> DeployWatches | None:
        watches = getattr(self.app, "watches", None)
        return watches if isinstance(watches, DeployWatches) else None

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
        fit_last_column(columns, rows, self.content_width - 1)
        self.query_one(SyncTable).sync(columns, rows)
        ended = verdicts(data.watches)
        verdict = self.query_one("#deploy-verdict", Static)
        verdict.display = bool(ended)
        if ended:
            verdict.update(verdict_text(self, ended))
        # The verdict says the keys itself.
        self.set_subtitle("Enter: watch detail" if data.watches and not ended else "")
        dismissable = any(s.stage.terminal for s in data.watches.values())
        if dismissable != getattr(self, "_dismissable", False):
            self._dismissable = dismissable
            self.refresh_bindings()  # `x` comes and goes in the footer

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """`x` shows in the footer only when there is an ended watch to dismiss."""
        if action == "dismiss_watch":
            watches = self.watches
            return watches is not None and any(s.stage.terminal for s in watches.states.values())
        return True

    def action_dismiss_watch(self) -> None:
        """Dismiss the selected row's ended watch, else the latest ended one."""
        watches = self.watches
        if watches is None:
            return
        selected = self.query_one(SyncTable).selected_key
        state = watches.states.get(selected) if selected else None
        if state is None or not state.stage.terminal:
            ended = sorted(
                (s for s in watches.states.values() if s.stage.terminal),
                key=lambda s: s.now,
                reverse=True,
            )
            state = ended[0] if ended else None
        if state is not None and watches.dismiss(state.env):
            self.notify(f"Dismissed the {state.stage} watch of {state.env}", timeout=2)
            self.refresh_bindings()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a row with a watch (running or ended): its detail."""
        watches = self.watches
        env = event.row_key.value
        if watches is None or env is None:
            return
        event.stop()
        if env not in watches.states:
            self.notify(f"No deploy watch of {env}: `d` starts one", timeout=3)
            return
        self.post_message(self.OpenWatch(env))
