"""`?`: every key, generated from the BINDINGS of the app, its panels and screens."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


def _bindings(items: Sequence[BindingType]) -> list[Binding]:
    out: list[Binding] = []
    for item in items:
        if isinstance(item, Binding):
            out.append(item)
        else:
            out.append(Binding(*item))
    return out


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Close", id="help-close"),
        Binding("question_mark", "app.pop_screen", "Close", show=False, key_display="?"),
    ]

    def __init__(
        self,
        sections: Sequence[tuple[str, Sequence[BindingType]]],
        panels: Sequence[tuple[int, str, str]],
    ):
        super().__init__()
        self.sections = sections
        self.panels = panels

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body"):
            yield Static(self.render_help(), id="help-text")

    def render_help(self) -> Text:
        text = Text()
        text.append("umig-tui — keys\n", style=Style(bold=True))
        text.append(
            'Every binding has an id; remap keys with [keys] in the config (id = "key").\n\n',
            style=Style(dim=True),
        )
        keymap = getattr(self.app, "keymap_overrides", {})
        for title, items in self.sections:
            text.append(f"{title}\n", style=Style(bold=True, underline=True))
            for binding in _bindings(items):
                if not binding.description:
                    continue
                key = keymap.get(binding.id, None) if binding.id else None
                shown = key or self.app.get_key_display(binding)
                text.append(f"  {shown:<10}", style=Style(bold=True))
                text.append(f"{binding.description:<22}")
                if binding.id:
                    text.append(f"{binding.id}", style=Style(dim=True))
                text.append("\n")
            text.append("\n")
        text.append("Panels\n", style=Style(bold=True, underline=True))
        for number, title, help_text in self.panels:
            text.append(f"  {number}  {title:<18}", style=Style(bold=True))
            text.append(f"{help_text}\n")
        text.append(
            "\nStatus is always written as a word: healthy, degraded, unhealthy, unreachable, unknown.\n",
            style=Style(dim=True),
        )
        return text
