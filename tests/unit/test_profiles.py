"""Endpoint profiles read into the same documents: the seeds' endpoints at both spellings and the
shipped application's (bodies as ../shared/real-umig-api.md gives them, not the simulator's)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from umig_tui.analysis.drift import DriftKind, EnvRef, schema_findings
from umig_tui.analysis.status import derive_status
from umig_tui.analysis.versions import compare_versions, parse_version
from umig_tui.config import Thresholds
from umig_tui.models import (
    Endpoint,
    EnvStatus,
    ErrorKind,
    FetchError,
    HealthSnapshot,
    Metrics,
    MetricsSnapshot,
    NotOffered,
    PollResult,
    Severity,
    Tier,
    VersionInfo,
)
from umig_tui.sources.errors import ParseError
from umig_tui.sources.profiles.admin_v2 import ADMIN_V2
from umig_tui.sources.profiles.base import Answer, decode_answers, encode_answers
from umig_tui.sources.profiles.detect import CANDIDATES, builtin, candidates_for, classify
from umig_tui.sources.profiles.us088 import US088_FLAT, US088_SLASH

GENERATED = "2025-10-08T09:33:14Z"


def answer(path: str, doc: Any, status: int = 200, latency: float = 10.0) -> Answer:
    return Answer(path, status, json.dumps(doc), latency)


def failed(path: str, kind: ErrorKind = ErrorKind.NOT_FOUND, status: int = 404) -> Answer:
    return Answer(path, None, error=FetchError(kind, f"HTTP {status}", status))


def db_health(word: str = "HEALTHY", *, executed: int = 54, error: str | None = None) -> dict:
    overall: dict[str, Any] = {"status": word, "timestamp": GENERATED, "version": "1.0.0"}
    if error:
        overall["error"] = error
    return {
        "overall": overall,
        "components": {
            "database": {
                "status": word,
                "details": {"totalMigrations": 54, "executedMigrations": executed},
            },
            "api": {"status": "HEALTHY"},
            "repository": {"status": "HEALTHY"},
        },
        "checks": [],
        "summary": {"healthy": 3},
    }


def dashboard(db_status: str = "good", round_trip: int = 3, tasks: str = "good") -> dict:
    return {
        "value": "Excellent",
        "score": 95,
        "status": "excellent",
        "components": [
            {"name": "Database", "status": db_status, "score": 100, "responseTime": round_trip},
            {"name": "API", "status": "good", "score": 95},
            {"name": "Background Tasks", "status": tasks, "detail": "0 tasks in last hour"},
        ],
    }


def admin_version(
    version: str = "UMIG-v1.31.0", *, deployed_at: str = GENERATED, **deployment: str
) -> dict:
    return {
        "metadata": {"endpoint": "/admin/version", "generatedAt": GENERATED},
        "system": {
            "version": version,
            "components": {
                "api": {"version": "v2.4.0"},
                "ui": {"version": "v1.0.0"},
                "backend": {"version": "v1.0.0"},
                "database": {"version": "v1.31.0", "changesets": 33},
            },
            "uptime": "122h",
            "buildNumber": deployment.pop("buildNumber", "1.0.0-SNAPSHOT"),
        },
        "database": {"changesetCount": 33},
        "deployment": {
            "environment": deployment.pop("environment", "development"),
            "deployedAt": deployed_at,
            "deployedBy": "automation",
            "buildTag": deployment.pop("buildTag", "v1.31.0-rc1"),
            "gitCommit": deployment.pop("gitCommit", "47a78b358a1b2c3d4e5f6789012345678901234"),
        },
        "health": {"status": "healthy", "score": 100},
    }


def migrations(upto: int, *, skip: tuple[int, ...] = ()) -> dict:
    rows = [
        {"filename": f"changelogs/{n:03d}_change_{n}.sql", "executionType": "EXECUTED"}
        for n in range(1, upto + 1)
        if n not in skip
    ]
    rows.append({"filename": "changelogs/099_failed.sql", "executionType": "FAILED"})
    return {"migrations": rows, "count": len(rows)}


def health(*answers: Answer) -> HealthSnapshot:
    value = ADMIN_V2.parse(Endpoint.HEALTH, answers)
    assert isinstance(value, HealthSnapshot)
    return value


def status_of(value: object) -> tuple[EnvStatus, str]:
    result = PollResult("uat", Endpoint.HEALTH, 0.0, 5.0, value=value)  # type: ignore[arg-type]
    return derive_status(result, None, Metrics(), Thresholds())


class TestShippedHealth:
    @pytest.mark.parametrize(
        ("word", "http", "expected"),
        [
            ("HEALTHY", 200, EnvStatus.HEALTHY),
            ("DEGRADED", 206, EnvStatus.DEGRADED),
            ("UNHEALTHY", 503, EnvStatus.UNHEALTHY),
            ("UNKNOWN", 500, EnvStatus.UNHEALTHY),  # health check system failure
            ("HEALTHY", 503, EnvStatus.UNHEALTHY),  # the worse of the word and the status code
        ],
    )
    def test_database_health_word_and_http_status(
        self, word: str, http: int, expected: EnvStatus
    ) -> None:
        value = health(
            answer("databaseVersionsHealth", db_health(word), http),
            answer("dashboard/health", dashboard()),
        )
        assert status_of(value)[0] is expected
        assert value.source == "databaseVersionsHealth + dashboard/health"

    def test_dashboard_error_with_http_200_is_unhealthy(self) -> None:
        """dashboard/health answers 200 when the database is down; only its body says so."""
        down = {"value": "Unknown", "score": None, "status": "error", "error": "Connection refused"}
        value = health(
            answer("databaseVersionsHealth", db_health()), answer("dashboard/health", down)
        )
        status, reason = status_of(value)
        assert status is EnvStatus.UNHEALTHY
        assert "Connection refused" in reason

    def test_idle_background_tasks_are_no_health_problem(self) -> None:
        value = health(
            answer("databaseVersionsHealth", db_health()),
            answer("dashboard/health", dashboard(tasks="warning")),
        )
        assert status_of(value)[0] is EnvStatus.HEALTHY
        tasks = next(c for c in value.components if c.name == "background tasks")
        assert tasks.status == "informational"
        assert value.metrics.db_round_trip_ms == 3

    def test_a_slow_database_round_trip_degrades(self) -> None:
        value = health(
            answer("databaseVersionsHealth", db_health()),
            answer("dashboard/health", dashboard("warning", 700)),
        )
        status, reason = status_of(value)
        assert status is EnvStatus.DEGRADED
        assert "700 ms" in reason

    def test_one_live_signal_is_enough(self) -> None:
        value = health(failed("databaseVersionsHealth"), answer("dashboard/health", dashboard()))
        assert status_of(value)[0] is EnvStatus.HEALTHY
        assert value.source == "dashboard/health"

    def test_liveness_alone_is_never_healthy(self) -> None:
        value = health(
            failed("databaseVersionsHealth"),
            failed("dashboard/health"),
            answer("testEndpoint", {"status": "ok"}),
        )
        status, reason = status_of(value)
        assert value.status is None
        assert status is EnvStatus.UNKNOWN
        assert "no live health signal" in reason

    def test_no_signal_at_all_is_a_parse_error(self) -> None:
        with pytest.raises(ParseError):
            ADMIN_V2.parse(Endpoint.HEALTH, [failed("databaseVersionsHealth")])

    def test_the_profile_offers_no_components_and_no_error_rate(self) -> None:
        assert ADMIN_V2.requests(Endpoint.COMPONENTS) == ()
        assert status_of(NotOffered("umig-admin-v2"))[0] is EnvStatus.UNKNOWN


class TestShippedVersion:
    def test_version_is_raw_and_compares_as_its_number(self) -> None:
        value = ADMIN_V2.parse(
            Endpoint.VERSION, [answer("adminVersion", admin_version("UMIG-v1.31.0"))]
        )
        assert isinstance(value, VersionInfo)
        assert value.version == "UMIG-v1.31.0"
        assert compare_versions("UMIG-v1.31.0", "1.31.0") == 0
        assert compare_versions("UMIG-v1.30.2", "UMIG-v1.31.0") == -1
        assert value.uptime == "122h"
        assert value.uptime_seconds == 122 * 3600
        assert not value.components_track_app

    def test_shipped_defaults_are_not_build_facts(self) -> None:
        """Without JVM properties: buildNumber 1.0.0-SNAPSHOT, the default tag and commit, and
        deployedAt the request time. None of it describes this environment."""
        value = ADMIN_V2.parse(Endpoint.VERSION, [answer("adminVersion", admin_version())])
        assert isinstance(value, VersionInfo)
        assert value.build_number is None
        assert value.build_tag is None
        assert value.git_commit is None
        assert value.deployed_at is None
        assert value.deployed_by is None  # hard-coded "automation"

    def test_operator_set_properties_are_read(self) -> None:
        doc = admin_version(
            deployed_at="2025-10-01T08:00:00Z",
            buildNumber="1.31.0-412",
            buildTag="v1.31.0",
            gitCommit="a" * 40,
            environment="production",
        )
        value = ADMIN_V2.parse(Endpoint.VERSION, [answer("adminVersion", doc)])
        assert isinstance(value, VersionInfo)
        assert value.deployed_at == "2025-10-01T08:00:00Z"
        assert (value.build_number, value.build_tag, value.git_commit) == (
            "1.31.0-412",
            "v1.31.0",
            "a" * 40,
        )
        assert value.environment == "production"

    def test_schema_level_from_the_executed_changesets(self) -> None:
        value = ADMIN_V2.parse(
            Endpoint.VERSION,
            [answer("adminVersion", admin_version()), answer("databaseVersions", migrations(31))],
        )
        assert isinstance(value, VersionInfo)
        assert value.database_schema == "031"
        assert value.changesets == 31  # the FAILED one is not executed
        assert value.changeset_ids is not None
        assert value.changeset_ids[-1] == "031_change_31"

    def test_schema_unknown_when_the_list_fails(self) -> None:
        value = ADMIN_V2.parse(
            Endpoint.VERSION,
            [answer("adminVersion", admin_version()), failed("databaseVersions")],
        )
        assert isinstance(value, VersionInfo)
        assert value.database_schema is None
        assert value.changeset_ids is None

    def test_a_body_without_system_is_invalid(self) -> None:
        with pytest.raises(ParseError, match="system"):
            ADMIN_V2.parse(Endpoint.VERSION, [answer("adminVersion", {"umig": {}})])


def test_probes_time_the_user_facing_endpoints() -> None:
    value = ADMIN_V2.parse(
        Endpoint.METRICS,
        [Answer("teams", 200, "", 120.0), Answer("users", 200, "", 80.0)],
    )
    assert isinstance(value, MetricsSnapshot)
    assert value.metrics.response_time_ms == 100.0
    assert value.metrics.error_rate is None
    assert {s.labels for s in value.samples if s.name == "umig_probe_response_time_ms"} == {
        (("endpoint", "teams"),),
        (("endpoint", "users"),),
    }


class TestSeedSpellings:
    def test_both_spellings_ask_their_own_paths_and_read_the_same_documents(self) -> None:
        assert US088_SLASH.requests(Endpoint.HEALTH)[0].path == "admin/health"
        assert US088_FLAT.requests(Endpoint.HEALTH)[0].path == "adminHealth"
        assert US088_FLAT.requests(Endpoint.METRICS)[0].path == "adminMetricsPrometheus"
        body = json.dumps({"umig": {"status": "healthy", "version": "1.2.0"}})
        for profile in (US088_SLASH, US088_FLAT):
            value = profile.parse(Endpoint.HEALTH, [Answer("x", 200, body)])
            assert isinstance(value, HealthSnapshot)
            assert value.version == "1.2.0"

    def test_labels(self) -> None:
        assert US088_SLASH.label == "us088 (admin/health)"
        assert US088_FLAT.label == "us088 (adminHealth)"
        assert ADMIN_V2.label == "umig-admin-v2"
        assert builtin("us088", "adminHealth") is US088_FLAT
        assert builtin("umig-admin-v2", "") is ADMIN_V2
        assert builtin("gone", "") is None


class TestDetection:
    def test_admin_version_tells_the_seeds_from_the_shipped_application(self) -> None:
        seed = json.dumps({"umig": {"version": "1.2.0"}})
        assert classify("adminVersion", 200, seed).profile is US088_FLAT
        assert classify("admin/version", 200, seed).profile is US088_SLASH
        shipped = json.dumps(admin_version())
        verdict = classify("adminVersion", 200, shipped)
        assert verdict.profile is ADMIN_V2
        assert "system.version=UMIG-v1.31.0" in verdict.fields

    def test_unknown_shapes_point_nowhere_and_say_why(self) -> None:
        verdict = classify("adminVersion", 200, json.dumps({"hello": 1}))
        assert verdict.profile is None
        assert "hello" in verdict.note
        assert classify("adminVersion", 200, "<html>").profile is None

    def test_the_cheap_order_and_the_us088_family(self) -> None:
        assert CANDIDATES[0].path == "adminVersion"
        assert [c.path for c in candidates_for("us088")] == [
            "adminVersion",
            "admin/version",
            "adminHealth",
            "admin/health",
        ]


def test_answers_round_trip_through_the_raw_text() -> None:
    one = [Answer("adminHealth", 200, '{"umig": {}}')]
    assert encode_answers(one) == '{"umig": {}}'  # what stores before profiles held
    assert decode_answers(encode_answers(one), "adminHealth") == [
        Answer("adminHealth", 200, '{"umig": {}}')
    ]
    several = [
        Answer("databaseVersionsHealth", 503, '{"overall": {"status": "UNHEALTHY"}}'),
        failed("dashboard/health", ErrorKind.TIMEOUT),
        Answer("testEndpoint", 200, '{\n  "status": "ok"\n}'),
    ]
    back = decode_answers(encode_answers(several), "databaseVersionsHealth")
    assert [(a.path, a.status, a.body) for a in back] == [
        (a.path, a.status, a.body) for a in several
    ]
    assert back[1].error is not None
    assert back[1].error.kind is ErrorKind.TIMEOUT


def test_schema_drift_names_the_changesets() -> None:
    envs = [EnvRef("uat", Tier.UAT), EnvRef("production", Tier.PRODUCTION)]
    ids = [f"{n:03d}_c" for n in range(1, 35)]
    findings = schema_findings(envs, {"uat": ids, "production": ids[:31]})
    assert [f.message for f in findings] == [
        "production lacks 3 changesets uat has: 032_c, 033_c, 034_c"
    ]
    assert findings[0].kind is DriftKind.SCHEMA_DRIFT
    assert findings[0].severity is Severity.MEDIUM
    behind = schema_findings(envs, {"uat": ids[:29], "production": ids[:31]})
    assert behind[0].environment == "uat"
    assert behind[0].severity is Severity.HIGH
    assert behind[0].message == "uat lacks 2 changesets production has: 030_c, 031_c"


def test_parse_version_reads_the_product_prefix() -> None:
    assert str(parse_version("UMIG-v1.31.0")) == "1.31.0"
    assert parse_version("not a version") is None
