"""The reason line under a table changes with every latency: a layout pass only when its height
may change (a layout pass repaints the whole screen and sends every row again)."""

from __future__ import annotations

from textual.app import App, ComposeResult

from tests.tui.conftest import recording_refreshes
from umig_tui.tui.widgets.reason_line import ReasonLine


class LineApp(App[None]):
    def compose(self) -> ComposeResult:
        yield ReasonLine(id="r")


async def test_a_new_reason_of_the_same_height_is_no_layout_pass() -> None:
    app = LineApp()
    async with app.run_test(size=(40, 6)) as pilot:
        line = app.query_one(ReasonLine)
        line.say("dev — healthy · 12 ms")
        await pilot.pause()
        layouts = recording_refreshes(line)
        line.say("dev — healthy · 5 ms")  # one line before and after
        line.say("dev — unreachable: connection refused by the peer at 10.0.0.1")  # wraps
        line.say("dev — unreachable: connection refused by the peer at 10.0.0.2")  # wraps too
        await pilot.pause()
        assert layouts[0] is False  # one line before and after: no layout pass
        assert layouts[1] is True  # it wraps: its height changes
        assert line.line.endswith("10.0.0.2")
        assert line.size.height == 2
