"""What every one-shot command shares: load the config, one poll cycle, always clean up."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import AsyncIterator
from pathlib import Path

from umig_tui.cli.main import option
from umig_tui.config import Config, load_config
from umig_tui.models import MONITORED_ENDPOINTS, Endpoint
from umig_tui.monitor import Monitor
from umig_tui.runtime import open_monitor


def load(args: argparse.Namespace) -> Config:
    config = load_config(
        option(args, "config"),
        demo=bool(option(args, "demo", False)),
        demo_envs=int(option(args, "demo_envs", 4)),
    )
    return config.select(option(args, "env"))


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
