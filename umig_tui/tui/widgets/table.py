"""A DataTable that updates in place: only changed cells are redrawn (cheap on thin links)."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import DataTable

Cell = str | Text


def cell_width(cell: Cell) -> int:
    return cell.cell_len if isinstance(cell, Text) else len(cell)


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


class SyncTable(DataTable[Cell]):
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
        for key, cells in rows:
            old = self._rows.get(key)
            new = tuple(cells)
            if old == new:
                continue
            for index, (before, after) in enumerate(zip(old or (), new, strict=False)):
                if before != after:
                    self.update_cell(key, columns[index], after, update_width=True)
            self._rows[key] = new

    @property
    def selected_key(self) -> str | None:
        if not self._order or not 0 <= self.cursor_row < len(self._order):
            return None
        return self._order[self.cursor_row]
