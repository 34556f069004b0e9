"""AlertService end to end in-process: the demo fleet → Monitor → rules → the store and sinks.

A fake clock drives the for-durations; the simulator changes what the fleet answers.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest
from msgspec.structs import replace

from tests.integration.conftest import FakeClock
from umig_tui.analysis.alert_rules import AlertPhase, Transition
from umig_tui.analysis.stats import WindowStats
from umig_tui.config import (
    AlertRuleConfig,
    AlertSettings,
    Config,
    NotifySettings,
    Polling,
)
from umig_tui.demo.fleet import demo_config
from umig_tui.demo.simulator import Simulator
from umig_tui.events import WATCH, AlertChange, Deployment, Event, EventKind
from umig_tui.metrics import RESPONSE_TIME
from umig_tui.models import Severity
from umig_tui.service.alerts import AlertService, alert_event
from umig_tui.service.monitor import Monitor
from umig_tui.service.notify import Notifier
from umig_tui.service.runtime import open_monitor
from umig_tui.store.state import Baseline, load_alerts, save_baseline
from umig_tui.store.store import Store

ERROR_RULE = "umig-api-error-rate-high"


def quiet_config(**changes: object) -> Config:
    """The four demo environments, no expected versions: nothing fires until a test says so."""
    base = demo_config(Config(environments=()), 4)
    fast = Polling(timeout=0.5, health=0.05, version=0.05, components=0.05, metrics=0.05)
    changes.setdefault("expected", {})
    return replace(base, polling=fast, **changes)  # type: ignore[arg-type]


ServiceFactory = Callable[..., Awaitable[AlertService]]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "state" / "samples.db"


@pytest.fixture
async def services(db: Path, simulator: Simulator) -> AsyncIterator[ServiceFactory]:
    """AlertServices over monitors of the in-process demo fleet, sharing one store file."""
    opened: list[Monitor] = []

    async def make(
        clock: FakeClock,
        *,
        config: Config | None = None,
        notifier: Notifier | None = None,
        use_store: bool = True,
    ) -> AlertService:
        monitor = await open_monitor(
            config or quiet_config(),
            environ={},
            store_path=db,
            simulator=simulator,
            use_store=use_store,
        )
        opened.append(monitor)
        if monitor.store is not None:
            monitor.store.start()  # the background writer, as in the dashboard
        service = AlertService(monitor, notifier=notifier, clock=clock)
        await service.restore()
        return service

    yield make
    for monitor in opened:
        await monitor.aclose()


async def cycle(service: AlertService) -> list[Transition]:
    """One poll of every environment, written, then one evaluation."""
    await service.monitor.poll_once()
    if service.monitor.store is not None:
        await service.monitor.store.flush()
    transitions = await service.evaluate()
    if service.monitor.store is not None:
        await service.monitor.store.flush()
    return transitions


def seen(transitions: list[Transition]) -> list[tuple[str, str, str]]:
    return [(t.alert.rule, t.alert.env, str(t.alert.phase)) for t in transitions]


async def alert_events(store: Store) -> list[str]:
    events = await store.events(kinds=[str(EventKind.ALERT)])
    return [e.summary.split(": ", 1)[0] for e in reversed(events)]


# -- the story of issue 5: error rate up → pending → firing → resolved, across a restart ------------


async def test_error_rate_alert_pending_firing_resolved_and_restored(
    services: ServiceFactory, simulator: Simulator
) -> None:
    clock = FakeClock(time.time())
    service = await services(clock)
    assert seen(await cycle(service)) == []  # the static fleet is quiet

    simulator.update("uat", error_rate=0.2)
    assert seen(await cycle(service)) == [(ERROR_RULE, "uat", "pending")]
    since = clock()
    clock.advance(60)
    assert seen(await cycle(service)) == []
    clock.advance(60)
    [firing] = await cycle(service)
    assert seen([firing]) == [(ERROR_RULE, "uat", "firing")]
    assert firing.notify
    assert (firing.alert.since, firing.alert.fired_at) == (since, since + 120)
    assert firing.alert.value == pytest.approx(0.2)
    assert firing.alert.threshold == 0.05
    assert firing.alert.severity is Severity.HIGH
    assert firing.alert.summary == "uat: umig-api-error-rate-high (error rate 20.0%)"

    store = service.monitor.store
    assert store is not None
    assert await alert_events(store) == [
        f"{ERROR_RULE} pending",
        f"{ERROR_RULE} FIRING",
    ]
    [event] = await store.events(kinds=[str(EventKind.ALERT)], limit=1)
    assert (event.env, event.severity, event.payload) == (
        "uat",
        "high",
        AlertChange(ERROR_RULE, "firing", event.payload.value, event.payload.threshold),
    )
    [saved] = await load_alerts(store)
    assert (saved.rule, saved.env, saved.phase, saved.fired_at) == (
        ERROR_RULE,
        "uat",
        AlertPhase.FIRING,
        since + 120,
    )

    # a restart: a new monitor and service on the same store continue from the saved state
    await service.monitor.aclose()
    clock.advance(30)
    restarted = await services(clock)
    assert [(a.rule, a.env, a.fired_at) for a in restarted.firing()] == [
        (ERROR_RULE, "uat", since + 120)
    ]
    assert seen(await cycle(restarted)) == []  # still firing: no second notification

    simulator.update("uat", error_rate=None)
    clock.advance(30)
    [resolved] = await cycle(restarted)
    assert seen([resolved]) == [(ERROR_RULE, "uat", "resolved")]
    assert resolved.notify
    assert resolved.alert.resolved_at == clock()
    assert restarted.firing() == []
    store = restarted.monitor.store
    assert store is not None
    assert (await alert_events(store))[-1] == f"{ERROR_RULE} resolved"
    assert [a.phase for a in await load_alerts(store)] == [AlertPhase.RESOLVED]


async def test_a_pending_alert_keeps_its_start_across_a_restart(
    services: ServiceFactory, simulator: Simulator
) -> None:
    clock = FakeClock(time.time())
    service = await services(clock)
    simulator.update("uat", error_rate=0.2)
    assert seen(await cycle(service)) == [(ERROR_RULE, "uat", "pending")]
    since = clock()
    await service.monitor.aclose()

    clock.advance(90)
    restarted = await services(clock)
    assert seen(await cycle(restarted)) == []  # 90 s of the 120 s
    clock.advance(30)
    [firing] = await cycle(restarted)
    assert seen([firing]) == [(ERROR_RULE, "uat", "firing")]
    assert firing.alert.since == since


async def test_a_pending_alert_that_clears_leaves_no_state_and_no_firing_event(
    services: ServiceFactory, simulator: Simulator
) -> None:
    clock = FakeClock(time.time())
    service = await services(clock)
    simulator.update("uat", error_rate=0.2)
    await cycle(service)
    simulator.update("uat", error_rate=None)
    clock.advance(60)
    [cleared] = await cycle(service)
    assert (cleared.alert.phase, cleared.previous, cleared.notify) == (
        AlertPhase.RESOLVED,
        AlertPhase.PENDING,
        False,
    )
    store = service.monitor.store
    assert store is not None
    assert await load_alerts(store) == []
    assert await alert_events(store) == [f"{ERROR_RULE} pending"]


async def test_alerts_of_environments_outside_the_fleet_are_not_restored(
    services: ServiceFactory, simulator: Simulator
) -> None:
    clock = FakeClock(time.time())
    service = await services(clock)
    simulator.update("uat", error_rate=0.2)
    await cycle(service)
    clock.advance(120)
    assert seen(await cycle(service)) == [(ERROR_RULE, "uat", "firing")]
    await service.monitor.aclose()
    # `umig-tui alerts --env production`, or uat removed from the config
    narrowed = await services(clock, config=quiet_config().select(["production"]))
    assert narrowed.alerts() == []
    assert seen(await cycle(narrowed)) == []
    assert narrowed.firing() == []
    store = narrowed.monitor.store
    assert store is not None
    assert [(a.env, a.phase) for a in await load_alerts(store)] == [("uat", AlertPhase.FIRING)]


async def test_nothing_is_judged_before_the_first_health_answer(
    services: ServiceFactory,
) -> None:
    rule = AlertRuleConfig("down", "health_up", "<", 1.0, 0.0, "critical")
    config = quiet_config(alerts=AlertSettings(rules=(rule,)))
    service = await services(FakeClock(time.time()), config=config)
    assert seen(await service.evaluate()) == []  # no poll yet: health unknown, not down
    assert seen(await cycle(service)) == []


# -- the other built-in rules, fed by the fleet and the store ------------------------------------


async def test_three_failed_health_polls_fire_at_once_even_across_a_restart(
    services: ServiceFactory, simulator: Simulator
) -> None:
    clock = FakeClock(time.time())
    service = await services(clock)
    simulator.set_fault("production", "http503", "health")
    assert seen(await cycle(service)) == []
    clock.advance(30)
    assert seen(await cycle(service)) == []
    await service.monitor.aclose()  # two failures so far, in the store

    restarted = await services(clock)
    clock.advance(30)
    [firing] = await cycle(restarted)
    assert seen([firing]) == [("umig-health-check-failed", "production", "firing")]
    assert firing.alert.severity is Severity.CRITICAL
    assert firing.alert.value == 3.0

    simulator.set_fault("production", None)
    clock.advance(30)
    assert seen(await cycle(restarted)) == [("umig-health-check-failed", "production", "resolved")]


async def test_drift_against_the_expected_versions_fires_at_once(
    services: ServiceFactory,
) -> None:
    expected = {"production": {"umig": "1.2.0", "database": "031", "api": "2.3.1"}}
    service = await services(FakeClock(time.time()), config=quiet_config(expected=expected))
    [firing] = await cycle(service)
    assert seen([firing]) == [("umig-version-drift-detected", "production", "firing")]
    assert "expected" in firing.alert.summary


async def test_a_failed_deploy_fires_until_a_success_or_a_day_later(
    services: ServiceFactory,
) -> None:
    clock = FakeClock(time.time())
    service = await services(clock)
    store = service.monitor.store
    assert store is not None

    def deploy(stage: str, reason: str | None = None) -> Event:
        payload = Deployment(WATCH, to_version="1.2.1", stage=stage, reason=reason)
        return Event(clock(), "uat", EventKind.DEPLOYMENT, f"uat: deploy {stage}", payload=payload)

    await store.add_event(deploy("failed", "validation: /teams answered 500"))
    [firing] = await cycle(service)
    assert seen([firing]) == [("umig-deployment-failed", "uat", "firing")]
    assert firing.alert.summary == ("uat: umig-deployment-failed (validation: /teams answered 500)")
    clock.advance(61)  # store-backed signals are refreshed once a minute
    await store.add_event(deploy("succeeded"))
    assert seen(await cycle(service)) == [("umig-deployment-failed", "uat", "resolved")]

    clock.advance(61)
    await store.add_event(deploy("failed", "health unhealthy"))
    assert seen(await cycle(service)) == [("umig-deployment-failed", "uat", "firing")]
    clock.advance(12 * 3600)
    assert seen(await cycle(service)) == []
    clock.advance(12 * 3600 + 61)  # the failure is more than a day old and nothing followed
    assert seen(await cycle(service)) == [("umig-deployment-failed", "uat", "resolved")]


async def test_an_inconclusive_deploy_is_a_warning_until_a_watch_judges_the_environment(
    services: ServiceFactory,
) -> None:
    clock = FakeClock(time.time())
    service = await services(clock)
    store = service.monitor.store
    assert store is not None

    def deploy(stage: str, reason: str | None = None) -> Event:
        payload = Deployment(WATCH, to_version="1.2.1", stage=stage, reason=reason)
        return Event(clock(), "uat", EventKind.DEPLOYMENT, f"uat: deploy {stage}", payload=payload)

    await store.add_event(deploy("inconclusive", "inconclusive: too few samples: 6 < 20"))
    [firing] = await cycle(service)
    assert seen([firing]) == [("umig-deployment-inconclusive", "uat", "firing")]
    assert firing.alert.severity is Severity.MEDIUM  # a warning, not a pass, not a failure
    assert firing.alert.summary == (
        "uat: umig-deployment-inconclusive (inconclusive: too few samples: 6 < 20)"
    )
    clock.advance(61)  # store-backed signals are refreshed once a minute
    await store.add_event(deploy("succeeded"))
    assert seen(await cycle(service)) == [("umig-deployment-inconclusive", "uat", "resolved")]


async def test_worse_than_the_previous_versions_baseline_fires_after_5_minutes(
    services: ServiceFactory,
) -> None:
    clock = FakeClock(time.time())
    service = await services(clock)
    store = service.monitor.store
    assert store is not None
    for _ in range(3):  # six response samples (health and metrics) in the current window
        await service.monitor.poll_once()
    await store.flush()
    clock.now = time.time() + 1  # the windows end now: after the samples just taken
    assert service.monitor.fleet.versions("uat").umig == "1.2.0-rc.2"
    stats = WindowStats(count=120, avg=50.0, min=40.0, max=70.0, p95=60.0, p99=65.0)
    previous = Baseline(
        "uat", "1.2.0-rc.1", RESPONSE_TIME, "auto", clock() - 86400, clock() - 90000, 0, stats
    )
    assert await save_baseline(store, previous)

    [pending] = await service.evaluate()
    assert seen([pending]) == [("umig-performance-degraded", "uat", "pending")]
    assert pending.alert.value is not None
    assert pending.alert.value > 2  # ~195 ms vs 50 ms
    assert "vs 50ms (baseline 1.2.0-rc.1)" in pending.alert.summary
    clock.advance(300)
    [firing] = await service.evaluate()
    assert seen([firing]) == [("umig-performance-degraded", "uat", "firing")]
    assert firing.alert.severity is Severity.MEDIUM


async def test_an_availability_budget_burning_on_a_sliver_of_data_holds_no_alert(
    services: ServiceFactory, simulator: Simulator
) -> None:
    """Ten polls a few milliseconds apart, one failed: 90 % "available", a 100× burn on
    nothing like six hours of data. The window's coverage is what the rule looks at first."""
    clock = FakeClock(time.time())
    service = await services(clock)
    simulator.set_fault("hotfix", "http500", "health")
    await service.monitor.poll_once()
    simulator.set_fault("hotfix", None)
    for _ in range(9):
        await service.monitor.poll_once()
    assert service.monitor.store is not None
    await service.monitor.store.flush()
    clock.now = time.time() + 1
    assert "umig-slo-budget-burn" not in [t.alert.rule for t in await service.evaluate()]


