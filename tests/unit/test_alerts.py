"""The alert rule engine with a fake clock: for-durations, resolve, dedupe, restart restore,
every built-in rule of seed 000 §3.2 (plus degradation and SLO burn) and user rules from config."""

from __future__ import annotations

from pathlib import Path

import pytest
from msgspec.structs import replace

from umig_tui.analysis.alert_rules import (
    AlertEngine,
    AlertPhase,
    AlertState,
    Check,
    EnvSignals,
    Rule,
    Transition,
    all_rules,
    builtin_rules,
    user_rule,
)
from umig_tui.config import (
    AlertRuleConfig,
    ConfigError,
    StoreSettings,
    Thresholds,
    parse_config_text,
)
from umig_tui.models import Metrics, Severity
from umig_tui.store.state import load_alerts, save_alerts
from umig_tui.store.store import Store

T0 = 1_750_000_000.0


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, start: float = T0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> float:
        self.now += seconds
        return self.now


def hot_rule(for_s: float = 120.0, name: str = "too-hot") -> Rule:
    """Holds while the ``temperature`` series is above 1."""

    def check(signals: EnvSignals) -> Check:
        value = signals.series.get("temperature")
        return Check(value is not None and value > 1, value, f"temperature {value}")

    return Rule(name, Severity.HIGH, "too hot", for_s, 1.0, check)


def hot(env: str = "uat", value: float = 2.0) -> EnvSignals:
    return EnvSignals(env, series={"temperature": value})


def cool(env: str = "uat") -> EnvSignals:
    return EnvSignals(env, series={"temperature": 0.0})


def phases(transitions: list[Transition]) -> list[tuple[str, str, str, str | None]]:
    return [
        (t.alert.rule, t.alert.env, str(t.alert.phase), t.previous and str(t.previous))
        for t in transitions
    ]


# -- for-durations --------------------------------------------------------------------------------


def test_pending_until_the_for_duration_has_elapsed_then_firing() -> None:
    engine, clock = AlertEngine([hot_rule(120)]), Clock()
    [pending] = engine.evaluate([hot()], clock())
    assert (pending.alert.phase, pending.previous, pending.notify) == (
        AlertPhase.PENDING,
        None,
        False,
    )
    assert pending.alert.since == T0
    assert pending.alert.fired_at is None
    assert engine.evaluate([hot()], clock.advance(60)) == []
    assert engine.evaluate([hot()], clock.advance(59.9)) == []
    assert engine.firing() == []
    [firing] = engine.evaluate([hot(value=3.0)], clock.advance(0.1))
    assert (firing.alert.phase, firing.previous, firing.notify) == (
        AlertPhase.FIRING,
        AlertPhase.PENDING,
        True,
    )
    assert (firing.alert.since, firing.alert.fired_at) == (T0, T0 + 120)
    assert firing.alert.value == 3.0
    assert engine.firing() == [firing.alert]


def test_a_rule_without_for_fires_at_once() -> None:
    engine = AlertEngine([hot_rule(0)])
    [transition] = engine.evaluate([hot()], T0)
    assert (transition.alert.phase, transition.previous, transition.notify) == (
        AlertPhase.FIRING,
        None,
        True,
    )
    assert transition.alert.fired_at == T0


def test_recovery_resolves_a_firing_alert_and_notifies() -> None:
    engine, clock = AlertEngine([hot_rule(120)], keep_resolved=3600), Clock()
    engine.evaluate([hot()], clock())
    engine.evaluate([hot()], clock.advance(120))
    [resolved] = engine.evaluate([cool()], clock.advance(30))
    assert (resolved.alert.phase, resolved.previous, resolved.notify) == (
        AlertPhase.RESOLVED,
        AlertPhase.FIRING,
        True,
    )
    assert resolved.alert.resolved_at == T0 + 150
    assert resolved.alert.fired_at == T0 + 120
    assert engine.firing() == []
    assert [a.phase for a in engine.alerts] == [AlertPhase.RESOLVED]  # kept for the log
    assert engine.evaluate([cool()], clock.advance(60)) == []  # resolved once, not again
    engine.evaluate([cool()], clock.advance(3600))
    assert engine.alerts == []  # forgotten after keep_resolved


