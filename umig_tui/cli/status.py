"""``umig-tui status``: one poll of every endpoint of every environment."""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime
from typing import Any

from umig_tui.cli.common import EXIT_OK, EXIT_PROBLEM, add_source_options, add_wait_option, load
from umig_tui.cli.oneshot import poll, session
from umig_tui.cli.render import Cell, dash, paint, table, terminal_width, wants_color
from umig_tui.models import EnvStatus
from umig_tui.state.fleet import EnvView, FleetSummary
from umig_tui.util.timefmt import clock


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "status",
        help="health, version and latency of every environment",
        description="Poll every endpoint of every environment once, concurrently. "
        "Exit 0 when all are healthy, 1 otherwise, 2 for usage/config errors.",
    )
    add_source_options(parser)
    add_wait_option(parser)
    parser.add_argument("--json", action="store_true", help="print JSON for jq")
    parser.set_defaults(run=run)


async def run(args: argparse.Namespace) -> int:
    config = load(args)
    async with session(args, config) as monitor:
        await poll(monitor, args)
        views = monitor.fleet.views()
        summary = monitor.fleet.summary(views)
    if args.json:
        print(json.dumps(status_json(views, summary, demo=config.demo), indent=2))
    else:
        print(render_status(views, summary, demo=config.demo, checked_at=time.time()))
    return EXIT_OK if all(v.status is EnvStatus.HEALTHY for v in views) else EXIT_PROBLEM


def status_json(views: list[EnvView], summary: FleetSummary, *, demo: bool) -> dict[str, Any]:
    return {
        "checked_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "demo": demo,
        "fleet": {
            "worst": str(summary.worst),
            "counts": {str(status): count for status, count in summary.counts.items()},
        },
        "environments": [view.to_json() for view in views],
    }


def summary_line(
    summary: FleetSummary, *, demo: bool, color: bool, checked_at: float | None = None
) -> str:
    counts = ", ".join(
        f"{count} {status}"
        for status, count in sorted(summary.counts.items(), key=lambda kv: kv[0].rank)
    )
    label = "DEMO fleet" if demo else "fleet"
    worst = paint(str(summary.worst), str(summary.worst), color)
    noun = "environment" if summary.total == 1 else "environments"
    line = f"{label}: {summary.total} {noun}, worst {worst} ({counts})"
    return line if checked_at is None else f"{line} · checked {clock(checked_at, label=True)}"


def render_status(
    views: list[EnvView], summary: FleetSummary, *, demo: bool, checked_at: float | None = None
) -> str:
    color = wants_color(sys.stdout)
    rows: list[list[Cell | str]] = []
    for view in views:
        detail = view.reason if view.status is not EnvStatus.HEALTHY else ""
        if view.status is EnvStatus.HEALTHY and view.endpoint_errors:
            detail = "; ".join(f"{ep}: {err.kind}" for ep, err in view.endpoint_errors.items())
        if view.tls == "not verified":
            detail = f"TLS not verified; {detail}" if detail else "TLS not verified"
        rows.append(
            [
                view.name,
                str(view.tier),
                Cell(str(view.status), str(view.status)),
                dash(view.version),
                dash(view.uptime),
                f"{view.latency_ms:.0f}ms" if view.latency_ms is not None else "-",
                view.profile or "-",
                detail or "ok",
            ]
        )
    body = table(
        ["environment", "tier", "status", "version", "uptime", "latency", "profile", "detail"],
        rows,
        color=color,
        width=terminal_width(sys.stdout),
        flexible=7,
    )
    line = summary_line(summary, demo=demo, color=color, checked_at=checked_at)
    return line + "\n" + body
