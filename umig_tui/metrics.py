"""The metric catalog: every number the monitor tracks, named once for every layer.

A metric's ``name`` is its series in the store, the field of ``models.Metrics`` (where it is one)
and what a user alert rule names; ``prometheus`` is the seeds' exposition name (seed 000 §8.1),
used both to read an application's own ``/metrics`` and to export the fleet.
"""

from __future__ import annotations

from enum import StrEnum

import msgspec


class Metric(StrEnum):
    RESPONSE_TIME = "response_time_ms"
    ERROR_RATE = "error_rate"
    ACTIVE_USERS = "active_users"
    DB_CONNECTIONS = "db_connections"
    API_CALLS = "api_calls_24h"
    UPTIME = "uptime_seconds"
    COMPONENTS_LOADED = "components_loaded"
    DB_ROUND_TRIP = "db_round_trip_ms"
    HEALTH_UP = "health_up"
    COMPONENT_SCORE = "component_health_score"

    @property
    def spec(self) -> MetricSpec:
        return CATALOG[self]


class MetricSpec(msgspec.Struct, frozen=True):
    unit: str  # "ms", "ratio", "count", "s", "score"
    description: str
    prometheus: str | None  # the seeds' exposition name; None: not exported under a seed name
    label: str  # short, for table headers: "response", "error rate"

    def format(self, value: float) -> str:
        """How a value reads on screen: ``180ms``, ``1.2%``, ``412``."""
        if self.unit == "ratio":
            return f"{value:.1%}"
        if self.unit == "ms":
            return f"{value:.0f}ms"
        return f"{value:g}"


CATALOG: dict[Metric, MetricSpec] = {
    Metric.RESPONSE_TIME: MetricSpec(
        "ms", "Average API response time in milliseconds", "umig_api_response_time_ms", "response"
    ),
    Metric.ERROR_RATE: MetricSpec(
        "ratio", "API error rate (0..1)", "umig_api_error_rate", "error rate"
    ),
    Metric.ACTIVE_USERS: MetricSpec("count", "Active users", "umig_active_users", "users"),
    Metric.DB_CONNECTIONS: MetricSpec(
        "count", "Active database connections", "umig_database_connections", "db connections"
    ),
    Metric.API_CALLS: MetricSpec(
        "count", "API calls in the last 24 h", "umig_api_calls_24h", "calls 24h"
    ),
    Metric.UPTIME: MetricSpec("s", "UMIG uptime in seconds", "umig_uptime_seconds", "uptime"),
    Metric.COMPONENTS_LOADED: MetricSpec(
        "count", "UI components loaded", "umig_ui_components_loaded", "components"
    ),
    Metric.DB_ROUND_TRIP: MetricSpec(
        "ms", "Database round trip (a timed SELECT 1) in milliseconds", None, "db round trip"
    ),
    Metric.HEALTH_UP: MetricSpec(
        "ratio", "1 when the application says healthy, else 0", None, "up"
    ),
    Metric.COMPONENT_SCORE: MetricSpec(
        "ratio", "Share of reported components in a good state", None, "component score"
    ),
}

# Short names the rest of the code uses (``metrics.RESPONSE_TIME`` is the series name).
RESPONSE_TIME = Metric.RESPONSE_TIME
ERROR_RATE = Metric.ERROR_RATE
ACTIVE_USERS = Metric.ACTIVE_USERS
DB_CONNECTIONS = Metric.DB_CONNECTIONS
API_CALLS = Metric.API_CALLS
UPTIME = Metric.UPTIME
DB_ROUND_TRIP = Metric.DB_ROUND_TRIP
HEALTH_UP = Metric.HEALTH_UP
COMPONENT_SCORE = Metric.COMPONENT_SCORE

# The dashboard's performance panel: one sparkline each.
PERFORMANCE_SERIES: tuple[Metric, ...] = (RESPONSE_TIME, ERROR_RATE, ACTIVE_USERS, DB_CONNECTIONS)
# Every series a user alert rule may name (besides poll_ok:<signal> / poll_latency_ms:<signal>).
KNOWN_SERIES = frozenset(m.value for m in Metric if m is not Metric.COMPONENTS_LOADED)
# The application's own exposition names → the metric (reading its /metrics).
BY_PROMETHEUS_NAME: dict[str, Metric] = {
    spec.prometheus: metric for metric, spec in CATALOG.items() if spec.prometheus
}


def poll_ok(signal: str) -> str:
    """1 when a poll of ``signal`` answered, 0 when it failed."""
    return f"poll_ok:{signal}"


def poll_latency(signal: str) -> str:
    return f"poll_latency_ms:{signal}"
