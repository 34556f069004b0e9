"""`export prometheus` (once), `report`, `snapshot` and `timeline` as subprocesses against the
demo-server on loopback (or --demo), each with its own store: exit codes and output shapes.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.integration.conftest import run_cli
from tests.unit.test_export_prometheus import ABBREVIATED, by, lint, parse
from umig_tui.demo.server import ServerThread
from umig_tui.models import EnvStatus

DEMO_ENVS = ("development", "uat", "production", "hotfix")


def releases(server: ServerThread) -> dict[str, tuple[str, str]]:
    """What each simulated environment runs: name → (version, build)."""
    envs = server.call(lambda: dict(server.simulator.envs))
    return {name: (sim.release.version, sim.release.build) for name, sim in envs.items()}


# -- export prometheus ---------------------------------------------------------------------------


def test_export_prints_the_fleet_as_the_demo_server_runs_it(
    demo_server: ServerThread, fleet_config: Path
) -> None:
    demo_server.control("hotfix", fault="refused")
    proc = run_cli("export", "prometheus", "--config", fleet_config, "--no-store")
    assert proc.returncode == 0, proc.stderr
    families = parse(proc.stdout)
    running = releases(demo_server)
    assert by(families["umig_version_info"], "environment", "version", "build") == {
        (env, *running[env]): 1.0 for env in ("development", "uat", "production")
    }
    assert by(families["umig_health_status"], "environment") == {
        ("development",): 1.0,
        ("uat",): 1.0,
        ("production",): 1.0,
        ("hotfix",): 0.0,
    }
    status = by(families["umig_environment_status"], "environment", "status")
    assert status[("hotfix", str(EnvStatus.UNREACHABLE))] == 1.0
    assert {env for (env,) in by(families["umig_uptime_seconds"], "environment")} == {
        "development",
        "uat",
        "production",
    }
    errors = by(families["umig_poll_errors"], "environment", "kind")
    assert set(errors) == {("hotfix", "connect_error")}
    assert errors[("hotfix", "connect_error")] >= 1  # every endpoint of hotfix failed
    assert "umig_api_response_time_ms" in families
    assert proc.stderr == ""


def test_export_with_base_units_from_the_embedded_demo_passes_promtool() -> None:
    proc = run_cli("export", "prometheus", "--demo", "--no-store", "--base-units")
    assert proc.returncode == 0, proc.stderr
    families = parse(proc.stdout)
    assert {env for (env,) in by(families["umig_health_status"], "environment")} == set(DEMO_ENVS)
    assert "umig_api_response_time_ms" not in families
    seconds = by(families["umig_api_response_time_seconds"], "environment")
    assert all(0 < value < 5 for value in seconds.values()), seconds  # ~0.17 s, not 170
    assert lint(proc.stdout.encode()) == (0, [])


def test_export_with_the_seed_names_has_only_the_abbreviated_unit_complaint(
    demo_server: ServerThread, fleet_config: Path
) -> None:
    proc = run_cli("export", "prometheus", "--config", fleet_config, "--no-store")
    assert proc.returncode == 0, proc.stderr
    code, problems = lint(proc.stdout.encode())
    assert problems == [ABBREVIATED]
    assert code != 0


def test_export_with_a_bad_listen_address_is_a_usage_error() -> None:
    proc = run_cli("export", "prometheus", "--demo", "--no-store", "--serve", "localhost")
    assert proc.returncode == 2
    assert "--serve 'localhost': use HOST:PORT" in proc.stderr


# -- report --------------------------------------------------------------------------------------


def test_report_in_every_format(
    demo_server: ServerThread, fleet_config: Path, tmp_path: Path
) -> None:
    store = tmp_path / "report.db"
    common = ("--config", fleet_config, "--store", store, "--since", "24h")

    first = run_cli("report", *common, "--format", "json")
    assert first.returncode == 0, first.stderr
    document = json.loads(first.stdout)
    assert [env["name"] for env in document["environments"]] == list(DEMO_ENVS)
    assert all(env["health"] == "healthy" for env in document["environments"])
    # A fresh store: the health checks are this run's own poll, not zero.
    assert document["health"] == {
        env: {"checks": 1, "healthy": 1, "unhealthy": 0} for env in DEMO_ENVS
    }
    assert all(document["performance"][env]["samples"] >= 1 for env in DEMO_ENVS)
    assert document["since"] == pytest.approx(document["generated_at"] - 86400)
    assert document["notice"] is None

    markdown = run_cli("report", *common, "--format", "md")
    assert markdown.returncode == 0, markdown.stderr
    assert markdown.stdout.startswith("# UMIG daily status report — ")
    for heading in ("## Environments", "## Deployments (last 24 hours)", "## Health"):
        assert f"\n{heading}\n" in markdown.stdout
    assert "\n## Performance\n" in markdown.stdout
    assert "\n## Issues and alerts\n" in markdown.stdout
    assert "| production | 2 | 100% | 0% |" in markdown.stdout  # both runs' polls

    text = run_cli("report", *common)  # text is the default
    assert text.returncode == 0, text.stderr
    for heading in (
        "UMIG Daily Status Report",
        "Environment Status Summary:",
        "Deployment Activity (Last 24 hours):",
        "Health Status Summary:",
        "Performance Summary:",
        "Issues and Alerts:",
    ):
        assert f"\n{heading}\n" in text.stdout
    assert "Total health checks: 12\n" in text.stdout
    assert "Healthy: 12 (100%)\n" in text.stdout


def test_report_without_a_store_says_so(demo_server: ServerThread, fleet_config: Path) -> None:
    proc = run_cli("report", "--config", fleet_config, "--no-store", "--format", "md")
    assert proc.returncode == 0, proc.stderr
    assert "> Note: no history: the store is disabled; figures are from one poll" in proc.stdout


@pytest.mark.parametrize(
    ("command", "since", "message"),
    [
        ("report", "yesterday", "umig-tui: --since: invalid duration 'yesterday'"),
        ("report", "0h", "umig-tui: --since: invalid duration '0h': must be greater than zero"),
        ("timeline", "6 hours", "umig-tui: --since: invalid duration '6 hours'"),
    ],
)
def test_a_bad_since_is_a_usage_error(command: str, since: str, message: str) -> None:
    proc = run_cli(command, "--demo", "--no-store", "--since", since)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.startswith(message), proc.stderr
    assert proc.stderr.count("\n") == 1


# -- snapshot and timeline -----------------------------------------------------------------------


def test_snapshot_deploy_and_timeline(
    demo_server: ServerThread, fleet_config: Path, tmp_path: Path
) -> None:
    store = tmp_path / "incident.db"
    source = ("--config", fleet_config, "--store", store)
    before = run_cli("snapshot", *source)
    assert before.returncode == 0, before.stderr
    assert before.stdout.startswith("### UMIG fleet snapshot — ")
    rows = [line for line in before.stdout.splitlines() if line.startswith("| ")]
    assert [row.split(" | ")[0] for row in rows[2:]] == [f"| {env}" for env in DEMO_ENVS]
    assert "**Firing alerts (0)**" in before.stdout
    assert re.search(r"\*\*Last hour\*\* \([A-Z][^)]*\)\n\n- nothing happened\n", before.stdout)

    old = releases(demo_server)["production"][0]
    demo_server.control("production", version="9.0.0")
    after = run_cli("snapshot", *source)
    assert after.returncode == 0, after.stderr
    assert "| production | healthy | `9.0.0` |" in after.stdout
    assert f"production: {old} → 9.0.0 (seen by the poller)" in after.stdout
    assert "CRITICAL" in after.stdout  # a major ahead of the fleet is drift worth a page

    timeline = run_cli("timeline", *source, "--since", "6h", "--env", "production")
    assert timeline.returncode == 0, timeline.stderr
    lines = timeline.stdout.splitlines()
    assert lines[0].startswith("Timeline ")
    assert lines[0].endswith("(1 events)")
    assert "  production   deployment    production: " in lines[1]
    assert lines[1].endswith(f"{old} → 9.0.0 (seen by the poller)")

    other = run_cli("timeline", *source, "--since", "6h", "--env", "uat")
    assert other.returncode == 0, other.stderr
    # uat's own events only (the drift alert the new major raised there), no deployment
    body = other.stdout.splitlines()[1:]
    assert all(re.split(r"\s{2,}", line)[1] == "uat" for line in body), body
    assert not any(" deployment " in line for line in body), body

    postmortem = run_cli("timeline", *source, "--env", "production", "--postmortem")
    assert postmortem.returncode == 0, postmortem.stderr
    assert postmortem.stdout.startswith("# Incident Post-Mortem: [Title]\n\n## Summary\n")
    assert "- **Services Affected**: production\n" in postmortem.stdout
    assert f"- Incident detected: production: {old} → 9.0.0" in postmortem.stdout
    assert "- Downtime: none recorded" in postmortem.stdout
    assert postmortem.stdout.rstrip().endswith("[What we learned and how to prevent]")


def test_timeline_with_no_store_is_a_usage_error() -> None:
    proc = run_cli("timeline", "--demo", "--no-store")
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr == "umig-tui: timeline reads the store's history: drop --no-store\n"


def test_timeline_of_the_demo_with_its_own_store(tmp_path: Path) -> None:
    proc = run_cli("timeline", "--demo", "--store", tmp_path / "demo.db", "--since", "1h")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("Timeline ")
    assert proc.stdout.endswith("(0 events)\n")
