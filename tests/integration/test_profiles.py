"""Issue 11, done when: with nothing but name, url and tier configured, against a server that
answers like the shipped application and against the seeds' endpoints at both spellings,
``status`` shows every version and health, an unhealthy database shows, ``drift`` reports an
environment behind production and says when it could not compare; ``probe`` names the profile."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import write_config
from tests.integration.conftest import FAST_POLLING, RawServer, by_name, run_cli, status_json
from umig_tui.demo.server import ServerThread
from umig_tui.demo.simulator import Simulator

# demo-server dialect → the profile label auto-detection must report.
DIALECTS = {
    "us088": "us088 (admin/health)",
    "us088-scriptrunner": "us088 (adminHealth)",
    "umig-admin-v2": "umig-admin-v2",
}
SHIPPED = "umig-admin-v2"


@pytest.fixture(params=list(DIALECTS))
def dialect(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def server(dialect: str) -> Iterator[ServerThread]:
    simulator = Simulator(4, scenario="static", timeout_hint=1.0, dialect=dialect)
    with ServerThread(simulator, port_per_env=True) as thread:
        yield thread


@pytest.fixture
def config(server: ServerThread, tmp_path: Path) -> Path:
    """Nothing but name, url and tier per environment (and fast polling)."""
    return write_config(tmp_path / "umig-tui.toml", server.env_urls(), FAST_POLLING)


def shown_version(dialect: str, version: str) -> str:
    """The shipped application prefixes its version with the product name, shown raw."""
    return f"UMIG-v{version}" if dialect == SHIPPED else version


def test_status_reads_every_version_and_health_and_names_the_profile(
    dialect: str, config: Path
) -> None:
    code, document = status_json(config)
    envs = by_name(document)
    assert code == 0, json.dumps(document, indent=2)
    assert envs["uat"]["version"] == shown_version(dialect, "1.2.0-rc.2")
    assert envs["production"]["version"] == shown_version(dialect, "1.1.2")
    for env in envs.values():
        assert env["status"] == "healthy", env
        assert env["profile"] == DIALECTS[dialect]
        assert env["health_source"]
        assert env["uptime"]
    if dialect == SHIPPED:
        production = envs["production"]
        assert production["health_source"].startswith("databaseVersionsHealth")
        assert production["not_available"] == ["components"]
        assert production["endpoints"]["version"] == "adminVersion"
        assert production["metrics"]["response_time_ms"] is not None  # timed probes
        assert production["metrics"]["error_rate"] is None  # not measured: not invented


def test_an_unhealthy_database_makes_the_environment_unhealthy(
    dialect: str, server: ServerThread, config: Path
) -> None:
    if dialect == SHIPPED:
        server.control("production", db_status="down")
    else:
        server.control("production", status="unhealthy")
    code, document = status_json(config)
    production = by_name(document)["production"]
    assert code == 1
    assert production["status"] == "unhealthy", production
    assert by_name(document)["uat"]["status"] == "healthy"
    if dialect == SHIPPED:
        assert "databaseVersionsHealth" in production["reason"], production["reason"]


def test_a_degraded_database_degrades_the_environment(server: ServerThread, config: Path) -> None:
    server.control("uat", status="degraded")
    code, document = status_json(config)
    assert code == 1
    assert by_name(document)["uat"]["status"] == "degraded"


def test_drift_reports_an_environment_behind_production(
    dialect: str, server: ServerThread, config: Path
) -> None:
    server.control("development", version="1.0.0")
    proc = run_cli("drift", "--config", config, "--json", "--no-store")
    document = json.loads(proc.stdout)
    assert proc.returncode == 1, proc.stdout
    behind = [f for f in document["findings"] if f["kind"] == "behind_production"]
    assert [f["environment"] for f in behind] == ["development"], document["findings"]
    assert document["unreadable"] == {}
    if dialect == SHIPPED:
        # The shipped application's components have their own version lines: no noise.
        assert not [f for f in document["findings"] if f["kind"] == "component_drift"]


def test_drift_with_every_environment_down_says_it_could_not_compare(
    server: ServerThread, config: Path
) -> None:
    for env in ("development", "uat", "production", "hotfix"):
        server.control(env, fault="refused")
    proc = run_cli("drift", "--config", config, "--no-store")
    assert proc.returncode == 1
    assert "cannot compare" in proc.stdout
    assert "no drift found" not in proc.stdout
    proc = run_cli("drift", "--config", config, "--no-store", "--json")
    document = json.loads(proc.stdout)
    assert set(document["unreadable"]) == {"development", "uat", "production", "hotfix"}
    assert document["compared"] == 0


def test_schema_drift_from_executed_changesets(tmp_path: Path) -> None:
    simulator = Simulator(4, scenario="static", timeout_hint=1.0, dialect=SHIPPED)
    with ServerThread(simulator, port_per_env=True) as server:
        config = write_config(tmp_path / "umig-tui.toml", server.env_urls(), FAST_POLLING)
        server.control("uat", version="1.2.0", database="034")
        proc = run_cli("drift", "--config", config, "--json", "--no-store")
    document = json.loads(proc.stdout)
    schema = [f for f in document["findings"] if f["kind"] == "schema_drift"]
    messages = [f["message"] for f in schema]
    assert any(m.startswith("production lacks 4 changesets uat has: 031_") for m in messages), (
        messages
    )


def test_the_profile_is_detected_once_per_store(
    dialect: str, server: ServerThread, config: Path, tmp_path: Path
) -> None:
    store = tmp_path / "store.db"
    first = run_cli("status", "--config", config, "--store", store)
    assert first.returncode == 0, first.stdout + first.stderr
    before = len(server.requests())
    second = run_cli("status", "--config", config, "--store", store, "--json")
    assert second.returncode == 0
    sent = server.requests()[before:]
    # One request per path a signal needs; no probe of another profile's paths.
    paths = {r.target.split("/custom/", 1)[1].split("?")[0] for r in sent}
    expected = {
        "us088": {"admin/health", "admin/version", "admin/components", "admin/metrics/prometheus"},
        "us088-scriptrunner": {
            "adminHealth",
            "adminVersion",
            "adminComponents",
            "adminMetricsPrometheus",
        },
        SHIPPED: {
            "databaseVersionsHealth",
            "dashboard/health",
            "adminVersion",
            "databaseVersions",
            "teams",
            "users",
        },
    }[dialect]
    assert paths == expected


def test_an_environment_configured_as_another_profile_says_which_it_speaks(
    tmp_path: Path,
) -> None:
    simulator = Simulator(1, scenario="static", timeout_hint=1.0, dialect=SHIPPED)
    with ServerThread(simulator, port_per_env=True) as server:
        urls = server.env_urls()
        config = write_config(tmp_path / "umig-tui.toml", urls, FAST_POLLING)
        text = config.read_text().replace(
            'tier = "development"', 'tier = "development"\nprofile = "us088"'
        )
        config.write_text(text)
        code, document = status_json(config)
    env = document["environments"][0]
    assert code == 1
    assert env["status"] == "unreachable"
    assert env["error"]["kind"] == "not_found"
    assert 'answers as umig-admin-v2: set profile = "umig-admin-v2"' in env["error"]["reason"]


async def test_a_host_that_serves_none_of_the_paths_is_not_found(tmp_path: Path) -> None:
    async with RawServer(not_found) as raw:
        config = write_config(tmp_path / "umig-tui.toml", {"production": raw.url}, FAST_POLLING)
        code, document = await asyncio.to_thread(status_json, config)
        probe = await asyncio.to_thread(run_cli, "probe", raw.url)
    env = document["environments"][0]
    assert code == 1
    assert env["error"]["kind"] == "not_found"
    assert "HTTP 404 for every known endpoint" in env["error"]["reason"]
    assert "umig-tui probe" in env["error"]["reason"]
    assert probe.returncode == 1
    assert "no built-in profile answers" in probe.stdout
    assert probe.stdout.count("not_found") == 5  # one line per candidate


async def not_found(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    body = b'{"message": "Not Found"}'
    writer.write(
        b"HTTP/1.1 404 Not Found\r\ncontent-type: application/json\r\n"
        b"content-length: %d\r\nconnection: close\r\n\r\n%s" % (len(body), body)
    )
    await writer.drain()


def test_probe_names_the_profile_and_every_signal(dialect: str, server: ServerThread) -> None:
    url = server.env_urls()["production"]
    proc = run_cli("probe", url)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"would pick: {DIALECTS[dialect]}" in proc.stdout
    proc = run_cli("probe", url, "--json")
    report = json.loads(proc.stdout)
    assert report["profile"] == DIALECTS[dialect]
    assert report["signals"]["version"]["ok"]
    assert report["signals"]["health"]["ok"]
    lines = {c["path"]: c for c in report["candidates"]}
    assert set(lines) == {
        "adminVersion",
        "admin/version",
        "databaseVersionsHealth",
        "adminHealth",
        "admin/health",
    }
    assert all(c["latency_ms"] is not None for c in lines.values())


def test_probe_stops_at_refused_credentials(server: ServerThread) -> None:
    """Confluence asks for a CAPTCHA after a few failed logins: one is enough to know."""
    server.control("production", fault="http401")
    before = len(server.requests())
    proc = run_cli("probe", server.env_urls()["production"])
    assert proc.returncode == 1
    sent = len(server.requests()) - before
    assert sent <= 2  # a 404 for a path this dialect lacks, then the one refused login
    assert "credentials refused: HTTP 401" in proc.stdout
    assert proc.stdout.count("not asked") == 5 - sent
