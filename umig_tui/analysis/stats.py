"""Small statistics for windows of samples: mean, nearest-rank percentiles, change."""

from __future__ import annotations

import math
from collections.abc import Sequence

import msgspec


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100) of ``values``; None when there are none."""
    return _ranked(sorted(values), q)


def _ranked(ordered: Sequence[float], q: float) -> float | None:
    if not ordered:
        return None
    rank = max(1, math.ceil(q / 100.0 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


class WindowStats(msgspec.Struct, frozen=True):
    count: int
    avg: float | None
    min: float | None
    max: float | None
    p95: float | None
    p99: float | None

    @classmethod
    def of(cls, values: Sequence[float]) -> WindowStats:
        ordered = sorted(values)  # once: a 7-day window holds some 40,000 raw samples
        return cls(
            count=len(values),
            avg=mean(values),
            min=ordered[0] if ordered else None,
            max=ordered[-1] if ordered else None,
            p95=_ranked(ordered, 95),
            p99=_ranked(ordered, 99),
        )


def relative_change(current: float | None, baseline: float | None) -> float | None:
    """(current - baseline) / baseline; None when either is missing or the baseline is 0."""
    if current is None or baseline is None or baseline == 0:
        return None
    return (current - baseline) / abs(baseline)
