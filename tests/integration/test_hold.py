"""Issue 13, configuration, output, signals and records: no false green from a truncated config,
no traceback from a huge value, the exit code whatever happens to stdout, a closing record for
an interrupted watch, a version that never appeared is no failed deployment, and one owner of
the timeline and of the pages per store."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import UMIG_TUI, cli_env, write_config
from tests.integration.conftest import FAST_POLLING, run_cli
from umig_tui.config import load_config
from umig_tui.demo.server import ServerThread
from umig_tui.models import EnvStatus
from umig_tui.service.runtime import open_monitor


def test_an_empty_config_is_an_error_not_the_demo(tmp_path: Path) -> None:
    for text in ("", "# nothing yet\n", '[polling]\nhealth = "30s"\n'):
        config = tmp_path / "umig-tui.toml"
        config.write_text(text, encoding="utf-8")
        proc = run_cli("status", "--config", config, "--no-store")
        assert proc.returncode == 2, proc.stdout
        assert proc.stderr.strip() == (
            f"umig-tui: no environments in {config} (use --demo for the demo fleet)"
        )
        assert "DEMO" not in proc.stdout
    # Found by the lookup order too (./umig-tui.toml), not only with --config.
    proc = run_cli("status", "--no-store")
    assert proc.returncode == 2


def test_a_directory_is_named_as_one(tmp_path: Path, demo_server: ServerThread) -> None:
    proc = run_cli("status", "--config", tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"umig-tui: {tmp_path} is a directory, not a config file"
    config = write_config(tmp_path / "umig-tui.toml", demo_server.env_urls(), FAST_POLLING)
    proc = run_cli("status", "--config", config, "--store", tmp_path)
    assert proc.returncode == 0  # no history, monitoring goes on
    assert f"{tmp_path} is a directory, not a store file" in proc.stderr


@pytest.mark.parametrize("command", ["report", "timeline", "trends"])
def test_a_huge_since_is_a_usage_error(command: str) -> None:
    option = "--window" if command == "trends" else "--since"
    proc = run_cli(command, "--demo", option, "99999999999999999999d")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "longer than 3650d" in proc.stderr


def unhealthy_fleet(tmp_path: Path, server: ServerThread) -> Path:
    server.control("production", status="unhealthy")
    return write_config(tmp_path / "umig-tui.toml", server.env_urls(), FAST_POLLING)


def test_the_exit_code_is_the_fleet_s_whatever_happens_to_stdout(
    demo_server: ServerThread, tmp_path: Path
) -> None:
    config = unhealthy_fleet(tmp_path, demo_server)
    # `| head -0`: the reader is gone before the first line.
    proc = subprocess.Popen(
        [*UMIG_TUI, "status", "--config", str(config), "--no-store"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=cli_env(),
    )
    assert proc.stdout is not None
    proc.stdout.close()
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 1, err
    assert b"Traceback" not in err
    # `> /dev/full`: the output cannot be written; one line, exit 74.
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [*UMIG_TUI, "status", "--config", str(config), "--no-store"],
            stdout=full,
            stderr=subprocess.PIPE,
            env=cli_env(),
            timeout=30,
            check=False,
        )
    assert done.returncode == 74
    assert done.stderr.decode().strip() == "umig-tui: cannot write output: No space left on device"


def test_a_large_output_reaches_a_slow_reader_whole() -> None:
    # A one-shot command ends with os._exit once its output is written (skipping the
    # interpreter's teardown): the output must be flushed first, all of it, to a pipe that is
    # read slowly (380 KB: many times a pipe's buffer).
    proc = subprocess.Popen(
        [*UMIG_TUI, "status", "--demo", "--demo-envs", "300", "--json", "--no-store"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=cli_env(),
    )
    assert proc.stdout is not None
    chunks = []
    while chunk := proc.stdout.read(4096):
        chunks.append(chunk)
        time.sleep(0.001)
    _, err = proc.communicate(timeout=60)
    out = b"".join(chunks)
    assert len(out) > 300_000
    document = json.loads(out)
    assert len(document["environments"]) == 300, err
    assert proc.returncode in (0, 1), err


def watch_command(config: Path, history: Path, store: Path, expect: str, *extra: str) -> list[str]:
    return [
        *UMIG_TUI, "deploy", "watch", "--config", str(config), "--env", "production",
        "--expect", expect, "--interval", "0.3s", "--monitor", "1s", "--json",
        "--history-file", str(history), "--store", str(store), *extra,
    ]  # fmt: skip


def test_sigterm_during_a_watch_closes_its_record(
    demo_server: ServerThread, tmp_path: Path
) -> None:
    config = write_config(tmp_path / "umig-tui.toml", demo_server.env_urls(), FAST_POLLING)
    history, store = tmp_path / "history.jsonl", tmp_path / "store.db"
    watch = subprocess.Popen(
        watch_command(config, history, store, "9.9.9", "--timeout", "60s"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=cli_env(),
    )
    deadline = time.monotonic() + 20
    while not (history.exists() and history.read_text().strip()):
        assert time.monotonic() < deadline, "the watch never started"
        time.sleep(0.05)
    watch.send_signal(signal.SIGTERM)
    out, err = watch.communicate(timeout=20)
    assert watch.returncode == 143, err
    lines = [json.loads(line) for line in history.read_text().splitlines()]
    assert [(line["type"], line["status"]) for line in lines] == [
        ("deployment_start", "in_progress"),
        ("deployment_ended", "interrupted"),
    ]
    assert json.loads(out.decode().splitlines()[-1])["stage"] == "interrupted"
    shown = run_cli("history", "--file", history, "--no-store", "--json")
    assert [d["status"] for d in json.loads(shown.stdout)["deployments"]] == [
        "interrupted",
        "in_progress",
    ]


def test_a_version_that_never_appeared_is_no_failed_deployment(
    demo_server: ServerThread, tmp_path: Path
) -> None:
    config = write_config(tmp_path / "umig-tui.toml", demo_server.env_urls(), FAST_POLLING)
    history, store = tmp_path / "history.jsonl", tmp_path / "store.db"
    demo_server.control("production", fault="http500", endpoint="version")
    demo_server.control("production", fault="http500", endpoint="health")
    proc = subprocess.run(
        watch_command(config, history, store, "9.9.9", "--timeout", "2s"),
        capture_output=True,
        env=cli_env(),
        timeout=30,
        check=False,
    )
    assert proc.returncode == 3
    final = json.loads(proc.stdout.decode().splitlines()[-1])
    assert final["reason"] == (
        "timed out waiting for 9.9.9 after 2s (last seen: HTTP 500 Internal Server Error)"
    )
    demo_server.control("production", fault=None)
    alerts = run_cli("alerts", "--config", config, "--store", store, "--json")
    firing = [a["rule"] for a in json.loads(alerts.stdout)["alerts"] if a["state"] == "firing"]
    assert "umig-deployment-failed" not in firing
    summary = json.loads(run_cli("history", "--file", history, "--no-store", "--json").stdout)
    assert summary["summary"]["failed"] == 0


async def test_the_recording_instance_owns_the_timeline(
    demo_server: ServerThread, tmp_path: Path
) -> None:
    """A one-shot command beside the dashboard (another instance on the same store) records
    no status flip of its own: the dashboard does, once."""
    config = load_config(
        str(write_config(tmp_path / "umig-tui.toml", demo_server.env_urls(), FAST_POLLING)),
        environ={},
    )
    store = tmp_path / "store.db"
    owner = await open_monitor(config, environ={}, store_path=store)
    reader = await open_monitor(config, environ={}, store_path=store)
    try:
        assert owner.store is not None
        assert owner.store.recording
        assert reader.store is not None
        assert not reader.store.recording
        for monitor in (owner, reader):
            await monitor.poll_once()
        demo_server.control("uat", status="unhealthy")
        for monitor in (owner, reader):
            await monitor.poll_once()
            assert monitor.fleet.view("uat").status is EnvStatus.UNHEALTHY
        await owner.store.flush()
        flips = await owner.store.events(kinds=["status_change"])
        assert [(e.env, e.summary.split(" (")[0]) for e in flips] == [
            ("uat", "uat: healthy → unhealthy")
        ]
    finally:
        await reader.aclose()
        await owner.aclose()
