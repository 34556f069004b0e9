"""``umig-tui demo-server`` as a process, its control API, and the scripted demo story."""

from __future__ import annotations

import queue
import re
import signal
import socket
import subprocess
import threading
import time
import urllib.error
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import UMIG_TUI, cli_env
from tests.integration.conftest import (
    FakeClock,
    by_name,
    control,
    get_json,
    run_cli,
    status_json,
)
from umig_tui.cli.main import main
from umig_tui.demo.simulator import Simulator
from umig_tui.models import Endpoint, EnvStatus
from umig_tui.service.monitor import Monitor
from umig_tui.service.runtime import open_monitor
from umig_tui.service.setup import load_fleet

SEED_VERSIONS = {
    "development": "1.3.0-dev+ci.1245",
    "uat": "1.2.0-rc.2",
    "production": "1.1.2",
    "hotfix": "1.1.3+hotfix",
}


@dataclass
class DemoProcess:
    proc: subprocess.Popen[str]
    urls: dict[str, str]
    control_url: str
    banner: list[str]

    def stop(self) -> tuple[int, str]:
        """SIGTERM, then the exit code and stderr."""
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=10), _stderr(self.proc)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        _stderr(self.proc)


def _stderr(proc: subprocess.Popen[str]) -> str:
    assert proc.stderr is not None
    if proc.stderr.closed:
        return ""
    with proc.stderr:
        return proc.stderr.read()


def _pump(proc: subprocess.Popen[str], lines: queue.Queue[str]) -> None:
    """Every stdout line into ``lines`` until EOF (the pipe never fills)."""
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.put(line)


def _read_banner(proc: subprocess.Popen[str], timeout: float = 15) -> list[str]:
    """stdout lines up to the ``control:`` line, which the server prints once it listens."""
    assert proc.stdout is not None
    lines: queue.Queue[str] = queue.Queue()
    # A thread, not select(): a text pipe buffers lines select() cannot see.
    threading.Thread(target=_pump, args=(proc, lines), daemon=True).start()
    banner: list[str] = []
    deadline = time.monotonic() + timeout
    while not banner or not banner[-1].startswith("control:"):
        try:
            banner.append(lines.get(timeout=max(0.0, deadline - time.monotonic())).rstrip("\n"))
        except queue.Empty:
            raise AssertionError(f"no banner from demo-server in {timeout}s: {banner}") from None
    return banner


