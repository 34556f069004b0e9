"""Circuit breaker and backoff: a dead environment costs nothing, one that answers is polled."""

from __future__ import annotations

import random

import pytest

from umig_tui.models import Endpoint, ErrorKind, FetchError, HealthSnapshot, PollResult
from umig_tui.polling.breaker import BreakerState, CircuitBreaker, counts_as_down, next_delay


def ok() -> PollResult:
    return PollResult("production", Endpoint.HEALTH, 0.0, 12.0, value=HealthSnapshot("healthy"))


def failed(kind: ErrorKind, status: int | None = None) -> PollResult:
    return PollResult(
        "production", Endpoint.HEALTH, 0.0, None, error=FetchError(kind, "boom", status)
    )


DOWN = [
    failed(ErrorKind.CONNECT_ERROR),
    failed(ErrorKind.TIMEOUT),
    failed(ErrorKind.HTTP_ERROR, 500),
    failed(ErrorKind.HTTP_ERROR, 503),
]
ANSWERED = [
    ok(),
    failed(ErrorKind.AUTH_REQUIRED, 401),
    failed(ErrorKind.INVALID_RESPONSE),
    failed(ErrorKind.HTTP_ERROR, 404),
    failed(ErrorKind.HTTP_ERROR, 429),
    failed(ErrorKind.HTTP_ERROR, None),
    failed(ErrorKind.TOO_LARGE),
]


def opened(
    threshold: int = 3, cooldown: float = 30.0, max_cooldown: float = 300.0
) -> CircuitBreaker:
    breaker = CircuitBreaker(threshold, cooldown, max_cooldown)
    for _ in range(threshold):
        breaker.record(failed(ErrorKind.TIMEOUT), now=100.0)
    assert breaker.state is BreakerState.OPEN
    return breaker


@pytest.mark.parametrize("result", DOWN, ids=lambda r: f"{r.error.kind}-{r.error.http_status}")
def test_not_answering_counts_as_down(result: PollResult) -> None:
    assert counts_as_down(result)


@pytest.mark.parametrize("result", ANSWERED, ids=lambda r: str(r.error) if r.error else "ok")
def test_an_answer_does_not_count_as_down(result: PollResult) -> None:
    assert not counts_as_down(result)


@pytest.mark.parametrize("result", DOWN, ids=lambda r: f"{r.error.kind}-{r.error.http_status}")
def test_opens_after_threshold_consecutive_down_results(result: PollResult) -> None:
    breaker = CircuitBreaker(threshold=3)
    breaker.record(result, now=1.0)
    breaker.record(result, now=2.0)
    assert breaker.state is BreakerState.CLOSED
    assert breaker.allow(2.0, probe=False)
    breaker.record(result, now=3.0)
    assert breaker.state is BreakerState.OPEN
    assert breaker.is_open
    assert breaker.opened_at == 3.0
    assert not breaker.allow(3.0, probe=False)


@pytest.mark.parametrize("result", ANSWERED[1:], ids=lambda r: str(r.error))
def test_answers_that_are_errors_never_open_it(result: PollResult) -> None:
    breaker = CircuitBreaker(threshold=2)
    for now in range(10):
        breaker.record(result, now=float(now))
    assert breaker.state is BreakerState.CLOSED


def test_an_answer_in_between_resets_the_count() -> None:
    breaker = CircuitBreaker(threshold=3)
    for result in (DOWN[0], DOWN[1], failed(ErrorKind.AUTH_REQUIRED, 401), DOWN[0], DOWN[1]):
        breaker.record(result, now=1.0)
    assert breaker.state is BreakerState.CLOSED
    assert breaker.failures == 2


def test_open_breaker_lets_nothing_through_before_the_cooldown() -> None:
    breaker = opened(cooldown=30.0)
    assert breaker.probe_at() == 130.0
    assert not breaker.allow(129.9, probe=True)
    assert not breaker.allow(500.0, probe=False)  # only a probe request may pass


def test_one_half_open_probe_after_the_cooldown() -> None:
    breaker = opened(cooldown=30.0)
    assert breaker.allow(130.0, probe=True)
    assert breaker.state is BreakerState.HALF_OPEN
    assert not breaker.allow(131.0, probe=True)  # only one
    assert not breaker.allow(131.0, probe=False)


