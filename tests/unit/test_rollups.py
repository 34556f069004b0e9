"""The rollups a long-running writer holds for the newest minute: what goes out when, what a
flush, an idle writer, a close and a writer that died leave in the store."""

from __future__ import annotations

import asyncio
import random
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from umig_tui import metrics
from umig_tui.config import StoreSettings
from umig_tui.models import Endpoint, PollResult
from umig_tui.store import store as store_module
from umig_tui.store.rollups import THROUGH_KEY, Sums, fold
from umig_tui.store.store import Store

H = Endpoint.HEALTH
LATENCY = metrics.poll_latency("health")


def result(env: str, ts: float, value: float) -> PollResult:
    """A bare result: its samples are poll_ok:health = 1 and poll_latency_ms:health = value."""
    return PollResult(env, H, ts, value, value=None)


def minute_start(minutes_ago: int) -> int:
    """A minute start ``minutes_ago`` before ten past the hour two hours ago (so the next few
    minutes are in the same hour)."""
    return (int(time.time()) // 3600 - 2) * 3600 + 600 - minutes_ago * 60


def reference(samples: list[tuple[int, int, float]], size: int) -> dict[tuple[int, int], Sums]:
    out: dict[tuple[int, int], Sums] = {}
    for series_id, ts, value in samples:
        key = (series_id, ts // (size * 1000) * size)
        n, total, low, high = out.get(key, (0, 0.0, value, value))
        out[key] = (n + 1, total + value, min(low, value), max(high, value))
    return out


def summed(rows: list[tuple[int, int, int, float, float, float]]) -> dict[tuple[int, int], Sums]:
    out: dict[tuple[int, int], Sums] = {}
    for series_id, bucket, n, total, low, high in rows:
        key = (series_id, bucket)
        if key in out:
            m, t, lo, hi = out[key]
            out[key] = (m + n, t + total, min(lo, low), max(hi, high))
        else:
            out[key] = (n, total, low, high)
    return out


def close_enough(a: dict[tuple[int, int], Sums], b: dict[tuple[int, int], Sums]) -> bool:
    return a.keys() == b.keys() and all(
        a[k][0] == b[k][0] and a[k][2:] == b[k][2:] and a[k][1] == pytest.approx(b[k][1], rel=1e-12)
        for k in a
    )


# -- fold, by itself ---------------------------------------------------------------------------


def test_holding_writes_a_minute_once_a_later_one_arrives() -> None:
    base = minute_start(10) * 1000
    first = fold([(1, base + 1000, 5.0), (1, base + 6000, 7.0)], {}, None, hold=True)
    assert (first.minutes, first.hours) == ([], [])
    assert first.held == {(1, base // 1000): (2, 12.0, 5.0, 7.0)}
    assert first.through == base // 1000
    second = fold([(1, base + 61000, 1.0)], first.held, first.through, hold=True)
    hour = base // 1000 // 3600 * 3600
    assert second.minutes == [(1, base // 1000, 2, 12.0, 5.0, 7.0)]
    assert second.hours == [(1, hour, 2, 12.0, 5.0, 7.0)]
    assert second.held == {(1, base // 1000 + 60): (1, 1.0, 1.0, 1.0)}
    assert second.through == base // 1000 + 60
    assert first.held == {(1, base // 1000): (2, 12.0, 5.0, 7.0)}  # the input is left as it was


def test_a_late_sample_goes_out_at_once_and_the_held_minute_stays() -> None:
    base = minute_start(10)
    held = fold([(1, (base + 60) * 1000, 3.0)], {}, None, hold=True)
    late = fold([(2, base * 1000 + 500, 9.0)], held.held, held.through, hold=True)
    assert late.minutes == [(2, base, 1, 9.0, 9.0, 9.0)]
    assert late.held == held.held
    assert late.through == held.through


def test_without_holding_every_sample_is_a_row_after_the_held_minutes() -> None:
    base = minute_start(10)
    held = fold([(1, base * 1000, 2.0), (1, base * 1000 + 10, 4.0)], {}, None, hold=True)
    out = fold([(1, base * 1000 + 20, 6.0)], held.held, held.through, hold=False)
    assert out.minutes == [(1, base, 2, 6.0, 2.0, 4.0), (1, base, 1, 6.0, 6.0, 6.0)]
    assert out.held == {}
    assert out.through is None


def test_what_goes_out_and_what_is_held_add_up_to_every_sample() -> None:
    rng = random.Random(17)
    start = minute_start(200) * 1000
    samples = [
        (series_id, start + t * 1000 + rng.randrange(1000), round(rng.uniform(0, 50), 3))
        for t in range(0, 3 * 3600, 5)
        for series_id in range(6)
    ]
    samples += [(rng.randrange(6), start + rng.randrange(3600_000), 1.0) for _ in range(40)]  # late
    held: dict[tuple[int, int], Sums] = {}
    through: int | None = None
    minutes: list[tuple[int, int, int, float, float, float]] = []
    hours: list[tuple[int, int, int, float, float, float]] = []
    for offset in range(0, len(samples), 37):
        folded = fold(samples[offset : offset + 37], held, through, hold=True)
        minutes += folded.minutes
        hours += folded.hours
        held, through = folded.held, folded.through
        assert through is not None
        assert all(minute >= through for _, minute in held)
    last = fold([], held, through, hold=False)
    assert close_enough(summed(minutes + last.minutes), reference(samples, 60))
    assert close_enough(summed(hours + last.hours), reference(samples, 3600))
    assert len(minutes) < len(samples) / 5  # the point of holding: a row per minute, not per sample


# -- the store ---------------------------------------------------------------------------------


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await Store.open(tmp_path / "samples.db", StoreSettings())
    yield opened
    await opened.close()


async def rollups(store: Store, table: str) -> dict[int, tuple[int, float, float, float]]:
    rows = await store.query(
        f"SELECT r.bucket, r.n, r.vsum, r.vmin, r.vmax FROM {table} r JOIN series x "
        "ON x.id = r.series_id WHERE x.env = 'uat' AND x.metric = ?",
        (LATENCY,),
    )
    return {row[0]: tuple(row[1:]) for row in rows}


async def through(store: Store) -> int | None:
    rows = await store.query("SELECT value FROM meta WHERE key = ?", (THROUGH_KEY,))
    return int(rows[0][0]) if rows else None


async def until(condition: object, within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not await condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_the_background_writer_holds_the_newest_minute_and_flush_writes_it(
    store: Store,
) -> None:
    base = minute_start(0)
    store.batch_window = 0.0
    store.start()
    store.submit(result("uat", base + 1, 10.0))
    store.submit(result("uat", base + 2, 20.0))
    await until(lambda: _has_samples(store, 2))
    assert await rollups(store, "rollup_1m") == {}  # held, with the minute it holds on record
    assert await through(store) == base
    store.submit(result("uat", base + 61, 30.0))
    await until(lambda: _has_samples(store, 3))
    assert await rollups(store, "rollup_1m") == {base: (2, 30.0, 10.0, 20.0)}
    assert await through(store) == base + 60
    await store.flush()
    assert await rollups(store, "rollup_1m") == {
        base: (2, 30.0, 10.0, 20.0),
        base + 60: (1, 30.0, 30.0, 30.0),
    }
    assert await rollups(store, "rollup_1h") == {base // 3600 * 3600: (3, 60.0, 10.0, 30.0)}
    assert await through(store) is None


async def _has_samples(store: Store, count: int) -> bool:
    rows = await store.query(
        "SELECT count(*) FROM samples s JOIN series x ON x.id = s.series_id WHERE x.metric = ?",
        (LATENCY,),
    )
    return bool(rows[0][0] >= count)


async def test_an_idle_writer_writes_the_minute_it_holds(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "HELD_FOR", 0.2)
    base = minute_start(0)
    store.batch_window = 0.0
    store.start()
    store.submit(result("uat", base + 1, 10.0))
    await until(lambda: _rolled(store, base))
    assert await through(store) is None


async def _rolled(store: Store, bucket: int) -> bool:
    return bucket in await rollups(store, "rollup_1m")


async def test_close_writes_the_held_minute(tmp_path: Path) -> None:
    path = tmp_path / "samples.db"
    base = minute_start(0)
    store = await Store.open(path, StoreSettings())
    store.start()
    store.submit(result("uat", base + 1, 10.0))
    await store.close()
    again = await Store.open(path, StoreSettings())
    try:
        assert await rollups(again, "rollup_1m") == {base: (1, 10.0, 10.0, 10.0)}
        assert await through(again) is None
    finally:
        await again.close()


async def test_rollups_are_the_same_held_or_written_at_once(tmp_path: Path) -> None:
    base = minute_start(180)
    rng = random.Random(5)
    results = [
        result("uat", base + t + rng.random(), rng.uniform(1, 90)) for t in range(0, 9000, 5)
    ]
    direct = await Store.open(tmp_path / "direct.db", StoreSettings())
    held = await Store.open(tmp_path / "held.db", StoreSettings())
    try:
        for offset in range(0, len(results), 7):
            assert await direct.write(results[offset : offset + 7])
            assert await held.write(results[offset : offset + 7], hold=True)
        await held.flush()
        for table in ("rollup_1m", "rollup_1h"):
            a, b = await rollups(direct, table), await rollups(held, table)
            assert a.keys() == b.keys()
            assert len(a) > 2
            for bucket, (n, total, low, high) in a.items():
                assert b[bucket][0] == n
                assert b[bucket][2:] == (low, high)
                assert b[bucket][1] == pytest.approx(total, rel=1e-12)
    finally:
        await direct.close()
        await held.close()


DIES_HOLDING = """
import asyncio, os, sys, time
from pathlib import Path
from umig_tui.config import StoreSettings
from umig_tui.models import Endpoint, PollResult
from umig_tui.store.store import Store

async def main():
    store = await Store.open(Path(sys.argv[1]), StoreSettings())
    base = int(sys.argv[2])
    for i, ts in enumerate((base + 1, base + 2, base + 61, base + 62)):
        assert await store.write([PollResult("uat", Endpoint.HEALTH, ts, 10.0 * (i + 1))], hold=True)
    print("held", flush=True)
    os._exit(0)  # no flush, no close: as a killed dashboard leaves it

asyncio.run(main())
"""


async def test_the_minute_a_dead_writer_held_is_rolled_up_by_the_next(tmp_path: Path) -> None:
    path = tmp_path / "samples.db"
    base = minute_start(0)
    done = subprocess.run(  # noqa: ASYNC221 - the test waits for the child by design
        [sys.executable, "-c", DIES_HOLDING, str(path), str(base)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "held"
    store = await Store.open(path, StoreSettings())
    try:
        assert await rollups(store, "rollup_1m") == {
            base: (2, 30.0, 10.0, 20.0),
            base + 60: (2, 70.0, 30.0, 40.0),
        }
        assert await rollups(store, "rollup_1h") == {base // 3600 * 3600: (4, 100.0, 10.0, 40.0)}
        assert await through(store) is None
    finally:
        await store.close()
