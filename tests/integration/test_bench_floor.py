"""bench/bare_client.py, the floor under `status`, sends the requests `status` sends."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable

from umig_tui.cli.main import main
from umig_tui.demo.server import ServerThread

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import bare_client  # noqa: E402 - bench/ is not a package: found via sys.path above
import bare_dashboard  # noqa: E402
from bench_status import write_bare_requests  # noqa: E402


def test_the_bare_client_sends_what_status_sends(
    demo_server: ServerThread,
    fleet_config: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    store = tmp_path / "samples.db"
    command = ["status", "--config", str(fleet_config), "--store", str(store)]
    assert main(command) == 0  # the first run finds the profile and keeps it
    before = len(demo_server.requests())
    assert main(command) == 0  # as the bench times it: the profile remembered
    ports = {name: urlsplit(url).port for name, url in demo_server.env_urls().items()}
    sent = sorted(
        f"127.0.0.1 {ports[seen.env]} {seen.target}" for seen in demo_server.requests()[before:]
    )

    listed = tmp_path / "requests.txt"
    assert write_bare_requests(fleet_config, "us088", listed) == len(sent) == 16
    assert sorted(listed.read_text(encoding="utf-8").splitlines()) == sent

    capsys.readouterr()
    wanted = [line.split() for line in listed.read_text(encoding="utf-8").splitlines()]
    assert asyncio.run(bare_client.main(wanted)) == 0
    count, size = capsys.readouterr().out.split()
    assert int(count) == 16
    assert int(size) > 16 * 100  # whole responses read, not just their heads
    assert len(demo_server.requests()) == before + 32


def test_the_bare_client_fails_on_an_error_answer(
    demo_server: ServerThread, fleet_config: Path, tmp_path: Path
) -> None:
    """A floor measured against errors would be too low: a failed request fails the run."""
    listed = tmp_path / "requests.txt"
    write_bare_requests(fleet_config, "us088", listed)
    demo_server.control("uat", fault="http500")
    wanted = [line.split() for line in listed.read_text(encoding="utf-8").splitlines()]
    with pytest.raises(RuntimeError, match="500"):
        asyncio.run(bare_client.main(wanted))


async def until(condition: Callable[[], bool], pilot: Pilot[None], within: float = 15.0) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "not within the deadline"
        await pilot.pause(0.05)


async def test_the_bare_dashboard_polls_every_signal_on_its_schedule_over_kept_connections(
    demo_server: ServerThread, fleet_config: Path, tmp_path: Path
) -> None:
    """bench/bare_dashboard.py, the floor under the dashboard's CPU, sends what the dashboard
    sends (health and metrics each wave, version and components every third) on connections
    it keeps, and shows every environment's latency."""
    listed = tmp_path / "requests.txt"
    write_bare_requests(fleet_config, "us088", listed)
    fleet = bare_dashboard.read_fleet(str(listed))
    assert len(fleet) == 4
    app = bare_dashboard.BareDashboard(fleet, argparse.Namespace(fast=0.3, slow=0.9, idle=False))
    before = len(demo_server.requests())
    async with app.run_test(size=(120, 40)) as pilot:
        await until(lambda: app.waves >= 1, pilot)
        first = {id(signal): signal.streams for signals in fleet.values() for signal in signals}
        await until(lambda: app.waves >= 4, pilot)
        waves = app.waves
        assert app.sub_title == "4 healthy"
        sent = demo_server.requests()[before:]
        table = app.query_one(DataTable)
        shown = [str(table.get_cell(env, "latency")) for env in fleet]
    assert all(text.endswith(" ms") for text in shown)
    # The connections opened for the first wave served every later one.
    assert all(streams is not None for streams in first.values())
    for signals in fleet.values():
        for signal in signals:
            assert signal.streams is first[id(signal)]
    counts = Counter(seen.target.rsplit("/custom/", 1)[1] for seen in sent)
    slow_waves = -(-waves // 3)  # waves 0, 3, 6, ...: version and components too
    for path in ("admin/health", "admin/metrics/prometheus"):
        assert waves * 4 <= counts[path] <= (waves + 1) * 4
    for path in ("admin/version", "admin/components"):
        assert slow_waves * 4 <= counts[path] <= (slow_waves + 1) * 4


async def test_the_idle_bare_dashboard_sends_nothing(
    demo_server: ServerThread, fleet_config: Path, tmp_path: Path
) -> None:
    listed = tmp_path / "requests.txt"
    write_bare_requests(fleet_config, "us088", listed)
    fleet = bare_dashboard.read_fleet(str(listed))
    app = bare_dashboard.BareDashboard(fleet, argparse.Namespace(fast=0.1, slow=0.3, idle=True))
    before = len(demo_server.requests())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.5)
        assert app.waves == 0
    assert len(demo_server.requests()) == before


def test_the_fake_fleet_serves_what_the_demo_fleet_answered_after_its_latency(
    tmp_path: Path,
) -> None:
    """bench/fake_fleet.py: the demo fleet's answers, captured once and served from memory by
    another process, read by `status` as the demo fleet's are (same versions, same profile),
    each after the latency; anything not captured is a 404."""
    import json
    import subprocess
    import urllib.error
    import urllib.request

    from benchlib import console_script
    from fake_fleet import fake_fleet

    umig_tui = console_script("umig-tui")
    assert umig_tui is not None
    with fake_fleet(umig_tui, envs=4, latency=0.1, profile="us088", workdir=tmp_path / "fake") as (
        process,
        config,
    ):
        command = [str(umig_tui), "status", "--config", str(config), "--json"]
        command += ["--store", str(tmp_path / "s.db")]
        runs = [subprocess.run(command, capture_output=True, text=True, timeout=60) for _ in (1, 2)]
        url = next(line.split('"')[1] for line in config.read_text().splitlines() if "url" in line)
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(url + "/nothing/here", timeout=10)
        assert process.poll() is None
    assert missing.value.code == 404
    for run in runs:
        assert run.returncode == 0, run.stderr
        envs = json.loads(run.stdout)["environments"]
        assert [e["name"] for e in envs] == ["development", "uat", "production", "hotfix"]
        assert [e["version"] for e in envs] == [
            "1.3.0-dev+ci.1245",
            "1.2.0-rc.2",
            "1.1.2",
            "1.1.3+hotfix",
        ]
        assert all(e["status"] == "healthy" and e["latency_ms"] >= 100 for e in envs)
    assert process.poll() is not None  # stopped on the way out


def test_the_fake_fleet_moves_every_url_once_when_a_new_port_was_another_ones_old() -> None:
    """The demo-server's ports are free once it stops: the fake fleet may be given one of
    them for another environment (it moved both, and the next one was "not in the config")."""
    from fake_fleet import moved_config

    config = (
        'name = "a"\nurl = "http://127.0.0.1:1000"\nname = "b"\nurl = "http://127.0.0.1:2000"\n'
    )
    moved = {
        "http://127.0.0.1:1000": "http://127.0.0.1:2000",
        "http://127.0.0.1:2000": "http://127.0.0.1:3000",
    }
    assert moved_config(config, moved) == (
        'name = "a"\nurl = "http://127.0.0.1:2000"\nname = "b"\nurl = "http://127.0.0.1:3000"\n'
    )
    with pytest.raises(SystemExit, match="4000 is not in the demo fleet's config"):
        moved_config(config, {"http://127.0.0.1:4000": "http://127.0.0.1:5000"})
