"""A full disk is reported, not fatal: polling goes on, and what was kept is written later.

Two ways to fill it: ``PRAGMA max_page_count`` on the writer (the file cannot grow; runs
anywhere) and a real 8 MiB tmpfs filled to the last block (root only). test_store_degraded
pins the one-cycle case; these run a live Monitor through it, and the one-shot commands.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import sqlite3
import subprocess
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from msgspec.structs import replace

from tests.conftest import UMIG_TUI, cli_env
from umig_tui.config import Config, Polling
from umig_tui.demo.fleet import demo_config
from umig_tui.demo.simulator import Simulator
from umig_tui.models import Endpoint, PollResult
from umig_tui.service.monitor import Monitor
from umig_tui.service.runtime import open_monitor
from umig_tui.store import store as store_module
from umig_tui.store.store import Store

FAST = Polling(health=0.1, version=0.1, components=0.1, metrics=0.1, timeout=1.0)
FULL_FOR = 1.0  # seconds of polling while nothing can be written


def config() -> Config:
    base = demo_config(Config(environments=()), 4)
    return replace(base, polling=FAST, history_file=None)


# --- ways to fill a disk -------------------------------------------------------------------


@dataclass
class Disk:
    """Where the store lives, and how to take its space away and give it back."""

    db: Path
    fill: Callable[[Monitor], Awaitable[None]]
    free: Callable[[Monitor], Awaitable[None]]


async def _max_pages(monitor: Monitor, pages: int | None) -> None:
    assert monitor.store is not None
    writer = monitor.store._writer
    assert writer is not None
    if pages is None:
        pages = (await (await writer.execute("PRAGMA page_count")).fetchone() or (0,))[0]
    await writer.execute(f"PRAGMA max_page_count = {pages}")


def _fill_up(path: Path) -> None:
    """Write zeros to ``path`` until the file system has not one block left."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (1 << 20, 4096, 512):
            with contextlib.suppress(OSError):
                while True:
                    os.write(fd, bytes(size))
    finally:
        os.close(fd)


