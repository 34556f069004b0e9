"""`/` in a list: a one-row search box and the rows that hold what was typed (any case)."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import Input

from umig_tui.tui.widgets.table import Cell

Rows = Sequence[tuple[str, Sequence[Cell]]]


class SearchBox(Input):
    """Hidden until ``open()``; ``close()`` clears it. The screen filters on Input.Changed."""

    DEFAULT_CSS = """
    SearchBox { display: none; height: 1; border: none; padding: 0 1; }
    SearchBox.-active { display: block; }
    """

    def __init__(self, placeholder: str, *, id: str | None = None) -> None:
        super().__init__(placeholder=placeholder, id=id)

    def open(self) -> None:
        self.add_class("-active")
        self.focus()

    def close(self) -> bool:
        """Clear and hide; False when there was nothing to close (escape goes on, then)."""
        if not (self.has_class("-active") or self.value):
            return False
        self.value = ""
        self.remove_class("-active")
        return True

    @property
    def needle(self) -> str:
        return self.value.strip()


def matching_rows(rows: Rows, needle: str, width: int) -> list[tuple[str, Sequence[Cell]]]:
    """The rows whose text holds ``needle`` (any case); one "nothing matches" row of ``width``
    cells when none does, so an empty table never reads as "nothing happened"."""
    if not needle:
        return list(rows)
    lowered = needle.lower()
    shown = [
        row
        for row in rows
        if any(lowered in (c.plain if isinstance(c, Text) else c).lower() for c in row[1])
    ]
    if not shown and rows:
        filler: list[Cell] = ["-"] * (width - 1)
        shown = [("none", [*filler, Text(f"nothing matches {needle!r}")])]
    return shown
