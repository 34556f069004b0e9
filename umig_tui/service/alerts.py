"""The alert loop: signals from the monitor and the store → rules → the timeline and the sinks.

Runs in the dashboard, in ``export prometheus --serve`` and once per ``umig-tui alerts``. State
is saved after every change so a restart (or the next cron run) continues where it stopped.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import msgspec
from msgspec.structs import replace

from umig_tui.analysis.alert_rules import (
    AlertEngine,
    AlertPhase,
    AlertState,
    EnvSignals,
    Transition,
    all_rules,
)
from umig_tui.analysis.silences import Silence
from umig_tui.analysis.trends import MetricTrend
from umig_tui.events import AlertChange, Event, EventKind
from umig_tui.metrics import COMPONENT_SCORE, HEALTH_UP, poll_latency, poll_ok
from umig_tui.models import Endpoint, EnvStatus, Severity
from umig_tui.service.alertmanager_alerts import RemoteAlerts
from umig_tui.service.monitor import Change, Monitor
from umig_tui.service.notify import Notifier
from umig_tui.service.silences import SilenceService
from umig_tui.store.slo import BurnSignal

if TYPE_CHECKING:  # httpx loads when a request is sent, not before the first frame
    import httpx

log = logging.getLogger(__name__)

SLOW_SIGNALS_EVERY = 60.0  # store-backed signals (baselines, SLO burn) are refreshed this often
BURN_WINDOW = 6 * 3600.0
FAILED_DEPLOY_MEMORY = 24 * 3600.0


class SilencedTransition(Transition, frozen=True):
    """A transition of a silenced alert: it reaches no one (no bell, no webhook); Alertmanager
    still hears of it, and holds it back itself."""

    silence: Silence

    @property
    def notify(self) -> bool:
        return False

    @property
    def would_notify(self) -> bool:
        """What ``notify`` would be without the silence."""
        return Transition(self.alert, self.previous).notify


class _Slow(msgspec.Struct):
    at: float = 0.0
    degradation: dict[str, tuple[float | None, str]] = msgspec.field(default_factory=dict)
    burn: dict[str, BurnSignal] = msgspec.field(default_factory=dict)
    failed_deploys: dict[str, str] = msgspec.field(default_factory=dict)
    inconclusive_deploys: dict[str, str] = msgspec.field(default_factory=dict)
    trends: dict[str, tuple[MetricTrend, ...]] = msgspec.field(default_factory=dict)


class AlertService:
    def __init__(
        self,
        monitor: Monitor,
        *,
        notifier: Notifier | None = None,
        clock: Callable[[], float] = time.time,
        silence_transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        config = monitor.config
        self.monitor = monitor
        self.notifier = notifier
        self.clock = clock
        rules = [
            r
            for r in all_rules(config.thresholds, config.alerts.rules)
            if r.name not in config.alerts.disable
        ]
        self.engine = AlertEngine(rules)
        self._failures: dict[str, int] = {}
        self._slow = _Slow()
        self._listeners: list[Callable[[Sequence[Transition]], None]] = []
        self.silences = SilenceService(
            store=monitor.store,
            alertmanager=config.notify.alertmanager,
            timeout=config.notify.timeout,
            clock=clock,
            transport=silence_transport,
        )
        # Reading from Prometheus: the rules run in serve (and Prometheus), not in every
        # dashboard; the alerts shown are those Alertmanager holds.
        self.remote = (
            RemoteAlerts(
                config.notify.alertmanager,
                monitor.fleet.names,
                timeout=config.notify.timeout,
                clock=clock,
                transport=silence_transport,
            )
            if monitor.source is not None
            else None
        )
        monitor.subscribe(self._on_change)

    def subscribe(self, listener: Callable[[Sequence[Transition]], None]) -> None:
        self._listeners.append(listener)

    def _on_change(self, change: Change) -> None:
        result = change.result
        if result is not None and result.endpoint is Endpoint.HEALTH:
            self._failures[change.env] = 0 if result.ok else self._failures.get(change.env, 0) + 1
        for event in change.events:
            if event.kind is EventKind.DEPLOYMENT and event.env:
                self._remember_deploy(event)

    def _remember_deploy(
        self,
        event: Event,
        into: dict[str, str] | None = None,
        unsure: dict[str, str] | None = None,
    ) -> None:
        assert event.env is not None
        failed = self._slow.failed_deploys if into is None else into
        unjudged = self._slow.inconclusive_deploys if unsure is None else unsure
        deployment = event.deployment
        stage = deployment.stage if deployment is not None else None
        if deployment is not None and stage == "failed":  # a version never seen is no failure
            failed[event.env] = deployment.reason or f"deploy {stage}"
            unjudged.pop(event.env, None)
        elif deployment is not None and stage == "inconclusive":
            unjudged[event.env] = deployment.reason or "deploy inconclusive"
        elif stage in ("succeeded", "soaking"):
            failed.pop(event.env, None)
            unjudged.pop(event.env, None)

    async def restore(self) -> None:
        store = self.monitor.store
        if store is None or self.remote is not None:  # a cache store holds no alert state
            return
        from umig_tui.store.state import load_alerts

        # Only this fleet's: with `--env uat`, or after an environment left the config, the
        # others' alerts would never be evaluated again and would keep firing (exit 1) for good.
        names = set(self.monitor.fleet.names)
        self.engine.restore(a for a in await load_alerts(store) if a.env in names)
        await self._consecutive_failures_from_store()

    async def _consecutive_failures_from_store(self) -> None:
        """Trailing failed health polls per environment (so a one-shot run counts them too)."""
        store = self.monitor.store
        if store is None:
            return
        limit = self.monitor.config.thresholds.consecutive_failures
        for env in self.monitor.fleet.names:
            rows = await store.query(
                "SELECT s.value FROM samples s JOIN series x ON x.id = s.series_id "
                "WHERE x.env = ? AND x.metric = ? ORDER BY s.ts DESC LIMIT ?",
                (env, poll_ok("health"), limit),
            )
            count = 0
            for (value,) in rows:
                if value:
                    break
                count += 1
            self._failures[env] = max(self._failures.get(env, 0), count)

    async def _refresh_slow(self, now: float) -> None:
        if now - self._slow.at < SLOW_SIGNALS_EVERY:
            return
        self._slow.at = now
        store = self.monitor.store
        if store is None:
            return
        from umig_tui.store.slo import fleet_burn_signals
        from umig_tui.store.state import load_baselines
        from umig_tui.store.trends import degradation_signal, fleet_trends

        config = self.monitor.config
        fleet = self.monitor.fleet
        # Every environment's windows at once: a query per window, not per window and
        # environment (50 environments: ~650 round trips to the store's thread, ~0.1 s a
        # minute, became 14).
        trends = await fleet_trends(
            store,
            {env: fleet.versions(env).umig for env in fleet.names},
            now=now,
            degradation=config.thresholds.degradation,
            baselines=await load_baselines(store),
        )
        # Time-weighted availability and how much of the window has data: the rule does not
        # hold on a sliver (two minutes of six hours).
        burn = await fleet_burn_signals(
            store, list(fleet.names), config.slo.availability, now=now, window=BURN_WINDOW
        )
        for env in fleet.names:
            self._slow.degradation[env] = degradation_signal(trends[env])
            self._slow.trends[env] = tuple(trends[env])
            self._slow.burn[env] = burn[env]
        # Rebuilt from the store's last day each time, so a failure nothing followed ages out
        # (accumulating it in memory kept it firing for as long as the process ran).
        since = now - FAILED_DEPLOY_MEMORY
        failed: dict[str, str] = {}
        unsure: dict[str, str] = {}
        for event in reversed(
            await store.events(since=since, kinds=[str(EventKind.DEPLOYMENT)], limit=1000)
        ):
            if event.env:
                self._remember_deploy(event, failed, unsure)
        self._slow.failed_deploys = failed
        self._slow.inconclusive_deploys = unsure

    def signals(self) -> list[EnvSignals]:
        fleet = self.monitor.fleet
        worst: dict[str, tuple[Severity, str]] = {}
        for finding in fleet.drift():
            current = worst.get(finding.environment)
            if current is None or finding.severity.rank > current[0].rank:
                worst[finding.environment] = (finding.severity, finding.message)
        out: list[EnvSignals] = []
        for view in fleet.views():
            env = view.name
            series: dict[str, float] = {
                name: value for name, value in view.metrics.as_dict().items() if value is not None
            }
            if view.status is not EnvStatus.UNKNOWN:  # no health answer yet: not "down"
                series[HEALTH_UP] = 1.0 if view.status is EnvStatus.HEALTHY else 0.0
            if view.component_score is not None:
                series[COMPONENT_SCORE] = view.component_score
            for endpoint in Endpoint:
                latest = fleet.latest(env, endpoint)
                if latest is not None:
                    series[poll_ok(str(endpoint))] = 1.0 if latest.ok else 0.0
                    if latest.latency_ms is not None:
                        series[poll_latency(str(endpoint))] = latest.latency_ms
            degradation, detail = self._slow.degradation.get(env, (None, ""))
            burn = self._slow.burn.get(env)
            drift = worst.get(env)
            out.append(
                EnvSignals(
                    env=env,
                    metrics=view.metrics,
                    health_failures=self._failures.get(env, 0),
                    reachable=view.error is None,
                    circuit_open=self.monitor.circuit(env)[0] != "closed",
                    component_score=view.component_score,
                    drift=drift[0] if drift else None,
                    drift_detail=drift[1] if drift else "",
                    deployment_failed=self._slow.failed_deploys.get(env),
                    deployment_inconclusive=self._slow.inconclusive_deploys.get(env),
                    degradation=degradation,
                    degradation_detail=detail,
                    budget_burn=burn.rate if burn is not None and burn.polls >= 10 else None,
                    budget_coverage=burn.coverage if burn is not None else None,
                    series=series,
                )
            )
        return out

    @property
    def owner(self) -> bool:
        """This instance evaluates, records and notifies: the one recording the store (or the
        only one, with no store). Another on the same store shows the owner's alerts: two
        evaluators would page twice and write every transition twice."""
        store = self.monitor.store
        return store is None or store.recording

    async def evaluate(self) -> list[Transition]:
        """One cycle: refresh signals, evaluate, save, record and notify what changed."""
        await self.silences.refresh()
        if self.remote is not None:
            return await self._read_remote()
        if not self.owner:
            self.engine.clear()
            await self.restore()  # what the recording instance decided, as it stands now
            return []
        now = self.clock()
        try:
            await self._refresh_slow(now)
        except Exception:  # a store problem must not stop the rules that need no store
            log.exception("refreshing store-backed alert signals failed")
        transitions = [self._silenced(t) for t in self.engine.evaluate(self.signals(), now)]
        if transitions:
            await self._record(transitions, now)
        if self.notifier is not None:
            for transition in transitions:
                if transition.notify:
                    self.notifier.submit(transition.alert)
                elif isinstance(transition, SilencedTransition) and transition.would_notify:
                    self.notifier.submit(transition.alert, silenced=True)
            self.notifier.resend_firing(self.engine.firing(), now)
        for listener in list(self._listeners):
            try:
                listener(transitions)
            except Exception:
                log.exception("alert listener failed")
        return transitions

    async def _record(self, transitions: Sequence[Transition], now: float) -> None:
        store = self.monitor.store
        if store is None:
            return
        from umig_tui.store.state import save_alerts

        current = {a.key: a for a in self.engine.alerts}
        keep = [current[t.alert.key] for t in transitions if t.alert.key in current]
        forget = [t.alert.key for t in transitions if t.alert.key not in current]
        await save_alerts(store, keep, forget=forget)
        for transition in transitions:
            alert = transition.alert
            if alert.phase is AlertPhase.RESOLVED and transition.previous is AlertPhase.PENDING:
                continue  # never fired: not worth a line in the timeline
            store.submit(alert_event(alert, now))

    async def _read_remote(self) -> list[Transition]:
        """Alertmanager's alerts instead of an evaluation; what changed goes to the listeners
        (and the timeline), never to a sink: serve has notified already."""
        assert self.remote is not None
        transitions = [self._silenced(t) for t in await self.remote.refresh()]
        store = self.monitor.store
        if store is not None and store.recording:
            for transition in transitions:
                store.submit(alert_event(transition.alert, self.clock()))
        for listener in list(self._listeners):
            try:
                listener(transitions)
            except Exception:
                log.exception("alert listener failed")
        return transitions

    @property
    def notice(self) -> str | None:
        """Why the alerts shown may be incomplete (read from Prometheus: no Alertmanager to
        read, or it does not answer)."""
        return self.remote.notice if self.remote is not None else None

    async def aclose(self) -> None:
        if self.remote is not None:
            await self.remote.aclose()

    def _silenced(self, transition: Transition) -> Transition:
        silence = self.silences.silence_for(transition.alert)
        if silence is None and transition.alert.phase is AlertPhase.RESOLVED:
            # The silence of an alert that just resolved covered it a moment ago: stay quiet.
            silence = self.silences.silence_for(
                replace(transition.alert, phase=transition.previous or AlertPhase.FIRING)
            )
        if silence is None:
            return transition
        return SilencedTransition(transition.alert, transition.previous, silence)

    def silenced(self) -> dict[tuple[str, str], Silence]:
        """The current alerts that are silenced, by (rule, env), with their silence."""
        return self.silences.for_alerts(self.alerts())

    def trends(self) -> dict[str, tuple[MetricTrend, ...]]:
        """The latest trend comparisons per environment (refreshed with the slow signals)."""
        return dict(self._slow.trends)

    def firing(self) -> list[AlertState]:
        if self.remote is not None:
            return [a for a in self.remote.alerts() if a.phase is AlertPhase.FIRING]
        return self.engine.firing()

    def alerts(self) -> list[AlertState]:
        return self.remote.alerts() if self.remote is not None else self.engine.alerts


def alert_event(alert: AlertState, now: float) -> Event:
    verb = {
        AlertPhase.PENDING: "pending",
        AlertPhase.FIRING: "FIRING",
        AlertPhase.RESOLVED: "resolved",
    }[alert.phase]
    return Event(
        ts=now,
        env=alert.env,
        kind=EventKind.ALERT,
        summary=f"{alert.rule} {verb}: {alert.summary}",
        severity=str(alert.severity).lower(),
        payload=AlertChange(alert.rule, str(alert.phase), alert.value, alert.threshold),
    )
