"""The fleet header: worst status, firing alerts and the worst one's cause, counts, badges, clock."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from umig_tui.models import EnvStatus
from umig_tui.tui.colors import STATUS_MARK, severity_style, status_style, variable
from umig_tui.util.timefmt import ago, clock
from umig_tui.views.dashboard import DashboardData

DIM = Style(dim=True)
# Under this width, with alerts firing, the header drops "UMIG " and shortens the alert badge.
COMPACT_BELOW = 100
SHORT_SEVERITY = {"CRITICAL": "CRIT", "MEDIUM": "MED"}


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
        """Everything that matters, most important kept first when the width runs out: the
        fleet's status word, firing alerts by severity, the clock, the worst alert's cause,
        the badges, the counts by status, the last update's age."""
        app = self.app
        worst = str(data.summary.worst)
        width = self.size.width - 2 if self.size.width else 118
        compact = width + 2 < COMPACT_BELOW and bool(data.firing)  # room for the worst alert
        status = Text("" if compact else "UMIG ", style=Style(bold=True))
        status.append(
            f"{STATUS_MARK.get(worst, '?')} {worst.upper()}",
            style=status_style(app, worst, bold=True),
        )
        if data.source_notice:  # the last known state is shown, stale: never dropped
            status.append("  ")
            status.append(
                " PROMETHEUS DOWN ",
                style=Style(reverse=True, bold=True, color=variable(app, "status-unhealthy")),
            )
        if data.paused:  # the values are not moving: never dropped
            status.append("  ")
            status.append(
                " PAUSED ", style=Style(reverse=True, color=variable(app, "status-degraded"))
            )
        counts = Text()
        for status_kind in sorted(EnvStatus, key=lambda s: s.rank):
            count = data.summary.counts.get(status_kind, 0)
            if count:
                if counts:
                    counts.append(" · ", style=DIM)
                counts.append(f"{count} {status_kind}", style=status_style(app, str(status_kind)))
        if data.stale:
            counts.append(
                f"  {len(data.stale)} stale", style=Style(color=variable(app, "status-degraded"))
            )
        alerts, cause = self.alert_parts(data, compact=compact)
        badges = Text()
        if data.demo:
            badges.append(" DEMO ", style=Style(reverse=True, bold=True))
        if data.notice:
            badges.append(" no history", style=Style(color=variable(app, "status-degraded")))
        updated = Text(
            f"updated {ago(data.last_update, data.now) if data.last_update else 'waiting'}",
            style=DIM,
        )
        now = Text(clock(data.now, label=True), style=Style(bold=True))
        # (priority: higher goes first when the line is too long, on the left?, the piece)
        pieces: list[tuple[int, bool, Text]] = [
            (0, True, status),
            (5, True, counts),
            (1, True, alerts),
            (3, True, cause),
            (4, False, badges),
            (6, False, updated),
            (2, False, now),
        ]

        def length(kept: list[tuple[int, bool, Text]]) -> int:
            shown = [piece for _, _, piece in kept if piece]
            return sum(piece.cell_len for piece in shown) + 2 * max(0, len(shown) - 1)

        kept = [p for p in pieces if p[2]]
        # Narrow: the update's age goes first, then the counts, then the DEMO badge; the worst
        # alert is named shorter, cut, then dropped. Status (and PAUSED), alerts and the clock
        # always stay.
        for priority in (6, 5, 4, 3, 3):
            over = length(kept) - width
            if over <= 0:
                break
            if priority == 3 and any(p[0] == 3 for p in kept) and cause.cell_len > 12:
                # Whole or named: the cause when it fits, else the rule's name (the cause is
                # whole in panel 5 and the reason line), cut only as a last resort.
                room = cause.cell_len - over
                short = self.alert_name(data)
                fitted = short if short.cell_len <= room < cause.cell_len else cause
                fitted.truncate(max(12, room), overflow="ellipsis")
                kept = [(p, side, fitted if p == 3 else piece) for p, side, piece in kept]
                cause = fitted
                continue
            kept = [p for p in kept if p[0] != priority]
        left = Text("  ").join(piece for _, is_left, piece in kept if is_left and piece)
        right = Text("  ").join(piece for _, is_left, piece in kept if not is_left and piece)
        line = left
        line.append(" " * max(1, width - left.cell_len - right.cell_len))
        line.append_text(right)
        line.truncate(max(1, width), overflow="ellipsis")
        return line

    def alert_name(self, data: DashboardData) -> Text:
        """The worst firing alert by name: ``production health-check-failed``."""
        worst = data.firing[0]
        return Text(
            f"{worst.env} {worst.rule.removeprefix('umig-')}",
            style=severity_style(self.app, str(worst.severity)),
        )

    def alert_parts(self, data: DashboardData, *, compact: bool) -> tuple[Text, Text]:
        """``ALERTS 5 CRITICAL · 3 HIGH`` and the worst one's cause: ``production: …``.
        Compact (under 100 columns): `` 5 CRIT  3 HIGH``, the worst count as the badge."""
        silenced = len(data.silenced)
        if not data.firing:
            return (Text(f"{silenced} silenced", style=DIM) if silenced else Text()), Text()
        app = self.app
        by_severity: dict[str, int] = {}
        for alert in data.firing:
            by_severity[str(alert.severity)] = by_severity.get(str(alert.severity), 0) + 1
        worst = data.firing[0]
        badge_style = severity_style(app, str(worst.severity)) + Style(reverse=True, bold=True)
        badge = Text() if compact else Text(" ALERTS ", style=badge_style)
        for index, (severity, count) in enumerate(by_severity.items()):
            word = SHORT_SEVERITY.get(severity, severity) if compact else severity
            if compact and index == 0:
                badge.append(f" {count} {word} ", style=badge_style)
                continue
            badge.append(" · " if index and not compact else " ", style=DIM)
            badge.append(f"{count} {word}", style=severity_style(app, severity))
        if silenced:
            badge.append(f" · {silenced} silenced", style=DIM)
        cause = Text(f"{worst.env}: {worst.cause}", style=severity_style(app, str(worst.severity)))
        return badge, cause
