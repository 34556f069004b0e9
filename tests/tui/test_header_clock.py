"""The header's tail (the last update's age and the clock) changes every second: a tick redraws
the tail, not the whole line (each redraw of a widget sends all of its cells to the terminal)."""

from __future__ import annotations

import operator
from functools import partial

import msgspec.structs
from rich.text import Text
from textual.widgets import Static

from tests.tui.conftest import (
    AppFactory,
    recording_refreshes,
    wait_for_data,
    wait_for_shown,
    widget_lines,
)
from umig_tui.tui.widgets.header import FleetHeader, split_tail


async def test_a_clock_tick_redraws_the_tail_and_not_the_rest_of_the_line(
    make_app: AppFactory,
) -> None:
    app = make_app(use_store=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)
        header = app.query_one(FleetHeader)
        await pilot.press("p")  # nothing polled: the ticks alone change the header
        await wait_for_shown(pilot, header, lambda s: "PAUSED" in s, what="PAUSED")
        data = app.data
        assert data is not None
        assert data.last_update is not None
        before = widget_lines(header)[0]
        line = recording_refreshes(header.query_one("#header-line", Static))
        tail = recording_refreshes(header.query_one("#header-clock", Static))
        # Seconds, then minutes later: the age and the clock differ, nothing else.
        for later in (7, 12, 95):
            header.data = msgspec.structs.replace(data, now=data.last_update + later)
            shown = await wait_for_shown(
                pilot, header, partial(operator.ne, before), what=f"the header {later} s later"
            )
            before = shown
            assert f"updated {later if later < 60 else later // 60}" in shown
            assert shown.rstrip().endswith(" UTC")
            assert len(shown) == 120
        assert line == []
        assert len(tail) >= 3
        assert not any(tail)  # the tail's width stays: no layout pass either
        assert header.plain.strip() == before.strip()
        # Anything else that changes redraws the line.
        header.data = msgspec.structs.replace(data, paused=False, now=data.last_update + 95)
        await wait_for_shown(pilot, header, lambda s: "PAUSED" not in s, what="no PAUSED")
        assert line == [False]


def test_the_tail_takes_the_blanks_before_it_up_to_its_steady_width() -> None:
    line = Text("UMIG ● HEALTHY          updated now  ")
    line.append("07:58:44 UTC", style="bold")
    head, tail = split_tail(line, len("updated now  07:58:44 UTC"), steady=29)
    assert head.plain == "UMIG ● HEALTHY" + " " * 6
    assert tail.plain == "    updated now  07:58:44 UTC"
    assert tail.spans[-1].style == "bold"
    # Fewer blanks than it would take: the line keeps its last character.
    short = Text("UMIG ● HEALTHY updated now  07:58:44 UTC")
    head, tail = split_tail(short, len("updated now  07:58:44 UTC"), steady=29)
    assert (head.plain, tail.plain) == ("UMIG ● HEALTHY", " updated now  07:58:44 UTC")
