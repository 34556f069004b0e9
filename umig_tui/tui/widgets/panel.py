"""A dashboard panel: a bordered box with a numbered title that receives DashboardData."""

from __future__ import annotations

from typing import ClassVar

from textual.containers import Vertical
from textual.reactive import reactive

from umig_tui.views.dashboard import DashboardData

# Cells around a panel's content: its border and its padding (app.tcss).
CHROME = 4


class Panel(Vertical):
    """Subclasses set ``number`` and ``title`` and implement ``show``."""

    number: ClassVar[int] = 0
    title: ClassVar[str] = ""
    help: ClassVar[str] = ""

    data: reactive[DashboardData | None] = reactive(
        None, always_update=True, layout=False, repaint=False
    )

    def on_mount(self) -> None:
        self.border_title = f"{self.number} {self.title}"

    def watch_data(self, data: DashboardData | None) -> None:
        if data is not None:
            self.show(data)

    def on_resize(self) -> None:
        if self.data is not None:
            self.show(self.data)

    def show(self, data: DashboardData) -> None:
        raise NotImplementedError

    def set_subtitle(self, text: str) -> None:
        """Setting a border title repaints the whole panel, even to the same text: only on change."""
        if text != getattr(self, "_subtitle", ""):
            self._subtitle = text
            self.border_subtitle = text

    @property
    def content_width(self) -> int:
        """The width inside the border. Before the first layout (the first frame is being
        built), the screen's less the border: the panels that ask span the screen, and a frame
        drawn narrow would be drawn again, wide, a moment later."""
        width = self.size.width
        return width if width else max(0, self.app.size.width - CHROME)

    @property
    def wide(self) -> bool:
        return self.content_width >= 100

    def focus_content(self) -> None:
        """Focus the panel's first focusable child and bring the panel into view."""
        for child in self.query("*"):
            if child.can_focus:
                child.focus()
                break
        self.scroll_visible()
