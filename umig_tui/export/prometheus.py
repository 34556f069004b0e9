"""The fleet in the Prometheus exposition format, with the seeds' names (seed 000 §8, 001).

A custom collector reads the Monitor's state at scrape time; prometheus_client writes the text.
Every series, its labels and meaning are in ``umig_tui.exposition`` (the catalog a reader of
Prometheus and the rules file use too); nothing here names a series the catalog does not list.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Mapping

import msgspec
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector, CollectorRegistry

from umig_tui import exposition as x
from umig_tui.analysis.alert_rules import AlertState
from umig_tui.analysis.drift import DriftFinding
from umig_tui.events import Deployment
from umig_tui.models import (
    _GOOD_STATES,
    COMPONENT_KEYS,
    EnvStatus,
    FetchError,
    Severity,
    VersionRow,
)
from umig_tui.state.fleet import EnvView
from umig_tui.util.sanitize import clean_text

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class Probe(msgspec.Struct, frozen=True):
    """The last poll of one signal of one environment."""

    ok: bool
    latency_ms: float | None
    error: FetchError | None = None


class WatchMark(msgspec.Struct, frozen=True):
    """The latest deploy watch of an environment: its newest stage and when it got there."""

    at: float
    deployment: Deployment


class ExportState(msgspec.Struct, frozen=True):
    """Everything one scrape shows (built on the event loop, then rendered anywhere)."""

    views: tuple[EnvView, ...]
    findings: tuple[DriftFinding, ...] = ()
    alerts: tuple[AlertState, ...] = ()
    poll_errors: Mapping[tuple[str, str], int] = msgspec.field(
        default_factory=dict
    )  # (env, kind) → count
    deployments: Mapping[tuple[str, str], int] = msgspec.field(
        default_factory=dict
    )  # (env, status) → count
    last_poll: Mapping[str, float] = msgspec.field(default_factory=dict)
    # The seeds name response time umig_api_response_time_ms; promtool's linter wants base units.
    base_units: bool = False
    versions: Mapping[str, VersionRow] = msgspec.field(default_factory=dict)
    changesets: Mapping[str, tuple[str, ...]] = msgspec.field(default_factory=dict)
    probes: Mapping[tuple[str, str], Probe] = msgspec.field(default_factory=dict)  # (env, signal)
    watches: Mapping[str, WatchMark] = msgspec.field(default_factory=dict)
    health_failures: Mapping[str, int] = msgspec.field(default_factory=dict)  # consecutive, per env


def _family(series: x.Series) -> GaugeMetricFamily:
    return GaugeMetricFamily(series.family, series.help, labels=list(series.labels))


def label(text: str | None) -> str:
    """A label value read from an endpoint: one clean line, capped."""
    return clean_text(text or "", x.MAX_LABEL)


class FleetCollector(Collector):
    def __init__(self, state: Callable[[], ExportState]) -> None:
        self._state = state

    def collect(self) -> Iterator[Metric]:
        state = self._state()
        yield from _versions(state)
        yield from _health(state)
        yield from _performance(state)
        yield from _components(state)
        yield from _probes(state)
        yield from _drift(state)
        yield from _watches(state)
        yield from _alerts(state)
        yield from _counters(state)


def _versions(state: ExportState) -> Iterator[Metric]:
    env_info = _family(x.ENVIRONMENT_INFO)
    info = _family(x.VERSION_INFO)
    components = _family(x.COMPONENT_VERSION_INFO)
    deployed = _family(x.DEPLOYED_INFO)
    count = _family(x.DATABASE_CHANGESETS)
    changesets = _family(x.DATABASE_CHANGESET_INFO)
    for view in state.views:
        env_info.add_metric([view.name, str(view.tier), view.tls, label(view.profile)], 1)
        if view.version:
            info.add_metric([view.name, view.version, view.build or ""], 1)
        row = state.versions.get(view.name)
        for component in COMPONENT_KEYS if row is not None else ():
            version = row.get(component) if row is not None else None
            if version:
                components.add_metric([view.name, component, label(version)], 1)
        if view.deployed_at or view.deployed_by:
            deployed.add_metric([view.name, label(view.deployed_at), label(view.deployed_by)], 1)
        ids = state.changesets.get(view.name)
        if ids is not None:
            count.add_metric([view.name], len(ids))
            for changeset in ids[: x.MAX_CHANGESETS]:
                changesets.add_metric([view.name, label(changeset)], 1)
    yield from (env_info, info, components, deployed, count, changesets)


def _health(state: ExportState) -> Iterator[Metric]:
    health = _family(x.HEALTH_STATUS)
    status = _family(x.ENVIRONMENT_STATUS)
    source = _family(x.HEALTH_SOURCE_INFO)
    reason = _family(x.STATUS_REASON_INFO)
    uptime = _family(x.UPTIME)
    last = _family(x.LAST_POLL)
    success = _family(x.LAST_SUCCESS)
    circuit = _family(x.CIRCUIT_OPEN)
    failures = _family(x.HEALTH_FAILURES)
    for view in state.views:
        if view.status is not EnvStatus.UNKNOWN:
            health.add_metric([view.name], 1 if view.status is EnvStatus.HEALTHY else 0)
        for candidate in EnvStatus:
            status.add_metric([view.name, str(candidate)], 1 if candidate is view.status else 0)
        if view.health_source:
            source.add_metric([view.name, label(view.health_source)], 1)
        if view.reason:
            reason.add_metric([view.name, label(view.reason)], 1)
        if view.uptime_seconds is not None and view.error is None:
            uptime.add_metric([view.name], view.uptime_seconds)
        if view.name in state.last_poll:
            last.add_metric([view.name], state.last_poll[view.name])
        if view.last_good_at is not None:
            success.add_metric([view.name], view.last_good_at)
        if view.updated_at is not None:
            circuit.add_metric([view.name], 1 if view.circuit_open else 0)
            failures.add_metric([view.name], state.health_failures.get(view.name, 0))
    yield from (health, status, source, reason, uptime, last, success, failures, circuit)


def _performance(state: ExportState) -> Iterator[Metric]:
    response = x.RESPONSE_TIME_SECONDS if state.base_units else x.RESPONSE_TIME_MS
    scale = 0.001 if state.base_units else 1.0
    families = (
        (_family(response), "response_time_ms", scale),
        (_family(x.ERROR_RATE), "error_rate", 1.0),
        (_family(x.ACTIVE_USERS), "active_users", 1.0),
        (_family(x.DB_CONNECTIONS), "db_connections", 1.0),
        (_family(x.API_CALLS), "api_calls_24h", 1.0),
        (_family(x.DB_ROUND_TRIP), "db_round_trip_ms", 0.001),
    )
    for family, attribute, factor in families:
        for view in state.views:
            value = getattr(view.metrics, attribute, None)
            if value is not None and view.error is None:
                family.add_metric([view.name], value * factor)
        yield family


def _components(state: ExportState) -> Iterator[Metric]:
    health = _family(x.COMPONENT_HEALTH)
    words = _family(x.COMPONENT_STATUS)
    score = _family(x.COMPONENT_HEALTH_SCORE)
    for view in state.views:
        for component, word in view.components.items():
            # The words the status derivation counts as good ("running" included): a component
            # that keeps its environment healthy must not read 0 here.
            health.add_metric([view.name, component], 1 if word in _GOOD_STATES else 0)
            words.add_metric([view.name, label(component), label(word)], 1)
        if view.component_score is not None:
            score.add_metric([view.name], view.component_score)
    yield from (health, words, score)


def _probes(state: ExportState) -> Iterator[Metric]:
    success = _family(x.PROBE_SUCCESS)
    latency = _family(x.PROBE_LATENCY)
    errors = _family(x.PROBE_ERROR_INFO)
    for (env, signal), probe in sorted(state.probes.items()):
        success.add_metric([env, signal], 1 if probe.ok else 0)
        if probe.latency_ms is not None:
            latency.add_metric([env, signal], probe.latency_ms / 1000)
        if probe.error is not None:
            status = str(probe.error.http_status) if probe.error.http_status else ""
            errors.add_metric(
                [env, signal, str(probe.error.kind), status, label(probe.error.reason)], 1
            )
    yield from (success, latency, errors)


def _drift(state: ExportState) -> Iterator[Metric]:
    family = _family(x.VERSION_DRIFT)
    seen: Counter[tuple[str, str, str]] = Counter(
        (f.environment, f.component, str(f.severity)) for f in state.findings
    )
    for (env, component, severity), count in sorted(seen.items()):
        family.add_metric([env, component, severity], count)
    yield family


def _watches(state: ExportState) -> Iterator[Metric]:
    stages = _family(x.DEPLOY_WATCH_STAGE)
    info = _family(x.DEPLOY_WATCH_INFO)
    updated = _family(x.DEPLOY_WATCH_UPDATED)
    for env, mark in sorted(state.watches.items()):
        watch = mark.deployment
        stage = watch.stage or ""
        for candidate in x.DEPLOY_WATCH_STAGES:
            stages.add_metric([env, candidate], 1 if candidate == stage else 0)
        verdict = stage if stage in x.DEPLOY_WATCH_VERDICTS else ""
        info.add_metric(
            [
                env,
                label(watch.deployment_id),
                label(watch.from_version),
                label(watch.to_version),
                verdict,
                label(watch.reason),
            ],
            1,
        )
        updated.add_metric([env], mark.at)
    yield from (stages, info, updated)


def _alerts(state: ExportState) -> Iterator[Metric]:
    family = _family(x.ALERTS_FIRING)
    firing = Counter(str(a.severity) for a in state.alerts if str(a.phase) == "firing")
    for severity in Severity:
        family.add_metric([str(severity)], firing.get(str(severity), 0))
    yield family
    states = _family(x.ALERT_STATE)
    since = _family(x.ALERT_SINCE)
    value = _family(x.ALERT_VALUE)
    for alert in state.alerts:
        key = [alert.rule, alert.env]
        states.add_metric([*key, str(alert.severity), str(alert.phase)], 1)
        since.add_metric(key, alert.since)
        if alert.value is not None:
            value.add_metric(key, alert.value)
    yield from (states, since, value)


def _counters(state: ExportState) -> Iterator[Metric]:
    errors = CounterMetricFamily(
        x.POLL_ERRORS.family, x.POLL_ERRORS.help, labels=list(x.POLL_ERRORS.labels)
    )
    for (env, kind), count in sorted(state.poll_errors.items()):
        errors.add_metric([env, kind], count)
    yield errors
    deployments = CounterMetricFamily(
        x.DEPLOYMENTS.family, x.DEPLOYMENTS.help, labels=list(x.DEPLOYMENTS.labels)
    )
    for (env, status), count in sorted(state.deployments.items()):
        deployments.add_metric([env, status], count)
    yield deployments


def render(state: ExportState) -> bytes:
    """The exposition text for ``state`` (a fresh registry holding only the fleet)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(FleetCollector(lambda: state))
    return generate_latest(registry)
