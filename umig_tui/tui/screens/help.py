"""`?`: every key, generated from the BINDINGS of the app, its panels and screens."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import msgspec
from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Static

CLOSE_HINT = "esc / ? / q close · / search · j k PgUp PgDn scroll"


def _bindings(items: Sequence[BindingType]) -> list[Binding]:
    out: list[Binding] = []
    for item in items:
        if isinstance(item, Binding):
            out.append(item)
        else:
            out.append(Binding(*item))
    return out


class HelpLine(msgspec.Struct, frozen=True):
    """One key (or panel) of the help: what is shown, and what a search looks in."""

    text: Text
    haystack: str


class HelpScroll(VerticalScroll):
    """The key list: focused when help opens, so arrows and PgUp/PgDn scroll at once."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "scroll_down", "Down", show=False, id="help-down"),
        Binding("k", "scroll_up", "Up", show=False, id="help-up"),
        Binding("g", "scroll_home", "Top", show=False, id="help-top"),
        Binding("G", "scroll_end", "Bottom", show=False, id="help-bottom"),
    ]


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close (clears a search first)", id="help-close"),
        Binding("question_mark", "app.pop_screen", "Close", key_display="?", id="help-close-key"),
        Binding("q", "app.pop_screen", "Close", id="help-quit"),
        Binding("slash", "search", "Search keys", key_display="/", id="help-search"),
    ]
    # What the help's own section lists: the screen's keys and those of its scrolling list.
    ALL_BINDINGS: ClassVar[list[BindingType]] = [*BINDINGS, *HelpScroll.BINDINGS]

    DEFAULT_CSS = """
    #help-search-box { display: none; height: 1; border: none; padding: 0 1; }
    #help-search-box.-active { display: block; }
    #help-hint { color: $text-muted; height: 1; }
    #help-scroll { height: 1fr; }
    """

    def __init__(
        self,
        sections: Sequence[tuple[str, Sequence[BindingType]]],
        panels: Sequence[tuple[int, str, str]],
    ):
        super().__init__()
        self.sections = sections
        self.panels = panels

    def compose(self) -> ComposeResult:
        with Vertical(id="help-body") as body:
            body.border_title = "umig-tui — keys"
            yield Static(Text(CLOSE_HINT), id="help-hint")
            yield Input(placeholder="search keys: type to filter, esc clears", id="help-search-box")
            with HelpScroll(id="help-scroll"):
                yield Static(self.render_help(), id="help-text")

    def on_mount(self) -> None:
        self.query_one(HelpScroll).focus()

    # -- search -------------------------------------------------------------------------------

    def action_search(self) -> None:
        search = self.query_one("#help-search-box", Input)
        search.add_class("-active")
        search.focus()

    def action_close(self) -> None:
        """Escape: first out of the search (clearing it), then out of help."""
        search = self.query_one("#help-search-box", Input)
        if search.has_class("-active") or search.value:
            search.value = ""
            search.remove_class("-active")
            self.query_one(HelpScroll).focus()
            return
        self.app.pop_screen()

    @on(Input.Changed, "#help-search-box")
    def filter_keys(self, event: Input.Changed) -> None:
        self.query_one("#help-text", Static).update(self.render_help(event.value.strip()))
        self.query_one(HelpScroll).scroll_home(animate=False)

    @on(Input.Submitted, "#help-search-box")
    def keep_search(self) -> None:
        """Enter: back to scrolling the filtered list (escape still clears it)."""
        self.query_one(HelpScroll).focus()

    # -- content ------------------------------------------------------------------------------

    def key_lines(self) -> list[tuple[str, list[HelpLine]]]:
        """Every section with its lines, before any search."""
        keymap = getattr(self.app, "keymap_overrides", {})
        out: list[tuple[str, list[HelpLine]]] = []
        for title, items in self.sections:
            lines: list[HelpLine] = []
            for binding in _bindings(items):
                if not binding.description:
                    continue
                key = keymap.get(binding.id, None) if binding.id else None
                shown = key or self.app.get_key_display(binding)
                text = Text()
                text.append(f"  {shown:<10}", style=Style(bold=True))
                text.append(f"{binding.description:<22}")
                if binding.id:
                    text.append(f"{binding.id}", style=Style(dim=True))
                haystack = f"{title} {shown} {binding.key} {binding.description} {binding.id or ''}"
                lines.append(HelpLine(text, haystack.lower()))
            out.append((title, lines))
        panels: list[HelpLine] = []
        for number, title, help_text in self.panels:
            text = Text()
            text.append(f"  {number}  {title:<18}", style=Style(bold=True))
            text.append(help_text)
            panels.append(HelpLine(text, f"panels {number} {title} {help_text}".lower()))
        out.append(("Panels", panels))
        return out

    def render_help(self, search: str = "") -> Text:
        needle = search.lower()
        text = Text()
        if not needle:
            text.append(
                'Every binding has an id; remap keys with [keys] in the config (id = "key").\n\n',
                style=Style(dim=True),
            )
        found = 0
        for title, lines in self.key_lines():
            hits = [line for line in lines if needle in line.haystack]
            if not hits:
                continue
            found += len(hits)
            text.append(f"{title}\n", style=Style(bold=True, underline=True))
            for line in hits:
                text.append_text(line.text)
                text.append("\n")
            text.append("\n")
        if needle and not found:
            text.append("No key matches ")
            text.append(repr(search), style=Style(bold=True))
            text.append(" — esc clears the search.\n")
        if not needle:
            text.append(
                "Status is always written as a word: healthy, degraded, unhealthy, unreachable, "
                "unknown.\n",
                style=Style(dim=True),
            )
        return text
