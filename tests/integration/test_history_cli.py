"""``umig-tui history`` reads back what deploy watches and the poller wrote, as the seed's own
jq query (001 query-deployment-history) reads the same file; a version change nobody watched is
a deployment too, and going back is a rollback."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO, cli_env, write_config
from tests.integration.conftest import FAST_POLLING, run_cli
from umig_tui.config import load_config
from umig_tui.demo.server import ServerThread
from umig_tui.demo.simulator import Simulator
from umig_tui.deploy.history_jsonl import append_record, make_record
from umig_tui.events import EventKind
from umig_tui.service.history_writer import HistoryWriter
from umig_tui.service.monitor import Monitor
from umig_tui.service.runtime import open_monitor
from umig_tui.util.timefmt import iso

SAMPLE = REPO / "sample_data" / "deployment-history.jsonl"
SEED_ROW = '"\\(.timestamp) | \\(.environment) | \\(.version) | \\(.type) | \\(.status)"'


def history_json(*args: str | Path) -> dict[str, Any]:
    proc = run_cli("history", "--json", *args)
    assert proc.returncode == 0, proc.stderr
    document: dict[str, Any] = json.loads(proc.stdout)
    return document


def kinds(document: dict[str, Any]) -> list[tuple[str, str | None, str | None]]:
    return [(d["type"], d["version"], d["status"]) for d in document["deployments"]]


@pytest.fixture(scope="module")
def watched(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two deploy watches of production: 1.2.0 lands (exit 0), 1.3.0 never does (exit 3).

    Written once for the tests that only read them; returns (history JSONL, store)."""
    root = tmp_path_factory.mktemp("watched")
    env = cli_env(XDG_STATE_HOME=str(root / "state"), XDG_CONFIG_HOME=str(root / "config"))
    history = root / "deployment-history.jsonl"
    store = root / "state" / "history.db"
    simulator = Simulator(4, scenario="static", timeout_hint=1.0)
    with ServerThread(simulator, port_per_env=True) as server:
        config = write_config(root / "umig-tui.toml", server.env_urls(), FAST_POLLING)
        # One poll first: the watch then knows what ran before (and its poller sees the change).
        assert run_cli("status", "--config", config, "--store", store, env=env).returncode == 0
        server.control("production", version="1.2.0")
        common = ("--config", config, "--env", "production", "--history-file", history)
        fast = ("--store", store, "--interval", "0.3s", "--monitor", "0")
        landed = run_cli("deploy", "watch", *common, *fast, "--expect", "1.2.0", env=env)
        assert landed.returncode == 0, landed.stdout + landed.stderr
        never = run_cli(
            *("deploy", "watch", *common, *fast, "--expect", "1.3.0", "--timeout", "1s"), env=env
        )
        assert never.returncode == 3, never.stdout + never.stderr
    return history, store


def test_history_reads_back_what_deploy_watches_wrote_newest_first(
    watched: tuple[Path, Path],
) -> None:
    history, store = watched
    document = history_json("--file", history, "--store", store)
    # The store also holds the watch's events and the poller's sighting of 1.2.0: each
    # deployment still appears once.
    # 1.3.0 never appeared: the watch ended with nothing to judge — neither a deployment nor
    # a failure (its start is closed, never "in progress" for ever).
    assert kinds(document) == [
        ("deployment_ended", "1.3.0", "not_seen"),
        ("deployment_start", "1.3.0", "in_progress"),
        ("deployment_success", "1.2.0", "completed"),
        ("deployment_start", "1.2.0", "in_progress"),
    ]
    assert document["summary"] == {
        "total": 1,
        "successful": 1,
        "failed": 0,
        "rollbacks": 0,
        "success_rate": 100,
    }
    assert document["malformed_lines"] == 0
    first = document["deployments"][-1]
    assert first["record"]["fromVersion"] == "1.1.2"
    assert first["record"]["initiatedBy"]
    stamps = [d["timestamp"] for d in document["deployments"]]
    assert stamps == sorted(stamps, reverse=True)
    # The file alone tells the same story.
    assert kinds(history_json("--file", history, "--no-store")) == kinds(document)
    # And the store alone (no JSONL kept) too.
    from_store = history_json("--file", history.with_name("none.jsonl"), "--store", store)
    assert [(t, v) for t, v, _ in kinds(from_store)] == [(t, v) for t, v, _ in kinds(document)]
    assert from_store["summary"] == document["summary"]


def test_history_text_shows_the_seed_s_table_and_summary(watched: tuple[Path, Path]) -> None:
    history, _ = watched
    proc = run_cli("history", "--file", history, "--no-store", "--env", "production")
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout
    assert "Deployment history - last 30 days - environment: production" in text
    assert "deployment_success" in text
    assert "deployment_ended" in text
    assert "not_seen" in text
    for line in ("Total deployments: 1", "Successful: 1", "Failed: 0", "Rollbacks: 0"):
        assert line in text.splitlines()
    assert "Success rate: 100%" in text


