"""What every one-shot command shares: load the config, one poll cycle, always clean up."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from msgspec.structs import replace

from umig_tui.cli.common import option
from umig_tui.cli.progress import Waiting
from umig_tui.config import Config
from umig_tui.models import MONITORED_ENDPOINTS, Endpoint, ErrorKind, FetchError, PollResult
from umig_tui.service.monitor import Monitor
from umig_tui.service.runtime import open_monitor

if TYPE_CHECKING:
    from umig_tui.service.alerts import AlertService
    from umig_tui.service.notify import Notifier


@contextlib.asynccontextmanager
async def session(
    args: argparse.Namespace,
    config: Config,
    *,
    endpoints: tuple[Endpoint, ...] = MONITORED_ENDPOINTS,
    restore: bool = False,
) -> AsyncIterator[Monitor]:
    """A Monitor for one command; the store is flushed and everything closed on the way out."""
    config = bounded(config, option(args, "wait"))
    store_path = option(args, "store")
    monitor = await open_monitor(
        config,
        use_store=not option(args, "no_store", False),
        store_path=Path(store_path) if store_path else None,
        endpoints=endpoints,
        restore=restore,
    )
    try:
        yield monitor
        if monitor.store is not None:
            await monitor.store.flush()
    finally:
        notice = monitor.store_notice
        await monitor.aclose()
        if notice:
            print(f"umig-tui: note: {notice}", file=sys.stderr)


@contextlib.asynccontextmanager
async def evaluated(
    args: argparse.Namespace,
    config: Config,
    *,
    before_poll: Callable[[Monitor, AlertService], Awaitable[None]] | None = None,
) -> AsyncIterator[tuple[Monitor, AlertService, Notifier | None]]:
    """One poll and the alert rules evaluated with the state earlier runs saved.

    Every command that evaluates goes through here: a transition (pending → firing, firing →
    resolved) is saved with the state, so it must be sent now, or no later run would send it.
    The sinks get up to three of their timeouts; the store holds the poll when the caller
    reads it. ``before_poll`` sees the monitor and the restored alerts before the poll (to
    subscribe to what it brings).
    """
    from umig_tui.service.alerts import AlertService
    from umig_tui.service.notify import notifier_for

    async with session(args, config, restore=True) as monitor:
        # Reading from Prometheus nothing is evaluated here: the alerts are Alertmanager's
        # (serve has notified), so no sink is opened.
        notifier = notifier_for(config.notify, os.environ) if monitor.source is None else None
        service = AlertService(monitor, notifier=notifier)
        try:
            await service.restore()
            if before_poll is not None:
                await before_poll(monitor, service)
            await poll(monitor, args)
            await service.evaluate()
            if service.notice is not None:
                print(f"umig-tui: note: {service.notice}", file=sys.stderr)
            if notifier is not None:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(config.notify.timeout * 3):
                        await notifier.flush()
            if monitor.store is not None:
                await monitor.store.flush()
            yield monitor, service, notifier
        finally:
            await service.aclose()
            if notifier is not None:
                await notifier.aclose()


# The deadline leaves the clients' own timeouts (capped at --timeout) the first word: their
# reasons name what was slow. Past it, whatever is still out is called timed out here.
DEADLINE_GRACE = 0.25


def bounded(config: Config, timeout: float | None) -> Config:
    """``config`` with no request allowed longer than ``--timeout``."""
    if timeout is None or timeout >= config.polling.timeout:
        return config
    return replace(config, polling=replace(config.polling, timeout=timeout))


async def poll(
    monitor: Monitor, args: argparse.Namespace, signals: Iterable[Endpoint] | None = None
) -> list[PollResult]:
    """One concurrent poll of every signal of every environment, like ``Monitor.poll_once``,
    bounded by ``--timeout`` and shown on a terminal while an environment holds it up."""
    timeout: float | None = option(args, "wait")
    wanted = tuple(signals) if signals is not None else monitor.signals
    asked_at = time.time()
    keys = [(env, endpoint) for env in monitor.clients for endpoint in wanted]
    tasks = [asyncio.ensure_future(monitor.fetch(env, endpoint)) for env, endpoint in keys]
    order = list(monitor.clients)

    def pending() -> list[str]:
        waiting = {env for (env, _), task in zip(keys, tasks, strict=True) if not task.done()}
        return [env for env in order if env in waiting]

    progress = asyncio.ensure_future(Waiting(sys.stderr).watch(pending))
    try:
        if tasks:
            limit = None if timeout is None else timeout + DEADLINE_GRACE
            await asyncio.wait(tasks, timeout=limit)
    finally:
        progress.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await progress
        for task in tasks:
            task.cancel()  # only our wait: the fetch itself ends when the monitor closes
    results: list[PollResult] = []
    for (env, endpoint), task in zip(keys, tasks, strict=True):
        if task.done() and not task.cancelled():
            results.append(task.result())
            continue
        late = PollResult(
            env,
            endpoint,
            ts=asked_at,
            latency_ms=None,
            error=FetchError(ErrorKind.TIMEOUT, f"no answer within --timeout {timeout:g}s"),
        )
        monitor.apply(late)
        results.append(late)
    return results