def test_a_pending_alert_that_clears_is_forgotten_quietly() -> None:
    engine, clock = AlertEngine([hot_rule(120)]), Clock()
    engine.evaluate([hot()], clock())
    [cleared] = engine.evaluate([cool()], clock.advance(60))
    assert (cleared.alert.phase, cleared.previous, cleared.notify) == (
        AlertPhase.RESOLVED,
        AlertPhase.PENDING,
        False,
    )
    assert engine.alerts == []
    # holding again starts the for-duration from scratch
    [pending] = engine.evaluate([hot()], clock.advance(30))
    assert pending.alert.since == T0 + 90
    assert engine.evaluate([hot()], clock.advance(119)) == []


def test_one_alert_per_rule_and_environment_however_often_it_holds() -> None:
    engine, clock = AlertEngine([hot_rule(120), hot_rule(0, "too-hot-now")]), Clock()
    transitions: list[Transition] = []
    for step in range(50):
        transitions += engine.evaluate(
            [hot("uat", 2.0 + step), hot("production"), cool("development")], clock.advance(10)
        )
    assert sorted(phases(transitions)) == [
        ("too-hot", "production", "firing", "pending"),
        ("too-hot", "production", "pending", None),
        ("too-hot", "uat", "firing", "pending"),
        ("too-hot", "uat", "pending", None),
        ("too-hot-now", "production", "firing", None),
        ("too-hot-now", "uat", "firing", None),
    ]
    assert len(engine.alerts) == 4
    assert len(engine.firing()) == 4
    uat = next(a for a in engine.alerts if a.key == ("too-hot", "uat"))
    assert uat.value == 51.0  # the latest value, on the one alert
    assert uat.since == T0 + 10


def test_an_alert_that_comes_back_after_resolving_is_a_new_one() -> None:
    engine, clock = AlertEngine([hot_rule(0)]), Clock()
    engine.evaluate([hot()], clock())
    engine.evaluate([cool()], clock.advance(60))
    [again] = engine.evaluate([hot()], clock.advance(60))
    assert (again.alert.phase, again.previous, again.notify) == (
        AlertPhase.FIRING,
        AlertPhase.RESOLVED,
        True,
    )
    assert again.alert.since == T0 + 120
    assert again.alert.resolved_at is None
    assert len(engine.alerts) == 1


def test_rules_only_apply_to_their_environments() -> None:
    rule = replace(hot_rule(0), environments=("production",))
    engine = AlertEngine([rule])
    transitions = engine.evaluate([hot("uat"), hot("production")], T0)
    assert phases(transitions) == [("too-hot", "production", "firing", None)]


def test_alerts_are_listed_worst_first() -> None:
    critical = replace(hot_rule(0, "a-critical"), severity=Severity.CRITICAL)
    engine = AlertEngine([hot_rule(0, "b-high"), critical])
    engine.evaluate([hot("uat"), hot("development")], T0)
    assert [(a.rule, a.env) for a in engine.alerts] == [
        ("a-critical", "development"),
        ("a-critical", "uat"),
        ("b-high", "development"),
        ("b-high", "uat"),
    ]


# -- restart: state saved, restored, continued ----------------------------------------------------


def test_a_restored_pending_alert_fires_when_its_for_duration_ends() -> None:
    clock = Clock()
    before = AlertEngine([hot_rule(120)])
    before.evaluate([hot()], clock())
    before.evaluate([hot()], clock.advance(50))
    saved = before.alerts

    after = AlertEngine([hot_rule(120)])  # a new process
    after.restore(saved)
    assert after.evaluate([hot()], clock.advance(60)) == []  # t0 + 110: still pending
    [firing] = after.evaluate([hot()], clock.advance(10))  # t0 + 120, across the restart
    assert (firing.alert.phase, firing.previous) == (AlertPhase.FIRING, AlertPhase.PENDING)
    assert firing.alert.since == T0


def test_a_restored_firing_alert_does_not_fire_again_but_resolves() -> None:
    clock = Clock()
    before = AlertEngine([hot_rule(0)])
    before.evaluate([hot()], clock())
    after = AlertEngine([hot_rule(0)])
    after.restore(before.alerts)
    assert after.evaluate([hot()], clock.advance(60)) == []
    assert [a.fired_at for a in after.firing()] == [T0]
    [resolved] = after.evaluate([cool()], clock.advance(60))
    assert resolved.notify
    assert resolved.alert.phase is AlertPhase.RESOLVED


