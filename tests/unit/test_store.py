"""The SQLite store: schema, samples, rollups, latest, errors, events, batching, queries, retention."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import gc
import sqlite3
import subprocess
import sys
import time
import warnings
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from msgspec.structs import replace

from tests.conftest import seed_path
from umig_tui import metrics
from umig_tui.config import StoreSettings
from umig_tui.demo.simulator import Simulator
from umig_tui.events import POLLER, WATCH, AlertChange, Deployment, Event, EventKind, StatusChange
from umig_tui.models import (
    ComponentsStatus,
    Endpoint,
    ErrorKind,
    FetchError,
    HealthSnapshot,
    MetricsSnapshot,
    PollResult,
    VersionInfo,
)
from umig_tui.sources.parse import parse_document
from umig_tui.store.queries import latest_rows, restore_results, series_points
from umig_tui.store.samples import RECENT_PER_SERIES, distinct_times, samples_from_result
from umig_tui.store.schema import SCHEMA_VERSION
from umig_tui.store.sparklines import bucketed_history
from umig_tui.store.store import Store, StoreUnavailable

H, V, C, M = Endpoint.HEALTH, Endpoint.VERSION, Endpoint.COMPONENTS, Endpoint.METRICS
PREFIX = "/rest/scriptrunner/latest/custom/"
DAY = 86400.0


def good(
    sim: Simulator, env: str, endpoint: Endpoint, ts: float, latency: float = 10.0
) -> PollResult:
    """A successful result carrying the simulator's real document for ``endpoint``."""
    raw = sim.respond(env, seed_path(endpoint)).body.decode()
    return PollResult(env, endpoint, ts, latency, value=parse_document(endpoint, raw), raw=raw)


def bad(
    env: str,
    endpoint: Endpoint,
    ts: float,
    kind: ErrorKind = ErrorKind.CONNECT_ERROR,
    latency: float | None = 3.0,
    status: int | None = None,
) -> PollResult:
    return PollResult(env, endpoint, ts, latency, error=FetchError(kind, f"{kind} here", status))


def latency(env: str, endpoint: Endpoint, ts: float, value: float) -> PollResult:
    """A bare result whose only numbers are poll_ok and poll_latency_ms."""
    return PollResult(env, endpoint, ts, value, value=None)


