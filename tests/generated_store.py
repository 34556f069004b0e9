"""A store filled with days of chosen health polls, as Store.write and Store.prune leave it.

Every environment polls health every 30 s; each poll writes what ``samples_from_result`` makes
of a health document (poll_ok:health, health_up, response_time_ms, error_rate) or of a failed
poll (poll_ok:health = 0, health_up = 0). Rollups are summed in the same order the store's
upserts add them, and only what retention keeps is written: raw samples for ``raw_retention``,
minute rollups for ``minute_retention``, hour rollups for ``retention``. A test
(``test_windows.py``) checks the result row for row against Store.write + Store.prune.

Values are chosen per environment: a base response time and error rate, stretches that override
them (a constant or a function of the poll's timestamp), and the timestamps of failed polls.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from umig_tui.config import StoreSettings
from umig_tui.metrics import ERROR_RATE, HEALTH_UP, RESPONSE_TIME, poll_ok
from umig_tui.store.connect import statements
from umig_tui.store.schema import MIGRATIONS

MINUTE, HOUR, DAY = 60, 3600, 86400
STEP = 30  # seconds between health polls (seed 000 §3.1)
POLL_OK = poll_ok("health")
SERIES = (POLL_OK, HEALTH_UP, RESPONSE_TIME, ERROR_RATE)

Value = float | Callable[[int], float]


@dataclass(frozen=True)
class Stretch:
    """``value`` for polls in [start, end) (epoch seconds)."""

    start: int
    end: int
    value: Value

    def at(self, t: int) -> float:
        return self.value(t) if callable(self.value) else self.value


@dataclass(frozen=True)
class EnvHistory:
    response_ms: float = 100.0
    error_rate: float = 0.002
    response: tuple[Stretch, ...] = ()
    errors: tuple[Stretch, ...] = ()
    failures: frozenset[int] = frozenset()  # timestamps of failed health polls

    def samples(self, t: int) -> list[tuple[str, float]]:
        """What one health poll at ``t`` writes, in samples_from_result's order."""
        if t in self.failures:
            return [(POLL_OK, 0.0), (HEALTH_UP, 0.0)]
        return [
            (POLL_OK, 1.0),
            (HEALTH_UP, 1.0),
            (RESPONSE_TIME, _pick(self.response, t, self.response_ms)),
            (ERROR_RATE, _pick(self.errors, t, self.error_rate)),
        ]

    def plain(self, lo: int, hi: int) -> bool:
        """No stretch and no failure in [lo, hi): every poll writes the base values."""
        if any(s.start < hi and lo < s.end for s in (*self.response, *self.errors)):
            return False
        return not any(lo <= t < hi for t in self.failures)

    def base(self) -> list[tuple[str, float]]:
        return [
            (POLL_OK, 1.0),
            (HEALTH_UP, 1.0),
            (RESPONSE_TIME, self.response_ms),
            (ERROR_RATE, self.error_rate),
        ]


def _pick(stretches: tuple[Stretch, ...], t: int, default: float) -> float:
    for stretch in stretches:
        if stretch.start <= t < stretch.end:
            return stretch.at(t)
    return default


@cache
def repeated_sum(value: float, n: int) -> float:
    """``value`` added ``n`` times one by one, as the rollup upserts add it."""
    total = 0.0
    for _ in range(n):
        total += value
    return total


def poll_times(start: int, lo: int, hi: int) -> range:
    """Poll timestamps (start + k·STEP) in [lo, hi)."""
    first = start + math.ceil(max(0, lo - start) / STEP) * STEP
    return range(first, hi, STEP)


def create_schema(connection: sqlite3.Connection) -> None:
    """The same migrations Store.open runs, in one go."""
    for number, script in enumerate(MIGRATIONS):
        for statement in statements(script):
            connection.execute(statement)
        connection.execute(f"PRAGMA user_version = {number + 1}")


@dataclass
class _Rows:
    samples: list[tuple[int, int, float]]
    minute: list[tuple[int, int, int, float, float, float]]
    hour: list[tuple[int, int, int, float, float, float]]


