"""Driving a deploy watch: fetch what the current stage needs, every interval, until done."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from umig_tui.deploy.gates import gates_for
from umig_tui.deploy.verdict import Reference
from umig_tui.deploy.watch import DeployWatch
from umig_tui.deploy.watch_state import Observation, Stage, WatchOptions, WatchState
from umig_tui.models import Endpoint, PollResult
from umig_tui.service.deploy_baselines import (
    ACCEPTED_IN,
    Before,
    before_deploy,
    other_references,
    same,
)
from umig_tui.service.watch_recorder import WatchRecorder

if TYPE_CHECKING:
    from umig_tui.service.monitor import Monitor

Fetch = Callable[[Endpoint], Awaitable[PollResult]]


def endpoints_for(stage: Stage) -> tuple[Endpoint, ...]:
    if stage is Stage.WAITING:
        return (Endpoint.VERSION, Endpoint.HEALTH, Endpoint.METRICS)
    if stage is Stage.VALIDATING:
        return (Endpoint.HEALTH, Endpoint.COMPONENTS, Endpoint.TEAMS)
    if stage in (Stage.MONITORING, Stage.SOAKING):
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


async def prepare_watch(
    monitor: Monitor, env: str, options: WatchOptions, *, now: float
) -> tuple[DeployWatch, WatchRecorder]:
    """A watch of ``env`` with its baselines from the store (``deploy_baselines``), and its
    recorder. Started after the version landed, it compares with what ran before it, never
    with the new version itself."""
    store = monitor.store
    running = monitor.fleet.versions(env).umig
    before = Before(None if same(running, options.expected) else running)
    references: list[Reference] = []
    if store is not None:
        before = await before_deploy(store, env, running, options.expected, now=now)
        tier = next((e.tier for e in monitor.config.environments if e.name == env), None)
        lower = ACCEPTED_IN.get(tier) if tier is not None else None
        accepted = [e.name for e in monitor.config.environments if lower and e.tier == lower]
        references = await other_references(
            store, env, options.expected, before, accepted_envs=accepted, now=now
        )
    watch = DeployWatch(
        env,
        options,
        now=now,
        previous_version=before.previous,
        baseline_response=before.response,
        baseline_errors=before.errors,
        baseline_availability=before.availability,
        baseline_window=before.window,
        references=references,
        gates=gates_for(await monitor.offered(env)),
    )
    return watch, WatchRecorder(monitor)
