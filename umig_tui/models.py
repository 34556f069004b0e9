"""Frozen records that flow between layers: what was fetched, what went wrong, what it means."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Any

import msgspec


class Endpoint(StrEnum):
    """The signals polled per environment. Which HTTP paths answer each one depends on the
    environment's endpoint profile (``sources.profiles``); past the profile nothing knows."""

    HEALTH = "health"
    VERSION = "version"
    COMPONENTS = "components"
    METRICS = "metrics"
    TEAMS = "teams"  # the smoke check


# What one-shot commands and the dashboard poll; ``teams`` is the deploy smoke check only.
MONITORED_ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint.HEALTH,
    Endpoint.VERSION,
    Endpoint.COMPONENTS,
    Endpoint.METRICS,
)


class ErrorKind(StrEnum):
    """Why a fetch produced no document."""

    CONNECT_ERROR = "connect_error"
    TIMEOUT = "timeout"
    HTTP_ERROR = "http_error"
    AUTH_REQUIRED = "auth_required"
    INVALID_RESPONSE = "invalid_response"
    TOO_LARGE = "too_large"
    NOT_FOUND = "not_found"  # HTTP 404: the host answered, it does not serve that path


class FetchError(msgspec.Struct, frozen=True):
    """A fetch that failed: a kind, a one-line human reason, and the HTTP status if any."""

    kind: ErrorKind
    reason: str
    http_status: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"kind": str(self.kind), "reason": self.reason, "http_status": self.http_status}

    def __str__(self) -> str:
        return f"{self.kind}: {self.reason}"


class EnvStatus(StrEnum):
    """Overall state of one environment; ``unknown`` only before its first health poll."""

    HEALTHY = "healthy"
    DEGRADED = "degraded"
    UNHEALTHY = "unhealthy"
    UNREACHABLE = "unreachable"
    UNKNOWN = "unknown"

    @property
    def rank(self) -> int:
        """Higher is worse; used to find the fleet's worst status."""
        return _STATUS_RANK[self]


_STATUS_RANK = {
    EnvStatus.HEALTHY: 0,
    EnvStatus.UNKNOWN: 1,
    EnvStatus.DEGRADED: 2,
    EnvStatus.UNHEALTHY: 3,
    EnvStatus.UNREACHABLE: 4,
}


class Tier(StrEnum):
    DEVELOPMENT = "development"
    UAT = "uat"
    PRODUCTION = "production"
    HOTFIX = "hotfix"


class Severity(StrEnum):
    """Drift and alert severities (seed 000 §5.1)."""

    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {Severity.LOW: 1, Severity.MEDIUM: 2, Severity.HIGH: 3, Severity.CRITICAL: 4}


class Metrics(msgspec.Struct, frozen=True):
    """The numbers the monitor tracks per environment; None means not reported."""

    response_time_ms: float | None = None
    error_rate: float | None = None
    active_users: float | None = None
    db_connections: float | None = None
    api_calls_24h: float | None = None
    uptime_seconds: float | None = None
    components_loaded: float | None = None
    db_round_trip_ms: float | None = None

    @staticmethod
    def newest_of(newest_first: Sequence[Metrics]) -> Metrics:
        """Each field from the first of ``newest_first`` that reports it (None if none does)."""
        if len(newest_first) == 1:
            return newest_first[0]
        fields = newest_first[0]._values() if newest_first else ()
        for older in newest_first[1:]:
            if None not in fields:
                break
            fields = tuple(
                mine if mine is not None else theirs
                for mine, theirs in zip(fields, older._values(), strict=True)
            )
        return Metrics(*fields)

    def _values(self) -> tuple[float | None, ...]:
        return (
            self.response_time_ms,
            self.error_rate,
            self.active_users,
            self.db_connections,
            self.api_calls_24h,
            self.uptime_seconds,
            self.components_loaded,
            self.db_round_trip_ms,
        )

    def as_dict(self) -> dict[str, float | None]:
        return {name: getattr(self, name) for name in self.__struct_fields__}


class ComponentHealth(msgspec.Struct, frozen=True):
    """One entry of ``components`` in the health document."""

    name: str
    status: str
    response_time_ms: float | None = None
    schema_version: str | None = None
    connections: float | None = None
    error: str | None = None
    detail: str | None = None  # a profile's one-line note ("12 tasks in last hour")


class HealthSnapshot(msgspec.Struct, frozen=True):
    """The environment's own word on its health: ``admin/health`` (seed 000 §2.1), or what a
    profile derives from live signals (``databaseVersionsHealth`` in the shipped application)."""

    status: str | None
    version: str | None = None
    uptime: str | None = None
    uptime_seconds: float | None = None
    deployed_at: str | None = None
    components: tuple[ComponentHealth, ...] = ()
    system: tuple[tuple[str, str], ...] = ()
    metrics: Metrics = msgspec.field(default_factory=Metrics)
    source: str = "admin/health"  # where the status word came from, shown beside it
    # Why, in the environment's own words, when the profile has more to say than the word
    # ("databaseVersionsHealth: UNHEALTHY (HTTP 503): Database connectivity failed").
    detail: str | None = None


COMPONENT_KEYS: tuple[str, ...] = ("umig", "database", "api", "ui", "backend")


