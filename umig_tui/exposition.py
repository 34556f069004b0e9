"""The series ``umig-tui serve`` exposes on ``/metrics``: one catalog, read by every side.

``export/prometheus.py`` writes exactly these series; a reader of Prometheus (``--source
prometheus=URL``) queries them by these names and labels; ``export/rules.py`` writes the alert
rules over them; the README's table is this list. Names are what a PromQL query uses (counters
with their ``_total``). The seeds' names (seed 000 §8.1) are kept as they were.

Conventions every series follows:

- ``environment`` is the configured environment's name on every per-environment series.
- A value that is not known (never read, or the environment's last answer failed) is an absent
  sample, never 0: ``absent()`` and staleness say "unknown", 0 says "measured zero".
- ``*_info`` series are 1 with the facts in their labels; a label read from an endpoint is
  cleaned (no control characters) and capped at ``MAX_LABEL`` characters.
- One-hot families (``umig_environment_status``, ``umig_deploy_watch_stage``) carry one sample per
  possible value, 1 for the current one, so a query never has to guess an absent value.
- Times are Unix seconds (``*_timestamp_seconds``), durations seconds, ratios 0..1.
"""

from __future__ import annotations

from enum import StrEnum

import msgspec

MAX_LABEL = 200  # characters of a label value read from an endpoint (a reason, a word)
MAX_CHANGESETS = 1000  # umig_database_changeset_info samples per environment, at most


class Kind(StrEnum):
    GAUGE = "gauge"
    COUNTER = "counter"
    INFO = "info"  # a gauge that is always 1, its facts in labels (written as a gauge)


class Series(msgspec.Struct, frozen=True):
    name: str  # as queried (a counter with its _total)
    kind: Kind
    labels: tuple[str, ...]
    help: str

    @property
    def family(self) -> str:
        """The name prometheus_client is given (it adds _total to a counter itself)."""
        return self.name.removesuffix("_total") if self.kind is Kind.COUNTER else self.name


def _s(name: str, kind: Kind, labels: str, help_text: str) -> Series:
    return Series(name, kind, tuple(labels.split()), help_text)


G, C, I = Kind.GAUGE, Kind.COUNTER, Kind.INFO  # noqa: E741 (short, for the table below)

# -- per environment: what it runs and how it stands ----------------------------------------------
ENVIRONMENT_INFO = _s(
    "umig_environment_info", I, "environment tier tls profile",
    "Configured environment: tier, TLS state, the endpoint profile it speaks (empty until known)",
)  # fmt: skip
VERSION_INFO = _s("umig_version_info", I, "environment version build", "UMIG version information")
COMPONENT_VERSION_INFO = _s(
    "umig_component_version_info", I, "environment component version",
    "Version per component of the drift matrix (umig, database, api, ui, backend)",
)  # fmt: skip
DEPLOYED_INFO = _s(
    "umig_deployed_info", I, "environment deployed_at deployed_by",
    "When and by whom the running version was deployed, as the application says",
)  # fmt: skip
DATABASE_CHANGESETS = _s(
    "umig_database_changesets", G, "environment",
    "Executed database changesets (the schema level), where the profile lists them",
)  # fmt: skip
DATABASE_CHANGESET_INFO = _s(
    "umig_database_changeset_info", I, "environment changeset",
    "One sample per executed database changeset id (schema drift compares these)",
)  # fmt: skip
HEALTH_STATUS = _s(
    "umig_health_status", G, "environment",
    "UMIG health status (1=healthy, 0=unhealthy)",
)  # fmt: skip
ENVIRONMENT_STATUS = _s(
    "umig_environment_status", G, "environment status",
    "Environment status as seen by umig-tui (1 for the current status)",
)  # fmt: skip
HEALTH_SOURCE_INFO = _s(
    "umig_health_source_info", I, "environment source",
    "Where the status word came from (e.g. admin/health)",
)  # fmt: skip
STATUS_REASON_INFO = _s(
    "umig_status_reason_info", I, "environment reason", "Why the environment has its status"
)
UPTIME = _s("umig_uptime_seconds", G, "environment", "UMIG uptime in seconds")
LAST_POLL = _s(
    "umig_last_poll_timestamp_seconds", G, "environment",
    "When umig-tui last read the health endpoint",
)  # fmt: skip
LAST_SUCCESS = _s(
    "umig_last_success_timestamp_seconds", G, "environment",
    "When the health endpoint last answered with a readable document",
)  # fmt: skip
HEALTH_FAILURES = _s(
    "umig_health_check_failures", G, "environment",
    "Consecutive failed health polls (0 once one answers)",
)  # fmt: skip
CIRCUIT_OPEN = _s(
    "umig_circuit_open", G, "environment",
    "1 while the circuit breaker holds polls back after repeated failures",
)  # fmt: skip

