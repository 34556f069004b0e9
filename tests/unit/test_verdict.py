"""The deploy verdict on seeded samples: no false fail on noise, a real regression fails, and
every way of not knowing is inconclusive with its reason."""

from __future__ import annotations

import math
import random

import pytest

from umig_tui.deploy.verdict import Reference, VerdictSettings, judge

SETTINGS = VerdictSettings()  # the defaults: 20 samples per side, 95 %, 10 %
WINDOW = (1_790_000_000.0, 1_790_000_300.0)


def _fleet(rng: random.Random, n: int, *, factor: float = 1.0, errors: float = 0.002):
    """n checks of a noisy application: log-normal response times (CV ≈ 15 %), error rates
    around ``errors``."""
    response = [rng.lognormvariate(math.log(180.0 * factor), 0.15) for _ in range(n)]
    error_rates = [max(0.0, rng.gauss(errors, errors * 0.5)) for _ in range(n)]
    return response, error_rates


def _reference(rng: random.Random, n: int = 120) -> Reference:
    response, errors = _fleet(rng, n)
    return Reference("1.1.2 on production, the hour before", tuple(response), tuple(errors))


def test_fifty_seeded_runs_of_an_equal_version_never_fail() -> None:
    outcomes = []
    for seed in range(50):
        rng = random.Random(seed)
        reference = _reference(rng)
        response, errors = _fleet(rng, 30)
        outcomes.append(judge(response, errors, [reference], SETTINGS, window=WINDOW).verdict)
    assert outcomes.count("fail") == 0
    assert outcomes.count("pass") == 50


def test_the_effect_tolerance_is_what_keeps_significant_noise_from_failing() -> None:
    # Without a tolerance the rank tests alone call some of the same 50 runs worse: the
    # tolerance is doing work, not decoration.
    strict = VerdictSettings(tolerance=0.0, confidence=0.8)
    fails = 0
    for seed in range(50):
        rng = random.Random(seed)
        reference = _reference(rng)
        response, errors = _fleet(rng, 30)
        fails += judge(response, errors, [reference], strict, window=WINDOW).verdict == "fail"
    assert fails > 0


@pytest.mark.parametrize("seed", range(10))
def test_a_version_thirty_percent_slower_fails_naming_the_response_time(seed: int) -> None:
    rng = random.Random(seed)
    reference = _reference(rng)
    response, errors = _fleet(rng, 30, factor=1.3)
    result = judge(response, errors, [reference], SETTINGS, window=WINDOW)
    assert result.verdict == "fail"
    assert result.reason.startswith("worse than 1.1.2 on production, the hour before: response")
    avg = next(m for m in result.detail if m.metric == "response avg")
    assert avg.outcome == "fail"
    assert avg.p_value is not None
    assert avg.p_value < 0.05
    assert avg.n_post == 30
    assert avg.n_base == 120
    assert avg.baseline_label == "1.1.2 on production, the hour before"
    assert avg.window == WINDOW


def test_more_errors_than_the_limit_fail_even_when_the_baseline_had_as_many() -> None:
    rng = random.Random(1)
    response, errors = _fleet(rng, 30, errors=0.08)
    base_response, base_errors = _fleet(rng, 120, errors=0.08)
    reference = Reference("before", tuple(base_response), tuple(base_errors))
    result = judge(response, errors, [reference], SETTINGS, window=WINDOW)
    assert result.verdict == "fail"
    limit = next(m for m in result.detail if m.metric == "error rate limit")
    assert limit.outcome == "fail"


def test_too_few_samples_after_the_deploy_is_inconclusive_not_pass() -> None:
    rng = random.Random(2)
    response, errors = _fleet(rng, 5, factor=7.5)  # +650 %, on five points (kayenta #633)
    result = judge(response, errors, [_reference(rng)], SETTINGS, window=WINDOW)
    assert result.verdict == "inconclusive"
    assert "too few samples after the deploy: 5 < 20" in result.reason


