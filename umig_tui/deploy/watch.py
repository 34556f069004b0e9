"""Deploy watch: waiting → confirmed → validating → monitoring → succeeded | failed | timed_out.

Seed 001 deployment-status-monitor + validate_post_deployment, seed 000 §4 (health during and
after a deployment), seed 004 (watch error rate and response time after a deploy). The state
machine is pure (``DeployWatch.step``); ``deploy.runner.run_watch`` drives it with real fetches.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec
from msgspec.structs import replace

from umig_tui.analysis.versions import compare_versions
from umig_tui.deploy.gates import gate_health, gate_orchestrator, gate_smoke, has_orchestrator
from umig_tui.deploy.observed import (
    UNHEALTHY,
    available,
    not_offered,
    numbers,
    reported_version,
    service_down,
    short_reason,
)
from umig_tui.deploy.verdict import Judgement, Reference, VerdictSettings, judge
from umig_tui.deploy.verdict_record import MetricResult
from umig_tui.deploy.watch_state import (
    GATES,
    Comparison,
    Gate,
    Observation,
    Outage,
    Stage,
    StageMark,
    WatchOptions,
    WatchState,
)
from umig_tui.models import HealthSnapshot

LIVE_JUDGE_EVERY = 100  # above this many samples, the live verdict every count/100 new ones


class _Samples(msgspec.Struct):
    response: list[float] = msgspec.field(default_factory=list)
    errors: list[float] = msgspec.field(default_factory=list)
    availability: list[float] = msgspec.field(default_factory=list)  # per health check: 1 healthy


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
        baseline_availability: Sequence[float] = (),
        baseline_window: tuple[float, float] | None = None,
        references: Sequence[Reference] = (),
        gates: Sequence[str] = GATES,
    ) -> None:
        """``baseline_*``: the previous version's samples before the deploy (the watch adds what
        it sees while it waits); ``references``: the other baselines, labelled, in order."""
        self.options = options
        self.gates = tuple(gates)  # the ones this environment's profile has
        if previous_version is not None and (
            previous_version == options.expected
            or compare_versions(previous_version, options.expected) == 0
        ):
            # Started after the version had landed: what ran before it is not known, and
            # "roll back to" the expected version would be no advice at all.
            previous_version = None
        self._baseline = _Samples(
            list(baseline_response), list(baseline_errors), list(baseline_availability)
        )
        self._current = _Samples()
        self._baseline_window = baseline_window
        self._references = tuple(references)
        self._probes = 0
        self._failed_probes = 0
        # The metrics answer last counted: read through Prometheus the same scrape comes back
        # until serve polls again, and a repeated sample would inflate the rank tests' n.
        self._metrics_ts: float | None = None
        self._monitor_start: float | None = None
        self._unreachable = 0
        self._last_seen: str | None = None  # what the service last said while we waited
        self.state = WatchState(
            env=env,
            expected=options.expected,
            stage=Stage.WAITING,
            started_at=now,
            stage_since=now,
            now=now,
            deadline=now + options.timeout,
            previous_version=previous_version,
            soak=options.soak,
            message=f"waiting for {options.expected}",
            timeline=(StageMark(Stage.WAITING, now, f"waiting for {options.expected}"),),
        )

    def _move(self, stage: Stage, now: float, **changes: Any) -> WatchState:
        mark = StageMark(stage, now, changes.get("message", ""))
        self.state = replace(
            self.state,
            stage=stage,
            stage_since=now,
            now=now,
            timeline=(*self.state.timeline, mark),
            **changes,
        )
        return self.state

    def _track_outage(self, observation: Observation, now: float) -> None:
        """Extend, open or close the outage the service is in, by this interval's answers."""
        down, what = service_down(observation)
        if down is None:
            return
        outages = list(self.state.outages)
        ongoing = outages[-1] if outages and outages[-1].end is None else None
        if ongoing is not None:
            outages[-1] = (
                replace(ongoing, checks=ongoing.checks + 1) if down else replace(ongoing, end=now)
            )
        elif down:
            outages.append(Outage(start=now, end=None, what=what))
        else:
            return
        self.state = replace(self.state, outages=tuple(outages))

    def step(self, observation: Observation, now: float) -> list[WatchState]:
        """Advance with what was fetched at ``now``; every stage entered is returned in order."""
        self.state = replace(self.state, now=now)
        if self.state.stage.terminal:
            return []
        self._track_outage(observation, now)
        stage = self.state.stage
        if stage is Stage.WAITING:
            return self._waiting(observation, now)
        if stage is Stage.VALIDATING:
            return self._validating(observation, now)
        if stage in (Stage.MONITORING, Stage.SOAKING):
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
                        gates=tuple(Gate(g) for g in self.gates),
                        message="checking the validation gates",
                    )
                )
                states.extend(self._validating(observation, now))
            else:
                states.append(self._start_monitoring(now))
            return states
        if version is not None:
            if self.state.previous_version is None:
                self.state = replace(self.state, previous_version=version)
            response, error = numbers(observation)
            if response is not None:
                self._baseline.response.append(response)
            if error is not None:
                self._baseline.errors.append(error)
            if (up := available(observation)) is not None:
                self._baseline.availability.append(up)
            self.state = replace(
                self.state,
                current_version=version,
                message=f"current version {version}, expecting {expected}",
            )
        else:
            self.state = replace(
                self.state, message=f"waiting for the service to respond ({why or 'no answer'})"
            )
        self._last_seen = version or short_reason(why) or self._last_seen
        if now >= self.state.deadline:
            # Never a deployment to judge: neither a success nor a failure of one.
            return [
                self._move(
                    Stage.TIMED_OUT,
                    now,
                    reason=f"timed out waiting for {expected} after {self.options.timeout:g}s "
                    f"(last seen: {self._last_seen or 'no answer'})",
                )
            ]
        return []

    def interrupt(self, now: float, why: str) -> WatchState:
        """The person watching stopped it: a closing state, so the history does not show the
        watch in progress for ever."""
        if self.state.stage.terminal:
            return self.state
        return self._move(Stage.INTERRUPTED, now, reason=why, message=why)

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
        if isinstance(value, HealthSnapshot) and value.status in UNHEALTHY:
            return self._fail(now, f"health is {value.status} after the deploy", rollback=True)
        return None

    def _fail(self, now: float, reason: str, *, rollback: bool = False) -> WatchState:
        previous = self.state.previous_version
        if self.state.stage is Stage.SOAKING:
            # It passed its verdict, then failed the soak: the record keeps the pass and says
            # the soak failed (the promotion board reads "passed, then failed its soak").
            reason = f"soak failed: {reason}"
            if rollback:
                advice = (
                    f"rollback recommended to {previous}" if previous else "rollback recommended"
                )
                reason = f"{reason}; {advice}"
            return self._move(
                Stage.FAILED,
                now,
                reason=reason,
                rollback_recommended=rollback,
                message=reason,
                soak_state="failed",
            )
        if rollback:
            advice = f"rollback recommended to {previous}" if previous else "rollback recommended"
            reason = f"{reason}; {advice}"
        return self._move(
            Stage.FAILED,
            now,
            reason=reason,
            rollback_recommended=rollback,
            message=reason,
            verdict="fail",
            verdict_reason=reason,
            verdict_detail=self._with_gates(self.state.verdict_detail),
        )

    def _with_gates(self, detail: Sequence[MetricResult]) -> tuple[MetricResult, ...]:
        """The gates as rows of the verdict (what each wanted, what it saw), then the metrics."""
        gates = tuple(
            MetricResult(
                f"gate {g.name}",
                {"passed": "pass", "failed": "fail"}.get(g.status, "inconclusive"),
                threshold=g.wanted,
                test="gate",
                why=g.detail,
            )
            for g in self.state.gates
        )
        return gates + tuple(m for m in detail if m.test != "gate")

    def _validating(self, observation: Observation, now: float) -> list[WatchState]:
        gates = {g.name: g for g in self.state.gates}
        # The gates are the ones the environment's profile has: no orchestrator gate where
        # nothing reports an orchestrator (the shipped application), no smoke check where the
        # profile names no smoke path.
        if "orchestrator" in gates and not has_orchestrator(observation.components):
            del gates["orchestrator"]
        if "smoke" in gates and not_offered(observation.teams):
            del gates["smoke"]
        checks = {"health": gate_health, "orchestrator": gate_orchestrator, "smoke": gate_smoke}
        sources = {
            "health": observation.health,
            "orchestrator": observation.components,
            "smoke": observation.teams,
        }
        decided = []
        for name in GATES:
            if name not in gates:
                continue
            gate = checks[name](sources[name], gates[name])
            if gate.status != "pending" and gate.decided_at is None:
                gate = replace(gate, decided_at=now)
            decided.append(gate)
        self.state = replace(self.state, gates=tuple(decided))
        # The gates are judged first so that a failed watch shows what each one saw.
        failure = self._health_failure(observation, now)
        if failure is not None:
            self.state = replace(
                failure,
                gates=tuple(
                    replace(g, status="failed", decided_at=now)
                    if g.name == "health" and g.status == "pending"
                    else g
                    for g in failure.gates
                ),
            )
            return [self.state]
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
            ran = ", ".join(f"{g.name} ({g.detail})" for g in self.state.gates)
            self.state = replace(self.state, message=f"validated: {ran}")
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
            # Asked for: the gates alone decide, and the verdict says so.
            why = "gates only: monitoring skipped (--monitor 0)"
            return self._move(
                Stage.SUCCEEDED,
                now,
                message=f"{self.options.expected} is live and healthy",
                verdict="pass",
                verdict_reason=why,
                verdict_detail=self._with_gates(()),
            )
        self._monitor_start = now
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
        if (up := available(observation)) is not None:
            self._current.availability.append(up)
        response, error = numbers(observation)
        answer = observation.metrics
        if answer is not None and answer.ok and answer.ts == self._metrics_ts:
            response = error = None  # the same answer again: no new sample
        elif observation.metrics is not None:
            self._metrics_ts = observation.metrics.ts
            self._probes += 1
            self._failed_probes += observation.metrics.error is not None and response is None
        if response is not None:
            self._current.response.append(response)
        if error is not None:
            self._current.errors.append(error)
        count = len(self._current.response)
        if self.state.stage is Stage.SOAKING or count % max(1, count // LIVE_JUDGE_EVERY) != 0:
            # The verdict so far is redrawn about every 1/LIVE_JUDGE_EVERY of new samples: on
            # long windows a judgement costs ms to 100s of ms (the exact tail test), every step
            # would hold the event loop.
            self.state = replace(self.state, samples=count)
        else:
            judgement = self._judge(now)
            self.state = replace(
                self.state,
                samples=len(self._current.response),
                comparisons=self._compare(judgement),
                verdict=judgement.verdict,
                verdict_reason=judgement.reason,
                verdict_detail=judgement.detail,
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
        if self.state.stage is Stage.SOAKING:
            assert self.state.soak_until is not None
            return [self._end_soak(now)] if now >= self.state.soak_until else []
        assert self.state.monitor_until is not None
        if now >= self.state.monitor_until:
            return [self._finish(now)]
        return []

    def _end_soak(self, now: float) -> WatchState:
        """The soak is over: the whole window since monitoring began, judged again. Only a
        fail fails it; too little to judge after a pass is said, not held against it."""
        judgement = self._judge(now)
        if judgement.verdict == "fail":
            self.state = replace(self.state, comparisons=self._compare(judgement))
            return self._fail(now, judgement.reason, rollback=True)
        note = "" if judgement.verdict == "pass" else f" (not judged again: {judgement.reason})"
        return self._move(
            Stage.SUCCEEDED,
            now,
            soak_state="passed",
            message=f"{self.options.expected} is live and healthy; soak passed{note}",
        )

    def references(self) -> list[Reference]:
        """The previous version's samples (store + what the watch saw while waiting) first,
        then the other baselines."""
        previous = self.state.previous_version
        first: list[Reference] = []
        if self._baseline.response or self._baseline.errors:
            label = f"{previous or 'the version before'} on {self.state.env}, the hour before the deploy"
            window = self._baseline_window
            first.append(
                Reference(
                    label,
                    tuple(self._baseline.response),
                    tuple(self._baseline.errors),
                    window,
                    tuple(self._baseline.availability),
                )
            )
        return first + list(self._references)

    def _judge(self, now: float) -> Judgement:
        options = self.options
        settings = VerdictSettings(
            min_samples=options.min_samples,
            confidence=options.confidence,
            tolerance=options.tolerance,
            error_rate=options.error_rate,
        )
        start = self._monitor_start if self._monitor_start is not None else now
        return judge(
            self._current.response,
            self._current.errors,
            self.references(),
            settings,
            window=(start, now),
            probes=self._probes,
            failed_probes=self._failed_probes,
            availability=self._current.availability,
        )

    @staticmethod
    def _compare(judgement: Judgement) -> tuple[Comparison, ...]:
        """The deciding metrics as the compact comparison rows older views read."""
        return tuple(
            Comparison(
                m.metric,
                m.baseline,
                m.value,
                m.effect if m.metric != "error rate limit" else None,
                m.outcome != "fail",
                m.threshold,
            )
            for m in judgement.detail
            if m.role == "decides"
        )

    def _finish(self, now: float) -> WatchState:
        judgement = self._judge(now)
        self.state = replace(
            self.state,
            comparisons=self._compare(judgement),
            verdict=judgement.verdict,
            verdict_reason=judgement.reason,
            verdict_detail=self._with_gates(judgement.detail),
        )
        if judgement.verdict == "fail":
            return self._fail(now, judgement.reason, rollback=True)
        if judgement.verdict == "inconclusive":
            return self._move(
                Stage.INCONCLUSIVE,
                now,
                reason=f"inconclusive: {judgement.reason}",
                message=f"{self.options.expected} is live; not judged: {judgement.reason}",
            )
        if self.options.soak > 0:
            until = now + self.options.soak
            return self._move(
                Stage.SOAKING,
                now,
                soak_until=until,
                soak_state="soaking",
                message=f"{self.options.expected} passed ({judgement.reason}); "
                f"soaking for {self.options.soak:g}s",
            )
        return self._move(
            Stage.SUCCEEDED,
            now,
            message=f"{self.options.expected} is live and healthy ({judgement.reason})",
        )
