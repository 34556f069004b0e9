"""The deploy watch as a pure state machine: hand-made observations, a clock the test moves.

waiting → confirmed → validating (health, orchestrator, /teams) → monitoring (vs the previous
version's baseline) → succeeded | failed(reason) | timed_out. Seed 001
deployment-status-monitor / validate_post_deployment, seed 000 §4.2 and §6.2.
"""

from __future__ import annotations

import itertools
import json
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import pytest
from msgspec.structs import replace
from rich.console import Console

from umig_tui.cli.deploy_view import render_watch
from umig_tui.deploy.watch import DeployWatch, reported_version
from umig_tui.deploy.watch_state import (
    GATES,
    Comparison,
    Observation,
    Stage,
    WatchOptions,
    WatchState,
)
from umig_tui.models import (
    ComponentsStatus,
    Endpoint,
    ErrorKind,
    FetchError,
    HealthSnapshot,
    Metrics,
    MetricsSnapshot,
    PollResult,
    TeamsCheck,
    VersionInfo,
)
from umig_tui.service.deploy_watch import endpoints_for, observe, run_watch

T0 = 1_730_000_000.0
ENV = "production"
PREVIOUS = "1.1.2"
EXPECTED = "1.2.0"


# -- hand-made poll results ---------------------------------------------------------------------


def ok(endpoint: Endpoint, value: object, ts: float = T0) -> PollResult:
    return PollResult(ENV, endpoint, ts, 12.0, value=value)  # type: ignore[arg-type]


def failed(
    endpoint: Endpoint,
    kind: ErrorKind = ErrorKind.CONNECT_ERROR,
    reason: str = "connection refused",
    http_status: int | None = None,
) -> PollResult:
    return PollResult(ENV, endpoint, T0, None, error=FetchError(kind, reason, http_status))


def version(number: str) -> PollResult:
    return ok(Endpoint.VERSION, VersionInfo(version=number, environment=ENV))


def health(
    status: str = "healthy",
    number: str | None = None,
    *,
    response: float | None = None,
    error_rate: float | None = None,
) -> PollResult:
    metrics = Metrics(response_time_ms=response, error_rate=error_rate)
    return ok(Endpoint.HEALTH, HealthSnapshot(status=status, version=number, metrics=metrics))


def components(orchestrator: str = "active") -> PollResult:
    return ok(Endpoint.COMPONENTS, ComponentsStatus(orchestrator_status=orchestrator))


def teams(code: int = 200) -> PollResult:
    if code == 200:
        return ok(Endpoint.TEAMS, TeamsCheck(200))
    return failed(Endpoint.TEAMS, ErrorKind.HTTP_ERROR, f"HTTP {code}", code)


_ANSWERS = itertools.count()


def metrics(response: float, error_rate: float = 0.002) -> PollResult:
    """A fresh metrics answer (its own time: a repeated answer is not a new sample)."""
    snapshot = MetricsSnapshot(
        samples=(), metrics=Metrics(response_time_ms=response, error_rate=error_rate)
    )
    return ok(Endpoint.METRICS, snapshot, ts=T0 + next(_ANSWERS) / 1000)


def running(
    number: str, *, status: str = "healthy", response: float = 100.0, error_rate: float = 0.002
) -> Observation:
    """What the waiting stage fetches (version, health, metrics) from a service that answers."""
    return Observation(
        version=version(number),
        health=health(status, number),
        metrics=metrics(response, error_rate),
    )


def unreachable(kind: ErrorKind = ErrorKind.CONNECT_ERROR) -> Observation:
    return Observation(
        version=failed(Endpoint.VERSION, kind),
        health=failed(Endpoint.HEALTH, kind),
        metrics=failed(Endpoint.METRICS, kind),
    )


def gates_pass() -> Observation:
    """What the validating stage fetches when everything is as it should be."""
    return Observation(health=health("healthy", EXPECTED), components=components(), teams=teams())


def live(
    *, response: float = 100.0, error_rate: float = 0.002, status: str = "healthy"
) -> Observation:
    """What the monitoring stage fetches (health and metrics) from the new version."""
    return Observation(health=health(status, EXPECTED), metrics=metrics(response, error_rate))


# -- a watch with a clock -----------------------------------------------------------------------


@dataclass
class Harness:
    """A DeployWatch, the clock the test moves, and every state it returned."""

    watch: DeployWatch
    now: float = T0
    seen: list[WatchState] = field(default_factory=list)

    def step(self, observation: Observation, after: float = 10.0) -> list[WatchState]:
        self.now += after
        states = self.watch.step(observation, self.now)
        self.seen += states
        return states

    @property
    def state(self) -> WatchState:
        return self.watch.state

    def stages(self, states: Sequence[WatchState] | None = None) -> list[Stage]:
        return [s.stage for s in (self.seen if states is None else states)]


