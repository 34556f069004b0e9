"""Deploy watch: waiting → confirmed → validating → monitoring → succeeded | failed | timed_out.

Seed 001 deployment-status-monitor + validate_post_deployment, seed 000 §4 (health during and
after a deployment), seed 004 (watch error rate and response time after a deploy). The state
machine is pure (``DeployWatch.step``); ``run_watch`` drives it with real fetches.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from umig_tui.analysis.stats import WindowStats, relative_change
from umig_tui.analysis.versions import compare_versions
from umig_tui.models import (
    ComponentsStatus,
    Endpoint,
    HealthSnapshot,
    MetricsSnapshot,
    PollResult,
    TeamsCheck,
    VersionInfo,
)


class Stage(StrEnum):
    WAITING = "waiting"
    CONFIRMED = "confirmed"
    VALIDATING = "validating"
    MONITORING = "monitoring"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    TIMED_OUT = "timed_out"

    @property
    def terminal(self) -> bool:
        return self in (Stage.SUCCEEDED, Stage.FAILED, Stage.TIMED_OUT)


@dataclass(frozen=True, slots=True)
class WatchOptions:
    expected: str
    timeout: float = 600.0
    monitor: float = 300.0
    interval: float = 10.0
    validate: bool = True
    error_rate: float = 0.05
    degradation: float = 0.15
    unreachable_limit: int = 3  # consecutive failed health polls after confirmation


@dataclass(frozen=True, slots=True)
class Gate:
    name: str
    status: str = "pending"  # pending | passed | failed
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Comparison:
    metric: str
    baseline: float | None
    current: float | None
    change: float | None
    ok: bool

    def describe(self) -> str:
        if self.baseline is None or self.current is None or self.change is None:
            return f"{self.metric}: {_fmt(self.metric, self.current)} (no baseline)"
        return (
            f"{self.metric}: {_fmt(self.metric, self.current)} vs {_fmt(self.metric, self.baseline)} "
            f"({self.change:+.0%})"
        )


def _fmt(metric: str, value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.1%}" if metric.startswith("error") else f"{value:.0f}ms"


GATES = ("health", "orchestrator", "smoke")


@dataclass(frozen=True, slots=True)
class WatchState:
    env: str
    expected: str
    stage: Stage
    started_at: float
    stage_since: float
    now: float
    deadline: float
    current_version: str | None = None
    previous_version: str | None = None
    message: str = ""
    reason: str | None = None
    rollback_recommended: bool = False
    gates: tuple[Gate, ...] = ()
    comparisons: tuple[Comparison, ...] = ()
    monitor_until: float | None = None
    samples: int = 0

    @property
    def elapsed(self) -> float:
        return self.now - self.started_at

    @property
    def progress(self) -> float:
        """0..1 across the whole watch, for progress bars."""
        if self.stage.terminal:
            return 1.0
        if self.stage is Stage.WAITING:
            return 0.3 * min(1.0, self.elapsed / max(1.0, self.deadline - self.started_at))
        if self.stage in (Stage.CONFIRMED, Stage.VALIDATING):
            passed = sum(1 for g in self.gates if g.status == "passed")
            return 0.3 + 0.2 * passed / max(1, len(GATES))
        if self.monitor_until is not None:
            total = max(1.0, self.monitor_until - self.stage_since)
            return 0.5 + 0.5 * min(1.0, (self.now - self.stage_since) / total)
        return 0.5

    @property
    def time_left(self) -> float | None:
        if self.stage.terminal:
            return None
        if self.stage is Stage.MONITORING and self.monitor_until is not None:
            return max(0.0, self.monitor_until - self.now)
        return max(0.0, self.deadline - self.now)

    def to_json(self) -> dict[str, Any]:
        return {
            "environment": self.env,
            "expected": self.expected,
            "stage": str(self.stage),
            "elapsed_s": round(self.elapsed, 1),
            "time_left_s": round(self.time_left, 1) if self.time_left is not None else None,
            "current_version": self.current_version,
            "previous_version": self.previous_version,
            "message": self.message,
            "reason": self.reason,
            "rollback_recommended": self.rollback_recommended,
            "gates": [{"name": g.name, "status": g.status, "detail": g.detail} for g in self.gates],
            "comparisons": [
                {
                    "metric": c.metric,
                    "baseline": c.baseline,
                    "current": c.current,
                    "change": c.change,
                    "ok": c.ok,
                }
                for c in self.comparisons
            ],
        }


@dataclass
class Observation:
    """What one interval fetched (only what the current stage needs)."""

    version: PollResult | None = None
    health: PollResult | None = None
    components: PollResult | None = None
    teams: PollResult | None = None
    metrics: PollResult | None = None


@dataclass
class _Samples:
    response: list[float] = field(default_factory=list)
    errors: list[float] = field(default_factory=list)


def reported_version(observation: Observation) -> tuple[str | None, str | None]:
    """(version, why unknown) from the version endpoint, falling back to health."""
    for result in (observation.version, observation.health):
        if result is None:
            continue
        if result.error is not None:
            continue
        value = result.value
        if isinstance(value, VersionInfo | HealthSnapshot) and value.version:
            return value.version, None
    failed = next(
        (r for r in (observation.version, observation.health) if r is not None and r.error), None
    )
    return None, (
        f"{failed.error.kind}: {failed.error.reason}" if failed and failed.error else None
    )


def _numbers(observation: Observation) -> tuple[float | None, float | None]:
    """(response ms, error rate) from the metrics text, else the health document."""
    response = error = None
    for result in (observation.metrics, observation.health):
        if result is None or result.error is not None:
            continue
        value = result.value
        metrics = value.metrics if isinstance(value, HealthSnapshot | MetricsSnapshot) else None
        if metrics is None:
            continue
        response = response if response is not None else metrics.response_time_ms
        error = error if error is not None else metrics.error_rate
    return response, error


class DeployWatch:
    """The pure state machine. ``step`` takes one interval's observation, returns new states."""

    def __init__(
        self,
        env: str,
        options: WatchOptions,
        *,
        now: float,
        previous_version: str | None = None,
        baseline_response: Sequence[float] = (),
        baseline_errors: Sequence[float] = (),
    ) -> None:
        self.options = options
        self._baseline = _Samples(list(baseline_response), list(baseline_errors))
        self._current = _Samples()
        self._unreachable = 0
        self.state = WatchState(
            env=env,
            expected=options.expected,
            stage=Stage.WAITING,
            started_at=now,
            stage_since=now,
            now=now,
            deadline=now + options.timeout,
            previous_version=previous_version,
            message=f"waiting for {options.expected}",
        )

    def _move(self, stage: Stage, now: float, **changes: Any) -> WatchState:
        self.state = replace(self.state, stage=stage, stage_since=now, now=now, **changes)
        return self.state

    def step(self, observation: Observation, now: float) -> list[WatchState]:
        """Advance with what was fetched at ``now``; every stage entered is returned in order."""
        self.state = replace(self.state, now=now)
        if self.state.stage.terminal:
            return []
        stage = self.state.stage
        if stage is Stage.WAITING:
            return self._waiting(observation, now)
        if stage is Stage.VALIDATING:
            return self._validating(observation, now)
        if stage is Stage.MONITORING:
            return self._monitoring(observation, now)
        return []

    # -- stages -------------------------------------------------------------------------------

    def _waiting(self, observation: Observation, now: float) -> list[WatchState]:
        version, why = reported_version(observation)
        expected = self.options.expected
        if version is not None and (
            version == expected or compare_versions(version, expected) == 0
        ):
            previous = self.state.previous_version
            confirmed = self._move(
                Stage.CONFIRMED,
                now,
                current_version=version,
                message=f"{expected} is live"
                + (f" (was {previous})" if previous and previous != version else ""),
            )
            states = [confirmed]
            if self.options.validate:
                states.append(
                    self._move(
                        Stage.VALIDATING,
                        now,
                        gates=tuple(Gate(g) for g in GATES),
                        message="checking health, orchestrator and /teams",
                    )
                )
                states.extend(self._validating(observation, now))
            else:
                states.append(self._start_monitoring(now))
            return states
        if version is not None:
            if self.state.previous_version is None:
                self.state = replace(self.state, previous_version=version)
            response, error = _numbers(observation)
            if response is not None:
                self._baseline.response.append(response)
            if error is not None:
                self._baseline.errors.append(error)
            self.state = replace(
                self.state,
                current_version=version,
                message=f"current version {version}, expecting {expected}",
            )
        else:
            self.state = replace(
                self.state, message=f"waiting for the service to respond ({why or 'no answer'})"
            )
        if now >= self.state.deadline:
            return [
                self._move(
                    Stage.TIMED_OUT,
                    now,
                    reason=f"{expected} not seen within {self.options.timeout:g}s "
                    f"(last: {self.state.current_version or 'no answer'})",
                )
            ]
        return []

    def _health_failure(self, observation: Observation, now: float) -> WatchState | None:
        """Unhealthy after confirmation fails the watch at once (seed 000 §4.2)."""
        health = observation.health
        if health is None:
            return None
        if health.error is not None:
            self._unreachable += 1
            if self._unreachable >= self.options.unreachable_limit:
                return self._fail(
                    now,
                    f"service stopped responding after the deploy ({health.error.kind}: "
                    f"{health.error.reason})",
                    rollback=True,
                )
            return None
        self._unreachable = 0
        value = health.value
        if isinstance(value, HealthSnapshot) and value.status in (
            "unhealthy",
            "down",
            "error",
            "failed",
            "critical",
        ):
            return self._fail(now, f"health is {value.status} after the deploy", rollback=True)
        return None

    def _fail(self, now: float, reason: str, *, rollback: bool = False) -> WatchState:
        previous = self.state.previous_version
        if rollback:
            advice = f"rollback recommended to {previous}" if previous else "rollback recommended"
            reason = f"{reason}; {advice}"
        return self._move(
            Stage.FAILED, now, reason=reason, rollback_recommended=rollback, message=reason
        )

    def _validating(self, observation: Observation, now: float) -> list[WatchState]:
        failure = self._health_failure(observation, now)
        if failure is not None:
            return [failure]
        gates = {g.name: g for g in self.state.gates}
        gates["health"] = _gate_health(observation.health, gates["health"])
        gates["orchestrator"] = _gate_orchestrator(observation.components, gates["orchestrator"])
        gates["smoke"] = _gate_smoke(observation.teams, gates["smoke"])
        self.state = replace(self.state, gates=tuple(gates[name] for name in GATES))
        failed = [g for g in self.state.gates if g.status == "failed"]
        if failed:
            gate = failed[0]
            return [
                self._fail(
                    now,
                    f"validation failed: {gate.name}: {gate.detail}",
                    rollback=gate.name == "health",
                )
            ]
        if all(g.status == "passed" for g in self.state.gates):
            return [self._start_monitoring(now)]
        deadline = max(self.state.deadline, self.state.stage_since + 6 * self.options.interval)
        if now >= deadline:
            pending = ", ".join(
                f"{g.name} ({g.detail or 'no answer'})"
                for g in self.state.gates
                if g.status == "pending"
            )
            return [self._fail(now, f"validation did not pass in time: {pending}")]
        return []

    def _start_monitoring(self, now: float) -> WatchState:
        if self.options.monitor <= 0:
            return self._finish(now)
        return self._move(
            Stage.MONITORING,
            now,
            monitor_until=now + self.options.monitor,
            message=f"monitoring for {self.options.monitor:g}s against {self.state.previous_version or 'thresholds'}",
        )

    def _monitoring(self, observation: Observation, now: float) -> list[WatchState]:
        failure = self._health_failure(observation, now)
        if failure is not None:
            return [failure]
        response, error = _numbers(observation)
        if response is not None:
            self._current.response.append(response)
        if error is not None:
            self._current.errors.append(error)
        self.state = replace(
            self.state, samples=len(self._current.response), comparisons=self._compare()
        )
        recent = self._current.errors[-3:]
        if len(recent) == 3 and min(recent) > self.options.error_rate:
            return [
                self._fail(
                    now,
                    f"error rate {recent[-1]:.1%} above {self.options.error_rate:.0%} "
                    "for 3 consecutive checks",
                    rollback=True,
                )
            ]
        assert self.state.monitor_until is not None
        if now >= self.state.monitor_until:
            return [self._finish(now)]
        return []

    def _compare(self) -> tuple[Comparison, ...]:
        base = WindowStats.of(self._baseline.response)
        current = WindowStats.of(self._current.response)
        limit = self.options.degradation
        out: list[Comparison] = []
        for label, before, after in (
            ("response avg", base.avg, current.avg),
            ("response P95", base.p95, current.p95),
            ("response P99", base.p99, current.p99),
        ):
            change = relative_change(after, before)
            out.append(Comparison(label, before, after, change, change is None or change <= limit))
        errors_now = WindowStats.of(self._current.errors).avg
        errors_before = WindowStats.of(self._baseline.errors).avg
        out.append(
            Comparison(
                "error rate",
                errors_before,
                errors_now,
                relative_change(errors_now, errors_before),
                errors_now is None or errors_now <= self.options.error_rate,
            )
        )
        return tuple(out)

    def _finish(self, now: float) -> WatchState:
        comparisons = self._compare()
        self.state = replace(self.state, comparisons=comparisons)
        worse = [c for c in comparisons if not c.ok]
        if worse:
            return self._fail(
                now,
                "worse than before the deploy: " + "; ".join(c.describe() for c in worse),
                rollback=True,
            )
        return self._move(
            Stage.SUCCEEDED, now, message=f"{self.options.expected} is live and healthy"
        )