class VersionRow(msgspec.Struct, frozen=True):
    """One environment's row of the drift matrix: a version per component (None: unknown)."""

    umig: str | None = None
    database: str | None = None
    api: str | None = None
    ui: str | None = None
    backend: str | None = None

    def get(self, component: str) -> str | None:
        """The version in the column ``component`` (one of ``COMPONENT_KEYS``)."""
        return getattr(self, component) if component in COMPONENT_KEYS else None

    def as_dict(self) -> dict[str, str | None]:
        return {key: getattr(self, key) for key in COMPONENT_KEYS}


class VersionInfo(msgspec.Struct, frozen=True):
    """``admin/version`` (seed 000 §2.2)."""

    version: str | None = None
    build: str | None = None
    codename: str | None = None
    environment: str | None = None
    database_schema: str | None = None
    database_semantic: str | None = None
    changesets: int | None = None
    api_version: str | None = None
    api_endpoints: int | None = None
    api_compatibility: str | None = None
    ui_version: str | None = None
    backend_version: str | None = None
    groovy: str | None = None
    java: str | None = None
    deployed_at: str | None = None
    deployed_by: str | None = None
    artifact: str | None = None
    build_number: str | None = None
    build_tag: str | None = None
    git_commit: str | None = None
    uptime: str | None = None
    uptime_seconds: float | None = None
    # The executed database changesets by id ("031_dto_performance_optimization"), when the
    # environment lists them: two environments on different sets are schema drift.
    changeset_ids: tuple[str, ...] | None = None
    # The seeds' UI and backend carry the application's version (a difference is a partial
    # deploy); the shipped application versions its components on their own lines.
    components_track_app: bool = True

    def component_versions(self) -> VersionRow:
        """Versions by drift-matrix column (umig, database, api, ui, backend)."""
        return VersionRow(
            self.version,
            self.database_schema,
            self.api_version,
            self.ui_version,
            self.backend_version,
        )


class NamedStatus(msgspec.Struct, frozen=True):
    name: str
    status: str


class ComponentPart(msgspec.Struct, frozen=True):
    """A part a profile reports with a state and a one-line detail (the shipped application's
    ``dashboard/health`` components: Database with its round trip, background activity)."""

    name: str
    status: str
    detail: str = ""


class ComponentsStatus(msgspec.Struct, frozen=True):
    """``admin/components`` (seed 000 §2.3), or the parts another profile reports."""

    orchestrator_status: str | None = None
    orchestrator_components: int | None = None
    entity_managers: tuple[NamedStatus, ...] = ()
    services: tuple[NamedStatus, ...] = ()
    repositories_status: str | None = None
    repositories_pattern: str | None = None
    active_connections: float | None = None
    parts: tuple[ComponentPart, ...] = ()
    source: str = "admin/components"

    def not_ok(self) -> list[str]:
        """Names of the parts that report a bad state (unknown states are not counted)."""
        bad: list[str] = []
        if is_bad_state(self.orchestrator_status):
            bad.append(f"orchestrator {self.orchestrator_status}")
        for item in self._named():
            if is_bad_state(item.status):
                bad.append(f"{item.name} {item.status}")
        if is_bad_state(self.repositories_status):
            bad.append(f"repositories {self.repositories_status}")
        return bad

    def _named(self) -> list[NamedStatus | ComponentPart]:
        return [*self.entity_managers, *self.services, *self.parts]

    def health_score(self) -> float | None:
        """Share of reported parts in a good state, 0..1 (seed 000 §3.2 component_health_score)."""
        states = [self.orchestrator_status, self.repositories_status]
        states += [item.status for item in self._named()]
        known = [s for s in states if s is not None and s not in _NEUTRAL_STATES]
        if not known:
            return None
        return sum(1 for s in known if s in _GOOD_STATES) / len(known)


_GOOD_STATES = frozenset(
    {"healthy", "active", "ok", "up", "running", "available", "good", "excellent", "pass"}
)
# States that say nothing about health: a part that is idle is not a failing part.
_NEUTRAL_STATES = frozenset({"unknown", "idle", "disabled", "standby", "informational"})


def is_bad_state(status: str | None) -> bool:
    """True for a reported state that is neither good nor neutral."""
    return status is not None and status not in _GOOD_STATES and status not in _NEUTRAL_STATES


class MetricSample(msgspec.Struct, frozen=True):
    name: str
    labels: tuple[tuple[str, str], ...]
    value: float


class MetricsSnapshot(msgspec.Struct, frozen=True):
    """``admin/metrics/prometheus``: every sample, plus the ones the monitor understands."""

    samples: tuple[MetricSample, ...]
    metrics: Metrics
    version: str | None = None
    build: str | None = None


class TeamsCheck(msgspec.Struct, frozen=True):
    """``/teams`` smoke check: the status code only."""

    http_status: int


class NotOffered(msgspec.Struct, frozen=True):
    """The environment's profile has no source for this signal: "not available from this
    environment", never zero and never "unknown status"."""

    profile: str

    def describe(self, signal: str) -> str:
        return f"{signal} is not available from this environment (profile {self.profile})"


Document = (
    HealthSnapshot | VersionInfo | ComponentsStatus | MetricsSnapshot | TeamsCheck | NotOffered
)


class PollResult(msgspec.Struct, frozen=True):
    """The outcome of one fetch of one endpoint of one environment."""

    env: str
    endpoint: Endpoint
    ts: float
    latency_ms: float | None
    value: Document | None = None
    error: FetchError | None = None
    raw: str | None = None
    circuit_open: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None