def noisy(center: float, count: int, *, seed: int, spread: float = 0.08) -> list[float]:
    """Response times around ``center`` with ±``spread`` noise, the same for a seed."""
    rng = random.Random(seed)
    return [center * (1.0 + rng.gauss(0.0, spread)) for _ in range(count)]


BASELINE = tuple(noisy(100.0, 40, seed=0))


def harness(
    *,
    previous: str | None = PREVIOUS,
    baseline: Sequence[float] = BASELINE,
    baseline_errors: Sequence[float] = (0.002,) * 40,
    **options: object,
) -> Harness:
    # A 5-minute window at 10 s: 30 checks, against 40 of the previous version ([deploy]
    # min_samples 20 by default).
    settings: dict[str, object] = {"timeout": 600.0, "monitor": 300.0, "interval": 10.0}
    settings.update(options)
    watch = DeployWatch(
        ENV,
        WatchOptions(expected=EXPECTED, **settings),  # type: ignore[arg-type]
        now=T0,
        previous_version=previous,
        baseline_response=baseline,
        baseline_errors=baseline_errors,
    )
    return Harness(watch)


def to_monitoring(h: Harness) -> None:
    h.step(running(EXPECTED))
    h.step(gates_pass())
    assert h.state.stage is Stage.MONITORING


def monitor_with(h: Harness, responses: Sequence[float]) -> list[WatchState]:
    """One monitoring check per response time; the states of the last step."""
    states: list[WatchState] = []
    for value in responses:
        states = h.step(live(response=value))
        if h.state.stage.terminal:
            break
    return states


def monitor_through(h: Harness, observation: Observation) -> list[WatchState]:
    """Feed the same monitoring figures every interval (each a fresh answer) until the watch
    ends."""
    states: list[WatchState] = []
    for index in range(100):
        answer = observation.metrics
        fresh = replace(answer, ts=answer.ts + index + 1) if answer is not None else None
        states = h.step(replace(observation, metrics=fresh))
        if h.state.stage.terminal:
            return states
    raise AssertionError(f"still {h.state.stage} after 100 intervals")


# -- waiting ------------------------------------------------------------------------------------


def test_waiting_shows_the_current_version_against_the_expected_one() -> None:
    h = harness(previous=None)
    assert h.state.stage is Stage.WAITING
    assert h.state.message == f"waiting for {EXPECTED}"
    assert h.step(running(PREVIOUS)) == []  # nothing new: still waiting
    state = h.state
    assert state.stage is Stage.WAITING
    assert state.current_version == PREVIOUS
    assert state.expected == EXPECTED
    assert state.message == f"current version {PREVIOUS}, expecting {EXPECTED}"
    assert state.previous_version == PREVIOUS  # what ran before the deploy


def test_service_not_responding_while_waiting_is_waiting_for_the_service_not_a_failure() -> None:
    h = harness()
    h.step(running(PREVIOUS))
    for _ in range(5):
        assert h.step(unreachable()) == []
        assert h.state.stage is Stage.WAITING
        assert h.state.message.startswith("waiting for the service to respond")
        assert "connect_error" in h.state.message
    h.step(unreachable(ErrorKind.HTTP_ERROR))
    assert "http_error" in h.state.message
    states = h.step(running(EXPECTED))
    assert h.stages(states) == [Stage.CONFIRMED, Stage.VALIDATING]
    assert states[0].message == f"{EXPECTED} is live (was {PREVIOUS})"


def test_version_falls_back_to_the_health_document_when_the_version_endpoint_fails() -> None:
    observation = Observation(
        version=failed(Endpoint.VERSION, ErrorKind.TIMEOUT), health=health("healthy", EXPECTED)
    )
    assert reported_version(observation) == (EXPECTED, None)
    assert reported_version(unreachable()) == (None, "connect_error: connection refused")


def test_a_v_prefixed_expected_version_matches_the_plain_one_reported() -> None:
    watch = DeployWatch(ENV, WatchOptions(expected="v1.2.0"), now=T0, previous_version=PREVIOUS)
    states = watch.step(running(EXPECTED), T0 + 10)
    assert [s.stage for s in states][:1] == [Stage.CONFIRMED]


def test_never_landing_times_out_at_the_deadline() -> None:
    h = harness(timeout=60.0)
    for _ in range(5):  # 10 s … 50 s: still before the deadline
        assert h.step(running(PREVIOUS)) == []
    states = h.step(running(PREVIOUS))  # 60 s: the deadline
    assert h.stages(states) == [Stage.TIMED_OUT]
    final = h.state
    assert final.now == T0 + 60.0
    assert final.reason == f"timed out waiting for {EXPECTED} after 60s (last seen: {PREVIOUS})"
    assert h.step(running(EXPECTED)) == []  # terminal: nothing moves it any more
    assert h.state.stage is Stage.TIMED_OUT


