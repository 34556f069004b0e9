"""``umig-tui``: the dashboard with no subcommand; one-shot commands for scripts, CI and chat.

Exit codes: 0 all good, 1 the command found a problem (unhealthy env, drift, failed deploy),
2 usage or configuration error, 3 timed out (deploy watch), 70 internal error, 130 interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, NoReturn

from umig_tui import __version__
from umig_tui.cli.common import (
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    UsageError,
    add_source_options,
    option,
)
from umig_tui.cli.output import finish, guard_stdout
from umig_tui.cli.parsing import ArgumentsError, Parser, parse
from umig_tui.config import ConfigError
from umig_tui.util import collector
from umig_tui.util.timefmt import set_utc

Command = Callable[[argparse.Namespace], Any]


# Seconds: a one-shot command runs without the cyclic garbage collector this long (most are
# over by then: their objects die with the process); past it (serve, deploy watch) it runs.
COLLECT_AFTER = 2.0


async def collecting_later(command: Awaitable[Any]) -> Any:
    """``command``, with the collector back (util/collector) after COLLECT_AFTER seconds."""
    later = asyncio.get_running_loop().call_later(COLLECT_AFTER, collector.resume)
    try:
        return await command
    finally:
        later.cancel()


# Every command's name → the module of umig_tui.cli that registers it, in the order --help lists
# them (tests/unit/test_lazy_parser.py checks this against what the modules register).
COMMAND_MODULES: dict[str, str] = {
    "status": "status",
    "drift": "drift",
    "probe": "probe",
    "deploy": "deploy",
    "history": "history",
    "alerts": "alerts",
    "trends": "trends",
    "slo": "trends",
    "baseline": "trends",
    "report": "report",
    "snapshot": "report",
    "timeline": "report",
    "promote": "promote",
    "export": "export",
    "serve": "serve",
    "rules": "rules",
    "demo-server": "demo_server",
}


def build_parser(argv: Sequence[str] | None = None) -> Parser:
    """The command line's parser. Given ``argv``, only the commands it names are registered
    (their modules, ~10 ms of imports and parser building, load only then: the dashboard, which
    names none, loads none); without it, or when it asks for help, every command is."""
    import importlib

    every = argv is None or any(word == "-h" or word.startswith("--h") for word in argv)
    named = set(COMMAND_MODULES.values()) if every else {COMMAND_MODULES.get(w) for w in argv or ()}
    parser = Parser(
        prog="umig-tui",
        description="Watch every UMIG environment: health, version drift, deployments, trends.",
        epilog="With no command, opens the dashboard. Exit codes: 0 ok, 1 problem found, "
        "2 usage/config error, 3 timed out, 4 inconclusive (deploy watch).",
    )
    parser.complete = every
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
    for module in dict.fromkeys(COMMAND_MODULES.values()):
        if module in named:
            importlib.import_module(f"umig_tui.cli.{module}").register(commands)
    return parser


def parse_command_line(argv: Sequence[str]) -> argparse.Namespace:
    """``argv`` parsed with the commands it names; a mistake is told by the whole parser (the
    command it resembles, the command an option belongs to)."""
    parser = build_parser(argv)
    try:
        return parse(parser, argv)
    except ArgumentsError:
        if parser.complete:
            raise
    return parse(build_parser(), argv)


def exit_now(code: int) -> NoReturn:
    """End a one-shot process that has done everything: its output written, its store and
    connections closed. Skips the interpreter's teardown (freeing every object and module one
    by one: 40 ms after a 50-environment ``status``, 120 ms after 300), which nothing here
    needs."""
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # a closed pipe was said (and coded) by finish
            stream.flush()
    os._exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    if argv is None:  # the real command line: no collecting while it starts (util/collector)
        collector.pause()
    try:
        return _main(argv)
    finally:
        collector.resume()


def _main(argv: Sequence[str] | None) -> int:
    try:
        args = parse_command_line(sys.argv[1:] if argv is None else argv)
    except ArgumentsError as exc:  # one line that names the command (cli/parsing.py)
        print(exc, file=sys.stderr)
        return EXIT_USAGE
    except SystemExit as exc:  # --help and --version print and exit 0
        return int(exc.code) if isinstance(exc.code, int) else EXIT_USAGE
    if option(args, "utc", False):
        set_utc(True)
    run: Command | None = getattr(args, "run", None)
    try:
        if run is None:
            from umig_tui.cli.dashboard import run_dashboard

            return int(run_dashboard(args))
        output = guard_stdout()
        code = finish(output, int(asyncio.run(collecting_later(run(args)))))
        if argv is None:
            exit_now(code)
        return code
    except ConfigError as exc:
        print(f"umig-tui: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except UsageError as exc:
        print(f"umig-tui: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except Exception as exc:
        if os.environ.get("UMIG_TUI_DEBUG"):
            raise
        print(
            f"umig-tui: internal error: {type(exc).__name__}: {exc}\n"
            "  (set UMIG_TUI_DEBUG=1 for the full traceback, and please report it)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
