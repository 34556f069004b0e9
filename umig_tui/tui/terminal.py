"""The terminal going away (an SSH drop, a killed tmux pane): exit cleanly, never hang."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Callable
from functools import partial
from types import FrameType


def exit_on_hangup(exit_with: Callable[[int], None]) -> None:
    """SIGHUP exits 129, SIGTERM 143 (the store is closed on the way out)."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGHUP, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, partial(exit_with, 129 if sig == signal.SIGHUP else 143))


def no_resume_after_hangup() -> None:
    """A hang-up comes with SIGCONT, and Textual's driver answers SIGCONT by restarting
    application mode: with the terminal gone, that starts a writer thread which dies on its
    first write, and the shutdown then waits for it for ever. No terminal, no resume."""
    resume = signal.getsignal(signal.SIGCONT)

    def on_sigcont(signum: int, frame: FrameType | None) -> None:
        out = sys.__stdout__
        with contextlib.suppress(OSError, ValueError):
            if out is not None and os.isatty(out.fileno()) and callable(resume):
                resume(signum, frame)

    with contextlib.suppress(ValueError):  # signals are for the main thread only
        signal.signal(signal.SIGCONT, on_sigcont)