def test_too_few_baseline_samples_is_inconclusive() -> None:
    rng = random.Random(3)
    response, errors = _fleet(rng, 30)
    result = judge(response, errors, [_reference(rng, n=4)], SETTINGS, window=WINDOW)
    assert result.verdict == "inconclusive"
    assert "too few baseline samples" in result.reason


def test_no_baseline_at_all_is_inconclusive() -> None:
    response, errors = _fleet(random.Random(4), 30)
    result = judge(response, errors, [], SETTINGS, window=WINDOW)
    assert result.verdict == "inconclusive"
    assert result.reason.startswith("no baseline")


def test_no_traffic_is_inconclusive() -> None:
    rng = random.Random(5)
    result = judge(
        [0.0] * 20 + [float("nan")] * 10, [0.0] * 30, [_reference(rng)], SETTINGS, window=WINDOW
    )
    assert result.verdict == "inconclusive"
    assert result.reason.startswith("no traffic after the deploy")


def test_every_probe_failing_is_inconclusive() -> None:
    result = judge(
        [], [], [_reference(random.Random(6))], SETTINGS, window=WINDOW, probes=30, failed_probes=30
    )
    assert result.verdict == "inconclusive"
    assert result.reason == "every metrics probe failed (30 of 30)"


def test_the_first_usable_reference_decides_and_the_others_are_context() -> None:
    rng = random.Random(7)
    thin = Reference("previous version", (180.0,) * 3, (0.0,) * 3)
    week = _reference(rng)
    response, errors = _fleet(rng, 30)
    result = judge(response, errors, [thin, week], SETTINGS, window=WINDOW)
    assert result.verdict == "pass"
    deciding = {m.baseline_label for m in result.detail if m.role == "decides"}
    assert deciding == {week.label, ""}  # "" is the absolute error-rate limit
    context = [m for m in result.detail if m.role == "context"]
    assert {m.baseline_label for m in context} == {"previous version"}


def test_a_signal_the_environment_does_not_report_is_left_out_not_inconclusive() -> None:
    # The shipped API has no error rate: neither side has one, so it cannot hold up a verdict.
    rng = random.Random(8)
    response, _ = _fleet(rng, 30)
    base, _ = _fleet(rng, 120)
    result = judge(response, [], [Reference("before", tuple(base))], SETTINGS, window=WINDOW)
    assert result.verdict == "pass"
    assert {m.metric for m in result.detail} == {"response avg", "response P95", "response P99"}


def test_a_version_losing_one_health_check_in_three_fails_on_unavailability() -> None:
    """Never three failed checks in a row (the watch's hard limit), yet a third of them lost:
    worse than a baseline that answered every check."""
    rng = random.Random(7)
    response, errors = _fleet(rng, 30)
    reference = _reference(rng)
    reference = Reference(
        reference.label, reference.response, reference.errors, availability=(1.0,) * 120
    )
    lossy = [0.0 if i % 3 == 0 else 1.0 for i in range(30)]
    verdict = judge(
        response, errors, [reference], SETTINGS, window=(0.0, 300.0), availability=lossy
    )
    assert verdict.verdict == "fail"
    assert "unavailability 33.33% vs 0.00%" in verdict.reason
    row = next(m for m in verdict.detail if m.metric == "unavailability")
    assert (row.n_post, row.n_base) == (30, 120)
    steady = judge(
        response, errors, [reference], SETTINGS, window=(0.0, 300.0), availability=[1.0] * 30
    )
    assert steady.verdict == "pass"


def test_availability_is_not_judged_without_enough_health_checks_before() -> None:
    rng = random.Random(8)
    response, errors = _fleet(rng, 30)
    reference = _reference(rng)  # no health checks kept with it
    verdict = judge(
        response, errors, [reference], SETTINGS, window=(0.0, 300.0), availability=[0.0] * 30
    )
    assert verdict.verdict == "pass"
    assert not any(m.metric == "unavailability" for m in verdict.detail)
