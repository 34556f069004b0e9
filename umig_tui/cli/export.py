"""``umig-tui export prometheus``: the fleet in the exposition format, once or served."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
from typing import Any

from umig_tui.cli.main import EXIT_OK, UsageError, add_source_options


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
    from umig_tui.alerting import AlertService
    from umig_tui.cli.oneshot import evaluated, load, session
    from umig_tui.export.prometheus import render
    from umig_tui.export.source import ExportSource
    from umig_tui.monitor import Monitor
    from umig_tui.notify.sinks import notifier_for

    listen = parse_listen(args.serve) if args.serve else None
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
        notifier = notifier_for(config.notify, os.environ)
        try:
            alerts = AlertService(monitor, notifier=notifier)
            await alerts.restore()
            source = ExportSource(monitor, alerts, base_units=args.base_units)
            await source.load()
            if monitor.store is not None:
                monitor.store.start()
            await serve(listen, monitor, alerts, source)
        finally:
            if notifier is not None:
                await notifier.aclose()
    return EXIT_OK


async def serve(listen: tuple[str, int], monitor: Any, alerts: Any, source: Any) -> None:
    from umig_tui.export.metrics_server import start_metrics_server

    try:
        server = await start_metrics_server(*listen, source.state)
    except OSError as exc:
        raise UsageError(f"cannot listen on {listen[0]}:{listen[1]}: {exc.strerror}") from None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    # Announced once a signal stops it cleanly (a supervisor may signal as soon as it reads this).
    print(
        f"umig-tui: serving http://{listen[0]}:{listen[1]}/metrics (Ctrl-C stops)",
        file=sys.stderr,
        flush=True,
    )

    async def evaluate_alerts() -> None:
        while True:
            await asyncio.sleep(monitor.config.alerts.interval)
            await alerts.evaluate()

    tasks = [loop.create_task(monitor.poller.run()), loop.create_task(evaluate_alerts())]
    try:
        await stop.wait()
    finally:
        server.close()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