def start_demo_server(*args: str) -> DemoProcess:
    proc = subprocess.Popen(
        [*UMIG_TUI, "demo-server", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(),
    )
    try:
        banner = _read_banner(proc)
    except BaseException:
        proc.kill()
        proc.wait(timeout=10)
        raise
    urls = dict(
        (m.group(1), m.group(2))
        for line in banner
        if (m := re.fullmatch(r"\s+(\S+)\s+(http://\S+)", line))
    )
    control_url = re.search(r"GET (http://\S+)/_control", banner[-1])
    assert control_url, banner
    return DemoProcess(proc, urls, control_url.group(1), banner)


@pytest.fixture
def demo_process(tmp_path: Path) -> Iterator[DemoProcess]:
    """4 environments, one port each, a config written for them; stopped however the test ends."""
    process = start_demo_server(
        "--envs", "4", "--port-per-env", "--write-config", str(tmp_path / "fleet.toml")
    )
    yield process
    process.kill()


def test_prints_one_base_url_per_environment_and_writes_a_working_config(
    demo_process: DemoProcess, tmp_path: Path
) -> None:
    assert demo_process.banner[0].startswith("umig-tui demo-server: 4 environments")
    assert '{"fault": "http500"}' in demo_process.banner[-1]  # how to use the control API
    assert list(demo_process.urls) == list(SEED_VERSIONS)
    ports = {urlsplit(url).port for url in demo_process.urls.values()}
    assert len(ports) == 4
    assert all(urlsplit(u).hostname == "127.0.0.1" for u in demo_process.urls.values())

    config = tmp_path / "fleet.toml"
    proc = run_cli("status", "--config", config, "--no-store")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for name, version in SEED_VERSIONS.items():
        assert re.search(rf"^{name}\s+{name}\s+healthy\s+{re.escape(version)}\s", proc.stdout, re.M)


def test_control_injects_a_fault_and_clears_it(demo_process: DemoProcess, tmp_path: Path) -> None:
    config = tmp_path / "fleet.toml"
    assert control(demo_process.control_url, "uat", {"fault": "http500"}) == (
        200,
        {"ok": True, "environment": "uat"},
    )
    listing = by_name(get_json(demo_process.control_url + "/_control"))
    assert listing["uat"]["faults"] == {"*": "http500"}
    assert listing["uat"]["url"] == demo_process.urls["uat"]

    code, document = status_json(config)
    assert code == 1
    uat = by_name(document)["uat"]
    assert uat["status"] == "unreachable"
    assert uat["error"]["kind"] == "http_error"
    assert uat["error"]["http_status"] == 500

    assert control(demo_process.control_url, "uat", {"fault": None})[0] == 200
    code, document = status_json(config)
    assert code == 0
    assert {env["status"] for env in document["environments"]} == {"healthy"}


BAD_COMMANDS = [
    ("uat", {"fault": "bogus"}, "unknown fault 'bogus'"),
    ("nowhere", {"fault": "http500"}, "no simulated environment 'nowhere'"),
    ("uat", {"fault": "http500", "endpoint": "bogus"}, "unknown endpoint 'bogus'"),
    ("uat", {"fault": ["http500"]}, "unknown fault"),
    ("uat", {"frobnicate": 1}, "unknown setting 'frobnicate'"),
    ("uat", {"status": "weird"}, "status must be one of"),
    ("uat", {"error_rate": "lots"}, "error_rate must be a finite number"),
    ("uat", {"error_rate": 1e999}, "error_rate must be a finite number"),
    ("uat", {"latency": "soon"}, "invalid duration 'soon'"),
    ("uat", {"latency": -1}, "latency must not be negative"),
    ("uat", {"teams_status": 1e999}, "teams_status must be an HTTP status code"),
    ("uat", {"version": "1.2.0", "after": 1e999}, "after must be a finite number"),
    ("uat", {"version": "1.2.0", "deploy_status": "zzz"}, "status must be one of"),
    ("uat", {"version": "1.2.0", "deploy_error_rate": "x"}, "error_rate must be a finite number"),
    # All or nothing: the good part of a bad command is not applied either.
    ("uat", {"fault": "http500", "frobnicate": 1}, "unknown setting 'frobnicate'"),
    ("uat", {"version": "9.9.9", "frobnicate": 1}, "unknown setting 'frobnicate'"),
    ("uat", [1, 2], "the command must be a JSON object"),
]


def test_bad_control_commands_get_an_error_message_and_change_nothing(
    demo_process: DemoProcess, tmp_path: Path
) -> None:
    base = demo_process.control_url
    for env, command, message in BAD_COMMANDS:
        status, answer = control(base, env, command)
        assert (status, env) == (400, env), (command, answer)
        assert message in answer["error"], (command, answer)
        assert "\n" not in answer["error"]
    status, answer = control(base, "uat", None, raw=b"{not json")
    assert status == 400
    assert "Expecting property name" in answer["error"]
    with pytest.raises(urllib.error.HTTPError, match="404"):
        get_json(base + "/_control/uat/extra")

    listing = by_name(get_json(base + "/_control"))
    assert all(env["faults"] == {} for env in listing.values())
    code, document = status_json(tmp_path / "fleet.toml")
    assert code == 0, document
    assert by_name(document)["uat"]["version"] == "1.2.0-rc.2"
    _, err = demo_process.stop()
    assert "Traceback" not in err, err
    assert "Unhandled exception" not in err, err


def test_fault_option_starts_the_fleet_with_faults(tmp_path: Path) -> None:
    config = tmp_path / "fleet.toml"
    process = start_demo_server(
        "--envs",
        "4",
        "--port-per-env",
        "--scenario",
        "static",
        "--fault",
        "uat=http503",
        "--fault",
        "production=login_page:health",
        "--write-config",
        str(config),
    )
    try:
        code, document = status_json(config)
    finally:
        process.stop()
    envs = by_name(document)
    assert code == 1
    assert envs["uat"]["error"]["kind"] == "http_error"
    assert envs["uat"]["error"]["http_status"] == 503
    assert envs["production"]["error"]["kind"] == "auth_required"
    assert envs["production"]["version"] == "1.1.2"  # the version endpoint still answered
    assert envs["development"]["status"] == envs["hotfix"]["status"] == "healthy"


def test_one_port_for_all_environments_serves_them_by_path(tmp_path: Path) -> None:
    config = tmp_path / "fleet.toml"
    process = start_demo_server("--envs", "5", "--write-config", str(config))
    try:
        code, document = status_json(config)
    finally:
        process.stop()
    assert {urlsplit(u).port for u in process.urls.values()} == {urlsplit(process.control_url).port}
    assert [env["name"] for env in document["environments"]] == [*SEED_VERSIONS, "dev-05"]
    assert code == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--envs", "0"], "umig-tui: --envs must be between 1 and 500"),
        (["--fault", "uat"], "umig-tui: --fault 'uat': use ENV=KIND or ENV=KIND:ENDPOINT"),
        (["--fault", "uat=bogus"], "umig-tui: --fault 'uat=bogus': unknown fault 'bogus'; "),
        (["--fault", "nowhere=http500"], "umig-tui: --fault 'nowhere=http500': no simulated"),
        (
            ["--fault", "uat=http500:bogus"],
            "umig-tui: --fault 'uat=http500:bogus': unknown endpoint",
        ),
        (["--latency", "soon"], "umig-tui: --latency: invalid duration 'soon'"),
        (["--port", "99999"], "umig-tui: --port must be between 0 and 65535 (got 99999)"),
        (["--write-config", "/nonexistent/dir/f.toml"], "umig-tui: --write-config /nonexistent/"),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else "",
)
def test_bad_options_exit_2_with_a_message(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo-server", "--port", "0", *args]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(message), err
    assert err.count("\n") == 1, err


def test_sigterm_stops_the_server_cleanly(demo_process: DemoProcess) -> None:
    port = urlsplit(demo_process.urls["uat"]).port
    assert port is not None
    started = time.monotonic()
    code, err = demo_process.stop()
    assert time.monotonic() - started < 3
    assert code == 0
    assert err.strip() == "umig-tui demo-server: stopped"
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


# --- the scripted default scenario, with a clock the test moves --------------------------------


@pytest.fixture
async def story() -> AsyncIterator[tuple[FakeClock, Monitor]]:
    """The default scenario in-process (the --demo path), on a clock the test moves."""
    clock = FakeClock()
    simulator = Simulator(4, scenario="default", clock=clock)
    config = load_fleet(demo=True, environ={})
    monitor = await open_monitor(config, environ={}, use_store=False, simulator=simulator)
    yield clock, monitor
    await monitor.aclose()


async def test_production_deploy_of_1_2_0_lands(story: tuple[FakeClock, Monitor]) -> None:
    clock, monitor = story
    await monitor.poll_once()
    prod = monitor.fleet.view("production")
    assert (prod.status, prod.version) == (EnvStatus.HEALTHY, "1.1.2")
    assert [f for f in monitor.fleet.drift() if f.kind == "expected_mismatch"]

    clock.advance(80)  # the deploy has started: production is down for it
    await monitor.poll_once()
    prod = monitor.fleet.view("production")
    assert prod.status is EnvStatus.UNREACHABLE
    assert prod.error is not None
    assert prod.error.http_status == 503

    clock.advance(20)  # … and has landed
    await monitor.poll_once()
    prod = monitor.fleet.view("production")
    assert (prod.status, prod.version) == (EnvStatus.HEALTHY, "1.2.0")
    assert prod.deployed_by == "deployment-automation"
    assert prod.uptime_seconds is not None
    assert prod.uptime_seconds < 60
    versions = monitor.fleet.versions("production")
    assert (versions.database, versions.api) == ("031", "v2.3.1")
    # What [expected] asked of production is now true.
    assert not [f for f in monitor.fleet.drift() if f.kind == "expected_mismatch"]


async def test_uat_degrades_slowly(story: tuple[FakeClock, Monitor]) -> None:
    clock, monitor = story
    seen = []
    start = clock.now
    for minutes in (0, 30, 120):
        clock.now = start + minutes * 60
        await monitor.poll_once(signals=(Endpoint.HEALTH, Endpoint.METRICS))
        seen.append(monitor.fleet.view("uat"))
    assert [view.status for view in seen] == [
        EnvStatus.HEALTHY,
        EnvStatus.HEALTHY,
        EnvStatus.DEGRADED,
    ], [view.reason for view in seen]
    error_rates = [view.metrics.error_rate or 0.0 for view in seen]
    response_times = [view.metrics.response_time_ms or 0.0 for view in seen]
    assert error_rates == sorted(error_rates)
    assert error_rates[-1] > 0.05  # above the default threshold
    assert response_times[-1] > 2 * response_times[0]
    assert monitor.fleet.view("hotfix").status is EnvStatus.HEALTHY  # only uat degrades


async def test_development_ci_build_number_advances(story: tuple[FakeClock, Monitor]) -> None:
    clock, monitor = story
    seen = []
    for _ in range(3):
        await monitor.poll_once()
        seen.append(monitor.fleet.view("development").version)
        clock.advance(181)
    assert seen == ["1.3.0-dev+ci.1245", "1.3.0-dev+ci.1246", "1.3.0-dev+ci.1247"]