def test_failed_probe_doubles_the_cooldown() -> None:
    breaker = opened(cooldown=30.0)
    assert breaker.allow(130.0, probe=True)
    breaker.record(failed(ErrorKind.CONNECT_ERROR), now=131.0)
    assert breaker.state is BreakerState.OPEN
    assert breaker.current_cooldown == 60.0
    assert breaker.probe_at() == 191.0
    assert not breaker.allow(190.0, probe=True)
    assert breaker.allow(191.0, probe=True)


def test_cooldown_doubling_stops_at_the_maximum() -> None:
    breaker = opened(cooldown=30.0, max_cooldown=100.0)
    now = 100.0
    cooldowns = []
    for _ in range(4):
        now = breaker.probe_at()
        assert breaker.allow(now, probe=True)
        breaker.record(failed(ErrorKind.TIMEOUT), now=now)
        cooldowns.append(breaker.current_cooldown)
    assert cooldowns == [60.0, 100.0, 100.0, 100.0]


def test_failed_probe_never_shortens_the_cooldown_below_the_base() -> None:
    # max_cooldown comes from polling.max_backoff, which a user may set below circuit_cooldown.
    breaker = opened(cooldown=30.0, max_cooldown=10.0)
    assert breaker.allow(130.0, probe=True)
    breaker.record(failed(ErrorKind.TIMEOUT), now=130.0)
    assert breaker.current_cooldown == 30.0


@pytest.mark.parametrize("answer", ANSWERED, ids=lambda r: str(r.error) if r.error else "ok")
def test_any_answer_to_the_probe_closes_it(answer: PollResult) -> None:
    breaker = opened()
    assert breaker.allow(breaker.probe_at(), probe=True)
    breaker.record(answer, now=200.0)
    assert breaker.state is BreakerState.CLOSED
    assert (breaker.failures, breaker.current_cooldown) == (0, 0.0)
    assert breaker.allow(200.0, probe=False)


def test_after_closing_the_cooldown_starts_from_the_base_again() -> None:
    breaker = opened(threshold=1, cooldown=30.0)
    assert breaker.allow(130.0, probe=True)
    breaker.record(failed(ErrorKind.TIMEOUT), now=130.0)
    assert breaker.current_cooldown == 60.0
    breaker.record(ok(), now=200.0)
    breaker.record(failed(ErrorKind.TIMEOUT), now=300.0)
    assert breaker.state is BreakerState.OPEN
    assert breaker.probe_at() == 330.0


def test_force_probe_lets_the_next_probe_out_at_once() -> None:
    breaker = opened(cooldown=30.0)
    breaker.force_probe(105.0)
    assert breaker.allow(105.0, probe=True)
    assert breaker.state is BreakerState.HALF_OPEN


def test_force_probe_on_a_closed_or_half_open_breaker_changes_nothing() -> None:
    closed = CircuitBreaker()
    closed.force_probe(5.0)
    assert closed.state is BreakerState.CLOSED
    breaker = opened()
    assert breaker.allow(breaker.probe_at(), probe=True)
    breaker.force_probe(500.0)
    assert not breaker.allow(500.0, probe=True)  # the probe in flight is still the only one


# -- next_delay ----------------------------------------------------------------------------------


def test_next_delay_is_the_interval_after_success() -> None:
    assert next_delay(30.0, 0, 300.0, random.Random(1)) == 30.0


@pytest.mark.parametrize(("failures", "base"), [(1, 30.0), (2, 60.0), (3, 120.0), (4, 240.0)])
def test_next_delay_doubles_with_ten_percent_jitter(failures: int, base: float) -> None:
    rng = random.Random(7)
    delays = [next_delay(30.0, failures, 1000.0, rng) for _ in range(200)]
    assert all(base * 0.9 <= d <= base * 1.1 for d in delays)
    assert max(delays) - min(delays) > base * 0.1  # jitter actually spreads them


@pytest.mark.parametrize("failures", [5, 10, 100, 5000])
def test_next_delay_is_capped_at_max_backoff(failures: int) -> None:
    rng = random.Random(3)
    delays = [next_delay(30.0, failures, 300.0, rng) for _ in range(200)]
    assert all(270.0 <= d <= 300.0 for d in delays)


def test_next_delay_cap_is_never_below_the_interval() -> None:
    rng = random.Random(5)
    assert all(54.0 <= next_delay(60.0, 3, 10.0, rng) <= 60.0 for _ in range(50))
