"""The fleet in the Prometheus exposition format, with the seeds' names (seed 000 §8, 001).

A custom collector reads the Monitor's state at scrape time; prometheus_client writes the text.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector, CollectorRegistry

from umig_tui.analysis.alert_rules import AlertState
from umig_tui.analysis.drift import DriftFinding
from umig_tui.metrics import ACTIVE_USERS, DB_CONNECTIONS, ERROR_RATE, RESPONSE_TIME
from umig_tui.models import _GOOD_STATES, EnvStatus, Severity
from umig_tui.state.fleet import EnvView

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@dataclass(frozen=True, slots=True)
class ExportState:
    """Everything one scrape shows (built on the event loop, then rendered anywhere)."""

    views: tuple[EnvView, ...]
    findings: tuple[DriftFinding, ...] = ()
    alerts: tuple[AlertState, ...] = ()
    poll_errors: Mapping[tuple[str, str], int] = field(default_factory=dict)  # (env, kind) → count
    deployments: Mapping[tuple[str, str], int] = field(
        default_factory=dict
    )  # (env, status) → count
    last_poll: Mapping[str, float] = field(default_factory=dict)
    # The seeds name response time umig_api_response_time_ms; promtool's linter wants base units.
    base_units: bool = False


class FleetCollector(Collector):
    def __init__(self, state: Callable[[], ExportState]) -> None:
        self._state = state

    def collect(self) -> Iterator[Metric]:
        state = self._state()
        yield from _versions(state)
        yield from _health(state)
        yield from _performance(state)
        yield from _components(state)
        yield from _drift(state)
        yield from _alerts(state)
        yield from _counters(state)


def _versions(state: ExportState) -> Iterator[Metric]:
    info = GaugeMetricFamily(
        "umig_version_info", "UMIG version information", labels=["environment", "version", "build"]
    )
    for view in state.views:
        if view.version:
            info.add_metric([view.name, view.version, view.build or ""], 1)
    yield info


def _health(state: ExportState) -> Iterator[Metric]:
    health = GaugeMetricFamily(
        "umig_health_status", "UMIG health status (1=healthy, 0=unhealthy)", labels=["environment"]
    )
    status = GaugeMetricFamily(
        "umig_environment_status",
        "Environment status as seen by umig-tui (1 for the current status)",
        labels=["environment", "status"],
    )
    uptime = GaugeMetricFamily(
        "umig_uptime_seconds", "UMIG uptime in seconds", labels=["environment"]
    )
    last = GaugeMetricFamily(
        "umig_last_poll_timestamp_seconds",
        "When umig-tui last read the health endpoint",
        labels=["environment"],
    )
    for view in state.views:
        if view.status is not EnvStatus.UNKNOWN:
            health.add_metric([view.name], 1 if view.status is EnvStatus.HEALTHY else 0)
        for candidate in EnvStatus:
            status.add_metric([view.name, str(candidate)], 1 if candidate is view.status else 0)
        if view.uptime_seconds is not None and view.error is None:
            uptime.add_metric([view.name], view.uptime_seconds)
        if view.name in state.last_poll:
            last.add_metric([view.name], state.last_poll[view.name])
    yield from (health, status, uptime, last)


# The performance gauges under the seeds' names, from the catalog.
_GAUGES = (RESPONSE_TIME, ERROR_RATE, ACTIVE_USERS, DB_CONNECTIONS)


def _performance(state: ExportState) -> Iterator[Metric]:
    for metric in _GAUGES:
        spec = metric.spec
        name, help_text, scale = spec.prometheus or metric.value, spec.description, 1.0
        if state.base_units and metric is RESPONSE_TIME:
            name, help_text, scale = (
                "umig_api_response_time_seconds",
                "Average API response time in seconds",
                0.001,
            )
        family = GaugeMetricFamily(name, help_text, labels=["environment"])
        for view in state.views:
            value = getattr(view.metrics, metric.value)
            if value is not None and view.error is None:
                family.add_metric([view.name], value * scale)
        yield family


def _components(state: ExportState) -> Iterator[Metric]:
    family = GaugeMetricFamily(
        "umig_component_health",
        "Component health (1=healthy or active, 0=not)",
        labels=["environment", "component"],
    )
    for view in state.views:
        for component, word in view.components.items():
            # The words the status derivation counts as good ("running" included): a component
            # that keeps its environment healthy must not read 0 here.
            family.add_metric([view.name, component], 1 if word in _GOOD_STATES else 0)
    yield family


def _drift(state: ExportState) -> Iterator[Metric]:
    family = GaugeMetricFamily(
        "umig_version_drift",
        "Version drift findings (1 per finding, by severity)",
        labels=["environment", "component", "severity"],
    )
    seen: Counter[tuple[str, str, str]] = Counter(
        (f.environment, f.component, str(f.severity)) for f in state.findings
    )
    for (env, component, severity), count in sorted(seen.items()):
        family.add_metric([env, component, severity], count)
    yield family


def _alerts(state: ExportState) -> Iterator[Metric]:
    family = GaugeMetricFamily(
        "umig_alerts_firing", "Alerts firing by severity", labels=["severity"]
    )
    firing = Counter(str(a.severity) for a in state.alerts if str(a.phase) == "firing")
    for severity in Severity:
        family.add_metric([str(severity)], firing.get(str(severity), 0))
    yield family


def _counters(state: ExportState) -> Iterator[Metric]:
    errors = CounterMetricFamily(
        "umig_poll_errors",
        "Failed polls by environment and error kind",
        labels=["environment", "kind"],
    )
    for (env, kind), count in sorted(state.poll_errors.items()):
        errors.add_metric([env, kind], count)
    yield errors
    deployments = CounterMetricFamily(
        "umig_deployments",
        "Deployments by environment and outcome",
        labels=["environment", "status"],
    )
    for (env, status), count in sorted(state.deployments.items()):
        deployments.add_metric([env, status], count)
    yield deployments


def render(state: ExportState) -> bytes:
    """The exposition text for ``state`` (a fresh registry holding only the fleet)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(FleetCollector(lambda: state))
    return generate_latest(registry)
