"""Site-defined profiles: jq field maps read the same values the built-in readers do, safely."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from umig_tui.config import Config, parse_config_text
from umig_tui.config.custom_profiles import HEALTH_METRICS, METRICS_FIELDS, OPTIONAL
from umig_tui.demo import documents
from umig_tui.demo.documents import EnvReading
from umig_tui.demo.simulator import Simulator
from umig_tui.models import (
    ComponentHealth,
    ComponentPart,
    ComponentsStatus,
    Endpoint,
    HealthSnapshot,
    Metrics,
    MetricSample,
    MetricsSnapshot,
    TeamsCheck,
    VersionInfo,
)
from umig_tui.sources.errors import ParseError
from umig_tui.sources.parse import decode_json_object, parse_document
from umig_tui.sources.profiles.base import Answer, Request
from umig_tui.sources.profiles.custom import (
    NUMBER_READERS,
    JqProfile,
    custom_profiles,
    decode_json,
)

SEED = """\
[profiles.seed.health]
path = "admin/health"
accept = [200, 503]
status = '.umig.status'
version = '.umig.version // "unknown"'
uptime = '.umig.uptime'
deployed_at = '.umig.deployedAt'
components = '.components | map_values(.status)'
response_time_ms = '.metrics.responseTime'
error_rate = '.metrics.errorRate'
active_users = '.metrics.activeUsers'
db_connections = '.components.database.connections'
api_calls_24h = '.metrics.apiCalls24h'

[profiles.seed.version]
path = "admin/version"
version = '.umig.version // "unknown"'
build = '.umig.build'
environment = '.umig.environment'
database = '.components.database.schema'
api = '.components.api.version'
ui = '.components.ui.version'
backend = '.components.backend.version'
deployed_at = '.deployment.deployedAt'
deployed_by = '.deployment.deployedBy'
changesets = '.components.database.changesets'

[profiles.seed.components]
path = "admin/components"
parts = '.services | map_values(.status)'

[profiles.seed.metrics]
path = "admin/metrics/prometheus"
format = "prometheus"