def test_a_service_that_never_answers_times_out_naming_what_it_said() -> None:
    h = harness(timeout=30.0, previous=None)
    for _ in range(3):
        h.step(unreachable())
    assert h.state.stage is Stage.TIMED_OUT
    reason = f"timed out waiting for {EXPECTED} after 30s (last seen: connection refused)"
    assert h.state.reason == reason


# -- validating ---------------------------------------------------------------------------------


def test_confirmed_moves_to_validating_with_the_three_gates_pending() -> None:
    h = harness()
    h.step(running(PREVIOUS))
    states = h.step(Observation(version=version(EXPECTED)))  # no health answer in this one
    assert h.stages(states) == [Stage.CONFIRMED, Stage.VALIDATING]
    validating = states[1]
    assert [g.name for g in validating.gates] == list(GATES) == ["health", "orchestrator", "smoke"]
    assert {g.status for g in validating.gates} == {"pending"}
    assert validating.message == "checking the validation gates"


def test_every_gate_shows_its_result_and_all_passing_starts_monitoring() -> None:
    h = harness()
    h.step(running(PREVIOUS))
    h.step(running(EXPECTED))
    # The confirming observation already had a healthy health document: that gate passed.
    assert [(g.name, g.status) for g in h.state.gates] == [
        ("health", "passed"),
        ("orchestrator", "pending"),
        ("smoke", "pending"),
    ]
    states = h.step(gates_pass())
    assert h.stages(states) == [Stage.MONITORING]
    assert [(g.name, g.status, g.detail) for g in h.state.gates] == [
        ("health", "passed", "healthy"),
        ("orchestrator", "passed", "active"),
        ("smoke", "passed", "HTTP 200"),
    ]


def test_gates_that_answer_late_pass_when_they_answer() -> None:
    h = harness()
    h.step(running(EXPECTED))
    h.step(Observation(health=health("healthy"), components=failed(Endpoint.COMPONENTS)))
    gates = {g.name: g for g in h.state.gates}
    assert gates["orchestrator"].status == "pending"
    assert gates["orchestrator"].detail == "connect_error"
    assert gates["smoke"].status == "pending"
    assert h.state.stage is Stage.VALIDATING
    assert h.stages(h.step(gates_pass())) == [Stage.MONITORING]


def test_orchestrator_not_active_fails_validation() -> None:
    h = harness()
    h.step(running(EXPECTED))
    states = h.step(Observation(health=health(), components=components("inactive"), teams=teams()))
    assert h.stages(states) == [Stage.FAILED]
    gates = {g.name: g for g in h.state.gates}
    assert gates["orchestrator"].status == "failed"
    assert gates["orchestrator"].detail == "orchestrator inactive, not active"
    assert h.state.reason == "validation failed: orchestrator: orchestrator inactive, not active"
    assert not h.state.rollback_recommended


def test_teams_smoke_check_not_200_fails_validation() -> None:
    h = harness()
    h.step(running(EXPECTED))
    h.step(Observation(health=health(), components=components(), teams=teams(404)))
    assert h.state.stage is Stage.FAILED
    smoke = {g.name: g for g in h.state.gates}["smoke"]
    assert (smoke.status, smoke.detail) == ("failed", "/teams returned HTTP 404")
    assert h.state.reason == "validation failed: smoke: /teams returned HTTP 404"


def test_validation_that_never_completes_fails_after_its_own_deadline() -> None:
    h = harness(timeout=20.0, interval=10.0)
    h.step(running(EXPECTED))  # confirmed at 10 s, validation gets 6 intervals past that
    pending = Observation(health=health(), components=components(), teams=teams(503))
    for _ in range(5):
        h.step(pending)
        assert h.state.stage is Stage.VALIDATING
    h.step(pending)
    assert h.state.stage is Stage.FAILED
    assert h.state.reason is not None
    assert h.state.reason.startswith("validation did not pass in time: smoke (http_error)")


def test_no_validate_skips_the_gates() -> None:
    h = harness(validate=False)
    states = h.step(running(EXPECTED))
    assert h.stages(states) == [Stage.CONFIRMED, Stage.MONITORING]
    assert h.state.gates == ()


def test_no_validate_and_no_monitor_succeeds_as_soon_as_the_version_lands() -> None:
    h = harness(validate=False, monitor=0.0)
    states = h.step(running(EXPECTED))
    assert h.stages(states) == [Stage.CONFIRMED, Stage.SUCCEEDED]


# -- monitoring ---------------------------------------------------------------------------------


