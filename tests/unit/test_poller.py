"""Poller: per-endpoint intervals, single flight, the global cap, backoff, the breaker, control.

Fake clients record every fetch (start, end, how many were in flight), so the assertions count
what happened instead of trusting sleeps; intervals are 0.05–0.3 s and tolerances generous.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
import statistics
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

import pytest

from umig_tui.config import Config, Environment, Polling
from umig_tui.models import MONITORED_ENDPOINTS, Endpoint, ErrorKind, FetchError, PollResult, Tier
from umig_tui.polling.breaker import BreakerState
from umig_tui.polling.poller import Poller, Wake
from umig_tui.sources.client import UmigClient

H, V, C, M = Endpoint.HEALTH, Endpoint.VERSION, Endpoint.COMPONENTS, Endpoint.METRICS

REFUSED = FetchError(ErrorKind.CONNECT_ERROR, "connection refused")
NOT_FOUND = FetchError(ErrorKind.HTTP_ERROR, "HTTP 404 Not Found", 404)
TIMED_OUT = FetchError(ErrorKind.TIMEOUT, "no complete response within 0.4s")


@dataclass
class Call:
    env: str
    endpoint: Endpoint
    start: float
    end: float | None = None
    cancelled: bool = False
    error: FetchError | None = None


Outcome = Callable[[str, Endpoint], FetchError | None]


class Fleet:
    """Fake clients for ``names`` that share one record of every fetch."""

    def __init__(self, names: Iterable[str], *, delay: float = 0.0) -> None:
        self.names = list(names)
        self.calls: list[Call] = []
        self.inflight = 0
        self.max_inflight = 0
        self.per_key: Counter[tuple[str, Endpoint]] = Counter()
        self.max_per_key = 0
        self.delay: dict[str, float] = dict.fromkeys(self.names, delay)
        self.outcome: Outcome = lambda env, endpoint: None
        self.clients = {name: FakeClient(self, name) for name in self.names}

    def of(self, env: str | None = None, endpoint: Endpoint | None = None) -> list[Call]:
        return [
            c
            for c in self.calls
            if (env is None or c.env == env) and (endpoint is None or c.endpoint is endpoint)
        ]

    def completed(self) -> list[Call]:
        return [c for c in self.calls if c.end is not None and not c.cancelled]


class FakeClient:
    """What the poller needs of a client: ``fetch`` and ``aclose``."""

    def __init__(self, fleet: Fleet, env: str) -> None:
        self.fleet = fleet
        self.env = env
        self.closed = False

    async def fetch(self, endpoint: Endpoint) -> PollResult:
        fleet = self.fleet
        call = Call(self.env, endpoint, time.monotonic())
        fleet.calls.append(call)
        key = (self.env, endpoint)
        fleet.inflight += 1
        fleet.per_key[key] += 1
        fleet.max_inflight = max(fleet.max_inflight, fleet.inflight)
        fleet.max_per_key = max(fleet.max_per_key, fleet.per_key[key])
        try:
            await asyncio.sleep(fleet.delay[self.env])
        except asyncio.CancelledError:
            call.cancelled = True
            raise
        finally:
            fleet.inflight -= 1
            fleet.per_key[key] -= 1
            call.end = time.monotonic()
        error = call.error = fleet.outcome(self.env, endpoint)
        return PollResult(
            self.env, endpoint, time.time(), fleet.delay[self.env] * 1000, error=error
        )

    async def aclose(self) -> None:
        self.closed = True


def make_config(names: Sequence[str], **polling: Any) -> Config:
    envs = tuple(Environment(n, f"http://{n}.invalid", Tier.DEVELOPMENT) for n in names)
    return Config(environments=envs, polling=Polling(**polling))


def make_poller(
    fleet: Fleet,
    *,
    endpoints: Sequence[Endpoint] = MONITORED_ENDPOINTS,
    seen: list[PollResult] | None = None,
    **polling: Any,
) -> Poller:
    clients = cast(dict[str, UmigClient], fleet.clients)
    return Poller(
        make_config(fleet.names, **polling),
        clients,
        on_result=seen.append if seen is not None else None,
        endpoints=endpoints,
        rng=random.Random(7),
    )


@contextlib.asynccontextmanager
async def running(poller: Poller, envs: Iterable[str] | None = None) -> AsyncIterator[None]:
    """Every environment's loop for the duration of the block, then stopped and closed."""
    names = list(envs) if envs is not None else list(poller.clients)
    tasks = [asyncio.create_task(poller.run_env(n)) for n in names]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await poller.aclose()