def test_restore_ignores_rules_that_no_longer_exist() -> None:
    engine = AlertEngine([hot_rule(0)])
    engine.restore(
        [AlertState("gone-rule", "uat", AlertPhase.FIRING, Severity.HIGH, since=T0, fired_at=T0)]
    )
    assert engine.alerts == []


def test_restore_ignores_environments_a_rule_no_longer_covers() -> None:
    engine = AlertEngine([replace(hot_rule(0), environments=("production",))])
    state = AlertState("too-hot", "uat", AlertPhase.FIRING, Severity.HIGH, since=T0, fired_at=T0)
    engine.restore([state, replace(state, env="production")])
    assert [a.env for a in engine.alerts] == ["production"]


async def test_alert_state_round_trips_through_the_store(tmp_path: Path) -> None:
    clock = Clock()
    engine = AlertEngine([hot_rule(120), hot_rule(0, "too-hot-now")])
    engine.evaluate([hot("uat"), hot("production")], clock())
    engine.evaluate([hot("uat"), cool("production")], clock.advance(30))
    store = await Store.open(tmp_path / "samples.db", StoreSettings())
    try:
        assert await save_alerts(store, engine.alerts, forget=[("too-hot", "production")])
        loaded = await load_alerts(store)
    finally:
        await store.close()
    assert sorted(loaded, key=lambda a: a.key) == sorted(engine.alerts, key=lambda a: a.key)
    restored = AlertEngine([hot_rule(120), hot_rule(0, "too-hot-now")])
    restored.restore(loaded)
    [firing] = restored.evaluate([hot("uat"), cool("production")], clock.advance(90))
    assert (firing.alert.rule, firing.alert.env, firing.alert.since) == ("too-hot", "uat", T0)


def test_alert_json_carries_what_an_on_call_needs() -> None:
    engine = AlertEngine([hot_rule(0)])
    [t] = engine.evaluate([hot(value=2.5)], T0)
    assert t.alert.to_json() == {
        "rule": "too-hot",
        "environment": "uat",
        "state": "firing",
        "severity": "HIGH",
        "since": T0,
        "fired_at": T0,
        "resolved_at": None,
        "value": 2.5,
        "threshold": 1.0,
        "summary": "uat: too-hot (temperature 2.5)",
        "description": "too hot",
    }


# -- built-in rules -------------------------------------------------------------------------------

BUILTIN = {
    # rule: (severity, for, signals that hold, signals that do not)
    "umig-health-check-failed": (
        Severity.CRITICAL,
        0.0,
        EnvSignals("uat", health_failures=3, reachable=False),
        EnvSignals("uat", health_failures=2, reachable=False),
    ),
    "umig-version-drift-detected": (
        Severity.HIGH,
        0.0,
        EnvSignals("uat", drift=Severity.HIGH, drift_detail="ui 1.1.2 ≠ umig 1.1.3"),
        EnvSignals("uat", drift=Severity.MEDIUM),
    ),
    "umig-component-degraded": (
        Severity.MEDIUM,
        300.0,
        EnvSignals("uat", component_score=0.79),
        EnvSignals("uat", component_score=0.8),
    ),
    "umig-api-error-rate-high": (
        Severity.HIGH,
        120.0,
        EnvSignals("uat", metrics=Metrics(error_rate=0.051)),
        EnvSignals("uat", metrics=Metrics(error_rate=0.05)),
    ),
    "umig-deployment-failed": (
        Severity.CRITICAL,
        0.0,
        EnvSignals("uat", deployment_failed="validation: /teams answered 500"),
        EnvSignals("uat"),
    ),
    "umig-deployment-inconclusive": (
        Severity.MEDIUM,
        0.0,
        EnvSignals("uat", deployment_inconclusive="inconclusive: too few samples: 6 < 20"),
        EnvSignals("uat"),
    ),
    "umig-performance-degraded": (
        Severity.MEDIUM,
        300.0,
        EnvSignals("uat", degradation=0.16, degradation_detail="response avg 116ms vs 100ms"),
        EnvSignals("uat", degradation=0.15),
    ),
    "umig-slo-budget-burn": (
        Severity.HIGH,
        300.0,
        EnvSignals("uat", budget_burn=6.5),
        EnvSignals("uat", budget_burn=6.0),
    ),
}


