"""The line under a table that shows the selected row whole: tables cut prose at the column."""

from __future__ import annotations

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual.widgets import Static


class ReasonLine(Static):
    DEFAULT_CSS = """
    ReasonLine { height: auto; max-height: 3; background: $surface; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, markup=False)
        self._line = ""

    def say(self, line: str, *, quiet: bool = False) -> None:
        """Show ``line`` (dimmed when ``quiet``: all is well), only when it changed; and as a
        layout pass only when its height may change: a layout pass repaints the whole screen
        (every row of every table sent again), and the line changes with every latency."""
        if line != self._line:
            width = self.content_size.width
            same_height = 0 < cell_len(line) <= width and 0 < cell_len(self._line) <= width
            self._line = line
            self.update(
                Text(line, style=Style(dim=True) if quiet else Style()), layout=not same_height
            )

    @property
    def line(self) -> str:
        return self._line
