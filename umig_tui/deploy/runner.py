"""Driving a deploy watch: fetch what the current stage needs, every interval, until done."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from umig_tui.deploy.watch import DeployWatch
from umig_tui.deploy.watch_state import Observation, Stage, WatchState
from umig_tui.models import Endpoint, PollResult

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
