"""Where the CPU of one request goes in a long run (a diagnostic, not a benchmark: run_all skips it).

Starts the demo fleet (``--envs`` environments, no latency, one port each), opens the same Monitor
the dashboard runs (clients, fleet state, a temporary store with its batched writer), polls every
signal once to connect and detect, then times ``--cycles`` more polls of every signal over the
kept-alive connections, as the dashboard's loops do: CPU per request (process time, the store's
writer thread included), then one cProfile of the same cycles: self time by package and the
functions with the most cumulative time.

    .venv/bin/python bench/profile_poll.py [--envs 50] [--cycles 20] [--top 25] [--cold]

``--cold`` closes every connection before each poll: the CPU of a one-shot ``status``'s poll.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import cProfile
import io
import pstats
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import BenchError, console_script, demo_fleet  # bench/ is not a package


def package_of(filename: str) -> str:
    if "umig_tui/" in filename:
        tail = filename.split("umig_tui/", 1)[1]
        return "umig_tui/" + tail.split("/", 1)[0] if "/" in tail else "umig_tui/" + tail
    if "site-packages/" in filename:
        return filename.split("site-packages/", 1)[1].split("/", 1)[0]
    if "asyncio" in filename:
        return "asyncio"
    if filename.startswith(("~", "<")):
        return "builtins"
    return "stdlib"


async def run(
    config_path: Path, store_path: Path, cycles: int, profile: bool, cold: bool = False
) -> tuple[float, int]:
    from umig_tui.config import load_config
    from umig_tui.service.runtime import open_monitor

    config = load_config(str(config_path), environ={})
    monitor = await open_monitor(config, store_path=store_path)
    monitor.start()
    try:
        await monitor.poll_once()  # connect + detect: not what a long run pays per request
        await monitor.poll_once()
        if monitor.store is not None:
            await monitor.store.flush()
        profiler = cProfile.Profile() if profile else None
        requests = 0
        cpu = 0.0
        for _ in range(cycles):
            if cold:  # a one-shot command's poll: every connection new (the profile known)
                for client in monitor.clients.values():
                    if client._direct is not None:
                        await client._direct.aclose()
                        client._direct._closed = False
            cpu0 = time.process_time()
            if profiler:
                profiler.enable()
            requests += len(await monitor.poll_once())
            if monitor.store is not None:
                await monitor.store.flush()
            if profiler:
                profiler.disable()
            cpu += time.process_time() - cpu0
        if profiler:
            show(profiler)
        return cpu, requests
    finally:
        await monitor.aclose()


def show(profiler: cProfile.Profile, top: int = 25) -> None:
    stats = pstats.Stats(profiler)
    by_package: collections.Counter[str] = collections.Counter()
    total = 0.0
    for (filename, _line, _name), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        by_package[package_of(filename)] += tottime
        total += tottime
    print("\nself time by package (under cProfile):")
    for name, seconds in by_package.most_common(15):
        print(f"  {seconds * 1000:9.1f} ms  {seconds / total:6.1%}  {name}")
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(TOP)
    print(out.getvalue())


TOP = 25


def main(argv: list[str] | None = None) -> int:
    global TOP
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--envs", type=int, default=50)
    parser.add_argument("--cycles", type=int, default=20)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--profile", default="us088")
    parser.add_argument(
        "--cold", action="store_true", help="every poll on new connections (as `status` polls)"
    )
    args = parser.parse_args(argv)
    TOP = args.top
    umig_tui = console_script("umig-tui")
    if umig_tui is None:
        raise BenchError("the umig-tui console script is not installed")
    with tempfile.TemporaryDirectory(prefix="umig-profile-poll-") as tmp:
        work = Path(tmp)
        with demo_fleet(
            umig_tui, envs=args.envs, latency="0ms", workdir=work,
            extra=["--profile", args.profile, "--probe-delay", "0"],
        ) as fleet:  # fmt: skip
            cpu, requests = asyncio.run(
                run(fleet.config, work / "s.db", args.cycles, False, args.cold)
            )
            print(
                f"{requests} requests in {args.cycles} cycles of {args.envs} environments: "
                f"{cpu * 1000 / requests:.3f} ms CPU per request (process time, no profiler)"
            )
            asyncio.run(run(fleet.config, work / "s2.db", args.cycles, True, args.cold))
    return 0


if __name__ == "__main__":
    sys.exit(main())
