"""`d`: start a deploy watch for the selected environment (asks for the expected version)."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from umig_tui.tui.deploy_watches import DeployRequest
from umig_tui.util.durations import DurationError, parse_duration


class DeployDialog(ModalScreen[DeployRequest | None]):
    # The error wraps inside the dialog: a Label is as wide as its text and was cut at the
    # border, mid-word, right where the example of a good duration was.
    DEFAULT_CSS = """
    #deploy-error {
        width: 1fr;
        height: auto;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="deploy-cancel")
    ]

    def __init__(self, env: str, suggestion: str | None) -> None:
        super().__init__()
        self.env = env
        self.suggestion = suggestion or ""

    def compose(self) -> ComposeResult:
        with Vertical(id="deploy-dialog"):
            yield Label(f"Watch a deploy to {self.env}", id="deploy-title")
            yield Label("Expected version (Enter starts, Esc cancels):")
            yield Input(value=self.suggestion, placeholder="e.g. 1.2.0", id="deploy-version")
            yield Label("Wait up to / then monitor for / then soak for (optional):")
            yield Input(value="10m 5m", placeholder="10m 5m", id="deploy-times")
            yield Static("", id="deploy-error")

    def on_mount(self) -> None:
        self.query_one("#deploy-version", Input).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        version = self.query_one("#deploy-version", Input).value.strip()
        times = self.query_one("#deploy-times", Input).value.split()
        error = self.query_one("#deploy-error", Static)
        if not version:
            error.update(Text("a version is required"))
            return
        if len(times) > 3:
            # What the person typed is shown as text, never as markup.
            error.update(
                Text(
                    f"give at most three durations (wait up to, monitor for, soak for), "
                    f"not {len(times)}: {' '.join(times)}"
                )
            )
            return
        try:
            timeout = parse_duration(times[0]) if times else 600.0
            monitor = (
                0.0
                if len(times) > 1 and times[1] in ("0", "0s")
                else (parse_duration(times[1]) if len(times) > 1 else 300.0)
            )
            soak = (
                None
                if len(times) < 3
                else (0.0 if times[2] in ("0", "0s") else parse_duration(times[2]))
            )
        except DurationError as exc:
            error.update(Text(str(exc)))
            return
        self.dismiss(DeployRequest(self.env, version, timeout, monitor, soak))
