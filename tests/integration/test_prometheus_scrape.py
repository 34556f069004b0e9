"""`export prometheus --serve` against the demo-server, and a real Prometheus scraping it.

The Prometheus test skips, saying why, when the `prometheus` binary (Debian package `prometheus`)
is not installed; ``.ci/run`` installs it when it can. Every process started here is stopped
whatever happens.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import shutil
import signal
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

from tests.conftest import UMIG_TUI, cli_env
from tests.integration.conftest import run_cli
from tests.unit.test_export_prometheus import by, parse
from umig_tui.demo.server import ServerThread
from umig_tui.export.prometheus import CONTENT_TYPE

T = TypeVar("T")
DEMO_ENVS = ("development", "uat", "production", "hotfix")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate, then kill if it does not go; never leaves it running."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def wait_for(check: Callable[[], T | None], *, timeout: float, what: str) -> T:
    """The first truthy ``check()`` within ``timeout`` seconds; fails saying ``what``."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.1)


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


def request(url: str, method: str = "GET") -> Answer:
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
    try:
        connection.request(method, parts.path or "/")
        response = connection.getresponse()
        return Answer(
            response.status,
            {k.lower(): v for k, v in response.getheaders()},
            response.read(),
        )
    finally:
        connection.close()


@dataclass
class Exporter:
    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def scrape(self) -> dict[str, Any]:
        answer = request(f"{self.url}/metrics")
        assert answer.status == 200
        return parse(answer.body.decode("utf-8"))

    def stderr(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def _scrapable(url: str) -> bool:
    try:
        return request(f"{url}/metrics").status == 200
    except OSError:
        return False


@contextlib.contextmanager
def serving(config: Path, tmp_path: Path, *extra: str) -> Iterator[Exporter]:
    """``export prometheus --serve`` on a free loopback port, until /metrics answers."""
    log = tmp_path / "exporter.log"
    for _attempt in range(3):  # the free port may be taken between finding and binding it
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        with open(log, "wb") as sink:
            process = subprocess.Popen(
                [
                    *UMIG_TUI,
                    "export",
                    "prometheus",
                    "--config",
                    str(config),
                    "--serve",
                    f"127.0.0.1:{port}",
                    *extra,
                ],
                stdout=subprocess.DEVNULL,
                stderr=sink,
                env=cli_env(),
            )
        try:
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline and process.poll() is None:
                if _scrapable(url):
                    break
                time.sleep(0.05)
            if process.poll() is None and _scrapable(url):
                yield Exporter(process, url, log)
                return
            if "cannot listen" not in log.read_text(encoding="utf-8", errors="replace"):
                break
        finally:
            stop(process)
    pytest.fail("the exporter did not start:\n" + log.read_text(encoding="utf-8")[-2000:])


def versions(families: dict[str, Any]) -> dict[str, str]:
    return {
        env: v for env, v, _ in by(families["umig_version_info"], "environment", "version", "build")
    }


# -- the exporter --------------------------------------------------------------------------------


def test_serve_answers_metrics_and_nothing_else(
    demo_server: ServerThread, fleet_config: Path, tmp_path: Path
) -> None:
    with serving(fleet_config, tmp_path, "--no-store") as exporter:
        answer = request(f"{exporter.url}/metrics")
        assert answer.status == 200
        assert answer.headers["content-type"] == CONTENT_TYPE
        assert int(answer.headers["content-length"]) == len(answer.body)
        families = parse(answer.body.decode("utf-8"))
        health = by(families["umig_health_status"], "environment")
        assert health == {(env,): 1.0 for env in DEMO_ENVS}

        head = request(f"{exporter.url}/metrics", "HEAD")
        assert head.status == 200
        assert head.headers["content-type"] == CONTENT_TYPE
        assert int(head.headers["content-length"]) > 0
        assert head.body == b""

        for path in ("/nope", "/metrics/extra", "/favicon.ico"):
            missing = request(f"{exporter.url}{path}")
            assert missing.status == 404, path
            assert b"/metrics" in missing.body
        assert request(f"{exporter.url}/metrics", "POST").status == 405
        assert request(f"{exporter.url}/").status == 200

        assert exporter.process.poll() is None
        assert f"serving {exporter.url}/metrics" in exporter.stderr()


def test_serve_keeps_polling_between_scrapes(
    demo_server: ServerThread, fleet_config: Path, tmp_path: Path
) -> None:
    with serving(fleet_config, tmp_path, "--no-store") as exporter:
        first = exporter.scrape()
        before = versions(first)["production"]
        polled = by(first["umig_last_poll_timestamp_seconds"], "environment")[("production",)]
        demo_server.control("production", version="1.4.0")

        def deployed() -> dict[str, Any] | None:
            families = exporter.scrape()
            return families if versions(families)["production"] == "1.4.0" else None

        later = wait_for(deployed, timeout=10, what="production's 1.4.0 in a scrape")
        assert before != "1.4.0"
        deployments = by(later["umig_deployments"], "environment", "status")
        assert deployments == {("production", "detected"): 1.0}
        newer = by(later["umig_last_poll_timestamp_seconds"], "environment")[("production",)]
        assert newer > polled


def test_sigterm_stops_the_exporter_cleanly(
    demo_server: ServerThread, fleet_config: Path, tmp_path: Path
) -> None:
    with serving(fleet_config, tmp_path, "--store", str(tmp_path / "s.db")) as exporter:
        exporter.scrape()
        exporter.process.send_signal(signal.SIGTERM)
        assert exporter.process.wait(10) == 0
        assert "Traceback" not in exporter.stderr()
        with pytest.raises(ConnectionRefusedError):  # the port is closed, not hanging
            request(f"{exporter.url}/metrics")


def test_a_taken_port_is_a_usage_error(demo_server: ServerThread, fleet_config: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = run_cli(
            "export", "prometheus", "--config", fleet_config, "--no-store", "--serve",
            f"127.0.0.1:{port}",
        )  # fmt: skip
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"umig-tui: cannot listen on 127.0.0.1:{port}: "), proc.stderr
    assert proc.stdout == ""


# -- a real Prometheus ---------------------------------------------------------------------------


def prometheus_binary() -> str | None:
    found = shutil.which("prometheus")
    if found is None and Path("/usr/bin/prometheus").exists():
        found = "/usr/bin/prometheus"
    return found


def api(url: str, path: str, **query: str) -> Any:
    target = f"{url}{path}" + (f"?{urllib.parse.urlencode(query)}" if query else "")
    with urllib.request.urlopen(target, timeout=5) as response:
        document = json.loads(response.read())
    assert document["status"] == "success", document
    return document["data"]


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/-/ready", timeout=1) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@contextlib.contextmanager
def prometheus(target: str, tmp_path: Path) -> Iterator[str]:
    """A real Prometheus on 127.0.0.1 scraping ``target`` every second; stopped in every case."""
    binary = prometheus_binary()
    if binary is None:
        pytest.skip(
            "Prometheus is not installed (no `prometheus` on PATH); "
            "`apt-get install prometheus` or run .ci/run as root"
        )
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global:\n"
        "  scrape_interval: 1s\n"
        "  scrape_timeout: 1s\n"
        "scrape_configs:\n"
        "  - job_name: umig-tui\n"
        "    static_configs:\n"
        f"      - targets: ['{target}']\n",
        encoding="utf-8",
    )
    log_path = tmp_path / "prometheus.log"
    for _attempt in range(3):  # the free port may be taken between finding and binding it
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        with open(log_path, "w", encoding="utf-8") as log:
            process = subprocess.Popen(
                [
                    binary,
                    f"--config.file={config}",
                    f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                    f"--web.listen-address=127.0.0.1:{port}",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline and process.poll() is None and not _ready(url):
                time.sleep(0.1)
            if process.poll() is None and _ready(url):
                yield url
                return
        finally:
            stop(process)
    pytest.fail("Prometheus did not start:\n" + log_path.read_text(encoding="utf-8")[-2000:])


def test_a_real_prometheus_scrapes_the_fleet(
    demo_server: ServerThread, fleet_config: Path, tmp_path: Path
) -> None:
    if prometheus_binary() is None:  # before starting the exporter for nothing
        pytest.skip(
            "Prometheus is not installed (no `prometheus` on PATH); "
            "`apt-get install prometheus` or run .ci/run as root"
        )
    running = {
        name: sim.release.version
        for name, sim in demo_server.call(lambda: dict(demo_server.simulator.envs)).items()
    }
    with (
        serving(fleet_config, tmp_path, "--no-store") as exporter,
        prometheus(exporter.url.removeprefix("http://"), tmp_path) as url,
    ):

        def target_up() -> dict[str, Any] | None:
            targets = api(url, "/api/v1/targets")["activeTargets"]
            up = [t for t in targets if t["health"] == "up"]
            return up[0] if up else None

        target = wait_for(target_up, timeout=10, what="the exporter's target to be up")
        assert target["labels"]["job"] == "umig-tui"
        assert target["lastError"] == ""

        def query(expression: str) -> list[dict[str, Any]] | None:
            result: list[dict[str, Any]] = api(url, "/api/v1/query", query=expression)["result"]
            return result or None

        health = wait_for(lambda: query("umig_health_status"), timeout=5, what="umig_health_status")
        assert {r["metric"]["environment"]: r["value"][1] for r in health} == {
            env: "1" for env in DEMO_ENVS
        }
        info = wait_for(lambda: query("umig_version_info"), timeout=5, what="umig_version_info")
        assert {r["metric"]["environment"]: r["metric"]["version"] for r in info} == running
        assert all(r["metric"]["instance"] == exporter.url.removeprefix("http://") for r in info)
        assert exporter.process.poll() is None
