"""A first batch that meets many new series (a first run on a large fleet) finds their ids in
one query, and every sample lands on its own series; a later batch asks for none."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from umig_tui.config import StoreSettings
from umig_tui.demo.simulator import Simulator
from umig_tui.store.samples import samples_from_result
from umig_tui.store.store import Store

from .test_store import C, H, M, V, good

ENVS = 60


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await Store.open(tmp_path / "samples.db", StoreSettings())
    yield opened
    await opened.close()


async def series_lookups(store: Store) -> list[str]:
    """The statements on the writer that look up series ids, from now on."""
    seen: list[str] = []
    writer = store._writer
    assert writer is not None
    await writer.set_trace_callback(
        lambda statement: seen.append(statement) if "FROM series" in statement else None
    )
    return seen


async def test_many_new_series_get_their_ids_in_one_query_and_every_sample_lands(
    store: Store,
) -> None:
    sim = Simulator(ENVS)
    names = list(sim.envs)
    now = time.time()
    results = [good(sim, env, e, now) for env in names for e in (H, V, C, M)]
    lookups = await series_lookups(store)
    assert await store.write(results)
    assert len(lookups) <= 2  # every id known, then every new one read back at once

    expected = {(r.env, metric): value for r in results for metric, value in samples_from_result(r)}
    stored = await store.query(
        "SELECT s.env, s.metric, x.value FROM samples x JOIN series s ON s.id = x.series_id"
    )
    got: dict[tuple[str, str], float] = {}
    for env, metric, value in stored:
        got[(str(env), str(metric))] = float(value)  # type: ignore[arg-type]
    for key, value in expected.items():
        assert got.get(key) == pytest.approx(value), key

    lookups.clear()
    assert await store.write([good(sim, env, H, now + 5) for env in names])
    assert lookups == []  # known series: no lookup at all