[profiles.seed.smoke]
path = "teams"
"""


def load(text: str) -> Config:
    return parse_config_text(text, Path("umig-tui.toml"))


def profile(text: str, name: str | None = None) -> JqProfile:
    profiles = custom_profiles(load(text))
    return profiles[name] if name else next(iter(profiles.values()))


def answer(
    body: str | bytes | dict[str, Any] | list[Any], path: str = "p", status: int = 200
) -> list[Answer]:
    if isinstance(body, dict | list):
        body = json.dumps(body)
    if isinstance(body, bytes):
        body = body.decode()
    return [Answer(path, status, body)]


@pytest.fixture(scope="module")
def reading() -> EnvReading:
    return Simulator(4, scenario="static").reading("uat")


@pytest.fixture(scope="module")
def seed() -> JqProfile:
    return profile(SEED)


# -- requests --------------------------------------------------------------------------------


def test_requests_follow_the_config(seed: JqProfile) -> None:
    assert seed.name == "seed"
    assert seed.variant == ""
    assert seed.label == "seed"
    assert seed.requests(Endpoint.HEALTH) == (
        Request("admin/health", accept=frozenset({200, 503})),
    )
    assert seed.requests(Endpoint.VERSION) == (Request("admin/version"),)
    assert seed.requests(Endpoint.TEAMS) == (Request("teams", body=False),)
    assert seed.paths() == {
        "health": "admin/health",
        "version": "admin/version",
        "components": "admin/components",
        "metrics": "admin/metrics/prometheus",
        "teams": "teams",
    }


def test_a_signal_not_configured_is_not_offered() -> None:
    only = profile('[profiles.only.smoke]\npath = "ping"\n')
    assert only.offers(Endpoint.TEAMS)
    for signal in (Endpoint.HEALTH, Endpoint.VERSION, Endpoint.COMPONENTS, Endpoint.METRICS):
        assert only.requests(signal) == ()
        assert not only.offers(signal)
    with pytest.raises(ParseError, match="health is not offered by only"):
        only.parse(Endpoint.HEALTH, answer({}))


def test_custom_profiles_of_a_config_without_profiles_is_empty() -> None:
    assert custom_profiles(Config(environments=())) == {}


# -- the seed scripts' own expressions give the seed parser's values -------------------------


def test_health_matches_the_seed_parser(seed: JqProfile, reading: EnvReading) -> None:
    body = documents.health(reading)
    mine = seed.parse(Endpoint.HEALTH, answer(body, "admin/health"))
    theirs = parse_document(Endpoint.HEALTH, body.decode())
    assert isinstance(mine, HealthSnapshot)
    assert isinstance(theirs, HealthSnapshot)
    assert mine.status == theirs.status == "healthy"
    assert mine.version == theirs.version == reading.version
    assert mine.uptime == theirs.uptime
    assert mine.uptime_seconds == theirs.uptime_seconds
    assert mine.deployed_at == theirs.deployed_at
    assert [(c.name, c.status) for c in mine.components] == [
        (c.name, c.status) for c in theirs.components
    ]
    assert mine.metrics == theirs.metrics
    assert mine.source == "admin/health"


def test_the_database_status_expression(reading: EnvReading) -> None:
    db = profile(
        "[profiles.db.health]\npath = 'admin/health'\nstatus = '.components.database.status'\n"
        "components = '{database: .components.database.status}'\n"
    )
    body = documents.health(reading)
    mine = db.parse(Endpoint.HEALTH, answer(body))
    theirs = parse_document(Endpoint.HEALTH, body.decode())
    assert isinstance(mine, HealthSnapshot)
    assert isinstance(theirs, HealthSnapshot)
    database = next(c for c in theirs.components if c.name == "database")
    assert mine.status == database.status == reading.db_status
    assert mine.components == (ComponentHealth("database", database.status),)


def test_version_matches_the_seed_parser(seed: JqProfile, reading: EnvReading) -> None:
    body = documents.version(reading)
    mine = seed.parse(Endpoint.VERSION, answer(body))
    theirs = parse_document(Endpoint.VERSION, body.decode())
    assert isinstance(mine, VersionInfo)
    assert isinstance(theirs, VersionInfo)
    for name in (
        "version",
        "build",
        "environment",
        "database_schema",
        "api_version",
        "ui_version",
        "backend_version",
        "deployed_at",
        "deployed_by",
        "changesets",
    ):
        assert getattr(mine, name) == getattr(theirs, name), name
    assert mine.database_schema == "031"
    assert mine.changeset_ids is None


def test_components_match_the_seed_services(seed: JqProfile, reading: EnvReading) -> None:
    body = documents.components(reading)
    mine = seed.parse(Endpoint.COMPONENTS, answer(body))
    theirs = parse_document(Endpoint.COMPONENTS, body.decode())
    assert isinstance(mine, ComponentsStatus)
    assert isinstance(theirs, ComponentsStatus)
    assert [(p.name, p.status) for p in mine.parts] == [(s.name, s.status) for s in theirs.services]
    assert mine.source == "admin/components"


def test_prometheus_metrics_match_the_seed_parser(seed: JqProfile, reading: EnvReading) -> None:
    body = documents.prometheus(reading).decode()
    assert seed.parse(Endpoint.METRICS, answer(body)) == parse_document(Endpoint.METRICS, body)


def test_smoke_is_the_status_only(seed: JqProfile) -> None:
    assert seed.parse(Endpoint.TEAMS, [Answer("teams", 204, "")]) == TeamsCheck(204)


# -- values ----------------------------------------------------------------------------------


def test_hostile_strings_are_cleaned_and_bounded() -> None:
    site = profile(
        """
[profiles.h.health]
path = "h"
status = '.s'
version = '.v'
components = '.c'
[profiles.h.version]
path = "v"
version = '.v'
changesets = '.ids'
"""
    )
    doc = {
        "s": "\x1b[31mHEALTHY\x1b[0m",
        "v": "1.2.3\x1b]0;pwned\x07" + "x" * 500,
        "c": {"db\x1b[2J": {"status": "UP\u202e", "detail": "\x07slow\nqueries"}},
        "ids": ["031_a\x1b[1m", 7, None, {"x": 1}],
    }
    health = site.parse(Endpoint.HEALTH, answer(doc))
    assert isinstance(health, HealthSnapshot)
    assert health.status == "healthy"
    assert health.version is not None
    assert health.version.startswith("1.2.3x")
    assert len(health.version) == 80
    assert health.components == (ComponentHealth("db", "up", detail="slow queries"),)
    version = site.parse(Endpoint.VERSION, answer(doc))
    assert isinstance(version, VersionInfo)
    assert version.changeset_ids == ("031_a", "7")
    assert version.changesets == 2


def test_optional_fields_missing_or_failing_are_none() -> None:
    site = profile(
        """
[profiles.o.health]
path = "h"
status = '.status'
version = '.version // "unknown"'
uptime = '.uptime'
deployed_at = '.deployedAt | error("boom")'
components = '.components'
error_rate = '.rate.value'
"""
    )
    health = site.parse(Endpoint.HEALTH, answer({"status": "ok", "rate": "not an object"}))
    assert health == HealthSnapshot(status="ok", source="h")


@pytest.mark.parametrize(
    ("value", "expected"), [(None, None), ("", None), ("unknown", None), ("Unknown ", None)]
)
def test_nothing_values_are_none(value: Any, expected: Any) -> None:
    site = profile("[profiles.n.version]\npath = 'v'\nversion = '.v'\nbuild = '.b'\n")
    version = site.parse(Endpoint.VERSION, answer({"v": "1.0", "b": value}))
    assert isinstance(version, VersionInfo)
    assert version.build is expected


def test_numbers_go_through_the_leaf_readers() -> None:
    site = profile(
        """
