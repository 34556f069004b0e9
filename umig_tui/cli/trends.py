"""``umig-tui trends``, ``umig-tui slo`` and ``umig-tui baseline set``: judgement from history."""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from umig_tui.cli.common import EXIT_OK, EXIT_PROBLEM, UsageError, add_source_options
from umig_tui.util.durations import DurationError, format_duration, parse_duration


def register(commands: Any) -> None:
    trends = commands.add_parser(
        "trends",
        help="is it worse than 1 h, 24 h, 7 d ago or than the previous version? (from the store)",
        description="Compares the last window (default 15m) of response time and error rate with the "
        "same window 1 h, 24 h and 7 d ago and with the baseline. Exit 1 if any metric is worse by "
        "more than thresholds.degradation.",
    )
    add_source_options(trends)
    trends.add_argument("--window", default="15m", help="the current window (default 15m)")
    trends.add_argument("--json", action="store_true", help="print JSON for jq")
    trends.set_defaults(run=run_trends)

    slo = commands.add_parser(
        "slo",
        help="availability, P95 and error rate against the SLO targets, with the error budget left",
        description="Seed 003's targets by default (99.9 %, 500 ms, 1 %), [slo] in the config. "
        "Availability is the share of the window's monitored time the health check answered. "
        "A window with less than 10 % of it covered by data (or under 10 health polls) is "
        "'not enough data', never met or missed. Exit 1 if any objective is missed in the window.",
    )
    add_source_options(slo)
    slo.add_argument(
        "--window", default="24h", choices=["1h", "24h", "7d", "30d"], help="default 24h"
    )
    slo.add_argument("--json", action="store_true", help="print JSON for jq")
    slo.set_defaults(run=run_slo)

    baseline = commands.add_parser(
        "baseline", help="set the performance baseline of an environment"
    )
    actions = baseline.add_subparsers(dest="baseline_command", metavar="ACTION", required=True)
    set_parser = actions.add_parser(
        "set",
        help="take the last window as the running version's baseline",
        description="Saves the last window (default 1h) of response time and error rate as the "
        "baseline that trends and the degradation alert compare against.",
    )
    add_source_options(set_parser, env=False)
    set_parser.add_argument("--env", dest="baseline_env", required=True, metavar="NAME")
    set_parser.add_argument("--window", default="1h", help="how much recent history (default 1h)")
    set_parser.set_defaults(run=run_baseline_set)


def _window(text: str) -> float:
    try:
        return parse_duration(text)
    except DurationError as exc:
        raise UsageError(f"--window: {exc}") from None


async def _store_and_versions(args: argparse.Namespace) -> tuple[Any, Any, dict[str, str | None]]:
    """The config, an open store (or a usage error) and the last known version per env."""
    from pathlib import Path

    from umig_tui.cli.common import load
    from umig_tui.service.runtime import open_store
    from umig_tui.state.fleet import FleetState
    from umig_tui.store.queries import restore_results

    config = load(args)
    store_path = getattr(args, "store", None)
    store, notice = await open_store(config, Path(store_path) if store_path else None)
    if store is None:
        raise UsageError(f"no history to read: {notice or 'the store is disabled'}")
    fleet = FleetState(config)
    for result in await restore_results(store):
        fleet.apply(result)
    return config, store, {name: fleet.versions(name).umig for name in fleet.names}


async def run_trends(args: argparse.Namespace) -> int:
    from umig_tui.analysis.trends import arrow
    from umig_tui.store.trends import fleet_trends

    window = _window(args.window)
    config, store, versions = await _store_and_versions(args)
    now = time.time()
    try:
        by_env = await fleet_trends(
            store,
            versions,
            now=now,
            degradation=config.thresholds.degradation,
            window=window,
        )
        trends = [trend for env in versions for trend in by_env[env]]
    finally:
        await store.close()
    if args.json:
        print(json.dumps({"window_s": window, "trends": [t.to_json() for t in trends]}, indent=2))
    else:
        from umig_tui.cli.render import Cell, table, wants_color
        from umig_tui.metrics import Metric

        color = wants_color(sys.stdout)
        labels = sorted(
            {r.label for t in trends for r in t.references},
            key=lambda label: (label.startswith("baseline"), label),
        )
        rows = []
        for t in trends:
            spec = Metric(t.metric).spec if t.metric in set(Metric) else None
            current = (
                "-"
                if t.current is None
                else (f"{t.current:.2%}" if spec and spec.unit == "ratio" else f"{t.current:.0f}ms")
            )
            refs = {r.label: r for r in t.references}
            name = spec.label if spec else t.metric
            cells: list[Any] = [t.env, f"{name} {t.stat}", current]
            for label in labels:
                ref = refs.get(label)
                cells.append(
                    Cell(arrow(ref.change), "HIGH" if ref.degraded else None) if ref else "-"
                )
            rows.append(cells)
        print(f"last {format_duration(window)} compared with earlier windows and the baseline")
        print(table(["environment", "metric", "now", *labels], rows, color=color))
    return EXIT_PROBLEM if any(t.degraded for t in trends) else EXIT_OK


