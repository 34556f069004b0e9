"""FleetState: the latest result per environment and endpoint, and the views derived from it."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import msgspec
from msgspec.structs import replace

from umig_tui.analysis.status import derive_status
from umig_tui.config import Config, Environment

if TYPE_CHECKING:  # drift analysis (and packaging) load only when drift is asked for
    from umig_tui.analysis.drift import DriftFinding
from umig_tui.models import (
    ComponentsStatus,
    Endpoint,
    EnvStatus,
    FetchError,
    HealthSnapshot,
    Metrics,
    MetricsSnapshot,
    NotOffered,
    PollResult,
    Tier,
    VersionInfo,
    VersionRow,
)


class EnvView(msgspec.Struct, frozen=True):
    """Everything a face needs to show one environment."""

    name: str
    tier: Tier
    status: EnvStatus
    reason: str
    version: str | None = None
    build: str | None = None
    uptime: str | None = None
    uptime_seconds: float | None = None
    deployed_at: str | None = None
    deployed_by: str | None = None
    latency_ms: float | None = None
    error: FetchError | None = None
    components: Mapping[str, str] = msgspec.field(default_factory=dict)
    metrics: Metrics = msgspec.field(default_factory=Metrics)
    component_score: float | None = None
    updated_at: float | None = None
    stale: bool = False
    circuit_open: bool = False
    endpoint_errors: Mapping[str, FetchError] = msgspec.field(default_factory=dict)
    profile: str | None = None  # the endpoint profile it speaks, once known
    health_source: str | None = None  # where the status word came from
    not_available: tuple[str, ...] = ()  # signals its profile has no source for
    paths: Mapping[str, str] = msgspec.field(default_factory=dict)  # signal → the path asked
    tls: str = "plain http"  # verified | not verified (verify_tls = false) | plain http
    last_good_at: float | None = None  # the newest health answer that was read

    @property
    def shows_old_values(self) -> bool:
        """Version, uptime, components and metrics shown are from an earlier answer."""
        return self.stale or self.error is not None

    def to_json(self) -> dict[str, Any]:
        """The ``status --json`` shape (README documents it; scripts depend on it)."""
        return {
            "name": self.name,
            "tier": str(self.tier),
            "status": str(self.status),
            "reason": self.reason,
            "version": self.version,
            "build": self.build,
            "uptime": self.uptime,
            "uptime_seconds": self.uptime_seconds,
            "deployed_at": self.deployed_at,
            "deployed_by": self.deployed_by,
            "latency_ms": round(self.latency_ms, 1) if self.latency_ms is not None else None,
            "error": self.error.to_json() if self.error else None,
            "components": dict(self.components),
            "metrics": self.metrics.as_dict(),
            "stale": self.stale,
            "endpoint_errors": {k: v.to_json() for k, v in self.endpoint_errors.items()},
            "profile": self.profile,
            "health_source": self.health_source,
            "endpoints": dict(self.paths),
            "not_available": list(self.not_available),
            "tls": self.tls,
        }


def tls_state(env: Environment) -> str:
    """How the environment's TLS stands: said everywhere it is shown, never silent."""
    if not env.url.startswith("https:"):
        return "plain http"
    return "verified" if env.verify_tls else "not verified"


class FleetSummary(msgspec.Struct, frozen=True):
    worst: EnvStatus
    counts: Mapping[EnvStatus, int]
    total: int


