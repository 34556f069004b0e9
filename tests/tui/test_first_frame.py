"""The first frame the dashboard draws already shows the fleet.

The monitor is opened and the store read before the screen is composed (``on_load``), so the
panels have their data at mount and the first display is the fleet: before, the screen was
composed first and drawn empty while the store was read, then drawn again (one more full frame
to render and send before the history appeared: spawn → history 0.74 → 0.65 s in
``bench/bench_tui.py --only first-frame``).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Iterable, Sequence
from typing import Any

import pytest
from textual import events
from textual.dom import DOMNode
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import DataTable

from tests.tui.conftest import screen_segments, screen_strips, wait_for
from umig_tui.demo.simulator import Simulator
from umig_tui.service.setup import load_fleet
from umig_tui.tui.app import UmigApp
from umig_tui.tui.screens.main import MainScreen
from umig_tui.tui.widgets.environments import WIDE_COLUMNS
from umig_tui.tui.widgets.table import SyncTable
from umig_tui.util import collector


def still_fleet(**options: Any) -> UmigApp:
    """The dashboard on 4 demo environments, nothing polled: what it draws at start."""
    return UmigApp(
        load_fleet(demo=True),
        environ={},
        simulator=Simulator(4, scenario="static"),
        use_store=False,
        poll=False,
        **options,
    )


def restyles(app: UmigApp) -> list[int]:
    """How many nodes each restyle of ``app`` touches, as it runs (a list that grows)."""
    counts: list[int] = []
    update_nodes = app.stylesheet.update_nodes

    def recording(nodes: Iterable[DOMNode], animate: bool = False) -> None:
        nodes = list(nodes)
        counts.append(len(nodes))
        update_nodes(nodes, animate=animate)

    app.stylesheet.update_nodes = recording  # type: ignore[method-assign]
    return counts


async def test_the_store_is_read_before_the_screen_is_composed() -> None:
    app = still_fleet()
    ready_at_compose: list[bool] = []
    compose = app.compose

    def recording() -> Iterable[Widget]:
        ready_at_compose.append(app.feed is not None and app.engine is not None)
        return compose()

    app.compose = recording  # type: ignore[method-assign]
    async with app.run_test(size=(120, 40)):
        assert ready_at_compose == [True]
        # and the first redraw ran in on_mount, before anything was awaited
        assert app.query_one("#env-table", DataTable).row_count == 4


async def test_the_theme_is_set_before_the_screen_is_composed() -> None:
    """A theme set once the screen is composed restyles every widget a second time before the
    first frame (~40 ms of the dashboard's first frame, at 120×40 with 4 environments)."""
    app = still_fleet(theme="umig-light")
    restyled = restyles(app)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert app.theme == "umig-light"
        widgets = len(list(app.screen.walk_children()))
        assert widgets > 30
        # Each widget is styled as it mounts; the tree is not restyled as a whole, neither
        # for the theme nor as the screen first resumes (tui/screens/main.py).
        assert [n for n in restyled if n > widgets // 2] == []


async def test_the_first_resume_restyles_nothing_and_a_later_one_as_asked() -> None:
    """Textual resumes the first screen with ``refresh_styles`` and styles every widget again,
    just after each was styled as it mounted (~10 ms of the first frame at 120×40). The
    dashboard looks the same without it (tests/tui/test_snapshots.py compares the frames). A
    later resume that asks for it (Textual's mode and screen switches do) still restyles."""
    app = still_fleet()
    restyled = restyles(app)
    async with app.run_test(size=(120, 40)) as pilot:
        main = app.screen
        assert isinstance(main, MainScreen)
        await wait_for(pilot, lambda: main.resumed, what="the first resume")
        await pilot.pause()
        widgets = len(list(main.walk_children()))
        assert [n for n in restyled if n > widgets // 2] == []
        main.post_message(events.ScreenResume(refresh_styles=True))
        await wait_for(
            pilot,
            lambda: any(n > widgets // 2 for n in restyled),
            what="the whole tree restyled by a resume that asks for it",
        )


async def test_a_theme_is_in_place_before_any_css_is_read() -> None:
    """Set once the app ran, Textual's theme watcher parsed all the CSS again and restyled every
    widget on the way to the first frame (~8 ms). Applied in the constructor, nothing is redone,
    and the dashboard looks exactly as one switched to that theme afterwards."""
    started = still_fleet(theme="umig-light", clock=lambda: 1_700_000_000.0)
    reparsed: list[int] = []
    reparse = started.stylesheet.reparse

    def recording() -> None:
        reparsed.append(1)
        reparse()

    started.stylesheet.reparse = recording  # type: ignore[method-assign]
    async with started.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert started.theme == "umig-light"
        assert reparsed == []
        first = [strip.text for strip in screen_strips(started)]
        first_styles = [s.style for s in screen_segments(started)]
        classes = set(started.classes)

    switched = still_fleet(clock=lambda: 1_700_000_000.0)
    async with switched.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        switched.theme = "umig-light"
        await wait_for(
            pilot,
            lambda: [s.style for s in screen_segments(switched)] == first_styles,
            "the switched theme drawn as the started one",
        )
        assert [strip.text for strip in screen_strips(switched)] == first
        assert set(switched.classes) == classes
        # the ANSI colours map through the theme's palette (light here, not the dark default)
        palettes = [
            [(type(f), getattr(f, "_terminal_theme", None)) for f in app._filters]
            for app in (started, switched)
        ]
        assert palettes[0] == palettes[1]


async def test_the_collector_paused_by_the_command_line_is_back_after_the_first_frame() -> None:
    app = still_fleet()
    thresholds = gc.get_threshold()
    collector.pause()
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            deadline = time.monotonic() + 5
            while not gc.isenabled() and time.monotonic() < deadline:
                await pilot.pause(0.01)
            assert gc.isenabled()
            assert app.query_one("#env-table", DataTable).row_count == 4
    finally:
        collector.resume()
        gc.enable()
        gc.unfreeze()
        gc.set_threshold(*thresholds)


async def test_the_first_frame_has_the_columns_of_the_screen_width(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Built before the first layout, the panels that span the screen take its width for
    theirs: at 120 columns the first frame already has the wide tables (before, it had the
    narrow ones, and the screen was drawn again a moment later, once the panels knew their
    width)."""
    app = still_fleet()
    synced: list[tuple[str | None, int]] = []
    sync = SyncTable.sync

    def recording(table: SyncTable, columns: Sequence[str], rows: Any) -> None:
        synced.append((table.id, len(columns)))
        sync(table, columns, rows)

    monkeypatch.setattr(SyncTable, "sync", recording)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert app.query_one("#env-table", SyncTable).row_count == 4
    # One set of columns from the first frame on: the wide ones.
    assert {n for table, n in synced if table == "env-table"} == {len(WIDE_COLUMNS)}


@pytest.mark.parametrize("size", [(120, 40), (200, 50)])
async def test_every_table_is_drawn_once_as_the_dashboard_starts(
    monkeypatch: pytest.MonkeyPatch, size: tuple[int, int]
) -> None:
    """Each panel builds its first rows for the width the layout will give it. The two that
    share the bottom row used to be built before it was known, their last column unclipped:
    the alerts table, wider than its panel, scrolled and grew a line, and the screen was drawn
    twice more as the layout settled (~20 KB more at start over SSH). Not checked where the
    screen scrolls (80×24): the scrollbar's column is known only once laid out, and a clipped
    last column is cut again one cell shorter (no line moves)."""
    app = still_fleet()
    synced: dict[str | None, list[list[str]]] = {}
    sync = SyncTable.sync

    def recording(table: SyncTable, columns: Sequence[str], rows: Any) -> None:
        shown = [str(cell) for _, cells in rows for cell in cells]
        synced.setdefault(table.id, []).append([*columns, *shown])
        sync(table, columns, rows)

    monkeypatch.setattr(SyncTable, "sync", recording)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        await wait_for(pilot, lambda: app.screen.resumed, what="the first resume")
        await pilot.pause(0.2)  # not a condition: what must not happen after it
    assert set(synced) >= {"env-table", "deploy-table", "events-table", "perf-table"}
    for table, calls in synced.items():
        assert all(call == calls[0] for call in calls), f"{table} built twice differently"


async def test_polling_starts_once_the_first_frame_is_drawn(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The first request loads the HTTP stack; the first frame does not wait for it."""
    app = still_fleet()
    app.poll = True
    order: list[str] = []
    refresh = Screen._compositor_refresh

    def drawing(screen: Screen[Any]) -> None:
        order.append("frame")
        refresh(screen)

    start = app._start_loops

    def starting() -> None:
        order.append("polling")
        start()

    monkeypatch.setattr(Screen, "_compositor_refresh", drawing)
    app._start_loops = starting  # type: ignore[method-assign]
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: "polling" in order, what="the poll loops started")
        assert order.index("frame") < order.index("polling")
        await wait_for(pilot, lambda: bool(app.workers), what="a poll loop running")
