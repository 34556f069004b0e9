"""Recent values per (environment, metric) in fixed time buckets: what sparklines draw.

Seeded from the store at start (so a restart shows history at the first frame), then fed live.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping


class RecentSeries:
    """Bucketed averages of the last ``size`` buckets of ``bucket`` seconds per key."""

    def __init__(self, bucket: float, size: int = 60) -> None:
        self.bucket = max(1.0, bucket)
        self.size = size
        # key -> deque of [bucket_index, sum, count], oldest first
        self._data: dict[tuple[str, str], deque[list[float]]] = {}
        # key -> (newest bucket, width, values): the dashboard asks for every key each second,
        # and most have had no sample since (health and metrics every 5 s or more)
        self._drawn: dict[tuple[str, str], tuple[int, int, list[float | None]]] = {}

    def _index(self, ts: float) -> int:
        return int(ts // self.bucket)

    def add(self, key: tuple[str, str], ts: float, value: float) -> None:
        index = self._index(ts)
        buckets = self._data.setdefault(key, deque(maxlen=self.size))
        if buckets and buckets[-1][0] == index:
            buckets[-1][1] += value
            buckets[-1][2] += 1
            self._drawn.pop(key, None)
        elif not buckets or buckets[-1][0] < index:
            buckets.append([index, value, 1])
            self._drawn.pop(key, None)
        # a value older than the newest bucket is dropped: sparklines only move forward

    def seed(self, history: Mapping[tuple[str, str], Iterable[tuple[float, float, int]]]) -> None:
        """Load (bucket start ts, sum, count) rows, oldest first, for each key."""
        for key, rows in history.items():
            self._drawn.pop(key, None)
            buckets = self._data.setdefault(key, deque(maxlen=self.size))
            for ts, total, count in rows:
                index = self._index(ts)
                if not buckets or buckets[-1][0] < index:
                    buckets.append([index, total, count])

    def values(
        self, key: tuple[str, str], now: float, width: int | None = None
    ) -> list[float | None]:
        """Averages for the last ``width`` buckets ending at ``now``; None where no sample fell."""
        width = width or self.size
        end = self._index(now)
        drawn = self._drawn.get(key)
        if drawn is not None and drawn[0] == end and drawn[1] == width:
            return list(drawn[2])
        start = end - width + 1
        out: list[float | None] = [None] * width
        for index, total, count in reversed(self._data.get(key, ())):  # newest first
            if index < start:
                break
            if index <= end and count:
                out[int(index) - start] = total / count
        self._drawn[key] = (end, width, out)
        return list(out)

    def latest(self, key: tuple[str, str]) -> float | None:
        buckets = self._data.get(key)
        if not buckets:
            return None
        last = buckets[-1]
        return last[1] / last[2] if last[2] else None
