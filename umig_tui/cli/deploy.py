"""``umig-tui deploy watch``: follow a deployment through its validation gates.

Exit 0 succeeded (passed, and soaked with --soak), 1 failed, 3 timed out (the version never
appeared), 4 inconclusive (landed, but too little to judge it by), 2 usage/config, 130
interrupted (Ctrl-C), 143 stopped by SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
import time
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from umig_tui.cli.common import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_PROBLEM,
    EXIT_TIMEOUT,
    UsageError,
    add_source_options,
)
from umig_tui.util.durations import DurationError, format_duration, parse_duration

if TYPE_CHECKING:  # the watch's modules load only when a watch runs (start-up of other commands)
    from umig_tui.deploy.watch_state import WatchOptions, WatchState

EXIT_INCONCLUSIVE = 4  # the version landed; too few samples, no traffic or no baseline to judge
EXIT_FOR = {
    "succeeded": EXIT_OK,
    "failed": EXIT_PROBLEM,
    "timed_out": EXIT_TIMEOUT,
    "inconclusive": EXIT_INCONCLUSIVE,
}


def register(commands: Any) -> None:
    deploy = commands.add_parser("deploy", help="follow a deployment (deploy watch)")
    actions = deploy.add_subparsers(dest="deploy_command", metavar="ACTION", required=True)
    parser = actions.add_parser(
        "watch",
        help="wait for a version, validate it, then watch it against the previous version",
        description="waiting → confirmed → validating (health healthy, orchestrator active, /teams 200) "
        "→ monitoring (error rate and response time vs the previous version's baseline: a rank test "
        "for worse by more than the tolerance, with a minimum sample count) → succeeded | failed | "
        "inconclusive | timed_out (with --soak: soaking after a pass). Exit 0 succeeded, 1 failed, "
        "3 timed out, 4 inconclusive, 2 usage/config error.",
    )
    add_source_options(parser, env=False)
    parser.add_argument(
        "--env",
        dest="watch_env",
        required=True,
        metavar="NAME",
        help="the environment being deployed",
    )
    parser.add_argument(
        "--expect", required=True, metavar="VERSION", help="the version that should land"
    )
    parser.add_argument(
        "--timeout", default="10m", help="how long to wait for the version (default 10m)"
    )
    parser.add_argument(
        "--monitor", default="5m", help="watch window after validation (default 5m; 0 skips)"
    )
    parser.add_argument("--interval", default="10s", help="time between checks (default 10s)")
    parser.add_argument(
        "--min-samples",
        type=int,
        metavar="N",
        help="samples per side a verdict needs ([deploy] min_samples, default 20); fewer is "
        "inconclusive",
    )
    parser.add_argument(
        "--soak",
        metavar="DURATION",
        help="after a pass, keep checking this long before it counts as promotable "
        "([deploy] soak; default none)",
    )
    parser.add_argument("--no-validate", action="store_true", help="skip the validation gates")
    parser.add_argument(
        "--history-file", metavar="FILE", help="append to this deployment-history JSONL"
    )
    parser.add_argument(
        "--json", action="store_true", help="one JSON object per transition (for CI)"
    )
    parser.set_defaults(run=run)


def _duration(value: str, flag: str, *, allow_zero: bool = False) -> float:
    if allow_zero and value.strip() in ("0", "0s", "0m"):
        return 0.0
    try:
        return parse_duration(value)
    except DurationError as exc:
        raise UsageError(f"{flag}: {exc}") from None


def options_from(args: argparse.Namespace, thresholds: Any, deploy: Any = None) -> WatchOptions:
    from umig_tui.config.model import DeploySettings
    from umig_tui.deploy.watch_state import WatchOptions

    deploy = deploy if deploy is not None else DeploySettings()
    if not args.expect.strip():
        raise UsageError("--expect needs a version")
    min_samples = getattr(args, "min_samples", None)
    if min_samples is None:
        min_samples = deploy.min_samples
    elif min_samples < 1:
        raise UsageError(f"--min-samples must be 1 or more (got {min_samples})")
    soak_text = getattr(args, "soak", None)
    soak = deploy.soak if soak_text is None else _duration(soak_text, "--soak", allow_zero=True)
    return WatchOptions(
        expected=args.expect.strip(),
        timeout=_duration(args.timeout, "--timeout"),
        monitor=_duration(args.monitor, "--monitor", allow_zero=True),
        interval=_duration(args.interval, "--interval"),
        validate=not args.no_validate,
        error_rate=thresholds.error_rate,
        degradation=thresholds.degradation,
        min_samples=min_samples,
        confidence=deploy.confidence,
        tolerance=deploy.tolerance,
        soak=soak,
    )


async def run(args: argparse.Namespace) -> int:
    from umig_tui.cli.common import load
    from umig_tui.cli.oneshot import session
    from umig_tui.config import ConfigError
    from umig_tui.deploy.watch_state import Stage
    from umig_tui.service.deploy_watch import prepare_watch, run_watch
    from umig_tui.service.history_writer import HistoryWriter

    config = load(args)
    try:
        config = config.select([args.watch_env])
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    options = options_from(args, config.thresholds, config.deploy)
    history_file = args.history_file or config.history_file
    async with session(args, config, restore=True) as monitor:
        monitor.start()  # a watch runs for minutes: record as it goes
        writer = HistoryWriter(monitor, Path(history_file)) if history_file else None
        watch, recorder = await prepare_watch(monitor, args.watch_env, options, now=time.time())
        show = _Display(json_lines=args.json)
        fetch = partial(monitor.fetch, args.watch_env)

        async def on_state(state: WatchState, transition: bool) -> None:
            await recorder.record(state, transition)
            show.update(state, transition)

        watching = asyncio.get_running_loop().create_task(
            run_watch(watch, fetch, clock=time.time, on_state=on_state)
        )
        stopped_by = _stop_on_signals(watching)
        try:
            try:
                final = await watching
            except asyncio.CancelledError:
                # Ctrl-C or SIGTERM: a closing record, so the history does not show this
                # watch in progress for ever.
                how = "Ctrl-C" if stopped_by.get("signal") == signal.SIGINT else "SIGTERM"
                final = watch.interrupt(time.time(), f"watch interrupted ({how})")
                await on_state(final, True)
        finally:
            show.close()
            if writer is not None:
                await writer.aclose()
    for problem in writer.problems if writer is not None else ():
        print(f"umig-tui: warning: {problem}", file=sys.stderr)
    if final.stage is Stage.INTERRUPTED:
        return 143 if stopped_by.get("signal") == signal.SIGTERM else EXIT_INTERRUPTED
    return EXIT_FOR.get(str(final.stage), EXIT_PROBLEM)


def _stop_on_signals(task: asyncio.Task[WatchState]) -> dict[str, int]:
    """SIGINT and SIGTERM cancel the watch (so it can close its record) instead of killing it."""
    caught: dict[str, int] = {}
    loop = asyncio.get_running_loop()

    def stop(sig: int) -> None:
        caught.setdefault("signal", sig)
        task.cancel()

    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop, sig)
    return caught


class _Display:
    """A live view on a terminal; otherwise one line (or JSON object) per transition, and
    per change of what the service reports while waiting."""

    def __init__(self, *, json_lines: bool) -> None:
        self.json_lines = json_lines
        self.live: Any = None
        self._last_message: str | None = None
        if not json_lines and sys.stdout.isatty():
            from rich.console import Console
            from rich.live import Live

            self.live = Live(console=Console(), refresh_per_second=4, transient=False)
            self.live.start()

    def update(self, state: WatchState, transition: bool) -> None:
        if self.live is not None:
            from umig_tui.cli.deploy_view import render_watch

            self.live.update(render_watch(state))
            return
        # While waiting, what the service says (its version, or no answer at all) is news even
        # without a new stage: a CI log must show that the service went away and came back.
        news = state.stage == "waiting" and state.message != self._last_message
        if not transition and not news:
            return
        self._last_message = state.message
        if self.json_lines:
            print(json.dumps({"ts": round(state.now, 3), **state.to_json()}), flush=True)
        else:
            print(line_for(state), flush=True)

    def close(self) -> None:
        if self.live is not None:
            self.live.stop()


def line_for(state: WatchState) -> str:
    from umig_tui.deploy.verdict_text import summary_lines
    from umig_tui.util.timefmt import stamp

    text = f"{stamp(state.now, seconds=True)} {state.env} {state.stage}: {state.message}"
    if state.gates and state.stage in ("validating", "monitoring", "failed"):
        text += " [" + ", ".join(f"{g.name} {g.status}" for g in state.gates) + "]"
    if state.stage.terminal:
        text += f" (after {format_duration(state.elapsed)})"
    if state.verdict_detail and (state.stage.terminal or state.stage == "soaking"):
        # The verdict for a CI log: what each metric rests on, so it can be read back later.
        said = state.verdict_reason in state.message
        lines = [f"  verdict {state.verdict}" + ("" if said else f": {state.verdict_reason}")]
        text += "\n" + "\n".join(lines + summary_lines(state.verdict_detail))
    return text