def test_the_built_in_rules_are_seed_000s_plus_degradation_and_slo_burn() -> None:
    assert [r.name for r in builtin_rules(Thresholds())] == list(BUILTIN)


@pytest.mark.parametrize("name", list(BUILTIN))
def test_built_in_rule(name: str) -> None:
    severity, for_s, holds, quiet = BUILTIN[name]
    [rule] = [r for r in builtin_rules(Thresholds()) if r.name == name]
    assert (rule.severity, rule.for_s) == (severity, for_s)
    assert rule.check(holds).holds
    assert not rule.check(quiet).holds
    assert not rule.check(EnvSignals("uat")).holds  # nothing known: nothing fires

    engine, clock = AlertEngine([rule]), Clock()
    assert engine.evaluate([quiet], clock()) == []
    [first] = engine.evaluate([holds], clock.advance(10))
    if for_s:
        assert first.alert.phase is AlertPhase.PENDING
        assert engine.evaluate([holds], clock.advance(for_s - 1)) == []
        [first] = engine.evaluate([holds], clock.advance(1))
    assert (first.alert.phase, first.alert.severity) == (AlertPhase.FIRING, severity)
    assert first.alert.since == T0 + 10
    [resolved] = engine.evaluate([quiet], clock.advance(10))
    assert (resolved.alert.phase, resolved.notify) == (AlertPhase.RESOLVED, True)


def test_built_in_thresholds_come_from_the_config() -> None:
    rules = {
        r.name: r
        for r in builtin_rules(Thresholds(error_rate=0.2, consecutive_failures=5, degradation=0.5))
    }
    errors = rules["umig-api-error-rate-high"]
    assert errors.threshold == 0.2
    assert not errors.check(EnvSignals("uat", metrics=Metrics(error_rate=0.19))).holds
    assert errors.check(EnvSignals("uat", metrics=Metrics(error_rate=0.21))).holds
    health = rules["umig-health-check-failed"]
    assert not health.check(EnvSignals("uat", health_failures=4)).holds
    assert health.check(EnvSignals("uat", health_failures=5)).holds
    degraded = rules["umig-performance-degraded"]
    assert not degraded.check(EnvSignals("uat", degradation=0.4)).holds


def test_built_in_rules_say_what_they_saw() -> None:
    rules = {r.name: r for r in builtin_rules(Thresholds())}
    engine = AlertEngine(list(rules.values()))
    signals = EnvSignals(
        "production",
        metrics=Metrics(error_rate=0.2),
        health_failures=4,
        drift=Severity.CRITICAL,
        drift_detail="production ahead of uat",
        deployment_failed="deploy failed: health unhealthy",
    )
    summaries = {t.alert.rule: t.alert.summary for t in engine.evaluate([signals], T0)}
    assert summaries == {
        "umig-health-check-failed": "production: umig-health-check-failed (4 consecutive failed health checks)",
        "umig-version-drift-detected": "production: umig-version-drift-detected (production ahead of uat)",
        "umig-api-error-rate-high": "production: umig-api-error-rate-high (error rate 20.0%)",
        "umig-deployment-failed": "production: umig-deployment-failed (deploy failed: health unhealthy)",
    }


# -- user rules from [alerts.rules] ---------------------------------------------------------------


def config_with_rules(rules: str, file: Path | None = None) -> list[Rule]:
    config = parse_config_text(rules, file)
    return all_rules(config.thresholds, config.alerts.rules)[len(BUILTIN) :]