async def test_an_availability_budget_burning_fast_fires_after_5_minutes(
    services: ServiceFactory, simulator: Simulator
) -> None:
    """Two and a half hours of healthy history (more than 10 % of the 6 h window), then
    hotfix fails its health checks for four minutes: about 2.6 % of the covered time down,
    burning the 0.1 % budget some 26× faster than allowed (limit 6×)."""
    from umig_tui.demo.history import ensure_demo_metric_history
    from umig_tui.models import Endpoint, ErrorKind, FetchError, PollResult

    clock = FakeClock(time.time())
    service = await services(clock)
    store = service.monitor.store
    assert store is not None
    start = clock.now - 240
    await ensure_demo_metric_history(store, ["hotfix"], now=start, days=0.1)
    down = FetchError(ErrorKind.HTTP_ERROR, "HTTP 500", 500)
    for second in range(0, 240, 30):  # a failed health check every 30 s for 4 minutes
        service.monitor.apply(
            PollResult("hotfix", Endpoint.HEALTH, ts=start + second, latency_ms=5.0, error=down)
        )
    await store.flush()
    [pending] = [t for t in await service.evaluate() if t.alert.rule == "umig-slo-budget-burn"]
    assert seen([pending]) == [("umig-slo-budget-burn", "hotfix", "pending")]
    assert pending.alert.value is not None
    assert pending.alert.value > 6.0
    assert pending.alert.cause.startswith(f"burning {pending.alert.value:.0f}× (limit 6×)")
    clock.advance(300)
    firing = [t for t in await service.evaluate() if t.alert.rule == "umig-slo-budget-burn"]
    assert seen(firing) == [("umig-slo-budget-burn", "hotfix", "firing")]


