"""``umig-tui report``, ``snapshot`` and ``timeline``: what on-call hands to other people."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from umig_tui.cli.common import EXIT_OK, UsageError, add_source_options, add_wait_option
from umig_tui.util.durations import DurationError, parse_duration


def register(commands: Any) -> None:
    report = commands.add_parser(
        "report",
        help="the daily status report (environments, deployments, health, performance, alerts)",
        description="The seed's daily status report, with health and performance figures from the store.",
    )
    add_source_options(report)
    add_wait_option(report)
    report.add_argument(
        "--format", choices=["text", "md", "json"], default="text", help="default text"
    )
    report.add_argument("--since", default="24h", help="the period (default 24h)")
    report.set_defaults(run=run_report)

    snapshot = commands.add_parser(
        "snapshot",
        help="the fleet right now as Markdown for an incident channel",
        description="Current state, firing alerts, drift findings and the last hour's timeline.",
    )
    add_source_options(snapshot)
    add_wait_option(snapshot)
    snapshot.add_argument("--format", choices=["md"], default="md", help="Markdown (the default)")
    snapshot.set_defaults(run=run_snapshot)

    timeline = commands.add_parser(
        "timeline",
        help="every deploy, rollback, status flip and alert, in order",
        description="From the store's timeline; --postmortem fills seed 003's post-mortem template.",
    )
    add_source_options(timeline, env=False)
    timeline.add_argument("--since", default="6h", help="how far back (default 6h)")
    timeline.add_argument(
        "--env", dest="timeline_env", metavar="NAME", help="only this environment"
    )
    timeline.add_argument(
        "--postmortem", action="store_true", help="as a pre-filled post-mortem (Markdown)"
    )
    timeline.set_defaults(run=run_timeline)


def _since(text: str) -> float:
    try:
        return parse_duration(text)
    except DurationError as exc:
        raise UsageError(f"--since: {exc}") from None


async def run_report(args: argparse.Namespace) -> int:
    from umig_tui.cli.common import load
    from umig_tui.cli.oneshot import evaluated
    from umig_tui.export.collect import gather_report
    from umig_tui.export.report import render_report

    period = _since(args.since)
    async with evaluated(args, load(args)) as (monitor, alerts, _notifier):
        now = time.time()
        data = await gather_report(monitor, alerts, since=now - period, now=now)
    sys.stdout.write(render_report(data, args.format))
    return EXIT_OK


async def run_snapshot(args: argparse.Namespace) -> int:
    from umig_tui.cli.common import load
    from umig_tui.cli.oneshot import evaluated
    from umig_tui.export.collect import gather_snapshot
    from umig_tui.export.snapshot import render_snapshot

    async with evaluated(args, load(args)) as (monitor, alerts, _notifier):
        snap = await gather_snapshot(monitor, alerts, now=time.time())
    sys.stdout.write(render_snapshot(snap))
    return EXIT_OK


async def run_timeline(args: argparse.Namespace) -> int:
    from pathlib import Path

    from umig_tui.cli.common import load
    from umig_tui.export.snapshot import render_postmortem, render_timeline
    from umig_tui.service.runtime import open_store

    period = _since(args.since)
    if getattr(args, "no_store", False):
        raise UsageError("timeline reads the store's history: drop --no-store")
    config = load(args)
    store_path = getattr(args, "store", None)
    store, notice = await open_store(config, Path(store_path) if store_path else None)
    if store is None:
        raise UsageError(f"no timeline to read: {notice or 'the store is disabled'}")
    now = time.time()
    try:
        events = await store.events(since=now - period, env=args.timeline_env, limit=10_000)
    finally:
        await store.close()
    render = render_postmortem if args.postmortem else render_timeline
    sys.stdout.write(render(events, since=now - period, until=now))
    return EXIT_OK
