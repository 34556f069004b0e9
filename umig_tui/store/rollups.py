"""The minute and hour rollups of the samples a batch writes, and the minute still being filled.

A rollup row is a B-tree page of its own series: written at every sample, a long-running
writer rewrote each series' minute and hour pages twelve times a minute (polled every 5 s),
and a store holding a few hours of history spent more on that than on the samples themselves.
The recording dashboard therefore holds the newest minute's sums in memory (``hold``) and
writes them once, when a sample of a later minute arrives (or the writer is idle, flushed or
closed). Every sample before ``through`` is in the rollups; none at or after it is, and
``through`` is kept in the store's meta table with the samples it covers, so a writer that
died holding a minute has it rolled up from the samples by the next one (``recover``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

# (n, sum, min, max) of the samples of one series in one bucket.
Sums = tuple[int, float, float, float]
Row = tuple[int, int, int, float, float, float]  # series_id, bucket, n, vsum, vmin, vmax

THROUGH_KEY = "rollups_through"  # meta: the first minute (epoch s) not in the rollups yet

UPSERT = (
    "INSERT INTO {table} (series_id, bucket, n, vsum, vmin, vmax) VALUES (?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (series_id, bucket) DO UPDATE SET n = n + excluded.n, "
    "vsum = vsum + excluded.vsum, vmin = min(vmin, excluded.vmin), vmax = max(vmax, excluded.vmax)"
)

# The rollups of one series' samples from ts >= ? to ts <= ? (ms), summed by SQLite and merged
# into buckets that already hold some (the demo's seeded week, a dead writer's held minute).
FROM_SAMPLES = (
    "INSERT INTO {table} (series_id, bucket, n, vsum, vmin, vmax) "
    "SELECT series_id, ts / ({size} * 1000) * {size}, count(*), sum(value), min(value), "
    "max(value) FROM samples WHERE series_id = ? AND ts >= ? AND ts <= ? "
    "GROUP BY series_id, ts / ({size} * 1000) "
    "ON CONFLICT (series_id, bucket) DO UPDATE SET n = n + excluded.n, "
    "vsum = vsum + excluded.vsum, vmin = min(vmin, excluded.vmin), vmax = max(vmax, excluded.vmax)"
)

LATEST_TS = 2**62  # "to the end" for FROM_SAMPLES


class Folded(NamedTuple):
    minutes: list[Row]  # rows for rollup_1m
    hours: list[Row]  # rows for rollup_1h
    held: dict[tuple[int, int], Sums]  # (series_id, minute) still in memory
    through: int | None  # every sample before this minute (epoch s) is in the rows written


def _add(sums: Sums | None, value: float) -> Sums:
    if sums is None:
        return (1, value, value, value)
    n, total, low, high = sums
    return (n + 1, total + value, low if low <= value else value, high if high >= value else value)


def _merge(a: Sums | None, b: Sums) -> Sums:
    if a is None:
        return b
    return (a[0] + b[0], a[1] + b[1], min(a[2], b[2]), max(a[3], b[3]))


def fold(
    samples: Sequence[tuple[int, int, float]],
    held: dict[tuple[int, int], Sums],
    through: int | None,
    *,
    hold: bool,
) -> Folded:
    """The rollup rows to write for ``samples`` (``(series_id, ts_ms, value)``), given the
    minutes ``held`` so far. With ``hold`` the newest minute seen stays held; without, the held
    minutes go out, then every sample as a row of its own (summed by SQLite one by one, as a
    one-shot command always wrote them). ``held`` is not changed: a batch whose transaction
    fails is retried with the same state."""
    if not hold:
        minutes = [(s, b, *sums) for (s, b), sums in held.items()]
        hours = [(s, b, *sums) for (s, b), sums in _hours(held).items()]
        minutes += [(s, ts // 60000 * 60, 1, v, v, v) for s, ts, v in samples]
        hours += [(s, ts // 3600000 * 3600, 1, v, v, v) for s, ts, v in samples]
        return Folded(minutes, hours, {}, None)
    sums = dict(held)
    touched: set[tuple[int, int]] = set()
    newest = through
    for series_id, ts, value in samples:
        minute = ts // 60000 * 60
        key = (series_id, minute)
        sums[key] = _add(sums.get(key), value)
        touched.add(key)
        if newest is None or minute > newest:
            newest = minute
    if newest is None:
        return Folded([], [], sums, None)
    if newest == through:  # no new minute: only late samples (an older minute) go out now
        out = {key: sums.pop(key) for key in touched if key[1] < newest}
        keep = sums
    else:
        out = {key: held_sums for key, held_sums in sums.items() if key[1] < newest}
        keep = {key: held_sums for key, held_sums in sums.items() if key[1] >= newest}
    return Folded(
        [(s, b, *row) for (s, b), row in out.items()],
        [(s, b, *row) for (s, b), row in _hours(out).items()],
        keep,
        newest,
    )


def _hours(minutes: dict[tuple[int, int], Sums]) -> dict[tuple[int, int], Sums]:
    hours: dict[tuple[int, int], Sums] = {}
    for (series_id, minute), minute_sums in minutes.items():
        hour = (series_id, minute // 3600 * 3600)
        hours[hour] = _merge(hours.get(hour), minute_sums)
    return hours


def recovery_spans(series_ids: Iterable[int], through: int) -> list[tuple[int, int, int]]:
    """FROM_SAMPLES parameters rolling up every sample from minute ``through`` on."""
    return [(series_id, through * 1000, LATEST_TS) for series_id in series_ids]