def hour_start(hours_ago: int) -> int:
    return (int(time.time()) // 3600 - hours_ago) * 3600


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await Store.open(tmp_path / "store" / "samples.db", StoreSettings())
    yield opened
    await opened.close()


def sql(path: Path, query: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    """Read with a plain sqlite3 connection, as another tool would."""
    connection = sqlite3.connect(path)
    try:
        return list(connection.execute(query, params))
    finally:
        connection.close()


# -- opening --------------------------------------------------------------------------------


async def test_open_creates_the_schema_in_wal_mode(store: Store) -> None:
    assert store.writable
    assert store.notice is None
    assert sql(store.path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    assert sql(store.path, "PRAGMA journal_mode") == [("wal",)]
    tables = {
        row[0] for row in sql(store.path, "SELECT name FROM sqlite_master WHERE type='table'")
    }
    assert {
        "series",
        "samples",
        "rollup_1m",
        "rollup_1h",
        "latest",
        "poll_errors",
        "events",
    } <= tables


async def test_reopening_is_idempotent_and_keeps_the_data(tmp_path: Path) -> None:
    path = tmp_path / "samples.db"
    first = await Store.open(path, StoreSettings())
    assert await first.write([bad("uat", H, time.time())])
    await first.close()
    for _ in range(2):
        again = await Store.open(path, StoreSettings())
        assert again.writable
        assert again.notice is None
        assert len(await latest_rows(again)) == 1
        await again.close()
    assert sql(path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]


async def test_a_store_from_a_newer_umig_tui_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    connection = sqlite3.connect(path)
    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    connection.close()
    with pytest.raises(StoreUnavailable, match=r"schema version \d+ is newer than this umig-tui"):
        await Store.open(path, StoreSettings())
    assert sql(path, "PRAGMA journal_mode") == [("delete",)]  # not switched to WAL
    assert sql(path, "PRAGMA user_version") == [(SCHEMA_VERSION + 5,)]


@contextlib.contextmanager
def held_lock(db: Path) -> Iterator[None]:
    """Hold the store's advisory lock, as a recording instance does."""
    with open(f"{db}.lock", "a+") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        yield


def leaked_connections(caught: list[warnings.WarningMessage]) -> list[str]:
    return [str(w.message) for w in caught if "deleted before being closed" in str(w.message)]


async def test_a_refused_store_leaves_no_connection_open(tmp_path: Path) -> None:
    # An unclosed aiosqlite connection keeps a thread alive (and hangs or breaks exit).
    future = tmp_path / "future.db"
    connection = sqlite3.connect(future)
    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    connection.close()
    corrupt = tmp_path / "corrupt.db"
    corrupt.write_bytes(b"\x00" * 8192)
    # another instance "records" the corrupt file: only the reader connection tries it
    with held_lock(corrupt), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        for path in (future, corrupt):
            with pytest.raises(StoreUnavailable):
                await Store.open(path, StoreSettings())
        gc.collect()
    assert leaked_connections(caught) == []


async def test_a_path_with_uri_characters_opens_the_right_file(tmp_path: Path) -> None:
    path = tmp_path / "odd #1?x=%20" / "samples.db"
    store = await Store.open(path, StoreSettings())
    assert await store.write([bad("uat", H, time.time())])
    assert len(await latest_rows(store)) == 1  # the reader sees the writer's file
    await store.close()
    assert sorted(p.name for p in path.parent.iterdir()) == ["samples.db", "samples.db.lock"]


async def test_close_is_idempotent(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "samples.db", StoreSettings())
    store.submit(bad("uat", H, time.time()))
    await store.close()
    await store.close()
    store.submit(bad("uat", H, time.time()))  # after close: ignored, no error
    again = await Store.open(tmp_path / "samples.db", StoreSettings())
    assert again.notice is None  # the lock was released
    assert len(await latest_rows(again)) == 1  # close flushed what was submitted
    await again.close()


def test_interpreter_exits_after_a_store_was_used(tmp_path: Path) -> None:
    script = f"""
import asyncio, time
from pathlib import Path
from umig_tui.config import StoreSettings
from umig_tui.models import Endpoint, PollResult
from umig_tui.store.store import Store

async def main():
    store = await Store.open(Path({str(tmp_path / "exit.db")!r}), StoreSettings())
    for i in range(50):
        store.submit(PollResult("uat", Endpoint.HEALTH, time.time() + i, 5.0))
    await store.flush()
    await store.close()
    print("closed", flush=True)

asyncio.run(main())
"""
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=15, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "closed"
    assert time.monotonic() - started < 5


# -- writing --------------------------------------------------------------------------------


async def test_results_become_series_samples(store: Store, simulator: Simulator) -> None:
    ts = time.time()
    health = good(simulator, "production", H, ts, latency=42.0)
    assert await store.write([health, bad("uat", V, ts), good(simulator, "uat", C, ts)])
    names = {
        (env, metric): value
        for env, metric, value in await store.query(
            "SELECT x.env, x.metric, s.value FROM samples s JOIN series x ON x.id = s.series_id"
        )
    }
    assert names[("production", metrics.poll_ok("health"))] == 1.0
    assert names[("production", metrics.poll_latency("health"))] == 42.0
    assert names[("production", metrics.HEALTH_UP)] == 1.0
    assert isinstance(health.value, HealthSnapshot)
    assert names[("production", metrics.RESPONSE_TIME)] == health.value.metrics.response_time_ms
    assert ("production", metrics.ERROR_RATE) in names
    assert names[("uat", metrics.poll_ok("version"))] == 0.0
    assert names[("uat", metrics.poll_latency("version"))] == 3.0
    assert 0.0 <= names[("uat", metrics.COMPONENT_SCORE)] <= 1.0
    assert {metric for env, metric in names if env == "production"} == {
        metric for metric, _ in samples_from_result(health)
    }


async def test_two_answers_in_the_same_millisecond_keep_both_samples(
    store: Store, simulator: Simulator
) -> None:
    """Health and metrics both report the response time: answers landing in one millisecond
    (same batch or the next) are two samples, the later moved on by 1 ms, none replaced."""
    ts = time.time()
    health = good(simulator, "uat", H, ts)
    both = [health, good(simulator, "uat", M, ts)]
    assert await store.write(both)
    assert await store.write([good(simulator, "uat", M, ts)])  # the next batch, same instant
    points = await series_points(
        store, "uat", metrics.RESPONSE_TIME, since=ts - 1, until=ts + 1, resolution="raw"
    )
    assert len(points) == 3
    assert [round(p.ts * 1000) - int(ts * 1000) for p in points] == [0, 1, 2]
    assert isinstance(health.value, HealthSnapshot)
    assert points[0].value == health.value.metrics.response_time_ms


async def test_a_read_sees_every_commit_before_it_while_other_reads_are_in_flight(
    store: Store,
) -> None:
    """Reads share one connection: a read started after a commit sees it, even while earlier
    reads are still fetching (they once lent it their older snapshot: a baseline saved a moment
    before was missing from the next alert evaluation)."""
    rows = [(float(i), "uat", "status_change", "low", f"event {i}", "{}") for i in range(2000)]
    insert = "INSERT INTO events (ts, env, kind, severity, summary, data) VALUES (?, ?, ?, ?, ?, ?)"
    assert await store.execute([(insert, rows)])
    for committed in range(1, 41):
        readers = [
            asyncio.create_task(store.query("SELECT * FROM events ORDER BY summary"))
            for _ in range(4)
        ]
        await asyncio.sleep(0)  # the readers' statements start
        assert await store.execute(
            [("INSERT INTO series (env, metric) VALUES (?, ?)", [("uat", f"m{committed}")])]
        )
        [(count,)] = await store.query("SELECT count(*) FROM series")
        assert count == committed
        assert [len(r) for r in await asyncio.gather(*readers)] == [2000] * 4


async def test_rollups_aggregate_per_minute_and_hour(store: Store) -> None:
    base = hour_start(2)
    assert await store.write(
        [
            latency("uat", H, base + 1, 10.0),
            latency("uat", H, base + 2, 20.0),
            latency("uat", H, base + 61, 30.0),
        ]
    )
    assert await store.write([latency("uat", H, base + 3599, 60.0)])  # a later batch, same hour
    metric = metrics.poll_latency("health")
    minute = await store.query(
        "SELECT r.bucket, r.n, r.vsum, r.vmin, r.vmax FROM rollup_1m r JOIN series x "
        "ON x.id = r.series_id WHERE x.env = 'uat' AND x.metric = ? ORDER BY r.bucket",
        (metric,),
    )
    assert [tuple(row) for row in minute] == [
        (base, 2, 30.0, 10.0, 20.0),
        (base + 60, 1, 30.0, 30.0, 30.0),
        (base + 3540, 1, 60.0, 60.0, 60.0),
    ]
    hour = await store.query(
        "SELECT r.bucket, r.n, r.vsum, r.vmin, r.vmax FROM rollup_1h r JOIN series x "
        "ON x.id = r.series_id WHERE x.env = 'uat' AND x.metric = ?",
        (metric,),
    )
    assert [tuple(row) for row in hour] == [(base, 4, 120.0, 10.0, 60.0)]


async def test_latest_keeps_the_last_good_body_across_a_later_error(
    store: Store, simulator: Simulator
) -> None:
    ts = time.time() - 60
    first = good(simulator, "production", V, ts, latency=12.0)
    assert await store.write([first])
    assert await store.write([bad("production", V, ts + 30, ErrorKind.HTTP_ERROR, status=500)])
    assert await store.write([good(simulator, "production", V, ts - 100)])  # late: ignored
    (row,) = await latest_rows(store)
    assert (row.env, row.endpoint, row.ts, row.ok) == ("production", "version", ts + 30, False)
    assert (row.error_kind, row.http_status) == ("http_error", 500)
    assert (row.good_ts, row.good_latency_ms, row.good_body) == (ts, 12.0, first.raw)


async def test_every_error_is_recorded_in_poll_errors(store: Store) -> None:
    ts = time.time()
    assert await store.write(
        [
            bad("uat", H, ts, ErrorKind.TIMEOUT),
            bad("uat", H, ts + 1, ErrorKind.AUTH_REQUIRED, status=401),
            latency("uat", V, ts, 5.0),
        ]
    )
    rows = await store.query(
        "SELECT env, endpoint, ts, kind, http_status FROM poll_errors ORDER BY ts"
    )
    assert [tuple(r) for r in rows] == [
        ("uat", "health", ts, "timeout", None),
        ("uat", "health", ts + 1, "auth_required", 401),
    ]


async def test_events_round_trip_and_filter(store: Store) -> None:
    now = time.time()
    events = [
        Event(
            now - 300,
            "uat",
            EventKind.STATUS_CHANGE,
            "uat: healthy → unreachable",
            "critical",
            StatusChange("healthy", "unreachable"),
        ),
        Event(
            now - 200,
            "production",
            EventKind.DEPLOYMENT,
            "production 1.2.0 landed",
            "info",
            Deployment(POLLER, to_version="1.2.0"),
        ),
        Event(
            now - 100,
            "uat",
            EventKind.ALERT,
            "uat error rate",
            "warning",
            AlertChange("r", "firing"),
        ),
        Event(now - 50, None, EventKind.NOTICE, "fleet-wide notice"),
    ]
    assert await store.write(events)
    everything = await store.events()
    assert [e.summary for e in everything] == [e.summary for e in reversed(events)]  # newest first
    stored = everything[-1]
    assert (stored.ts, stored.env, stored.kind, stored.severity, stored.payload) == (
        now - 300,
        "uat",
        EventKind.STATUS_CHANGE,
        "critical",
        StatusChange("healthy", "unreachable"),
    )
    assert stored.id is not None
    assert [e.summary for e in await store.events(since=now - 150)] == [
        "fleet-wide notice",
        "uat error rate",
    ]
    assert [e.kind for e in await store.events(env="uat")] == [
        EventKind.ALERT,
        EventKind.STATUS_CHANGE,
    ]
    deployments = await store.events(kinds=[str(EventKind.DEPLOYMENT), str(EventKind.NOTICE)])
    assert [e.kind for e in deployments] == [EventKind.NOTICE, EventKind.DEPLOYMENT]
    assert await store.events(env="uat", since=now - 150, kinds=["alert"]) == [everything[1]]


async def test_every_kind_of_event_reads_back_as_it_was_written(store: Store) -> None:
    now = time.time()
    written = [
        Event(now, "uat", EventKind.STATUS_CHANGE, "flip", "info", StatusChange("a", "b", "why")),
        Event(
            now + 1,
            "uat",
            EventKind.DEPLOYMENT,
            "seen",
            "info",
            Deployment(POLLER, "d-1", "1", "2"),
        ),
        Event(
            now + 2,
            "uat",
            EventKind.DEPLOYMENT,
            "watch",
            "critical",
            Deployment(WATCH, "w-1", "1", "2", stage="failed", reason="r", elapsed_s=12.5),
        ),
        Event(
            now + 3, "uat", EventKind.ROLLBACK, "back", "high", Deployment(POLLER, "r-1", "2", "1")
        ),
        Event(
            now + 4,
            "uat",
            EventKind.ALERT,
            "alert",
            "high",
            AlertChange("rule", "firing", 0.2, 0.1),
        ),
        Event(now + 5, None, EventKind.NOTICE, "notice"),
    ]
    for event in written:
        store.submit(event)
    await asyncio.wait_for(store.flush(), 5)
    read = [replace(e, id=None) for e in reversed(await store.events())]
    assert read == written


async def test_submit_batches_many_results_into_few_transactions(store: Store) -> None:
    now = time.time()
    for i in range(300):
        store.submit(bad(f"env{i % 10}", H, now + i * 0.001))
    assert store.writes == 0  # nothing written synchronously
    await store.flush()
    assert store.writes <= 2
    rows = await store.query("SELECT count(*) FROM poll_errors")
    assert rows[0][0] == 300


async def test_flush_waits_for_items_submitted_while_writing(store: Store) -> None:
    now = time.time()
    for round_ in range(5):
        for i in range(20):
            store.submit(bad("uat", H, now + round_ + i * 0.01))
        await asyncio.sleep(0)
    await store.flush()
    assert (await store.query("SELECT count(*) FROM poll_errors"))[0][0] == 100
    assert store.writes <= 5


async def test_direct_writes_events_and_prune_never_share_a_transaction(store: Store) -> None:
    # add_event() and prune() run beside the background writer on the same connection.
    now = time.time()
    for round_ in range(5):
        store.submit(bad("uat", V, now + round_))
        outcomes = await asyncio.gather(
            store.write([bad(f"a{i}", H, now + round_) for i in range(50)]),
            store.write([bad(f"b{i}", H, now + round_) for i in range(50)]),
            store.add_event(Event(now + round_, "uat", EventKind.ALERT, f"alert {round_}")),
            store.prune(),
        )
        assert outcomes[:2] == [True, True]
    await store.flush()
    assert store.notice is None
    assert (await store.query("SELECT count(*) FROM poll_errors"))[0][0] == 5 * 101
    assert len(await store.events()) == 5
    rollup = await store.query(
        "SELECT sum(r.n) FROM rollup_1h r JOIN series x ON x.id = r.series_id WHERE x.metric = ?",
        (metrics.poll_ok("health"),),
    )
    assert rollup[0][0] == 5 * 100  # each sample counted once: nothing retried twice


# -- queries --------------------------------------------------------------------------------


async def test_series_points_at_every_resolution(store: Store) -> None:
    base = hour_start(3)
    values = [(base + 5, 10.0), (base + 35, 30.0), (base + 65, 50.0), (base + 3605, 70.0)]
    assert await store.write([latency("uat", H, ts, v) for ts, v in values])
    metric = metrics.poll_latency("health")
    raw = await series_points(store, "uat", metric, since=base, until=base + 7200, resolution="raw")
    assert [(p.ts, p.value) for p in raw] == values
    minute = await series_points(
        store, "uat", metric, since=base, until=base + 7200, resolution="1m"
    )
    assert [(p.ts, p.value, p.low, p.high) for p in minute] == [
        (base, 20.0, 10.0, 30.0),
        (base + 60, 50.0, 50.0, 50.0),
        (base + 3600, 70.0, 70.0, 70.0),
    ]
    hour = await series_points(store, "uat", metric, since=base, until=base + 7200, resolution="1h")
    assert [(p.ts, p.value, p.low, p.high) for p in hour] == [
        (base, 30.0, 10.0, 50.0),
        (base + 3600, 70.0, 70.0, 70.0),
    ]
    # left to choose: a short recent window reads raw samples
    auto = await series_points(store, "uat", metric, since=base + 3600, until=base + 3700)
    assert [(p.ts, p.value, p.low) for p in auto] == [(base + 3605, 70.0, None)]
    assert await series_points(store, "prod", metric, since=base) == []


async def test_sparkline_history_sums_and_counts_per_bucket(store: Store) -> None:
    base = hour_start(1)
    assert await store.write(
        [
            latency("uat", H, base + 1, 10.0),
            latency("uat", H, base + 2, 30.0),
            latency("uat", H, base + 61, 50.0),
            latency("dev", H, base + 1, 7.0),
            latency("dev", V, base + 1, 9.0),
        ]
    )
    metric = metrics.poll_latency("health")
    history = await bucketed_history(store, ["uat", "dev"], [metric], since=base, bucket=60)
    assert history == {
        ("uat", metric): [(base, 40.0, 2), (base + 60, 50.0, 1)],
        ("dev", metric): [(base, 7.0, 1)],
    }
    assert await bucketed_history(store, ["uat"], [metric], since=base + 120, bucket=60) == {}
    assert await bucketed_history(store, [], [metric], since=base, bucket=60) == {}


async def test_restore_results_reparses_the_good_bodies(store: Store, simulator: Simulator) -> None:
    ts = time.time() - 120
    results = [good(simulator, "production", e, ts) for e in (H, V, C, M)]
    results.append(bad("uat", H, ts, ErrorKind.TIMEOUT))
    assert await store.write(results)
    assert await store.write([bad("production", H, ts + 60, ErrorKind.CONNECT_ERROR)])
    restored = await restore_results(store)
    by_key = {(r.env, r.endpoint, r.ok): r for r in restored}
    assert isinstance(by_key[("production", H, True)].value, HealthSnapshot)
    assert isinstance(by_key[("production", V, True)].value, VersionInfo)
    assert isinstance(by_key[("production", C, True)].value, ComponentsStatus)
    assert isinstance(by_key[("production", M, True)].value, MetricsSnapshot)
    assert by_key[("production", V, True)].value == results[1].value
    # the newest health result is the error, after the good one it follows
    assert by_key[("production", H, False)].error == FetchError(
        ErrorKind.CONNECT_ERROR, "connect_error here"
    )
    assert by_key[("uat", H, False)].error is not None
    assert [r.ts for r in restored] == sorted(r.ts for r in restored)


# -- retention ------------------------------------------------------------------------------


async def test_prune_keeps_each_table_for_its_own_retention(tmp_path: Path) -> None:
    settings = StoreSettings(raw_retention=1 * DAY, minute_retention=2 * DAY, retention=3 * DAY)
    store = await Store.open(tmp_path / "samples.db", settings)
    now = time.time()
    ages = (0.5, 1.5, 2.5, 3.5)  # days
    items: list[PollResult | Event] = []
    for age in ages:
        ts = now - age * DAY
        items.append(bad("uat", H, ts, ErrorKind.TIMEOUT, latency=age))
        items.append(Event(ts, "uat", EventKind.ALERT, f"{age} days ago"))
    assert await store.write(items)
    await store.prune(now)

    async def kept(table: str) -> list[float]:
        rows = await store.query(
            f"SELECT t.vsum / t.n FROM {table} t JOIN series x ON x.id = t.series_id "
            "WHERE x.metric = ? ORDER BY 1",
            (metrics.poll_latency("health"),),
        )
        return [row[0] for row in rows]

    raw = await store.query(
        "SELECT s.value FROM samples s JOIN series x ON x.id = s.series_id WHERE x.metric = ?",
        (metrics.poll_latency("health"),),
    )
    assert [row[0] for row in raw] == [0.5]
    assert await kept("rollup_1m") == [0.5, 1.5]
    assert await kept("rollup_1h") == [0.5, 1.5, 2.5]
    errors = await store.query("SELECT ts FROM poll_errors ORDER BY ts DESC")
    assert [round((now - row[0]) / DAY, 1) for row in errors] == [0.5, 1.5, 2.5]
    assert [e.summary for e in await store.events()] == [f"{age} days ago" for age in ages[:3]]
    await store.close()


async def test_one_shot_submits_are_written_in_one_transaction_at_flush(store: Store) -> None:
    """A one-shot command never starts the background writer: one write for the whole cycle."""
    now = time.time()
    for index, env in enumerate(["development", "uat", "production", "hotfix"] * 5):
        store.submit(latency(env, Endpoint.HEALTH, now + index, 10.0 + index))
    assert store.writes == 0
    assert await latest_rows(store) == []  # nothing written before flush
    await store.flush()
    assert store.writes == 1
    assert len(await latest_rows(store)) == 4


async def test_starting_the_writer_keeps_what_was_submitted_before(store: Store) -> None:
    store.submit(latency("uat", Endpoint.HEALTH, time.time(), 12.0))
    store.start()
    await store.flush()
    assert [row.env for row in await latest_rows(store)] == ["uat"]


def test_distinct_times_hands_back_only_the_series_it_touched() -> None:
    """The writer commits many small batches: what to remember is the touched series' times
    (the last RECENT_PER_SERIES), and what was remembered is left as it was (a batch retried
    after a failed write must move its samples the same way)."""
    recent = {1: (1000, 1001), 2: tuple(range(2000, 2000 + RECENT_PER_SERIES))}
    before = dict(recent)
    samples, remembered = distinct_times([(1, 1000, 1.0), (1, 1000, 2.0), (3, 5, 0.5)], recent)
    assert samples == [(1, 1002, 1.0), (1, 1003, 2.0), (3, 5, 0.5)]
    assert remembered == {1: (1000, 1001, 1002, 1003), 3: (5,)}
    assert recent == before
    _, remembered = distinct_times([(2, 2000, 1.0)], recent)
    assert remembered[2] == (*range(2001, 2000 + RECENT_PER_SERIES), 2000 + RECENT_PER_SERIES)


def test_distinct_times_reads_samples_out_of_order_against_every_time_remembered() -> None:
    """Answers land out of order (a slow health check after a fast metrics scrape): a sample
    older than its series' newest keeps its time unless that time is taken, and what is
    remembered stays the newest times, ascending."""
    recent = {1: (1000, 1005, 1010)}
    samples, remembered = distinct_times(
        [(1, 1012, 1.0), (1, 1003, 2.0), (1, 1005, 3.0), (1, 1012, 4.0), (1, 1006, 5.0)], recent
    )
    assert samples == [
        (1, 1012, 1.0),
        (1, 1003, 2.0),
        (1, 1006, 3.0),
        (1, 1013, 4.0),
        (1, 1007, 5.0),
    ]
    assert remembered == {1: (1000, 1003, 1005, 1006, 1007, 1010, 1012, 1013)}
    # The next batch checks against them, and against its own.
    samples, remembered = distinct_times([(1, 1013, 6.0), (1, 1014, 7.0)], remembered)
    assert samples == [(1, 1014, 6.0), (1, 1015, 7.0)]
    assert remembered[1][-3:] == (1013, 1014, 1015)
    # Only the newest are kept.
    many = [(1, ts, 0.0) for ts in range(2000, 2000 + 2 * RECENT_PER_SERIES)]
    _, remembered = distinct_times(many, remembered)
    assert remembered[1] == tuple(range(2000 + RECENT_PER_SERIES, 2000 + 2 * RECENT_PER_SERIES))
