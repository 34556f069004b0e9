"""One line on a terminal's stderr while a one-shot command waits: who for, and for how long.

``waiting for production (3 s)…``, rewritten in place, erased before the command prints. Nothing
at all when stderr is not a terminal (a pipe, a CI log, a file) or for a wait under a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import time
from collections.abc import Callable, Sequence
from typing import TextIO

GRACE = 1.0  # a command that answers within a second shows nothing
TICK = 0.25


def is_terminal(stream: TextIO) -> bool:
    if os.environ.get("TERM") == "dumb":
        return False
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):  # closed or replaced streams
        return False


def waiting_line(names: Sequence[str], elapsed: float, width: int) -> str:
    """``waiting for production, uat (3 s)…``; at most three names, cut to ``width``."""
    shown = ", ".join(names[:3])
    if len(names) > 3:
        shown += f" and {len(names) - 3} more"
    text = f"waiting for {shown} ({int(elapsed)} s)…"
    return text if len(text) < width else text[: max(1, width - 2)] + "…"


class Waiting:
    """The progress line; :meth:`watch` runs it until the wait is over, then it is erased."""

    def __init__(
        self, stream: TextIO, *, grace: float = GRACE, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.stream = stream
        self.enabled = is_terminal(stream)
        self.grace = grace
        self.clock = clock
        self.shown = False
        self._last = ""

    async def watch(self, pending: Callable[[], Sequence[str]]) -> None:
        """Until cancelled: every tick, the names ``pending`` gives (none: the line goes)."""
        if not self.enabled:
            return
        started = self.clock()
        try:
            while True:
                await asyncio.sleep(TICK)
                elapsed = self.clock() - started
                names = pending()
                if elapsed >= self.grace and names:
                    width = shutil.get_terminal_size((80, 24)).columns
                    line = waiting_line(names, elapsed, width)
                    if line != self._last:  # a terminal over SSH gets one write a second
                        self._write("\r" + line + "\x1b[K")
                        self._last = line
                    self.shown = True
                elif self.shown:
                    self.clear()
        finally:
            self.clear()

    def clear(self) -> None:
        if self.shown:
            self._write("\r\x1b[K")
            self.shown = False
            self._last = ""

    def _write(self, text: str) -> None:
        with contextlib.suppress(OSError, ValueError):  # a terminal gone is not the command's error
            self.stream.write(text)
            self.stream.flush()
