"""Per-environment polling: intervals, a global concurrency cap, single flight, backoff, breaker."""

from __future__ import annotations

import asyncio
import functools
import logging
import random
import time
from collections.abc import Callable, Iterable, Mapping, Sequence

from msgspec.structs import replace

from umig_tui.config import Config
from umig_tui.models import MONITORED_ENDPOINTS, Endpoint, PollResult
from umig_tui.polling.breaker import CircuitBreaker, next_delay
from umig_tui.polling.open_files import socket_budget
from umig_tui.sources.client import UmigClient
from umig_tui.sources.target import IDLE_PER_ORIGIN

log = logging.getLogger(__name__)

ResultSink = Callable[[PollResult], None]


class Wake:
    """What an environment's loop sleeps on: set, or a deadline passed, whichever is first.

    ``asyncio.Event`` under ``asyncio.timeout`` does the same, but a deadline reached there
    cancels the sleeping task and turns the cancellation into a TimeoutError: the loop's usual
    way to wake (its next poll is due), paid at every poll. Here a deadline resolves the
    future. Unlike ``wait_for`` on 3.11, a cancel that lands as it is set is not swallowed.
    """

    __slots__ = ("_is_set", "_waiter")

    def __init__(self) -> None:
        self._is_set = False
        self._waiter: asyncio.Future[None] | None = None

    def set(self) -> None:
        self._is_set = True
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def clear(self) -> None:
        self._is_set = False

    async def wait(self, at_most: float | None) -> None:
        """Until set (at once if it is), or for ``at_most`` seconds (None: no deadline)."""
        if self._is_set:
            return
        loop = asyncio.get_running_loop()
        waiter = self._waiter = loop.create_future()
        deadline = None if at_most is None else loop.call_later(at_most, _resolve, waiter)
        try:
            await waiter
        finally:
            self._waiter = None
            if deadline is not None:
                deadline.cancel()


