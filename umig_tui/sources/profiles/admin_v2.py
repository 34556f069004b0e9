"""``umig-admin-v2``: the UMIG application as shipped (``src/groovy/umig/api/v2``).

Most of what ``adminVersion`` and ``adminComponents`` return is a constant in the code, so
health is read only from the live signals (``../shared/real-umig-api.md`` §5):
- ``databaseVersionsHealth``: the Liquibase changelog, HTTP 200 / 206 (degraded) / 503;
- ``dashboard/health``: a timed ``SELECT 1`` — it answers 200 even when the database is down,
  with ``status: "error"`` in the body;
- ``testEndpoint``: liveness only, asked when both of the above failed.
Versions come from ``adminVersion`` (``UMIG-v1.31.0``, shown raw), the schema level from the
executed changesets ``databaseVersions`` lists. There is no Prometheus endpoint: the metrics
signal times the user-facing ``teams`` and ``users`` endpoints, as seed 001's
collect_api_performance_metrics does. Nothing is invented: a hard-coded value is not shown as
if it were measured, and what the application does not say stays unknown.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from umig_tui.models import (
    ComponentHealth,
    Document,
    Endpoint,
    HealthSnapshot,
    Metrics,
    MetricSample,
    MetricsSnapshot,
    VersionInfo,
)
from umig_tui.sources.errors import ParseError
from umig_tui.sources.parse import decode_json_object, integer, number, section, state, text
from umig_tui.sources.profiles.base import Answer, Profile, Request, smoke_check
from umig_tui.util.durations import parse_uptime
from umig_tui.util.sanitize import clean_text

DB_HEALTH = "databaseVersionsHealth"
DASHBOARD_HEALTH = "dashboard/health"
LIVENESS = "testEndpoint"
VERSION = "adminVersion"
CHANGESETS = "databaseVersions"
PROBES = ("teams", "users")

_REQUESTS: dict[Endpoint, tuple[Request, ...]] = {
    Endpoint.HEALTH: (
        # 500 carries {"overall": {"status": "UNKNOWN", "error": …}}: a report, not a mystery.
        Request(DB_HEALTH, accept=frozenset({200, 206, 503, 500}), optional=True),
        Request(DASHBOARD_HEALTH, optional=True),
        Request(LIVENESS, optional=True, fallback=True),
    ),
    Endpoint.VERSION: (Request(VERSION), Request(CHANGESETS, optional=True)),
    Endpoint.METRICS: tuple(Request(path, optional=True, body=False) for path in PROBES),
    Endpoint.TEAMS: (Request("teams", body=False),),
}

# The shipped code's defaults when the operators set no JVM property (AdminVersionApi.groovy
# :1102-1138): they say nothing about this environment.
_UNSET = {
    "buildNumber": "1.0.0-SNAPSHOT",
    "buildTag": "v1.31.0-rc1",
    "gitCommit": "47a78b358a1b2c3d4e5f6789012345678901234",
}
_DB_WORDS = {"healthy": "healthy", "degraded": "degraded", "unhealthy": "unhealthy"}
_HTTP_WORDS = {206: "degraded", 503: "unhealthy", 500: "unhealthy"}
_DASHBOARD_DB = {"good": "healthy", "warning": "degraded", "critical": "unhealthy"}
_RANK = {"healthy": 0, "degraded": 1, "unhealthy": 2}
_CHANGESET = re.compile(r"(\d{3})_[^/]*$")


class AdminV2Profile(Profile):
    name = "umig-admin-v2"

    def requests(self, signal: Endpoint) -> tuple[Request, ...]:
        return _REQUESTS.get(signal, ())

    def parse(self, signal: Endpoint, answers: Sequence[Answer]) -> Document:
        by_path = {answer.path: answer for answer in answers}
        if signal is Endpoint.HEALTH:
            return parse_health(by_path)
        if signal is Endpoint.VERSION:
            return parse_version(by_path)
        if signal is Endpoint.METRICS:
            return parse_probes(answers)
        if signal is Endpoint.TEAMS:
            return smoke_check(answers)
        raise ParseError(f"{signal} is not offered by {self.name}")


ADMIN_V2 = AdminV2Profile()


# -- health -----------------------------------------------------------------------------------


def _worse(a: str | None, b: str | None) -> str | None:
    if a is None:
        return b
    if b is None:
        return a
    return a if _RANK[a] >= _RANK[b] else b


def _body(answer: Answer | None) -> tuple[dict[str, Any] | None, str | None]:
    """The answer's JSON object, or why there is none."""
    if answer is None:
        return None, None
    if answer.error is not None:
        return None, f"{answer.error.kind}: {answer.error.reason}"
    try:
        return decode_json_object(answer.body), None
    except ParseError as exc:
        return None, f"HTTP {answer.status}, {exc.reason}"