def test_monitoring_as_good_as_before_succeeds_when_the_window_ends() -> None:
    h = harness()
    to_monitoring(h)
    assert h.state.message == f"monitoring for 300s against {PREVIOUS}"
    states = monitor_with(h, noisy(104.0, 30, seed=1))
    assert h.stages(states) == [Stage.SUCCEEDED]
    final = h.state
    assert final.now == final.monitor_until
    assert final.verdict == "pass"
    assert final.message.startswith(f"{EXPECTED} is live and healthy (no worse than {PREVIOUS}")
    assert final.reason is None
    assert [c.metric for c in final.comparisons] == [
        "response avg",
        "response P95",
        "response P99",
        "error rate",
        "error rate limit",
    ]
    assert all(c.ok for c in final.comparisons)
    avg = next(m for m in final.verdict_detail if m.metric == "response avg")
    assert avg.baseline == pytest.approx(sum(BASELINE) / len(BASELINE))
    assert (avg.n_post, avg.n_base) == (30, 40)
    assert avg.test == "mann-whitney-u"
    assert avg.baseline_label == f"{PREVIOUS} on {ENV}, the hour before the deploy"
    assert avg.window == (final.stage_since - 300.0 + 0.0, final.now) or avg.window is not None


def test_response_time_thirty_percent_worse_fails_naming_the_response_time() -> None:
    h = harness()
    to_monitoring(h)
    states = monitor_with(h, noisy(130.0, 30, seed=2))
    assert h.stages(states) == [Stage.FAILED]
    assert h.state.verdict == "fail"
    reason = h.state.reason or ""
    assert reason.startswith(f"worse than {PREVIOUS} on {ENV}, the hour before the deploy: ")
    # "response avg 127ms vs 99ms (+28%), p=2.91e-08; response P95 …"
    assert re.search(r"response avg \d+ms vs \d+ms \(\+2\d%\), p=[\d.e-]+; ", reason), reason
    assert reason.endswith(f"rollback recommended to {PREVIOUS}")
    assert h.state.rollback_recommended


def test_the_tolerance_is_the_limit_of_degradation() -> None:
    # Worse by 5 % with noise of ±8 %: within the 10 % tolerance, never a regression.
    within = harness()
    to_monitoring(within)
    monitor_with(within, noisy(105.0, 30, seed=3))
    assert within.state.stage is Stage.SUCCEEDED
    beyond = harness()
    to_monitoring(beyond)
    monitor_with(beyond, noisy(125.0, 30, seed=3))
    assert beyond.state.stage is Stage.FAILED
    looser = harness(tolerance=0.30)  # [deploy] tolerance
    to_monitoring(looser)
    monitor_with(looser, noisy(125.0, 30, seed=3))
    assert looser.state.stage is Stage.SUCCEEDED


def test_one_slow_check_is_not_a_regression() -> None:
    # The old rule failed P99 on one 400 ms point out of five; one spike in 30 is noise.
    h = harness()
    to_monitoring(h)
    values = noisy(100.0, 30, seed=4)
    values[7] = 400.0
    monitor_with(h, values)
    assert h.state.stage is Stage.SUCCEEDED


def test_a_tail_that_got_worse_fails_on_the_tail() -> None:
    h = harness()
    to_monitoring(h)
    values = noisy(100.0, 30, seed=5)
    for i in range(0, 30, 5):  # one check in five at 400 ms
        values[i] = 400.0
    monitor_with(h, values)
    assert h.state.stage is Stage.FAILED
    worse = [c.metric for c in h.state.comparisons if not c.ok]
    assert "response P99" in worse
    p99 = next(m for m in h.state.verdict_detail if m.metric == "response P99")
    assert p99.test == "exceedance"
    assert p99.p_value is not None
    assert p99.p_value < 0.05


def test_the_baseline_is_what_the_previous_version_answered_while_waiting() -> None:
    h = harness(baseline=(), baseline_errors=())
    for value in noisy(200.0, 25, seed=6):
        h.step(running(PREVIOUS, response=value))
    to_monitoring(h)
    monitor_with(h, noisy(260.0, 30, seed=7))
    assert h.state.stage is Stage.FAILED
    avg = h.state.comparisons[0]
    assert avg.baseline == pytest.approx(200.0, rel=0.05)
    assert avg.current == pytest.approx(260.0, rel=0.05)


def test_without_any_baseline_the_verdict_is_inconclusive_never_a_pass() -> None:
    h = harness(baseline=(), baseline_errors=())
    to_monitoring(h)
    states = monitor_with(h, noisy(900.0, 30, seed=8))
    assert h.stages(states) == [Stage.INCONCLUSIVE]
    assert h.state.verdict == "inconclusive"
    assert (
        h.state.reason == "inconclusive: no baseline: nothing known of the version before this one"
    )
    assert not h.state.rollback_recommended


def test_a_window_too_short_is_inconclusive_saying_how_many_samples() -> None:
    h = harness(monitor=60.0)  # 6 checks, 20 wanted
    to_monitoring(h)
    monitor_with(h, noisy(100.0, 6, seed=9))
    assert h.state.stage is Stage.INCONCLUSIVE
    assert "too few samples after the deploy: 6 < 20" in (h.state.reason or "")
    avg = next(m for m in h.state.verdict_detail if m.metric == "response avg")
    assert (avg.outcome, avg.n_post, avg.n_base) == ("inconclusive", 6, 40)


