"""What a deploy watch compares with, read from a real SQLite store: the version before, never the
new version itself; stored baselines; where the version was accepted; a week earlier."""

from __future__ import annotations

import random
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from umig_tui.config import StoreSettings
from umig_tui.events import POLLER, Deployment, Event, EventKind
from umig_tui.metrics import RESPONSE_TIME
from umig_tui.models import Endpoint, Metrics, MetricsSnapshot, PollResult
from umig_tui.service.deploy_baselines import WEEK, before_deploy, other_references
from umig_tui.store.state import load_baselines
from umig_tui.store.store import Store
from umig_tui.store.trends import BaselineCapture

NOW = time.time()
ENV = "production"


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await Store.open(tmp_path / "store.db", StoreSettings())
    yield opened
    await opened.close()


def metrics_at(ts: float, response: float, env: str = ENV) -> PollResult:
    snapshot = MetricsSnapshot(
        samples=(), metrics=Metrics(response_time_ms=response, error_rate=0.002)
    )
    return PollResult(env, Endpoint.METRICS, ts, 10.0, value=snapshot)


async def record(
    store: Store, start: float, end: float, center: float, *, env: str = ENV, step: float = 30.0
) -> int:
    rng = random.Random(int(start))
    results = []
    ts = start
    while ts < end:
        results.append(metrics_at(ts, center * (1 + rng.gauss(0, 0.05)), env))
        ts += step
    assert await store.write(results)
    return len(results)


async def landed(store: Store, ts: float, before: str, after: str) -> None:
    payload = Deployment(source=POLLER, from_version=before, to_version=after)
    await store.add_event(Event(ts, ENV, EventKind.DEPLOYMENT, f"{after} landed", payload=payload))


async def test_started_after_the_landing_the_hour_before_it_is_the_old_version_only(
    store: Store,
) -> None:
    landing = NOW - 1200
    old = await record(store, landing - 3600, landing, 100.0)
    await record(store, landing, NOW, 160.0)  # the new version, slower: never the baseline
    await landed(store, landing, "1.1.2", "1.2.0")
    before = await before_deploy(store, ENV, "1.2.0", "1.2.0", now=NOW)
    assert before.previous == "1.1.2"
    assert before.landed_at == landing
    assert before.window == (landing - 3600, landing)
    assert len(before.response) == old
    assert max(before.response) < 130.0


async def test_before_the_landing_the_hour_before_now_starts_where_the_old_version_landed(
    store: Store,
) -> None:
    await record(store, NOW - 3600, NOW - 1800, 300.0)  # the version before the previous one
    await landed(store, NOW - 1800, "1.1.1", "1.1.2")
    await record(store, NOW - 1800, NOW, 100.0)
    before = await before_deploy(store, ENV, "1.1.2", "1.2.0", now=NOW)
    assert before.previous == "1.1.2"
    assert before.window == (NOW - 1800, NOW)
    assert max(before.response) < 130.0


async def test_landing_unknown_the_previous_versions_stored_baseline_decides(
    store: Store,
) -> None:
    await record(store, NOW - 7200, NOW - 3600, 100.0)
    await record(store, NOW - 3600, NOW, 160.0)  # 1.2.0, landing never recorded
    capture = BaselineCapture(store, window=1800.0, settle=0.0, min_samples=10)
    capture.seen(ENV, "1.1.2", NOW - 7200)
    assert await capture.capture(now=NOW)
    before = await before_deploy(store, ENV, "1.2.0", "1.2.0", now=NOW)
    assert (before.previous, before.response, before.window) == ("1.1.2", (), None)
    refs = await other_references(store, ENV, "1.2.0", before, accepted_envs=[], now=NOW)
    assert [r.label for r in refs] == ["1.1.2 on production, its stored baseline (auto)"]
    assert refs[0].window == (NOW - 7200, NOW - 5400)
    assert len(refs[0].response) == 60
    assert max(refs[0].response) < 130.0


async def test_the_new_versions_own_baseline_is_never_a_reference(store: Store) -> None:
    await record(store, NOW - 3600, NOW, 100.0)
    capture = BaselineCapture(store, window=1800.0, settle=0.0, min_samples=10)
    capture.seen(ENV, "1.2.0", NOW - 3600)
    assert await capture.capture(now=NOW)
    before = await before_deploy(store, ENV, "1.2.0", "1.2.0", now=NOW)
    refs = await other_references(store, ENV, "1.2.0", before, accepted_envs=[], now=NOW)
    assert refs == []
    assert before.previous is None


async def test_where_it_was_accepted_and_a_week_earlier_are_labelled(store: Store) -> None:
    await record(store, NOW - 3600, NOW, 90.0, env="uat")
    capture = BaselineCapture(store, window=1800.0, settle=0.0, min_samples=10)
    capture.seen("uat", "1.2.0", NOW - 3600)
    assert await capture.capture(now=NOW)
    # A week ago is past raw retention at 1 day: 1-minute averages, and the label says so.
    await record(store, NOW - WEEK - 3600, NOW - WEEK, 110.0, step=60.0)
    store.settings = StoreSettings(raw_retention=86400.0)
    before = await before_deploy(store, ENV, "1.1.2", "1.2.0", now=NOW)
    refs = await other_references(store, ENV, "1.2.0", before, accepted_envs=["uat"], now=NOW)
    assert [r.label for r in refs] == [
        "1.2.0 on uat, where it was accepted (auto baseline)",
        "production a week earlier, the same hour (1-minute averages: raw samples no longer kept)",
    ]
    assert 55 <= len(refs[1].response) <= 60  # one per minute of the hour
    stored = {(b.env, b.version) for b in await load_baselines(store) if b.metric == RESPONSE_TIME}
    assert stored == {("uat", "1.2.0")}
