"""What every one-shot command shares: load the config, one poll cycle, always clean up."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

from umig_tui.cli.common import option
from umig_tui.config import Config
from umig_tui.models import MONITORED_ENDPOINTS, Endpoint
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
        notifier = notifier_for(config.notify, os.environ)
        try:
            service = AlertService(monitor, notifier=notifier)
            await service.restore()
            if before_poll is not None:
                await before_poll(monitor, service)
            await monitor.poll_once()
            await service.evaluate()
            if notifier is not None:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(config.notify.timeout * 3):
                        await notifier.flush()
            if monitor.store is not None:
                await monitor.store.flush()
            yield monitor, service, notifier
        finally:
            if notifier is not None:
                await notifier.aclose()