# -- components ----------------------------------------------------------------------------------
COMPONENT_HEALTH = _s(
    "umig_component_health", G, "environment component",
    "Component health (1=healthy or active, 0=not)",
)  # fmt: skip
COMPONENT_STATUS = _s(
    "umig_component_status", I, "environment component status",
    "Component status word as the application reports it",
)  # fmt: skip
COMPONENT_HEALTH_SCORE = _s(
    "umig_component_health_score", G, "environment",
    "Share of reported components in a good state (0..1)",
)  # fmt: skip

# -- performance (the seeds' names; the first has a base-units twin) ------------------------------
RESPONSE_TIME_MS = _s(
    "umig_api_response_time_ms", G, "environment", "Average API response time in milliseconds"
)
RESPONSE_TIME_SECONDS = _s(
    "umig_api_response_time_seconds", G, "environment",
    "Average API response time in seconds (instead of the _ms one with --base-units)",
)  # fmt: skip
ERROR_RATE = _s("umig_api_error_rate", G, "environment", "API error rate (0..1)")
ACTIVE_USERS = _s("umig_active_users", G, "environment", "Active users")
DB_CONNECTIONS = _s("umig_database_connections", G, "environment", "Active database connections")
API_CALLS = _s("umig_api_calls_24h", G, "environment", "API calls in the last 24 h")
DB_ROUND_TRIP = _s(
    "umig_database_round_trip_seconds", G, "environment",
    "Database round trip (a timed SELECT 1) in seconds",
)  # fmt: skip

# -- every signal polled (health, version, components, metrics) ----------------------------------
PROBE_SUCCESS = _s(
    "umig_probe_success", G, "environment signal", "1 when the last poll of the signal answered"
)
PROBE_LATENCY = _s(
    "umig_probe_latency_seconds", G, "environment signal",
    "How long the last poll of the signal took",
)  # fmt: skip
PROBE_ERROR_INFO = _s(
    "umig_probe_error_info", I, "environment signal kind http_status reason",
    "The last poll's error per signal (kind: connect_error, timeout, http_error, not_found, "
    "auth_required, invalid_response, too_large; http_status empty when none)",
)  # fmt: skip
POLL_ERRORS = _s(
    "umig_poll_errors_total", C, "environment kind", "Failed polls by environment and error kind"
)

# -- drift, deployments, deploy watches ----------------------------------------------------------
VERSION_DRIFT = _s(
    "umig_version_drift", G, "environment component severity",
    "Version drift findings (1 per finding, by severity)",
)  # fmt: skip
DEPLOYMENTS = _s(
    "umig_deployments_total", C, "environment status",
    "Deployments by environment and outcome (detected, succeeded, failed, timed_out, rolled_back)",
)  # fmt: skip
DEPLOY_WATCH_STAGE = _s(
    "umig_deploy_watch_stage", G, "environment stage",
    "The latest deploy watch's stage (1 for the current one)",
)  # fmt: skip
DEPLOY_WATCH_INFO = _s(
    "umig_deploy_watch_info", I, "environment watch_id from_version to_version verdict reason",
    "The latest deploy watch: versions, verdict (empty while it runs) and why it failed",
)  # fmt: skip
DEPLOY_WATCH_UPDATED = _s(
    "umig_deploy_watch_updated_timestamp_seconds", G, "environment",
    "When the latest deploy watch last changed stage",
)  # fmt: skip

# -- alerts (umig-tui's own evaluation, as serve runs it) ----------------------------------------
ALERTS_FIRING = _s("umig_alerts_firing", G, "severity", "Alerts firing by severity")
ALERT_STATE = _s(
    "umig_alert_state", G, "alertname environment severity state",
    "1 per alert umig-tui holds (state: pending, firing, resolved)",
)  # fmt: skip
ALERT_SINCE = _s(
    "umig_alert_since_timestamp_seconds", G, "alertname environment",
    "When the alert's condition started holding",
)  # fmt: skip
ALERT_VALUE = _s(
    "umig_alert_value", G, "alertname environment", "The value the alert's rule last saw"
)

CATALOG: tuple[Series, ...] = tuple(v for v in list(globals().values()) if isinstance(v, Series))
BY_NAME: dict[str, Series] = {s.name: s for s in CATALOG}

# Label values of the one-hot families (the reader maps them back).
DEPLOY_WATCH_STAGES = (
    "waiting", "confirmed", "validating", "monitoring", "soaking",
    "succeeded", "failed", "timed_out", "interrupted", "inconclusive",
)  # fmt: skip
DEPLOY_WATCH_VERDICTS = DEPLOY_WATCH_STAGES[5:]  # the stages a watch ends in
SIGNALS = ("health", "version", "components", "metrics")