@pytest.mark.skipif(shutil.which("jq") is None, reason="jq is not installed")
def test_the_seed_s_jq_query_reads_what_deploy_watches_wrote(watched: tuple[Path, Path]) -> None:
    history, _ = watched
    threshold = iso(time.time() - 30 * 86400)  # date -d "30 days ago" -Iseconds, in UTC
    selection = f'.environment == "production" and .timestamp >= "{threshold}"'

    def jq(program: str) -> list[str]:
        proc = subprocess.run(
            ["jq", *program.split("\0")], capture_output=True, text=True, check=False, timeout=10
        )
        assert proc.returncode == 0, proc.stderr
        return proc.stdout.splitlines()

    rows = jq(f"-r\0select({selection}) | {SEED_ROW}\0{history}")
    records = [json.loads(line) for line in history.read_text("utf-8").splitlines()]
    assert rows == [
        f"{r['timestamp']} | {r['environment']} | {r['version']} | {r['type']} | {r['status']}"
        for r in records
    ]
    assert "null" not in " ".join(rows)  # every line has every field the query prints

    # The seed's summary counts one match per line (-c: one object per line, as wc -l expects).
    def count(kind: str) -> int:
        return len(jq(f'-c\0select({selection} and .type == "{kind}")\0{history}'))

    summary = history_json("--file", history, "--no-store", "--env", "production")["summary"]
    # A watch that ended with nothing to judge is no deployment: not counted.
    assert count("deployment_start") - count("deployment_ended") == summary["total"] == 1
    assert count("deployment_success") == summary["successful"] == 1
    assert count("deployment_failure") == summary["failed"] == 0
    assert count("rollback") == summary["rollbacks"] == 0


def test_history_without_file_reads_the_config_s_history_file(tmp_path: Path) -> None:
    path = tmp_path / "logs" / "deployment-history.jsonl"
    now = time.time()
    for offset, kind in ((-600, "deployment_start"), (-500, "deployment_success")):
        append_record(
            path, make_record(kind, environment="uat", ts=now + offset, version="1.2.0-rc.2")
        )
    append_record(
        path,
        make_record(
            "rollback",
            environment="production",
            ts=now - 60,
            fromVersion="1.2.0",
            toVersion="1.1.2",
        ),
    )
    config = write_config(
        tmp_path / "umig-tui.toml",
        {"uat": "http://127.0.0.1:9", "production": "http://127.0.0.1:9"},
        f'[history]\nfile = "{path}"\n',
    )
    document = history_json("--config", config, "--no-store")
    assert kinds(document) == [
        ("rollback", "1.2.0", None),
        ("deployment_success", "1.2.0-rc.2", None),
        ("deployment_start", "1.2.0-rc.2", None),
    ]
    assert document["summary"]["rollbacks"] == 1
    only_uat = history_json("--config", config, "--no-store", "--env", "uat")
    assert {d["environment"] for d in only_uat["deployments"]} == {"uat"}


def test_malformed_lines_are_counted_and_reported_never_fatal(tmp_path: Path) -> None:
    path = tmp_path / "deployment-history.jsonl"
    good = make_record("deployment_start", environment="uat", ts=time.time(), version="1.2.0")
    path.write_text(
        json.dumps(good) + "\n{broken\n[]\n" + '{"type": "nope"}\n' + "\n",
        encoding="utf-8",
    )
    proc = run_cli("history", "--file", path, "--no-store", "--json")
    assert proc.returncode == 0, proc.stderr
    document = json.loads(proc.stdout)
    assert document["malformed_lines"] == 3
    assert len(document["deployments"]) == 1
    assert "3 malformed history lines skipped" in proc.stderr
    text = run_cli("history", "--file", path, "--no-store")
    assert text.returncode == 0
    assert "Total deployments: 1" in text.stdout


def test_the_sample_history_reads_with_no_malformed_lines(tmp_path: Path) -> None:
    document = history_json("--file", SAMPLE, "--no-store", "--days", "36500")
    assert document["malformed_lines"] == 0
    records = [json.loads(line) for line in SAMPLE.read_text("utf-8").splitlines()]
    assert len(document["deployments"]) == len(records)
    counts = Counter(r["type"] for r in records)
    summary = document["summary"]
    assert summary["total"] == counts["deployment_start"]
    assert summary["successful"] == counts["deployment_success"]
    assert summary["failed"] == counts["deployment_failure"]
    assert summary["rollbacks"] == counts["rollback"] >= 1
    assert 50 < summary["success_rate"] < 100
    recent = history_json("--file", SAMPLE, "--no-store", "--days", "1")
    assert recent["deployments"] == []  # the sample month is long past


def test_history_usage_errors_exit_2(tmp_path: Path) -> None:
    config = write_config(tmp_path / "c.toml", {"production": "http://127.0.0.1:9"})
    days = run_cli("history", "--config", config, "--no-store", "--days", "0")
    assert days.returncode == 2
    assert "--days must be at least 1" in days.stderr
    folder = run_cli("history", "--config", config, "--no-store", "--file", tmp_path)
    assert folder.returncode == 2
    assert f"cannot read {tmp_path}" in folder.stderr


