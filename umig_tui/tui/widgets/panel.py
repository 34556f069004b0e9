"""A dashboard panel: a bordered box with a numbered title that receives DashboardData."""

from __future__ import annotations

from typing import ClassVar

from textual.containers import Vertical
from textual.css.scalar import Unit
from textual.reactive import reactive
from textual.widget import Widget

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
        built), the one the layout will give: a frame built for another width is drawn again a
        moment later, once the panels know theirs (a last column clipped differently; one not
        clipped at all widens its table, which then scrolls and grows a line)."""
        width = self.size.width
        return width if width else max(0, self._share_of_screen() - CHROME)

    def _share_of_screen(self) -> int:
        """The screen's width, or this panel's fraction of it when it shares a horizontal row
        with others (``width: 3fr`` beside ``2fr`` in app.tcss): the row's styles say, so a
        narrow screen that stacks the row gives every panel the whole width."""
        width = self.app.size.width
        row = self.parent
        if not isinstance(row, Widget):
            return width
        layout = row.styles.layout
        if layout is None or layout.name != "horizontal":
            return width
        shares = [child.styles.width for child in row.children if child.display]
        mine = self.styles.width
        if mine is None or any(s is None or s.unit is not Unit.FRACTION for s in shares):
            return width
        return int(width * mine.value / sum(s.value for s in shares if s is not None))

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
