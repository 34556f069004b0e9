"""``umig-tui drift``: the env × component version matrix and its findings."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from umig_tui.cli.common import EXIT_OK, EXIT_PROBLEM, add_source_options, add_wait_option

if TYPE_CHECKING:
    from umig_tui.analysis.drift import DriftFinding
    from umig_tui.models import VersionRow


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "drift",
        help="version matrix and drift findings across environments",
        description="Compare versions against the expected matrix, inside each environment and "
        "across environments, and the executed database changesets where the environments list "
        "them. Exit 1 when any finding is CRITICAL or HIGH, or when fewer than two environments "
        "could be read (nothing was compared).",
    )
    add_source_options(parser)
    add_wait_option(parser)
    parser.add_argument("--json", action="store_true", help="print JSON for jq")
    parser.set_defaults(run=run)


async def run(args: argparse.Namespace) -> int:
    from umig_tui.cli.common import load
    from umig_tui.cli.oneshot import poll, session
    from umig_tui.models import Endpoint, Severity

    config = load(args)
    async with session(args, config, endpoints=(Endpoint.VERSION, Endpoint.HEALTH)) as monitor:
        await poll(monitor, args)
        matrix = monitor.fleet.version_matrix()
        findings = monitor.fleet.drift()
        unreachable = {
            view.name: view.error.to_json()
            for view in monitor.fleet.views()
            if view.error is not None
        }
        unreadable = monitor.fleet.unreadable()
    compared = len(matrix) - len(unreadable) >= 2 or (len(matrix) == 1 and not unreadable)
    if args.json:
        print(json.dumps(drift_json(matrix, findings, unreachable, unreadable), indent=2))
    else:
        print(render_drift(matrix, findings, unreachable, unreadable))
    serious = any(f.severity in (Severity.CRITICAL, Severity.HIGH) for f in findings)
    return EXIT_PROBLEM if serious or not compared else EXIT_OK


def drift_json(
    matrix: dict[str, VersionRow],
    findings: list[DriftFinding],
    unreachable: dict[str, Any],
    unreadable: dict[str, str] | None = None,
) -> dict[str, Any]:
    unreadable = unreadable or {}
    return {
        "matrix": {env: row.as_dict() for env, row in matrix.items()},
        "findings": [f.to_json() for f in findings],
        "unreachable": unreachable,
        "unreadable": unreadable,
        "compared": len(matrix) - len(unreadable),
    }


def render_drift(
    matrix: dict[str, VersionRow],
    findings: list[DriftFinding],
    unreachable: dict[str, Any],
    unreadable: dict[str, str] | None = None,
) -> str:
    from umig_tui.analysis.drift import worst_by_cell
    from umig_tui.cli.render import Cell, dash, table, wants_color
    from umig_tui.models import COMPONENT_KEYS

    color = wants_color(sys.stdout)
    cells = worst_by_cell(findings)
    rows = [
        [env]
        + [
            Cell(dash(row.get(c)), str(cells[(env, c)]) if (env, c) in cells else None)
            for c in COMPONENT_KEYS
        ]
        for env, row in matrix.items()
    ]
    unreadable = unreadable or {}
    out = [table(["environment", *COMPONENT_KEYS], rows, color=color)]
    for env, error in unreachable.items():
        if env not in unreadable:
            out.append(f"note: {env}: health unreachable ({error['kind']}: {error['reason']})")
    for env, why in unreadable.items():
        out.append(f"note: {env}: version unknown ({why})")
    readable = len(matrix) - len(unreadable)
    if readable < 2 and len(matrix) > 1:
        names = ", ".join(unreadable)
        out.append(
            f"\ncannot compare: only {readable} of {len(matrix)} environments could be read "
            f"(unreadable: {names})"
        )
        if not findings:
            return "\n".join(out)
    if findings:
        out.append("")
        out.append(f"findings ({len(findings)}):")
        out.append(
            table(
                ["severity", "kind", "environment", "component", "message"],
                [
                    [
                        Cell(str(f.severity), str(f.severity)),
                        str(f.kind),
                        f.environment,
                        f.component,
                        f.message,
                    ]
                    for f in findings
                ],
                color=color,  # messages hold versions: never cut them
            )
        )
    else:
        out.append("\nno drift found")
    return "\n".join(out)