async def run_slo(args: argparse.Namespace) -> int:
    from umig_tui.analysis.trends import MIN_SLO_COVERAGE, MIN_SLO_POLLS, VERDICT_TEXT
    from umig_tui.store.slo import SLO_WINDOWS, env_slo

    window = SLO_WINDOWS[args.window]
    config, store, versions = await _store_and_versions(args)
    now = time.time()
    try:
        reports = [
            await env_slo(store, env, config.slo, window=window, now=now) for env in versions
        ]
    finally:
        await store.close()
    if args.json:
        print(json.dumps({"window": args.window, "slo": [r.to_json() for r in reports]}, indent=2))
    else:
        from umig_tui.cli.render import Cell, table, wants_color

        color = wants_color(sys.stdout)
        rows: list[list[Any]] = []

        def mark(verdict: str) -> Cell:
            if verdict == "no_data":
                return Cell("-")
            return Cell(VERDICT_TEXT[verdict], "HIGH" if verdict == "missed" else None)

        for r in reports:
            verdicts = r.verdicts()
            rows.append(
                [
                    r.env,
                    r.coverage_text(args.window),
                    "-" if r.availability is None else f"{r.availability:.3%}",
                    mark(verdicts["availability"]),
                    "-" if r.p95_ms is None else f"{r.p95_ms:.0f}ms",
                    mark(verdicts["response_time_p95"]),
                    "-" if r.error_rate is None else f"{r.error_rate:.2%}",
                    mark(verdicts["error_rate"]),
                    r.budget_text(),
                ]
            )
        t = config.slo
        print(
            f"SLO over the last {args.window}: availability ≥ {t.availability:.1%}, "
            f"P95 ≤ {t.response_time_p95_ms:.0f}ms, error rate ≤ {t.error_rate:.0%}"
        )
        print(
            table(
                [
                    "environment",
                    "data",
                    "availability",
                    "",
                    "p95",
                    "",
                    "error rate",
                    "",
                    "budget left",
                ],
                rows,
                color=color,
            )
        )
        if any(r.availability is not None and not r.enough_data for r in reports):
            print(
                f"not enough data: fewer than {MIN_SLO_POLLS} health polls or less than "
                f"{MIN_SLO_COVERAGE:.0%} of the window; nothing is called met or missed yet"
            )
    missed = any(v == "missed" for r in reports for v in r.verdicts().values())
    return EXIT_PROBLEM if missed else EXIT_OK


async def run_baseline_set(args: argparse.Namespace) -> int:
    from umig_tui.store.trends import set_baseline

    window = _window(args.window)
    _config, store, versions = await _store_and_versions(args)
    if args.baseline_env not in versions:
        await store.close()
        raise UsageError(
            f"unknown environment {args.baseline_env!r}; configured: {', '.join(versions)}"
        )
    version = versions[args.baseline_env]
    try:
        if version is None:
            raise UsageError(
                f"{args.baseline_env}: no version known yet (run `umig-tui status` first)"
            )
        saved = await set_baseline(
            store, args.baseline_env, version, now=time.time(), window=window
        )
    finally:
        await store.close()
    if not saved:
        raise UsageError(
            f"{args.baseline_env}: no samples in the last {format_duration(window)}; nothing saved"
        )
    for baseline in saved:
        s = baseline.stats
        print(
            f"{baseline.env} {version} {baseline.metric}: {s.count} samples, avg {s.avg:.4g}, "
            f"p95 {s.p95:.4g}, p99 {s.p99:.4g} (last {format_duration(window)})"
        )
    return EXIT_OK