def parse_health(answers: dict[str, Answer]) -> HealthSnapshot:
    word: str | None = None
    notes: list[str] = []
    components: list[ComponentHealth] = []
    sources: list[str] = []
    db_health, why = _body(answers.get(DB_HEALTH))
    if db_health is not None:
        answer = answers[DB_HEALTH]
        overall = section(db_health.get("overall"))
        reported = state(overall.get("status"))
        word = _worse(_DB_WORDS.get(reported or ""), _HTTP_WORDS.get(answer.status or 200))
        if word is None:  # UNKNOWN with HTTP 200: the statistics came back empty
            word = "degraded"
        error = text(overall.get("error"), 160)
        notes.append(
            f"{DB_HEALTH}: {(reported or 'no status').upper()} (HTTP {answer.status})"
            + (f": {error}" if error else "")
        )
        database = section(section(db_health.get("components")).get("database"))
        if database:
            details = section(database.get("details"))
            executed, total = (
                integer(details.get("executedMigrations")),
                integer(details.get("totalMigrations")),
            )
            components.append(
                ComponentHealth(
                    name="database",
                    status=state(database.get("status")) or "unknown",
                    error=text(database.get("error")),
                    detail=f"{executed}/{total} changesets executed"
                    if executed is not None and total is not None
                    else None,
                )
            )
        sources.append(DB_HEALTH)
    elif why is not None:
        notes.append(f"{DB_HEALTH}: {why}")

    round_trip: float | None = None
    dashboard, why = _body(answers.get(DASHBOARD_HEALTH))
    if dashboard is not None:
        sources.append(DASHBOARD_HEALTH)
        if state(dashboard.get("status")) == "error":
            # The database was not reachable: the endpoint still answers 200.
            error = text(dashboard.get("error"), 120) or text(dashboard.get("detail"), 120)
            word = "unhealthy"
            notes.append(f"{DASHBOARD_HEALTH}: error" + (f": {error}" if error else ""))
            _set_database(components, "unhealthy", None, error or "health check failed")
        else:
            for item in dashboard.get("components") or ():
                part = section(item)
                name = (text(part.get("name"), 40) or "").lower()
                status = state(part.get("status"))
                if name == "database":
                    round_trip = number(part.get("responseTime"))
                    mapped = _DASHBOARD_DB.get(status or "")
                    word = _worse(word, mapped)
                    if mapped not in (None, "healthy"):
                        notes.append(
                            f"{DASHBOARD_HEALTH}: database {status}"
                            + (f" ({round_trip:.0f} ms round trip)" if round_trip else "")
                        )
                    _set_database(components, mapped or status or "unknown", round_trip, None)
                elif name == "background tasks":
                    # Activity, not health: no steps updated at night is no failure.
                    components.append(
                        ComponentHealth(
                            "background tasks",
                            "informational",
                            detail=text(part.get("detail"), 80),
                        )
                    )
                # "API" is hard-coded to good: it says nothing.
    elif why is not None:
        notes.append(f"{DASHBOARD_HEALTH}: {why}")

    if not sources:
        liveness = answers.get(LIVENESS)
        if liveness is not None and liveness.ok:
            notes.insert(0, f"alive ({LIVENESS} answers) but no live health signal")
            return HealthSnapshot(
                status=None,
                components=tuple(components),
                source=LIVENESS,
                detail="; ".join(notes),
            )
        raise ParseError("; ".join(notes) or "no health signal answered")
    if word == "healthy" and not any("error" in n for n in notes):
        detail = None
    else:
        detail = "; ".join(notes)
    return HealthSnapshot(
        status=word,
        components=tuple(components),
        metrics=Metrics(db_round_trip_ms=round_trip),
        source=" + ".join(sources),
        detail=detail,
    )


