"""`umig-tui serve` as the team's single poller, over loopback against the demo-server fleet:
/metrics with the whole catalog (promtool-clean with --base-units), the Pushgateway (a recording
HTTP server standing in for it: `prometheus-pushgateway` is not packaged on every machine), and a
real Prometheus scraping serve with the exported rules loaded, its HTTP API showing every
environment's health and versions.

Prometheus and promtool come from the Debian package `prometheus`; the tests that need them
skip saying so when they are absent. Every process started here is stopped whatever happens.
"""

from __future__ import annotations

import contextlib
import http.server
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import UMIG_TUI, cli_env
from tests.integration.conftest import run_cli
from tests.integration.test_prometheus_scrape import (
    Exporter,
    _ready,
    _scrapable,
    api,
    free_port,
    prometheus_binary,
    request,
    stop,
    wait_for,
)
from tests.unit.test_export_prometheus import by, lint, parse
from umig_tui import exposition
from umig_tui.demo.server import ServerThread
from umig_tui.export.push import JOB

DEMO_ENVS = ("development", "uat", "production", "hotfix")


@contextlib.contextmanager
def serve(config: Path, tmp_path: Path, *extra: str) -> Iterator[Exporter]:
    """``umig-tui serve 127.0.0.1:PORT`` until /metrics answers."""
    log = tmp_path / "serve.log"
    for _attempt in range(3):  # the free port may be taken between finding and binding it
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        with open(log, "wb") as sink:
            process = subprocess.Popen(
                [*UMIG_TUI, "serve", f"127.0.0.1:{port}", "--config", str(config), *extra],
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
    pytest.fail("serve did not start:\n" + log.read_text(encoding="utf-8")[-2000:])


def releases(server: ServerThread) -> dict[str, str]:
    envs = server.call(lambda: dict(server.simulator.envs))
    return {name: sim.release.version for name, sim in envs.items()}


def test_serve_exposes_the_whole_catalog_and_promtool_finds_nothing(
    demo_server: ServerThread, fleet_config: Path, tmp_path: Path
) -> None:
    with serve(fleet_config, tmp_path, "--store", str(tmp_path / "s.db"), "--base-units") as s:

        def complete() -> dict[str, Any] | None:
            families = s.scrape()
            answered = by(families["umig_probe_success"], "environment", "signal")
            return families if len(answered) == 4 * len(DEMO_ENVS) else None

        families = wait_for(complete, timeout=10, what="every signal of every environment")
        names = {sample.name for samples in families.values() for sample in samples}
        assert names <= set(exposition.BY_NAME)
        running = releases(demo_server)
        components = by(
            families["umig_component_version_info"], "environment", "component", "version"
        )
        assert {(env, v) for env, c, v in components if c == "umig"} == set(running.items())
        assert by(families["umig_health_status"], "environment") == {
            (env,): 1.0 for env in DEMO_ENVS
        }
        assert set(by(families["umig_probe_latency_seconds"], "environment", "signal")) == set(
            by(families["umig_probe_success"], "environment", "signal")
        )
        code, problems = lint(request_body(s.url))
        assert (code, problems) == (0, [])
        assert "serving " in s.stderr()


def request_body(url: str) -> bytes:
    return request(f"{url}/metrics").body


# -- the Pushgateway -----------------------------------------------------------------------------


@dataclass
class Received:
    method: str
    path: str
    body: bytes


@dataclass
class Gateway:
    url: str
    received: list[Received] = field(default_factory=list)
    status: int = 200


@contextlib.contextmanager
def gateway() -> Iterator[Gateway]:
    """A loopback HTTP server recording every push (what a Pushgateway would get)."""
    state = Gateway("")

    class Handler(http.server.BaseHTTPRequestHandler):
        def _record(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            state.received.append(Received(self.command, self.path, self.rfile.read(length)))
            self.send_response(state.status)
            self.send_header("content-length", "0")
            self.end_headers()

        do_POST = do_PUT = _record

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def test_export_push_posts_the_fleet_to_the_seeds_job(
    demo_server: ServerThread, fleet_config: Path
) -> None:
    with gateway() as gw:
        proc = run_cli(
            "export", "prometheus", "--config", fleet_config, "--no-store", "--push", gw.url
        )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    assert [(r.method, r.path) for r in gw.received] == [("POST", f"/metrics/job/{JOB}")]
    families = parse(gw.received[0].body.decode())
    assert {v for _, v, _ in by(families["umig_version_info"], "environment", "version", "build")}
    assert set(by(families["umig_health_status"], "environment")) == {(e,) for e in DEMO_ENVS}
    assert f"pushed 4 environments to {gw.url}/metrics/job/{JOB}" in proc.stderr


def test_a_push_that_fails_is_one_line_and_exit_74(
    demo_server: ServerThread, fleet_config: Path
) -> None:
    with gateway() as gw:
        gw.status = 500
        refused = run_cli(
            "export", "prometheus", "--config", fleet_config, "--no-store", "--push", gw.url
        )
    assert refused.returncode == 74
    assert (
        refused.stderr
        == f"umig-tui: cannot push to {gw.url}/metrics/job/{JOB}: HTTP 500 Internal Server Error\n"
    )
    port = free_port()  # nothing listens there
    down = run_cli(
        "export", "prometheus", "--config", fleet_config, "--no-store", "--push",
        f"http://127.0.0.1:{port}",
    )  # fmt: skip
    assert down.returncode == 74
    assert down.stderr.count("\n") == 1
    assert "Connection refused" in down.stderr
    bad = run_cli("export", "prometheus", "--config", fleet_config, "--push", "ftp://x")
    assert bad.returncode == 2
    assert bad.stderr.count("\n") == 1


def test_serve_pushes_every_cycle_and_says_when_the_gateway_is_down(
    demo_server: ServerThread, fleet_config: Path, tmp_path: Path
) -> None:
    with gateway() as gw:
        config = tmp_path / "push.toml"
        config.write_text(
            fleet_config.read_text(encoding="utf-8")
            + f'\n[notify]\npushgateway = "{gw.url}"\ntimeout = "1s"\n',
            encoding="utf-8",
        )
        with serve(config, tmp_path, "--no-store") as s:
            wait_for(lambda: len(gw.received) >= 2, timeout=10, what="two pushes")
            assert {(r.method, r.path) for r in gw.received} == {("POST", f"/metrics/job/{JOB}")}
            assert b"umig_version_info{" in gw.received[-1].body
            gw.status = 503
            wait_for(lambda: "cannot push" in s.stderr(), timeout=10, what="the failure said")
            gw.status = 200
            wait_for(lambda: "pushing to" in s.stderr(), timeout=10, what="the recovery said")
            assert s.stderr().count("cannot push") == 1  # said once, not every cycle
            assert s.process.poll() is None


# -- a real Prometheus ---------------------------------------------------------------------------


@contextlib.contextmanager
def prometheus(target: str, tmp_path: Path, rules: Path) -> Iterator[str]:
    binary = prometheus_binary()
    if binary is None:
        pytest.skip("Prometheus is not installed (`apt-get install prometheus` or .ci/run)")
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n"
        f"rule_files: ['{rules}']\n"
        "scrape_configs:\n  - job_name: umig-tui\n    static_configs:\n"
        f"      - targets: ['{target}']\n",
        encoding="utf-8",
    )
    log_path = tmp_path / "prometheus.log"
    for _attempt in range(3):
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


def test_a_real_prometheus_scrapes_serve_and_loads_the_rules(
    demo_server: ServerThread, fleet_config: Path, tmp_path: Path
) -> None:
    if prometheus_binary() is None:
        pytest.skip("Prometheus is not installed (`apt-get install prometheus` or .ci/run)")
    rules = tmp_path / "umig-rules.yml"
    exported = run_cli("rules", "export", "--config", fleet_config)
    assert exported.returncode == 0, exported.stderr
    rules.write_text(exported.stdout, encoding="utf-8")
    running = releases(demo_server)
    with (
        serve(fleet_config, tmp_path, "--store", str(tmp_path / "s.db")) as s,
        prometheus(s.url.removeprefix("http://"), tmp_path, rules) as url,
    ):

        def query(expression: str) -> list[dict[str, Any]] | None:
            result: list[dict[str, Any]] = api(url, "/api/v1/query", query=expression)["result"]
            return result or None

        health = wait_for(lambda: query("umig_health_status"), timeout=10, what="health")
        assert {r["metric"]["environment"]: r["value"][1] for r in health} == {
            env: "1" for env in DEMO_ENVS
        }
        info = wait_for(lambda: query("umig_version_info"), timeout=5, what="versions")
        assert {r["metric"]["environment"]: r["metric"]["version"] for r in info} == running
        status = query("umig_environment_status == 1") or []
        assert {r["metric"]["environment"]: r["metric"]["status"] for r in status} == {
            env: "healthy" for env in DEMO_ENVS
        }
        # a version change reaches Prometheus within a scrape or two
        demo_server.control("uat", version="1.9.0")
        wait_for(
            lambda: query('umig_version_info{environment="uat",version="1.9.0"}'),
            timeout=10,
            what="uat's 1.9.0 through Prometheus",
        )
        groups = api(url, "/api/v1/rules")["groups"]
        loaded = {r["name"]: r["health"] for g in groups for r in g["rules"]}
        assert set(loaded) == {
            "umig-health-check-failed", "umig-version-drift-detected", "umig-component-degraded",
            "umig-api-error-rate-high", "umig-deployment-failed", "umig-slo-budget-burn",
            "umig-deployment-inconclusive",
        }  # fmt: skip
        wait_for(
            lambda: all(h == "ok" for h in rule_health(url).values()),
            timeout=10,
            what="every rule evaluated without error",
        )
        assert s.process.poll() is None


def rule_health(url: str) -> dict[str, str]:
    groups = api(url, "/api/v1/rules")["groups"]
    return {r["name"]: r["health"] for g in groups for r in g["rules"]}
