"""Entry point for the dashboard (imports Textual only when the dashboard is opened)."""

from __future__ import annotations

import argparse


def run_dashboard(args: argparse.Namespace) -> int:
    from umig_tui.tui.app import run

    return run(args)