[profiles.n.health]
path = "h"
status = '"ok"'
uptime = '.up'
response_time_ms = '"1.5s"'
db_round_trip_ms = '"12ms"'
error_rate = '"2%"'
active_users = '"40"'
db_connections = 'true'
api_calls_24h = '1e999'
components_loaded = '[1]'
"""
    )
    health = site.parse(Endpoint.HEALTH, answer({"up": "5d 7h"}))
    assert isinstance(health, HealthSnapshot)
    assert health.uptime == "5d 7h"
    assert health.uptime_seconds == 5 * 86400 + 7 * 3600
    assert health.metrics == Metrics(
        response_time_ms=1500.0,
        error_rate=0.02,
        active_users=40.0,
        uptime_seconds=health.uptime_seconds,
        db_round_trip_ms=12.0,
    )


def test_every_configured_key_reaches_the_document() -> None:
    """A key the config accepts but the profile drops would silently read nothing."""
    assert set(NUMBER_READERS) == set(HEALTH_METRICS) == set(METRICS_FIELDS) - {"uptime_seconds"}
    site = profile(
        """
[profiles.all.health]
path = "h"
status = '"ok"'
version = '"1.0"'
uptime = '"1h"'
deployed_at = '"2026-01-01"'
components = '{a: "up"}'
response_time_ms = '1'
error_rate = '0.1'
active_users = '2'
db_connections = '3'
api_calls_24h = '4'
db_round_trip_ms = '5'
components_loaded = '6'
[profiles.all.version]
path = "v"
version = '"1.0"'
build = '"b"'
environment = '"uat"'
database = '"031"'
api = '"v2"'
ui = '"u"'
backend = '"be"'
deployed_at = '"d"'
deployed_by = '"who"'
build_tag = '"tag"'
git_commit = '"abc"'
uptime = '60'
changesets = '["a", "b"]'
"""
    )
    assert set(OPTIONAL[Endpoint.HEALTH]) == set(site.spec.signals[Endpoint.HEALTH].fields) - {
        "status"
    }
    assert set(OPTIONAL[Endpoint.VERSION]) == set(site.spec.signals[Endpoint.VERSION].fields) - {
        "version"
    }
    health = site.parse(Endpoint.HEALTH, answer({}))
    assert isinstance(health, HealthSnapshot)
    for value in (health.version, health.deployed_at, health.components, health.uptime):
        assert value
    assert all(value is not None for value in health.metrics.as_dict().values())
    version = site.parse(Endpoint.VERSION, answer({}))
    assert isinstance(version, VersionInfo)
    for name in (
        "build",
        "environment",
        "database_schema",
        "api_version",
        "ui_version",
        "backend_version",
        "deployed_at",
        "deployed_by",
        "build_tag",
        "git_commit",
        "uptime",
        "uptime_seconds",
        "changesets",
        "changeset_ids",
    ):
        assert getattr(version, name) is not None, name


# -- errors ----------------------------------------------------------------------------------


def test_a_runtime_jq_error_on_a_required_field_names_the_expression() -> None:
    site = profile("[profiles.e.health]\npath = 'h'\nstatus = '.umig.status'\n")
    with pytest.raises(ParseError) as info:
        site.parse(Endpoint.HEALTH, answer({"umig": "a string"}))
    assert info.value.reason.startswith("jq .umig.status: Cannot index string with ")


def test_a_runtime_error_message_from_the_document_is_cleaned() -> None:
    site = profile("[profiles.e.version]\npath = 'v'\nversion = 'error(.msg)'\n")
    with pytest.raises(ParseError) as info:
        site.parse(Endpoint.VERSION, answer({"msg": "\x1b[2Jgone\x07" + "y" * 300}))
    assert info.value.reason.startswith("jq error(.msg): gone")
    assert "\x1b" not in info.value.reason
    assert len(info.value.reason) < 160


def test_a_required_field_producing_nothing_says_which() -> None:
    site = profile("[profiles.e.health]\npath = 'h'\nstatus = '.umig.status // empty'\n")
    with pytest.raises(ParseError) as info:
        site.parse(Endpoint.HEALTH, answer({"umig": {}}))
    assert info.value.reason == (
        "jq .umig.status // empty produced nothing (profiles.e.health.status)"
    )


def test_version_unknown_is_nothing() -> None:
    site = profile("[profiles.e.version]\npath = 'v'\nversion = '.umig.version // \"unknown\"'\n")
    with pytest.raises(ParseError, match=r"produced nothing \(profiles\.e\.version\.version\)"):
        site.parse(Endpoint.VERSION, answer({"umig": {}}))


def test_a_required_field_of_the_wrong_kind_says_what_it_was() -> None:
    site = profile("[profiles.e.health]\npath = 'h'\nstatus = '.s'\n")
    with pytest.raises(ParseError) as info:
        site.parse(Endpoint.HEALTH, answer({"s": {"deep": 1}}))
    assert info.value.reason == (
        "jq .s gave an object, not a status word (profiles.e.health.status)"
    )


def test_parts_must_be_an_object_or_array() -> None:
    site = profile("[profiles.e.components]\npath = 'c'\nparts = '.x'\n")
    with pytest.raises(ParseError, match=r"jq \.x gave a number, not an object of part name"):
        site.parse(Endpoint.COMPONENTS, answer({"x": 3}))


@pytest.mark.parametrize(
    "body",
    ["", "   ", "{", '{"a": 1', '{"a": tru}', "<html>login</html>", '{"a": 1} x', "1" * 5000],
)
def test_malformed_json_gives_the_built_in_reasons(body: str) -> None:
    with pytest.raises(ParseError) as mine:
        decode_json(body)
    with pytest.raises(ParseError) as theirs:
        decode_json_object(body)
    assert mine.value.reason == theirs.value.reason


def test_any_json_value_is_a_document() -> None:
    assert decode_json("[1, 2]") == [1, 2]
    assert decode_json('"up"') == "up"
    assert decode_json('{"a": NaN, "b": Infinity, "c": 1e999}') == {"a": None, "b": None, "c": None}
    site = profile("[profiles.a.components]\npath = 'c'\nparts = '.'\n")
    parts = site.parse(
        Endpoint.COMPONENTS,
        answer([{"name": "db", "status": "UP", "detail": 2}, {"status": "x"}, 5, {"name": "q"}]),
    )
    assert parts == ComponentsStatus(
        parts=(ComponentPart("db", "up", "2"), ComponentPart("q", "unknown")), source="c"
    )
    mapped = profile(
        "[profiles.a.components]\npath = 'c'\nparts = 'map({name: .id, status: .state})'\n"
    )
    parts = mapped.parse(Endpoint.COMPONENTS, answer([{"id": "db", "state": "DOWN"}]))
    assert parts == ComponentsStatus(parts=(ComponentPart("db", "down"),), source="c")


def test_many_parts_are_capped() -> None:
    site = profile("[profiles.a.components]\npath = 'c'\nparts = '.'\n")
    doc = {f"p{i}": "ok" for i in range(1000)}
    parts = site.parse(Endpoint.COMPONENTS, answer(doc))
    assert isinstance(parts, ComponentsStatus)
    assert len(parts.parts) == 200


# -- metrics ---------------------------------------------------------------------------------

JSON_METRICS = """
[profiles.m.metrics]
path = "stats"
response_time_ms = '.latency.p95'
error_rate = '.errors.rate'
active_users = '.users'
uptime_seconds = '.uptime'
[profiles.m.metrics.extra]
queue_depth = '.queue.depth'
"jobs:failed" = '.jobs.failed'
missing = '.nope'
"""


def test_json_metrics_and_extra_series() -> None:
    site = profile(JSON_METRICS)
    doc = {
        "latency": {"p95": "230ms"},
        "errors": {"rate": "1.5%"},
        "users": 12,
        "uptime": "2d",
        "queue": {"depth": 4},
        "jobs": {"failed": "3"},
    }
    snapshot = site.parse(Endpoint.METRICS, answer(doc, "stats"))
    assert snapshot == MetricsSnapshot(
        samples=(MetricSample("queue_depth", (), 4.0), MetricSample("jobs:failed", (), 3.0)),
        metrics=Metrics(
            response_time_ms=230.0, error_rate=0.015, active_users=12.0, uptime_seconds=172800.0
        ),
    )


def test_json_metrics_with_no_number_at_all_is_a_parse_error() -> None:
    site = profile(JSON_METRICS)
    with pytest.raises(ParseError, match="no jq expression of the metrics gave a number"):
        site.parse(Endpoint.METRICS, answer({"other": 1}))


def test_prometheus_format_rejects_json() -> None:
    site = profile("[profiles.p.metrics]\npath = 'm'\nformat = 'prometheus'\n")
    with pytest.raises(ParseError, match="expected Prometheus text format, got JSON"):
        site.parse(Endpoint.METRICS, answer({"a": 1}))


def test_accepted_non_200_bodies_are_read(seed: JqProfile, reading: EnvReading) -> None:
    body = json.loads(documents.health(reading))
    body["umig"]["status"] = "UNHEALTHY"
    health = seed.parse(Endpoint.HEALTH, answer(body, "admin/health", 503))
    assert isinstance(health, HealthSnapshot)
    assert health.status == "unhealthy"