async def wait_until(predicate: Callable[[], bool], within: float = 3.0) -> None:
    deadline = time.monotonic() + within
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.005)


def gaps(calls: Sequence[Call]) -> list[float]:
    return [b.start - a.start for a, b in itertools.pairwise(calls)]


# -- intervals and single flight ------------------------------------------------------------


async def test_each_endpoint_keeps_its_own_interval() -> None:
    fleet = Fleet(["a"])
    poller = make_poller(fleet, endpoints=(H, V), health=0.1, version=0.3)
    started = time.monotonic()
    async with running(poller):
        # Counted, not timed: a loaded machine polls fewer times in a second, never more.
        await wait_until(lambda: len(fleet.of("a", H)) >= 8 and len(fleet.of("a", V)) >= 3)
        elapsed = time.monotonic() - started
        health, version = fleet.of("a", H), fleet.of("a", V)
    assert len(health) <= 2 + elapsed / 0.1, (elapsed, gaps(health))
    assert len(version) <= 2 + elapsed / 0.3, (elapsed, gaps(version))
    assert 0.09 <= statistics.median(gaps(health)) <= 0.2
    assert 0.28 <= statistics.median(gaps(version)) <= 0.45


async def test_every_environment_polls_on_one_grid_whatever_its_latency() -> None:
    # Due an interval after each poll's *end*, a slower environment drifted by its latency
    # every cycle: after a few, the fleet's answers were spread over the whole interval and
    # the dashboard drew a frame for each. On one grid they arrive together.
    fleet = Fleet(["fast", "slow"])
    fleet.delay["slow"] = 0.06
    poller = make_poller(fleet, endpoints=(H,), health=0.2)
    async with running(poller):
        await wait_until(lambda: len(fleet.of("slow", H)) >= 6, within=5.0)
    fast = [c.start for c in fleet.of("fast", H)]
    slow = [c.start for c in fleet.of("slow", H)]
    for start in slow:
        nearest = min(abs(start - other) for other in fast)
        assert nearest < 0.04, (gaps(fleet.of("slow", H)), gaps(fleet.of("fast", H)))
    # The slow one keeps the interval (not the interval plus its latency).
    assert statistics.median(gaps(fleet.of("slow", H))) < 0.23


async def test_a_refreshed_environment_rejoins_the_grid() -> None:
    fleet = Fleet(["a", "b"])
    poller = make_poller(fleet, endpoints=(H,), health=0.2)
    async with running(poller):
        await wait_until(lambda: len(fleet.of("b", H)) >= 2)
        await asyncio.sleep(0.07)
        poller.refresh("b")  # off the grid, once
        await wait_until(lambda: len(fleet.of("b", H)) >= 6, within=5.0)
    a = [c.start for c in fleet.of("a", H)]
    b = fleet.of("b", H)
    off = [c.start for c in b if min(abs(c.start - x) for x in a) >= 0.04]
    assert len(off) == 1, gaps(b)  # the refresh itself; the next polls are back on the grid
    # and the one after the refresh comes at least half an interval after it.
    index = next(i for i, c in enumerate(b) if c.start == off[0])
    assert b[index + 1].start - b[index].start >= 0.09, gaps(b)


