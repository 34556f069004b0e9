"""SLO windows honest about their data: coverage, time weighting, "not enough data", and a burn
alert that neither fires on a sliver nor hides what it is burning."""

from __future__ import annotations

import pytest

from umig_tui.analysis.alert_rules import (
    AlertEngine,
    AlertPhase,
    EnvSignals,
    budget_burn_check,
    builtin_rules,
)
from umig_tui.analysis.trends import (
    MIN_SLO_COVERAGE,
    SloReport,
    coverage_text,
    timed_availability,
)
from umig_tui.config import SloSettings, Thresholds

DAY = 86400.0
NOW = 1_750_003_200.0


Bucket = tuple[float, float, int, float]


def minutes(
    count: int, *, polls: int, failed: dict[int, int] | None = None, end: float = NOW
) -> list[Bucket]:
    """``count`` minute buckets ending at ``end``, ``polls`` each, ``failed[i]`` of them failed."""
    failed = failed or {}
    start = end - count * 60
    return [(start + i * 60, 60.0, polls, float(polls - failed.get(i, 0))) for i in range(count)]


def report(buckets: list[Bucket], window: float) -> SloReport:
    timed = timed_availability(buckets, since=NOW - window, until=NOW)
    return SloReport(
        "production",
        window,
        timed.availability,
        timed.polls,
        180.0,
        0.003,
        SloSettings(),
        covered_s=timed.covered_s,
    )


def test_two_minutes_of_a_day_with_a_failed_poll_is_not_enough_data() -> None:
    # What the issue saw: 16 polls, one failed, two minutes after start.
    r = report(minutes(2, polls=8, failed={1: 1}), DAY)
    assert r.availability == pytest.approx(1 - 0.5 / 8)
    assert r.coverage_text("24h") == "2m of 24h (0.1%)"
    assert not r.enough_data
    assert r.met() == {"availability": None, "response_time_p95": None, "error_rate": None}
    assert set(r.verdicts().values()) == {"not_enough_data"}
    assert r.budget_text() == "not enough data"
    document = r.to_json()
    assert document["verdict"]["availability"] == "not_enough_data"
    assert document["covered_s"] == 120.0
    assert document["coverage"] == pytest.approx(120 / DAY)
    assert (document["min_coverage"], document["enough_data"]) == (MIN_SLO_COVERAGE, False)
    assert document["burn_rate"] > 6  # the figure is kept; only the verdict waits


def test_a_tenth_of_the_window_is_enough_to_call_it() -> None:
    below = report(minutes(143, polls=2, failed={0: 2}), DAY)  # 2h 23m of 24h
    assert not below.enough_data
    enough = report(minutes(145, polls=2, failed={0: 2}), DAY)  # 2h 25m
    assert enough.enough_data
    assert enough.verdicts()["availability"] == "missed"
    assert enough.budget_text() == "exhausted"
    assert enough.coverage_text("24h") == "2h 25m of 24h (10%)"


def test_a_full_window_says_so_and_keeps_the_budget_left() -> None:
    r = report(minutes(1440, polls=2, failed={500: 1}), DAY)
    assert r.coverage_text("24h") == "24h of 24h (100%)"
    assert r.verdicts() == {"availability": "ok", "response_time_p95": "ok", "error_rate": "ok"}
    assert r.budget_text(left=" left") == "65% left"  # 30 s down of 86.4 s allowed


def test_availability_weighs_time_not_polls() -> None:
    # The same 20 s outage in a minute polled every 5 s and in one polled every 30 s...
    fast = minutes(60, polls=12, failed={59: 4})
    slow = minutes(60, polls=2, failed={59: 1})
    assert timed_availability(fast, since=NOW - 3600, until=NOW).availability == pytest.approx(
        1 - (4 / 12) / 60
    )
    # ...and a week polled every minute, then two minutes at 5 s with an outage: the outage
    # weighs its two minutes, not the 24 polls among 10,000.
    week = minutes(7 * 1440 - 2, polls=1, end=NOW - 120) + minutes(2, polls=12, failed={1: 4})
    timed = timed_availability(week, since=NOW - 7 * DAY, until=NOW)
    assert timed.availability == pytest.approx(1 - (4 / 12) / (7 * 1440))
    assert timed.covered_s == pytest.approx(7 * DAY)
    assert timed_availability(slow, since=NOW - 3600, until=NOW).covered_s == 3600


def test_a_monitor_that_was_off_leaves_its_gap_uncovered() -> None:
    # An hour polled, then nothing for five hours, then the last hour.
    buckets = minutes(60, polls=2, end=NOW - 5 * 3600) + minutes(60, polls=2)
    timed = timed_availability(buckets, since=NOW - 7 * 3600, until=NOW)
    assert timed.covered_s == pytest.approx(2 * 3600 + 540)  # + 10 min after the last poll
    # A monitor polling every 5 minutes still covers its window.
    sparse = [(NOW - 3600 + k * 300, 60.0, 1, 1.0) for k in range(12)]
    assert timed_availability(sparse, since=NOW - 3600, until=NOW).covered_s == 3600


def test_no_polls_is_no_data() -> None:
    timed = timed_availability([], since=NOW - DAY, until=NOW)
    assert (timed.availability, timed.polls, timed.covered_s) == (None, 0, 0.0)
    r = report([], DAY)
    assert r.coverage_text("24h") == "no data"
    assert r.budget_text() == "-"
    assert r.verdicts() == {
        "availability": "no_data",
        "response_time_p95": "not_enough_data",  # figures with no health poll under them
        "error_rate": "not_enough_data",
    }
    assert coverage_text(None, DAY) == "-"


def test_the_burn_alert_names_its_rate_against_the_limit() -> None:
    check = budget_burn_check(EnvSignals("production", budget_burn=50.0, budget_coverage=0.5))
    assert (check.holds, check.value, check.detail) == (True, 50.0, "burning 50× (limit 6×)")
    slow = budget_burn_check(EnvSignals("production", budget_burn=6.5, budget_coverage=1.0))
    assert slow.detail == "burning 6.5× (limit 6×)"
    engine = AlertEngine(builtin_rules(Thresholds()))
    [transition] = engine.evaluate(
        [EnvSignals("production", budget_burn=50.0, budget_coverage=0.5)], NOW
    )
    assert transition.alert.phase is AlertPhase.PENDING
    assert transition.alert.cause == "burning 50× (limit 6×)"


def test_the_burn_alert_neither_fires_nor_pends_on_a_sliver() -> None:
    sliver = EnvSignals("production", budget_burn=50.0, budget_coverage=120 / (6 * 3600))
    check = budget_burn_check(sliver)
    assert not check.holds
    assert "not enough data" in check.detail
    engine = AlertEngine(builtin_rules(Thresholds()))
    assert engine.evaluate([sliver], NOW) == []
    assert engine.evaluate([sliver], NOW + 600) == []
    assert engine.alerts == []
