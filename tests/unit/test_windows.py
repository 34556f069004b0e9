"""Window statistics and availability on a generated 90-day store with known answers.

The store (tests/generated_store.py) holds what retention leaves of 90 days of health polls
every 30 s for four environments: raw samples for 7 days, minute rollups for 14, hour rollups
for 90. Each window's answer below is worked out by hand from the chosen values.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.generated_store import (
    DAY,
    HOTFIX_FAILURES,
    HOUR,
    NOW,
    EnvHistory,
    Stretch,
    build,
    ninety_day_store,
    poll_times,
    table_by_name,
)
from umig_tui.config import StoreSettings
from umig_tui.metrics import RESPONSE_TIME
from umig_tui.models import Endpoint, ErrorKind, FetchError, HealthSnapshot, Metrics, PollResult
from umig_tui.store.store import Store
from umig_tui.store.windows import availability, source_for, window_stats


@pytest.fixture(scope="session")
def ninety_days(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ninety_day_store(tmp_path_factory.getbasetemp())


@pytest.fixture
async def store(ninety_days: Path, tmp_path: Path) -> AsyncIterator[Store]:
    copy = tmp_path / "samples.db"
    shutil.copyfile(ninety_days, copy)
    opened = await Store.open(copy, StoreSettings())
    yield opened
    await opened.close()


def stats_tuple(stats: object) -> tuple[object, ...]:
    return tuple(getattr(stats, name) for name in ("count", "avg", "min", "max", "p95", "p99"))


# -- the generator writes what Store.write and Store.prune would leave ------------------------


def poll_result(env: str, history: EnvHistory, t: int) -> PollResult:
    if t in history.failures:
        return PollResult(env, Endpoint.HEALTH, t, None, error=FetchError(ErrorKind.TIMEOUT, "x"))
    values = dict(history.samples(t))
    metrics = Metrics(response_time_ms=values[RESPONSE_TIME], error_rate=values["error_rate"])
    return PollResult(
        env, Endpoint.HEALTH, t, None, value=HealthSnapshot("healthy", metrics=metrics)
    )


async def test_generated_store_matches_store_write_then_prune(tmp_path: Path) -> None:
    settings = StoreSettings(
        retention=36 * HOUR, raw_retention=3 * HOUR, minute_retention=12 * HOUR
    )
    histories = {
        "uat": EnvHistory(
            response=(
                Stretch(NOW - 20 * HOUR, NOW - 19 * HOUR, lambda t: 100.0 + t % 7),
                Stretch(NOW - 2 * HOUR - 90, NOW - 2 * HOUR + 90, 0.3),
            ),
            errors=(Stretch(NOW - 11 * HOUR, NOW - 10 * HOUR, lambda t: (t % 11) / 1000),),
            failures=frozenset({NOW - 30 * HOUR, NOW - 6 * HOUR + 30, NOW - 600, NOW - 570}),
        ),
        "production": EnvHistory(response_ms=172.5, error_rate=0.0023),
    }
    generated = build(tmp_path / "generated.db", histories, now=NOW, days=2, settings=settings)

    written = tmp_path / "written.db"
    store = await Store.open(written, settings)
    try:
        start = NOW - 2 * DAY
        results = [
            poll_result(env, history, t)
            for env, history in histories.items()
            for t in poll_times(start, start, NOW)
        ]
        for offset in range(0, len(results), 2000):
            assert await store.write(results[offset : offset + 2000])
        await store.prune(now=NOW)
    finally:
        await store.close()

    for table in ("samples", "rollup_1m", "rollup_1h"):
        expected = list(table_by_name(written, table))
        assert expected, table
        assert list(table_by_name(generated, table)) == expected, table


async def test_retention_left_raw_for_7d_minutes_for_14d_hours_for_90d(store: Store) -> None:
    [(first_raw, last_raw)] = await store.query("SELECT min(ts), max(ts) FROM samples")
    [(first_minute,)] = await store.query("SELECT min(bucket) FROM rollup_1m")
    [(first_hour, last_hour)] = await store.query("SELECT min(bucket), max(bucket) FROM rollup_1h")
    assert first_raw == (NOW - 7 * DAY) * 1000
    assert last_raw == (NOW - 30) * 1000
    assert first_minute == NOW - 14 * DAY
    assert (first_hour, last_hour) == (NOW - 90 * DAY, NOW - HOUR)


# -- window statistics ---------------------------------------------------------------------------

# production: 100 ms, except 600 ms for the hour 5 h ago and 200 ms for the day 20 days ago.
# Raw windows (≤ 7 d) have exact nearest-rank percentiles over the samples; the 30 d and 90 d
# windows come from hour rollups, whose percentiles are over the hours' averages.
WINDOWS = {
    "1h": (HOUR, (120, 100.0, 100.0, 100.0, 100.0, 100.0)),
    # 2760 × 100 + 120 × 600; P99 is rank 2852 of 2880, past the 2760 fast ones
    "24h": (DAY, (2880, 348_000 / 2880, 100.0, 600.0, 100.0, 600.0)),
    # 20040 × 100 + 120 × 600; P99 is rank 19959 of 20160, still a fast one
    "7d": (7 * DAY, (20160, 2_076_000 / 20160, 100.0, 600.0, 100.0, 100.0)),
    # 720 hours: 695 at 100, 24 at 200, 1 at 600; P99 is rank 713 → an hour at 200
    "30d": (30 * DAY, (86400, 8_988_000 / 86400, 100.0, 600.0, 100.0, 200.0)),
    # 2160 hours: 2135 at 100, 24 at 200, 1 at 600; P99 is rank 2139 → 200
    "90d": (90 * DAY, (259_200, 26_268_000 / 259_200, 100.0, 600.0, 100.0, 200.0)),
}


@pytest.mark.parametrize("window", list(WINDOWS))
async def test_window_stats_of_production_response_time(store: Store, window: str) -> None:
    span, expected = WINDOWS[window]
    stats = await window_stats(
        store, "production", RESPONSE_TIME, since=NOW - span, until=NOW, now=NOW
    )
    assert stats_tuple(stats) == pytest.approx(expected)


async def test_the_degraded_hour_alone_breaks_the_p95_target(store: Store) -> None:
    stats = await window_stats(
        store, "production", RESPONSE_TIME, since=NOW - 5 * HOUR, until=NOW - 4 * HOUR, now=NOW
    )
    assert stats_tuple(stats) == (120, 600.0, 600.0, 600.0, 600.0, 600.0)


async def test_failed_polls_leave_no_response_sample(store: Store) -> None:
    stats = await window_stats(store, "hotfix", RESPONSE_TIME, since=NOW - DAY, until=NOW, now=NOW)
    assert stats.count == 2880 - 12
    assert stats.avg == 100.0


async def test_a_window_before_any_data_is_empty(store: Store) -> None:
    since = NOW - 200 * DAY
    stats = await window_stats(store, "uat", RESPONSE_TIME, since=since, until=since + DAY, now=NOW)
    assert stats_tuple(stats) == (0, None, None, None, None, None)
    assert await availability(store, "uat", since=since, until=since + DAY, now=NOW) == (None, 0)
    empty = await window_stats(
        store, "nowhere", RESPONSE_TIME, since=NOW - HOUR, until=NOW, now=NOW
    )
    assert empty.count == 0


# -- which source answers: raw, minute or hour rollups -------------------------------------------


@pytest.mark.parametrize(
    ("since", "source"),
    [
        (NOW - HOUR, "raw"),
        (NOW - 7 * DAY, "raw"),  # the oldest raw sample retention keeps
        (NOW - 7 * DAY - 1, "1m"),
        (NOW - 14 * DAY, "1m"),
        (NOW - 14 * DAY - 1, "1h"),
        (NOW - 90 * DAY, "1h"),
    ],
)
async def test_source_follows_the_retention_boundaries(
    store: Store, since: float, source: str
) -> None:
    assert source_for(store, since, NOW) == source


async def test_raw_percentiles_are_exact_and_minute_rollups_smooth_them(store: Store) -> None:
    # development, the hour starting 7 days ago: 100 ms at :00 and 300 ms at :30 of every minute
    start = NOW - 7 * DAY
    raw = await window_stats(
        store, "development", RESPONSE_TIME, since=start, until=start + HOUR, now=NOW
    )
    assert stats_tuple(raw) == (120, 200.0, 100.0, 300.0, 300.0, 300.0)
    # one second earlier the window is older than raw retention: minute averages, all 200
    minutes = await window_stats(
        store, "development", RESPONSE_TIME, since=start - 1, until=start + HOUR, now=NOW
    )
    assert stats_tuple(minutes) == (120, 200.0, 100.0, 300.0, 200.0, 200.0)


async def test_minute_percentiles_beat_hour_rollups_at_their_boundary(store: Store) -> None:
    # development, the hour starting 14 days ago: whole minutes at 100 ms and 300 ms in turn
    start = NOW - 14 * DAY
    minutes = await window_stats(
        store, "development", RESPONSE_TIME, since=start, until=start + HOUR, now=NOW
    )
    assert stats_tuple(minutes) == (120, 200.0, 100.0, 300.0, 300.0, 300.0)
    hours = await window_stats(
        store, "development", RESPONSE_TIME, since=start - 1, until=start + HOUR, now=NOW
    )
    assert stats_tuple(hours) == (120, 200.0, 100.0, 300.0, 200.0, 200.0)


# -- availability: the share of successful health polls ------------------------------------------

# hotfix: 3 failed polls in the last hour, 9 more in 24 h, 8 more in 7 d, 40 in 30 d, 100 in 90 d
AVAILABILITY = {
    "1h": (HOUR, 3),
    "24h": (DAY, 12),
    "7d": (7 * DAY, 20),
    "30d": (30 * DAY, 60),  # hour rollups from here on
    "90d": (90 * DAY, 160),
}


@pytest.mark.parametrize("window", list(AVAILABILITY))
async def test_availability_counts_the_failed_health_polls(store: Store, window: str) -> None:
    span, failed = AVAILABILITY[window]
    polls = span // 30
    ratio, count = await availability(store, "hotfix", since=NOW - span, until=NOW, now=NOW)
    assert count == polls
    assert ratio == pytest.approx(1 - failed / polls)


def test_the_generator_placed_the_failures_it_was_asked_to() -> None:
    assert {k: len(v) for k, v in HOTFIX_FAILURES.items()} == {
        "1h": 3,
        "24h": 9,
        "7d": 8,
        "30d": 40,
        "90d": 100,
    }


async def test_an_environment_without_failures_is_fully_available(store: Store) -> None:
    for span, _ in AVAILABILITY.values():
        ratio, count = await availability(store, "production", since=NOW - span, until=NOW, now=NOW)
        assert (ratio, count) == (1.0, span // 30)