async def test_same_endpoint_is_never_in_flight_twice_despite_refresh_spam() -> None:
    fleet = Fleet(["a", "b"], delay=0.15)
    poller = make_poller(fleet, health=0.05, version=0.05, components=0.05, metrics=0.05)
    async with running(poller):
        deadline = time.monotonic() + 0.6
        extra = []
        while time.monotonic() < deadline:
            poller.refresh()
            poller.refresh("a")
            extra.append(asyncio.create_task(poller.fetch("a", H)))
            await asyncio.sleep(0.01)
        extra.append(asyncio.create_task(poller.poll_once()))
        await asyncio.gather(*extra)
    assert fleet.max_per_key == 1
    assert len(fleet.of("a", H)) >= 3  # it did keep polling


async def test_concurrent_callers_share_one_request_and_one_delivery() -> None:
    fleet = Fleet(["a"], delay=0.1)
    seen: list[PollResult] = []
    poller = make_poller(fleet, seen=seen)
    results = await asyncio.gather(*(poller.fetch("a", H) for _ in range(5)))
    assert len(fleet.calls) == 1
    assert all(r is results[0] for r in results)
    assert seen == [results[0]]
    await poller.fetch("a", H)  # once it has landed, the next call is a new request
    assert len(fleet.calls) == 2


async def test_global_concurrency_cap_holds_across_environments() -> None:
    fleet = Fleet([f"env{i}" for i in range(10)], delay=0.02)
    poller = make_poller(fleet, max_concurrency=3, health=0.05, version=0.05)
    results = await poller.poll_once()
    assert len(results) == 40
    assert fleet.max_inflight == 3
    async with running(poller):
        await asyncio.sleep(0.3)
    assert fleet.max_inflight == 3


async def test_poll_once_returns_one_result_per_environment_and_endpoint() -> None:
    fleet = Fleet(["a", "b", "c"], delay=0.01)
    seen: list[PollResult] = []
    poller = make_poller(fleet, seen=seen)
    results = await poller.poll_once()
    assert [(r.env, r.endpoint) for r in results] == [
        (env, endpoint) for env in ("a", "b", "c") for endpoint in MONITORED_ENDPOINTS
    ]
    assert sorted(map(id, seen)) == sorted(map(id, results))
    subset = await poller.poll_once(["b"], [V, M])
    assert [(r.env, r.endpoint) for r in subset] == [("b", V), ("b", M)]


async def test_on_result_is_called_exactly_once_per_fetch() -> None:
    fleet = Fleet(["a", "b"], delay=0.03)
    seen: list[PollResult] = []
    poller = make_poller(fleet, seen=seen, health=0.05, version=0.1, components=0.05, metrics=0.1)
    async with running(poller):
        for _ in range(10):
            poller.refresh()
            await asyncio.gather(poller.poll_once(), poller.fetch("a", H))
            await asyncio.sleep(0.02)
        # let the last scheduled polls land before stopping
        await wait_until(lambda: fleet.inflight == 0)
    assert len(seen) == len(fleet.completed())
    assert len(set(map(id, seen))) == len(seen)


async def test_a_raising_result_sink_does_not_stop_or_speed_up_polling() -> None:
    fleet = Fleet(["a"])

    def explode(result: PollResult) -> None:
        raise RuntimeError("face bug")

    poller = Poller(
        make_config(["a"], health=0.05),
        cast(dict[str, UmigClient], fleet.clients),
        on_result=explode,
        endpoints=(H,),
    )
    started = time.monotonic()
    async with running(poller):
        await wait_until(lambda: len(fleet.calls) >= 5)  # still polling
        elapsed = time.monotonic() - started
        calls = len(fleet.calls)
    assert calls <= 2 + elapsed / 0.05, (calls, elapsed)  # and not in a tight loop


# -- backoff --------------------------------------------------------------------------------


