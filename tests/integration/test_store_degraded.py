"""A store that is corrupt, taken, read-only, locked or full: a clear notice, polling goes on."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import aiosqlite
import pytest
from msgspec.structs import replace

from umig_tui.config import Config, Polling, StoreSettings
from umig_tui.demo.fleet import demo_config
from umig_tui.demo.simulator import Simulator
from umig_tui.events import Event, EventKind
from umig_tui.models import Endpoint, ErrorKind, FetchError, PollResult
from umig_tui.service.monitor import Monitor
from umig_tui.service.runtime import open_monitor, open_store
from umig_tui.store import connect as store_module
from umig_tui.store.queries import latest_rows
from umig_tui.store.store import Store, StoreUnavailable

SETTINGS = StoreSettings()
MonitorFactory = Callable[[Path], Awaitable[Monitor]]


def config() -> Config:
    base = demo_config(Config(environments=()), 4)
    return replace(base, polling=Polling(timeout=1.0))


def failure(env: str, ts: float) -> PollResult:
    return PollResult(
        env, Endpoint.HEALTH, ts, 2.0, error=FetchError(ErrorKind.CONNECT_ERROR, "refused")
    )


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "state" / "samples.db"


@pytest.fixture
async def monitors() -> AsyncIterator[MonitorFactory]:
    """open_monitor on a path (demo fleet in-process); every monitor is closed afterwards."""
    opened: list[Monitor] = []

    async def make(path: Path) -> Monitor:
        monitor = await open_monitor(
            config(), environ={}, store_path=path, simulator=Simulator(4, scenario="static")
        )
        opened.append(monitor)
        return monitor

    yield make
    for monitor in opened:
        await monitor.aclose()


async def assert_polls(monitor: Monitor) -> None:
    results = await monitor.poll_once()
    assert len(results) == 16
    assert all(r.ok for r in results), [r.error for r in results if r.error]


async def wait_for_notice(monitor: Monitor, word: str, within: float = 5.0) -> str:
    deadline = time.monotonic() + within
    while word not in (monitor.store_notice or ""):
        if time.monotonic() > deadline:
            raise AssertionError(f"no {word!r} notice; have {monitor.store_notice!r}")
        await asyncio.sleep(0.02)
    return monitor.store_notice or ""


def write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def read_bytes(path: Path) -> bytes:
    return path.read_bytes()


def count(path: Path, query: str) -> int:
    connection = sqlite3.connect(path)
    try:
        return int(connection.execute(query).fetchone()[0])
    finally:
        connection.close()


@pytest.fixture
def short_busy_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """A lock is reported after 0.3 s instead of 2 s (the behaviour is the same, only faster)."""
    monkeypatch.setattr(store_module, "BUSY_TIMEOUT_MS", 300)


# -- corrupt --------------------------------------------------------------------------------


async def test_corrupt_file_means_no_history_with_a_clear_notice(
    db: Path, monitors: MonitorFactory
) -> None:
    garbage = os.urandom(64 * 1024)
    write_bytes(db, garbage)
    with pytest.raises(StoreUnavailable, match="corrupt"):
        await Store.open(db, SETTINGS)
    store, notice = await open_store(config(), db)
    assert store is None
    assert notice is not None
    assert "corrupt" in notice
    assert str(db) in notice
    monitor = await monitors(db)
    assert monitor.store is None
    assert "corrupt" in (monitor.store_notice or "")
    await assert_polls(monitor)
    assert read_bytes(db) == garbage  # never "repaired" behind the user's back


# -- another instance records ---------------------------------------------------------------


async def test_second_instance_reads_history_but_does_not_record(
    db: Path, monitors: MonitorFactory
) -> None:
    first = await Store.open(db, SETTINGS)
    now = time.time()
    assert await first.write(
        [failure("uat", now), Event(now, "uat", EventKind.STATUS_CHANGE, "uat went away")]
    )
    second = await Store.open(db, SETTINGS)
    assert not second.recording
    assert second.writable  # its own events (a deploy watch) still go in
    assert second.notice is not None
    assert f"pid {os.getpid()}" in second.notice
    assert await second.write([failure("uat", now + 1)]) is False
    assert [e.summary for e in await second.events()] == ["uat went away"]
    await second.close()

    monitor = await monitors(db)
    assert monitor.store is not None
    assert not monitor.store.recording
    assert f"pid {os.getpid()}" in (monitor.store_notice or "")
    await assert_polls(monitor)
    assert await monitor.restore() >= 1  # the recording instance's state is shown
    await first.close()
    assert count(db, "SELECT count(*) FROM poll_errors") == 1  # the second one wrote nothing


HOLDER = """
import asyncio, sys, time
from pathlib import Path
from umig_tui.config import StoreSettings
from umig_tui.models import Endpoint, ErrorKind, FetchError, PollResult
from umig_tui.store.store import Store

