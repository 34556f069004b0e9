"""`s`: the incident snapshot, shown, copied to the clipboard (OSC 52) and saved to a file."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Static


class SnapshotScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Close", id="snapshot-close"),
        Binding("c", "copy", "Copy again", id="snapshot-copy"),
    ]

    def __init__(self, markdown: str, saved: Path | None) -> None:
        super().__init__()
        self.markdown = markdown
        self.saved = saved

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="snapshot-body"):
            where = (
                f"saved to {self.saved}"
                if self.saved
                else "not saved (no writable state directory)"
            )
            yield Static(Text(f"Copied to the clipboard (OSC 52) and {where}.\n", style="dim"))
            yield Static(Text(self.markdown), id="snapshot-text")  # plain text: never markup
        yield Footer(compact=True)

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self.markdown)
        self.notify("Snapshot copied", timeout=2)
