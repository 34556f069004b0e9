"""What ``umig-tui serve`` put in Prometheus, turned back into the documents a poll yields.

One instant query returns every ``umig_*`` series; this module reads them (by the names of
``umig_tui.exposition``) into the PollResults a direct poll of each environment would have
produced, so the fleet state, drift, status and the dashboard work on them unchanged. Pure:
samples in, results out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

import msgspec

from umig_tui import exposition as x
from umig_tui.models import (
    ComponentPart,
    ComponentsStatus,
    Endpoint,
    ErrorKind,
    FetchError,
    HealthSnapshot,
    Metrics,
    MetricsSnapshot,
    PollResult,
    Tier,
    VersionInfo,
)
from umig_tui.sources.prometheus_api import Sample
from umig_tui.util.durations import format_duration

# Everything serve exposes per environment, in one selector (the alerts come from Alertmanager).
SELECTOR = '{__name__=~"umig_.+",environment!=""}'
SIGNALS = (Endpoint.HEALTH, Endpoint.VERSION, Endpoint.COMPONENTS, Endpoint.METRICS)


class Described(msgspec.Struct, frozen=True):
    """An environment as serve describes it (``umig_environment_info``)."""

    name: str
    tier: Tier | None
    tls: str = ""
    profile: str = ""


class _Env(msgspec.Struct):
    """The samples of one environment, by series name."""

    values: dict[str, list[Sample]] = msgspec.field(default_factory=lambda: defaultdict(list))

    def one(self, series: x.Series) -> Sample | None:
        found = self.values.get(series.name)
        return max(found, key=lambda s: s.ts) if found else None

    def value(self, series: x.Series) -> float | None:
        sample = self.one(series)
        return sample.value if sample is not None else None

    def label(self, series: x.Series, name: str) -> str | None:
        sample = self.one(series)
        return (sample.labels.get(name) or None) if sample is not None else None

    def by(self, series: x.Series, key: str) -> dict[str, Sample]:
        out: dict[str, Sample] = {}
        for sample in self.values.get(series.name, ()):
            label = sample.labels.get(key, "")
            if label and (label not in out or out[label].ts < sample.ts):
                out[label] = sample
        return out


def group(samples: Iterable[Sample]) -> dict[str, _Env]:
    envs: dict[str, _Env] = defaultdict(_Env)
    for sample in samples:
        env = sample.labels.get("environment")
        if env:
            envs[env].values[sample.name].append(sample)
    return dict(envs)


def describe(samples: Iterable[Sample]) -> list[Described]:
    """The environments serve exposes, in name order, with what it says of each."""
    out: list[Described] = []
    for name, env in sorted(group(samples).items()):
        info = env.one(x.ENVIRONMENT_INFO)
        labels = info.labels if info is not None else {}
        try:
            tier: Tier | None = Tier(labels.get("tier", ""))
        except ValueError:
            tier = None
        out.append(Described(name, tier, labels.get("tls", ""), labels.get("profile", "")))
    return out


def results(samples: Iterable[Sample], now: float) -> dict[str, dict[Endpoint, PollResult]]:
    """Per environment, the result of each signal as serve last saw it."""
    return {name: _results(name, env, now) for name, env in group(samples).items()}


def _ms(seconds: float | None) -> float | None:
    return seconds * 1000 if seconds is not None else None


def _error(env: _Env, signal: Endpoint) -> FetchError | None:
    """The signal's last error, when its last poll failed."""
    success = env.by(x.PROBE_SUCCESS, "signal").get(str(signal))
    if success is None or success.value != 0:
        return None
    info = env.by(x.PROBE_ERROR_INFO, "signal").get(str(signal))
    labels = info.labels if info is not None else {}
    try:
        kind = ErrorKind(labels.get("kind", ""))
    except ValueError:
        kind = ErrorKind.CONNECT_ERROR
    status = labels.get("http_status", "")
    return FetchError(
        kind,
        labels.get("reason") or "the last poll failed (serve gave no reason)",
        int(status) if status.isdigit() else None,
    )


