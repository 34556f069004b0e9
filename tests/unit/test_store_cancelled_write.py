"""A write whose caller is cancelled (the dashboard quitting mid-way) still ends its
transaction: the writes queued behind it are kept, and nothing is rolled back at close."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

from umig_tui.config import StoreSettings
from umig_tui.models import Endpoint, PollResult
from umig_tui.store.store import Store


def count(path: Path, table: str) -> int:
    connection = sqlite3.connect(path)
    try:
        return int(connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    finally:
        connection.close()


async def test_a_cancelled_bulk_execute_is_committed_and_later_writes_are_kept(
    tmp_path: Path,
) -> None:
    path = tmp_path / "samples.db"
    store = await Store.open(path, StoreSettings())
    store.start()
    await store.execute([("INSERT INTO series (env, metric) VALUES (?, ?)", [("uat", "x")])])
    [(series_id,)] = await store.query("SELECT id FROM series WHERE metric = 'x'")
    rows = [(series_id, i, float(i)) for i in range(300_000)]  # long enough to be cut short
    bulk = asyncio.ensure_future(
        store.execute([("INSERT INTO samples (series_id, ts, value) VALUES (?, ?, ?)", rows)])
    )
    await asyncio.sleep(0.01)  # the executemany is running in the writer's thread
    bulk.cancel()
    now = time.time()
    for i in range(5):
        store.submit(PollResult("uat", Endpoint.HEALTH, now + i, 5.0))
    await store.close()
    assert count(path, "samples") >= len(rows) + 5
