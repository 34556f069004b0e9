"""Alert rules with Prometheus-like semantics: pending → firing after ``for``, resolved after.

Pure: signals per environment in, transitions out. One alert per rule × environment (no storms);
the state round-trips through ``AlertState`` so it survives a restart (the store keeps it).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from enum import StrEnum
from typing import Any

import msgspec
from msgspec.structs import replace

from umig_tui.analysis.trends import MIN_SLO_COVERAGE
from umig_tui.config import AlertRuleConfig, Thresholds
from umig_tui.models import Metrics, Severity


class AlertPhase(StrEnum):
    PENDING = "pending"
    FIRING = "firing"
    RESOLVED = "resolved"


class EnvSignals(msgspec.Struct, frozen=True):
    """What the rules look at for one environment at one moment."""

    env: str
    metrics: Metrics = msgspec.field(default_factory=Metrics)
    health_failures: int = 0  # consecutive failed health polls
    reachable: bool = True
    # The environment's circuit breaker is open: so many requests failed in a row that polls
    # wait for its cool-down, and the health failures stop counting up meanwhile.
    circuit_open: bool = False
    component_score: float | None = None
    drift: Severity | None = None  # worst drift finding for this env
    drift_detail: str = ""
    deployment_failed: str | None = None  # reason of a failed deploy not yet followed by a success
    # Why the last deploy watch could not judge the version (too few samples, no traffic, no
    # baseline), until a watch of the environment gives a verdict: a warning, never a pass.
    deployment_inconclusive: str | None = None
    degradation: float | None = None  # worst relative worsening vs the previous version's baseline
    degradation_detail: str = ""
    budget_burn: float | None = None  # error-budget burn rate (1.0 = exactly on budget)
    # Share of the burn window with data (0..1); None: not measured. Below MIN_SLO_COVERAGE the
    # rate stands on a sliver (two minutes of six hours) and the burn rule does not hold.
    budget_coverage: float | None = None
    series: Mapping[str, float] = msgspec.field(
        default_factory=dict
    )  # latest value per series name


class Check(msgspec.Struct, frozen=True):
    """A rule's verdict for one environment: does it hold, with what value."""

    holds: bool
    value: float | None = None
    detail: str = ""


class Rule(msgspec.Struct, frozen=True):
    name: str
    severity: Severity
    description: str
    for_s: float
    threshold: float | None
    check: Callable[[EnvSignals], Check]
    environments: tuple[str, ...] = ()  # empty: every environment

    def applies(self, env: str) -> bool:
        return not self.environments or env in self.environments


class AlertState(msgspec.Struct, frozen=True):
    """One alert (rule × environment) as it stands; what the store keeps."""

    rule: str
    env: str
    phase: AlertPhase
    severity: Severity
    since: float  # when the condition started holding
    fired_at: float | None = None
    resolved_at: float | None = None
    value: float | None = None
    threshold: float | None = None
    summary: str = ""
    description: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return (self.rule, self.env)

    @property
    def cause(self) -> str:
        """What is wrong, without the environment and rule the summary starts with."""
        rest = self.summary.removeprefix(f"{self.env}: {self.rule}").strip()
        if rest.startswith("(") and rest.endswith(")"):
            rest = rest[1:-1]
        for prefix in (f"{self.env}: ", f"{self.env} "):  # a finding's message names it too
            rest = rest.removeprefix(prefix)
        return rest or self.description or self.rule

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "environment": self.env,
            "state": str(self.phase),
            "severity": str(self.severity),
            "since": self.since,
            "fired_at": self.fired_at,
            "resolved_at": self.resolved_at,
            "value": self.value,
            "threshold": self.threshold,
            "summary": self.summary,
            "description": self.description,
        }


# --- built-in rules (seed 000 §3.2, thresholds from config) ----------------------------------

BURN_LIMIT = 6.0  # the error budget burning 6× faster than allowed, over 6 hours


