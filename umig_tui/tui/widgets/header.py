"""The fleet header: worst status, firing alerts and the worst one's cause, counts, badges, clock."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
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
# Cells: the widest usual "updated …" ("updated 59m ago", "updated waiting"); the header's tail
# is padded to it so its width stays the same from "updated now" to "updated 12s ago".
STEADY_AGE = len("updated 59m ago")


class FleetHeader(Horizontal):
    """One line in two widgets: its tail (the last update's age and the clock), which changes
    every second, is its own widget, so a tick sends a few dozen cells to the terminal, not the
    whole line."""

    DEFAULT_CSS = """
    FleetHeader { height: 1; width: 1fr; background: $panel; color: $foreground; padding: 0 1; }
    FleetHeader > #header-line { width: 1fr; height: 1; }
    FleetHeader > #header-clock { width: auto; height: 1; margin-right: 2; }
    """

    data: reactive[DashboardData | None] = reactive(
        None, always_update=True, layout=False, repaint=False
    )

    _shown: tuple[Text, Text] | None = None

    def compose(self) -> ComposeResult:
        # Kept, not queried: the tail is updated every second.
        self._line = Static(id="header-line")
        self._tail = Static(id="header-clock")
        yield self._line
        yield self._tail

    @property
    def plain(self) -> str:
        """The line as shown, without styles."""
        return "" if self._shown is None else self._shown[0].plain + self._shown[1].plain

    def watch_data(self, data: DashboardData | None) -> None:
        if data is None or not self.is_mounted:
            return
        line, tail = self.header_line(data)
        shown = self._shown
        self._shown = (line, tail)
        # One line, always: no layout pass over the whole screen on every clock tick.
        if shown is None or not same_text(shown[0], line):
            self._line.update(line, layout=False)
        if shown is None or not same_text(shown[1], tail):
            # Laid out again only when the tail's width changes (the header's width did, or
            # the line was cut).
            layout = shown is None or shown[1].cell_len != tail.cell_len
            self._tail.update(tail, layout=layout)

    def on_mount(self) -> None:
        self.watch_data(self.data)

    def on_resize(self) -> None:
        # The line is laid out for a width: redo it at once, not at the next tick.
        self._shown = None
        self.watch_data(self.data)

    def header_line(self, data: DashboardData) -> tuple[Text, Text]:
        """Everything that matters, most important kept first when the width runs out: the
        fleet's status word, firing alerts by severity, the clock, the worst alert's cause,
        the badges, the counts by status, the last update's age. In two parts: the line, and
        its right-hand tail (badges, the age and the clock; empty if the line was cut)."""
        app = self.app
        worst = str(data.summary.worst)
        width = (self.size.width or self.app.size.width - 2) - 2  # before the first layout too
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
        # The update's age and the clock change every second: the right-hand pieces go out as
        # the line's tail, with blanks before them so its width stays as the age grows.
        if not right or not line.plain.endswith(right.plain):  # cut short
            return line, Text()
        aged = any(piece is updated for _, _, piece in kept)
        steady = len(right.plain) + (max(0, STEADY_AGE - len(updated.plain)) if aged else 0)
        return split_tail(line, len(right.plain), steady)

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


def same_text(a: Text, b: Text) -> bool:
    return a.plain == b.plain and a.spans == b.spans and a.style == b.style


def split_tail(line: Text, length: int, steady: int) -> tuple[Text, Text]:
    """The line without its last ``length`` characters, and those, with the blanks before them
    up to ``steady`` characters in all (so the tail's width stays the same from "updated now"
    to "updated 12s ago", and the line's too)."""
    plain = line.plain
    cut = len(plain) - length
    while cut > 0 and plain[cut - 1] == " " and len(plain) - cut < steady:
        cut -= 1
    head, tail = line.divide([cut])
    return head, tail
