"""``umig-tui serve HOST:PORT``: the team's single poller.

Polls every environment with the configured profile, records to the store, evaluates the alert
rules and notifies, serves ``/metrics`` (the catalog in ``umig_tui.exposition``) for Prometheus
to scrape and, with ``[notify] pushgateway``, pushes the same series there. Engineers then read
Prometheus (``--source prometheus=URL``) instead of polling production each.
``export prometheus --serve HOST:PORT`` is the same command under its older name.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from typing import TYPE_CHECKING, Any

import msgspec.structs

from umig_tui.cli.common import EXIT_OK, UsageError, add_source_options, option

if TYPE_CHECKING:
    from umig_tui.config import Config
    from umig_tui.export.metrics_server import MetricsEndpoint
    from umig_tui.export.push import Pusher
    from umig_tui.service.monitor import Monitor


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "serve",
        help="poll the fleet once for the whole team: /metrics for Prometheus, alerts, store",
        description="The long-running headless poller: polls every environment, records to the "
        "store, evaluates the alert rules and notifies ([notify] webhook/alertmanager), serves "
        "/metrics for Prometheus and pushes to [notify] pushgateway. Stops cleanly on Ctrl-C, "
        "SIGTERM or SIGHUP (exit 0). Exit 2 when HOST:PORT cannot be listened on.",
    )
    parser.add_argument(
        "listen", metavar="HOST:PORT", help="where /metrics listens, e.g. 0.0.0.0:9464"
    )
    add_base_units_option(parser)
    add_source_options(parser)
    parser.set_defaults(run=run)


def add_base_units_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--base-units",
        action="store_true",
        help="umig_api_response_time_seconds instead of the seeds' umig_api_response_time_ms "
        "(the one name promtool's linter flags)",
    )


def parse_listen(text: str, *, flag: str = "serve") -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise UsageError(f"{flag} {text!r}: use HOST:PORT, e.g. 127.0.0.1:9464")
    host = host.removeprefix("[").removesuffix("]")  # [::1]:9464
    return host or "127.0.0.1", int(port)


def polled_fleet(args: argparse.Namespace, command: str) -> Config:
    """The fleet as configured, for polling: serve is what the readers read, never a reader."""
    from umig_tui.service.setup import load_fleet

    if option(args, "source") is not None:
        raise UsageError(
            f"{command} polls the environments itself; --source prometheus=URL is for the "
            "commands that read what it serves"
        )
    config = load_fleet(
        option(args, "config"),
        demo=bool(option(args, "demo", False)),
        demo_envs=int(option(args, "demo_envs", 4)),
        profile=option(args, "profile"),
    )
    if getattr(config, "prometheus", None) is not None:  # [source]: for the readers
        config = msgspec.structs.replace(config, prometheus=None)
    return config.select(option(args, "env"))


async def run(args: argparse.Namespace) -> int:
    from umig_tui.cli.oneshot import session

    listen = parse_listen(args.listen)
    config = polled_fleet(args, "serve")
    async with session(args, config, restore=True) as monitor:
        await serve(listen, monitor, base_units=args.base_units)
    return EXIT_OK


async def serve(listen: tuple[str, int], monitor: Monitor, *, base_units: bool = False) -> None:
    """Poll, evaluate the alerts, record, serve /metrics (and push) until a signal stops it."""
    from umig_tui.export.metrics_server import MetricsEndpoint
    from umig_tui.service.engine import Engine

    endpoint = MetricsEndpoint(*listen, base_units=base_units)
    extras: list[MetricsEndpoint | Pusher] = [endpoint]
    notify = monitor.config.notify
    if notify.pushgateway:
        from umig_tui.export.push import Pusher

        extras.append(Pusher(notify.pushgateway, timeout=notify.timeout, base_units=base_units))
    engine = Engine(monitor, extras=extras)
    try:
        notices = await engine.start()
        if not endpoint.listening:
            raise UsageError(f"cannot listen on {listen[0]}:{listen[1]}: {endpoint.problem}")
        for notice in notices:
            print(f"umig-tui: {notice}", file=sys.stderr)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        where = endpoint.url + (f", pushing to {notify.pushgateway}" if notify.pushgateway else "")
        # Announced once a signal stops it cleanly (a supervisor may signal as soon as it reads it).
        print(f"umig-tui: serving {where} (Ctrl-C stops)", file=sys.stderr, flush=True)
        running = loop.create_task(engine.run())
        stopped = loop.create_task(stop.wait())
        await asyncio.wait({running, stopped}, return_when=asyncio.FIRST_COMPLETED)
        for task in (running, stopped):
            task.cancel()
        await asyncio.gather(running, stopped, return_exceptions=True)
    finally:
        await engine.close()
