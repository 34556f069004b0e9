"""The `/` filter: narrows every panel to the environments that match."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.widgets import Input


class FilterBar(Input):
    DEFAULT_CSS = """
    FilterBar { dock: top; display: none; height: 1; border: none; padding: 0 1;
                background: $boost; }
    FilterBar:focus { background: $accent 30%; }
    FilterBar.-active { display: block; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Clear filter", id="filter-close")
    ]

    def __init__(self) -> None:
        super().__init__(
            placeholder="filter: name, tier, status or version — Enter keeps it, Esc clears",
            id="filter",
        )

    def on_mount(self) -> None:
        self.can_focus = False  # only while open: never steal the first focus

    def open(self) -> None:
        self.add_class("-active")
        self.can_focus = True
        self.focus()

    def action_close(self) -> None:
        self.value = ""
        self.remove_class("-active")
        self.can_focus = False
        # Back to the table it filters, as Enter does (focus_next would pick the scroll view).
        tables = self.screen.query("#env-table")
        if tables:
            tables.first().focus()
        else:
            self.screen.focus_next()