@contextlib.contextmanager
def tmpfs(mount_point: Path, size: str) -> Iterator[Path]:
    """A real, tiny file system (root and a kernel that lets us mount; else skip)."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("a tmpfs needs root and mount(8)")
    mount_point.mkdir(parents=True)
    proc = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.strip()}")
    try:
        yield mount_point
    finally:
        if subprocess.run(["umount", str(mount_point)], check=False).returncode != 0:
            subprocess.run(["umount", "-l", str(mount_point)], check=False)


@pytest.fixture(params=["max_page_count", "tmpfs"])
def disk(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Disk]:
    if request.param == "max_page_count":

        async def fill(monitor: Monitor) -> None:
            await _max_pages(monitor, None)

        async def free(monitor: Monitor) -> None:
            await _max_pages(monitor, 1_073_741_823)

        yield Disk(tmp_path / "state" / "samples.db", fill, free)
        return
    # 8 MiB: the WAL grows to 4 MiB before its first checkpoint; a smaller disk fills by itself.
    with tmpfs(tmp_path / "tiny", "8m") as mount:
        filler = mount / "filler"

        async def fill_tmpfs(monitor: Monitor) -> None:
            await asyncio.to_thread(_fill_up, filler)

        async def free_tmpfs(monitor: Monitor) -> None:
            filler.unlink()

        yield Disk(mount / "samples.db", fill_tmpfs, free_tmpfs)


# --- a live monitor ------------------------------------------------------------------------


@dataclass
class Live:
    """A monitor polling the in-process demo fleet continuously, its results collected."""

    monitor: Monitor
    seen: list[PollResult]
    loops: list[asyncio.Task[None]]

    @property
    def store(self) -> Store:
        assert self.monitor.store is not None
        return self.monitor.store

    async def stop_polling(self) -> None:
        for task in self.loops:
            task.cancel()
        await asyncio.gather(*self.loops, return_exceptions=True)


StartLive = Callable[[Path], Awaitable[Live]]


@pytest.fixture
async def live() -> AsyncIterator[StartLive]:
    running: list[Live] = []

    async def start(db: Path) -> Live:
        monitor = await open_monitor(
            config(), environ={}, store_path=db, simulator=Simulator(4, scenario="static")
        )
        seen: list[PollResult] = []
        monitor.subscribe(lambda change: seen.append(change.result) if change.result else None)
        assert monitor.store is not None
        monitor.store.start()
        loops = [asyncio.create_task(monitor.poll_loop(n)) for n in monitor.clients]
        running.append(Live(monitor, seen, loops))
        return running[-1]

    yield start
    for run in running:
        await run.stop_polling()
        await run.monitor.aclose()


async def wait_until(condition: Callable[[], bool], within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {within:g}s: {what}")
        await asyncio.sleep(0.02)


def stored_health_polls(db: Path) -> set[tuple[str, int]]:
    connection = sqlite3.connect(db)
    try:
        rows = connection.execute(
            "SELECT x.env, s.ts FROM samples s JOIN series x ON x.id = s.series_id "
            "WHERE x.metric = 'poll_ok:health'"
        ).fetchall()
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        connection.close()
    return {(env, int(ts)) for env, ts in rows}


async def test_a_full_disk_pauses_history_not_polling_and_the_kept_batch_lands_later(
    disk: Disk, live: StartLive
) -> None:
    run = await live(disk.db)
    monitor, store = run.monitor, run.store
    await wait_until(lambda: store.writes >= 2, 3, "the first batches are written")
    assert monitor.store_notice is None

    await disk.fill(monitor)
    await wait_until(lambda: "full" in (monitor.store_notice or ""), 3, "a 'disk full' notice")
    notice = monitor.store_notice or ""
    assert str(disk.db) in notice
    assert "\n" not in notice
    # Polling goes on at its pace while nothing can be written.
    before, writes = len(run.seen), store.writes
    started = time.monotonic()

    def per_env() -> dict[str, int]:
        health = [r for r in run.seen[before:] if r.endpoint is Endpoint.HEALTH]
        return {name: sum(1 for r in health if r.env == name) for name in monitor.clients}

    # Several health polls of every environment (not a count bet on one wall-clock second).
    wanted = FULL_FOR / FAST.health * 0.6
    await wait_until(lambda: min(per_env().values()) >= wanted, 10, f"{wanted:g} polls each")
    during = run.seen[before:]
    health = [r for r in during if r.endpoint is Endpoint.HEALTH]
    assert store.writes == writes
    assert "full" in (monitor.store_notice or "")
    assert all(r.ok for r in during), [r.error for r in during if r.error]
    wall = time.time() - (time.monotonic() - started)
    assert all((v.updated_at or 0) >= wall for v in monitor.fleet.views())

    await disk.free(monitor)
    await wait_until(lambda: monitor.store_notice is None, 3, "the notice goes away")
    await run.stop_polling()
    await store.flush()
    # Every health poll of the run is in the file: the ones made while the disk was full too.
    polled = {(r.env, int(r.ts * 1000)) for r in run.seen if r.endpoint is Endpoint.HEALTH}
    assert len(polled) > len(health)
    assert stored_health_polls(disk.db) == polled


async def test_what_is_kept_for_later_is_bounded_while_the_disk_stays_full(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, live: StartLive
) -> None:
    """A disk full for hours must not fill the memory instead: the newest results are kept."""
    monkeypatch.setattr(store_module, "MAX_PENDING", 40)
    run = await live(tmp_path / "state" / "samples.db")
    monitor, store = run.monitor, run.store
    await wait_until(lambda: store.writes >= 1, 3, "a first batch")
    await _max_pages(monitor, None)
    await wait_until(lambda: "full" in (monitor.store_notice or ""), 3, "the full notice")
    polled = len(run.seen)
    await wait_until(lambda: len(run.seen) > polled + 200, 5, "many polls while full")
    assert store.kept <= 40
    newest = [r for r in run.seen if r.endpoint is Endpoint.HEALTH][-1]
    await _max_pages(monitor, 1_073_741_823)
    await wait_until(lambda: monitor.store_notice is None, 3, "room again")
    assert store.kept == 0
    await run.stop_polling()
    await store.flush()
    assert (newest.env, int(newest.ts * 1000)) in stored_health_polls(store.path)


# --- one-shot commands on a full disk -------------------------------------------------------


@pytest.mark.parametrize("existing", [False, True], ids=["new-store", "existing-store"])
def test_status_on_a_full_disk_notes_it_and_answers(existing: bool, tmp_path: Path) -> None:
    """Not an internal error (the lock file's pid could not be flushed), not "disk I/O error"."""
    with tmpfs(tmp_path / "tiny", "1m") as mount:
        db = mount / "samples.db"

        def status() -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [*UMIG_TUI, "status", "--demo", "--store", str(db)],
                capture_output=True,
                text=True,
                env=cli_env(),
                timeout=30,
                check=False,
            )

        if existing:
            first = status()
            assert first.returncode == 0, first.stderr
        _fill_up(mount / "filler")
        proc = status()
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("DEMO fleet: 4 environments, worst healthy")
    assert proc.stderr == (
        f"umig-tui: note: disk full: store {db} cannot grow; new samples are not saved\n"
    )