async def test_failing_endpoint_backs_off_and_success_resets_the_interval() -> None:
    fleet = Fleet(["a"])
    fleet.outcome = lambda env, endpoint: NOT_FOUND
    poller = make_poller(fleet, endpoints=(H,), health=0.05, max_backoff=5.0, circuit_failures=100)
    async with running(poller):
        await wait_until(lambda: len(fleet.calls) >= 7)
        # At the interval until the failure is confirmed (3 in a row, the health alert's
        # count), then doubling: about 0.05, 0.05, 0.05, 0.1, 0.2, 0.4 with ±10 % jitter.
        failing = gaps(fleet.calls[:7])
        fleet.outcome = lambda env, endpoint: None
        poller.refresh("a")
        await wait_until(lambda: len(fleet.calls) >= 11)
        healthy = gaps(fleet.calls[8:11])
    assert all(0.04 <= gap <= 0.08 for gap in failing[:3]), failing
    for before, after in itertools.pairwise(failing[2:]):
        assert after > before * 1.5, failing
    assert failing[-1] >= 0.3
    assert all(0.04 <= gap <= 0.15 for gap in healthy), healthy


# -- circuit breaker ------------------------------------------------------------------------


async def test_dead_env_opens_breaker_then_one_probe_per_cooldown_and_recovers() -> None:
    fleet = Fleet(["dead"], delay=0.02)
    fleet.outcome = lambda env, endpoint: REFUSED
    seen: list[PollResult] = []
    cooldown = 0.25
    poller = make_poller(
        fleet,
        seen=seen,
        health=0.05,
        version=0.05,
        components=0.05,
        metrics=0.05,
        circuit_failures=3,
        circuit_cooldown=cooldown,
        max_backoff=cooldown,
    )
    breaker = poller.breaker("dead")
    started = time.monotonic()
    async with running(poller):
        await wait_until(lambda: len(fleet.calls) >= 6, within=10)  # two probes after the round
        elapsed = time.monotonic() - started
        assert breaker.state is not BreakerState.CLOSED
        first_round = fleet.calls[:4]
        probes = fleet.calls[4:]
        # after the first round opened it, only health probes, never two at once
        assert {c.endpoint for c in first_round} == set(MONITORED_ENDPOINTS)
        assert all(c.endpoint is H for c in probes), [c.endpoint for c in probes]
        assert len(probes) <= 1 + elapsed / (cooldown * 0.8), (elapsed, gaps(fleet.calls))
        assert all(gap >= cooldown * 0.8 for gap in gaps(fleet.calls[3:]))
        assert all(r.circuit_open for r in seen[3:])

        fleet.outcome = lambda env, endpoint: None  # the environment comes back
        await wait_until(lambda: breaker.state is BreakerState.CLOSED, within=2)
        revived = next(c for c in fleet.calls if c.end is not None and c.error is None)
        assert revived.endpoint is H  # the half-open probe
        await wait_until(
            lambda: len({c.endpoint for c in fleet.calls if c.start > revived.start}) == 4
        )
    assert revived.end is not None
    resumed = [c for c in fleet.calls if c.start >= revived.end]
    first_of_each = {e: min(c.start for c in resumed if c.endpoint is e) for e in (V, C, M)}
    # everything resumes at once after the successful probe, not a fixed delay later
    assert max(first_of_each.values()) - revived.end < 0.2, first_of_each


async def test_refresh_polls_at_once_even_past_an_open_breaker() -> None:
    fleet = Fleet(["dead"])
    fleet.outcome = lambda env, endpoint: REFUSED
    poller = make_poller(fleet, health=0.05, circuit_failures=2, circuit_cooldown=30.0)
    async with running(poller):
        await wait_until(lambda: poller.breaker("dead").is_open)
        await asyncio.sleep(0.2)
        before = len(fleet.calls)
        await asyncio.sleep(0.2)
        assert len(fleet.calls) == before  # open: nothing goes out for 30 s
        asked = time.monotonic()
        poller.refresh("dead")
        await wait_until(lambda: len(fleet.calls) > before, within=1)
        assert fleet.calls[before].endpoint is H
        assert fleet.calls[before].start - asked < 0.5  # at once, not after the 30 s cool-down