async def main():
    store = await Store.open(Path(sys.argv[1]), StoreSettings())
    error = FetchError(ErrorKind.TIMEOUT, "slow")
    await store.write([PollResult("production", Endpoint.HEALTH, time.time(), 9.0, error=error)])
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await store.close()

asyncio.run(main())
"""


@pytest.fixture
def holder(db: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process that records into ``db`` until its stdin closes."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(db)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "ready"
    yield process
    assert process.stdin is not None
    process.stdin.close()
    process.wait(10)


async def test_store_recorded_by_another_process_opens_read_only(
    db: Path,
    holder: subprocess.Popen[str],
    monitors: MonitorFactory,
) -> None:
    monitor = await monitors(db)
    assert monitor.store is not None
    assert not monitor.store.recording
    assert f"pid {holder.pid}" in (monitor.store_notice or "")
    rows = await latest_rows(monitor.store)
    assert [(r.env, r.error_kind) for r in rows] == [("production", "timeout")]
    await assert_polls(monitor)
    assert await monitor.store.write([failure("uat", time.time())]) is False


# -- read-only ------------------------------------------------------------------------------


@pytest.mark.skipif(
    hasattr(os, "geteuid") and os.geteuid() == 0,
    reason="running as root: file permissions do not apply (the simulated test covers it)",
)
async def test_read_only_directory_gives_a_notice_and_polling_goes_on(
    db: Path, monitors: MonitorFactory
) -> None:
    store = await Store.open(db, SETTINGS)
    assert await store.write([failure("uat", time.time())])
    await store.close()
    for leftover in db.parent.glob("samples.db-*"):
        leftover.unlink()
    db.parent.chmod(0o555)
    try:
        monitor = await monitors(db)
        await assert_polls(monitor)
        if monitor.store is not None and monitor.store.writable:
            await monitor.store.flush()
        notice = monitor.store_notice or ""
        assert "read-only" in notice or "cannot open" in notice, notice
        await assert_polls(monitor)
    finally:
        db.parent.chmod(0o755)


async def test_database_sqlite_reports_read_only_gives_a_notice(
    db: Path,
    monkeypatch: pytest.MonkeyPatch,
    monitors: MonitorFactory,
) -> None:
    store = await Store.open(db, SETTINGS)
    await store.close()
    connect = store_module.connect

    async def read_only(
        path: Path, *, read_only: bool = False, immutable: bool = False
    ) -> aiosqlite.Connection:
        # What a file SQLite may read but not write looks like, whoever runs the test.
        return await connect(path, read_only=True, immutable=immutable)

    monkeypatch.setattr(store_module, "connect", read_only)
    monitor = await monitors(db)
    await assert_polls(monitor)
    assert monitor.store is not None
    await monitor.store.flush()
    notice = await wait_for_notice(monitor, "read-only")
    assert str(db) in notice
    await assert_polls(monitor)  # and again: nothing raises, nothing waits


# -- locked ---------------------------------------------------------------------------------


async def test_locked_database_keeps_the_batch_until_the_lock_is_released(
    db: Path, short_busy_timeout: None
) -> None:
    store = await Store.open(db, SETTINGS)
    now = time.time()
    blocker = sqlite3.connect(db, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        assert await store.write([failure("uat", now)]) is False
        assert store.notice is not None
        assert "locked" in store.notice
    finally:
        blocker.execute("COMMIT")
        blocker.close()
    assert await store.write([failure("uat", now + 1)]) is True
    assert store.notice is None
    await store.close()
    assert count(db, "SELECT count(*) FROM poll_errors") == 2


async def test_monitor_keeps_polling_while_the_database_is_locked(
    db: Path,
    short_busy_timeout: None,
    monitors: MonitorFactory,
) -> None:
    store = await Store.open(db, SETTINGS)
    await store.close()
    blocker = sqlite3.connect(db, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        monitor = await monitors(db)
        assert monitor.store is not None
        monitor.store.start()  # a long run (the dashboard) writes as it goes
        started = time.monotonic()
        await assert_polls(monitor)
        assert time.monotonic() - started < 1.0  # polling never waits for the store
        await wait_for_notice(monitor, "locked")
    finally:
        blocker.execute("COMMIT")
        blocker.close()
    await assert_polls(monitor)
    assert monitor.store is not None
    await monitor.store.flush()
    assert monitor.store_notice is None
    # both cycles are there: what was submitted while locked was kept and written later
    assert count(db, "SELECT count(*) FROM samples") > 0
    polls = count(
        db,
        "SELECT count(*) FROM samples s JOIN series x ON x.id = s.series_id "
        "WHERE x.metric = 'poll_ok:health'",
    )
    assert polls == 8


# -- full -----------------------------------------------------------------------------------


async def test_disk_full_gives_a_notice_and_no_exception(
    db: Path, monitors: MonitorFactory
) -> None:
    monitor = await monitors(db)
    store = monitor.store
    assert store is not None
    writer = store._writer
    assert writer is not None
    pages = (await (await writer.execute("PRAGMA page_count")).fetchone() or (0,))[0]
    await writer.execute(f"PRAGMA max_page_count = {pages}")  # the file cannot grow
    await assert_polls(monitor)
    await store.flush()
    notice = await wait_for_notice(monitor, "full")
    assert str(db) in notice
    await assert_polls(monitor)
    await writer.execute("PRAGMA max_page_count = 1073741823")  # space again
    await assert_polls(monitor)
    await store.flush()
    assert monitor.store_notice is None
    assert (await store.query("SELECT count(*) FROM latest"))[0][0] == 16


# -- killed mid-write -----------------------------------------------------------------------

WRITER = """
import asyncio, sys, time
from pathlib import Path
from umig_tui.config import StoreSettings
from umig_tui.models import Endpoint, ErrorKind, FetchError, PollResult
from umig_tui.store.store import Store

