"""The environments table's sort orders: promotion order (the config's), then what `o` cycles to."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from packaging.version import Version

from umig_tui.analysis.versions import parse_version
from umig_tui.state.fleet import EnvView

# ``config`` keeps the config's order (promotion order); the others sort on a column.
SORTS: tuple[str, ...] = ("config", "status", "name", "version", "latency", "age")

SORT_COLUMN = {
    "status": "Status",
    "name": "Environment",
    "version": "Version",
    "latency": "Detail",  # health latency while all is well, else what is wrong
    "age": "Deployed",
}


def next_sort(current: str) -> str:
    return SORTS[(SORTS.index(current) + 1) % len(SORTS)] if current in SORTS else SORTS[0]


def _keys(now: float) -> dict[str, Callable[[EnvView], Any]]:
    from umig_tui.util.timefmt import parse_iso

    def age(view: EnvView) -> tuple[int, float]:
        deployed = parse_iso(view.deployed_at)
        # Most recently deployed first: that is where a new problem usually comes from.
        return (0, now - deployed) if deployed is not None else (1, 0.0)

    return {
        # Worst first; stale ones before fresh ones of the same status.
        "status": lambda v: (-v.status.rank, not v.stale, v.name),
        "name": lambda v: v.name.lower(),
        "version": lambda v: 0,  # sorted on its own below: newest first
        # Slowest first; no latency (unreachable) at the top, since it is the slowest of all.
        "latency": lambda v: (v.latency_ms is not None, -(v.latency_ms or 0.0)),
        "age": age,
    }


def sort_views(views: Sequence[EnvView], order: str, now: float) -> tuple[EnvView, ...]:
    """``views`` in ``order`` (one of SORTS); the config's order breaks ties (stable sort)."""
    if order == "version":
        readable = [v for v in views if parse_version(v.version) is not None]
        readable.sort(key=lambda v: parse_version(v.version) or Version("0"), reverse=True)
        return (*readable, *(v for v in views if parse_version(v.version) is None))
    key = _keys(now).get(order)
    return tuple(views) if key is None else tuple(sorted(views, key=key))
