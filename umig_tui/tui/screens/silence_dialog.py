"""`s` on an alert: how long to silence it (1 = 15m, 2 = 1h, 3 = 4h) and why (required)."""

from __future__ import annotations

from typing import ClassVar

import msgspec
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from umig_tui.analysis.alert_rules import AlertState
from umig_tui.analysis.silences import PRESETS, SilenceError, check_comment


class SilenceRequest(msgspec.Struct, frozen=True):
    seconds: float
    label: str  # the preset's name: "15m", "1h", "4h"
    comment: str


class SilenceDialog(ModalScreen[SilenceRequest | None]):
    DEFAULT_CSS = """
    SilenceDialog { align: center middle; }
    #silence-dialog {
        width: 64; max-width: 100%; height: auto;
        border: round $accent; background: $surface; padding: 0 2;
    }
    #silence-title { text-style: bold; margin-bottom: 1; }
    #silence-presets { height: auto; }
    #silence-presets Button { min-width: 10; margin-right: 1; }
    #silence-error { color: $error; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="silence-cancel"),
        *(
            Binding(str(n), f"preset({n - 1})", f"For {label}", id=f"silence-preset-{label}")
            for n, (label, _) in enumerate(PRESETS, start=1)
        ),
    ]

    def __init__(self, alert: AlertState, where: str, *, preset: int = 1) -> None:
        super().__init__()
        self.alert = alert
        self.where = where
        self.preset = preset  # index into PRESETS; 1h unless a key says otherwise

    def compose(self) -> ComposeResult:
        with Vertical(id="silence-dialog"):
            yield Static(Text(f"Silence {self.alert.rule} on {self.alert.env}"), id="silence-title")
            yield Static(Text(f"Kept in {self.where}; every engineer sees it."))
            yield Label("For (1, 2, 3):")
            with Horizontal(id="silence-presets"):
                for index, (label, _) in enumerate(PRESETS):
                    yield Button(f"{index + 1} {label}", id=f"silence-{label}")
            yield Label("Why (required; Enter silences, Esc cancels):")
            yield Input(placeholder="e.g. known issue, fix deploying", id="silence-comment")
            yield Static("", id="silence-error")

    def on_mount(self) -> None:
        self._show_preset()
        self.query_one(f"#silence-{PRESETS[self.preset][0]}", Button).focus()

    def _show_preset(self) -> None:
        for index, (label, _) in enumerate(PRESETS):
            button = self.query_one(f"#silence-{label}", Button)
            button.variant = "primary" if index == self.preset else "default"

    def action_preset(self, index: int) -> None:
        """Choose a duration, then type the reason."""
        self.preset = index
        self._show_preset()
        self.query_one("#silence-comment", Input).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        for index, (label, _) in enumerate(PRESETS):
            if event.button.id == f"silence-{label}":
                self.action_preset(index)
                event.stop()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        try:
            comment = check_comment(event.value)
        except SilenceError as exc:
            self.query_one("#silence-error", Static).update(Text(str(exc)))
            return
        label, seconds = PRESETS[self.preset]
        self.dismiss(SilenceRequest(seconds, label, comment))
