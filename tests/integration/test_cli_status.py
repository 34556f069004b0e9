"""``umig-tui status`` as a subprocess against the demo-server on loopback."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import cli_env
from tests.integration.conftest import CONTROL_CHARS, by_name, run_cli, status_json
from tests.integration.test_fetch_errors import (
    SECRETS_ENVIRON,
    auth_config,
    check_credentials,
)
from umig_tui.demo.server import ServerThread

STATUS_WORDS = {"healthy", "degraded", "unhealthy", "unreachable"}
SEED_VERSIONS = {
    "development": "1.3.0-dev+ci.1245",
    "uat": "1.2.0-rc.2",
    "production": "1.1.2",
    "hotfix": "1.1.3+hotfix",
}


def assert_documented_shape(env: dict[str, Any]) -> None:
    """The keys and types README and issue 2 promise to scripts (more keys may follow)."""
    documented = {
        "name",
        "tier",
        "status",
        "version",
        "uptime",
        "latency_ms",
        "error",
        "components",
        "metrics",
    }
    assert documented <= set(env), documented - set(env)
    assert isinstance(env["name"], str)
    assert env["tier"] in {"development", "uat", "production", "hotfix"}
    assert env["status"] in STATUS_WORDS
    assert env["version"] is None or isinstance(env["version"], str)
    assert env["uptime"] is None or isinstance(env["uptime"], str)
    assert env["latency_ms"] is None or isinstance(env["latency_ms"], int | float)
    error = env["error"]
    if error is not None:
        assert set(error) == {"kind", "reason", "http_status"}
        assert error["kind"] in {
            "connect_error",
            "timeout",
            "http_error",
            "auth_required",
            "invalid_response",
            "too_large",
        }
        assert isinstance(error["reason"], str)
        assert error["reason"]
        assert error["http_status"] is None or isinstance(error["http_status"], int)
    assert isinstance(env["components"], dict)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in env["components"].items())
    assert isinstance(env["metrics"], dict)
    assert all(v is None or isinstance(v, int | float) for v in env["metrics"].values())


def test_json_has_the_documented_shape_and_exit_0_when_all_healthy(fleet_config: Path) -> None:
    code, document = status_json(fleet_config)
    assert code == 0
    assert isinstance(document["environments"], list)
    for env in document["environments"]:
        assert_documented_shape(env)
    envs = by_name(document)
    assert list(envs) == list(SEED_VERSIONS)  # config order
    for name, version in SEED_VERSIONS.items():
        env = envs[name]
        assert (env["status"], env["version"], env["error"]) == ("healthy", version, None)
        assert env["uptime"]
        assert env["latency_ms"] is not None
        assert env["latency_ms"] < 1000
        assert env["components"]["database"] == "healthy"
        assert env["metrics"]["response_time_ms"] > 0
        assert 0 <= env["metrics"]["error_rate"] < 0.05


@pytest.mark.parametrize(
    ("env", "command", "status", "error_kind"),
    [
        ("uat", {"fault": "http500"}, "unreachable", "http_error"),
        ("production", {"status": "unhealthy"}, "unhealthy", None),
        ("uat", {"error_rate": 0.2}, "degraded", None),
        ("hotfix", {"orchestrator": "failed"}, "degraded", None),
    ],
    ids=["http500", "unhealthy", "error-rate", "orchestrator"],
)
def test_one_bad_environment_makes_exit_1(
    env: str,
    command: dict[str, Any],
    status: str,
    error_kind: str | None,
    demo_server: ServerThread,
    fleet_config: Path,
) -> None:
    demo_server.control(env, **command)
    code, document = status_json(fleet_config)
    assert code == 1
    for item in document["environments"]:
        assert_documented_shape(item)
    envs = by_name(document)
    assert envs.pop(env)["status"] == status
    assert {e["status"] for e in envs.values()} == {"healthy"}
    error = by_name(document)[env]["error"]
    if error_kind is None:
        assert error is None
    else:
        assert error["kind"] == error_kind
        assert error["http_status"] == 500
        assert "\n" not in error["reason"]


def test_env_option_filters_in_config_order(fleet_config: Path) -> None:
    code, document = status_json(fleet_config, "--env", "production", "--env", "uat")
    assert code == 0
    assert [env["name"] for env in document["environments"]] == ["uat", "production"]


def test_unknown_env_is_a_usage_error(fleet_config: Path) -> None:
    proc = run_cli("status", "--config", fleet_config, "--env", "staging", "--no-store")
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.strip() == (
        "umig-tui: unknown environment 'staging'; configured: development, hotfix, production, uat"
    )


def test_table_shows_status_words_and_whole_versions(
    demo_server: ServerThread, fleet_config: Path
) -> None:
    demo_server.control("hotfix", fault="http503")
    proc = run_cli("status", "--config", fleet_config, "--no-store")
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("fleet: 4 environments, worst unreachable")
    assert lines[1].split()[:4] == ["ENVIRONMENT", "TIER", "STATUS", "VERSION"]
    rows = {line.split()[0]: line for line in lines[2:]}
    for name in ("development", "uat", "production"):
        assert re.match(
            rf"{name}\s+{name}\s+healthy\s+{re.escape(SEED_VERSIONS[name])}\s", rows[name]
        )
    assert re.match(r"hotfix\s+hotfix\s+unreachable\s", rows["hotfix"])
    assert "http_error: HTTP 503 Service Unavailable" in rows["hotfix"]
    assert "\x1b" not in proc.stdout  # not a terminal: no colour


def test_hostile_strings_reach_neither_table_nor_json_as_escapes(
    demo_server: ServerThread, fleet_config: Path
) -> None:
    demo_server.control("uat", fault="hostile")
    table = run_cli("status", "--config", fleet_config, "--no-store")
    code, document = status_json(fleet_config)
    assert table.returncode == code == 0
    assert not CONTROL_CHARS.search(table.stdout.replace("\n", ""))
    uat = by_name(document)["uat"]
    assert uat["version"].startswith("1.2.0-rc.2")
    for value in (uat["version"], uat["uptime"], *uat["components"]):
        assert not CONTROL_CHARS.search(value)


def test_demo_flag_needs_no_server() -> None:
    table = run_cli("status", "--demo", "--no-store")
    assert table.returncode == 0
    assert table.stdout.startswith("DEMO fleet: 4 environments, worst healthy")
    for version in SEED_VERSIONS.values():
        assert version in table.stdout
    proc = run_cli("status", "--demo", "--no-store", "--json", "--env", "uat")
    assert proc.returncode == 0
    document = json.loads(proc.stdout)
    assert document["demo"] is True
    assert [env["name"] for env in document["environments"]] == ["uat"]


def _count(db: Path, table: str) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def test_samples_are_recorded_to_the_store(fleet_config: Path, tmp_path: Path) -> None:
    db = tmp_path / "history.db"
    proc = run_cli("status", "--config", fleet_config, "--store", db)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert _count(db, "samples") > 0
    with sqlite3.connect(db) as conn:
        latest = conn.execute("SELECT env, endpoint, ok FROM latest").fetchall()
    assert {(env, endpoint) for env, endpoint, _ in latest} == {
        (env, endpoint)
        for env in SEED_VERSIONS
        for endpoint in ("health", "version", "components", "metrics")
    }
    assert all(ok for *_, ok in latest)


def test_no_store_records_nothing(fleet_config: Path, tmp_path: Path) -> None:
    db = tmp_path / "history.db"
    proc = run_cli("status", "--config", fleet_config, "--store", db, "--no-store")
    assert proc.returncode == 0
    assert not db.exists()
    assert not list(tmp_path.rglob("*.db"))
    # Without --no-store the default location fills: the check above could have failed.
    assert run_cli("status", "--config", fleet_config).returncode == 0
    assert [p.name for p in (tmp_path / "state").rglob("*.db")] == ["samples.db"]


def test_credentials_from_environment_variables_go_to_their_environment_only(
    demo_server: ServerThread, tmp_path: Path
) -> None:
    config = auth_config(tmp_path / "auth.toml", demo_server.env_urls())
    proc = run_cli("status", "--config", config, "--json", env=cli_env(**SECRETS_ENVIRON))
    assert proc.returncode == 0, proc.stderr
    check_credentials(demo_server)
    secrets = SECRETS_ENVIRON.values()
    assert not [s for s in secrets if s in proc.stdout + proc.stderr]
    for db in (tmp_path / "state").rglob("*.db*"):  # nor in the store
        assert not [s for s in secrets if s.encode() in db.read_bytes()]