def _gate_health(result: PollResult | None, gate: Gate) -> Gate:
    if result is None or gate.status == "passed":
        return gate
    if result.error is not None:
        return replace(gate, detail=f"{result.error.kind}")
    value = result.value
    if isinstance(value, HealthSnapshot):
        if value.status == "healthy":
            return replace(gate, status="passed", detail="healthy")
        return replace(gate, detail=value.status or "unknown")
    return gate


def _gate_orchestrator(result: PollResult | None, gate: Gate) -> Gate:
    if result is None or gate.status == "passed":
        return gate
    if result.error is not None:
        return replace(gate, detail=f"{result.error.kind}")
    value = result.value
    if isinstance(value, ComponentsStatus):
        status = value.orchestrator_status or "unknown"
        if status == "active":
            return replace(gate, status="passed", detail="active")
        if status != "unknown":
            return replace(gate, status="failed", detail=f"orchestrator {status}, not active")
        return replace(gate, detail="orchestrator status unknown")
    return gate


def _gate_smoke(result: PollResult | None, gate: Gate) -> Gate:
    if result is None or gate.status == "passed":
        return gate
    if result.error is None and isinstance(result.value, TeamsCheck):
        return replace(gate, status="passed", detail=f"HTTP {result.value.http_status}")
    error = result.error
    if error is not None and error.http_status is not None and error.http_status < 500:
        return replace(gate, status="failed", detail=f"/teams returned HTTP {error.http_status}")
    return replace(gate, detail=f"{error.kind}" if error else "no answer")


