"""``umig-tui drift`` as a subprocess against the demo-server on loopback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import write_config
from tests.integration.conftest import FAST_POLLING, run_cli
from umig_tui.demo.server import ServerThread
from umig_tui.models import COMPONENT_KEYS

FINDING_KEYS = {"kind", "severity", "environment", "component", "expected", "actual", "message"}
AGREED = {"version": "1.2.0", "database": "031", "api": "2.3.1"}


def drift_json(config: Path) -> tuple[int, dict[str, Any]]:
    proc = run_cli("drift", "--config", config, "--json", "--no-store")
    assert proc.stdout, proc.stderr
    return proc.returncode, json.loads(proc.stdout)


@pytest.fixture
def agreeing_fleet(demo_server: ServerThread) -> dict[str, str]:
    """Every environment runs 1.2.0 with the same schema and API: nothing drifts."""
    for name in demo_server.simulator.names:
        demo_server.control(name, **AGREED)
    return demo_server.env_urls()


def expected_config(path: Path, urls: dict[str, str], umig: str) -> Path:
    matrix = f'[expected]\nproduction = {{ umig = "{umig}", database = "031", api = "2.3.1" }}\n'
    return write_config(path, urls, FAST_POLLING + "\n" + matrix)


def test_agreeing_fleet_has_no_findings_and_exits_0(
    agreeing_fleet: dict[str, str], tmp_path: Path
) -> None:
    code, document = drift_json(expected_config(tmp_path / "c.toml", agreeing_fleet, "1.2.0"))
    assert code == 0
    assert document["findings"] == []
    assert list(document["matrix"]) == list(agreeing_fleet)
    for row in document["matrix"].values():
        assert row == {
            "umig": "1.2.0",
            "database": "031",
            "api": "v2.3.1",
            "ui": "1.2.0",
            "backend": "1.2.0",
        }


@pytest.mark.parametrize(
    ("expected_umig", "severity", "exit_code"),
    [
        ("2.0.0", "CRITICAL", 1),
        ("1.3.0", "HIGH", 1),
        ("1.2.1", "MEDIUM", 0),
        ("1.2.0rc1", "LOW", 0),
    ],
    ids=["major", "minor", "patch", "pre-release"],
)
def test_exit_1_only_for_critical_or_high(
    expected_umig: str,
    severity: str,
    exit_code: int,
    agreeing_fleet: dict[str, str],
    tmp_path: Path,
) -> None:
    config = expected_config(tmp_path / "c.toml", agreeing_fleet, expected_umig)
    code, document = drift_json(config)
    assert code == exit_code
    assert document["findings"] == [
        {
            "kind": "expected_mismatch",
            "severity": severity,
            "environment": "production",
            "component": "umig",
            "expected": expected_umig,
            "actual": "1.2.0",
            "message": document["findings"][0]["message"],
        }
    ]
    message = document["findings"][0]["message"]
    assert "production" in message
    assert "1.2.0" in message
    assert expected_umig in message


def test_seed_fleet_matrix_and_findings(fleet_config: Path) -> None:
    code, document = drift_json(fleet_config)
    matrix = document["matrix"]
    assert set(matrix) == {"development", "uat", "production", "hotfix"}
    assert all(set(row) == set(COMPONENT_KEYS) for row in matrix.values())
    assert matrix["development"]["umig"] == "1.3.0-dev+ci.1245"
    assert matrix["development"]["database"] == "032-dev"
    assert matrix["hotfix"]["umig"] == "1.1.3+hotfix"
    for finding in document["findings"]:
        assert set(finding) == FINDING_KEYS
        assert finding["severity"] in {"CRITICAL", "HIGH", "MEDIUM", "LOW"}
        assert "\n" not in finding["message"]
    # The hotfix's UI was not rebuilt: component drift inside that environment.
    assert {
        "kind": "component_drift",
        "environment": "hotfix",
        "component": "ui",
        "actual": "1.1.2",
    }.items() <= next(f for f in document["findings"] if f["environment"] == "hotfix").items()
    serious = {f["severity"] for f in document["findings"]} & {"CRITICAL", "HIGH"}
    assert code == (1 if serious else 0)


def test_production_ahead_of_uat_is_a_promotion_violation(
    demo_server: ServerThread, fleet_config: Path
) -> None:
    demo_server.control("production", version="1.3.0", database="032", api="2.4.0")
    code, document = drift_json(fleet_config)
    assert code == 1
    found = {(f["kind"], f["environment"]): f for f in document["findings"]}
    violation = found[("promotion_order", "uat")]
    assert (violation["severity"], violation["expected"], violation["actual"]) == (
        "HIGH",
        "1.3.0",
        "1.2.0-rc.2",
    )
    assert "promotion order" in violation["message"]
    assert found[("behind_production", "hotfix")]["severity"] == "HIGH"


def test_unreachable_environment_has_unknown_versions(
    demo_server: ServerThread, fleet_config: Path
) -> None:
    demo_server.control("uat", fault="refused")
    code, document = drift_json(fleet_config)
    assert set(document["matrix"]["uat"].values()) == {None}
    assert document["matrix"]["production"]["umig"] == "1.1.2"
    assert code in (0, 1)


def test_table_names_every_version(fleet_config: Path) -> None:
    proc = run_cli("drift", "--config", fleet_config, "--no-store")
    assert proc.returncode in (0, 1)
    header, *rows = proc.stdout.split("\n\n")[0].splitlines()
    assert header.split() == ["ENVIRONMENT", *(c.upper() for c in COMPONENT_KEYS)]
    assert [row.split() for row in rows] == [
        ["development", "1.3.0-dev+ci.1245", "032-dev", "v2.4.0-dev", "1.3.0-dev", "1.3.0-dev"],
        ["uat", "1.2.0-rc.2", "031", "v2.3.1", "1.2.0", "1.2.0"],
        ["production", "1.1.2", "030", "v2.3.0", "1.1.2", "1.1.2"],
        ["hotfix", "1.1.3+hotfix", "030", "v2.3.0", "1.1.2", "1.1.3+hotfix"],
    ]
    assert "findings (" in proc.stdout
