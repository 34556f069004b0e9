"""``umig-tui promote``: the promotion board — per environment in promotion order, what runs, since
when it differs from the next, its last verdict and soak, what is promotable, and the commits
between environments from ``[repository] path``."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from umig_tui.cli.common import EXIT_OK, add_source_options, add_wait_option


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "promote",
        help="promotion board: versions in promotion order, verdicts, soak, what is promotable",
        description="Per environment in promotion order (development → uat → production; hotfix "
        "aside): each component's version, since when it differs from the next environment, who "
        "deployed it and when, build tag and commit, the last deploy verdict and soak, and "
        "whether it is promotable (its version passed and soaked). With [repository] path, the "
        "commits between environments (git log). Exit 0 whenever the board was shown — whether "
        "anything is promotable is in the board (--json: .steps[].promotable); 2 for usage or "
        "configuration errors.",
    )
    add_source_options(parser)
    add_wait_option(parser)
    parser.add_argument("--json", action="store_true", help="print JSON for jq")
    parser.set_defaults(run=run)


async def run(args: argparse.Namespace) -> int:
    from umig_tui.cli.common import load
    from umig_tui.cli.oneshot import poll, session
    from umig_tui.models import Endpoint
    from umig_tui.service.promotion import collect_board
    from umig_tui.views.promotion import board_json

    config = load(args)
    async with session(args, config, endpoints=(Endpoint.VERSION, Endpoint.HEALTH)) as monitor:
        await poll(monitor, args)
        if monitor.store is not None:
            await monitor.store.flush()  # the deployments this poll saw are on the board
        board = await collect_board(monitor)
    if args.json:
        print(json.dumps(board_json(board), indent=2, ensure_ascii=False))
    else:
        print(render_board(board))
    if board.repository_error:
        print(f"umig-tui: note: [repository]: {board.repository_error}", file=sys.stderr)
    return EXIT_OK


def render_board(board: Any) -> str:
    from umig_tui.cli.render import paint, wants_color
    from umig_tui.views.promotion import board_lines

    color = wants_color(sys.stdout)
    return "\n".join(
        "".join(paint(text, style, color) for text, style in line) for line in board_lines(board)
    )
