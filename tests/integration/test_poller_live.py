"""The poller with real clients: the demo-server over loopback HTTP, and the in-process transport."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import AsyncIterator, Callable, Iterable

from msgspec.structs import replace

from umig_tui.config import Config, Environment, Polling
from umig_tui.demo.fleet import demo_config
from umig_tui.demo.server import ServerThread
from umig_tui.demo.simulator import Simulator
from umig_tui.models import (
    MONITORED_ENDPOINTS,
    ComponentsStatus,
    Endpoint,
    ErrorKind,
    HealthSnapshot,
    MetricsSnapshot,
    PollResult,
    Tier,
    VersionInfo,
)
from umig_tui.polling.breaker import BreakerState
from umig_tui.polling.poller import Poller
from umig_tui.service.runtime import build_clients

H = Endpoint.HEALTH
FAST = Polling(
    health=0.1,
    version=0.1,
    components=0.1,
    metrics=0.1,
    timeout=2.0,  # generous: a loaded machine's loopback can be slow
    circuit_failures=3,
    circuit_cooldown=0.3,
    max_backoff=0.3,
)

IN_PROCESS = replace(FAST, timeout=0.4)  # no server thread to wait for: faults resolve fast


def http_config(server: ServerThread, polling: Polling = FAST) -> Config:
    envs = tuple(
        Environment(name, url, Tier(server.simulator.envs[name].tier))
        for name, url in server.env_urls().items()
    )
    return Config(environments=envs, polling=polling)


def in_process_config(count: int, polling: Polling = IN_PROCESS) -> Config:
    config = demo_config(Config(environments=()), count)
    return Config(environments=config.environments, polling=polling, demo=True)


@contextlib.asynccontextmanager
async def polling(
    config: Config, *, simulator: Simulator | None = None
) -> AsyncIterator[tuple[Poller, list[PollResult]]]:
    """A poller with real clients; every result collected; clients closed afterwards."""
    clients = build_clients(config, {}, simulator=simulator)
    seen: list[PollResult] = []
    poller = Poller(config, clients, on_result=seen.append)
    try:
        yield poller, seen
    finally:
        await poller.aclose()
        for client in clients.values():
            await client.aclose()


@contextlib.asynccontextmanager
async def loops(poller: Poller, envs: Iterable[str] | None = None) -> AsyncIterator[None]:
    tasks = [asyncio.create_task(poller.run_env(n)) for n in envs or poller.clients]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def wait_until(predicate: Callable[[], bool], within: float = 5.0) -> None:
    deadline = time.monotonic() + within
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.01)


def of(seen: list[PollResult], env: str, endpoint: Endpoint | None = None) -> list[PollResult]:
    return [r for r in seen if r.env == env and (endpoint is None or r.endpoint is endpoint)]


async def test_poll_once_over_loopback_reads_every_document(demo_server: ServerThread) -> None:
    async with polling(http_config(demo_server)) as (poller, seen):
        results = await poller.poll_once()
    assert len(results) == 16 == len(seen)
    assert all(r.ok for r in results), [r.error for r in results if r.error]
    kinds = {r.endpoint: type(r.value) for r in results}
    assert kinds == {
        Endpoint.HEALTH: HealthSnapshot,
        Endpoint.VERSION: VersionInfo,
        Endpoint.COMPONENTS: ComponentsStatus,
        Endpoint.METRICS: MetricsSnapshot,
    }


async def test_hanging_env_never_slows_the_others_over_http(demo_server: ServerThread) -> None:
    demo_server.control("uat", fault="hang")
    config = http_config(demo_server, replace(FAST, timeout=0.8))
    others = ("development", "production", "hotfix")
    async with polling(config) as (poller, seen), loops(poller):
        # Counted, not timed: a loaded machine polls fewer times in a second, never more.
        await wait_until(lambda: all(len(of(seen, env, H)) >= 5 for env in others), within=15)
        await wait_until(lambda: bool(of(seen, "uat")), within=15)  # its hang timed out
    for env in others:
        health = [r.ts for r in of(seen, env, H)]
        spacing = [b - a for a, b in itertools.pairwise(health)]
        # every 0.1 s plus the request (slower on a loaded machine), never the 0.8 s hang
        assert max(spacing) < 0.5, (env, spacing)
        assert all(r.ok for r in of(seen, env))
    hung = of(seen, "uat")
    assert {r.error.kind for r in hung if r.error} == {ErrorKind.TIMEOUT}


async def test_refused_env_opens_the_breaker_then_recovers_over_http(
    demo_server: ServerThread,
) -> None:
    demo_server.control("production", fault="refused")
    async with polling(http_config(demo_server)) as (poller, seen), loops(poller):
        breaker = poller.breaker("production")
        await wait_until(lambda: breaker.is_open)
        opened, opened_at = len(of(seen, "production")), time.monotonic()
        others_before = len(of(seen, "development", H))
        # Two half-open probes, however long a loaded machine takes to send them; meanwhile the
        # others keep their pace.
        await wait_until(lambda: len(of(seen, "production")) >= opened + 2, within=15)
        await wait_until(lambda: len(of(seen, "development", H)) >= others_before + 4, within=15)
        while_open = of(seen, "production")[opened:]
        assert {r.endpoint for r in while_open} <= {H}  # only half-open probes
        # never more often than the cool-down (0.3 s): load only makes them rarer
        assert len(while_open) <= 2 + (time.monotonic() - opened_at) / 0.3, while_open
        assert all(r.error and r.error.kind is ErrorKind.CONNECT_ERROR for r in while_open)
        assert all(r.ok for r in of(seen, "development", H))  # the others never noticed

        demo_server.control("production", fault=None)
        await wait_until(lambda: breaker.state is BreakerState.CLOSED)
        recovered = len(of(seen, "production"))
        await wait_until(
            lambda: (
                {r.endpoint for r in of(seen, "production")[recovered:] if r.ok}
                == set(MONITORED_ENDPOINTS)
            ),
            within=2,
        )


async def test_in_process_timeouts_and_refusals_are_classified(simulator: Simulator) -> None:
    simulator.set_fault("development", "slow")
    simulator.set_fault("uat", "hang", "version")
    simulator.set_fault("hotfix", "refused")
    started = time.monotonic()
    async with polling(in_process_config(4), simulator=simulator) as (poller, _):
        results = {(r.env, r.endpoint): r for r in await poller.poll_once()}
    assert time.monotonic() - started < 1.5  # bounded by the 0.4 s timeout, not the faults
    kind = {key: r.error.kind if r.error else None for key, r in results.items()}
    assert {kind[("development", e)] for e in MONITORED_ENDPOINTS} == {ErrorKind.TIMEOUT}
    assert kind[("uat", Endpoint.VERSION)] is ErrorKind.TIMEOUT
    assert kind[("uat", H)] is None
    assert {kind[("hotfix", e)] for e in MONITORED_ENDPOINTS} == {ErrorKind.CONNECT_ERROR}
    assert {kind[("production", e)] for e in MONITORED_ENDPOINTS} == {None}


async def test_in_process_loops_keep_intervals_and_stop_cleanly(simulator: Simulator) -> None:
    simulator.set_fault("uat", "hang")
    async with polling(in_process_config(4), simulator=simulator) as (poller, seen):
        started = time.monotonic()
        async with loops(poller):
            await wait_until(lambda: len(of(seen, "production", H)) >= 5, within=15)
            elapsed = time.monotonic() - started
            health = [r.ts for r in of(seen, "production", H)]
        await poller.aclose()
        in_flight_after_close = len(seen)
        await asyncio.sleep(0.1)  # nothing may arrive after the close, however long we look
        assert len(seen) == in_flight_after_close
    # The interval is kept: no more polls than 0.1 s intervals fit in the time they took (a
    # loaded machine makes fewer, never more).
    assert len(health) <= 2 + elapsed / 0.1, (elapsed, health)
    assert asyncio.all_tasks() == {asyncio.current_task()}
