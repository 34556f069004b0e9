"""What a deploy watch remembers for its detail screen: every stage with when it started and
ended, the outage it saw (from when to when, how many checks, what failed), when each gate was
decided, and each comparison's threshold. Pure: hand-made observations, a clock the test moves."""

from __future__ import annotations

from tests.unit.test_deploy_watch import (
    EXPECTED,
    PREVIOUS,
    T0,
    gates_pass,
    harness,
    live,
    monitor_through,
    running,
    to_monitoring,
    unreachable,
)
from umig_tui.deploy.watch_state import Outage, Stage


def test_every_stage_is_kept_with_its_start_and_end() -> None:
    h = harness(monitor=20.0, min_samples=2)  # two checks judged: the stages are pinned here
    h.step(running(PREVIOUS))  # T0+10: still waiting
    h.step(running(EXPECTED))  # T0+20: confirmed, validating
    h.step(gates_pass())  # T0+30: monitoring
    monitor_through(h, live())
    stages = [(mark.stage, mark.at, ended) for mark, ended in h.state.stages()]
    assert stages == [
        (Stage.WAITING, T0, T0 + 20),
        (Stage.CONFIRMED, T0 + 20, T0 + 20),
        (Stage.VALIDATING, T0 + 20, T0 + 30),
        (Stage.MONITORING, T0 + 30, T0 + 50),
        (Stage.SUCCEEDED, T0 + 50, None),
    ]
    assert h.state.timeline[1].message == f"{EXPECTED} is live (was {PREVIOUS})"


def test_an_outage_while_waiting_is_kept_from_its_first_failed_check_to_the_first_answer() -> None:
    h = harness()
    h.step(running(PREVIOUS))  # T0+10
    h.step(unreachable())  # T0+20: down
    h.step(unreachable())  # T0+30
    h.step(unreachable())  # T0+40
    assert h.state.outages == (
        Outage(start=T0 + 20, end=None, what="connect_error: connection refused", checks=3),
    )
    h.step(running(EXPECTED))  # T0+50: back, with the new version
    (outage,) = h.state.outages
    assert (outage.start, outage.end, outage.checks) == (T0 + 20, T0 + 50, 3)
    assert outage.length(T0 + 999) == 30.0


def test_no_answer_after_the_deploy_fails_the_watch_with_the_outage_still_open() -> None:
    h = harness()
    to_monitoring(h)
    for _ in range(3):
        h.step(unreachable())
    assert h.state.stage is Stage.FAILED
    assert h.state.reason is not None
    assert f"rollback recommended to {PREVIOUS}" in h.state.reason
    (outage,) = h.state.outages
    assert outage.end is None
    assert outage.checks == 3
    assert outage.length(h.state.now) == 20.0  # first failed check to the last one


def test_a_health_check_that_says_unhealthy_is_an_outage_too() -> None:
    h = harness()
    h.step(running(PREVIOUS, status="unhealthy"))
    assert [o.what for o in h.state.outages] == ["health unhealthy"]


def test_gates_record_when_they_were_decided_and_what_they_want() -> None:
    h = harness()
    h.step(running(EXPECTED))  # T0+10: validating, health passes at once
    h.step(gates_pass())  # T0+20: the rest pass
    gates = {g.name: (g.status, g.detail, g.wanted, g.decided_at) for g in h.state.gates}
    assert gates == {
        "health": ("passed", "healthy", "healthy", T0 + 10),
        "orchestrator": ("passed", "active", "active", T0 + 20),
        "smoke": ("passed", "HTTP 200", "/teams answers", T0 + 20),
    }


def test_unhealthy_after_the_deploy_fails_the_health_gate_with_the_value_seen() -> None:
    h = harness()
    h.step(running(EXPECTED, status="unhealthy"))
    assert h.state.stage is Stage.FAILED
    health = next(g for g in h.state.gates if g.name == "health")
    assert (health.status, health.detail, health.decided_at) == ("failed", "unhealthy", T0 + 10)
    assert h.state.timeline[-1].stage is Stage.FAILED


def test_comparisons_name_their_threshold() -> None:
    h = harness(monitor=20.0)
    to_monitoring(h)
    h.step(live(response=130.0, error_rate=0.01))
    limits = {c.metric: c.limit for c in h.state.comparisons}
    # The [deploy] tolerance at its confidence (the fixed 15 % of before is gone), and the
    # absolute error-rate limit.
    assert limits == {
        "response avg": "≤ +10% at 95% confidence",
        "response P95": "≤ +10% at 95% confidence",
        "response P99": "≤ +10% at 95% confidence",
        "error rate": "≤ +0.50% points at 95% confidence",
        "error rate limit": "≤ 5.0%",
    }


def test_an_interrupted_watch_ends_its_timeline_with_the_reason() -> None:
    h = harness()
    h.step(running(PREVIOUS))
    state = h.watch.interrupt(T0 + 15, "watch cancelled from the dashboard")
    assert [(m.stage, m.at, m.message) for m in state.timeline][-1] == (
        Stage.INTERRUPTED,
        T0 + 15,
        "watch cancelled from the dashboard",
    )
