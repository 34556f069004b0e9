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
    """Subclasses set ``number`` and ``title`` and implement ``show``.

    A panel that says its ``extent`` is not rebuilt at each wave while scrolled out of the
    dashboard's view (at 120×40 with 50 environments, panel 3 is below the fold, and was a
    third of the wave's redraw): it keeps the data and shows it once it is back in view
    (``catch_up``: on scrolling, after each frame's layout, at the clock's tick) or has the
    focus. Only while its extent (what its height follows: the number of rows) is what it
    shows: the dashboard's scrollable height, its scrollbar and where every panel sits stay
    exactly what a full redraw would give.
    """

    _behind = False  # data arrived while out of view, not shown yet
    _extent: object = None  # the extent of the data last shown

    number: ClassVar[int] = 0
    title: ClassVar[str] = ""
    help: ClassVar[str] = ""

    data: reactive[DashboardData | None] = reactive(
        None, always_update=True, layout=False, repaint=False
    )

    def on_mount(self) -> None:
        self.border_title = f"{self.number} {self.title}"

    def watch_data(self, data: DashboardData | None) -> None:
        if data is None:
            return
        extent = self.extent(data)
        if extent is not None and extent == self._extent and self.out_of_view():
            self._behind = True
            return
        self._show(data, extent)

    def _show(self, data: DashboardData, extent: object) -> None:
        self._behind = False
        self._extent = extent
        self.show(data)

    def extent(self, data: DashboardData) -> object:
        """What the panel's height follows, if the panel may wait out of view; None: never."""
        return None

    def catch_up(self) -> None:
        """Show the data kept while out of view, if the panel is now in view (or asked)."""
        if self._behind and self.data is not None and not self.out_of_view():
            self._show(self.data, self.extent(self.data))

    def out_of_view(self) -> bool:
        """Laid out, without the focus, and with none of its content inside the scrolled view
        around it (its border's top may be). False whenever unsure (not laid out yet: the
        first frame draws everything)."""
        if not self.is_mounted or not self.size or self.has_focus_within:
            return False
        node = self.parent
        while isinstance(node, Widget):
            if node.styles.overflow_y in ("auto", "scroll"):
                return not self.content_region.overlaps(node.scrollable_content_region)
            node = node.parent
        return False

    def on_resize(self) -> None:
        if self.data is not None:
            self._show(self.data, self.extent(self.data))

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
        if self._behind and self.data is not None:
            self._show(self.data, self.extent(self.data))
        for child in self.query("*"):
            if child.can_focus:
                child.focus()
                break
        self.scroll_visible()
