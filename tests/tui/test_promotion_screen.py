"""The promotion board screen on the demo fleet, driven by a Pilot at 80×24 and 120×40."""

from __future__ import annotations

import pytest
from textual.containers import VerticalScroll
from textual.widgets import Static

from tests.tui.conftest import AppFactory, show_fleet, wait_for, wait_for_shown, widget_lines
from umig_tui.tui.screens.promotion import PromotionScreen


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_board_shows_each_environment_and_step(
    make_app: AppFactory, size: tuple[int, int]
) -> None:
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await show_fleet(pilot)
        assert app.monitor is not None
        screen = PromotionScreen(app.monitor)
        app.push_screen(screen)
        await wait_for(pilot, lambda: screen.board is not None, "the board to be read")
        board = screen.query_one("#promotion-board", Static)
        # The whole board laid out, not the first frame of it (one line, then the rest).
        shown = await wait_for_shown(
            pilot, board, lambda text: "repository:" in text, "the board drawn whole"
        )
        assert "repository: none configured" in shown
        assert "development ahead of uat" in shown
        assert "not promotable: no deploy verdict recorded for development" in shown
        # Every line fits the width: nothing cut, long lines wrap inside the screen.
        assert all(len(line) <= size[0] for line in widget_lines(board))
        # Scrolling reaches production and the hotfix aside, even at 80×24.
        body = screen.query_one(VerticalScroll)
        await pilot.press("end")
        await pilot.pause()
        text = "\n".join(widget_lines(body))
        if body.max_scroll_y:
            assert body.scroll_y > 0
        assert "hotfix" in text
        assert "aside (not in the promotion order)" in text
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is not screen, "back to the dashboard")


async def test_reload_reads_the_board_again(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await show_fleet(pilot)
        assert app.monitor is not None
        times = iter([1_000.0, 2_000.0])
        screen = PromotionScreen(app.monitor, clock=lambda: next(times, 3_000.0))
        app.push_screen(screen)
        await wait_for(pilot, lambda: screen.board is not None, "the first board")
        assert screen.board is not None
        assert screen.board.now == 1_000.0
        await pilot.press("r")
        await wait_for(
            pilot,
            lambda: screen.board is not None and screen.board.now == 2_000.0,
            "the board read again",
        )
