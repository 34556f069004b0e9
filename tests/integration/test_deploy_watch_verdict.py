"""The deploy verdict end to end (``umig-tui deploy watch`` against the demo-server over loopback):
what cannot be judged is inconclusive with exit 4 and its own history line — a window too short,
no traffic —, and a watch started after the version landed compares with the version before it
(its stored baseline), never with the new version itself."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.integration.conftest import run_cli
from tests.integration.test_deploy_watch import (
    EXPECT,
    LANDS_AFTER,
    PREVIOUS,
    Deploy,
    assert_recorded,
    once_old_version_seen,
)
from umig_tui.demo.server import ServerThread
from umig_tui.deploy.verdict_record import last_verdicts


@pytest.fixture
def deploy(demo_server: ServerThread, fleet_config: Path, tmp_path: Path) -> Deploy:
    return Deploy(
        demo_server,
        fleet_config,
        tmp_path / "log" / "deployment-history.jsonl",
        tmp_path / "state" / "watch.db",
    )


def test_a_window_too_short_is_inconclusive_exit_4(deploy: Deploy) -> None:
    # Six checks after the deploy, twenty wanted (the default): not enough to call it either way.
    watch = deploy.watch(
        "--min-samples",
        "20",
        on_state=once_old_version_seen(deploy, version=EXPECT, after=LANDS_AFTER),
    )
    assert watch.code == 4, watch.stderr
    final = watch.final
    assert (final["stage"], final["verdict"]) == ("inconclusive", "inconclusive")
    assert re.search(r"too few samples after the deploy: \d < 20", final["reason"]), final
    assert final["rollback_recommended"] is False
    line = assert_recorded(deploy, outcome="deployment_inconclusive", status="inconclusive")[1]
    assert line["verdict"] == "inconclusive"
    assert line["error"] == final["reason"]
    avg = next(m for m in line["verdict_detail"] if m["metric"] == "response avg")
    assert avg["outcome"] == "inconclusive"
    assert avg["why"].startswith("too few samples after the deploy")


def test_no_traffic_after_the_deploy_is_inconclusive_exit_4(deploy: Deploy) -> None:
    # The new version answers, healthy, but serves nobody: 0 ms response time in every check.
    watch = deploy.watch(
        on_state=once_old_version_seen(
            deploy, version=EXPECT, after=LANDS_AFTER, deploy_response_factor=0
        )
    )
    assert watch.code == 4, watch.stderr
    final = watch.final
    assert final["stage"] == "inconclusive"
    assert "no traffic after the deploy" in final["reason"]
    assert_recorded(deploy, outcome="deployment_inconclusive", status="inconclusive")


def test_a_watch_started_after_the_landing_compares_with_the_version_before(
    deploy: Deploy,
) -> None:
    # 1.1.2 runs and is recorded, with a baseline set; then 1.2.0 lands 30 % slower and the
    # poller sees it land before anyone starts a watch.
    for _ in range(6):
        status = run_cli("status", "--config", deploy.config, "--store", deploy.store)
        assert status.returncode == 0, status.stderr
    baseline = run_cli(
        *("baseline", "set", "--env", "production", "--window", "1h"),
        *("--config", deploy.config, "--store", deploy.store),
    )
    assert baseline.returncode == 0, baseline.stderr
    deploy.server.control("production", version=EXPECT, deploy_response_factor=1.3)
    status = run_cli("status", "--config", deploy.config, "--store", deploy.store)
    assert EXPECT in status.stdout
    watch = deploy.watch()
    assert watch.code == 1, watch.stderr  # compared with itself it would have passed
    final = watch.final
    assert final["previous_version"] == PREVIOUS
    assert "waiting" not in watch.stages[1:]  # landed already
    labels = {m["baseline_label"] for m in final["verdict_detail"] if m["baseline_label"]}
    # The store never saw it land (one-shot polls record no version change of their own), so
    # the hour before the deploy is unknown: 1.1.2's stored baseline decides.
    assert labels == {f"{PREVIOUS} on production, its stored baseline (manual)"}
    avg = next(m for m in final["verdict_detail"] if m["metric"] == "response avg")
    assert avg["n_base"] >= 6  # the polls of 1.1.2, not the one of 1.2.0
    assert avg["baseline_window"] is not None
    assert 0.15 < avg["effect"] < 0.45
    assert final["reason"].startswith(f"worse than {PREVIOUS} on production")
    failure = assert_recorded(deploy, outcome="deployment_failure", status="failed")[1]
    assert failure["fromVersion"] == PREVIOUS


def test_a_soak_after_the_pass_is_recorded_and_makes_it_promotable(deploy: Deploy) -> None:
    watch = deploy.watch(
        "--soak",
        "1s",
        on_state=once_old_version_seen(deploy, version=EXPECT, after=LANDS_AFTER),
    )
    assert watch.code == 0, watch.stderr
    assert watch.stages[-3:] == ["monitoring", "soaking", "succeeded"]
    soaking = watch.states[watch.stages.index("soaking")]
    assert soaking["verdict"] == "pass"
    assert soaking["soak"]["state"] == "soaking"
    assert soaking["time_left_s"] == pytest.approx(1.0, abs=0.2)
    assert watch.final["soak"]["state"] == "passed"
    lines = deploy.lines()
    assert [(line["type"], line["status"]) for line in lines] == [
        ("deployment_start", "in_progress"),
        ("deployment_success", "completed"),
        ("deployment_soak", "soak_passed"),
    ]
    assert lines[1]["soak"]["state"] == "soaking"
    assert lines[2]["soak"] == watch.final["soak"]
    # What the promotion board reads: passed, and soaked.
    verdict = last_verdicts(lines)[("production", EXPECT)]
    assert (verdict.verdict, verdict.soak and verdict.soak.state) == ("pass", "passed")
    assert verdict.soaked
    assert verdict.detail  # the metrics the pass rested on, kept through the soak line


def test_soak_and_min_samples_usage_errors_exit_2(deploy: Deploy) -> None:
    for args, message in (
        (("--soak", "soon"), "--soak"),
        (("--min-samples", "0"), "--min-samples must be 1 or more (got 0)"),
    ):
        proc = run_cli(
            *("deploy", "watch", "--config", deploy.config, "--env", "production"),
            *("--expect", EXPECT, "--no-store", *args),
        )
        assert proc.returncode == 2, proc.stderr
        assert message in proc.stderr
        assert "Traceback" not in proc.stderr
