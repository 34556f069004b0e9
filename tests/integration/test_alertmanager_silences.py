"""Silences through a real Alertmanager (the fixture of test_alertmanager starts one on loopback,
or skips saying why): created with the labels the notifier sends, listed while active, gone once
expired; a silenced alert pages no webhook and Alertmanager holds it back too."""

from __future__ import annotations

import json
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest
from msgspec.structs import replace

from tests.integration.conftest import FakeClock
from tests.integration.test_alertmanager import (  # noqa: F401 - the fixture
    ERROR_RULE,
    Receiver,
    alertmanager,
    firing_alert,
    free_port,
    wait_for,
)
from umig_tui.analysis.alert_rules import AlertPhase
from umig_tui.analysis.silences import SilenceError, SilenceSource
from umig_tui.config import NotifySettings, load_config
from umig_tui.demo.server import ServerThread
from umig_tui.service.alertmanager_silences import AlertmanagerSilences
from umig_tui.service.alerts import AlertService, SilencedTransition
from umig_tui.service.notify import Notifier
from umig_tui.service.runtime import open_monitor
from umig_tui.service.silences import SilenceService


def am_silences(url: str) -> list[dict[str, Any]]:
    with urllib.request.urlopen(f"{url}/api/v2/silences", timeout=5) as response:
        return list(json.loads(response.read()))


def am_alert_state(url: str, alertname: str) -> list[str]:
    with urllib.request.urlopen(f"{url}/api/v2/alerts", timeout=5) as response:
        alerts = json.loads(response.read())
    return [a["status"]["state"] for a in alerts if a["labels"].get("alertname") == alertname]


async def test_a_silence_is_created_listed_and_expired_in_alertmanager(alertmanager: str) -> None:  # noqa: F811
    service = SilenceService(store=None, alertmanager=alertmanager, user=lambda: "alice")
    made = await service.silence(firing_alert(), 900, "known issue, fix deploying")
    assert made.source is SilenceSource.ALERTMANAGER
    [raw] = am_silences(alertmanager)
    assert raw["id"] == made.id
    assert raw["status"]["state"] == "active"
    assert (raw["createdBy"], raw["comment"]) == ("alice", "known issue, fix deploying")
    assert {(m["name"], m["value"], m["isRegex"]) for m in raw["matchers"]} == {
        ("alertname", ERROR_RULE, False),
        ("environment", "uat", False),
    }

    other = SilenceService(store=None, alertmanager=alertmanager)  # another engineer's dashboard
    await other.refresh()
    seen = other.silence_for(firing_alert())
    assert seen is not None
    assert (seen.id, seen.author, seen.comment) == (made.id, "alice", "known issue, fix deploying")
    assert seen.ends_at == pytest.approx(made.ends_at, abs=1)
    assert seen.mark(time.time()).startswith("silenced by alice until ")

    await other.expire(seen)
    assert [s["status"]["state"] for s in am_silences(alertmanager)] == ["expired"]
    await service.refresh()
    assert service.active() == []
    assert service.silence_for(firing_alert()) is None


async def test_alertmanager_errors_are_reasons_not_tracebacks(alertmanager: str) -> None:  # noqa: F811
    client = AlertmanagerSilences(alertmanager)
    with pytest.raises(SilenceError) as refused:
        await client.expire("no-such-silence")
    assert str(refused.value) == (
        f"Alertmanager at {alertmanager} refused DELETE /api/v2/silence/no-such-silence: "
        'HTTP 422 (silenceID in path must be of type uuid: "no-such-silence")'
    )
    with pytest.raises(SilenceError, match=r"HTTP 500 \(silence not found\)"):
        await client.expire(str(uuid.uuid4()))
    down = SilenceService(store=None, alertmanager=f"http://127.0.0.1:{free_port()}", timeout=2)
    with pytest.raises(SilenceError, match="is unreachable"):
        await down.silence(firing_alert(), 900, "why")
    await down.refresh()  # never raises: says why, keeps what it had
    assert down.error is not None
    assert "is unreachable" in down.error


async def test_a_silenced_alert_pages_no_webhook_and_alertmanager_holds_it_back(
    alertmanager: str,  # noqa: F811
    demo_server: ServerThread,
    fleet_config: Path,
    tmp_path: Path,
) -> None:
    config = load_config(str(fleet_config), environ={})
    with Receiver() as hook:
        config = replace(config, notify=NotifySettings(webhook=hook.url, alertmanager=alertmanager))
        notifier = Notifier(config.notify, {})
        clock = FakeClock(time.time())
        monitor = await open_monitor(config, environ={}, store_path=tmp_path / "samples.db")
        try:
            service = AlertService(monitor, notifier=notifier, clock=clock)
            await service.restore()
            await monitor.poll_once()
            await service.evaluate()
            demo_server.control("uat", error_rate=0.2)
            await monitor.poll_once()
            [pending] = await service.evaluate()
            assert pending.alert.phase is AlertPhase.PENDING
            made = await service.silences.silence(pending.alert, 900, "deploy in progress")

            clock.advance(120)
            await monitor.poll_once()
            [fired] = await service.evaluate()
            assert isinstance(fired, SilencedTransition)
            assert fired.alert.phase is AlertPhase.FIRING
            assert fired.silence.id == made.id
            assert not fired.notify
            assert service.silenced()[(ERROR_RULE, "uat")].id == made.id
            await notifier.flush()
            assert hook.received == []  # the webhook was not paged
            # Alertmanager got the alert and holds it back under the silence.
            await wait_for(lambda: am_alert_state(alertmanager, ERROR_RULE) == ["suppressed"])
        finally:
            await notifier.aclose()
            await monitor.aclose()
