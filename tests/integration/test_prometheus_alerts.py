"""Alerts when the fleet is read from Prometheus (``--source``): they are Alertmanager's, never
evaluated locally. A real Alertmanager on loopback (the fixture of test_alertmanager, which skips
saying why when it is not installed); the whole chain — serve evaluates and notifies, Prometheus
scrapes serve, a reader shows Alertmanager's list — with a real Prometheus too."""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import write_config
from tests.integration.conftest import FakeClock, run_cli
from tests.integration.test_alertmanager import (  # noqa: F401 - the fixture
    alertmanager,
    free_port,
    wait_for,
)
from tests.integration.test_prometheus_scrape import prometheus, prometheus_binary
from tests.integration.test_prometheus_scrape import wait_for as wait_until
from tests.integration.test_prometheus_source import SKIP
from tests.integration.test_serve_team import serve
from umig_tui.analysis.alert_rules import AlertPhase
from umig_tui.config import load_config
from umig_tui.demo.server import ServerThread
from umig_tui.service.alertmanager_alerts import READ_AT_MOST_EVERY
from umig_tui.service.alerts import AlertService
from umig_tui.service.engine import Engine
from umig_tui.service.runtime import open_monitor

ENVS = ("development", "uat", "production", "hotfix")
FAST = (
    '[polling]\ntimeout = "1s"\nhealth = "2s"\nmetrics = "2s"\ncomponents = "2s"\nversion = "2s"\n'
)
# A rule only serve has: if it shows on the reading side, it came through Alertmanager.
TEAM_RULE = """
[alerts]
interval = "1s"
[[alerts.rules]]
name = "team-error-rate"
metric = "error_rate"
comparison = ">"
threshold = 0.3
severity = "critical"
environments = ["production"]
"""
# A rule that holds for every environment with metrics: evaluated locally, it would fire.
LOCAL_RULE = """
[alerts]
interval = "1s"
[[alerts.rules]]
name = "local-only"
metric = "error_rate"
comparison = ">"
threshold = -1
"""


class CountingTransport(httpx.AsyncHTTPTransport):
    """The real transport, counting the reads of Alertmanager's alert list."""

    def __init__(self) -> None:
        super().__init__()
        self.alert_reads = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and request.url.path == "/api/v2/alerts":
            self.alert_reads += 1
        return await super().handle_async_request(request)


