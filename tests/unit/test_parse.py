"""Tolerant parsing of the admin documents: seed shapes, wrong leaves → None, bad skeletons → error."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from umig_tui.models import (
    ComponentHealth,
    ComponentsStatus,
    Endpoint,
    ErrorKind,
    HealthSnapshot,
    Metrics,
    MetricsSnapshot,
    NamedStatus,
    VersionInfo,
)
from umig_tui.sources.parse import (
    ParseError,
    decode_json_object,
    milliseconds,
    parse_document,
    ratio,
)

# Seed 000 §2.1 adminHealth, with seed 001's "Expected Response" values.
HEALTH: dict[str, Any] = json.loads("""{
  "umig": {"version": "1.2.0", "status": "healthy", "uptime": "5d 7h 45m",
           "deployedAt": "2024-09-25T14:30:55Z"},
  "components": {
    "database": {"status": "healthy", "responseTime": "12ms", "schemaVersion": "031",
                 "connections": 12},
    "api": {"status": "healthy"},
    "ui": {"status": "healthy", "componentsLoaded": 25, "securityRating": "8.5/10"},
    "authentication": {"status": "healthy"}
  },
  "system": {"confluence": "8.5.4", "postgresql": "14.9", "scriptrunner": "8.10.0",
             "java": "17.0.8"},
  "metrics": {"activeUsers": 42, "apiCalls24h": 15230, "errorRate": 0.02, "responseTime": "180ms"}
}""")

# Seed 000 §2.2 adminVersion.
VERSION: dict[str, Any] = json.loads("""{
  "umig": {"version": "1.2.0", "build": "20240925.143055", "codename": "Granite",
           "environment": "production"},
  "components": {
    "database": {"schema": "031", "semantic": "1.2.0", "changesets": 31},
    "api": {"version": "v2.3.1", "endpoints": 27, "compatibility": "v2.x"},
    "ui": {"version": "1.2.0", "components": 25, "architecture": "ComponentOrchestrator"},
    "backend": {"version": "1.2.0", "groovy": "3.0.15", "java": "17.0.8"}
  },
  "deployment": {"deployedAt": "2024-09-25T14:30:55Z", "deployedBy": "automation",
                 "artifact": "umig-app-v1.2.0-20240925.143055.zip", "buildNumber": "1245"}
}""")

# Seed 000 §2.3 adminComponents.
COMPONENTS: dict[str, Any] = json.loads("""{
  "orchestrator": {"status": "active", "components": ["TeamsTable", "StepView", "Modal"]},
  "entityManagers": {"teams": {"status": "healthy"}, "users": {"status": "healthy"},
                     "applications": {"status": "healthy"}, "environments": {"status": "healthy"}},
  "services": {"stepDataTransformation": {"status": "healthy"}, "emailService": {"status": "healthy"},
               "notificationIntegration": {"status": "healthy"}},
  "repositories": {"status": "healthy", "pattern": "unified-with-enrichment", "activeConnections": 8}
}""")


def parse(endpoint: Endpoint, doc: Any) -> Any:
    return parse_document(endpoint, json.dumps(doc))


def test_seed_health_document_parses_into_fields() -> None:
    health = parse(Endpoint.HEALTH, HEALTH)
    assert isinstance(health, HealthSnapshot)
    assert (health.status, health.version, health.uptime) == ("healthy", "1.2.0", "5d 7h 45m")
    assert health.uptime_seconds == 5 * 86400 + 7 * 3600 + 45 * 60
    assert health.deployed_at == "2024-09-25T14:30:55Z"
    assert [(c.name, c.status) for c in health.components] == [
        ("database", "healthy"),
        ("api", "healthy"),
        ("ui", "healthy"),
        ("authentication", "healthy"),
    ]
    assert health.components[0] == ComponentHealth("database", "healthy", 12.0, "031", 12.0)
    assert dict(health.system)["postgresql"] == "14.9"
    metrics = health.metrics
    assert (metrics.active_users, metrics.api_calls_24h) == (42.0, 15230.0)
    assert (metrics.error_rate, metrics.response_time_ms) == (0.02, 180.0)
    assert (metrics.db_connections, metrics.uptime_seconds) == (12.0, health.uptime_seconds)


def test_seed_version_document_parses_into_fields() -> None:
    info = parse(Endpoint.VERSION, VERSION)
    assert info == VersionInfo(
        version="1.2.0",
        build="20240925.143055",
        codename="Granite",
        environment="production",
        database_schema="031",
        database_semantic="1.2.0",
        changesets=31,
        api_version="v2.3.1",
        api_endpoints=27,
        api_compatibility="v2.x",
        ui_version="1.2.0",
        backend_version="1.2.0",
        groovy="3.0.15",
        java="17.0.8",
        deployed_at="2024-09-25T14:30:55Z",
        deployed_by="automation",
        artifact="umig-app-v1.2.0-20240925.143055.zip",
        build_number="1245",
    )


def test_seed_components_document_parses_into_fields() -> None:
    status = parse(Endpoint.COMPONENTS, COMPONENTS)
    assert isinstance(status, ComponentsStatus)
    assert (status.orchestrator_status, status.orchestrator_components) == ("active", 3)
    assert status.entity_managers[0] == NamedStatus("teams", "healthy")
    assert [s.name for s in status.services] == [
        "stepDataTransformation",
        "emailService",
        "notificationIntegration",
    ]
    assert (status.repositories_status, status.repositories_pattern) == (
        "healthy",
        "unified-with-enrichment",
    )
    assert status.active_connections == 8.0
    assert status.not_ok() == []


def test_seed_jq_projection_is_not_a_health_document() -> None:
    # Seed 001's "Expected Response" is jq's view of the endpoint, not the endpoint itself.
    projection = {"status": "healthy", "version": "1.2.0", "uptime": "5d 7h 45m", "components": []}
    with pytest.raises(ParseError, match="no 'umig' object"):
        parse(Endpoint.HEALTH, projection)


# -- tolerance: every leaf missing, null or of the wrong type becomes None -----------------------


class _Missing:
    """The key is absent (a stable repr: parametrize ids must match across xdist workers)."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING = _Missing()