def test_no_traffic_after_the_deploy_is_inconclusive() -> None:
    h = harness()
    to_monitoring(h)
    monitor_with(h, [0.0] * 30)  # an application with no requests reports 0 ms
    assert h.state.stage is Stage.INCONCLUSIVE
    assert "no traffic after the deploy" in (h.state.reason or "")


def test_every_metrics_probe_failing_is_inconclusive() -> None:
    h = harness()
    to_monitoring(h)
    for _ in range(30):
        h.step(
            Observation(
                health=health("healthy", EXPECTED),
                metrics=failed(Endpoint.METRICS, ErrorKind.HTTP_ERROR, "HTTP 500", 500),
            )
        )
    assert h.state.stage is Stage.INCONCLUSIVE
    assert h.state.reason == "inconclusive: every metrics probe failed (30 of 30)"


def test_the_live_verdict_says_what_it_rests_on_while_monitoring() -> None:
    h = harness()
    to_monitoring(h)
    for value in noisy(100.0, 5, seed=10):
        h.step(live(response=value))
    assert h.state.stage is Stage.MONITORING
    assert h.state.verdict == "inconclusive"  # so far: 5 of 20 samples
    assert h.state.samples == 5
    assert "5 < 20" in h.state.verdict_reason


def test_the_gates_are_rows_of_the_verdict() -> None:
    h = harness()
    to_monitoring(h)
    monitor_with(h, noisy(100.0, 30, seed=11))
    gates = [m for m in h.state.verdict_detail if m.test == "gate"]
    assert [(m.metric, m.outcome, m.why, m.threshold) for m in gates] == [
        ("gate health", "pass", "healthy", "healthy"),
        ("gate orchestrator", "pass", "active", "active"),
        ("gate smoke", "pass", "HTTP 200", "/teams answers"),
    ]


def test_error_rate_spikes_that_do_not_last_three_checks_do_not_fail() -> None:
    h = harness()
    to_monitoring(h)
    rates = [0.08, 0.09, 0.01, 0.08, 0.01] + [0.002] * 25
    for rate, value in zip(rates, noisy(100.0, 30, seed=12), strict=True):
        h.step(live(response=value, error_rate=rate))
    assert h.state.stage is Stage.SUCCEEDED


# -- soak ---------------------------------------------------------------------------------------


def test_a_soak_keeps_checking_after_the_pass_then_succeeds() -> None:
    h = harness(soak=120.0)
    to_monitoring(h)
    states = monitor_with(h, noisy(101.0, 30, seed=13))
    assert h.stages(states) == [Stage.SOAKING]
    soaking = h.state
    assert (soaking.verdict, soaking.soak_state) == ("pass", "soaking")
    assert soaking.soak_until == soaking.now + 120.0
    assert soaking.time_left == 120.0
    assert soaking.to_json()["soak"]["state"] == "soaking"
    assert soaking.progress < 1.0
    states = monitor_with(h, noisy(101.0, 12, seed=14))
    assert h.stages(states) == [Stage.SUCCEEDED]
    assert (h.state.verdict, h.state.soak_state) == ("pass", "passed")
    assert "soak passed" in h.state.message


def test_a_soak_fails_when_the_version_gets_worse_and_keeps_the_pass_on_record() -> None:
    h = harness(soak=300.0)
    to_monitoring(h)
    monitor_with(h, noisy(101.0, 30, seed=15))
    assert h.state.stage is Stage.SOAKING
    monitor_with(h, noisy(160.0, 30, seed=16))
    assert h.state.stage is Stage.FAILED
    assert (h.state.verdict, h.state.soak_state) == ("pass", "failed")
    assert (h.state.reason or "").startswith("soak failed: worse than")
    assert h.state.rollback_recommended


def test_unhealthy_while_soaking_fails_the_soak_at_once() -> None:
    h = harness(soak=300.0)
    to_monitoring(h)
    monitor_with(h, noisy(101.0, 30, seed=17))
    states = h.step(live(status="unhealthy"))
    assert h.stages(states) == [Stage.FAILED]
    assert h.state.soak_state == "failed"
    assert h.state.reason == (
        f"soak failed: health is unhealthy after the deploy; rollback recommended to {PREVIOUS}"
    )


def test_error_rate_above_five_percent_three_checks_in_a_row_fails_at_once() -> None:
    h = harness(monitor=300.0)
    to_monitoring(h)
    h.step(live(error_rate=0.08))
    h.step(live(error_rate=0.09))
    assert h.state.stage is Stage.MONITORING
    states = h.step(live(error_rate=0.07))
    assert h.stages(states) == [Stage.FAILED]
    assert h.state.now < (h.state.monitor_until or 0)  # not waiting for the window to end
    assert h.state.reason == (
        f"error rate 7.0% above 5% for 3 consecutive checks; rollback recommended to {PREVIOUS}"
    )


