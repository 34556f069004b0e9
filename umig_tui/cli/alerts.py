"""``umig-tui alerts``: one poll, the alert rules with their saved state; exit 1 if any fires.

Run it from cron every minute and it is a headless alerter: pending alerts become firing across
runs (the state is in the store) and firing/resolved ones go to the configured sinks.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from umig_tui.cli.common import (
    EXIT_OK,
    EXIT_PROBLEM,
    UsageError,
    add_source_options,
    add_wait_option,
)


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "alerts",
        help="evaluate the alert rules now (state kept in the store); exit 1 if any is firing",
        description="Polls once, evaluates the built-in and [alerts] rules with the state saved by "
        "earlier runs, sends firing/resolved alerts to [notify] sinks. Exit 1 if any alert is firing.",
    )
    add_source_options(parser)
    add_wait_option(parser)
    parser.add_argument("--json", action="store_true", help="print JSON for jq")
    parser.set_defaults(run=run)


async def run(args: argparse.Namespace) -> int:
    from umig_tui.cli.common import load
    from umig_tui.cli.oneshot import evaluated

    async with evaluated(args, load(args)) as (_monitor, service, notifier):
        alerts = service.alerts()
        notice = service.notice
        remote = service.remote
    if remote is not None and remote.client is None:
        # Reading from Prometheus with nowhere to read alerts from: "0, nothing firing" would
        # be a lie a cron job believes.
        raise UsageError(f"alerts: {notice}")
    if args.json:
        print(
            json.dumps(
                {
                    "alerts": [a.to_json() for a in alerts],
                    "sinks": sink_status(notifier),
                    # Only when there is something to know (reading from Prometheus).
                    **({"notice": notice} if notice is not None else {}),
                },
                indent=2,
            )
        )
    elif not alerts and notice is not None:
        print("no alerts known here (Alertmanager did not answer; see the note on stderr)")
    else:
        print(render_alerts(alerts, notifier))
    if notice is not None and remote is not None:
        return EXIT_PROBLEM  # Alertmanager did not answer: the list may be old or empty
    return EXIT_PROBLEM if any(str(a.phase) == "firing" for a in alerts) else EXIT_OK


def sink_status(notifier: Any) -> dict[str, Any]:
    statuses = notifier.status if notifier is not None else {}
    return {
        name: {"ok": s.ok, "last_error": s.last_error, "sent": s.sent, "failed": s.failed}
        for name, s in statuses.items()
    }


def render_alerts(alerts: list[Any], notifier: Any) -> str:
    from umig_tui.cli.render import Cell, dash, table, wants_color
    from umig_tui.util.timefmt import ago, clock

    color = wants_color(sys.stdout)
    now = time.time()
    if not alerts:
        lines = ["no alerts: every rule is quiet"]
    else:
        rows = [
            [
                Cell(str(a.severity), str(a.severity)),
                str(a.phase),
                a.env,
                a.rule,
                f"{clock(a.fired_at or a.since, label=True)} ({ago(a.fired_at or a.since, now)})",
                dash(f"{a.value:g}" if a.value is not None else None)
                + (f" / {a.threshold:g}" if a.threshold is not None else ""),
                a.summary,
            ]
            for a in alerts
        ]
        lines = [
            table(
                ["severity", "state", "environment", "rule", "since", "value/threshold", "summary"],
                rows,
                color=color,
            )
        ]
    for status in notifier.status.values() if notifier is not None else ():
        lines.append(f"sink {status.describe()}")
    return "\n".join(lines)