HEALTH_LEAVES: list[tuple[tuple[str, ...], Callable[[HealthSnapshot], Any]]] = [
    (("umig", "version"), lambda h: h.version),
    (("umig", "uptime"), lambda h: h.uptime_seconds),
    (("umig", "deployedAt"), lambda h: h.deployed_at),
    (("components", "database", "responseTime"), lambda h: h.components[0].response_time_ms),
    (("components", "database", "schemaVersion"), lambda h: h.components[0].schema_version),
    (("components", "database", "connections"), lambda h: h.metrics.db_connections),
    (("metrics", "activeUsers"), lambda h: h.metrics.active_users),
    (("metrics", "apiCalls24h"), lambda h: h.metrics.api_calls_24h),
    (("metrics", "errorRate"), lambda h: h.metrics.error_rate),
    (("metrics", "responseTime"), lambda h: h.metrics.response_time_ms),
]
VERSION_LEAVES = [
    ("umig", "version"),
    ("umig", "build"),
    ("umig", "codename"),
    ("umig", "environment"),
    ("components", "database", "schema"),
    ("components", "database", "changesets"),
    ("components", "api", "version"),
    ("components", "api", "endpoints"),
    ("components", "ui", "version"),
    ("components", "backend", "version"),
    ("deployment", "deployedAt"),
    ("deployment", "deployedBy"),
    ("deployment", "buildNumber"),
]
WRONG_VALUES = [MISSING, None, [], {"x": 1}, True]


