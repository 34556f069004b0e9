"""The fleet header: worst status, counts by status, DEMO badge, last update age, clock."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from umig_tui.models import EnvStatus
from umig_tui.tui.colors import STATUS_MARK, status_style, variable
from umig_tui.util.timefmt import ago, clock
from umig_tui.views.dashboard import DashboardData


class FleetHeader(Static):
    DEFAULT_CSS = """
    FleetHeader { height: 1; width: 1fr; background: $panel; color: $foreground; padding: 0 1; }
    """

    data: reactive[DashboardData | None] = reactive(
        None, always_update=True, layout=False, repaint=False
    )

    _shown: Text | None = None

    def watch_data(self, data: DashboardData | None) -> None:
        if data is None:
            return
        line = self.header_line(data)
        shown = self._shown
        if shown is not None and shown.plain == line.plain and shown.spans == line.spans:
            return  # the tick and a data update in the same second: nothing new to send
        self._shown = line
        # One line, always: no layout pass over the whole screen on every clock tick.
        self.update(line, layout=False)

    def on_resize(self) -> None:
        # The line is laid out for a width: redo it at once, not at the next tick.
        self._shown = None
        self.watch_data(self.data)

    def header_line(self, data: DashboardData) -> Text:
        app = self.app
        worst = str(data.summary.worst)
        line = Text()
        line.append("UMIG ", style=Style(bold=True))
        line.append(
            f"{STATUS_MARK.get(worst, '?')} {worst.upper()}",
            style=status_style(app, worst, bold=True),
        )
        counts = [
            (status, data.summary.counts.get(status, 0))
            for status in sorted(EnvStatus, key=lambda s: s.rank)
            if data.summary.counts.get(status, 0)
        ]
        line.append("  ")
        for index, (status, count) in enumerate(counts):
            if index:
                line.append(" · ", style=Style(dim=True))
            line.append(f"{count} {status}", style=status_style(app, str(status)))
        if data.stale:
            line.append(
                f"  {len(data.stale)} stale", style=Style(color=variable(app, "status-degraded"))
            )
        right = Text()
        if data.demo:
            right.append(" DEMO ", style=Style(reverse=True, bold=True))
            right.append(" ")
        if data.paused:
            right.append(
                " PAUSED ", style=Style(reverse=True, color=variable(app, "status-degraded"))
            )
            right.append(" ")
        if data.notice:
            right.append("no history ", style=Style(color=variable(app, "status-degraded")))
        updated = ago(data.last_update, data.now) if data.last_update else "waiting"
        right.append(f"updated {updated}  ", style=Style(dim=True))
        right.append(clock(data.now), style=Style(bold=True))
        width = self.size.width - 2 if self.size.width else 118
        gap = width - line.cell_len - right.cell_len
        if gap < 1:  # narrow: keep the status words, drop the counts' separators first
            line.truncate(max(10, width - right.cell_len - 1), overflow="ellipsis")
            gap = max(1, width - line.cell_len - right.cell_len)
        line.append(" " * gap)
        line.append_text(right)
        return line