async def poller_monitor(config_file: Path, tmp_path: Path) -> Monitor:
    """A monitor on ``config_file`` recording to ``tmp_path/state/poller.db``."""
    return await open_monitor(
        load_config(str(config_file), environ={}),
        environ={},
        store_path=tmp_path / "state" / "poller.db",
    )


async def test_a_version_change_nobody_watched_is_a_deployment_and_going_back_a_rollback(
    demo_server: ServerThread, tmp_path: Path
) -> None:
    path = tmp_path / "deployment-history.jsonl"
    store = tmp_path / "state" / "poller.db"
    config_file = write_config(
        tmp_path / "umig-tui.toml",
        demo_server.env_urls(),
        FAST_POLLING + f'\n[history]\nfile = "{path}"\n',
    )
    monitor = await poller_monitor(config_file, tmp_path)
    writer = HistoryWriter(monitor, path)  # as the dashboard's engine attaches it
    try:
        await monitor.poll_once()  # production runs 1.1.2
        demo_server.control("production", version="1.2.0", by="jenkins")
        await monitor.poll_once()
        demo_server.control("production", version="1.1.2")
        await monitor.poll_once()
        assert monitor.store is not None
        await monitor.store.flush()
        events = await monitor.store.events(
            env="production", kinds=[str(EventKind.DEPLOYMENT), str(EventKind.ROLLBACK)]
        )
    finally:
        await writer.aclose()  # the history lines being appended
        await monitor.aclose()
    rollback, deployment = (e.deployment for e in events)
    assert deployment is not None
    assert rollback is not None
    assert events[1].kind is EventKind.DEPLOYMENT
    assert (deployment.from_version, deployment.to_version) == ("1.1.2", "1.2.0")
    assert not deployment.watched
    # Who deployed comes from the new version's document; when the health document told first,
    # it is not known yet, but it is never the previous version's deployer.
    assert deployment.deployed_by in ("jenkins", None)
    assert events[0].kind is EventKind.ROLLBACK
    assert (rollback.from_version, rollback.to_version) == ("1.2.0", "1.1.2")
    assert events[0].summary == "production: rolled back from 1.2.0 to 1.1.2"

    lines = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    assert [(line["type"], line["status"]) for line in lines] == [
        ("deployment_success", "completed"),
        ("rollback", "rollback_detected"),
    ]
    detected, back = lines
    assert detected["id"] == deployment.deployment_id
    assert (detected["version"], detected["fromVersion"]) == ("1.2.0", "1.1.2")
    assert detected.get("initiatedBy") in ("jenkins", None)
    assert detected["detectedBy"] == "umig-tui poller"
    assert back["id"].startswith("rollback-production-")
    assert (back["fromVersion"], back["toVersion"]) == ("1.2.0", "1.1.2")
    assert "version" not in back  # the seed's rollback line has from/to only

    # history (no --file: [history] file of the config) merges the file and the store once.
    document = history_json("--config", config_file, "--store", store)
    assert kinds(document) == [
        ("rollback", "1.2.0", "rollback_detected"),
        ("deployment_success", "1.2.0", "completed"),
    ]
    assert document["summary"] == {
        "total": 1,
        "successful": 1,
        "failed": 0,
        "rollbacks": 1,
        "success_rate": 100,
    }


async def test_a_version_string_that_is_no_version_is_neither_a_deployment_nor_a_rollback(
    demo_server: ServerThread, fleet_config: Path, tmp_path: Path
) -> None:
    monitor = await poller_monitor(fleet_config, tmp_path)
    try:
        await monitor.poll_once()  # production runs 1.1.2
        demo_server.control("production", fault="hostile")  # "1.1.2 [bold red]PWNED…"
        await monitor.poll_once()
        assert "PWNED" in (monitor.fleet.versions("production").umig or "")
        demo_server.control("production", fault=None)
        await monitor.poll_once()
        demo_server.control("production", version="1.2.0")  # a real deployment still counts
        await monitor.poll_once()
        assert monitor.store is not None
        await monitor.store.flush()
        events = await monitor.store.events(
            env="production", kinds=[str(EventKind.DEPLOYMENT), str(EventKind.ROLLBACK)]
        )
    finally:
        await monitor.aclose()
    assert [(e.kind, e.payload.from_version, e.payload.to_version) for e in events] == [
        (EventKind.DEPLOYMENT, "1.1.2", "1.2.0")
    ]


async def test_unwatched_changes_go_to_the_store_even_without_a_history_file(
    demo_server: ServerThread, fleet_config: Path, tmp_path: Path
) -> None:
    store = tmp_path / "state" / "poller.db"
    monitor = await poller_monitor(fleet_config, tmp_path)
    try:
        await monitor.poll_once()
        demo_server.control("uat", version="1.2.1")
        await monitor.poll_once()
    finally:
        await monitor.aclose()
    document = history_json("--config", fleet_config, "--store", store)
    assert kinds(document) == [("deployment_success", "1.2.1", "detected")]
    assert document["deployments"][0]["record"]["fromVersion"] == "1.2.0-rc.2"