@pytest.mark.parametrize(
    ("comparison", "holds", "quiet"),
    [
        (">", 11.0, 10.0),
        (">=", 10.0, 9.9),
        ("<", 9.9, 10.0),
        ("<=", 10.0, 10.1),
        ("==", 10.0, 10.5),
        ("!=", 10.5, 10.0),
    ],
)
def test_user_rule_comparisons(comparison: str, holds: float, quiet: float) -> None:
    [rule] = config_with_rules(
        f"""
[[alerts.rules]]
name = "busy"
metric = "active_users"
comparison = "{comparison}"
threshold = 10
for = "2m"
severity = "critical"
"""
    )
    assert (rule.name, rule.severity, rule.for_s, rule.threshold) == (
        "busy",
        Severity.CRITICAL,
        120.0,
        10.0,
    )
    assert rule.description == f"active_users {comparison} 10 for 120s"
    assert rule.check(EnvSignals("uat", series={"active_users": holds})).holds
    assert not rule.check(EnvSignals("uat", series={"active_users": quiet})).holds
    assert not rule.check(EnvSignals("uat")).holds  # no value: nothing to judge


def test_user_rule_with_environments_and_defaults_through_the_engine() -> None:
    [rule] = config_with_rules(
        """
[[alerts.rules]]
name = "slow-health-poll"
metric = "poll_latency_ms:health"
comparison = ">"
threshold = 800
environments = ["production"]
description = "the health endpoint answers slowly"
"""
    )
    assert (rule.severity, rule.for_s, rule.environments) == (
        Severity.MEDIUM,
        0.0,
        ("production",),
    )
    engine = AlertEngine([rule])
    slow = {"poll_latency_ms:health": 950.0}
    transitions = engine.evaluate(
        [EnvSignals("uat", series=slow), EnvSignals("production", series=slow)], T0
    )
    assert phases(transitions) == [("slow-health-poll", "production", "firing", None)]
    assert (
        transitions[0].alert.summary
        == "production: slow-health-poll (poll_latency_ms:health = 950)"
    )
    assert transitions[0].alert.description == "the health endpoint answers slowly"


def test_user_rule_built_directly() -> None:
    rule = user_rule(AlertRuleConfig("low-score", "component_health_score", "<", 0.5, 60.0, "low"))
    assert rule.severity is Severity.LOW
    assert rule.check(EnvSignals("uat", series={"component_health_score": 0.4})).holds


def test_an_unknown_metric_is_rejected_with_file_and_line(tmp_path: Path) -> None:
    text = """[thresholds]
error_rate = 0.05

[[alerts.rules]]
name = "typo"
metric = "respons_time_ms"
comparison = ">"
threshold = 1
"""
    with pytest.raises(ConfigError) as caught:
        config_with_rules(text, tmp_path / "umig-tui.toml")
    assert str(caught.value).startswith(f"{tmp_path / 'umig-tui.toml'}:6: ")
    assert "unknown metric 'respons_time_ms'" in str(caught.value)
    assert "response_time_ms" in str(caught.value)  # the valid names are listed


@pytest.mark.parametrize(
    ("line", "key", "message"),
    [
        ('comparison = "=>"', "comparison", "comparison must be one of"),
        ('severity = "urgent"', "severity", "severity must be low, medium, high or critical"),
        ('for = "soon"', "for", "invalid duration"),
        ('environments = "uat"', "environments", "environments must be a list"),
    ],
)
def test_bad_user_rules_are_rejected_with_their_line(line: str, key: str, message: str) -> None:
    fields = {
        "name": '"r"',
        "metric": '"error_rate"',
        "comparison": '">"',
        "threshold": "0.1",
    }
    fields[key] = line.split(" = ", 1)[1]
    body = "\n".join(f"{k} = {v}" for k, v in fields.items())
    text = f"[[alerts.rules]]\n{body}\n"
    expected_line = 2 + list(fields).index(key)
    with pytest.raises(ConfigError) as caught:
        parse_config_text(text, Path("alerts.toml"))
    assert caught.value.line == expected_line
    assert message in str(caught.value)


def test_disabled_built_ins_and_duplicate_user_rules() -> None:
    config = parse_config_text('[alerts]\ndisable = ["umig-version-drift-detected"]\n')
    assert config.alerts.disable == ("umig-version-drift-detected",)
    with pytest.raises(ConfigError, match="duplicate alert rule name 'x'"):
        parse_config_text(
            '[[alerts.rules]]\nname = "x"\nmetric = "error_rate"\ncomparison = ">"\nthreshold = 1\n'
            '[[alerts.rules]]\nname = "x"\nmetric = "error_rate"\ncomparison = ">"\nthreshold = 2\n'
        )
