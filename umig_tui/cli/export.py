"""``umig-tui export prometheus``: the fleet in the exposition format, once or served."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from typing import TYPE_CHECKING, Any

from umig_tui.cli.common import EXIT_OK, UsageError, add_source_options, add_wait_option

if TYPE_CHECKING:
    from umig_tui.service.monitor import Monitor


def register(commands: Any) -> None:
    export = commands.add_parser("export", help="hand the fleet's state to other systems")
    formats = export.add_subparsers(dest="export_format", metavar="FORMAT", required=True)
    prom = formats.add_parser(
        "prometheus",
        help="the fleet in the Prometheus exposition format (seed metric names)",
        description="Polls once and prints umig_version_info, umig_health_status, umig_uptime_seconds, "
        "umig_api_response_time_ms, umig_api_error_rate, umig_active_users, umig_database_connections, "
        "umig_component_health, umig_version_drift, umig_alerts_firing, umig_poll_errors_total and "
        "umig_deployments_total. With --serve, keeps polling and serves /metrics for scraping.",
    )
    add_source_options(prom)
    add_wait_option(prom)
    prom.add_argument(
        "--serve", metavar="HOST:PORT", help="serve /metrics while polling, e.g. 127.0.0.1:9464"
    )
    prom.add_argument(
        "--base-units",
        action="store_true",
        help="umig_api_response_time_seconds instead of the seeds' umig_api_response_time_ms "
        "(the one name promtool's linter flags)",
    )
    prom.set_defaults(run=run)


def parse_listen(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise UsageError(f"--serve {text!r}: use HOST:PORT, e.g. 127.0.0.1:9464")
    return host or "127.0.0.1", int(port)


async def run(args: argparse.Namespace) -> int:
    from umig_tui.cli.common import load
    from umig_tui.cli.oneshot import evaluated, session
    from umig_tui.export.prometheus import render
    from umig_tui.export.prometheus_source import ExportSource
    from umig_tui.service.alerts import AlertService

    listen = parse_listen(args.serve) if args.serve else None
    if listen is not None and args.wait is not None:
        raise UsageError("--timeout bounds one poll; with --serve the [polling] timeout applies")
    config = load(args)
    if listen is None:
        sources: list[ExportSource] = []

        async def attach(monitor: Monitor, alerts: AlertService) -> None:
            # Before the poll: the store's counts so far, then this poll's errors and events.
            sources.append(ExportSource(monitor, alerts, base_units=args.base_units))
            await sources[0].load()

        async with evaluated(args, config, before_poll=attach):
            sys.stdout.write(render(sources[0].state()).decode())
        return EXIT_OK
    async with session(args, config, restore=True) as monitor:
        await serve(listen, monitor, base_units=args.base_units)
    return EXIT_OK


async def serve(listen: tuple[str, int], monitor: Monitor, *, base_units: bool = False) -> None:
    """Poll, evaluate the alerts, record, and serve /metrics until a signal stops it."""
    from umig_tui.export.metrics_server import MetricsEndpoint
    from umig_tui.service.engine import Engine

    endpoint = MetricsEndpoint(*listen, base_units=base_units)
    engine = Engine(monitor, extras=[endpoint])
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
        # Announced once a signal stops it cleanly (a supervisor may signal as soon as it reads it).
        print(f"umig-tui: serving {endpoint.url} (Ctrl-C stops)", file=sys.stderr, flush=True)
        running = loop.create_task(engine.run())
        stopped = loop.create_task(stop.wait())
        await asyncio.wait({running, stopped}, return_when=asyncio.FIRST_COMPLETED)
        for task in (running, stopped):
            task.cancel()
        await asyncio.gather(running, stopped, return_exceptions=True)
    finally:
        await engine.close()