def _results(name: str, env: _Env, now: float) -> dict[Endpoint, PollResult]:
    latencies = env.by(x.PROBE_LATENCY, "signal")
    newest = max((s.ts for found in env.values.values() for s in found), default=now)

    def result(signal: Endpoint, value: object, ts: float | None = None) -> PollResult:
        latency = latencies.get(str(signal))
        error = _error(env, signal)
        return PollResult(
            name,
            signal,
            ts if ts is not None else newest,
            _ms(latency.value) if latency is not None else None,
            value=None if error is not None else value,  # type: ignore[arg-type]
            error=error,
            circuit_open=signal is Endpoint.HEALTH and env.value(x.CIRCUIT_OPEN) == 1,
        )

    metrics = _metrics(env)
    versions = env.by(x.COMPONENT_VERSION_INFO, "component")
    umig = env.label(x.VERSION_INFO, "version") or _label(versions.get("umig"), "version")
    uptime = env.value(x.UPTIME)
    out = {
        Endpoint.HEALTH: result(
            Endpoint.HEALTH, _health(env, umig, uptime), env.value(x.LAST_POLL) or newest
        ),
        Endpoint.METRICS: result(Endpoint.METRICS, MetricsSnapshot((), metrics)),
        Endpoint.COMPONENTS: result(Endpoint.COMPONENTS, _components(env)),
    }
    if umig is not None or versions:
        info = env.one(x.ENVIRONMENT_INFO)
        profile = info.labels.get("profile", "") if info is not None else ""
        changesets = env.by(x.DATABASE_CHANGESET_INFO, "changeset")
        listed = env.value(x.DATABASE_CHANGESETS)
        out[Endpoint.VERSION] = result(
            Endpoint.VERSION,
            VersionInfo(
                version=umig,
                build=env.label(x.VERSION_INFO, "build"),
                database_schema=_label(versions.get("database"), "version"),
                api_version=_label(versions.get("api"), "version"),
                ui_version=_label(versions.get("ui"), "version"),
                backend_version=_label(versions.get("backend"), "version"),
                deployed_at=env.label(x.DEPLOYED_INFO, "deployed_at"),
                deployed_by=env.label(x.DEPLOYED_INFO, "deployed_by"),
                uptime=format_duration(uptime) if uptime is not None else None,
                uptime_seconds=uptime,
                changesets=int(listed) if listed is not None else None,
                changeset_ids=tuple(sorted(changesets)) if listed is not None else None,
                # The shipped application versions its components on their own lines.
                components_track_app=not profile.startswith("umig-admin-v2"),
            ),
        )
    else:
        out[Endpoint.VERSION] = result(Endpoint.VERSION, None)
        if out[Endpoint.VERSION].error is None:
            out.pop(Endpoint.VERSION)  # nothing known: no result rather than an empty one
    return out


def _label(sample: Sample | None, name: str) -> str | None:
    return (sample.labels.get(name) or None) if sample is not None else None


def _metrics(env: _Env) -> Metrics:
    response = env.value(x.RESPONSE_TIME_MS)
    if response is None:
        response = _ms(env.value(x.RESPONSE_TIME_SECONDS))
    return Metrics(
        response_time_ms=response,
        error_rate=env.value(x.ERROR_RATE),
        active_users=env.value(x.ACTIVE_USERS),
        db_connections=env.value(x.DB_CONNECTIONS),
        api_calls_24h=env.value(x.API_CALLS),
        uptime_seconds=env.value(x.UPTIME),
        db_round_trip_ms=_ms(env.value(x.DB_ROUND_TRIP)),
    )


# serve's status → the word that gives the same status here (the reason travels as detail).
_WORDS = {"healthy": "healthy", "degraded": "degraded", "unhealthy": "unhealthy"}


def _health(env: _Env, version: str | None, uptime: float | None) -> HealthSnapshot:
    status = next(
        (
            s.labels.get("status", "")
            for s in env.values.get(x.ENVIRONMENT_STATUS.name, ())
            if s.value == 1
        ),
        "",
    )
    reason = env.label(x.STATUS_REASON_INFO, "reason")
    word = _WORDS.get(status)
    return HealthSnapshot(
        status=word,
        version=version,
        uptime=format_duration(uptime) if uptime is not None else None,
        uptime_seconds=uptime,
        source=env.label(x.HEALTH_SOURCE_INFO, "source") or "serve",
        # A healthy status needs no detail (the checks here say "all checks pass" again).
        detail=None if word == "healthy" else (reason or f"serve reports {status or 'no status'}"),
    )


def _components(env: _Env) -> ComponentsStatus:
    words = {
        name: s.labels.get("status", "")
        for name, s in env.by(x.COMPONENT_STATUS, "component").items()
    }
    for name, sample in env.by(x.COMPONENT_HEALTH, "component").items():
        words.setdefault(name, "healthy" if sample.value == 1 else "unhealthy")
    return ComponentsStatus(
        orchestrator_status=words.pop("orchestrator", None),
        repositories_status=words.pop("repositories", None),
        parts=tuple(ComponentPart(name, word) for name, word in sorted(words.items()) if word),
        source="serve",
    )


def unknown_health(env: str, ts: float, why: FetchError) -> PollResult:
    """No state was ever read for ``env``: status unknown, the reason saying why."""
    return PollResult(
        env, Endpoint.HEALTH, ts, None, value=HealthSnapshot(status=None, detail=why.reason)
    )


def absent(env: str, ts: float, known: Mapping[str, object]) -> PollResult:
    """``env`` is configured but Prometheus holds nothing for it."""
    others = ", ".join(sorted(known)[:6]) or "none"
    why = FetchError(
        ErrorKind.NOT_FOUND,
        f"Prometheus holds no umig_* series for {env} (is serve polling it? it has: {others})",
    )
    return unknown_health(env, ts, why)