async def main():
    store = await Store.open(Path(sys.argv[1]), StoreSettings())
    error = FetchError(ErrorKind.TIMEOUT, "slow")
    batch = 0
    while True:
        now = time.time()
        results = [
            PollResult(f"env{i}", Endpoint.HEALTH, now + i / 1000, 9.0, error=error)
            for i in range(50)
        ]
        assert await store.write(results)
        batch += 1
        print(batch, flush=True)

asyncio.run(main())
"""


def write_then_kill(db: Path, batches: int) -> int:
    """Run WRITER until it reports ``batches`` commits, SIGKILL it; the last batch it reported."""
    db.parent.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(db)], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    printed = 0
    while printed < batches:
        line = process.stdout.readline()
        assert line, "the writer died on its own"
        printed = int(line)
    process.send_signal(signal.SIGKILL)
    printed = max([printed, *(int(line) for line in process.stdout.read().split())])
    process.wait(10)
    assert process.returncode == -signal.SIGKILL
    return printed


async def test_killed_writer_leaves_a_clean_store_missing_at_most_one_batch(db: Path) -> None:
    printed = write_then_kill(db, 30)
    store = await Store.open(db, SETTINGS)  # the dead process's lock is gone
    assert store.writable
    assert store.notice is None
    assert (await store.query("PRAGMA integrity_check"))[0][0] == "ok"
    rows = (await store.query("SELECT count(*) FROM poll_errors"))[0][0]
    assert printed * 50 <= rows <= (printed + 1) * 50
    assert await store.write([failure("uat", time.time())])
    await store.close()


async def test_second_instance_still_records_its_own_events(db: Path) -> None:
    """A deploy watch run beside the dashboard: its transitions reach the shared timeline."""
    first = await Store.open(db, SETTINGS)
    second = await Store.open(db, SETTINGS)
    try:
        now = time.time()
        assert not second.recording
        assert await second.write([failure("uat", now)]) is False  # samples: the first one's job
        assert await second.write(
            [Event(now, "production", EventKind.DEPLOYMENT, "deploy of 1.2.0 succeeded")]
        )
        assert [e.summary for e in await first.events()] == ["deploy of 1.2.0 succeeded"]
    finally:
        await second.close()
        await first.close()
