"""`q` with a deploy watch running: ask before quitting (the watch would end interrupted)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from umig_tui.deploy.watch_state import WatchState
from umig_tui.util.durations import format_duration


def quit_question(running: Sequence[WatchState]) -> Text:
    """What quitting would stop, one line per running watch, and the keys."""
    count = len(running)
    text = Text(
        f"{count} deploy watch{'es are' if count > 1 else ' is'} running\n",
        style=Style(bold=True),
    )
    for state in running:
        text.append(f"  {state.env} → {state.expected}: {state.stage}")
        text.append(f" for {format_duration(state.elapsed)}\n", style=Style(dim=True))
    text.append(
        "\nQuitting stops "
        + ("them" if count > 1 else "it")
        + " and records "
        + ("each" if count > 1 else "it")
        + " as interrupted (as Ctrl-C does in `deploy watch`).\n\n"
    )
    text.append("y", style=Style(bold=True))
    text.append(" quit   ")
    text.append("n", style=Style(bold=True))
    text.append(" / ")
    text.append("Esc", style=Style(bold=True))
    text.append(" keep watching")
    return text


class ConfirmQuit(ModalScreen[bool]):
    """Dismisses with True to quit, False to stay."""

    DEFAULT_CSS = """
    ConfirmQuit {
        align: center middle;
    }
    #confirm-quit {
        width: 64;
        max-width: 100%;
        height: auto;
        border: round $warning;
        background: $surface;
        padding: 0 2;
    }
    #confirm-quit-text {
        width: 1fr;
        height: auto;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Quit", id="quit-confirm"),
        Binding("n", "answer(False)", "Keep watching", id="quit-stay"),
        Binding("escape", "answer(False)", "Keep watching", show=False, id="quit-stay-escape"),
    ]

    def __init__(self, running: Sequence[WatchState]) -> None:
        super().__init__()
        self.running = tuple(running)

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-quit"):
            yield Static(quit_question(self.running), id="confirm-quit-text")

    def action_answer(self, quit_: bool) -> None:
        self.dismiss(quit_)