def builtin_rules(thresholds: Thresholds) -> list[Rule]:
    failures = thresholds.consecutive_failures
    return [
        Rule(
            "umig-health-check-failed",
            Severity.CRITICAL,
            f"UMIG health check endpoint failing {failures} consecutive times",
            0.0,
            float(failures),
            lambda s: Check(
                s.health_failures >= failures or (s.circuit_open and not s.reachable),
                float(s.health_failures),
                f"{s.health_failures} consecutive failed health checks"
                + (", circuit open" if s.circuit_open and not s.reachable else ""),
            ),
        ),
        Rule(
            "umig-version-drift-detected",
            Severity.HIGH,
            "Version mismatch detected (HIGH or CRITICAL drift finding)",
            0.0,
            None,
            lambda s: Check(
                s.drift is not None and s.drift.rank >= Severity.HIGH.rank,
                None,
                s.drift_detail,
            ),
        ),
        Rule(
            "umig-component-degraded",
            Severity.MEDIUM,
            "Component health score below 0.8 for 5m",
            300.0,
            0.8,
            lambda s: Check(
                s.component_score is not None and s.component_score < 0.8,
                s.component_score,
                f"component health score {s.component_score:.2f}"
                if s.component_score is not None
                else "",
            ),
        ),
        Rule(
            "umig-api-error-rate-high",
            Severity.HIGH,
            f"API error rate above {thresholds.error_rate:.0%} for 2m",
            120.0,
            thresholds.error_rate,
            lambda s: Check(
                s.metrics.error_rate is not None and s.metrics.error_rate > thresholds.error_rate,
                s.metrics.error_rate,
                f"error rate {s.metrics.error_rate:.1%}"
                if s.metrics.error_rate is not None
                else "",
            ),
        ),
        Rule(
            "umig-deployment-failed",
            Severity.CRITICAL,
            "UMIG deployment failed validation",
            0.0,
            None,
            lambda s: Check(s.deployment_failed is not None, None, s.deployment_failed or ""),
        ),
        Rule(
            "umig-deployment-inconclusive",
            Severity.MEDIUM,
            "UMIG deployment landed but could not be judged (too few samples, no traffic, "
            "no baseline): not a pass",
            0.0,
            None,
            lambda s: Check(
                s.deployment_inconclusive is not None, None, s.deployment_inconclusive or ""
            ),
        ),
        Rule(
            "umig-performance-degraded",
            Severity.MEDIUM,
            f"Worse than the previous version's baseline by more than {thresholds.degradation:.0%} for 5m",
            300.0,
            thresholds.degradation,
            lambda s: Check(
                s.degradation is not None and s.degradation > thresholds.degradation,
                s.degradation,
                s.degradation_detail,
            ),
        ),
        Rule(
            "umig-slo-budget-burn",
            Severity.HIGH,
            f"Availability error budget burning more than {BURN_LIMIT:g}× faster than the SLO "
            f"allows (over 6h, once {MIN_SLO_COVERAGE:.0%} of that window has data)",
            300.0,
            BURN_LIMIT,
            budget_burn_check,
        ),
    ]


def budget_burn_check(s: EnvSignals) -> Check:
    """Burning faster than ``BURN_LIMIT``, on enough of the window to say so."""
    rate = s.budget_burn
    if rate is None:
        return Check(False)
    covered = s.budget_coverage is None or s.budget_coverage >= MIN_SLO_COVERAGE
    return Check(rate > BURN_LIMIT and covered, rate, burn_text(rate, s.budget_coverage))


def burn_text(rate: float, coverage: float | None = None) -> str:
    """``burning 50× (limit 6×)``; on a sliver of the window, says so instead of alarming."""
    figure = f"{rate:.0f}" if rate >= 10 else f"{rate:.1f}"
    text = f"burning {figure}× (limit {BURN_LIMIT:g}×)"
    if coverage is not None and coverage < MIN_SLO_COVERAGE:
        text += f", not enough data ({coverage:.1%} of the window)"
    return text


_COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
}


def user_rule(spec: AlertRuleConfig) -> Rule:
    """A rule from config: ``metric comparison threshold`` held for ``for``."""
    compare = _COMPARISONS[spec.comparison]

    def check(signals: EnvSignals) -> Check:
        value = signals.series.get(spec.metric)
        if value is None:
            return Check(False)
        return Check(compare(value, spec.threshold), value, f"{spec.metric} = {value:g}")

    return Rule(
        spec.name,
        Severity(spec.severity.upper()),
        spec.description
        or f"{spec.metric} {spec.comparison} {spec.threshold:g} for {spec.for_s:g}s",
        spec.for_s,
        spec.threshold,
        check,
        tuple(spec.environments),
    )


