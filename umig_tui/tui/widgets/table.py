"""A DataTable that updates in place: only changed cells are redrawn (cheap on thin links)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Region
from textual.widgets import DataTable
from textual.widgets.data_table import RowDoesNotExist, RowKey

Cell = str | Text


def cell_width(cell: Cell) -> int:
    return cell.cell_len if isinstance(cell, Text) else len(cell)


def same_cell(a: Cell | None, b: Cell) -> bool:
    """Equal as shown: rich's Text equality ignores the base style (a colour-only change)."""
    if isinstance(a, Text) and isinstance(b, Text):
        return a.plain == b.plain and a.style == b.style and a.spans == b.spans
    return type(a) is type(b) and a == b


def clip(cell: Cell, width: int) -> Text:
    """``cell`` cut to ``width`` cells with an ellipsis (only for prose, never versions)."""
    text = cell.copy() if isinstance(cell, Text) else Text(cell)
    if text.cell_len > width:
        text.truncate(max(1, width), overflow="ellipsis")
    return text


def fit_last_column(
    headers: Sequence[str], rows: list[tuple[str, list[Cell]]], width: int, padding: int = 2
) -> None:
    """Clip the last column (prose: details, reasons) so the table fits ``width`` cells."""
    if not rows or width <= 0:
        return
    count = len(headers)
    widths = [len(h) for h in headers]
    for _, cells in rows:
        for index, cell in enumerate(cells[: count - 1]):
            widths[index] = max(widths[index], cell_width(cell))
    room = width - sum(widths[: count - 1]) - padding * count
    room = max(room, len(headers[-1]), 8)
    for _, cells in rows:
        if cells and cell_width(cells[-1]) > room:
            cells[-1] = clip(cells[-1], room)


# What a k9s or less user reaches for in any list: j/k, g/G, Home/End move the row cursor.
ROW_KEYS: list[BindingType] = [
    Binding("j", "cursor_down", "Down", id="row-down", show=False),
    Binding("k", "cursor_up", "Up", id="row-up", show=False),
    Binding("g,home", "scroll_top", "First row", id="row-first", show=False),
    Binding("G,end", "scroll_bottom", "Last row", id="row-last", show=False),
]


class RowTable(DataTable[Cell]):
    """A row-cursor DataTable with the keys of every list: j/k, g/G, Home/End."""

    BINDINGS: ClassVar[list[BindingType]] = ROW_KEYS

    def select_key(self, key: str) -> bool:
        """Move the cursor to the row with ``key``; False when there is none."""
        try:
            index = self.get_row_index(RowKey(key))
        except RowDoesNotExist:  # the row went away since it was listed
            return False
        self.move_cursor(row=index, animate=False)
        return True


class SyncTable(RowTable):
    """``sync(columns, rows)`` rebuilds only when the column or row keys change."""

    DEFAULT_CSS = """
    SyncTable { height: auto; max-height: 100%; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes, cursor_type="row", zebra_stripes=False)
        self._columns: tuple[str, ...] = ()
        self._rows: dict[str, tuple[Cell, ...]] = {}
        self._order: tuple[str, ...] = ()

    def sync(self, columns: Sequence[str], rows: Sequence[tuple[str, Sequence[Cell]]]) -> None:
        columns = tuple(columns)
        order = tuple(key for key, _ in rows)
        if columns != self._columns or order != self._order:
            selected = (
                self._order[self.cursor_row]
                if self._order and 0 <= self.cursor_row < len(self._order)
                else None
            )
            # Columns too: DataTable.clear() keeps every column's widest width ever seen, so a
            # placeholder or an old error would leave a column wide (and a scrollbar) for good.
            self.clear(columns=True)
            for label in columns:
                self.add_column(label, key=label)
            self._columns = columns
            for key, cells in rows:
                self.add_row(*cells, key=key)
            self._rows = {key: tuple(cells) for key, cells in rows}
            self._order = order
            if selected in order:
                self.move_cursor(row=order.index(selected), animate=False)
            return
        # Looked up once per sync, not per cell: a DataTable key hashes in Python, and a
        # cell's region walks every row above it (a third of a 50-row repaint, timed).
        keys = {column.key.value: column.key for column in self.columns.values()}
        widths = {column.key.value: column.content_width for column in self.columns.values()}
        changed: list[tuple[int, str, str]] = []
        for row, (key, cells) in enumerate(rows):
            old = self._rows.get(key, ())
            new = tuple(cells)
            data = self._data[RowKey(key)]
            for index, after in enumerate(new):
                before = old[index] if index < len(old) else None
                if same_cell(before, after):
                    continue
                column = columns[index]
                width, grown = widths[column], cell_width(after)
                was = cell_width(before) if before is not None else 0
                if grown > width or (was >= width and grown < was):
                    # The column grows or may shrink: DataTable measures it again and redraws.
                    self.update_cell(key, column, after, update_width=True)
                    widths[column] = self.columns[keys[column]].content_width
                    continue
                data[keys[column]] = after
                changed.append((row, key, column))
            self._rows[key] = new
        if changed:
            self._repaint(changed)

    def _repaint(self, cells: list[tuple[int, str, str]]) -> None:
        """Forget the rendering of just these cells (and their lines) and repaint them.

        DataTable.update_cell refreshes the whole table, and the terminal is sent every visible
        line of it again: on a thin link, per update, for one changed latency. Bumping
        DataTable's update counter would re-render every cell of every line repainted, where a
        frame typically changes one cell per row. So only these cells' caches are dropped and
        only their regions refreshed.
        """
        header = self.header_height if self.show_header else 0
        rows = {key for _, key, _ in cells}
        pairs = {(key, column) for _, key, column in cells}
        lines = {row + header for row, _, _ in cells}
        indexes = {row for row, _, _ in cells}
        # Keys compared by their strings (a DataTable key's own hash is Python code).
        self._forget(self._cell_render_cache, lambda k: (k[0].value, k[1].value) in pairs)
        self._forget(self._row_render_cache, lambda k: k[0].value in rows)
        self._forget(self._line_cache, lambda k: k[0] in lines)
        self._forget(self._row_renderable_cache, lambda k: k[1] in indexes)
        # Rows are one line high (add_row's default): a cell's region is its column's place
        # and its row's line. A row scrolled out of view is drawn when it scrolls in.
        window = self.window_region
        places: dict[str, tuple[int, int]] = {}
        x = self._row_label_column_width
        for placed in self.ordered_columns:
            width = placed.get_render_width(self)
            places[placed.key.value or ""] = (x, width)
            x += width
        regions = []
        for row, _key, column in cells:
            y = row + header
            if window.y <= y < window.bottom:
                left, width = places[column]
                regions.append(Region(left, y, width, 1).translate(-self.scroll_offset))
        if regions:
            self.refresh(*regions)

    @staticmethod
    def _forget(cache: LRUCache[Any, Any], stale: Callable[[Any], bool]) -> None:
        for cache_key in [*filter(stale, cache.keys())]:
            cache.discard(cache_key)

    @property
    def selected_key(self) -> str | None:
        if not self._order or not 0 <= self.cursor_row < len(self._order):
            return None
        return self._order[self.cursor_row]
