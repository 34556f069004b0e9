"""The promotion board: each environment in promotion order, what it runs, since when it differs
from the next, its verdict and soak, what is promotable, and the commits between (``[repository]``).
The same lines as ``umig-tui promote`` (``views.promotion``), in the theme's status colours."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static

from umig_tui.deploy.promotion import Board
from umig_tui.service.monitor import Monitor
from umig_tui.service.promotion import collect_board
from umig_tui.tui.colors import status_style
from umig_tui.tui.widgets.footer import KeyFooter
from umig_tui.tui.workers import WorkerScreen
from umig_tui.views.promotion import QUIET, board_lines

REFRESH = 30.0  # the poller keeps the versions fresh; the board follows at this pace


class PromotionScreen(WorkerScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="promotion-back"),
        Binding("q", "back", "Back", id="promotion-close", show=False),
        Binding("r", "reload", "Reload", id="promotion-reload"),
        Binding("j", "scroll(1)", "Down", id="promotion-down", show=False),
        Binding("k", "scroll(-1)", "Up", id="promotion-up", show=False),
    ]

    DEFAULT_CSS = """
    PromotionScreen #promotion-body { height: 1fr; }
    PromotionScreen #promotion-board { padding: 0 1; }
    """

    def __init__(self, monitor: Monitor, clock: Callable[[], float] = time.time) -> None:
        super().__init__()
        self.monitor = monitor
        self.clock = clock
        self.board: Board | None = None

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="promotion-body"):
            yield Static(Text("reading the promotion board…"), id="promotion-board")
        yield KeyFooter(compact=True)

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()
        self.load()
        self.set_interval(REFRESH, self.load)

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_reload(self) -> None:
        self.load()

    def action_scroll(self, rows: int) -> None:
        self.query_one(VerticalScroll).scroll_relative(y=rows, animate=False)

    @work(exclusive=True, group="promotion", exit_on_error=False, description="read the board")
    async def load(self) -> None:
        board = await collect_board(self.monitor, now=self.clock())
        self.show(board)

    def show(self, board: Board) -> None:
        self.board = board
        self.query_one("#promotion-board", Static).update(self.render_board(board))

    def render_board(self, board: Board) -> Text:
        """Every line as plain text (git and endpoints are data, never markup), styled by word."""
        text = Text()
        for index, line in enumerate(board_lines(board)):
            if index:
                text.append("\n")
            for piece, word in line:
                if word is None:
                    text.append(piece)
                elif word == QUIET:
                    text.append(piece, style=Style(dim=True))
                else:
                    text.append(piece, style=status_style(self.app, word, bold=True))
        return text
