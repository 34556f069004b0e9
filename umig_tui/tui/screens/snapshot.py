"""`s`: the incident snapshot, shown, sent to the clipboard (OSC 52) and saved to a file."""

from __future__ import annotations

import os
from pathlib import Path
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from umig_tui.tui.clipboard import copy_and_save, describe, sentence
from umig_tui.tui.widgets.footer import KeyFooter


class SnapshotScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Close", id="snapshot-close"),
        Binding("c", "copy", "Copy again", id="snapshot-copy"),
    ]

    def __init__(
        self, markdown: str, saved: Path | None = None, *, now: float | None = None
    ) -> None:
        """``SnapshotScreen(markdown, now=now)`` sends and saves the snapshot itself when shown;
        ``saved`` is for a caller that already did both (the message then only describes)."""
        super().__init__()
        self.markdown = markdown
        self.saved = saved
        self.now = now
        self.sent = saved is not None

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="snapshot-body"):
            yield Static(id="snapshot-status")
            yield Static(Text(self.markdown), id="snapshot-text")  # plain text: never markup
        yield KeyFooter(compact=True)

    def on_mount(self) -> None:
        if self.sent:
            message = describe(self.saved, os.environ)
        else:
            self.saved, message = copy_and_save(
                self.app,
                self.markdown,
                name="snapshot",
                folder="snapshots",
                suffix=".md",
                now=self.now,
            )
            self.sent = True
        self.show_status(message)

    def show_status(self, message: str) -> None:
        self.query_one("#snapshot-status", Static).update(
            Text(sentence(message) + "\n", style=Style(dim=True))
        )

    def action_copy(self) -> None:
        # Again to the terminal only: the file is already there.
        self.app.copy_to_clipboard(self.markdown)
        message = describe(self.saved, os.environ)
        self.show_status(message)
        self.notify(sentence(message), title="Snapshot", timeout=4)
