"""What every command shares: exit codes, the usage error, the fleet options, reading them."""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from umig_tui.config import Config

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
        "--source",
        type=source_url,
        metavar="prometheus=URL",
        default=argparse.SUPPRESS,
        help="read the fleet from this Prometheus (what `umig-tui serve` exposes) instead of "
        "polling it; alerts from [notify] alertmanager",
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
    parser.add_argument_group("display").add_argument(
        "--utc",
        action="store_true",
        default=argparse.SUPPRESS,
        help="every time shown in UTC (default: local time, labelled with its zone)",
    )


MAX_WAIT = 3600.0


def add_wait_option(parser: argparse.ArgumentParser) -> None:
    """``--timeout``: how long a one-shot command waits for the environments, all told."""
    parser.add_argument(
        "--timeout",
        dest="wait",  # not deploy watch's --timeout (how long the version may take)
        type=wait_seconds,
        metavar="SECONDS",
        default=None,
        help="give up on environments that have not answered after this long (e.g. 5, 2.5, "
        "30s, 1m); they are reported as timed out. Default: each request's [polling] timeout",
    )


def wait_seconds(text: str) -> float:
    """``--timeout``: seconds (``5``, ``2.5``) or a duration (``30s``, ``1m``), up to an hour."""
    from umig_tui.util.durations import DurationError, parse_duration

    try:
        seconds = float(text)
    except ValueError:
        try:
            seconds = parse_duration(text)
        except DurationError:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not a number of seconds (e.g. 5, 2.5, 30s, 1m)"
            ) from None
    if not 0 < seconds <= MAX_WAIT:  # also refuses nan and inf
        raise argparse.ArgumentTypeError(
            f"must be more than 0 and at most {MAX_WAIT:.0f} seconds (got {text})"
        )
    return seconds


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


def source_url(text: str) -> str:
    """``--source prometheus=URL``: the URL of a Prometheus HTTP API (a path prefix allowed)."""
    from umig_tui.config.values import check_url, has_credentials

    kind, _, url = text.partition("=")
    if kind != "prometheus" or not url:
        raise argparse.ArgumentTypeError(f"{text!r}: write prometheus=URL")
    if has_credentials(url):
        raise argparse.ArgumentTypeError("the URL must not carry credentials; use [source] auth")
    checked = check_url(url)
    if checked is None:
        raise argparse.ArgumentTypeError(f"{url!r} is not an http(s) URL with a host")
    return checked


def option(args: argparse.Namespace, name: str, default: Any = None) -> Any:
    return getattr(args, name, default)


def load(args: argparse.Namespace) -> Config:
    """The fleet a command watches: ``--config``/``--demo``/``--profile``, then ``--env``."""
    from umig_tui.config import load_config
    from umig_tui.service.setup import fleet_from

    demo = bool(option(args, "demo", False))
    source: Config | None = None
    if demo and option(args, "source") is None:
        # The file still says how to show things; its URL variables are not for the demo.
        read = load_config(option(args, "config"), overrides=False)
    else:
        read = load_config(option(args, "config"))  # read once: [source] is in it too
        source = _reading_prometheus(args, read)
    config = source or fleet_from(
        read,
        demo=demo,
        demo_envs=int(option(args, "demo_envs", 4)),
        profile=option(args, "profile"),
    )
    if config.display_utc:
        from umig_tui.util.timefmt import set_utc

        set_utc(True)
    if source is not None:  # the environments Prometheus holds, unless the config names them
        from umig_tui.service.prometheus_source import discover

        return discover(config, os.environ, option(args, "env"))
    return config.select(option(args, "env"))


def _reading_prometheus(args: argparse.Namespace, read: Config) -> Config | None:
    """The config when this run reads Prometheus (``--source`` or ``[source]``), else None."""
    from umig_tui.config import check_expected, with_source

    config = with_source(read, option(args, "source"), demo=bool(option(args, "demo", False)))
    if config.prometheus is None:
        return None
    if config.environments:
        check_expected(config)
    return config