def mutated(doc: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    if value is MISSING:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return doc


@pytest.mark.parametrize("value", WRONG_VALUES, ids=repr)
@pytest.mark.parametrize(
    ("path", "get"), HEALTH_LEAVES, ids=[".".join(p) for p, _ in HEALTH_LEAVES]
)
def test_bad_health_leaf_becomes_none(
    path: tuple[str, ...], get: Callable[[HealthSnapshot], Any], value: Any
) -> None:
    assert get(parse(Endpoint.HEALTH, HEALTH)) is not None  # the field is read when it is good
    assert get(parse(Endpoint.HEALTH, mutated(HEALTH, path, value))) is None


@pytest.mark.parametrize("value", WRONG_VALUES, ids=repr)
@pytest.mark.parametrize("path", VERSION_LEAVES, ids=".".join)
def test_bad_version_leaf_becomes_none(path: tuple[str, ...], value: Any) -> None:
    good = parse(Endpoint.VERSION, VERSION)
    bad = parse(Endpoint.VERSION, mutated(VERSION, path, value))
    changed = {k for k in good.__slots__ if getattr(good, k) != getattr(bad, k)}
    assert len(changed) == 1
    assert getattr(bad, changed.pop()) is None


@pytest.mark.parametrize("value", [MISSING, None, [], True, "ok"], ids=repr)
def test_bad_health_sections_are_empty_not_an_error(value: Any) -> None:
    doc = mutated(
        mutated(mutated(HEALTH, ("components",), value), ("system",), value), ("metrics",), value
    )
    health = parse(Endpoint.HEALTH, doc)
    assert (health.status, health.version) == ("healthy", "1.2.0")
    assert health.components == ()
    assert health.system == ()
    assert health.metrics == Metrics(uptime_seconds=health.uptime_seconds)


@pytest.mark.parametrize("value", WRONG_VALUES[1:], ids=repr)
def test_bad_component_body_is_unknown_status(value: Any) -> None:
    health = parse(Endpoint.HEALTH, mutated(HEALTH, ("components", "api"), value))
    assert ("api", "unknown") in [(c.name, c.status) for c in health.components]
    status = parse(Endpoint.COMPONENTS, mutated(COMPONENTS, ("services", "emailService"), value))
    assert NamedStatus("emailService", "unknown") in status.services


@pytest.mark.parametrize(
    ("path", "attribute"),
    [
        (("orchestrator", "status"), "orchestrator_status"),
        (("orchestrator", "components"), "orchestrator_components"),
        (("repositories", "status"), "repositories_status"),
        (("repositories", "pattern"), "repositories_pattern"),
        (("repositories", "activeConnections"), "active_connections"),
    ],
)
@pytest.mark.parametrize("value", [MISSING, None, True], ids=repr)
def test_bad_components_leaf_becomes_none(
    path: tuple[str, ...], attribute: str, value: Any
) -> None:
    assert getattr(parse(Endpoint.COMPONENTS, COMPONENTS), attribute) is not None
    assert getattr(parse(Endpoint.COMPONENTS, mutated(COMPONENTS, path, value)), attribute) is None


def test_short_component_form_and_status_case_are_understood() -> None:
    doc = {"umig": {"status": "Healthy"}, "components": {"database": "DOWN"}}
    health = parse(Endpoint.HEALTH, doc)
    assert health.status == "healthy"
    assert health.components == (ComponentHealth("database", "down"),)


def test_numeric_uptime_is_seconds() -> None:
    health = parse(Endpoint.HEALTH, {"umig": {"status": "healthy", "uptime": 3600}})
    assert (health.uptime, health.uptime_seconds) == ("3600", 3600.0)


@pytest.mark.parametrize(
    "huge",
    [10**400, -(10**400), "1" + "0" * 400, "1e999"],
    ids=["int", "negative-int", "digit-string", "exponent-string"],
)
def test_huge_numbers_become_none_not_an_exception(huge: Any) -> None:
    doc = mutated(HEALTH, ("metrics", "activeUsers"), huge)
    doc["metrics"]["responseTime"] = huge if not isinstance(huge, str) else huge + "ms"
    doc["umig"]["uptime"] = huge
    health = parse(Endpoint.HEALTH, doc)
    assert health.metrics.active_users is None
    assert health.metrics.response_time_ms is None
    assert health.uptime_seconds is None


def test_escape_sequences_in_strings_come_out_cleaned() -> None:
    doc = mutated(HEALTH, ("umig", "version"), "\x1b[2J\x1b[31m1.2.0\x1b[0m")
    doc["components"]["\x1b]0;owned\x07data\u202ebase"] = {"status": "HEALTHY\x07"}
    health = parse(Endpoint.HEALTH, doc)
    assert health.version == "1.2.0"
    assert ("data base", "healthy") in [(c.name, c.status) for c in health.components]
    info = parse(Endpoint.VERSION, mutated(VERSION, ("deployment", "deployedBy"), "[b]ops\x1b[0m"))
    assert info.deployed_by == "[b]ops"


# -- skeleton problems ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("endpoint", "doc", "reason"),
    [
        (Endpoint.HEALTH, [HEALTH], "expected a JSON object, got an array"),
        (Endpoint.HEALTH, "healthy", "expected a JSON object, got a string"),
        (Endpoint.HEALTH, None, "expected a JSON object, got null"),
        (Endpoint.HEALTH, {"umig": None}, "health document has no 'umig' object (null)"),
        (Endpoint.HEALTH, {"umig": []}, "health document has no 'umig' object (an array)"),
        (Endpoint.HEALTH, {"components": {}}, "health document has no 'umig' object (null)"),
        (
            Endpoint.HEALTH,
            {"umig": {"status": 1}},
            "health document: umig.status is a number, not a status word",
        ),
        (
            Endpoint.HEALTH,
            {"umig": {"version": "1.2.0"}},
            "health document: umig.status is null, not a status word",
        ),
        (
            Endpoint.HEALTH,
            {"umig": {"status": ["healthy"]}},
            "health document: umig.status is an array, not a status word",
        ),
        (Endpoint.VERSION, {"umig": "1.2.0"}, "version document has no 'umig' object (a string)"),
        (Endpoint.VERSION, 42, "expected a JSON object, got a number"),
        (
            Endpoint.COMPONENTS,
            {"orchestrator": "active", "status": "ok"},
            "components document has none of orchestrator, entityManagers, services, repositories",
        ),
    ],
)
def test_wrong_skeleton_is_a_parse_error(endpoint: Endpoint, doc: Any, reason: str) -> None:
    with pytest.raises(ParseError) as info:
        parse(endpoint, doc)
    assert info.value.reason == reason
    error = info.value.as_fetch_error()
    assert (error.kind, error.reason) == (ErrorKind.INVALID_RESPONSE, reason)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("", "empty response body"),
        (" \n\t", "empty response body"),
        (
            '{"a": 1,, }',
            "malformed JSON at line 1 column 9: Expecting property name enclosed in double quotes",
        ),
        ('{\n  "a": 1\n  "b": 2\n}', "malformed JSON at line 3 column 3: Expecting ',' delimiter"),
        ("<html><body>Log in</body></html>", "malformed JSON at line 1 column 1: Expecting value"),
        (
            '{"umig": {"status": "hea',
            "truncated JSON: the body ends before the document does (Unterminated string starting at)",
        ),
        (
            '{"umig": {"status": "healthy"}',
            "truncated JSON: the body ends before the document does (Expecting ',' delimiter)",
        ),
        ("[" * 100_000, "malformed JSON: nested too deeply"),
    ],
)
def test_decode_json_object_says_what_is_wrong(body: str, reason: str) -> None:
    with pytest.raises(ParseError) as info:
        decode_json_object(body)
    assert info.value.reason == reason