def post_alerts(url: str, alerts: list[dict[str, Any]]) -> None:
    request = urllib.request.Request(
        f"{url}/api/v2/alerts",
        data=json.dumps(alerts).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 200


def am_alert(
    rule: str, env: str, *, severity: str = "high", source: str = "umig-tui", **extra: Any
) -> dict[str, Any]:
    return {
        "labels": {"alertname": rule, "environment": env, "severity": severity, "source": source},
        "annotations": {"summary": f"{env}: {rule}", "description": "from the team's serve"},
        **extra,
    }


def source_config(tmp_path: Path, prometheus_url: str, alertmanager_url: str | None) -> Path:
    """Four environments read from ``prometheus_url`` (closed in most tests: the alerts do not
    need it), alerts from ``alertmanager_url``."""
    notify = f'[notify]\nalertmanager = "{alertmanager_url}"\n' if alertmanager_url else ""
    urls = {name: f"http://127.0.0.1:{free_port()}" for name in ENVS}
    return write_config(
        tmp_path / "reader.toml",
        urls,
        FAST + f'[source]\nprometheus = "{prometheus_url}"\n' + notify + LOCAL_RULE,
    )


def closed() -> str:
    return f"http://127.0.0.1:{free_port()}"


async def test_alerts_are_alertmanagers_for_this_fleet_with_changes_and_silences(
    alertmanager: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    config = load_config(str(source_config(tmp_path, closed(), alertmanager)), environ={})
    post_alerts(
        alertmanager,
        [
            am_alert("umig-api-error-rate-high", "production", severity="critical"),
            am_alert("umig-api-error-rate-high", "staging-7"),  # not this fleet's
            am_alert("DiskFull", "production", source="node-exporter"),  # not umig-tui's
            {
                **am_alert("umig-version-drift-detected", "uat"),
                "annotations": {"summary": "uat \x1b[31m[red]drift[/red]\x07"},
            },
        ],
    )
    monitor = await open_monitor(config, environ={}, store_path=tmp_path / "cache.db")
    clock = FakeClock(time.time())
    counted = CountingTransport()
    service = AlertService(monitor, clock=clock, silence_transport=counted)
    try:
        await service.restore()
        assert await service.evaluate() == []  # already firing when we looked: no news
        assert counted.alert_reads == 1
        alerts = {(a.rule, a.env): a for a in service.alerts()}
        assert set(alerts) == {
            ("umig-api-error-rate-high", "production"),
            ("umig-version-drift-detected", "uat"),
        }
        production = alerts[("umig-api-error-rate-high", "production")]
        assert (str(production.severity), production.phase) == ("CRITICAL", AlertPhase.FIRING)
        assert production.summary == "production: umig-api-error-rate-high"
        assert production.fired_at is not None
        assert abs(production.fired_at - time.time()) < 30
        drift = alerts[("umig-version-drift-detected", "uat")]
        assert "\x1b" not in drift.summary
        assert "\x07" not in drift.summary
        assert service.firing() == service.alerts()  # sorted, critical first
        assert service.notice is None
        # Never evaluated locally: "local-only" holds everywhere and is nowhere to be seen.
        assert service.engine.alerts == []

        post_alerts(alertmanager, [am_alert("umig-health-check-failed", "hotfix")])
        post_alerts(
            alertmanager,
            [am_alert("umig-version-drift-detected", "uat", endsAt="2020-01-01T00:00:00Z")],
        )
        # Woken again a moment later (an environment failing wakes the loop twice a second):
        # Alertmanager is not asked again so soon.
        clock.advance(READ_AT_MOST_EVERY - 1)
        assert await service.evaluate() == []
        assert counted.alert_reads == 1
        clock.advance(1)
        changes = {
            (t.alert.rule, t.alert.env, t.alert.phase, t.previous) for t in await service.evaluate()
        }
        assert changes == {
            ("umig-health-check-failed", "hotfix", AlertPhase.FIRING, None),
            ("umig-version-drift-detected", "uat", AlertPhase.RESOLVED, AlertPhase.FIRING),
        }

        silence = await service.silences.silence(production, 900, "known, fix deploying")
        assert set(service.silenced()) == {("umig-api-error-rate-high", "production")}
        assert service.silenced()[production.key].id == silence.id
        # Still listed (Alertmanager shows it suppressed): silenced, not gone.
        clock.advance(READ_AT_MOST_EVERY)
        await service.evaluate()
        assert ("umig-api-error-rate-high", "production") in {a.key for a in service.alerts()}
    finally:
        await service.aclose()
        await monitor.aclose()


async def test_alertmanager_down_keeps_the_last_alerts_and_says_so(
    alertmanager: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    config = load_config(str(source_config(tmp_path, closed(), alertmanager)), environ={})
    post_alerts(alertmanager, [am_alert("umig-api-error-rate-high", "production")])
    monitor = await open_monitor(config, environ={}, use_store=False)
    clock = FakeClock(time.time())
    service = AlertService(monitor, clock=clock)
    try:
        await service.evaluate()
        assert [a.env for a in service.alerts()] == ["production"]
        assert service.remote is not None
        assert service.remote.client is not None
        gone = closed()
        service.remote.client.url = gone  # as if it went away
        clock.advance(READ_AT_MOST_EVERY)
        assert await service.evaluate() == []
        assert [a.env for a in service.alerts()] == ["production"]
        assert service.notice is not None
        assert service.notice.startswith(f"alerts: Alertmanager at {gone} is unreachable (")
        assert service.notice.endswith("; showing the last known alerts")
    finally:
        await service.aclose()
        await monitor.aclose()


async def test_without_alertmanager_the_dashboard_says_no_alerts_are_shown(tmp_path: Path) -> None:
    path = source_config(tmp_path, closed(), None)
    extra = '[notify]\nwebhook = "http://127.0.0.1:9/hook"\n'
    path.write_text(path.read_text(encoding="utf-8") + extra, encoding="utf-8")
    monitor = await open_monitor(load_config(str(path), environ={}), environ={}, use_store=False)
    engine = Engine(monitor, environ={})
    try:
        notices = await engine.start()
        assert engine.notifier is None  # serve pages; twenty dashboards must not
        assert notices == [
            "no alerts shown: reading from Prometheus, the alert rules run in `umig-tui serve`, "
            "not here; set [notify] alertmanager to show the alerts it holds"
        ]
        assert await engine.alerts.evaluate() == []
        assert engine.alerts.alerts() == []
    finally:
        await engine.close()
        await monitor.aclose()


def test_alerts_command_without_alertmanager_is_a_config_error(tmp_path: Path) -> None:
    """Nowhere to read alerts from: exit 2 with why, never "0, nothing firing"."""
    proc = run_cli(
        "alerts", "--json", "--config", source_config(tmp_path, closed(), None), "--no-store"
    )
    assert proc.stdout == ""
    assert proc.returncode == 2
    assert (
        "no alerts shown: reading from Prometheus, the alert rules run in "
        "`umig-tui serve`, not here; set [notify] alertmanager to show the alerts it holds"
    ) in proc.stderr


def test_alertmanager_unreachable_is_a_note_naming_it(tmp_path: Path) -> None:
    gone = closed()
    proc = run_cli(
        "alerts", "--json", "--config", source_config(tmp_path, closed(), gone), "--no-store"
    )
    document = json.loads(proc.stdout)
    assert document["alerts"] == []
    assert document["notice"].startswith(f"alerts: Alertmanager at {gone} is unreachable (")
    assert proc.returncode == 1  # the list may be old or empty: not "nothing firing"
    assert f"umig-tui: note: alerts: Alertmanager at {gone} is unreachable (" in proc.stderr
    assert "no alerts known" in proc.stderr


def test_serve_notifies_once_and_readers_show_alertmanagers_alerts(
    alertmanager: str,  # noqa: F811
    demo_server: ServerThread,
    tmp_path: Path,
) -> None:
    """The chain: serve evaluates (its own rule) and sends Alertmanager; a reader through
    Prometheus lists exactly that alert, and its own rules — which would fire — stay silent."""
    if prometheus_binary() is None:
        pytest.skip(SKIP)
    served = write_config(
        tmp_path / "serve.toml",
        demo_server.env_urls(),
        FAST + TEAM_RULE + f'[notify]\nalertmanager = "{alertmanager}"\n',
    )
    demo_server.control("production", error_rate=0.5)
    with (
        serve(served, tmp_path, "--no-store") as exporter,
        prometheus(exporter.url.removeprefix("http://"), tmp_path) as url,
    ):
        reader = write_config(
            tmp_path / "reader.toml",
            demo_server.env_urls(),
            FAST
            + f'[source]\nprometheus = "{url}"\n[notify]\nalertmanager = "{alertmanager}"\n'
            + LOCAL_RULE,
        )

        def listed() -> dict[str, Any] | None:
            proc = run_cli("alerts", "--json", "--config", reader, "--store", tmp_path / "r.db")
            document = json.loads(proc.stdout)
            return {"code": proc.returncode, **document} if document["alerts"] else None

        found = wait_until(listed, timeout=20, what="serve's alert through Alertmanager")
        assert [
            (a["rule"], a["environment"], a["state"], a["severity"]) for a in found["alerts"]
        ] == [("team-error-rate", "production", "firing", "CRITICAL")]
        assert found["code"] == 1
        assert found["sinks"] == {}  # the reader sends nothing anywhere

        demo_server.control("production", error_rate=None)

        def cleared() -> bool:
            proc = run_cli("alerts", "--json", "--config", reader, "--store", tmp_path / "r.db")
            return proc.returncode == 0 and json.loads(proc.stdout)["alerts"] == []

        wait_until(cleared, timeout=20, what="the resolved alert gone from the reader")
