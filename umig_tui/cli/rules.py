"""``umig-tui rules export``: the built-in alert rules as a Prometheus rules file."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from umig_tui.cli.common import EXIT_OK, add_source_options


def register(commands: Any) -> None:
    rules = commands.add_parser("rules", help="the alert rules, for Prometheus")
    actions = rules.add_subparsers(dest="rules_action", metavar="ACTION", required=True)
    export = actions.add_parser(
        "export",
        help="the built-in alert rules as a Prometheus rules file (YAML on stdout)",
        description="Prints the built-in alert rules (same names, for durations, severities; "
        "thresholds from [thresholds] and [slo]) over the series `umig-tui serve` exposes, for "
        "Prometheus's rule_files; `promtool check rules` accepts it. The rules PromQL cannot "
        "express are named in its header comment.",
    )
    add_source_options(export, env=False)
    export.set_defaults(run=run)


async def run(args: argparse.Namespace) -> int:
    from umig_tui.cli.serve import polled_fleet
    from umig_tui.export.rules import prometheus_rules, render_rules

    config = polled_fleet(args, "rules export")
    sys.stdout.write(render_rules(prometheus_rules(config)))
    return EXIT_OK
