"""Monitor: poll results flow into FleetState and the store; status flips become events."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import cast

import pytest
from msgspec.structs import replace

from umig_tui.config import Config, Polling
from umig_tui.demo.fleet import demo_config
from umig_tui.demo.simulator import Simulator
from umig_tui.events import EventKind, StatusChange
from umig_tui.models import (
    MONITORED_ENDPOINTS,
    Endpoint,
    EnvStatus,
    ErrorKind,
    HealthSnapshot,
    PollResult,
)
from umig_tui.service.monitor import Change, Monitor
from umig_tui.service.runtime import open_monitor
from umig_tui.sources.client import UmigClient
from umig_tui.store.queries import latest_rows
from umig_tui.store.store import Store

MonitorFactory = Callable[..., Awaitable[Monitor]]


def config() -> Config:
    base = demo_config(Config(environments=()), 4)
    return replace(
        base,
        polling=Polling(timeout=0.5, health=0.05, version=0.05, components=0.05, metrics=0.05),
    )


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "state" / "samples.db"


@pytest.fixture
async def monitors(db: Path, simulator: Simulator) -> AsyncIterator[MonitorFactory]:
    """open_monitor over the in-process demo fleet; every monitor is closed afterwards."""
    opened: list[Monitor] = []

    async def make(*, restore: bool = False) -> Monitor:
        monitor = await open_monitor(
            config(), environ={}, store_path=db, simulator=simulator, restore=restore
        )
        opened.append(monitor)
        return monitor

    yield make
    for monitor in opened:
        await monitor.aclose()


async def test_results_flow_into_the_fleet_and_the_store(monitors: MonitorFactory) -> None:
    monitor = await monitors()
    changes: list[Change] = []
    monitor.subscribe(changes.append)
    results = await monitor.poll_once()
    assert len(results) == 16
    assert len(changes) == 16
    production = monitor.fleet.view("production")
    assert production.status is EnvStatus.HEALTHY
    assert production.version == "1.1.2"
    assert monitor.fleet.versions("development").umig == "1.3.0-dev+ci.1245"
    assert monitor.store is not None
    await monitor.store.flush()
    rows = await latest_rows(monitor.store)
    assert {(r.env, r.endpoint) for r in rows} == {
        (env, str(e)) for env in monitor.fleet.names for e in MONITORED_ENDPOINTS
    }
    assert all(r.ok and r.good_body for r in rows)
    assert monitor.store_notice is None


async def test_a_status_flip_is_an_event_in_the_store(
    monitors: MonitorFactory, simulator: Simulator
) -> None:
    monitor = await monitors()
    changes: list[Change] = []
    monitor.subscribe(changes.append)
    await monitor.poll_once()
    assert monitor.store is not None
    await monitor.store.flush()
    # the first status of each environment is not a change: no "unknown → healthy" noise
    assert await monitor.store.events(kinds=["status_change"]) == []

    simulator.set_fault("uat", "refused")
    await monitor.poll_once()
    await monitor.store.flush()
    assert monitor.fleet.view("uat").status is EnvStatus.UNREACHABLE
    (event,) = await monitor.store.events(kinds=["status_change"])
    assert (event.env, event.kind, event.severity) == ("uat", EventKind.STATUS_CHANGE, "critical")
    assert event.payload == StatusChange("healthy", "unreachable", event.payload.reason)
    assert "connect_error" in event.payload.reason
    assert [c.events for c in changes if c.events] == [(replace(event, id=None),)]

    simulator.set_fault("uat", None)
    await monitor.poll_once()
    await monitor.store.flush()
    back = await monitor.store.events(env="uat", kinds=["status_change"])
    assert [(e.payload.before, e.payload.after) for e in back] == [
        ("unreachable", "healthy"),
        ("healthy", "unreachable"),
    ]


async def test_restore_puts_the_last_known_state_back_before_any_poll(
    monitors: MonitorFactory, simulator: Simulator
) -> None:
    simulator.set_fault("hotfix", "http503", "health")
    first = await monitors()
    await first.poll_once()
    await first.aclose()

    polled: list[PollResult] = []
    second = await monitors(restore=True)
    second.subscribe(lambda change: polled.append(change.result) if change.result else None)
    assert polled == []
    production = second.fleet.view("production")
    assert production.status is EnvStatus.HEALTHY
    assert production.version == "1.1.2"
    assert second.fleet.version_matrix() == first.fleet.version_matrix()
    hotfix = second.fleet.view("hotfix")
    assert hotfix.status is EnvStatus.UNREACHABLE
    assert hotfix.error is not None
    assert hotfix.error.kind is ErrorKind.HTTP_ERROR

    # a flip across the restart is still a change
    simulator.set_fault("production", "refused")
    await second.poll_once()
    assert second.store is not None
    await second.store.flush()
    events = await second.store.events(kinds=["status_change"])
    assert [(e.env, e.payload.before, e.payload.after) for e in events] == [
        ("production", "healthy", "unreachable")
    ]


async def test_a_raising_listener_does_not_stop_polling(monitors: MonitorFactory) -> None:
    monitor = await monitors()
    heard: list[Change] = []

    def broken(change: Change) -> None:
        raise RuntimeError("a face's bug")

    monitor.subscribe(broken)
    monitor.subscribe(heard.append)
    await monitor.poll_once()
    assert len(heard) == 16  # listeners after the broken one still hear everything

    loop = asyncio.create_task(monitor.poll_loop("uat"))
    deadline = time.monotonic() + 10  # waited for, not timed: a loaded machine polls slower
    while len([c for c in heard if c.env == "uat"]) < 4 + 8:
        assert time.monotonic() < deadline, "it stopped polling"
        await asyncio.sleep(0.01)
    loop.cancel()
    await asyncio.gather(loop, return_exceptions=True)


class Client:
    """A stand-in client: health answers "healthy" after the other endpoints; records aclose()."""

    def __init__(self, env: str) -> None:
        self.env = env
        self.closed = False
        self.profile = None  # no profile to find: fetch answers directly
        self.on_profile = None

    async def fetch(self, endpoint: Endpoint) -> PollResult:
        if endpoint is Endpoint.HEALTH:
            await asyncio.sleep(0.05)
            return PollResult(
                self.env, endpoint, time.time(), 50.0, value=HealthSnapshot("healthy")
            )
        return PollResult(self.env, endpoint, time.time(), 1.0)

    async def aclose(self) -> None:
        self.closed = True


async def test_first_status_is_not_a_change_whichever_endpoint_answers_first(db: Path) -> None:
    cfg = config()
    clients = {env.name: Client(env.name) for env in cfg.environments}
    for restore in (False, True):  # a fresh start, and a restart on a store with no results
        store = await Store.open(db, cfg.store)
        monitor = Monitor(cfg, cast(dict[str, UmigClient], clients), store=store)
        if restore:
            assert await monitor.restore() == 0
        changes: list[Change] = []
        monitor.subscribe(changes.append)
        await monitor.poll_once()
        assert changes[0].status is EnvStatus.UNKNOWN  # version answered before health
        assert monitor.fleet.view("uat").status is EnvStatus.HEALTHY
        assert [c.events for c in changes if c.events] == []
        await monitor.aclose()


async def test_aclose_closes_the_clients_and_the_store(db: Path) -> None:
    cfg = config()
    clients = {env.name: Client(env.name) for env in cfg.environments}
    store = await Store.open(db, cfg.store)
    monitor = Monitor(cfg, cast(dict[str, UmigClient], clients), store=store)
    await monitor.poll_once()
    await monitor.aclose()
    assert all(client.closed for client in clients.values())
    again = await Store.open(db, cfg.store)  # the lock was released: a new writer
    assert again.writable
    assert again.notice is None
    assert len(await latest_rows(again)) == 16  # what was submitted was flushed on close
    await again.close()