def all_rules(thresholds: Thresholds, user: Sequence[AlertRuleConfig] = ()) -> list[Rule]:
    return builtin_rules(thresholds) + [user_rule(spec) for spec in user]


# --- the engine ------------------------------------------------------------------------------


class Transition(msgspec.Struct, frozen=True):
    """An alert that changed phase: pending, firing, resolved (or a pending one that cleared)."""

    alert: AlertState
    previous: AlertPhase | None

    @property
    def notify(self) -> bool:
        """Firing and resolved reach people; pending does not."""
        return self.alert.phase is AlertPhase.FIRING or (
            self.alert.phase is AlertPhase.RESOLVED and self.previous is AlertPhase.FIRING
        )


class AlertEngine:
    def __init__(self, rules: Sequence[Rule], *, keep_resolved: float = 3600.0) -> None:
        self.rules = list(rules)
        self.keep_resolved = keep_resolved
        self._alerts: dict[tuple[str, str], AlertState] = {}

    def clear(self) -> None:
        """Forget every alert (a reading instance takes the owner's state as a whole)."""
        self._alerts.clear()

    def restore(self, states: Iterable[AlertState]) -> None:
        """Continue from states saved by an earlier run (pending keeps its start: for-durations
        carry over a restart)."""
        rules = {rule.name: rule for rule in self.rules}
        for state in states:
            rule = rules.get(state.rule)
            # An alert the rule no longer evaluates (its environments changed) would never be
            # judged again: it would stay firing for good.
            if rule is not None and rule.applies(state.env):
                self._alerts[state.key] = state

    @property
    def alerts(self) -> list[AlertState]:
        return sorted(self._alerts.values(), key=lambda a: (-a.severity.rank, a.env, a.rule))

    def firing(self) -> list[AlertState]:
        return [a for a in self.alerts if a.phase is AlertPhase.FIRING]

    def evaluate(self, signals: Sequence[EnvSignals], now: float) -> list[Transition]:
        transitions: list[Transition] = []
        for signal in signals:
            for rule in self.rules:
                if not rule.applies(signal.env):
                    continue
                transition = self._evaluate_one(rule, signal, now)
                if transition is not None:
                    transitions.append(transition)
        self._forget_resolved(now)
        return transitions

    def _evaluate_one(self, rule: Rule, signal: EnvSignals, now: float) -> Transition | None:
        key = (rule.name, signal.env)
        current = self._alerts.get(key)
        check = rule.check(signal)
        summary = f"{signal.env}: {rule.name}" + (f" ({check.detail})" if check.detail else "")
        if check.holds:
            if current is None or current.phase is AlertPhase.RESOLVED:
                phase = AlertPhase.FIRING if rule.for_s <= 0 else AlertPhase.PENDING
                alert = AlertState(
                    rule.name,
                    signal.env,
                    phase,
                    rule.severity,
                    since=now,
                    fired_at=now if phase is AlertPhase.FIRING else None,
                    value=check.value,
                    threshold=rule.threshold,
                    summary=summary,
                    description=rule.description,
                )
                self._alerts[key] = alert
                return Transition(alert, current.phase if current else None)
            if current.phase is AlertPhase.PENDING and now - current.since >= rule.for_s:
                alert = replace(
                    current,
                    phase=AlertPhase.FIRING,
                    fired_at=now,
                    value=check.value,
                    summary=summary,
                )
                self._alerts[key] = alert
                return Transition(alert, AlertPhase.PENDING)
            self._alerts[key] = replace(current, value=check.value, summary=summary)
            return None
        if current is None or current.phase is AlertPhase.RESOLVED:
            return None
        if current.phase is AlertPhase.PENDING:  # never fired: forget quietly, no notification
            del self._alerts[key]
            return Transition(
                replace(current, phase=AlertPhase.RESOLVED, resolved_at=now), AlertPhase.PENDING
            )
        alert = replace(current, phase=AlertPhase.RESOLVED, resolved_at=now, value=check.value)
        self._alerts[key] = alert
        return Transition(alert, AlertPhase.FIRING)

    def _forget_resolved(self, now: float) -> None:
        for key, alert in list(self._alerts.items()):
            resolved_at = alert.resolved_at
            if (
                alert.phase is AlertPhase.RESOLVED
                and resolved_at is not None
                and now - resolved_at > self.keep_resolved
            ):
                del self._alerts[key]