# -- config: user rules, disabled built-ins; no store ---------------------------------------------


async def test_user_rules_and_disabled_built_ins_from_the_config(
    services: ServiceFactory, simulator: Simulator
) -> None:
    rules = (
        AlertRuleConfig("uat-slow", "response_time_ms", ">", 1000.0, 0.0, "critical", "", ("uat",)),
    )
    config = quiet_config(alerts=AlertSettings(rules=rules, disable=(ERROR_RULE,)))
    service = await services(FakeClock(time.time()), config=config)
    for env in ("uat", "production"):
        simulator.update(env, response_factor=10.0, error_rate=0.5)
    [firing] = await cycle(service)
    assert seen([firing]) == [("uat-slow", "uat", "firing")]
    assert firing.alert.severity is Severity.CRITICAL


async def test_rules_that_need_no_store_work_without_one(
    services: ServiceFactory, simulator: Simulator
) -> None:
    clock = FakeClock(time.time())
    service = await services(clock, use_store=False)
    simulator.update("uat", error_rate=0.2)
    assert seen(await cycle(service)) == [(ERROR_RULE, "uat", "pending")]
    clock.advance(120)
    assert seen(await cycle(service)) == [(ERROR_RULE, "uat", "firing")]


# -- what leaves the service: listeners and sinks --------------------------------------------------


