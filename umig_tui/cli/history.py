"""``umig-tui history``: deployments, newest first, with the seed's summary."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from umig_tui.cli.common import EXIT_OK, UsageError, add_source_options, option

if TYPE_CHECKING:
    from umig_tui.config import Config
    from umig_tui.deploy.timeline import History


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "history",
        help="deployment history with the seed's summary (total, successful, failed, rollbacks)",
        description="Reads the deployment-history JSONL ([history] file or --file) and the store's "
        "timeline; malformed lines are counted and reported, never fatal.",
    )
    add_source_options(parser, env=False)
    parser.add_argument(
        "--file", metavar="FILE", help="deployment-history JSONL (default: [history] file)"
    )
    parser.add_argument("--env", dest="history_env", metavar="NAME", help="only this environment")
    parser.add_argument("--days", type=int, default=30, help="how far back (default 30)")
    parser.add_argument("--json", action="store_true", help="print JSON for jq")
    parser.set_defaults(run=run)


async def collect(
    config: Config, args: argparse.Namespace, *, days: int, env: str | None
) -> History:
    from umig_tui.deploy.timeline import load_history
    from umig_tui.service.runtime import open_store

    since = time.time() - days * 86400
    file = option(args, "file") or config.history_file
    store = None
    if not option(args, "no_store", False):
        store_path = option(args, "store")
        store, _notice = await open_store(config, Path(store_path) if store_path else None)
    try:
        return await load_history(store, Path(file) if file else None, since=since, env=env)
    except OSError as exc:
        raise UsageError(f"cannot read {file}: {exc.strerror or exc}") from None
    finally:
        if store is not None:
            await store.close()


async def run(args: argparse.Namespace) -> int:
    if args.days < 1:
        raise UsageError("--days must be at least 1")
    from umig_tui.cli.common import load

    config = load(args)
    history = await collect(config, args, days=args.days, env=args.history_env)
    if args.json:
        print(json.dumps(history_json(history), indent=2))
    else:
        print(render_history(history, days=args.days, env=args.history_env))
    if history.malformed:
        print(
            f"umig-tui: note: {history.malformed} malformed history lines skipped", file=sys.stderr
        )
    return EXIT_OK


def history_json(history: History) -> dict[str, Any]:
    return {
        "deployments": [
            {
                "id": e.id,
                "type": e.type,
                "timestamp": e.timestamp,
                "environment": e.environment,
                "version": e.version,
                "status": e.status,
                "record": e.record,
            }
            for e in history.entries
        ],
        "summary": history.summary.to_json(),
        "malformed_lines": history.malformed,
    }


def render_history(history: History, *, days: int, env: str | None) -> str:
    from umig_tui.cli.render import dash, table, wants_color
    from umig_tui.util.timefmt import stamp_text

    color = wants_color(sys.stdout)
    lines = [f"Deployment history - last {days} days - environment: {env or 'all'}"]
    rows = [
        [stamp_text(e.timestamp), e.environment, dash(e.version), e.type, dash(e.status)]
        for e in history.entries
    ]
    lines.append(
        table(["when", "environment", "version", "type", "status"], rows, color=color)
        if rows
        else "no deployments in this period"
    )
    summary = history.summary
    lines += [
        "",
        f"Total deployments: {summary.total}",
        f"Successful: {summary.successful}",
        f"Failed: {summary.failed}",
        f"Rollbacks: {summary.rollbacks}",
    ]
    if summary.success_rate is not None:
        lines.append(f"Success rate: {summary.success_rate:.0%}")
    return "\n".join(lines)