def _set_database(
    components: list[ComponentHealth], status: str, round_trip: float | None, error: str | None
) -> None:
    """Fold what ``dashboard/health`` says of the database into the database component."""
    for index, component in enumerate(components):
        if component.name == "database":
            worst = status if _RANK.get(status, -1) > _RANK.get(component.status, -1) else None
            components[index] = ComponentHealth(
                "database",
                worst or component.status,
                response_time_ms=round_trip,
                error=component.error or error,
                detail=component.detail,
            )
            return
    components.insert(
        0, ComponentHealth("database", status, response_time_ms=round_trip, error=error)
    )


# -- version ----------------------------------------------------------------------------------


def _set(value: Any, key: str, max_len: int = 80) -> str | None:
    """A build property, or None when it is the shipped default (not set by the operators)."""
    found = text(value, max_len, numbers=True)
    return None if found is None or found == _UNSET.get(key) else found


def _when(value: Any) -> float | None:
    found = text(value, 40)
    if not found:
        return None
    try:
        return datetime.fromisoformat(found.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def parse_version(answers: dict[str, Answer]) -> VersionInfo:
    doc, why = _body(answers.get(VERSION))
    if doc is None:
        raise ParseError(why or f"{VERSION} did not answer")
    system = doc.get("system")
    if not isinstance(system, dict):
        raise ParseError(f"{VERSION} document has no 'system' object")
    version = text(system.get("version"), 80)
    if version is None:
        raise ParseError(f"{VERSION} document: system.version is not a version string")
    parts = section(system.get("components"))
    deployment = section(doc.get("deployment"))
    generated = _when(section(doc.get("metadata")).get("generatedAt"))
    deployed = _when(deployment.get("deployedAt"))
    # Without -Ddeployment.timestamp the application answers "now": no deployment time at all.
    deployed_at = (
        text(deployment.get("deployedAt"), 40)
        if deployed is not None and (generated is None or abs(generated - deployed) > 120)
        else None
    )
    uptime = text(system.get("uptime"), 40, numbers=True)
    changesets = _changesets(answers.get(CHANGESETS))
    return VersionInfo(
        version=version,
        build=_set(system.get("buildNumber"), "buildNumber"),
        environment=text(deployment.get("environment"), 40),
        database_schema=changesets[-1][:3] if changesets else None,
        changesets=len(changesets) if changesets is not None else None,
        api_version=text(section(parts.get("api")).get("version"), 40),
        ui_version=text(section(parts.get("ui")).get("version"), 40),
        backend_version=text(section(parts.get("backend")).get("version"), 40),
        deployed_at=deployed_at,
        build_number=_set(system.get("buildNumber"), "buildNumber"),
        build_tag=_set(deployment.get("buildTag"), "buildTag"),
        git_commit=_set(deployment.get("gitCommit"), "gitCommit"),
        uptime=uptime,
        uptime_seconds=parse_uptime(uptime) if uptime else None,
        changeset_ids=tuple(changesets) if changesets is not None else None,
        components_track_app=False,
    )


def _changesets(answer: Answer | None) -> list[str] | None:
    """The executed changesets' ids ("031_dto_performance_optimization"), sorted; None when the
    list is not available."""
    doc, _why = _body(answer)
    if doc is None or not isinstance(doc.get("migrations"), list):
        return None
    ids: set[str] = set()
    for row in doc["migrations"]:
        item = section(row)
        kind = state(item.get("executionType"))
        if kind is not None and kind not in ("executed", "reran", "mark_ran"):
            continue
        filename = text(item.get("filename"), 200) or text(item.get("id"), 200)
        if not filename:
            continue
        match = _CHANGESET.search(filename.removesuffix(".sql"))
        if match:
            ids.add(clean_text(match.group(0), 120))
    return sorted(ids)


# -- synthetic probes ------------------------------------------------------------------------

PROBE_SERIES = "umig_probe_response_time_ms"
PROBE_UP = "umig_probe_up"


def parse_probes(answers: Sequence[Answer]) -> MetricsSnapshot:
    """Timed GETs of the user-facing endpoints: the response time users see."""
    samples: list[MetricSample] = []
    times: list[float] = []
    for answer in answers:
        labels = (("endpoint", answer.path),)
        samples.append(MetricSample(PROBE_UP, labels, 1.0 if answer.ok else 0.0))
        if answer.ok and answer.latency_ms is not None:
            samples.append(MetricSample(PROBE_SERIES, labels, round(answer.latency_ms, 1)))
            times.append(answer.latency_ms)
    if not times:
        raise ParseError("no probe answered")
    return MetricsSnapshot(
        samples=tuple(samples), metrics=Metrics(response_time_ms=sum(times) / len(times))
    )