async def test_only_firing_and_resolved_reach_the_sinks_and_listeners_hear_everything(
    services: ServiceFactory, simulator: Simulator
) -> None:
    posted: list[dict[str, object]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        posted.append(json.loads(request.content))
        return httpx.Response(200)

    notifier = Notifier(
        NotifySettings(webhook="http://hooks.example/alerts"),
        {},
        transport=httpx.MockTransport(answer),
    )
    clock = FakeClock(time.time())
    heard: list[list[tuple[str, str, str]]] = []
    try:
        service = await services(clock, notifier=notifier)
        service.subscribe(lambda transitions: heard.append(seen(list(transitions))))
        service.subscribe(lambda transitions: 1 / 0)  # a broken listener changes nothing
        simulator.update("uat", error_rate=0.2)
        await cycle(service)
        await notifier.flush()
        assert posted == []  # pending reaches nobody
        clock.advance(120)
        await cycle(service)
        simulator.update("uat", error_rate=None)
        clock.advance(30)
        await cycle(service)
        await notifier.flush()
    finally:
        await notifier.aclose()
    assert [(p["alert"], p["environment"], p["state"]) for p in posted] == [
        (ERROR_RULE, "uat", "firing"),
        (ERROR_RULE, "uat", "resolved"),
    ]
    assert heard == [
        [(ERROR_RULE, "uat", "pending")],
        [(ERROR_RULE, "uat", "firing")],
        [(ERROR_RULE, "uat", "resolved")],
    ]
    assert notifier.status["webhook"].describe() == "webhook: ok (2 sent)"


def test_an_alert_transition_is_a_timeline_line() -> None:
    from umig_tui.analysis.alert_rules import AlertState

    firing = AlertState(ERROR_RULE, "uat", AlertPhase.FIRING, Severity.HIGH, 1.0, 2.0, None, 0.2)
    event = alert_event(replace(firing, summary="uat: high errors"), 5.0)
    assert (event.ts, event.env, event.kind, event.severity) == (
        5.0,
        "uat",
        EventKind.ALERT,
        "high",  # the timeline's severities are lower case, like status and deploy events
    )
    assert event.summary == f"{ERROR_RULE} FIRING: uat: high errors"
    assert event.payload == AlertChange(ERROR_RULE, "firing", 0.2, None)


async def test_a_second_instance_on_the_store_shows_the_owners_alerts_and_pages_nobody(
    services: ServiceFactory, simulator: Simulator
) -> None:
    """Two evaluators on one store would page twice: the one not recording only reads."""
    clock = FakeClock(time.time())
    owner = await services(clock)
    reader = await services(clock)
    assert owner.owner
    assert not reader.owner
    simulator.update("uat", error_rate=0.2)
    for _ in range(3):
        await cycle(owner)
        assert await cycle(reader) == []
        clock.advance(60)
    assert [(a.rule, a.env) for a in owner.firing()] == [(ERROR_RULE, "uat")]
    assert [(a.rule, a.env) for a in reader.firing()] == [(ERROR_RULE, "uat")]
    store = owner.monitor.store
    assert store is not None
    assert await alert_events(store) == [f"{ERROR_RULE} pending", f"{ERROR_RULE} FIRING"]