def test_health_turning_unhealthy_after_confirmation_fails_at_once_recommending_rollback() -> None:
    h = harness(monitor=300.0)
    to_monitoring(h)
    h.step(live())
    states = h.step(live(status="unhealthy"))
    assert h.stages(states) == [Stage.FAILED]
    assert h.state.rollback_recommended
    assert h.state.reason == (
        f"health is unhealthy after the deploy; rollback recommended to {PREVIOUS}"
    )
    assert h.state.message == h.state.reason


def test_unhealthy_while_validating_fails_at_once_too() -> None:
    h = harness()
    h.step(running(PREVIOUS))
    h.step(Observation(version=version(EXPECTED)))
    states = h.step(Observation(health=health("unhealthy"), components=components(), teams=teams()))
    assert h.stages(states) == [Stage.FAILED]
    assert "rollback recommended to 1.1.2" in (h.state.reason or "")


def test_service_gone_after_the_deploy_fails_after_three_checks_without_answer() -> None:
    h = harness()
    to_monitoring(h)
    gone = Observation(health=failed(Endpoint.HEALTH), metrics=failed(Endpoint.METRICS))
    h.step(gone)
    h.step(gone)
    h.step(live())  # an answer in between resets the count
    h.step(gone)
    h.step(gone)
    assert h.state.stage is Stage.MONITORING
    assert h.stages(h.step(gone)) == [Stage.FAILED]
    assert h.state.reason == (
        "service stopped responding after the deploy (connect_error: connection refused); "
        f"rollback recommended to {PREVIOUS}"
    )


def test_rollback_advice_without_a_known_previous_version_names_none() -> None:
    h = harness(previous=None)
    to_monitoring(h)
    h.step(live(status="unhealthy"))
    assert h.state.reason == "health is unhealthy after the deploy; rollback recommended"


def test_the_expected_version_is_never_the_one_to_roll_back_to() -> None:
    # Started after the version had already landed: what ran before is unknown, not 1.2.0.
    h = harness(previous=EXPECTED)
    to_monitoring(h)
    h.step(live(status="unhealthy"))
    assert h.state.reason == "health is unhealthy after the deploy; rollback recommended"


# -- progress, time left, JSON ------------------------------------------------------------------


def test_progress_and_time_left_are_sane_at_every_stage() -> None:
    h = harness(timeout=60.0, monitor=40.0, min_samples=4)
    snapshots = [h.state]
    plan = [
        unreachable(),
        running(PREVIOUS),
        running(EXPECTED),
        Observation(health=health(), components=components()),
        gates_pass(),
        live(),
        live(),
        live(),
        live(),
    ]
    for observation in plan:
        snapshots += [*h.step(observation), h.state]  # every stage entered, then where it is
    stages = {s.stage for s in snapshots}
    assert stages >= {Stage.WAITING, Stage.VALIDATING, Stage.MONITORING, Stage.SUCCEEDED}
    progress = [s.progress for s in snapshots]
    assert all(0.0 <= p <= 1.0 for p in progress)
    assert progress == sorted(progress), progress  # never goes backwards
    for state in snapshots:
        if state.stage.terminal:
            assert state.progress == 1.0
            assert state.time_left is None
        elif state.stage is Stage.MONITORING:
            assert 0.5 <= state.progress <= 1.0
            assert state.time_left == pytest.approx((state.monitor_until or 0) - state.now)
        else:
            assert state.progress <= 0.5
            assert state.time_left == pytest.approx(max(0.0, state.deadline - state.now))
        assert state.elapsed == pytest.approx(state.now - T0)


def test_progress_while_waiting_follows_the_timeout_and_stays_below_a_third() -> None:
    h = harness(timeout=100.0)
    h.step(running(PREVIOUS), after=50.0)
    assert h.state.progress == pytest.approx(0.15)
    assert h.state.time_left == pytest.approx(50.0)
    h.step(running(PREVIOUS), after=49.0)
    assert h.state.progress < 0.3


