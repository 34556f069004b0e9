"""The simulator's dialects: the seed URLs, ScriptRunner's flat names, the shipped application."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import urllib.error
import urllib.request
from typing import Any

import httpx
import pytest

from umig_tui.cli.demo_server import run
from umig_tui.cli.main import build_parser, main
from umig_tui.demo.documents_v2 import DEFAULT_GIT_COMMIT, iso, sql_timestamp
from umig_tui.demo.faults import FAULTS, HOSTILE_TEXT
from umig_tui.demo.server import ServerThread
from umig_tui.demo.simulator import Simulator

PREFIX = "/rest/scriptrunner/latest/custom/"
START = 1_760_000_000.0  # 2025-10-09T08:53:20Z

SEED_SLASH = {"admin/health", "admin/version", "admin/components", "admin/metrics/prometheus"}
SEED_FLAT = {"adminHealth", "adminVersion", "adminComponents", "adminMetricsPrometheus"}
V2_PATHS = {
    "adminVersion",
    "adminComponents",
    "adminCompatibility",
    "adminBuildInfo",
    "databaseVersionsHealth",
    "databaseVersionsStatistics",
    "databaseVersions",
    "dashboard/health",
    "healthCheck",
    "testEndpoint",
    "urlConfigurationHealth",
    "teams",
    "users",
}
SERVED = {
    "us088": SEED_SLASH | {"teams"},
    "us088-scriptrunner": SEED_FLAT | {"teams"},
    "umig-admin-v2": V2_PATHS,
}
TEAM_KEYS = {  # real-umig-api.md §3.8
    "tms_id",
    "tms_name",
    "tms_description",
    "tms_email",
    "created_at",
    "updated_at",
    "created_by",
    "updated_by",
    "member_count",
    "app_count",
}
ALL_PATHS = sorted(SEED_SLASH | SEED_FLAT | V2_PATHS | {"databaseVersions/health", "admin"})


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


def v2(clock: Clock | None = None, **options: Any) -> Simulator:
    return Simulator(4, dialect="umig-admin-v2", clock=clock or Clock(), **options)


def get(sim: Simulator, env: str, path: str) -> tuple[int, Any]:
    answer = sim.respond(env, PREFIX + path)
    return answer.status, json.loads(answer.body)


# -- which paths answer -------------------------------------------------------------------------


@pytest.mark.parametrize("dialect", list(SERVED))
def test_each_dialect_serves_exactly_its_paths(dialect: str) -> None:
    sim = Simulator(4, dialect=dialect, scenario="static", clock=Clock())
    for path in ALL_PATHS:
        answer = sim.respond("uat", PREFIX + path)
        if path in SERVED[dialect]:
            assert answer.status == 200, (dialect, path, answer.body[:200])
        else:
            assert answer.status == 404, (dialect, path)
            assert "message" in json.loads(answer.body)


def test_the_default_dialect_is_us088_with_its_query_strings_and_any_prefix() -> None:
    sim = Simulator(4, clock=Clock())
    assert sim.dialect == "us088"
    assert sim.respond("uat", "/custom/admin/health?x=1").status == 200
    assert sim.respond("nowhere", PREFIX + "admin/health").status == 404
    with pytest.raises(ValueError, match="unknown dialect 'v3'; use one of us088, "):
        Simulator(4, dialect="v3")


def test_scriptrunner_names_serve_the_seed_documents() -> None:
    slash = Simulator(4, clock=Clock())
    flat = Simulator(4, dialect="us088-scriptrunner", clock=Clock())
    for a, b in zip(sorted(SEED_SLASH), sorted(SEED_FLAT), strict=True):
        one, two = slash.respond("uat", PREFIX + a), flat.respond("uat", PREFIX + b)
        assert (one.status, one.headers, one.body) == (two.status, two.headers, two.body)


# -- adminVersion and the build properties -------------------------------------------------------


def test_admin_version_has_the_shipped_shape_with_the_release_version_and_jvm_hours() -> None:
    sim = v2()
    status, doc = get(sim, "uat", "adminVersion")
    assert status == 200
    assert {"metadata", "system", "database", "deployment", "health", "metrics"} <= doc.keys()
    assert doc["metadata"]["endpoint"] == "/admin/version"
    assert doc["metadata"]["requestedBy"] == "system"
    system = doc["system"]
    assert system["version"] == "UMIG-v1.2.0-rc.2"
    assert re.fullmatch(r"\d+h", system["uptime"])
    assert system["uptime"] == f"{int(sim.reading('uat').uptime_seconds // 3600)}h"
    versions = {name: part["version"] for name, part in system["components"].items()}
    assert versions == {"api": "v2.4.0", "ui": "v1.0.0", "backend": "v1.0.0", "database": "v1.31.0"}
    assert (doc["health"]["status"], doc["health"]["score"]) == ("healthy", 100)
    assert doc["deployment"]["deployedBy"] == "automation"
    # Different environments run different releases.
    assert get(sim, "production", "adminVersion")[1]["system"]["version"] == "UMIG-v1.1.2"


def test_build_properties_are_set_for_production_and_uat_only() -> None:
    sim = v2()
    uat = get(sim, "uat", "adminVersion")[1]
    assert uat["system"]["buildNumber"] == "rc.2"
    assert uat["system"]["deploymentTarget"] == "UAT/Staging"
    assert uat["deployment"]["buildTag"] == "v1.2.0-rc.2"
    assert re.fullmatch(r"[0-9a-f]{40}", uat["deployment"]["gitCommit"])
    assert uat["deployment"]["environment"] == "uat"
    assert uat["deployment"]["deployedAt"] == sim.envs["uat"].release.deployed_at
    prod = get(sim, "production", "adminVersion")[1]
    assert prod["system"]["deploymentTarget"] == "Production"
    assert prod["deployment"]["gitCommit"] != uat["deployment"]["gitCommit"]

    dev = get(sim, "development", "adminVersion")[1]
    assert dev["system"]["buildNumber"] == "1.0.0-SNAPSHOT"
    assert dev["system"]["deploymentTarget"] == "Development"
    assert dev["deployment"]["buildTag"] == "v1.31.0-rc1"
    assert dev["deployment"]["gitCommit"] == DEFAULT_GIT_COMMIT
    assert len(DEFAULT_GIT_COMMIT) == 39
    assert dev["deployment"]["environment"] == "development"
    assert dev["deployment"]["deployedAt"] == iso(START)  # the request time


def test_build_properties_can_be_switched_by_update_and_control() -> None:
    sim = v2()
    sim.update("uat", build_properties=False)
    assert get(sim, "uat", "adminVersion")[1]["system"]["buildNumber"] == "1.0.0-SNAPSHOT"
    sim.control("hotfix", {"build_properties": True})
    hotfix = get(sim, "hotfix", "adminVersion")[1]
    assert hotfix["deployment"]["environment"] == "hotfix"
    assert hotfix["system"]["deploymentTarget"] == "Development"
    with pytest.raises(ValueError, match="build_properties must be true or false"):
        sim.update("uat", build_properties="yes")


def test_the_other_admin_endpoints_carry_their_constants() -> None:
    sim = v2()
    components = get(sim, "uat", "adminComponents")[1]
    matrix = components["versionMatrix"]
    assert [row["component"] for row in matrix] == ["API", "UI", "Backend", "Database"]
    assert components["components"]["ui"]["componentOrchestrator"] == "active"
    assert get(sim, "uat", "adminCompatibility")[1]["overallCompatibility"] == 0.975
    build = get(sim, "uat", "adminBuildInfo")[1]
    memory = build["environment"]["jvm"]["memory"]
    assert 0 < memory["used"] < memory["total"] <= memory["max"]
    assert build["build"]["version"] == "UMIG-v1.2.0-rc.2"
    assert get(sim, "uat", "testEndpoint") == (
        200,
        {"status": "ok", "message": "Test endpoint is working"},
    )
    assert get(sim, "uat", "healthCheck")[1]["service"] == "TeamMembersApi"
    environments = [get(sim, env, "urlConfigurationHealth")[1]["environment"] for env in sim.names]
    assert environments == ["DEV", "UAT", "PROD", "DEV"]


# -- databaseVersionsHealth and dashboard/health ---------------------------------------------------


@pytest.mark.parametrize(
    ("setting", "word", "http"),
    [
        ({"status": "healthy"}, "HEALTHY", 200),
        ({"status": "degraded"}, "DEGRADED", 206),
        ({"status": "maintenance"}, "DEGRADED", 206),
        ({"status": "unhealthy"}, "UNHEALTHY", 503),
        ({"db_status": "degraded"}, "DEGRADED", 206),
        ({"db_status": "unhealthy"}, "UNHEALTHY", 503),
    ],
)
def test_database_versions_health_follows_the_environment(
    setting: dict[str, str], word: str, http: int
) -> None:
    sim = v2()
    sim.update("uat", **setting)
    status, doc = get(sim, "uat", "databaseVersionsHealth")
    assert (status, doc["overall"]["status"]) == (http, word)
    database = doc["components"]["database"]
    assert database["status"] == word
    assert database["details"]["totalMigrations"] == database["details"]["executedMigrations"] == 31
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{1,6}", database["details"]["lastExecution"]
    )
    assert doc["components"]["api"]["status"] == "HEALTHY"
    assert [check["name"] for check in doc["checks"]] == [
        "database_connectivity",
        "migration_completeness",
        "api_responsiveness",
    ]
    assert sum(doc["summary"].values()) == 3


def test_database_down_is_the_psql_exception_shape() -> None:
    sim = v2()
    sim.update("uat", db_status="down")
    status, doc = get(sim, "uat", "databaseVersionsHealth")
    assert status == 503
    assert doc["overall"]["status"] == "UNHEALTHY"
    assert "error" in doc["overall"]
    assert doc["components"] == {
        "database": {"status": "UNHEALTHY", "error": "Database connectivity failed"}
    }
    assert "checks" not in doc
    assert doc["summary"]["unhealthy"] == 1


def test_dashboard_health_scores_the_database_round_trip() -> None:
    sim = v2()
    status, doc = get(sim, "uat", "dashboard/health")
    assert status == 200
    assert [c["name"] for c in doc["components"]] == ["Database", "API", "Background Tasks"]
    database, api, tasks = doc["components"]
    expected_ms = max(2, int(sim.reading("uat").response_time_ms / 14))
    assert (database["responseTime"], database["score"], database["status"]) == (
        expected_ms,
        100,
        "good",
    )
    assert (api["status"], api["score"]) == ("good", 95)
    assert re.fullmatch(r"\d+ tasks in last hour", tasks["detail"])
    assert tasks["status"] == ("warning" if tasks["score"] == 70 else "good")
    mean = (database["score"] + api["score"] + tasks["score"]) / 3
    assert doc["score"] == int(mean + 0.5)
    assert doc["value"] == doc["status"].capitalize()

    sim.update("uat", response_factor=10.0)  # a slow database: over 100 ms
    slow = get(sim, "uat", "dashboard/health")[1]["components"][0]
    assert slow["responseTime"] > 100
    assert slow["score"] == 90


def test_dashboard_health_answers_200_with_an_error_when_the_database_is_down() -> None:
    sim = v2()
    sim.update("uat", db_status="down")
    assert get(sim, "uat", "dashboard/health") == (
        200,
        {
            "value": "Unknown",
            "score": None,
            "status": "error",
            "components": [],
            "detail": "Health check failed",
            "error": "Connection refused",
        },
    )


# -- the changelog --------------------------------------------------------------------------------


def test_executed_changesets_follow_the_schema_id_with_stable_names() -> None:
    sim = v2()
    lists = {env: get(sim, env, "databaseVersions")[1] for env in ("development", "uat")}
    assert (lists["uat"]["count"], lists["development"]["count"]) == (31, 32)  # "031", "032-dev"
    uat = [row["filename"] for row in lists["uat"]["migrations"]]
    dev = [row["filename"] for row in lists["development"]["migrations"]]
    assert uat[-1] == "changelogs/031_dto_performance_optimization.sql"
    assert dev[:31] == uat  # the same NNN has the same name everywhere
    assert all(re.fullmatch(r"changelogs/\d{3}_[a-z0-9_]+\.sql", name) for name in dev)
    row = lists["uat"]["migrations"][0]
    assert (row["id"], row["executionType"], row["orderExecuted"], row["isExecuted"]) == (
        "001_baseline_schema",
        "EXECUTED",
        1,
        True,
    )
    assert row["author"]
    assert row["checksum"].startswith("9:")
    stats = get(sim, "uat", "databaseVersionsStatistics")[1]
    assert stats["statistics"]["totalMigrations"] == 31
    assert len(stats["statistics"]["recentMigrations"]) == 10
    assert stats["statistics"]["recentMigrations"][0]["filename"] == uat[-1]
    assert stats["healthStatus"] == "HEALTHY"


def test_a_deploy_changes_the_version_and_runs_the_new_changesets() -> None:
    clock = Clock()
    sim = v2(clock)
    before = get(sim, "production", "databaseVersions")[1]["migrations"]
    assert len(before) == 30
    sim.deploy("production", "1.2.0", after=10, downtime=5, database="031")
    clock.now += 12  # down for the deploy
    answer = sim.respond("production", PREFIX + "adminVersion")
    assert answer.status == 503
    assert b"deployment in progress" in answer.body
    clock.now += 5
    assert get(sim, "production", "adminVersion")[1]["system"]["version"] == "UMIG-v1.2.0"
    after = get(sim, "production", "databaseVersions")[1]["migrations"]
    assert after[:30] == before  # what ran before stays as it ran
    assert after[-1]["filename"] == "changelogs/031_dto_performance_optimization.sql"
    assert after[-1]["executedAt"].startswith(sql_timestamp(START + 15)[:19])
    health = get(sim, "production", "databaseVersionsHealth")[1]
    assert health["components"]["database"]["details"]["lastExecution"] == after[-1]["executedAt"]
    # A rollback to an older schema takes the newer changesets out of the changelog.
    sim.deploy("production", "1.1.2", database="030")
    assert get(sim, "production", "databaseVersions")[1]["count"] == 30


# -- teams, users, probes -----------------------------------------------------------------------


def test_teams_and_users_are_arrays_of_rows() -> None:
    sim = v2()
    status, teams = get(sim, "uat", "teams")
    assert status == 200
    assert isinstance(teams, list)
    assert set(teams[0]) == TEAM_KEYS
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000", teams[0]["created_at"])
    users = get(sim, "uat", "users")[1]
    assert isinstance(users, list)
    assert len(users) >= 3
    sim.update("uat", teams_status=500)
    assert sim.respond("uat", PREFIX + "teams").status == 500
    assert sim.respond("uat", PREFIX + "users").status == 200


def test_the_probe_endpoints_take_the_environments_response_time() -> None:
    plain, slower = v2(), v2()
    slower.control("uat", {"version": "1.2.1", "deploy_response_factor": 1.3})
    for path in ("teams", "users"):
        before = plain.respond("uat", PREFIX + path).delay
        after = slower.respond("uat", PREFIX + path).delay
        assert before == pytest.approx(plain.reading("uat").response_time_ms / 1000)
        assert after == pytest.approx(before * 1.3)
    assert plain.respond("uat", PREFIX + "adminVersion").delay == 0.0
    assert v2(probe_delay_factor=0.0).respond("uat", PREFIX + "teams").delay == 0.0
    seed = Simulator(4, clock=Clock())
    assert seed.respond("uat", PREFIX + "teams").delay == 0.0  # us088 is as it was


def test_a_frozen_clock_gives_frozen_bodies() -> None:
    one, two = v2(), v2()
    for env in one.names:
        for path in sorted(V2_PATHS):
            first = one.respond(env, PREFIX + path)
            assert first.body == one.respond(env, PREFIX + path).body, (env, path)
            assert first.body == two.respond(env, PREFIX + path).body, (env, path)


# -- faults -------------------------------------------------------------------------------------


def _statuses(sim: Simulator, paths: set[str]) -> dict[str, int]:
    return {path: sim.respond("uat", PREFIX + path).status for path in sorted(paths)}


@pytest.mark.parametrize(
    ("endpoint", "broken"),
    [
        ("health", {"databaseVersionsHealth", "dashboard/health", "testEndpoint", "healthCheck"}),
        ("version", {"adminVersion", "databaseVersions", "databaseVersionsStatistics"}),
        ("components", {"adminComponents"}),
        ("metrics", {"teams", "users"}),
        ("teams", {"teams"}),
        ("dashboard/health", {"dashboard/health"}),
        ("databaseVersionsHealth", {"databaseVersionsHealth"}),
        ("users", {"users"}),
        ("adminBuildInfo", {"adminBuildInfo"}),
        (None, V2_PATHS),
    ],
)
def test_v2_faults_by_signal_or_by_path(endpoint: str | None, broken: set[str]) -> None:
    sim = v2()
    sim.set_fault("uat", "http500", endpoint)
    assert _statuses(sim, V2_PATHS) == {p: 500 if p in broken else 200 for p in V2_PATHS}
    sim.set_fault("uat", None, endpoint)
    assert set(_statuses(sim, V2_PATHS).values()) == {200}


def test_scriptrunner_faults_by_signal_or_by_path() -> None:
    sim = Simulator(4, dialect="us088-scriptrunner", clock=Clock())
    sim.set_fault("uat", "http503", "health")
    assert sim.respond("uat", PREFIX + "adminHealth").status == 503
    assert sim.respond("uat", PREFIX + "adminVersion").status == 200
    sim.set_fault("uat", None)
    sim.set_fault("uat", "http503", "adminMetricsPrometheus")
    assert sim.respond("uat", PREFIX + "adminMetricsPrometheus").status == 503
    assert sim.respond("uat", PREFIX + "adminHealth").status == 200


def test_an_unknown_endpoint_names_the_known_ones() -> None:
    sim = v2()
    with pytest.raises(
        ValueError, match="unknown endpoint 'adminHealth'; use one of health, "
    ) as e:
        sim.set_fault("uat", "http500", "adminHealth")  # a path of another dialect
    assert "databaseVersionsHealth" in str(e.value)
    assert "dashboard/health" in str(e.value)
    with pytest.raises(ValueError, match="unknown endpoint 'databaseVersionsHealth'"):
        Simulator(4, clock=Clock()).set_fault("uat", "http500", "databaseVersionsHealth")


def test_every_fault_works_on_every_v2_path() -> None:
    sim = v2()
    for kind in FAULTS:
        for path in sorted(V2_PATHS):
            sim.set_fault("uat", kind, path)
            answer = sim.respond("uat", PREFIX + path)
            assert answer.status or answer.action, (kind, path)
            sim.set_fault("uat", None)


def test_the_hostile_fault_poisons_arrays_too() -> None:
    sim = v2()
    sim.set_fault("uat", "hostile", "teams")
    teams = json.loads(sim.respond("uat", PREFIX + "teams").body)
    assert isinstance(teams, list)
    assert HOSTILE_TEXT in teams[0]["tms_name"]
    sim.set_fault("uat", "hostile", "databaseVersionsHealth")
    doc = json.loads(sim.respond("uat", PREFIX + "databaseVersionsHealth").body)
    assert HOSTILE_TEXT in doc["components"]["database"]["details"]["liquibaseTable"]
    assert doc["overall"]["status"] == "HEALTHY"  # status words stay readable


# -- over HTTP ----------------------------------------------------------------------------------


def test_server_thread_serves_the_v2_dialect() -> None:
    with ServerThread(Simulator(4, dialect="umig-admin-v2", scenario="static")) as server:
        url = server.env_urls()["uat"] + PREFIX
        with urllib.request.urlopen(url + "adminVersion", timeout=10) as answer:
            assert json.load(answer)["system"]["version"] == "UMIG-v1.2.0-rc.2"
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(url + "admin/health", timeout=10)
        assert missing.value.code == 404
        missing.value.close()


async def test_demo_server_profile_umig_admin_v2_starts(capsys: pytest.CaptureFixture[str]) -> None:
    argv = "demo-server --profile umig-admin-v2 --port 0 --scenario static --fault"
    args = build_parser().parse_args([*argv.split(), "uat=http500:dashboard/health"])
    task = asyncio.ensure_future(run(args))
    out = ""
    for _ in range(200):
        await asyncio.sleep(0.02)
        out += capsys.readouterr().out
        if "control:" in out:
            break
    try:
        assert "(static scenario, umig-admin-v2 dialect)" in out, out
        match = re.search(r"^\s+uat\s+(http://\S+)$", out, re.M)
        assert match, out
        async with httpx.AsyncClient(base_url=match.group(1) + PREFIX) as client:
            assert (await client.get("databaseVersionsHealth")).status_code == 200
            assert (await client.get("dashboard/health")).status_code == 500
            assert (await client.get("admin/health")).status_code == 404
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def test_demo_server_rejects_an_endpoint_its_profile_does_not_serve(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = [
        "demo-server",
        "--port",
        "0",
        "--profile",
        "umig-admin-v2",
        "--fault",
        "uat=hang:adminHealth",
    ]
    assert main(argv) == 2
    assert "unknown endpoint 'adminHealth'" in capsys.readouterr().err
