"""The SQLite store: one writer and one reader connection (aiosqlite), WAL, batched writes.

A store that is locked, corrupt, read-only or full degrades to "no history" with a clear notice;
polling never waits for it and never stops because of it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sqlite3
import time
from collections.abc import Coroutine, Sequence
from pathlib import Path
from typing import IO, Any

import aiosqlite

from umig_tui.config import StoreSettings
from umig_tui.events import Event, EventKind, payload_from_json
from umig_tui.models import NotOffered, PollResult
from umig_tui.store import connect as sqlite
from umig_tui.store.errors import StoreUnavailable as StoreUnavailable
from umig_tui.store.errors import describe_sqlite_error
from umig_tui.store.rollups import (
    FROM_SAMPLES,
    THROUGH_KEY,
    UPSERT,
    Sums,
    fold,
    recovery_spans,
)
from umig_tui.store.samples import distinct_times, latest_row, samples_from_result
from umig_tui.store.schema import SCHEMA_VERSION

log = logging.getLogger(__name__)

MAX_PENDING = 20_000  # results kept for retry while the store cannot be written
PRUNE_EVERY = 3600.0  # seconds between retention runs of a long-running writer
HELD_FOR = 60.0  # seconds a writer with nothing to write keeps a minute's rollups in memory


class Store:
    """Samples, rollups, latest results and events in one SQLite file."""

    def __init__(
        self,
        path: Path,
        settings: StoreSettings,
        writer: aiosqlite.Connection | None,
        reader: aiosqlite.Connection,
        lock: IO[str] | None,
    ) -> None:
        self.path = path
        self.settings = settings
        self._writer = writer
        self._reader = reader
        self._lock = lock
        self.notice: str | None = None
        self._series: dict[tuple[str, str], int] = {}
        self._recent_times: dict[int, tuple[int, ...]] = {}  # see samples.distinct_times
        self._held: dict[tuple[int, int], Sums] = {}  # see rollups.fold
        self._through: int | None = None
        self._queue: asyncio.Queue[PollResult | Event | None] | None = None
        self._task: asyncio.Task[None] | None = None
        self._pending: list[PollResult | Event] = []
        self._buffer: list[PollResult | Event] = []  # submitted before start(): see submit()
        self._last_prune = 0.0
        self.prune_every = PRUNE_EVERY  # a soak test stands seconds in for hours
        self._closed = False
        # One transaction at a time on the writer: the background batches, add_event() and
        # prune() share it, and a BEGIN inside another's transaction fails (and its rollback
        # would undo the other's work).
        self.batch_window = 1.0  # seconds the background writer gathers results for
        self._hurry = asyncio.Event()
        self._transaction = asyncio.Lock()
        self._inflight: set[asyncio.Future[bool]] = set()  # transactions run to their end
        self.writes = 0

    @property
    def writable(self) -> bool:
        """Events (deploys, alerts) can be written: true for every instance with a writer."""
        return self._writer is not None

    @property
    def recording(self) -> bool:
        """Samples are written: only by the instance holding the store's lock."""
        return self._writer is not None and self._lock is not None

    @property
    def kept(self) -> int:
        """Items a failed write kept back, to land once the store takes writes again."""
        return len(self._pending)

    @property
    def backlog(self) -> int:
        """Items submitted and not written yet: queued, or kept back."""
        return (self._queue.qsize() if self._queue is not None else 0) + self.kept

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def last_prune(self) -> float:
        """When retention last ran (epoch seconds; 0 before the first time)."""
        return self._last_prune

    # -- opening ------------------------------------------------------------------------------

    @classmethod
    async def open(cls, path: Path, settings: StoreSettings) -> Store:
        """Open (creating and migrating) the store; StoreUnavailable when it cannot be read."""
        path = path.expanduser()  # noqa: ASYNC240 - once, at start-up
        if path.is_dir():
            raise StoreUnavailable(
                f"{path} is a directory, not a store file; running without history"
            )
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreUnavailable(
                f"cannot create {path.parent}: {exc.strerror}; running without history"
            ) from None
        lock, holder = sqlite.take_lock(path)
        writer: aiosqlite.Connection | None = None
        notice = None
        if holder is not None:
            # Another instance records samples; this one may still add its own events (a deploy
            # watch while the dashboard runs): WAL lets both write, one transaction at a time.
            notice = (
                f"store {path} is being recorded by another umig-tui (pid {holder}); "
                "this one shows its history but does not record samples"
            )
        try:
            writer = await sqlite.connect(path)
            await sqlite.prepare_writer(writer)
        except (sqlite3.Error, OSError) as exc:
            if writer is not None:
                with contextlib.suppress(Exception):
                    await writer.close()
            writer = None
            problem = describe_sqlite_error(path, exc)
            notice = notice or problem
            if "corrupt" in problem:
                if lock is not None:
                    sqlite.release_lock(lock)
                raise StoreUnavailable(problem + "; running without history") from None
        reader: aiosqlite.Connection | None = None
        try:
            reader = await sqlite.open_reader(path)
            if writer is None:
                [(version,)] = await reader.execute_fetchall("PRAGMA user_version")
                if version > SCHEMA_VERSION:
                    raise sqlite3.DatabaseError(
                        f"schema version {version} is newer than this umig-tui understands "
                        f"({SCHEMA_VERSION})"
                    )
        except (sqlite3.Error, OSError) as exc:
            # Every connection opened so far is closed: a leaked one keeps a thread alive.
            for connection in (reader, writer):
                if connection is not None:
                    await sqlite.close_quietly(connection)
            if lock is not None:
                sqlite.release_lock(lock)
            raise StoreUnavailable(
                describe_sqlite_error(path, exc) + "; running without history"
            ) from None
        store = cls(path, settings, writer, reader, lock)
        if store.recording:
            await store._recover_rollups()
        if writer is None and holder is None and not _says_why(notice):
            # It reads but cannot be written (a read-only mount, a file owned by someone else).
            notice = f"store {path} is read-only: its history is shown, nothing new is recorded"
        store.notice = notice
        return store

    # -- writing ------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the background writer; ``submit`` then batches everything per cycle."""
        if self._task is None:
            self._queue = asyncio.Queue()
            for item in self._buffer:
                self._queue.put_nowait(item)
            self._buffer = []
            self._task = asyncio.get_running_loop().create_task(self._write_loop())

    def submit(self, item: PollResult | Event) -> None:
        """Queue a result or event; never blocks, never raises. With the background writer
        started (a long run) it is written within a cycle; otherwise (a one-shot command) it
        waits for ``flush()``, which writes everything in one transaction."""
        if self._closed or self._writer is None:
            return
        if isinstance(item, PollResult) and (
            not self.recording or isinstance(item.value, NotOffered)
        ):
            return  # a signal the environment does not offer is no sample of anything
        if self._queue is None:
            self._buffer.append(item)
            return
        self._queue.put_nowait(item)

    async def _write_loop(self) -> None:
        assert self._queue is not None
        while True:
            try:
                async with asyncio.timeout(HELD_FOR if self._held else None):
                    item = await self._queue.get()
            except TimeoutError:  # nothing to write for a while: the held minute goes out
                await self.write([])
                continue
            if item is not None and self.batch_window > 0:
                # Gather a cycle's worth: one transaction a second instead of one per result
                # (each costs a dozen thread hops). flush() and close() cut the wait short.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._hurry.wait(), self.batch_window)
            self._hurry.clear()
            batch: list[PollResult | Event] = [] if item is None else [item]
            stop = item is None
            while not self._queue.empty() and len(batch) < 2000:
                extra = self._queue.get_nowait()
                if extra is None:
                    stop = True
                    break
                batch.append(extra)
            try:
                if batch:
                    await self.write(batch, hold=True)
            except Exception:  # never let the writer die: flush() would wait forever
                log.exception("store writer failed")
            finally:
                for _ in range(len(batch) + (1 if stop else 0)):
                    self._queue.task_done()
            if stop:
                return
            if time.time() - self._last_prune > self.prune_every:
                await self.prune()

    async def flush(self) -> None:
        """Wait until everything submitted so far is written (or failed with a notice)."""
        self._hurry.set()
        if self._buffer:
            batch, self._buffer = self._buffer, []
            await self.write(batch)
        if self._queue is not None:
            await self._queue.join()
        if self._held:
            await self.write([])

    async def write(self, items: Sequence[PollResult | Event], *, hold: bool = False) -> bool:
        """Write ``items`` in one transaction; on failure keep them for retry and set the notice.
        With ``hold`` (the background writer) the newest minute's rollups stay in memory;
        without, every held minute is written too."""
        if self._writer is None:
            return False
        if not self.recording:
            items = [item for item in items if not isinstance(item, PollResult)]
            if not items:
                return False
        return await self._whole(self._write_locked(self._writer, items, hold))

    async def _write_locked(
        self, writer: aiosqlite.Connection, items: Sequence[PollResult | Event], hold: bool
    ) -> bool:
        async with self._transaction:
            return await self._write(writer, items, hold)

    async def _whole(self, transaction: Coroutine[Any, Any, bool]) -> bool:
        """Run ``transaction`` to its end even if the caller is cancelled (the app quitting
        mid-way through a write): cancelled half-way it left BEGIN open on the writer, the
        next write failed in it, and closing rolled back everything queued behind it."""
        task = asyncio.ensure_future(transaction)
        self._inflight.add(task)
        task.add_done_callback(self._inflight.discard)
        return await asyncio.shield(task)

    async def _write(
        self, writer: aiosqlite.Connection, items: Sequence[PollResult | Event], hold: bool
    ) -> bool:
        batch = [*self._pending, *items]
        try:
            await self._write_batch(batch, hold)
        except (sqlite3.Error, OSError) as exc:
            with contextlib.suppress(Exception):
                await writer.rollback()
            self.notice = describe_sqlite_error(self.path, exc)
            log.warning("store write failed: %s", exc)
            self._pending = batch[-MAX_PENDING:]
            return False
        except Exception as exc:
            # Not the database: retrying the same batch would fail forever, so it is dropped;
            # the rollback ends the transaction so the writer is not left holding its lock.
            with contextlib.suppress(Exception):
                await writer.rollback()
            log.exception("store write failed; %d items dropped", len(batch))
            self.notice = f"store {self.path}: a batch could not be saved ({exc})"
            self._pending = []
            return False
        self._pending = []
        if self.notice and "another umig-tui" not in self.notice:
            self.notice = None
        self.writes += 1
        return True

    async def _series_ids(self, keys: set[tuple[str, str]]) -> None:
        assert self._writer is not None
        missing = [k for k in keys if k not in self._series]
        if not missing:
            return
        if not self._series:  # first batch of this process: every known id in one query
            cursor = await self._writer.execute("SELECT env, metric, id FROM series")
            for env, metric, series_id in await cursor.fetchall():
                self._series[(env, metric)] = int(series_id)
            missing = [k for k in keys if k not in self._series]
            if not missing:
                return
        await self._writer.executemany(
            "INSERT OR IGNORE INTO series (env, metric) VALUES (?, ?)", missing
        )
        # Every id in one query (a few rows per environment), not one round trip per series:
        # a first run on 300 environments meets ~5,000 new series at once.
        self._series.update(
            ((env, metric), int(series_id))
            for env, metric, series_id in await self._writer.execute_fetchall(
                "SELECT env, metric, id FROM series"
            )
        )

    async def _write_batch(self, batch: Sequence[PollResult | Event], hold: bool) -> None:
        assert self._writer is not None
        results = [item for item in batch if isinstance(item, PollResult)]
        events = [item for item in batch if isinstance(item, Event)]
        rows: list[tuple[str, str, int, float]] = []
        for result in results:
            ts_ms = int(result.ts * 1000)
            rows.extend(
                (result.env, name, ts_ms, value) for name, value in samples_from_result(result)
            )
        await self._series_ids({(env, name) for env, name, _, _ in rows})
        samples, remembered = distinct_times(
            [(self._series[(env, name)], ts, value) for env, name, ts, value in rows],
            self._recent_times,
        )
        folded = fold(samples, self._held, self._through, hold=hold)
        writer = self._writer
        await writer.execute("BEGIN")
        if samples:
            await writer.executemany(
                "INSERT OR REPLACE INTO samples (series_id, ts, value) VALUES (?, ?, ?)", samples
            )
        for table, data in (("rollup_1m", folded.minutes), ("rollup_1h", folded.hours)):
            if data:
                await writer.executemany(UPSERT.format(table=table), data)
        if folded.through != self._through:  # committed with the samples it says are held
            if folded.through is None:
                await writer.execute("DELETE FROM meta WHERE key = ?", (THROUGH_KEY,))
            else:
                await writer.execute(
                    "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                    (THROUGH_KEY, str(folded.through)),
                )
        await writer.executemany(
            "INSERT INTO latest (env, endpoint, ts, ok, latency_ms, error_kind, error_reason, http_status, "
            "good_ts, good_latency_ms, good_body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (env, endpoint) DO UPDATE SET ts = excluded.ts, ok = excluded.ok, "
            "latency_ms = excluded.latency_ms, error_kind = excluded.error_kind, "
            "error_reason = excluded.error_reason, http_status = excluded.http_status, "
            "good_ts = coalesce(excluded.good_ts, good_ts), "
            "good_latency_ms = coalesce(excluded.good_latency_ms, good_latency_ms), "
            "good_body = coalesce(excluded.good_body, good_body) "
            "WHERE excluded.ts >= latest.ts",
            [latest_row(result) for result in results],
        )
        await writer.executemany(
            "INSERT INTO poll_errors (env, endpoint, ts, kind, reason, http_status) VALUES (?, ?, ?, ?, ?, ?)",
            [
                (
                    r.env,
                    str(r.endpoint),
                    r.ts,
                    str(r.error.kind),
                    r.error.reason,
                    r.error.http_status,
                )
                for r in results
                if r.error is not None
            ],
        )
        await writer.executemany(
            "INSERT INTO events (ts, env, kind, severity, summary, data) VALUES (?, ?, ?, ?, ?, ?)",
            [
                (
                    e.ts,
                    e.env,
                    str(e.kind),
                    e.severity,
                    e.summary,
                    json.dumps(e.payload.to_json(), default=str),
                )
                for e in events
            ],
        )
        await writer.commit()
        self._recent_times.update(remembered)
        self._held, self._through = folded.held, folded.through

    async def _recover_rollups(self) -> None:
        """Roll up the samples of the minute a writer held when it died (see rollups.py)."""
        writer = self._writer
        assert writer is not None
        try:
            rows = list(
                await writer.execute_fetchall(
                    "SELECT value FROM meta WHERE key = ?", (THROUGH_KEY,)
                )
            )
            if not rows:
                return
            spans = recovery_spans(
                [row[0] for row in await writer.execute_fetchall("SELECT id FROM series")],
                int(rows[0][0]),
            )
            await writer.execute("BEGIN")
            for table, size in (("rollup_1m", 60), ("rollup_1h", 3600)):
                await writer.executemany(FROM_SAMPLES.format(table=table, size=size), spans)
            await writer.execute("DELETE FROM meta WHERE key = ?", (THROUGH_KEY,))
            await writer.commit()
        except (sqlite3.Error, OSError, ValueError) as exc:
            with contextlib.suppress(Exception):
                await writer.rollback()
            log.warning("store: rolling up the samples of an unfinished minute failed: %s", exc)

    async def execute(self, statements: Sequence[tuple[str, Sequence[Sequence[Any]]]]) -> bool:
        """Run ``(sql, rows)`` pairs with executemany in one transaction (alert state,
        baselines); False with a notice when the store cannot be written."""
        writer = self._writer
        if writer is None:
            return False
        return await self._whole(self._execute(writer, statements))

    async def _execute(
        self,
        writer: aiosqlite.Connection,
        statements: Sequence[tuple[str, Sequence[Sequence[Any]]]],
    ) -> bool:
        async with self._transaction:
            try:
                await writer.execute("BEGIN")
                for sql, rows in statements:
                    await writer.executemany(sql, rows)
                await writer.commit()
            except (sqlite3.Error, OSError) as exc:
                with contextlib.suppress(Exception):
                    await writer.rollback()
                self.notice = describe_sqlite_error(self.path, exc)
                return False
        return True

    async def add_event(self, event: Event) -> None:
        """Write one event now (deploy watch and alerts want it durable at once)."""
        await self.write([event])

    async def prune(self, now: float | None = None) -> None:
        """Retention: raw samples after ``raw_retention``, minute rollups after
        ``minute_retention``, hour rollups, errors and events after ``retention``."""
        if self._writer is None or not self.recording:  # the recording instance owns retention
            return
        now = time.time() if now is None else now
        self._last_prune = now
        keep = self.settings
        # Per series: the primary key (series_id, ts) makes each delete a range, not a scan.
        ids = [row[0] for row in await self.query("SELECT id FROM series")]
        raw, minute, hour = (
            int((now - keep.raw_retention) * 1000),
            int(now - keep.minute_retention),
            int(now - keep.retention),
        )
        await self.execute(
            [
                ("DELETE FROM samples WHERE series_id = ? AND ts < ?", [(i, raw) for i in ids]),
                (
                    "DELETE FROM rollup_1m WHERE series_id = ? AND bucket < ?",
                    [(i, minute) for i in ids],
                ),
                (
                    "DELETE FROM rollup_1h WHERE series_id = ? AND bucket < ?",
                    [(i, hour) for i in ids],
                ),
                ("DELETE FROM poll_errors WHERE ts < ?", [(now - keep.retention,)]),
                ("DELETE FROM events WHERE ts < ?", [(now - keep.retention,)]),
                ("DELETE FROM silences WHERE ends_at < ?", [(now - keep.retention,)]),
            ]
        )

    # -- reading ------------------------------------------------------------------------------

    async def query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        """Run a read query on the reader connection; a broken store reads as empty."""
        try:
            # One call on the connection's thread: an execute and a later fetchall let another
            # query run in between, inside this statement's read transaction, and read an old
            # snapshot (a baseline saved a moment ago missing from the next evaluation).
            return list(await self._reader.execute_fetchall(sql, params))
        except (sqlite3.Error, OSError) as exc:
            self.notice = describe_sqlite_error(self.path, exc)
            return []

    async def events(
        self,
        *,
        since: float | None = None,
        env: str | None = None,
        kinds: Sequence[str] | None = None,
        limit: int = 500,
    ) -> list[Event]:
        sql = "SELECT id, ts, env, kind, severity, summary, data FROM events WHERE 1 = 1"
        params: list[Any] = []
        if since is not None:
            sql += " AND ts >= ?"
            params.append(since)
        if env is not None:
            sql += " AND env = ?"
            params.append(env)
        if kinds:
            sql += f" AND kind IN ({', '.join('?' for _ in kinds)})"
            params.extend(kinds)
        sql += " ORDER BY ts DESC, id DESC LIMIT ?"
        params.append(limit)
        events: list[Event] = []
        for row in await self.query(sql, params):
            try:
                data = json.loads(row[6]) if row[6] else {}
                kind = EventKind(row[3])
            except ValueError:
                continue
            payload = payload_from_json(kind, data if isinstance(data, dict) else {})
            events.append(Event(row[1], row[2], kind, row[5], row[4], payload, row[0]))
        return events

    # -- closing ------------------------------------------------------------------------------

    async def close(self) -> None:
        """Flush and close both connections; always safe to call (an open one hangs exit)."""
        if self._closed:
            return
        if self._buffer:
            with contextlib.suppress(Exception):
                await self.flush()
        if self._task is not None and self._queue is not None and not self._task.done():
            self._hurry.set()
            self._queue.put_nowait(None)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(self._task), 5)
            self._task.cancel()
        if self._inflight:  # a transaction whose caller went away: let it commit first
            await asyncio.wait(set(self._inflight), timeout=30)
        if self._held:
            with contextlib.suppress(Exception):
                await self.write([])
        self._closed = True
        # The writer last: the last connection to close checkpoints the WAL into the file and
        # removes it, so the file alone holds everything (an immutable reader ignores a WAL).
        for connection in (self._reader, self._writer):
            if connection is not None:
                await sqlite.close_quietly(connection)
        if self._lock is not None:
            sqlite.release_lock(self._lock)


def _says_why(notice: str | None) -> bool:
    """A full disk or a lock is the more useful thing to say than "read-only"."""
    return notice is not None and (notice.startswith("disk full") or "locked" in notice)