def _resolve(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


class Poller:
    """Polls every environment's endpoints; each result goes to ``on_result`` exactly once.

    ``run_env`` is one async loop per environment (the TUI runs each in its own worker);
    ``poll_once`` is one concurrent cycle for the one-shot commands.
    """

    def __init__(
        self,
        config: Config,
        clients: Mapping[str, UmigClient],
        *,
        on_result: ResultSink | None = None,
        endpoints: Sequence[Endpoint] = MONITORED_ENDPOINTS,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self.config = config
        self.clients = clients
        self.endpoints = tuple(endpoints)
        self.on_result = on_result
        self.clock = clock
        self.rng = rng or random.Random()
        polling = config.polling
        budget = socket_budget(polling.max_concurrency, len(clients) * IDLE_PER_ORIGIN)
        self.max_in_flight = budget.in_flight
        self.limit_notice = budget.notice  # the open-file limit is short, and what that means
        if not budget.keep_idle:
            for client in clients.values():
                client.keep_idle = False
        self._semaphore = asyncio.Semaphore(self.max_in_flight)
        self._inflight: dict[tuple[str, Endpoint], asyncio.Task[PollResult]] = {}
        self._breakers = {
            name: CircuitBreaker(
                polling.circuit_failures, polling.circuit_cooldown, polling.max_backoff
            )
            for name in clients
        }
        self._wake = {name: Wake() for name in clients}
        self._due: dict[str, dict[Endpoint, float]] = {}
        self._refreshed: dict[str, int] = {}  # refresh() calls per env, to not lose one
        self._grid: float | None = None  # every environment's polls fall on one time grid
        self._running = asyncio.Event()
        self._running.set()
        self._closed = False
        # The request that may pass an open breaker: health, or the first endpoint without it.
        self._probe = (
            Endpoint.HEALTH
            if Endpoint.HEALTH in self.endpoints
            else next(iter(self.endpoints), Endpoint.HEALTH)
        )

    # -- control ------------------------------------------------------------------------------

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def refresh(self, env: str | None = None) -> None:
        """Poll now: every endpoint of ``env`` (or of all environments), even past an open breaker."""
        now = self.clock()
        for name in [env] if env else list(self.clients):
            self._breakers[name].force_probe(now)
            self._refreshed[name] = self._refreshed.get(name, 0) + 1
            for endpoint in self._due.get(name, {}):
                self._due[name][endpoint] = now
            self._wake[name].set()

    async def aclose(self) -> None:
        """Cancel fetches still in flight (their results are not delivered); loops end."""
        self._closed = True
        self._running.set()  # a paused loop must wake to see that it is closed
        for wake in self._wake.values():
            wake.set()
        tasks = list(self._inflight.values())
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    def breaker(self, env: str) -> CircuitBreaker:
        return self._breakers[env]

    # -- fetching -----------------------------------------------------------------------------

    async def fetch(self, env: str, endpoint: Endpoint) -> PollResult:
        """Fetch once; a second caller for the same env+endpoint awaits the poll in flight."""
        return await asyncio.shield(self._start(env, endpoint))

    def _start(self, env: str, endpoint: Endpoint) -> asyncio.Task[PollResult]:
        """The poll of ``env``'s ``endpoint`` in flight, started now if there is none; when it
        ends, ``env``'s loop wakes (an answer may have moved its breaker)."""
        key = (env, endpoint)
        task = self._inflight.get(key)
        if task is None or task.done():
            task = asyncio.get_running_loop().create_task(self._fetch(env, endpoint))
            self._inflight[key] = task
            task.add_done_callback(functools.partial(self._forget, key))
        return task

    def _forget(self, key: tuple[str, Endpoint], task: asyncio.Task[PollResult]) -> None:
        if self._inflight.get(key) is task:
            del self._inflight[key]
        # A loop whose other endpoints wait on the breaker learns of its new state at once.
        self._wake[key[0]].set()

    async def _fetch(self, env: str, endpoint: Endpoint) -> PollResult:
        async with self._semaphore:
            result = await self.clients[env].fetch(endpoint)
        breaker = self._breakers[env]
        breaker.record(result, self.clock())
        if breaker.is_open:
            result = replace(result, circuit_open=True)
        if self.on_result is not None:
            try:
                self.on_result(result)
            except Exception:  # a consumer's bug must neither stop nor speed up polling
                log.exception("result sink failed for %s %s", env, endpoint)
        return result

    async def poll_once(
        self, envs: Iterable[str] | None = None, endpoints: Iterable[Endpoint] | None = None
    ) -> list[PollResult]:
        """One concurrent poll of ``endpoints`` of ``envs``; results in env, endpoint order."""
        names = list(envs) if envs is not None else list(self.clients)
        wanted = tuple(endpoints) if endpoints is not None else self.endpoints
        return list(await asyncio.gather(*(self.fetch(n, e) for n in names for e in wanted)))

    # -- scheduling ---------------------------------------------------------------------------

    async def run(self) -> None:
        """Every environment's loop until cancelled (headless use)."""
        async with asyncio.TaskGroup() as group:
            for name in self.clients:
                group.create_task(self.run_env(name))

    def _next_on_grid(self, started: float, interval: float) -> float:
        """When a poll that started at ``started`` is next due: the grid's next point.

        Every environment's polls of an interval fall on one grid (its start, then every
        interval), not each an interval after its own last answer: answers then arrive together,
        and the dashboard draws one frame per interval instead of one for every environment's
        own phase. A poll off the grid (a refresh, the end of a backoff) rejoins it at the
        point at least half an interval after it started; a poll slower than the interval is
        followed at once by the next.
        """
        grid = self._grid if self._grid is not None else started
        steps = max(1, int((started - grid) / interval + 0.5) + 1)
        return grid + steps * interval

    async def run_env(self, env: str) -> None:
        """Poll ``env``'s endpoints on their intervals until cancelled; never two in flight."""
        polling = self.config.polling
        if self._grid is None:
            self._grid = self.clock()
        due = self._due.setdefault(env, dict.fromkeys(self.endpoints, self.clock()))
        failures = dict.fromkeys(self.endpoints, 0)
        tasks: dict[Endpoint, asyncio.Task[PollResult]] = {}
        wake = self._wake[env]
        stopped = False
        breaker = self._breakers[env]
        confirm = max(0, self.config.thresholds.consecutive_failures - 1)

        def polled(
            endpoint: Endpoint, started: float, asked: int, task: asyncio.Task[PollResult]
        ) -> None:
            """The poll this loop started has ended: when the endpoint is due again."""
            if stopped:  # the loop was cancelled: its polls end on their own, unscheduled
                return
            tasks.pop(endpoint, None)
            ok = False
            if task.cancelled():
                pass
            elif (error := task.exception()) is not None:
                # A client's bug: count it as a failure, keep the schedule.
                log.error("polling %s %s failed", env, endpoint, exc_info=error)
            else:
                ok = task.result().ok
            failures[endpoint] = 0 if ok else failures[endpoint] + 1
            interval = polling.interval(endpoint)
            # No backoff until a failure is confirmed (as many in a row as the health alert
            # wants): the third failed health check comes two intervals after the first, not
            # three; then the doubling spares the sick environment.
            backoff = max(0, failures[endpoint] - confirm)
            now = self.clock()
            if self._refreshed.get(env, 0) != asked:
                # A refresh asked for while this poll ran wants a new answer, not this one.
                due[endpoint] = now
            elif backoff:
                due[endpoint] = now + next_delay(interval, backoff, polling.max_backoff, self.rng)
            else:
                due[endpoint] = self._next_on_grid(started, interval)
            wake.set()

        try:
            while True:
                await self._running.wait()
                if self._closed:
                    break
                wake.clear()
                now = self.clock()
                held: list[Endpoint] = []
                for endpoint in self.endpoints:
                    if endpoint in tasks or due[endpoint] > now:
                        continue
                    if not breaker.allow(now, probe=endpoint is self._probe):
                        # Open breaker: the probe waits for its slot; the rest stay due and go
                        # out as soon as a probe's answer closes the breaker (which wakes us).
                        held.append(endpoint)
                        continue
                    # The poll's own task, shared with any caller of fetch() meanwhile: one
                    # task a poll, and its bookkeeping a callback rather than a coroutine.
                    task = self._start(env, endpoint)
                    tasks[endpoint] = task
                    asked = self._refreshed.get(env, 0)
                    task.add_done_callback(functools.partial(polled, endpoint, now, asked))
                idle = [due[e] for e in self.endpoints if e not in tasks and e not in held]
                if held:
                    # The probe slot, or (a probe in flight elsewhere) a look again later.
                    slot = breaker.probe_at()
                    idle.append(slot if slot > now else now + 1.0)
                timeout = max(0.0, min(idle) - self.clock()) if idle else None
                await wake.wait(timeout)
        finally:
            # Not cancelled: a poll in flight is shared (fetch() callers, the loop started
            # again by a restarted worker) and delivers its result; aclose() cancels them all.
            stopped = True