def test_to_json_shape() -> None:
    h = harness()
    to_monitoring(h)
    monitor_with(h, noisy(130.0, 30, seed=20))
    document = h.state.to_json()
    assert set(document) == {
        "environment",
        "expected",
        "stage",
        "elapsed_s",
        "time_left_s",
        "current_version",
        "previous_version",
        "message",
        "reason",
        "rollback_recommended",
        "gates",
        "comparisons",
        "samples",
        "verdict",
        "verdict_reason",
        "verdict_detail",
        "soak",
    }
    assert document["environment"] == ENV
    assert document["expected"] == EXPECTED
    assert document["stage"] == "failed"
    assert document["elapsed_s"] == 320.0
    assert document["time_left_s"] is None
    assert document["current_version"] == EXPECTED
    assert document["previous_version"] == PREVIOUS
    assert document["rollback_recommended"] is True
    assert document["gates"] == [
        {"name": "health", "status": "passed", "detail": "healthy"},
        {"name": "orchestrator", "status": "passed", "detail": "active"},
        {"name": "smoke", "status": "passed", "detail": "HTTP 200"},
    ]
    first = document["comparisons"][0]
    assert set(first) == {"metric", "baseline", "current", "change", "ok", "threshold"}
    assert (first["metric"], first["ok"]) == ("response avg", False)
    assert first["threshold"] == "≤ +10% at 95% confidence"
    assert document["samples"] == 30
    assert document["verdict"] == "fail"
    assert document["soak"] is None
    avg = next(m for m in document["verdict_detail"] if m["metric"] == "response avg")
    assert set(avg) == {
        "metric", "role", "outcome", "value", "baseline", "baseline_label", "threshold", "test",
        "p_value", "effect", "n_post", "n_base", "window", "baseline_window", "why",
    }  # fmt: skip
    assert (avg["outcome"], avg["n_post"], avg["n_base"]) == ("fail", 30, 40)
    assert avg["window"]["end"].endswith("+00:00")
    assert json.loads(json.dumps(document)) == document  # plain JSON, nothing exotic


def test_to_json_while_waiting_has_a_time_left_and_no_gates() -> None:
    h = harness()
    h.step(running(PREVIOUS))
    document = h.state.to_json()
    assert document["stage"] == "waiting"
    assert document["time_left_s"] == 590.0
    assert document["gates"] == []
    assert document["comparisons"] == []


def test_comparison_describes_error_rates_as_percentages() -> None:
    comparison = Comparison("error rate", 0.002, 0.08, 39.0, False)
    assert comparison.describe() == "error rate: 8.0% vs 0.2% (+3900%)"


# -- the runner: what each stage fetches, and a whole watch with fake fetches -------------------


def test_each_stage_fetches_only_what_it_needs() -> None:
    assert endpoints_for(Stage.WAITING) == (Endpoint.VERSION, Endpoint.HEALTH, Endpoint.METRICS)
    assert endpoints_for(Stage.VALIDATING) == (
        Endpoint.HEALTH,
        Endpoint.COMPONENTS,
        Endpoint.TEAMS,
    )
    assert endpoints_for(Stage.MONITORING) == (Endpoint.HEALTH, Endpoint.METRICS)
    for stage in (Stage.SUCCEEDED, Stage.FAILED, Stage.TIMED_OUT):
        assert endpoints_for(stage) == ()


class FakeService:
    """Answers fetches from a script: the version lands after ``lands_after`` fetches of it."""

    def __init__(self, lands_after: int) -> None:
        self.lands_after = lands_after
        self.version_fetches = 0
        self.fetched: list[Endpoint] = []

    async def fetch(self, endpoint: Endpoint) -> PollResult:
        self.fetched.append(endpoint)
        landed = self.version_fetches >= self.lands_after
        if endpoint is Endpoint.VERSION:
            self.version_fetches += 1
            return version(EXPECTED if landed else PREVIOUS)
        if endpoint is Endpoint.HEALTH:
            return health("healthy", EXPECTED if landed else PREVIOUS)
        if endpoint is Endpoint.COMPONENTS:
            return components()
        if endpoint is Endpoint.TEAMS:
            return teams()
        return metrics(101.0)


async def test_observe_fills_the_stage_s_endpoints() -> None:
    service = FakeService(lands_after=0)
    observation = await observe(service.fetch, Stage.VALIDATING)
    assert observation.version is None
    assert observation.metrics is None
    assert observation.components is not None
    assert observation.teams is not None
    assert sorted(service.fetched) == sorted(endpoints_for(Stage.VALIDATING))


async def test_run_watch_reports_the_start_and_every_transition_and_sleeps_the_interval() -> None:
    clock = [T0]
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        clock[0] += seconds

    seen: list[tuple[Stage, bool]] = []

    def on_state(state: WatchState, transition: bool) -> None:
        seen.append((state.stage, transition))

    watch = DeployWatch(
        ENV,
        # A few checks: the transitions are what is pinned here, the sample rule has its own.
        WatchOptions(expected=EXPECTED, timeout=60.0, monitor=30.0, interval=10.0, min_samples=3),
        now=T0,
        previous_version=PREVIOUS,
        baseline_response=[100.0] * 5,
        baseline_errors=[0.002] * 5,
    )
    final = await run_watch(
        watch,
        FakeService(lands_after=2).fetch,
        clock=lambda: clock[0],
        on_state=on_state,
        sleep=sleep,
    )
    assert final.stage is Stage.SUCCEEDED
    transitions = [stage for stage, transition in seen if transition]
    assert transitions == [
        Stage.WAITING,
        Stage.CONFIRMED,
        Stage.VALIDATING,
        Stage.MONITORING,
        Stage.SUCCEEDED,
    ]
    assert (Stage.WAITING, False) in seen  # the polls in between are reported as updates
    assert all(0 < s <= 10.0 for s in sleeps)
    assert final.now - T0 <= 60.0


