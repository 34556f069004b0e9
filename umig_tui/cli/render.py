"""Plain-text tables for the one-shot commands (kept light: no Rich import on this path)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from typing import TextIO

import msgspec

_STATUS_CODES = {
    "healthy": "32",
    "degraded": "33",
    "unhealthy": "31",
    "unreachable": "1;31",
    "unknown": "2",
    "CRITICAL": "1;31",
    "HIGH": "31",
    "MEDIUM": "33",
    "LOW": "36",
}


def wants_color(stream: TextIO) -> bool:
    """Colour on a terminal unless NO_COLOR is set or TERM is dumb (no-color.org)."""
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return bool(getattr(stream, "isatty", lambda: False)())


class Cell(msgspec.Struct, frozen=True):
    text: str
    style: str | None = None  # a key of _STATUS_CODES, or an SGR code


def table(
    headers: Sequence[str],
    rows: Sequence[Sequence[Cell | str]],
    *,
    color: bool,
    width: int | None = None,
    flexible: int | None = None,
) -> str:
    """Columns sized to their content; only column ``flexible`` is cut to fit ``width``.

    Versions and names are never cut: a cut version string is a wrong version string.
    """
    cells = [[c if isinstance(c, Cell) else Cell(c) for c in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell.text))
    if width is not None and flexible is not None:
        others = sum(w for i, w in enumerate(widths) if i != flexible) + 2 * (len(widths) - 1)
        widths[flexible] = max(len(headers[flexible]), min(widths[flexible], width - others))
    lines = ["  ".join(h.upper().ljust(widths[i]) for i, h in enumerate(headers)).rstrip()]
    for row in cells:
        parts = []
        for i, cell in enumerate(row):
            text = cell.text
            if len(text) > widths[i]:
                text = text[: max(1, widths[i] - 1)] + "…"
            padded = text.ljust(widths[i]) if i < len(row) - 1 else text
            parts.append(paint(padded, cell.style, color))
        lines.append("  ".join(parts).rstrip())
    return "\n".join(lines)


def paint(text: str, style: str | None, color: bool) -> str:
    if not color or not style:
        return text
    code = _STATUS_CODES.get(style, style)
    return f"\x1b[{code}m{text}\x1b[0m"


def terminal_width(stream: TextIO) -> int | None:
    if not getattr(stream, "isatty", lambda: False)():
        return None
    return shutil.get_terminal_size((120, 24)).columns


def dash(value: object) -> str:
    return "-" if value is None or value == "" else str(value)