# --- driving it ------------------------------------------------------------------------------

Fetch = Callable[[Endpoint], Awaitable[PollResult]]


def endpoints_for(stage: Stage) -> tuple[Endpoint, ...]:
    if stage is Stage.WAITING:
        return (Endpoint.VERSION, Endpoint.HEALTH, Endpoint.METRICS)
    if stage is Stage.VALIDATING:
        return (Endpoint.HEALTH, Endpoint.COMPONENTS, Endpoint.TEAMS)
    if stage is Stage.MONITORING:
        return (Endpoint.HEALTH, Endpoint.METRICS)
    return ()


async def observe(fetch: Fetch, stage: Stage) -> Observation:
    wanted = endpoints_for(stage)
    results = await asyncio.gather(*(fetch(endpoint) for endpoint in wanted))
    observation = Observation()
    for endpoint, result in zip(wanted, results, strict=True):
        setattr(observation, endpoint.value, result)
    return observation


async def run_watch(
    watch: DeployWatch,
    fetch: Fetch,
    *,
    clock: Callable[[], float],
    on_state: Callable[[WatchState, bool], Awaitable[None] | None] | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> WatchState:
    """Poll at the watch's interval until a terminal stage; ``on_state(state, transition)``."""
    interval = watch.options.interval
    if on_state is not None:  # the start is a transition too: "waiting for X" is the first line
        outcome = on_state(watch.state, True)
        if outcome is not None:
            await outcome
    while True:
        stage = watch.state.stage
        observation = await observe(fetch, stage)
        transitions = watch.step(observation, clock())
        for state in transitions:
            if on_state is not None:
                outcome = on_state(state, True)
                if outcome is not None:
                    await outcome
        if not transitions and on_state is not None:
            outcome = on_state(watch.state, False)
            if outcome is not None:
                await outcome
        if watch.state.stage.terminal:
            return watch.state
        if watch.state.stage is stage or not transitions:
            left = watch.state.time_left
            await sleep(min(interval, left) if left is not None and left > 0 else interval)
