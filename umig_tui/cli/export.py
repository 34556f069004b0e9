"""``umig-tui export prometheus``: the fleet in the exposition format, printed, pushed or served."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from umig_tui.cli.common import EXIT_OK, UsageError, add_source_options, add_wait_option

if TYPE_CHECKING:
    from umig_tui.export.prometheus import ExportState
    from umig_tui.service.alerts import AlertService
    from umig_tui.service.monitor import Monitor


def register(commands: Any) -> None:
    from umig_tui.cli.serve import add_base_units_option

    export = commands.add_parser("export", help="hand the fleet's state to other systems")
    formats = export.add_subparsers(dest="export_format", metavar="FORMAT", required=True)
    prom = formats.add_parser(
        "prometheus",
        help="the fleet in the Prometheus exposition format (seed metric names)",
        description="Polls once and prints umig_version_info, umig_health_status, umig_uptime_seconds, "
        "umig_api_response_time_ms, umig_api_error_rate, umig_active_users, umig_database_connections, "
        "umig_component_health, umig_version_drift, umig_alerts_firing, umig_poll_errors_total, "
        "umig_deployments_total and the rest of the catalog (README: For a team). With --push URL, "
        "pushes them to that Pushgateway instead (exit 74 when it cannot). With --serve, the same "
        "as `umig-tui serve HOST:PORT`.",
    )
    add_source_options(prom)
    add_wait_option(prom)
    where = prom.add_mutually_exclusive_group()
    where.add_argument(
        "--serve", metavar="HOST:PORT", help="serve /metrics while polling (`umig-tui serve`)"
    )
    where.add_argument(
        "--push",
        metavar="URL",
        help="push to this Prometheus Pushgateway (job umig-deployment-tracking), e.g. "
        "http://pushgateway:9091",
    )
    add_base_units_option(prom)
    prom.set_defaults(run=run)


def push_url(text: str) -> str:
    from umig_tui.config.values import check_url

    url = check_url(text)
    if url is None:
        raise UsageError(
            f"--push {text!r}: use the Pushgateway's http(s) URL, e.g. http://pushgateway:9091"
        )
    return url


async def run(args: argparse.Namespace) -> int:
    from umig_tui.cli.common import load
    from umig_tui.cli.oneshot import evaluated, session
    from umig_tui.cli.serve import parse_listen, polled_fleet, serve
    from umig_tui.export.prometheus import render
    from umig_tui.export.prometheus_source import ExportSource

    if args.serve:
        listen = parse_listen(args.serve, flag="--serve")
        if args.wait is not None:
            raise UsageError(
                "--timeout bounds one poll; with --serve the [polling] timeout applies"
            )
        async with session(
            args, polled_fleet(args, "export prometheus --serve"), restore=True
        ) as monitor:
            await serve(listen, monitor, base_units=args.base_units)
        return EXIT_OK
    gateway = push_url(args.push) if args.push else None
    config = polled_fleet(args, "export prometheus") if gateway else load(args)
    sources: list[ExportSource] = []

    async def attach(monitor: Monitor, alerts: AlertService) -> None:
        # Before the poll: the store's counts so far, then this poll's errors and events.
        sources.append(ExportSource(monitor, alerts, base_units=args.base_units))
        await sources[0].load()

    async with evaluated(args, config, before_poll=attach):
        state = sources[0].state()
    if gateway is None:
        sys.stdout.write(render(state).decode())
        return EXIT_OK
    return await push(gateway, state, seconds=config.notify.timeout)


async def push(gateway: str, state: ExportState, *, seconds: float) -> int:
    """One push; exit 74 (the output could not be written) with one line when it fails."""
    import asyncio

    from umig_tui.cli.output import EXIT_IOERR
    from umig_tui.export.push import PushError, group_url, push_state

    try:
        await asyncio.to_thread(push_state, gateway, state, timeout=seconds)
    except PushError as exc:
        print(f"umig-tui: cannot push to {group_url(gateway)}: {exc}", file=sys.stderr)
        return EXIT_IOERR
    print(
        f"umig-tui: pushed {len(state.views)} environments to {group_url(gateway)}", file=sys.stderr
    )
    return EXIT_OK