def test_integer_with_too_many_digits_is_malformed_json() -> None:
    with pytest.raises(ParseError, match=r"^malformed JSON: Exceeds the limit \(4300 digits\)"):
        decode_json_object('{"n": 1' + "0" * 5000 + "}")


def test_decode_json_object_returns_the_object() -> None:
    assert decode_json_object('{"umig": {"status": "ok"}}') == {"umig": {"status": "ok"}}


def test_metrics_endpoint_is_dispatched_to_the_prometheus_parser() -> None:
    assert isinstance(parse_document(Endpoint.METRICS, "umig_active_users 3\n"), MetricsSnapshot)
    with pytest.raises(ValueError, match="no document parser"):
        parse_document(Endpoint.TEAMS, "{}")


@pytest.mark.parametrize(
    ("value", "ms"),
    [
        ("180ms", 180.0),
        ("1.2s", 1200.0),
        (180, 180.0),
        ("180", 180.0),
        (" 25 ms ", 25.0),
        ("2m", 120000.0),
        ("fast", None),
        ("180 µs", None),
        (None, None),
        (True, None),
        ([180], None),
        (float("nan"), None),
    ],
)
def test_response_time_becomes_milliseconds(value: Any, ms: float | None) -> None:
    assert milliseconds(value) == ms


@pytest.mark.parametrize(
    ("value", "fraction"),
    [
        (0.02, 0.02),
        ("0.02%", 0.0002),
        ("5%", 0.05),
        (" 12.5 % ", 0.125),
        ("0.02", 0.02),
        ("high%", None),
        (None, None),
        (False, None),
        ({"rate": 1}, None),
    ],
)
def test_error_rate_becomes_a_fraction(value: Any, fraction: float | None) -> None:
    if fraction is None:
        assert ratio(value) is None
    else:
        assert ratio(value) == pytest.approx(fraction)
