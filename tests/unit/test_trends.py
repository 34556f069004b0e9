"""Trends (now vs 1 h, 24 h, 7 d ago and the baseline) and SLOs: pure rules, then known answers
from the generated 90-day store (tests/generated_store.py)."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.generated_store import DAY, HOUR, NOW, ninety_day_store
from umig_tui.analysis.stats import WindowStats, percentile, relative_change
from umig_tui.analysis.trends import MIN_SAMPLES, MetricTrend, SloReport, arrow, compare_trend
from umig_tui.config import SloSettings, StoreSettings
from umig_tui.metrics import ACTIVE_USERS, ERROR_RATE, RESPONSE_TIME
from umig_tui.store.slo import SLO_WINDOWS, burn_signal, env_slo, fleet_burn_signals
from umig_tui.store.state import load_baselines
from umig_tui.store.store import Store
from umig_tui.store.trends import (
    BaselineCapture,
    degradation_signal,
    env_trends,
    fleet_trends,
    set_baseline,
)
from umig_tui.store.windows import fleet_window_stats, window_stats


def flat(value: float, count: int = 30) -> WindowStats:
    return WindowStats.of([value] * count)


# -- pure: statistics, comparisons, arrows, budgets --------------------------------------------


def test_percentiles_are_nearest_rank() -> None:
    values = [float(v) for v in range(100, 0, -1)]
    assert percentile(values, 95) == 95.0
    assert percentile(values, 99) == 99.0
    assert percentile(values, 100) == 100.0
    assert percentile(values, 0) == 1.0
    assert percentile([7.0], 99) == 7.0
    assert percentile([], 95) is None


def test_window_stats_of_nothing_is_all_unknown() -> None:
    assert WindowStats.of([]) == WindowStats(0, None, None, None, None, None)
    assert WindowStats.of([3.0, 1.0, 2.0]) == WindowStats(3, 2.0, 1.0, 3.0, 3.0, 3.0)


def test_relative_change_needs_both_sides_and_a_nonzero_baseline() -> None:
    assert relative_change(130.0, 100.0) == pytest.approx(0.3)
    assert relative_change(None, 100.0) is None
    assert relative_change(1.0, None) is None
    assert relative_change(1.0, 0.0) is None


@pytest.mark.parametrize(
    ("change", "text"),
    [(None, "-"), (0.0, "≈"), (0.0099, "≈"), (-0.0099, "≈"), (0.3, "▲30%"), (-0.35, "▼35%")],
)
def test_arrow_shows_direction_and_percentage(change: float | None, text: str) -> None:
    assert arrow(change) == text


def test_worse_by_more_than_the_threshold_is_a_degradation() -> None:
    trend = compare_trend(
        "uat",
        RESPONSE_TIME,
        "avg",
        flat(130.0),
        {"1h ago": flat(100.0), "24h ago": flat(115.0), "7d ago": flat(200.0)},
        degradation=0.15,
    )
    assert [(r.label, r.degraded) for r in trend.references] == [
        ("1h ago", True),
        ("24h ago", False),  # 13 % worse: within the threshold
        ("7d ago", False),  # better
    ]
    assert trend.degraded
    at_threshold = compare_trend(
        "uat", RESPONSE_TIME, "avg", flat(115.0), {"1h ago": flat(100.0)}, degradation=0.15
    )
    assert at_threshold.references[0].change == 0.15
    assert not at_threshold.degraded  # "more than 15 %"


def test_rising_users_are_no_degradation() -> None:
    trend = compare_trend(
        "uat", ACTIVE_USERS, "avg", flat(300.0), {"1h ago": flat(100.0)}, degradation=0.15
    )
    assert trend.references[0].change == 2.0
    assert not trend.degraded


def test_too_few_samples_make_no_comparison() -> None:
    trend = compare_trend(
        "uat",
        RESPONSE_TIME,
        "p95",
        flat(900.0, MIN_SAMPLES - 1),
        {"1h ago": flat(100.0), "24h ago": None},
        degradation=0.15,
    )
    assert trend.current is None
    assert trend.samples == MIN_SAMPLES - 1
    assert [(r.value, r.change, r.degraded) for r in trend.references] == [
        (100.0, None, False),
        (None, None, False),
    ]


def test_p95_trends_compare_p95() -> None:
    current = WindowStats.of([100.0] * 19 + [500.0])
    trend = compare_trend(
        "uat", RESPONSE_TIME, "p95", current, {"1h ago": flat(100.0)}, degradation=0.15
    )
    assert trend.current == 100.0  # rank 19 of 20
    assert trend.to_json()["references"] == [
        {"label": "1h ago", "value": 100.0, "change": 0.0, "degraded": False}
    ]


def slo(
    availability: float | None, *, p95: float | None = 100.0, errors: float = 0.001
) -> SloReport:
    return SloReport("uat", DAY, availability, 2880, p95, errors, SloSettings())


def test_error_budget_left_and_burn_rate() -> None:
    on_target = slo(0.999)
    assert on_target.budget_left == pytest.approx(0.0)
    assert on_target.burn_rate == pytest.approx(1.0)
    half = slo(0.9995)
    assert half.budget_left == pytest.approx(0.5)
    assert half.burn_rate == pytest.approx(0.5)
    overspent = slo(0.99)
    assert overspent.budget_left == pytest.approx(-9.0)
    assert overspent.burn_rate == pytest.approx(10.0)
    perfect = slo(1.0)
    assert (perfect.budget_left, perfect.burn_rate) == (1.0, 0.0)
    unknown = slo(None, p95=None)
    assert (unknown.budget_left, unknown.burn_rate) == (None, None)
    assert unknown.met() == {"availability": None, "response_time_p95": None, "error_rate": True}


def test_slo_targets_are_seed_003s_table() -> None:
    targets = SloSettings()
    assert (targets.availability, targets.response_time_p95_ms, targets.error_rate) == (
        0.999,
        500.0,
        0.01,
    )
    assert slo(0.999, p95=500.0, errors=0.01).met() == {
        "availability": True,
        "response_time_p95": True,
        "error_rate": True,
    }
    assert slo(0.9989, p95=501.0, errors=0.0101).met() == {
        "availability": False,
        "response_time_p95": False,
        "error_rate": False,
    }


# -- the generated 90-day store ------------------------------------------------------------------


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


def table(trends: list[MetricTrend]) -> dict[tuple[str, str], dict[str, tuple[object, ...]]]:
    """(metric, stat) → label → (value, arrow, degraded), with "now" as a label."""
    out: dict[tuple[str, str], dict[str, tuple[object, ...]]] = {}
    for trend in trends:
        row: dict[str, tuple[object, ...]] = {"now": (trend.current, trend.samples)}
        for ref in trend.references:
            row[ref.label] = (
                pytest.approx(ref.value) if ref.value is not None else None,
                arrow(ref.change),
                ref.degraded,
            )
        out[(trend.metric, trend.stat)] = row
    return out


async def test_uat_now_against_1h_24h_and_7d_ago(store: Store) -> None:
    # uat: 130 ms and 0.8 % errors in the last 15 minutes; 100 ms / 0.4 % an hour ago; 120 ms a
    # day ago; 200 ms a week ago (read from minute rollups: older than raw retention)
    trends = await env_trends(store, "uat", "1.2.0-rc.2", now=NOW, degradation=0.15)
    assert table(trends) == {
        (RESPONSE_TIME, "avg"): {
            "now": (130.0, 30),
            "1h ago": (100.0, "▲30%", True),
            "24h ago": (120.0, "▲8%", False),
            "7d ago": (200.0, "▼35%", False),
        },
        (RESPONSE_TIME, "p95"): {
            "now": (130.0, 30),
            "1h ago": (100.0, "▲30%", True),
            "24h ago": (120.0, "▲8%", False),
            "7d ago": (200.0, "▼35%", False),
        },
        (ERROR_RATE, "avg"): {
            "now": (pytest.approx(0.008), 30),
            "1h ago": (0.004, "▲100%", True),
            "24h ago": (0.004, "▲100%", True),
            "7d ago": (0.004, "▲100%", True),
        },
    }
    assert all(t.degraded for t in trends)
    assert degradation_signal(trends) == (None, "")  # no baseline yet


async def test_a_steady_environment_shows_no_change(store: Store) -> None:
    trends = await env_trends(store, "production", "1.1.2", now=NOW, degradation=0.15)
    for trend in trends:
        assert [arrow(r.change) for r in trend.references] == ["≈", "≈", "≈"]
        assert not trend.degraded


async def test_the_previous_versions_baseline_is_a_reference(store: Store) -> None:
    saved = await set_baseline(
        store, "uat", "1.2.0-rc.1", now=NOW - 2 * DAY, window=HOUR, source="auto"
    )
    assert [(b.metric, b.stats.count, b.stats.avg) for b in saved] == [
        (RESPONSE_TIME, 120, 100.0),
        (ERROR_RATE, 120, pytest.approx(0.004)),
    ]
    trends = await env_trends(store, "uat", "1.2.0-rc.2", now=NOW, degradation=0.15)
    rows = table(trends)
    assert rows[(RESPONSE_TIME, "avg")]["baseline 1.2.0-rc.1"] == (100.0, "▲30%", True)
    assert rows[(RESPONSE_TIME, "p95")]["baseline 1.2.0-rc.1"] == (100.0, "▲30%", True)
    assert rows[(ERROR_RATE, "avg")]["baseline 1.2.0-rc.1"] == (0.004, "▲100%", True)
    change, detail = degradation_signal(trends)
    assert change == pytest.approx(0.3)
    assert detail == "response avg 130ms vs 100ms (baseline 1.2.0-rc.1)"


async def test_an_explicit_baseline_of_the_running_version_wins(store: Store) -> None:
    await set_baseline(store, "uat", "1.2.0-rc.1", now=NOW - 2 * DAY, window=HOUR, source="auto")
    # an automatic baseline of the running version is not what it is compared with…
    await set_baseline(store, "uat", "1.2.0-rc.2", now=NOW - 4 * HOUR, window=HOUR, source="auto")
    labels = {
        r.label
        for t in await env_trends(store, "uat", "1.2.0-rc.2", now=NOW, degradation=0.15)
        for r in t.references
    }
    assert "baseline 1.2.0-rc.1" in labels
    # …but one set with `baseline set` is: the hour 3 h ago ran at 125 ms
    await set_baseline(store, "uat", "1.2.0-rc.2", now=NOW - 2 * HOUR, window=HOUR)
    trends = await env_trends(store, "uat", "1.2.0-rc.2", now=NOW, degradation=0.15)
    rows = table(trends)
    assert rows[(RESPONSE_TIME, "avg")]["baseline"] == (125.0, "▲4%", False)
    assert "baseline 1.2.0-rc.1" not in rows[(RESPONSE_TIME, "avg")]
    assert degradation_signal(trends)[0] == pytest.approx(0.04)
    stored = {(b.version, b.metric): b.source for b in await load_baselines(store, "uat")}
    assert stored[("1.2.0-rc.2", RESPONSE_TIME)] == "manual"


async def test_baseline_capture_takes_the_first_stable_window_once(store: Store) -> None:
    capture = BaselineCapture(store)
    confirmed = NOW - 3 * HOUR - capture.settle  # settle 5 min, then a 15-minute window
    capture.seen("uat", "1.2.0-rc.2", confirmed)
    capture.seen("uat", "1.2.0-rc.2", confirmed + 600)  # seen again: the first sighting counts
    assert await capture.capture(now=NOW - 3 * HOUR + 899) == []  # the window is not over
    saved = await capture.capture(now=NOW)
    assert [(b.metric, b.source, b.stats.count, b.stats.avg) for b in saved] == [
        (RESPONSE_TIME, "auto", 30, 125.0),
        (ERROR_RATE, "auto", 30, pytest.approx(0.004)),
    ]
    assert saved[0].window_start == NOW - 3 * HOUR
    assert await capture.capture(now=NOW + 60) == []


# -- SLOs ------------------------------------------------------------------------------------------

# hotfix: 3 failed health polls in the last hour, 12 in 24 h, 20 in 7 d, 60 in 30 d.
SLO_ANSWERS = {
    "1h": (120, 3),
    "24h": (2880, 12),
    "7d": (20160, 20),
    "30d": (86400, 60),
}


@pytest.mark.parametrize("window", list(SLO_ANSWERS))
async def test_slo_budget_left_and_burn_rate(store: Store, window: str) -> None:
    polls, failed = SLO_ANSWERS[window]
    report = await env_slo(store, "hotfix", SloSettings(), window=SLO_WINDOWS[window], now=NOW)
    allowed = polls * 0.001  # failed polls the 99.9 % target allows in the window
    assert report.polls == polls
    assert report.availability == pytest.approx(1 - failed / polls)
    assert report.burn_rate == pytest.approx(failed / allowed)
    assert report.budget_left == pytest.approx(1 - failed / allowed)
    assert report.p95_ms == 100.0
    assert report.error_rate == pytest.approx(0.005)
    assert report.met() == {
        "availability": failed <= allowed,
        "response_time_p95": True,
        "error_rate": True,
    }


async def test_slo_report_json_and_the_p95_target(store: Store) -> None:
    report = await env_slo(store, "production", SloSettings(), window=HOUR, now=NOW - 4 * HOUR)
    document = report.to_json()
    assert document == {
        "environment": "production",
        "window_s": HOUR,
        "availability": 1.0,
        "availability_target": 0.999,
        "health_polls": 120,
        "response_time_p95_ms": 600.0,
        "response_time_p95_target_ms": 500.0,
        "error_rate": pytest.approx(0.002),
        "error_rate_target": 0.01,
        "error_budget_left": 1.0,
        "burn_rate": 0.0,
        "met": {"availability": True, "response_time_p95": False, "error_rate": True},
        "verdict": {"availability": "ok", "response_time_p95": "missed", "error_rate": "ok"},
        "covered_s": HOUR,
        "coverage": 1.0,
        "min_coverage": 0.1,
        "enough_data": True,
    }


async def test_slo_of_an_environment_without_history(store: Store) -> None:
    report = await env_slo(store, "nowhere", SloSettings(), window=DAY, now=NOW)
    assert (report.availability, report.polls, report.p95_ms, report.error_rate) == (
        None,
        0,
        None,
        None,
    )
    assert report.budget_left is None


async def test_every_environment_at_once_reads_as_each_alone(store: Store) -> None:
    """The alert rules read every environment's windows in one query per window: the answer
    per environment is the one its own queries give, whatever the source (raw samples, minute
    or hour roll-ups), and an environment without data reads as empty, not as another's."""
    versions = {
        "development": "1.3.0-dev+ci.1245",
        "uat": "1.2.0-rc.2",
        "production": "1.1.2",
        "hotfix": "1.1.3+hotfix",
        "nowhere": None,
    }
    await set_baseline(store, "uat", "1.1.0", now=NOW - 2 * DAY, window=HOUR)
    together = await fleet_trends(store, versions, now=NOW, degradation=0.15)
    for env, version in versions.items():
        alone = await env_trends(store, env, version, now=NOW, degradation=0.15)
        assert together[env] == alone, env
    assert all(t.current is None for t in together["nowhere"])
    assert any(r.label.startswith("baseline") for t in together["uat"] for r in t.references)

    envs = list(versions)
    for since, until in [(NOW - HOUR, NOW), (NOW - 10 * DAY, NOW - 9 * DAY), (NOW - 60 * DAY, NOW)]:
        at_once = await fleet_window_stats(
            store, envs, RESPONSE_TIME, since=since, until=until, now=NOW
        )
        for env in envs:
            assert at_once[env] == await window_stats(
                store, env, RESPONSE_TIME, since=since, until=until, now=NOW
            ), (env, since)
    assert {s.count > 0 for env, s in at_once.items() if env != "nowhere"} == {True}

    burns = await fleet_burn_signals(store, envs, 0.999, now=NOW)
    for env in envs:
        assert burns[env] == await burn_signal(store, env, 0.999, now=NOW), env
    assert burns["production"] != burns["nowhere"]
