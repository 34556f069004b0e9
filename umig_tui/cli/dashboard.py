"""Entry point for the dashboard: validate everything that can fail before the screen opens."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from msgspec.structs import replace

from umig_tui.cli.common import EXIT_USAGE, UsageError, load, option
from umig_tui.config import Polling, resolve_secret
from umig_tui.util.ui_state import load_ui_state

# The demo moves faster than a real fleet so that `make demo` shows life within seconds.
DEMO_POLLING = Polling(
    health=5.0, metrics=5.0, components=15.0, version=15.0, teams=60.0, timeout=4.0
)


def run_dashboard(args: argparse.Namespace) -> int:
    config = load(args)
    for env in config.environments:  # a missing secret is exit 2 now, not an error on screen
        resolve_secret(env, os.environ)
    if config.demo and config.polling == Polling():
        config = replace(config, polling=DEMO_POLLING)
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        print(
            "umig-tui: the dashboard needs a terminal; for scripts use `umig-tui status` or `umig-tui drift`",
            file=sys.stderr,
        )
        return EXIT_USAGE
    from umig_tui.tui.app import UmigApp
    from umig_tui.tui.theme_files import theme_names

    requested = option(args, "theme")
    if requested:
        known = theme_names()
        if requested not in known:
            raise UsageError(f"unknown theme {requested!r}; available: {', '.join(known)}")
    theme = requested or load_ui_state().get("theme")
    metrics_port = option(args, "metrics_port")
    if metrics_port is not None and not 0 < metrics_port < 65536:
        raise UsageError(f"--metrics-port {metrics_port}: use a port between 1 and 65535")
    store = option(args, "store")
    app = UmigApp(
        config,
        theme=theme if isinstance(theme, str) else None,
        use_store=not option(args, "no_store", False),
        store_path=Path(store) if store else None,
        keymap=config.keys,
        bell=not option(args, "no_bell", False),
        metrics_port=metrics_port,
    )
    app.run()
    return app.return_code or 0