class FleetState:
    """Holds the newest result per (env, endpoint) and the newest successful one."""

    def __init__(self, config: Config, clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.clock = clock
        self._envs: dict[str, Environment] = {e.name: e for e in config.environments}
        self._latest: dict[tuple[str, Endpoint], PollResult] = {}
        self._good: dict[tuple[str, Endpoint], PollResult] = {}
        # Derived per environment, dropped when a result for it arrives: a dashboard frame asks
        # for every view while one or two environments changed since the last.
        self._views: dict[str, EnvView] = {}
        self._versions: dict[str, VersionRow] = {}
        # The merged metrics and the status, asked for after every result and again by the view.
        self._metrics: dict[str, Metrics] = {}
        self._statuses: dict[str, tuple[EnvStatus, str]] = {}
        self._profiles: dict[str, tuple[str, Mapping[str, str]]] = {}

    @property
    def names(self) -> list[str]:
        return list(self._envs)

    def apply(self, result: PollResult) -> bool:
        """Record ``result``; False when it is older than what is held (late arrival)."""
        if result.env not in self._envs:
            return False
        key = (result.env, result.endpoint)
        current = self._latest.get(key)
        if current is not None and current.ts > result.ts:
            return False
        self._latest[key] = result
        if result.ok:
            self._good[key] = result
        self._views.pop(result.env, None)
        self._versions.pop(result.env, None)
        self._metrics.pop(result.env, None)
        self._statuses.pop(result.env, None)
        return True

    def set_profile(self, env: str, label: str, paths: Mapping[str, str]) -> None:
        """Which profile ``env`` speaks and the path asked per signal (shown, never parsed)."""
        self._profiles[env] = (label, dict(paths))
        self._views.pop(env, None)

    def latest(self, env: str, endpoint: Endpoint) -> PollResult | None:
        return self._latest.get((env, endpoint))

    def last_good(self, env: str, endpoint: Endpoint) -> PollResult | None:
        return self._good.get((env, endpoint))

    def _value(self, env: str, endpoint: Endpoint) -> Any:
        result = self._good.get((env, endpoint))
        return result.value if result is not None else None

    def metrics(self, env: str) -> Metrics:
        """Newest value per metric across the health document and the Prometheus text."""
        merged = self._metrics.get(env)
        if merged is None:
            merged = self._metrics[env] = self._merged_metrics(env)
        return merged

    def _merged_metrics(self, env: str) -> Metrics:
        sources: list[tuple[float, Metrics]] = []
        health = self._good.get((env, Endpoint.HEALTH))
        if health is not None and isinstance(health.value, HealthSnapshot):
            sources.append((health.ts, health.value.metrics))
        prom = self._good.get((env, Endpoint.METRICS))
        if prom is not None and isinstance(prom.value, MetricsSnapshot):
            sources.append((prom.ts, prom.value.metrics))
        info = self._good.get((env, Endpoint.VERSION))
        if info is not None and isinstance(info.value, VersionInfo):
            # The shipped application reports its uptime only there.
            sources.append((info.ts, Metrics(uptime_seconds=info.value.uptime_seconds)))
        sources.sort(key=lambda s: s[0], reverse=True)
        return Metrics.newest_of([metrics for _, metrics in sources])

    def versions(self, env: str) -> VersionRow:
        """Drift-matrix row from the version endpoint; for umig and database the newest report
        wins (health is polled every 30 s, the version endpoint every 5 m: a deploy shows at once)."""
        row = self._versions.get(env)
        if row is None:
            row = self._versions[env] = self._version_row(env)
        return row

    def _version_row(self, env: str) -> VersionRow:
        row = VersionRow()
        umig: list[tuple[float, str]] = []
        database: list[tuple[float, str]] = []
        info = self._good.get((env, Endpoint.VERSION))
        if info is not None and isinstance(info.value, VersionInfo):
            row = info.value.component_versions()
            if info.value.version:
                umig.append((info.ts, info.value.version))
            if info.value.database_schema:
                database.append((info.ts, info.value.database_schema))
        health = self._good.get((env, Endpoint.HEALTH))
        if health is not None and isinstance(health.value, HealthSnapshot):
            if health.value.version:
                umig.append((health.ts, health.value.version))
            for component in health.value.components:
                if component.name == "database" and component.schema_version:
                    database.append((health.ts, component.schema_version))
        if umig:
            row = replace(row, umig=max(umig, key=lambda item: item[0])[1])
        else:  # the Prometheus text's version label: only when nothing else says
            prom = self._good.get((env, Endpoint.METRICS))
            if prom is not None and isinstance(prom.value, MetricsSnapshot):
                row = replace(row, umig=prom.value.version)
        if database:
            row = replace(row, database=max(database, key=lambda item: item[0])[1])
        return row

    def version_matrix(self) -> dict[str, VersionRow]:
        return {name: self.versions(name) for name in self._envs}

    def changesets(self, env: str) -> tuple[str, ...] | None:
        """The executed database changesets ``env`` lists, when its profile lists them."""
        info = self._value(env, Endpoint.VERSION)
        return info.changeset_ids if isinstance(info, VersionInfo) else None

    def unreadable(self) -> dict[str, str]:
        """Environments whose application version is unknown, with why (drift cannot use them)."""
        out: dict[str, str] = {}
        for name in self._envs:
            if self.versions(name).umig is not None:
                continue
            errors = [
                r.error for e in (Endpoint.VERSION, Endpoint.HEALTH)
                if (r := self._latest.get((name, e))) is not None and r.error is not None
            ]  # fmt: skip
            version = self._latest.get((name, Endpoint.VERSION))
            if errors:
                out[name] = f"{errors[0].kind}: {errors[0].reason}"
            elif version is None:
                out[name] = "not polled yet"
            elif isinstance(version.value, NotOffered):
                out[name] = version.value.describe("the version")
            else:
                out[name] = "no version in its answers"
        return out

    def drift(self) -> list[DriftFinding]:
        from umig_tui.analysis.drift import EnvRef, analyze_drift

        refs = [EnvRef(e.name, e.tier) for e in self._envs.values()]
        independent = {
            name
            for name in self._envs
            if isinstance(info := self._value(name, Endpoint.VERSION), VersionInfo)
            and not info.components_track_app
        }
        changesets = {
            name: ids for name in self._envs if (ids := self.changesets(name)) is not None
        }
        return analyze_drift(
            refs,
            self.version_matrix(),
            self.config.expected,
            independent_components=independent,
            changesets=changesets,
        )

    def status(self, env: str) -> tuple[EnvStatus, str]:
        """Status and reason only (what the monitor checks after every result)."""
        known = self._statuses.get(env)
        if known is None:
            known = self._statuses[env] = self._derive_status(env)
        return known

    def _derive_status(self, env: str) -> tuple[EnvStatus, str]:
        components = self._value(env, Endpoint.COMPONENTS)
        return derive_status(
            self._latest.get((env, Endpoint.HEALTH)),
            components if isinstance(components, ComponentsStatus) else None,
            self.metrics(env),
            self.config.thresholds,
        )

    def view(self, env: str) -> EnvView:
        view = self._views.get(env)
        if view is None:
            view = self._views[env] = self._build_view(env)
        stale = self._stale(view.updated_at)
        return view if view.stale == stale else replace(view, stale=stale)

    def _stale(self, updated: float | None) -> bool:
        return updated is not None and self.clock() - updated > 2 * self.config.polling.health

    def _build_view(self, env: str) -> EnvView:
        spec = self._envs[env]
        health_result = self._latest.get((env, Endpoint.HEALTH))
        health = self._value(env, Endpoint.HEALTH)
        info = self._value(env, Endpoint.VERSION)
        components = self._value(env, Endpoint.COMPONENTS)
        metrics = self.metrics(env)
        status, reason = self.status(env)
        parts: dict[str, str] = {}
        if isinstance(health, HealthSnapshot):
            parts.update({c.name: c.status for c in health.components})
        score = None
        if isinstance(components, ComponentsStatus):
            if components.orchestrator_status:
                parts["orchestrator"] = components.orchestrator_status
            if components.repositories_status:
                parts["repositories"] = components.repositories_status
            parts.update({part.name: part.status for part in components.parts})
            score = components.health_score()
        errors = {}
        absent: list[str] = []
        for endpoint in Endpoint:  # by key, not a scan of every env's results (50 envs: 10 ms)
            latest = self._latest.get((env, endpoint))
            if latest is not None and latest.error is not None:
                errors[str(endpoint)] = latest.error
            elif latest is not None and isinstance(latest.value, NotOffered):
                absent.append(str(endpoint))
        version = self.versions(env).umig
        updated = health_result.ts if health_result is not None else None
        profile, paths = self._profiles.get(env, (None, {}))
        return EnvView(
            name=env,
            tier=spec.tier,
            status=status,
            reason=reason,
            version=version,
            build=info.build if isinstance(info, VersionInfo) else None,
            uptime=(health.uptime if isinstance(health, HealthSnapshot) else None)
            or (info.uptime if isinstance(info, VersionInfo) else None),
            uptime_seconds=metrics.uptime_seconds,
            deployed_at=(info.deployed_at if isinstance(info, VersionInfo) else None)
            or (health.deployed_at if isinstance(health, HealthSnapshot) else None),
            deployed_by=info.deployed_by if isinstance(info, VersionInfo) else None,
            latency_ms=health_result.latency_ms if health_result is not None else None,
            error=health_result.error if health_result is not None else None,
            components=parts,
            metrics=metrics,
            component_score=score,
            updated_at=updated,
            stale=self._stale(updated),
            circuit_open=health_result.circuit_open if health_result is not None else False,
            endpoint_errors=errors,
            profile=profile,
            health_source=health.source if isinstance(health, HealthSnapshot) else None,
            not_available=tuple(absent),
            paths=paths,
            tls=tls_state(spec),
            last_good_at=good.ts if (good := self._good.get((env, Endpoint.HEALTH))) else None,
        )

    def views(self) -> list[EnvView]:
        return [self.view(name) for name in self._envs]

    def summary(self, views: list[EnvView] | None = None) -> FleetSummary:
        views = self.views() if views is None else views
        counts = Counter(v.status for v in views)
        worst = max((v.status for v in views), key=lambda s: s.rank, default=EnvStatus.UNKNOWN)
        return FleetSummary(worst, dict(counts), len(views))
