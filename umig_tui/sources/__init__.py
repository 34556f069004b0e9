"""Sources: HTTP clients, transports and parsers for what an environment answers.

httpx imports its command-line client on import (``httpx.main``: click, pygments and rich's
progress bars, ~65 ms of a 0.35 s start). Nothing here uses it, so until someone calls
``httpx.main`` it is a stand-in that loads the real one on first use.
"""

from __future__ import annotations

import importlib
import sys
import types


def _defer_httpx_cli() -> None:
    if "httpx" in sys.modules or "httpx._main" in sys.modules:
        return
    stand_in = types.ModuleType("httpx._main", "stand-in: the real httpx._main loads on use")

    def main(*args: object, **kwargs: object) -> object:
        if sys.modules.get("httpx._main") is stand_in:
            del sys.modules["httpx._main"]
        real = importlib.import_module("httpx._main")
        return real.main(*args, **kwargs)

    stand_in.main = main  # type: ignore[attr-defined]
    sys.modules["httpx._main"] = stand_in


_defer_httpx_cli()
