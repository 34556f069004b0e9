"""Standard output that cannot fail a command: the exit code says what the command found,
whatever became of its output (`| head -0` closed it, `> /dev/full` has no room)."""

from __future__ import annotations

import os
import sys
from typing import Any, TextIO

EXIT_IOERR = 74  # sysexits: an input/output error


class GuardedOutput:
    """Wraps ``sys.stdout``: a closed pipe is ignored from then on, any other write error is
    kept for the end (one line, exit 74)."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self.closed_pipe = False
        self.error: OSError | None = None

    def _sink(self) -> None:
        """Everything written from now on goes nowhere (and the exit flush cannot raise)."""
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self._stream.fileno())
        except (OSError, ValueError):
            pass

    def _guard(self, action: Any, *args: Any) -> Any:
        if self.closed_pipe or self.error is not None:
            return None
        try:
            return action(*args)
        except BrokenPipeError:
            self.closed_pipe = True
            self._sink()
        except OSError as exc:
            self.error = exc
            self._sink()
        return None

    def write(self, text: str) -> int:
        self._guard(self._stream.write, text)
        return len(text)

    def flush(self) -> None:
        self._guard(self._stream.flush)

    def __getattr__(self, name: str) -> Any:  # isatty, fileno, encoding …
        return getattr(self._stream, name)


def guard_stdout() -> GuardedOutput:
    guarded = GuardedOutput(sys.stdout)
    sys.stdout = guarded
    return guarded


def finish(guarded: GuardedOutput, code: int) -> int:
    """The command's own code, or 74 with one line when its output could not be written."""
    guarded.flush()
    if guarded.error is not None:
        reason = guarded.error.strerror or type(guarded.error).__name__
        print(f"umig-tui: cannot write output: {reason}", file=sys.stderr)
        return EXIT_IOERR
    return code