async def test_refresh_polls_every_endpoint_now_instead_of_at_its_interval() -> None:
    fleet = Fleet(["a", "b"])
    poller = make_poller(fleet, health=30.0, version=30.0, components=30.0, metrics=30.0)
    async with running(poller):
        await wait_until(lambda: len(fleet.calls) == 8)
        await asyncio.sleep(0.1)
        poller.refresh("a")
        await wait_until(lambda: len(fleet.calls) == 12, within=1)
        await asyncio.sleep(0.1)
    assert Counter(c.env for c in fleet.calls) == {"a": 8, "b": 4}


async def test_dead_or_hanging_env_never_slows_the_others() -> None:
    fleet = Fleet(["hung", "a", "b", "c"])
    fleet.delay["hung"] = 0.5  # hangs until the timeout, then fails
    fleet.outcome = lambda env, endpoint: TIMED_OUT if env == "hung" else None
    poller = make_poller(fleet, health=0.1, version=0.1, components=0.1, metrics=0.1)
    started = time.monotonic()
    async with running(poller):
        await wait_until(lambda: all(len(fleet.of(e, H)) >= 9 for e in "abc"), within=10)
        elapsed = time.monotonic() - started
    for env in ("a", "b", "c"):
        health = fleet.of(env, H)
        assert max(gaps(health)) < 0.25, (env, gaps(health))
    # the hung one: one poll per timeout (0.5 s) at most, however long the others took
    assert len(fleet.of("hung", H)) <= 2 + elapsed / 0.5


# -- control --------------------------------------------------------------------------------


async def test_pause_stops_new_polls_and_resume_restarts_them() -> None:
    fleet = Fleet(["a", "b"])
    poller = make_poller(fleet, endpoints=(H,), health=0.05)
    async with running(poller):
        await asyncio.sleep(0.2)
        poller.pause()
        assert poller.paused
        await asyncio.sleep(0.06)  # anything already started lands
        frozen = len(fleet.calls)
        await asyncio.sleep(0.3)
        assert len(fleet.calls) == frozen
        poller.resume()
        assert not poller.paused
        await wait_until(lambda: len(fleet.calls) >= frozen + 4)


async def cancel_just_as_it_wakes() -> bool:
    """Cancel an idle loop right after refresh() woke it; True when the loop ended."""
    fleet = Fleet(["a"])
    poller = make_poller(fleet, health=30.0, version=30.0, components=30.0, metrics=30.0)
    loop = asyncio.create_task(poller.run_env("a"))
    await wait_until(lambda: len(fleet.completed()) == 4)
    await asyncio.sleep(0.01)  # the loop is idle, waiting to be woken
    poller.refresh("a")
    await asyncio.sleep(0)  # the wake-up is under way ...
    loop.cancel()  # ... when the owner cancels the loop
    _, pending = await asyncio.wait([loop], timeout=1)
    await poller.aclose()
    return not pending


async def test_cancelling_a_loop_always_ends_it() -> None:
    # A cancel that lands just as the loop is woken must not be swallowed (3.11 wait_for).
    for _ in range(20):
        assert await cancel_just_as_it_wakes(), "the loop survived its cancellation"


async def test_aclose_cancels_fetches_in_flight_and_leaves_no_tasks() -> None:
    fleet = Fleet(["a", "b"], delay=10.0)
    seen: list[PollResult] = []
    poller = make_poller(fleet, seen=seen)
    loops = [asyncio.create_task(poller.run_env(n)) for n in ("a", "b")]
    once = asyncio.create_task(poller.poll_once())
    await wait_until(lambda: len(fleet.calls) == 8)
    await asyncio.wait_for(poller.aclose(), 2)
    # the loops end on their own once the poller is closed
    _, pending = await asyncio.wait(loops, timeout=2)
    assert not pending
    with pytest.raises(asyncio.CancelledError):
        await once
    assert all(c.cancelled for c in fleet.calls)
    assert seen == []
    assert asyncio.all_tasks() == {asyncio.current_task()}


