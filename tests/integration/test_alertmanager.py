"""Notification sinks for real: a real Alertmanager started on loopback by the test, a tiny local
webhook receiver, and a sink that is down (connection refused).

The Alertmanager tests skip, saying why, when neither ``prometheus-alertmanager`` (Debian) nor
``alertmanager`` is installed; ``.ci/run`` installs the Debian package when it can.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import cli_env, write_config
from tests.integration.conftest import FAST_POLLING, FakeClock, run_cli
from umig_tui.analysis.alert_rules import AlertPhase, AlertState
from umig_tui.config import NotifySettings, load_config
from umig_tui.demo.server import ServerThread
from umig_tui.models import Severity
from umig_tui.service.alerts import AlertService
from umig_tui.service.notify import RETRIES, Notifier, alertmanager_alert, webhook_payload
from umig_tui.service.runtime import open_monitor
from umig_tui.util.timefmt import iso

ERROR_RULE = "umig-api-error-rate-high"
AM_CONFIG = """\
route:
  receiver: "null"
receivers:
  - name: "null"
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def alertmanager_binary() -> str | None:
    for name in ("prometheus-alertmanager", "alertmanager"):
        found = shutil.which(name) or (
            f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists() else None
        )
        if found:
            return found
    return None


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/-/ready", timeout=1) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@pytest.fixture
def alertmanager(tmp_path: Path) -> Iterator[str]:
    """A real Alertmanager on 127.0.0.1 (no gossip, a null receiver); stopped in every case."""
    binary = alertmanager_binary()
    if binary is None:
        pytest.skip(
            "Alertmanager is not installed (neither prometheus-alertmanager nor alertmanager on "
            "PATH); `apt-get install prometheus-alertmanager` or run .ci/run as root"
        )
    config = tmp_path / "alertmanager.yml"
    config.write_text(AM_CONFIG, encoding="utf-8")
    log_path = tmp_path / "alertmanager.log"
    for _attempt in range(3):  # the free port may be taken between finding and binding it
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        with open(log_path, "w", encoding="utf-8") as log:
            process = subprocess.Popen(
                [
                    binary,
                    f"--config.file={config}",
                    f"--storage.path={tmp_path / 'am-data'}",
                    f"--web.listen-address=127.0.0.1:{port}",
                    "--cluster.listen-address=",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and process.poll() is None and not _ready(url):
                time.sleep(0.1)
            if process.poll() is None and _ready(url):
                yield url
                return
        finally:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(5)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(5)
    pytest.fail("Alertmanager did not start:\n" + log_path.read_text(encoding="utf-8")[-2000:])


def am_alerts(url: str, alertname: str) -> list[dict[str, Any]]:
    """``GET /api/v2/alerts`` for one alert name (resolved alerts are not listed)."""
    query = urllib.parse.urlencode({"filter": f'alertname="{alertname}"'})
    with urllib.request.urlopen(f"{url}/api/v2/alerts?{query}", timeout=5) as response:
        return list(json.loads(response.read()))


async def wait_for(condition: Any, within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


class RecordingTransport(httpx.AsyncHTTPTransport):
    """The real transport, counting attempts and keeping each request body."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[tuple[str, Any]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        self.requests.append((request.url.path, json.loads(request.content)))
        return await super().handle_async_request(request)


# -- a real Alertmanager -----------------------------------------------------------------------


async def test_error_rate_alert_reaches_alertmanager_and_resolves_there(
    alertmanager: str, demo_server: ServerThread, fleet_config: Path, tmp_path: Path
) -> None:
    config = load_config(str(fleet_config), environ={})
    transport = RecordingTransport()
    notifier = Notifier(NotifySettings(alertmanager=alertmanager), {}, transport=transport)
    # An hour behind: the resolved alert's endsAt is in Alertmanager's past, so it stops listing it.
    clock = FakeClock(time.time() - 3600)
    monitor = await open_monitor(config, environ={}, store_path=tmp_path / "samples.db")
    try:
        service = AlertService(monitor, notifier=notifier, clock=clock)
        await service.restore()

        async def cycle() -> list[tuple[str, str, str]]:
            await monitor.poll_once()
            transitions = await service.evaluate()
            await notifier.flush()
            return [(t.alert.rule, t.alert.env, str(t.alert.phase)) for t in transitions]

        assert await cycle() == []
        demo_server.control("uat", error_rate=0.2)
        assert await cycle() == [(ERROR_RULE, "uat", "pending")]
        assert am_alerts(alertmanager, ERROR_RULE) == []  # pending is not sent
        clock.advance(120)
        assert await cycle() == [(ERROR_RULE, "uat", "firing")]
        await wait_for(
            lambda: (
                [a["status"]["state"] for a in am_alerts(alertmanager, ERROR_RULE)] == ["active"]
            )
        )
        [received] = am_alerts(alertmanager, ERROR_RULE)
        assert {k: received["labels"][k] for k in ("alertname", "environment", "severity")} == {
            "alertname": ERROR_RULE,
            "environment": "uat",
            "severity": "high",
        }
        assert (
            received["annotations"]["summary"] == "uat: umig-api-error-rate-high (error rate 20.0%)"
        )
        assert datetime.fromisoformat(received["startsAt"].replace("Z", "+00:00")).timestamp() == (
            pytest.approx(clock(), abs=1)
        )

        demo_server.control("uat", error_rate=None)
        clock.advance(30)
        assert await cycle() == [(ERROR_RULE, "uat", "resolved")]
        await wait_for(lambda: am_alerts(alertmanager, ERROR_RULE) == [])
        path, body = transport.requests[-1]
        assert path == "/api/v2/alerts"
        assert [(a["labels"]["alertname"], a["endsAt"]) for a in body] == [
            (ERROR_RULE, iso(clock()))
        ]
        assert notifier.status["alertmanager"].ok is True
        assert notifier.status["alertmanager"].failed == 0
    finally:
        await notifier.aclose()
        await monitor.aclose()


def test_the_alerts_command_sends_to_alertmanager(
    alertmanager: str, demo_server: ServerThread, tmp_path: Path
) -> None:
    config = write_config(
        tmp_path / "alerting.toml",
        demo_server.env_urls(),
        FAST_POLLING
        + f'[notify]\nalertmanager = "{alertmanager}"\n\n'
        + '[[alerts.rules]]\nname = "uat-errors"\nmetric = "error_rate"\ncomparison = ">"\n'
        + 'threshold = 0.1\nseverity = "critical"\nenvironments = ["uat"]\n',
    )
    demo_server.control("uat", error_rate=0.3)
    proc = run_cli("alerts", "--config", config, "--json", env=cli_env())
    assert proc.returncode == 1, proc.stderr
    document = json.loads(proc.stdout)
    sink = document["sinks"]["alertmanager"]
    assert (sink["ok"], sink["last_error"], sink["failed"]) == (True, None, 0)
    assert sink["sent"] >= 1
    [received] = am_alerts(alertmanager, "uat-errors")
    assert (received["labels"]["environment"], received["labels"]["severity"]) == (
        "uat",
        "critical",
    )


# -- a webhook receiver, and sinks that are down ---------------------------------------------------


class Receiver:
    """A tiny HTTP server on loopback keeping every POST (path, headers, JSON body)."""

    def __init__(self, status: int = 200) -> None:
        self.received: list[tuple[str, dict[str, str], Any]] = []
        self.status = status
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length))
                receiver.received.append((self.path, dict(self.headers.items()), body))
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(5)


def firing_alert(phase: AlertPhase = AlertPhase.FIRING) -> AlertState:
    return AlertState(
        ERROR_RULE,
        "uat",
        phase,
        Severity.HIGH,
        since=1_750_000_000.0,
        fired_at=1_750_000_120.0,
        resolved_at=1_750_000_300.0 if phase is AlertPhase.RESOLVED else None,
        value=0.2,
        threshold=0.05,
        summary="uat: umig-api-error-rate-high (error rate 20.0%)",
        description="API error rate above 5% for 2m",
    )


async def test_webhook_gets_the_seeds_trigger_alert_shape() -> None:
    with Receiver() as receiver:
        notifier = Notifier(
            NotifySettings(webhook=f"{receiver.url}/hooks/umig", webhook_token_env="HOOK_TOKEN"),
            {"HOOK_TOKEN": "s3cret"},
        )
        try:
            notifier.submit(firing_alert())
            notifier.submit(firing_alert(AlertPhase.RESOLVED))
            await notifier.flush()
        finally:
            await notifier.aclose()
    [(path, headers, body), (_, _, resolved)] = receiver.received
    assert path == "/hooks/umig"
    assert headers["Authorization"] == "Bearer s3cret"
    assert headers["Content-Type"] == "application/json"
    assert {k: body[k] for k in ("alert", "value", "environment", "severity", "state")} == {
        "alert": ERROR_RULE,
        "value": "0.2",
        "environment": "uat",
        "severity": "high",
        "state": "firing",
    }
    assert body["summary"] == "uat: umig-api-error-rate-high (error rate 20.0%)"
    assert abs(datetime.fromisoformat(body["timestamp"]).timestamp() - time.time()) < 60
    assert resolved["state"] == "resolved"
    assert notifier.status["webhook"].describe() == "webhook: ok (2 sent)"


async def test_a_sink_that_is_down_shows_failing_is_retried_and_never_blocks_polling(
    demo_server: ServerThread, fleet_config: Path, tmp_path: Path
) -> None:
    transport = RecordingTransport()
    down = f"http://127.0.0.1:{free_port()}/hook"  # nothing listens there: connection refused
    # Retries for ~7.5 s (0.5, 1, 2, 4 s): long enough to poll while they run, on a busy machine.
    notifier = Notifier(NotifySettings(webhook=down), {}, transport=transport, backoff=0.5)
    monitor = await open_monitor(
        load_config(str(fleet_config), environ={}), environ={}, use_store=False
    )
    try:
        notifier.submit(firing_alert())
        assert transport.requests == []  # queued, not sent inline (submit is synchronous)
        await wait_for(lambda: notifier.status["webhook"].ok is False, within=5)
        assert notifier.status["webhook"].describe().startswith("webhook: failing (")
        started = time.perf_counter()
        results = await monitor.poll_once()  # while the sink is being retried
        assert time.perf_counter() - started < 2
        assert all(r.ok for r in results)
        assert notifier.status["webhook"].failed == 0  # still retrying
        async with asyncio.timeout(20):
            await notifier.flush()
    finally:
        await notifier.aclose()
        await monitor.aclose()
    status = notifier.status["webhook"]
    assert len(transport.requests) == RETRIES
    assert (status.ok, status.sent, status.failed) == (False, 0, 1)
    assert status.last_error


async def test_one_sink_down_does_not_hold_up_the_other() -> None:
    transport = RecordingTransport()
    down = f"http://127.0.0.1:{free_port()}/hook"
    with Receiver() as alertmanager:
        notifier = Notifier(
            NotifySettings(webhook=down, alertmanager=alertmanager.url),
            {},
            transport=transport,
            backoff=1.0,  # the webhook's retries take 15 s in all
        )
        try:
            notifier.submit(firing_alert())
            await wait_for(lambda: len(alertmanager.received) == 1, within=2)
        finally:
            await notifier.aclose()
    [(path, _, body)] = alertmanager.received
    assert path == "/api/v2/alerts"
    assert body == [alertmanager_alert(firing_alert())]
    assert notifier.status["webhook"].ok is False
    assert notifier.status["alertmanager"].ok is True


async def test_retries_with_backoff_until_the_sink_answers() -> None:
    answers = [503, 503, 200]
    seen_at: list[float] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen_at.append(time.monotonic())
        return httpx.Response(answers[len(seen_at) - 1])

    notifier = Notifier(
        NotifySettings(webhook="http://hooks.example/x"),
        {},
        transport=httpx.MockTransport(answer),
        backoff=0.05,
    )
    try:
        notifier.submit(firing_alert())
        await notifier.flush()
    finally:
        await notifier.aclose()
    assert len(seen_at) == 3
    # The delay doubles: each gap at least its own backoff (a sleep never ends early; comparing
    # two measured gaps with each other would fail whenever the first wake-up is late).
    assert seen_at[1] - seen_at[0] >= 0.05
    assert seen_at[2] - seen_at[1] >= 0.1
    status = notifier.status["webhook"]
    assert (status.ok, status.sent, status.failed, status.last_error) == (True, 1, 0, None)


async def test_a_request_the_sink_refuses_is_not_retried() -> None:
    calls: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(400)

    notifier = Notifier(
        NotifySettings(alertmanager="http://am.example:9093"),
        {},
        transport=httpx.MockTransport(answer),
        backoff=0.05,
    )
    try:
        notifier.submit(firing_alert())
        await notifier.flush()
    finally:
        await notifier.aclose()
    assert [str(c.url) for c in calls] == ["http://am.example:9093/api/v2/alerts"]
    assert notifier.status["alertmanager"].describe() == "alertmanager: failing (HTTP 400)"


async def test_firing_alerts_are_repeated_to_alertmanager_once_a_minute() -> None:
    bodies: list[Any] = []

    def answer(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content))
        return httpx.Response(200)

    notifier = Notifier(
        NotifySettings(alertmanager="http://am.example:9093", webhook="http://hooks.example/x"),
        {},
        transport=httpx.MockTransport(answer),
    )
    try:
        for now in (1000.0, 1030.0, 1061.0):
            notifier.resend_firing([firing_alert()], now)
        notifier.resend_firing([], 2000.0)
        await notifier.flush()
    finally:
        await notifier.aclose()
    assert len(bodies) == 2  # at 1000 and 1061; never to the webhook, never when nothing fires
    assert all(isinstance(b, list) and b[0]["labels"]["alertname"] == ERROR_RULE for b in bodies)


def test_payload_shapes() -> None:
    body = alertmanager_alert(firing_alert())
    assert body == {
        "labels": {
            "alertname": ERROR_RULE,
            "environment": "uat",
            "severity": "high",
            "source": "umig-tui",
        },
        "annotations": {
            "summary": "uat: umig-api-error-rate-high (error rate 20.0%)",
            "description": "API error rate above 5% for 2m",
        },
        "startsAt": iso(1_750_000_120.0),
    }
    resolved = alertmanager_alert(firing_alert(AlertPhase.RESOLVED))
    assert resolved["endsAt"] == iso(1_750_000_300.0)
    hook = webhook_payload(firing_alert())
    assert set(hook) >= {
        "alert",
        "value",
        "timestamp",
        "environment",
        "severity",
        "state",
        "summary",
    }
    assert hook["since"] == iso(1_750_000_000.0)
