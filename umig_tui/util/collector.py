"""Python's cyclic garbage collector while the process starts.

Starting, the process builds what it keeps for its whole life: modules, classes, the parser, the
dashboard's widgets. The collector would walk those objects again and again as they are made
and find nothing to free (the dashboard's first frame: ~35 ms of 0.6 s). So it is paused at the
start of the command line and resumed once the start is over (a one-shot command before it runs,
the dashboard after its first frame), with everything made until then frozen: never walked
again, which also makes the long-running dashboard's full collections cheaper.

Only the real command line pauses it (``main()`` called with no arguments): a test calling
``main(argv)`` in its own process leaves the collector alone.
"""

from __future__ import annotations

import gc

_paused = False


def pause() -> None:
    """Stop collecting until :func:`resume` (no-op if the collector is already off)."""
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def resume() -> None:
    """Freeze what exists and collect again, if :func:`pause` stopped the collector; safe to
    call any number of times, from anywhere."""
    global _paused
    if _paused:
        _paused = False
        gc.freeze()
        gc.enable()
