"""Python's cyclic garbage collector while the process starts.

Starting, the process builds what it keeps for its whole life: modules, classes, the parser, the
dashboard's widgets. The collector would walk those objects again and again as they are made
and find nothing to free (the dashboard's first frame: ~35 ms of 0.6 s). So it is paused at the
start of the command line and resumed once the start is over (a one-shot command before it runs,
the dashboard after its first frame), with everything made until then frozen: never walked
again, which also makes the long-running dashboard's full collections cheaper.

Resumed, it also collects the young generation less often: every 10,000 new container objects
instead of Python's 700. The dashboard makes thousands of short-lived ones a second (results,
rows, Rich text and segments), which reference counting frees; at 700 the collector walked them
about three times a second to free next to nothing (50 environments: 1.9–2.6 ms of CPU a
second, 0.2 points of the dashboard's CPU; at 10,000: 0.6 ms, in ~8 ms pauses a quarter of a
minute apart; ``bench/profile_gc.py``). Older generations keep their thresholds.

Only the real command line pauses it (``main()`` called with no arguments): a test calling
``main(argv)`` in its own process leaves the collector alone.
"""

from __future__ import annotations

import gc

_paused = False

YOUNG_THRESHOLD = 10_000  # new container objects between two young collections (Python: 700)


def pause() -> None:
    """Stop collecting until :func:`resume` (no-op if the collector is already off)."""
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def resume() -> None:
    """Freeze what exists and collect again (the young generation at YOUNG_THRESHOLD), if
    :func:`pause` stopped the collector; safe to call any number of times, from anywhere."""
    global _paused
    if _paused:
        _paused = False
        gc.freeze()
        _young, *older = gc.get_threshold()
        gc.set_threshold(YOUNG_THRESHOLD, *older)
        gc.enable()
