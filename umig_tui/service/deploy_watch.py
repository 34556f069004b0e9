"""Driving a deploy watch: fetch what the current stage needs, every interval, until done."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from umig_tui.analysis.versions import compare_versions
from umig_tui.deploy.gates import gates_for
from umig_tui.deploy.watch import DeployWatch
from umig_tui.deploy.watch_state import Observation, Stage, WatchOptions, WatchState
from umig_tui.events import EventKind
from umig_tui.metrics import ERROR_RATE, RESPONSE_TIME
from umig_tui.models import Endpoint, PollResult
from umig_tui.service.watch_recorder import WatchRecorder
from umig_tui.store.queries import series_points

if TYPE_CHECKING:
    from umig_tui.service.monitor import Monitor

Fetch = Callable[[Endpoint], Awaitable[PollResult]]


def endpoints_for(stage: Stage) -> tuple[Endpoint, ...]:
    if stage is Stage.WAITING:
        return (Endpoint.VERSION, Endpoint.HEALTH, Endpoint.METRICS)
    if stage is Stage.VALIDATING:
        return (Endpoint.HEALTH, Endpoint.COMPONENTS, Endpoint.TEAMS)
    if stage is Stage.MONITORING:
        return (Endpoint.HEALTH, Endpoint.METRICS)
    return ()


async def observe(fetch: Fetch, stage: Stage) -> Observation:
    wanted = endpoints_for(stage)
    results = await asyncio.gather(*(fetch(endpoint) for endpoint in wanted))
    observation = Observation()
    for endpoint, result in zip(wanted, results, strict=True):
        setattr(observation, endpoint.value, result)
    return observation


async def run_watch(
    watch: DeployWatch,
    fetch: Fetch,
    *,
    clock: Callable[[], float],
    on_state: Callable[[WatchState, bool], Awaitable[None] | None] | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> WatchState:
    """Poll at the watch's interval until a terminal stage; ``on_state(state, transition)``."""
    interval = watch.options.interval
    if on_state is not None:  # the start is a transition too: "waiting for X" is the first line
        outcome = on_state(watch.state, True)
        if outcome is not None:
            await outcome
    while True:
        stage = watch.state.stage
        observation = await observe(fetch, stage)
        transitions = watch.step(observation, clock())
        for state in transitions:
            if on_state is not None:
                outcome = on_state(state, True)
                if outcome is not None:
                    await outcome
        if not transitions and on_state is not None:
            outcome = on_state(watch.state, False)
            if outcome is not None:
                await outcome
        if watch.state.stage.terminal:
            return watch.state
        if watch.state.stage is stage or not transitions:
            left = watch.state.time_left
            await sleep(min(interval, left) if left is not None and left > 0 else interval)


BASELINE_WINDOW = 3600.0


async def prepare_watch(
    monitor: Monitor, env: str, options: WatchOptions, *, now: float
) -> tuple[DeployWatch, WatchRecorder]:
    """A watch of ``env`` with the previous version's samples as its baseline, and its recorder.

    The baseline is the hour before the deploy: before now, or, when the expected version is
    already live (the watch started late), before the poller saw it land.
    """
    store = monitor.store
    previous = monitor.fleet.versions(env).umig
    response: list[float] = []
    errors: list[float] = []
    if store is not None:
        until = now
        if previous is not None and compare_versions(previous, options.expected) == 0:
            landed = await store.events(env=env, kinds=[str(EventKind.DEPLOYMENT)], limit=50)
            seen = [
                e.deployment
                for e in landed
                if e.deployment is not None and e.deployment.to_version == previous
            ]
            if seen:
                until = min(e.ts for e in landed if e.deployment in seen)
                previous = seen[0].from_version
        since = until - BASELINE_WINDOW
        response = [
            p.value
            for p in await series_points(store, env, RESPONSE_TIME, since=since, until=until)
        ]
        errors = [
            p.value for p in await series_points(store, env, ERROR_RATE, since=since, until=until)
        ]
    watch = DeployWatch(
        env,
        options,
        now=now,
        previous_version=previous,
        baseline_response=response,
        baseline_errors=errors,
        gates=gates_for(await monitor.offered(env)),
    )
    return watch, WatchRecorder(monitor)