async def test_a_refresh_during_a_poll_is_not_lost() -> None:
    """Asked for while a poll is in flight: that poll's answer predates the ask, so poll again."""
    fleet = Fleet(["a"], delay=0.2)
    poller = make_poller(fleet, endpoints=(H,), health=60.0)
    async with running(poller):
        await wait_until(lambda: len(fleet.of("a", H)) == 1)  # the first poll is in flight
        poller.refresh("a")
        await wait_until(lambda: len(fleet.of("a", H)) == 2, within=1.0)


async def test_a_loop_cancelled_mid_poll_leaves_the_poll_to_deliver_and_a_new_loop_joins_it() -> (
    None
):
    """A crashed worker's loop is started again (tui/app.py): the poll it had in flight is
    neither cancelled nor sent twice, and its answer is delivered once."""
    fleet = Fleet(["a"], delay=0.3)
    seen: list[PollResult] = []
    poller = make_poller(fleet, endpoints=(H,), seen=seen, health=60.0)
    first = asyncio.create_task(poller.run_env("a"))
    await wait_until(lambda: len(fleet.of("a", H)) == 1)
    first.cancel()
    _, pending = await asyncio.wait([first], timeout=1)
    assert not pending
    second = asyncio.create_task(poller.run_env("a"))
    await wait_until(lambda: len(seen) == 1)
    await asyncio.sleep(0.05)  # the new loop has scheduled its next poll, 60 s away
    assert [c.cancelled for c in fleet.calls] == [False]
    assert len(seen) == 1
    second.cancel()
    await asyncio.gather(second, return_exceptions=True)
    await poller.aclose()


# -- Wake: what a loop sleeps on --------------------------------------------------------------


async def test_wake_returns_at_its_deadline_or_as_soon_as_it_is_set() -> None:
    wake = Wake()
    started = time.monotonic()
    await asyncio.wait_for(wake.wait(0.05), 2)
    assert time.monotonic() - started >= 0.04
    sleeper = asyncio.create_task(wake.wait(None))
    await asyncio.sleep(0.02)
    assert not sleeper.done()
    wake.set()
    await asyncio.wait_for(sleeper, 1)
    await asyncio.wait_for(wake.wait(None), 1)  # still set: no wait at all
    wake.clear()
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(wake.wait(None), 0.05)


async def test_wake_does_not_swallow_a_cancel_that_lands_as_it_is_set() -> None:
    for _ in range(20):
        wake = Wake()
        sleeper = asyncio.create_task(wake.wait(10.0))
        await asyncio.sleep(0)
        wake.set()
        sleeper.cancel()
        with pytest.raises(asyncio.CancelledError):
            await sleeper
    assert asyncio.all_tasks() == {asyncio.current_task()}


async def test_a_raising_client_counts_as_a_failure_and_the_loop_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls: list[float] = []

    class Broken:
        async def fetch(self, endpoint: Endpoint) -> PollResult:
            calls.append(time.monotonic())
            raise RuntimeError("client bug")

        async def aclose(self) -> None:
            pass

    poller = Poller(
        make_config(["a"], health=0.05, max_backoff=0.2),
        cast(dict[str, UmigClient], {"a": Broken()}),
        endpoints=(H,),
        rng=random.Random(7),
    )
    async with running(poller, ["a"]):
        await wait_until(lambda: len(calls) >= 5)
    assert "polling a health failed" in caplog.text
    assert "RuntimeError: client bug" in caplog.text
    # Confirmed failures back off: the later gaps outgrow the 0.05 s interval.
    assert max(b - a for a, b in itertools.pairwise(calls)) > 0.08


async def test_the_default_cap_polls_a_300_environment_fleet_in_one_wave() -> None:
    # A one-shot `status` of 300 environments under the old cap of 256 waited for five rounds
    # of its slowest answers; now every request of the wave is out at once.
    fleet = Fleet([f"env{i}" for i in range(300)], delay=0.05)
    poller = make_poller(fleet)
    assert poller.max_in_flight == Polling().max_concurrency >= 1200
    results = await poller.poll_once()
    assert len(results) == 1200
    assert fleet.max_inflight == 1200