async def test_run_watch_times_out_exactly_at_the_deadline() -> None:
    clock = [T0]

    async def sleep(seconds: float) -> None:
        clock[0] += seconds

    watch = DeployWatch(ENV, WatchOptions(expected=EXPECTED, timeout=25.0, interval=10.0), now=T0)
    final = await run_watch(
        watch, FakeService(lands_after=10**6).fetch, clock=lambda: clock[0], sleep=sleep
    )
    assert final.stage is Stage.TIMED_OUT
    assert final.now == T0 + 25.0  # the last sleep is cut to the time left


# -- the live view on a terminal ----------------------------------------------------------------


def test_the_terminal_view_shows_stage_time_gates_and_the_verdict_it_rests_on() -> None:
    h = harness()
    to_monitoring(h)
    responses = noisy(130.0, 30, seed=21)
    monitor_with(h, responses[:25])
    console = Console(record=True, width=120, color_system=None)
    console.print(render_watch(h.state))
    monitoring = console.export_text()
    assert "MONITORING" in monitoring
    assert "time left 50s" in monitoring
    assert "✓ health (healthy)" in monitoring
    assert "✓ smoke (HTTP 200)" in monitoring
    assert "verdict FAIL so far" in monitoring
    assert f"baseline: {PREVIOUS} on {ENV}, the hour before the deploy" in monitoring
    for column in ("metric", "now", "baseline", "threshold", "test", "p", "n", "result"):
        assert column in monitoring
    assert "25 / 40" in monitoring  # samples after the deploy / baseline
    assert "mann-whitney-u" in monitoring
    assert "exceedance" in monitoring
    assert "≤ +10% at 95% confidence" in monitoring
    monitor_with(h, responses[25:])
    console.print(render_watch(h.state))
    failed_view = console.export_text()
    assert "FAILED" in failed_view
    assert re.search(r"verdict FAIL +│", failed_view)  # the reason is said once, below
    assert "so far" not in failed_view.split("FAILED")[-1]
    assert "gate health" in failed_view
    assert f"rollback recommended to {PREVIOUS}" in failed_view.replace("\n", " ")


def test_the_terminal_view_shows_markup_in_a_version_as_text() -> None:
    h = harness(previous="[bold]1.1.2[/bold]")
    console = Console(record=True, width=100, color_system=None)
    console.print(render_watch(h.state))
    assert "[bold]1.1.2[/bold] → 1.2.0" in console.export_text()


def test_a_long_window_redraws_the_live_verdict_every_hundredth_of_its_samples() -> None:
    # Judging costs more as samples grow; every step would hold the event loop on long windows.
    h = harness(monitor=100_000.0)
    to_monitoring(h)
    for value in noisy(100.0, 400, seed=30):
        h.step(live(response=value))
    avg = next(m for m in h.state.verdict_detail if m.metric == "response avg")
    assert (h.state.samples, avg.n_post) == (400, 400)
    h.step(live(response=101.0))
    avg = next(m for m in h.state.verdict_detail if m.metric == "response avg")
    assert (h.state.samples, avg.n_post) == (401, 400)  # redrawn at 404
    for _ in range(3):
        h.step(live(response=101.0))
    avg = next(m for m in h.state.verdict_detail if m.metric == "response avg")
    assert avg.n_post == 404


def test_the_same_metrics_answer_twice_is_one_sample() -> None:
    """Through Prometheus a watch reads the same scrape until serve polls again: counting it
    at every interval would inflate the rank tests' sample size."""
    h = harness()
    to_monitoring(h)
    before = h.state.samples
    repeated = live(response=120.0)
    h.step(repeated)
    h.step(repeated)
    assert h.state.samples == before + 1
    assert repeated.metrics is not None
    h.step(replace(repeated, metrics=replace(repeated.metrics, ts=T0 + 99)))
    assert h.state.samples == before + 2


def test_a_version_that_loses_one_health_check_in_three_fails_on_unavailability() -> None:
    """Never three failures in a row (the hard limit), yet a third of the checks lost: judged
    against the previous version's health checks, it fails."""
    watch = DeployWatch(
        ENV,
        WatchOptions(expected=EXPECTED, timeout=600.0, monitor=300.0, interval=10.0),
        now=T0,
        previous_version=PREVIOUS,
        baseline_response=BASELINE,
        baseline_errors=(0.002,) * 40,
        baseline_availability=(1.0,) * 40,
    )
    h = Harness(watch)
    to_monitoring(h)
    for index in range(40):
        lost = index % 3 == 0
        health_check = failed(Endpoint.HEALTH) if lost else health("healthy", EXPECTED)
        answer = replace(metrics(100.0), ts=T0 + 1000 + index)
        h.step(Observation(health=health_check, metrics=answer))
        if h.state.stage.terminal:
            break
    assert h.state.stage is Stage.FAILED
    assert "unavailability" in (h.state.reason or "")