def _env_rows(
    history: EnvHistory,
    ids: Mapping[str, int],
    *,
    start: int,
    now: int,
    settings: StoreSettings,
) -> _Rows:
    raw_cut = int((now - settings.raw_retention) * 1000)
    minute_cut = int(now - settings.minute_retention)
    hour_cut = int(now - settings.retention)
    rows = _Rows([], [], [])
    for h in range(start // HOUR * HOUR, now, HOUR):
        lo, hi = max(h, start), min(h + HOUR, now)
        times = poll_times(start, lo, hi)
        if not times:
            continue
        if history.plain(lo, hi):
            _plain_hour(rows, history, ids, times, h, raw_cut, minute_cut, hour_cut)
            continue
        hour_acc: dict[str, list[float]] = {}
        minute_acc: dict[tuple[str, int], list[float]] = {}
        for t in times:
            minute = t // MINUTE * MINUTE
            for name, value in history.samples(t):
                if t * 1000 >= raw_cut:
                    rows.samples.append((ids[name], t * 1000, value))
                if minute >= minute_cut:
                    _accumulate(minute_acc.setdefault((name, minute), []), value)
                _accumulate(hour_acc.setdefault(name, []), value)
        rows.minute += [
            (ids[name], minute, int(a[0]), a[1], a[2], a[3])
            for (name, minute), a in minute_acc.items()
        ]
        if h >= hour_cut:
            rows.hour += [
                (ids[name], h, int(a[0]), a[1], a[2], a[3]) for name, a in hour_acc.items()
            ]
    return rows


def _accumulate(acc: list[float], value: float) -> None:
    if not acc:
        acc.extend((1, value, value, value))
    else:
        acc[0] += 1
        acc[1] += value
        acc[2] = min(acc[2], value)
        acc[3] = max(acc[3], value)


def _plain_hour(
    rows: _Rows,
    history: EnvHistory,
    ids: Mapping[str, int],
    times: range,
    h: int,
    raw_cut: int,
    minute_cut: int,
    hour_cut: int,
) -> None:
    base = history.base()
    if h >= hour_cut:
        n = len(times)
        rows.hour += [(ids[name], h, n, repeated_sum(v, n), v, v) for name, v in base]
    if times[-1] // MINUTE * MINUTE >= minute_cut:
        per_minute: dict[int, int] = {}
        for t in times:
            minute = t // MINUTE * MINUTE
            if minute >= minute_cut:
                per_minute[minute] = per_minute.get(minute, 0) + 1
        rows.minute += [
            (ids[name], minute, n, repeated_sum(v, n), v, v)
            for minute, n in per_minute.items()
            for name, v in base
        ]
    if times[-1] * 1000 >= raw_cut:
        rows.samples += [
            (ids[name], t * 1000, v) for t in times if t * 1000 >= raw_cut for name, v in base
        ]


def build(
    path: Path,
    histories: Mapping[str, EnvHistory],
    *,
    now: int,
    days: float,
    settings: StoreSettings,
) -> Path:
    """Write ``days`` of polls up to ``now`` (exclusive) for every environment into ``path``."""
    start = int(now - days * DAY)
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        # A file being built from scratch: nothing to protect until it is complete.
        connection.execute("PRAGMA journal_mode = OFF")
        connection.execute("PRAGMA synchronous = OFF")
        connection.execute("PRAGMA cache_size = -262144")
        create_schema(connection)
        connection.execute("BEGIN")
        for env, history in histories.items():
            connection.executemany(
                "INSERT INTO series (env, metric) VALUES (?, ?)", [(env, s) for s in SERIES]
            )
            ids = {
                metric: sid
                for sid, metric in connection.execute(
                    "SELECT id, metric FROM series WHERE env = ?", (env,)
                )
            }
            rows = _env_rows(history, ids, start=start, now=now, settings=settings)
            connection.executemany("INSERT INTO samples VALUES (?, ?, ?)", sorted(rows.samples))
            for table, data in (("rollup_1m", rows.minute), ("rollup_1h", rows.hour)):
                connection.executemany(
                    f"INSERT INTO {table} VALUES (?, ?, ?, ?, ?, ?)", sorted(data)
                )
        connection.execute("COMMIT")
    finally:
        connection.close()
    return path


def table_by_name(path: Path, table: str) -> Iterator[tuple[object, ...]]:
    """Rows of a samples or rollup table with the series id replaced by (env, metric), sorted."""
    connection = sqlite3.connect(path)
    try:
        rows = connection.execute(
            f"SELECT x.env, x.metric, t.* FROM {table} t JOIN series x ON x.id = t.series_id"
        ).fetchall()
    finally:
        connection.close()
    for row in sorted(rows, key=lambda r: (r[0], r[1], r[3])):
        yield (row[0], row[1], *row[3:])


# -- the 90-day fleet the trend and SLO tests read ---------------------------------------------

NOW = 1_750_003_200  # on the hour: windows ending now cover whole hour buckets
DAYS = 90


def _alternating_within_minute(t: int) -> float:
    """100 ms at :00, 300 ms at :30: raw P95 is 300, every minute's average 200."""
    return 100.0 if t % MINUTE == 0 else 300.0


def _alternating_minutes(t: int) -> float:
    """Whole minutes at 100 ms and 300 ms in turn: minute P95 is 300, the hour's average 200."""
    return 100.0 if (t // MINUTE) % 2 == 0 else 300.0


def _every_30s(at: int, count: int) -> set[int]:
    return {at + STEP * k for k in range(count)}


# hotfix's failed health polls, by the newest window that contains them
HOTFIX_FAILURES = {
    "1h": _every_30s(NOW - 600, 3),
    "24h": _every_30s(NOW - 10 * HOUR, 9),
    "7d": _every_30s(NOW - 3 * DAY, 8),
    "30d": _every_30s(NOW - 25 * DAY, 40),
    "90d": _every_30s(NOW - 60 * DAY, 100),
}

FLEET: dict[str, EnvHistory] = {
    # Probes at the retention boundaries: raw vs minute rollups, minute vs hour rollups.
    "development": EnvHistory(
        error_rate=0.01,
        response=(
            Stretch(NOW - 7 * DAY, NOW - 7 * DAY + HOUR, _alternating_within_minute),
            Stretch(NOW - 14 * DAY, NOW - 14 * DAY + HOUR, _alternating_minutes),
        ),
    ),
    # Trends: the last 15 minutes against 1 h, 24 h and 7 d ago; a slower stretch 3 h ago.
    "uat": EnvHistory(
        error_rate=0.004,
        response=(
            Stretch(NOW - 900, NOW, 130.0),
            Stretch(NOW - 3 * HOUR, NOW - 2 * HOUR, 125.0),
            Stretch(NOW - DAY - 900, NOW - DAY, 120.0),
            Stretch(NOW - 7 * DAY - 900, NOW - 7 * DAY, 200.0),
        ),
        errors=(Stretch(NOW - 900, NOW, 0.008),),
    ),
    # Windows: one degraded hour 5 h ago (600 ms), one slow day 20 days ago (200 ms).
    "production": EnvHistory(
        error_rate=0.002,
        response=(
            Stretch(NOW - 5 * HOUR, NOW - 4 * HOUR, 600.0),
            Stretch(NOW - 20 * DAY, NOW - 19 * DAY, 200.0),
        ),
    ),
    # Availability: a known number of failed health polls per window.
    "hotfix": EnvHistory(
        error_rate=0.005,
        failures=frozenset().union(*HOTFIX_FAILURES.values()),
    ),
}


def ninety_day_store(directory: Path) -> Path:
    """The FLEET store in ``directory`` (built once; callers copy it before writing)."""
    path = directory / "ninety-days.db"
    if not path.exists():
        partial = directory / "ninety-days.db.partial"
        partial.unlink(missing_ok=True)
        build(partial, FLEET, now=NOW, days=DAYS, settings=StoreSettings())
        partial.rename(path)
    return path
