"""``umig-tui``: the dashboard with no subcommand; one-shot commands for scripts, CI and chat.

Exit codes: 0 all good, 1 the command found a problem (unhealthy env, drift, failed deploy),
2 usage or configuration error, 3 timed out (deploy watch), 70 internal error, 130 interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from umig_tui import __version__
from umig_tui.config import ConfigError

EXIT_OK = 0
EXIT_PROBLEM = 1
EXIT_USAGE = 2
EXIT_TIMEOUT = 3
EXIT_INTERNAL = 70
EXIT_INTERRUPTED = 130


class UsageError(Exception):
    """Bad arguments: exit 2 with this message."""


def add_source_options(parser: argparse.ArgumentParser, *, env: bool = True) -> None:
    """Where the fleet comes from; shared by every command and by the dashboard."""
    group = parser.add_argument_group("fleet")
    group.add_argument(
        "--config",
        metavar="FILE",
        default=argparse.SUPPRESS,
        help="config file (default: $UMIG_TUI_CONFIG, ./umig-tui.toml, user config, /etc)",
    )
    group.add_argument(
        "--demo", action="store_true", default=argparse.SUPPRESS, help="use the embedded demo fleet"
    )
    group.add_argument(
        "--demo-envs",
        type=demo_count,
        metavar="N",
        default=argparse.SUPPRESS,
        help="number of demo environments (default 4)",
    )
    if env:
        group.add_argument(
            "--env",
            action="append",
            metavar="NAME",
            default=argparse.SUPPRESS,
            help="only this environment (repeatable)",
        )
    group.add_argument(
        "--profile",
        metavar="NAME",
        default=argparse.SUPPRESS,
        help="the endpoint profile every environment speaks: auto (default, detected), us088, "
        "umig-admin-v2 or a [profiles] name; with --demo, what the demo fleet speaks "
        "(us088, us088-scriptrunner, umig-admin-v2)",
    )
    group.add_argument(
        "--store",
        metavar="FILE",
        default=argparse.SUPPRESS,
        help="SQLite store (default: [store] path or the platform state dir)",
    )
    group.add_argument(
        "--no-store",
        action="store_true",
        default=argparse.SUPPRESS,
        help="do not read or record history",
    )


MAX_DEMO_ENVS = 500


def demo_count(text: str) -> int:
    """``--demo-envs``: a whole number of environments, 1 to MAX_DEMO_ENVS."""
    try:
        count = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= count <= MAX_DEMO_ENVS:
        raise argparse.ArgumentTypeError(f"must be between 1 and {MAX_DEMO_ENVS} (got {count})")
    return count


def option(args: argparse.Namespace, name: str, default: Any = None) -> Any:
    return getattr(args, name, default)


Command = Callable[[argparse.Namespace], Any]


def build_parser() -> argparse.ArgumentParser:
    from umig_tui.cli import (
        alerts,
        demo_server,
        deploy,
        drift,
        export,
        history,
        probe,
        report,
        status,
        trends,
    )

    parser = argparse.ArgumentParser(
        prog="umig-tui",
        description="Watch every UMIG environment: health, version drift, deployments, trends.",
        epilog="With no command, opens the dashboard. Exit codes: 0 ok, 1 problem found, "
        "2 usage/config error, 3 timed out.",
    )
    parser.add_argument("--version", action="version", version=f"umig-tui {__version__}")
    add_source_options(parser)
    parser.add_argument(
        "--theme",
        metavar="NAME",
        default=argparse.SUPPRESS,
        help="dashboard theme (umig-dark, umig-light, high-contrast, monochrome, …)",
    )
    parser.add_argument(
        "--no-bell",
        action="store_true",
        default=argparse.SUPPRESS,
        help="no terminal bell on new critical alerts in the dashboard",
    )
    parser.add_argument(
        "--metrics-port",
        type=int,
        metavar="PORT",
        default=argparse.SUPPRESS,
        help="the dashboard also serves /metrics on 127.0.0.1:PORT",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in (
        status,
        drift,
        probe,
        deploy,
        history,
        alerts,
        trends,
        report,
        export,
        demo_server,
    ):
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse already printed a usage message
        return int(exc.code) if isinstance(exc.code, int) else EXIT_USAGE
    run: Command | None = getattr(args, "run", None)
    try:
        if run is None:
            from umig_tui.tui.launch import run_dashboard

            return int(run_dashboard(args))
        code = int(asyncio.run(run(args)))
        if argv is None:
            # A one-shot process is about to exit: skip freeing every object one by one
            # (~100 ms of interpreter shutdown for a 50-environment status).
            gc.freeze()
        return code
    except ConfigError as exc:
        print(f"umig-tui: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except UsageError as exc:
        print(f"umig-tui: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `umig-tui status | head`
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:
        if os.environ.get("UMIG_TUI_DEBUG"):
            raise
        print(
            f"umig-tui: internal error: {type(exc).__name__}: {exc}\n"
            "  (set UMIG_TUI_DEBUG=1 for the full traceback, and please report it)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
