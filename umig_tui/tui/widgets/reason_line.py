"""The line under a table that shows the selected row whole: tables cut prose at the column."""

from __future__ import annotations

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
        """Show ``line`` (dimmed when ``quiet``: all is well); a new content is a layout pass,
        so only when it changed."""
        if line != self._line:
            self._line = line
            self.update(Text(line, style=Style(dim=True) if quiet else Style()))

    @property
    def line(self) -> str:
        return self._line
