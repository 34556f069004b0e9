"""`umig-tui status` against the demo fleet vs the seeds' sequential curl + jq loop (issue 2).

Starts ``umig-tui demo-server --port 0 --envs 50 --latency 100ms --port-per-env --scenario static
--write-config <tmp>``, then times the real console script end to end (spawn to exit, as a user
sees it): ``status --no-store``, ``status`` with a store, ``status --json``, the start-up floor
(``umig-tui --version``, ``python -c pass``) and bench/seed_status_loop.sh over the same fleet.
``status`` with a store is timed alternately with bench/bare_client.py sending the same requests
(a bare asyncio client: the floor any Python client pays on this machine against this fleet).
Then the same with a store against bench/fake_fleet.py: the demo fleet's answers captured once
and served from memory by another process, so the fleet's own CPU (the demo-server's ~1 ms a
request, on the same two CPUs) is not in the figure, as in issue 17's measurements.

    .venv/bin/python bench/bench_status.py [--runs 7] [--loop-runs 1] [--no-loop] [--strict]

Targets: issue 17: ≤ 0.40 s wall for 50 environments and ≤ 1.0 s for 300 (``--large-envs``),
``status`` with its store (the profile remembered, as on every run after the first) against
the fake fleet; issue 2: ≤ 0.8 s for 50 environments without a store (the profile detected on
every run: its candidates are asked in turn before the signals), ≥ 20× faster than the loop.
The same runs against the demo-server are reported beside them.
--strict exits 1 when a target is missed; otherwise the figures are only printed.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import (  # bench/ is not a package: found via sys.path above
    BENCH_DIR,
    BenchError,
    Row,
    Timing,
    at_least,
    at_most,
    bytecode_env,
    cli,
    console_script,
    demo_fleet,
    info,
    machine,
    machine_line,
    process_cpu,
    time_alternately,
    time_command,
    venv_python,
)

TARGET_WALL_S = 0.4  # issue 17, status with its store
TARGET_NO_STORE_WALL_S = 0.8  # issue 2: the profile detected on every run
TARGET_LARGE_WALL_S = 1.0  # issue 17: 300 environments
TARGET_SPEEDUP = 20.0
SEED_LOOP = BENCH_DIR / "seed_status_loop.sh"
BARE_CLIENT = BENCH_DIR / "bare_client.py"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="timed runs per status variant")
    parser.add_argument("--loop-runs", type=int, default=1, help="timed runs of the seed loop")
    parser.add_argument("--no-loop", action="store_true", help="skip the (slow) seed loop")
    parser.add_argument(
        "--loop-mode",
        choices=["full", "summary"],
        default="full",
        help="full: 4 requests/env like status (default); summary: the seed's "
        "generate_environment_summary exactly (3 requests/env)",
    )
    parser.add_argument("--envs", type=int, default=50)
    parser.add_argument(
        "--large-envs",
        type=int,
        default=300,
        help="a second, larger fleet timed with a store (0: skip)",
    )
    parser.add_argument("--latency", default="100ms", help="injected per request")
    parser.add_argument(
        "--bytecode",
        choices=["warm", "cold", "inherit"],
        default="warm",
        help="warm: .pyc cached as on a normal install (default); cold: never cached",
    )
    parser.add_argument(
        "--profile",
        default="us088",
        choices=["us088", "us088-scriptrunner", "umig-admin-v2"],
        help="what the demo fleet speaks; status finds it on first contact (auto)",
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    # run_all.py passes the same ARGS to every benchmark: ignore the ones meant for others
    args, _unknown = parser.parse_known_args(argv)
    return args


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def check_status_output(timing: Timing, envs: int, *, as_json: bool) -> None:
    """A run that measured the wrong thing is worse than none: check what status printed."""
    if any(code != 0 for code in timing.returncodes):
        # The static fleet is all healthy: exit 1 means failed requests, timed as if they were
        # polls (a dead demo server makes status fast). Such a figure must not be reported.
        raise BenchError(
            "status exited 1 (not every environment healthy) against the static demo fleet:\n"
            + timing.last_stdout[-1500:]
        )
    if as_json:
        try:
            document = json.loads(timing.last_stdout)
            count = len(document["environments"])
        except (ValueError, KeyError, TypeError) as exc:
            raise BenchError(f"status --json printed no usable JSON: {exc}") from None
    else:
        first = timing.last_stdout.splitlines()[0] if timing.last_stdout else ""
        count = int(first.split(":")[1].split()[0]) if first.startswith("fleet:") else -1
    if count != envs:
        raise BenchError(f"status reported {count} environments, expected {envs}")


def loop_skip_reason() -> str | None:
    missing = [tool for tool in ("bash", "curl", "jq") if shutil.which(tool) is None]
    if missing:
        return f"skipped: {' and '.join(missing)} not installed"
    return None


def write_bare_requests(config: Path, profile: str, out: Path) -> int:
    """Every request ``status`` sends to the fleet in ``config`` (the profile's paths, fallbacks
    left out), one ``host port target`` line each, for bench/bare_client.py."""
    from urllib.parse import urlsplit

    from umig_tui.models import MONITORED_ENDPOINTS
    from umig_tui.service.setup import load_fleet
    from umig_tui.sources.profiles.admin_v2 import ADMIN_V2
    from umig_tui.sources.profiles.us088 import US088_FLAT, US088_SLASH

    speaks = {"us088": US088_SLASH, "us088-scriptrunner": US088_FLAT, "umig-admin-v2": ADMIN_V2}
    lines = []
    for env in load_fleet(str(config)).environments:
        for signal in MONITORED_ENDPOINTS:
            for request in speaks[profile].requests(signal):
                if request.fallback:
                    continue
                url = urlsplit(env.endpoint_url(request.path))
                target = url.path + (f"?{url.query}" if url.query else "")
                lines.append(f"{url.hostname} {url.port} {target}\n")
    out.write_text("".join(lines), encoding="utf-8")
    return len(lines)


def with_floor(
    status: list[str | Path],
    fleet_config: Path,
    args: argparse.Namespace,
    work: Path,
    env: dict[str, str],
    warmup: int,
) -> tuple[Timing, Timing, int]:
    """``status`` and the bare client over the same requests, timed alternately."""
    requests = work / f"bare-{fleet_config.parent.name}.txt"
    count = write_bare_requests(fleet_config, args.profile, requests)
    timings = time_alternately(
        {"status": status, "floor": [venv_python(), BARE_CLIENT, requests]},
        runs=args.runs,
        warmup=warmup,
        env=env,
        ok_codes=(0, 1),
    )
    floor = timings["floor"]
    if any(code != 0 for code in floor.returncodes):
        raise BenchError(f"the bare client failed: {floor.last_stderr.strip()[-1500:]}")
    return timings["status"], floor, count


def floor_row(floor: Timing, count: int) -> Row:
    return info(
        f"floor: a bare asyncio client, the same {count} requests",
        floor.median,
        "s",
        f"{floor.spread()}; bench/bare_client.py: a new connection per request, all at once, "
        "raw bytes read, nothing parsed, stored or printed; timed alternately with the row above",
    )


def large_fleet(
    umig_tui: Path, args: argparse.Namespace, work: Path, env: dict[str, str]
) -> list[Row]:
    """``status`` of ``--large-envs`` environments with a store (the profile found by the
    warm-up run is remembered, as on every run after the first)."""
    if args.large_envs <= 0:
        return []
    label = f"{args.large_envs} envs × 4 signals, {args.latency} latency, {args.profile}"
    say(f"starting demo-server: {label} ...")
    (work / "large").mkdir()
    with demo_fleet(
        umig_tui,
        envs=args.large_envs,
        latency=args.latency,
        workdir=work / "large",
        extra=["--profile", args.profile, "--probe-delay", "0"],
    ) as fleet:
        store = work / "large" / "samples.db"
        cmd = ["status", "--config", str(fleet.config), "--store", str(store)]
        say(f"timing umig-tui status with store, {args.large_envs} envs × {args.runs} ...")
        before = process_cpu(fleet.process.pid)
        timing, floor, count = with_floor([umig_tui, *cmd], fleet.config, args, work, env, 1)
        after = process_cpu(fleet.process.pid)
        check_status_output(timing, args.large_envs, as_json=False)
        say(f"  {timing.spread()}")
        rows = [
            info(
                f"status with store: wall, {label}, demo-server",
                timing.median,
                "s",
                timing.spread(),
            ),
            info(
                f"status with store, {args.large_envs} envs: CPU user+sys", timing.cpu_median, "s"
            ),
            floor_row(floor, count),
        ]
        if before is not None and after is not None:
            rows.append(
                info(
                    f"demo server: CPU per status run of {args.large_envs} envs and its floor "
                    "run (same machine)",
                    (after - before) / (args.runs + 1),
                    "s",
                    "competes with status for the two CPUs",
                )
            )
        return rows


def against_fake_fleet(
    umig_tui: Path, args: argparse.Namespace, work: Path, env: dict[str, str]
) -> list[Row]:
    """``status`` with a store against bench/fake_fleet.py (the demo fleet's answers served
    from memory by another process): what status costs by itself, as issue 17 measured it,
    without the demo-server's ~0.2 s of CPU per 200 requests on the same two CPUs."""
    from fake_fleet import fake_fleet

    latency = parse_latency(args.latency)
    rows: list[Row] = []
    for envs, target in ((args.envs, TARGET_WALL_S), (args.large_envs, TARGET_LARGE_WALL_S)):
        if envs <= 0:
            continue
        label = f"{envs} envs × 4 signals, {args.latency} latency, {args.profile}, fake fleet"
        say(f"capturing the demo fleet's answers and serving them: {label} ...")
        with fake_fleet(
            umig_tui, envs=envs, latency=latency, profile=args.profile, workdir=work / f"fake{envs}"
        ) as (process, config):
            store = work / f"fake{envs}" / "samples.db"
            cmd = ["status", "--config", str(config), "--store", str(store)]
            say(f"timing umig-tui status with store against the fake fleet, {envs} envs ...")
            before = process_cpu(process.pid)
            timing, floor, count = with_floor([umig_tui, *cmd], config, args, work, env, 1)
            after = process_cpu(process.pid)
            check_status_output(timing, envs, as_json=False)
            say(f"  {timing.spread()}")
            rows.append(
                at_most(
                    f"status with store: wall, {label}", target, timing.median, "s", timing.spread()
                )
            )
            rows.append(
                info(
                    f"status with store, {envs} envs, fake fleet: CPU user+sys",
                    timing.cpu_median,
                    "s",
                )
            )
            rows.append(floor_row(floor, count))
            if before is not None and after is not None:
                rows.append(
                    info(
                        f"fake fleet: CPU per status run of {envs} envs and its floor run",
                        (after - before) / (args.runs + 1),
                        "s",
                        "what the demo-server's answers cost when built once",
                    )
                )
            if envs == args.large_envs:
                rows.append(with_history(umig_tui, args, config, work / f"fake{envs}", env))
    return rows


HISTORY_MINUTES = 20  # of 5-s cycles already in the store for the row below


def with_history(
    umig_tui: Path, args: argparse.Namespace, config: Path, work: Path, env: dict[str, str]
) -> Row:
    """``status`` with a store that already holds HISTORY_MINUTES of the fleet's 5-s cycles
    (written as the dashboard writes them): each sample's rows then land on pages of their
    own series, where a fresh store packs every series onto a few pages."""
    import asyncio

    from msgspec.structs import replace

    from umig_tui.config import load_config
    from umig_tui.service.runtime import open_monitor
    from umig_tui.store.store import Store

    history = work / "history.db"

    async def fill() -> None:
        monitor = await open_monitor(load_config(str(config), environ={}), use_store=False)
        try:
            cycle = await monitor.poll_once()
        finally:
            await monitor.aclose()
        store = await Store.open(history, monitor.config.store)
        try:
            end = time.time() - 60
            for index in range(HISTORY_MINUTES * 12):
                ts = end - HISTORY_MINUTES * 60 + 5 * index
                await store.write([replace(r, ts=ts + r.ts % 1) for r in cycle], hold=True)
        finally:
            await store.close()

    say(f"writing {HISTORY_MINUTES} minutes of the fleet's history into a store ...")
    asyncio.run(fill())
    # Timed in place: a copy's pages would still be dirty in the page cache, and the first
    # checkpoint's fsync would write them all back (0.5 s at 300 envs), which no real store pays.
    cmd = [umig_tui, "status", "--config", str(config), "--store", str(history)]
    say(f"timing umig-tui status with that store × {args.runs} ...")
    timing = time_command(cmd, runs=args.runs, warmup=1, env=env, ok_codes=(0, 1))
    check_status_output(timing, args.large_envs, as_json=False)
    say(f"  {timing.spread()}")
    return info(
        f"status with a store holding {HISTORY_MINUTES} min of history: wall, "
        f"{args.large_envs} envs, fake fleet",
        timing.median,
        "s",
        f"{timing.spread()}; not issue 17's figure (its store starts empty): each run's samples "
        "land on their series' own pages in three tables",
    )


def parse_latency(text: str) -> float:
    from umig_tui.util.durations import parse_duration

    return parse_duration(text)


def main(argv: list[str] | None = None) -> list[Row]:
    args = parse_args(argv)
    umig_tui = console_script("umig-tui")
    if umig_tui is None:
        raise BenchError("the umig-tui console script is not installed (make test installs it)")
    python = venv_python()
    host = machine(str(python))
    say(f"machine: {machine_line(host)}")
    rows: list[Row] = []
    label = f"{args.envs} envs × 4 signals, {args.latency} latency, {args.profile}"
    with tempfile.TemporaryDirectory(prefix="umig-bench-status-") as tmp:
        work = Path(tmp)
        env = bytecode_env(args.bytecode, work / "pycache")
        warmup = 1  # the first run fills the bytecode cache (warm) and the OS file cache
        say(f"starting demo-server: {label} ...")
        with demo_fleet(
            umig_tui,
            envs=args.envs,
            latency=args.latency,
            workdir=work,
            # The shipped API's metrics are timed teams/users requests: no simulated app time on
            # top of the latency, so the figure is the monitor's own.
            extra=["--profile", args.profile, "--probe-delay", "0"],
        ) as fleet:
            config = str(fleet.config)
            store = work / "samples.db"
            variants = [
                # No store: the profile is detected on every run (one round of probes first).
                ("status --no-store (table)", ["status", "--config", config, "--no-store"], False),
                ("status with store (temp --store)", ["status", "--config", config, "--store", str(store)], False),
                ("status --json --no-store", ["status", "--config", config, "--no-store", "--json"], True),
            ]  # fmt: skip
            timings: dict[str, Timing] = {}
            server_cpu: float | None = None
            for name, cmd, as_json in variants:
                say(f"timing umig-tui {name} × {args.runs} ...")
                before = process_cpu(fleet.process.pid)
                floor = None
                if "--store" in cmd:  # the figure issue 17 names: its floor beside it
                    timing, floor, count = with_floor(
                        [umig_tui, *cmd], fleet.config, args, work, env, warmup
                    )
                else:
                    timing = time_command(
                        [umig_tui, *cmd], runs=args.runs, warmup=warmup, env=env, ok_codes=(0, 1)
                    )
                after = process_cpu(fleet.process.pid)
                if server_cpu is None and before is not None and after is not None:
                    server_cpu = (after - before) / (args.runs + warmup)
                timings[name] = timing
                check_status_output(timing, args.envs, as_json=as_json)
                if fleet.process.poll() is not None:
                    raise BenchError("the demo server died during the measurement")
                say(f"  {timing.spread()}")
                if "--store" in cmd:  # issue 17's figure is the fake fleet's (below)
                    rows.append(
                        info(
                            f"{name}: wall, {label}, demo-server",
                            timing.median,
                            "s",
                            timing.spread(),
                        )
                    )
                else:
                    rows.append(
                        at_most(
                            f"{name}: wall, {label}",
                            TARGET_NO_STORE_WALL_S,
                            timing.median,
                            "s",
                            timing.spread(),
                        )
                    )
                if floor is not None:
                    rows.append(floor_row(floor, count))
            primary = timings[variants[0][0]]
            rows.append(info("status --no-store: CPU user+sys", primary.cpu_median, "s"))
            if server_cpu is not None:
                rows.append(
                    info(
                        "demo server: CPU per status run (same machine)",
                        server_cpu,
                        "s",
                        "competes with status for the CPUs",
                    )
                )

            say("timing the start-up floor ...")
            version = time_command([umig_tui, "--version"], runs=args.runs, warmup=warmup, env=env)
            rows.append(
                info(
                    "start-up floor: umig-tui --version (interpreter + CLI imports)",
                    version.median,
                    "s",
                    version.spread(),
                )
            )
            bare = time_command([python, "-c", "pass"], runs=args.runs, warmup=warmup, env=env)
            rows.append(info("interpreter alone: python -c pass", bare.median, "s", bare.spread()))

            rows += large_fleet(umig_tui, args, work, env)

            skip = "skipped: --no-loop" if args.no_loop else loop_skip_reason()
            if skip:
                say(f"seed loop {skip}")
                rows.append(info("seed loop (bash + curl + jq, sequential): wall", skip, ""))
                rows.append(Row("speed-up vs the seed loop", f"≥ {TARGET_SPEEDUP:.0f}", skip, "×"))
            else:
                per_env = 4 if args.loop_mode == "full" else 3
                say(f"timing the seed loop × {args.loop_runs} ({per_env} requests/env) ...")
                loop = time_command(
                    ["bash", SEED_LOOP, "--config", config],
                    runs=args.loop_runs,
                    env={**env, "SEED_LOOP_MODE": args.loop_mode},
                    timeout=600,
                )
                lines = loop.last_stdout.strip().splitlines()
                healthy = [line for line in lines if "| healthy" in line]
                if len(lines) != args.envs or len(healthy) != args.envs:
                    raise BenchError(
                        f"the seed loop printed {len(lines)} lines, {len(healthy)} healthy, "
                        f"expected {args.envs}:\n" + "\n".join(lines[-5:])
                    )
                say(f"  {loop.spread()}")
                rows.append(
                    info(
                        f"seed loop (bash + curl + jq, sequential, {per_env} requests/env): wall",
                        loop.median,
                        "s",
                        loop.spread(),
                    )
                )
                for name, _cmd, _json in variants[:2]:
                    rows.append(
                        at_least(
                            f"speed-up vs the seed loop: {name}",
                            TARGET_SPEEDUP,
                            loop.median / timings[name].median,
                            "×",
                            f"{loop.median:.2f} s / {timings[name].median:.3f} s (medians)",
                        )
                    )
        rows += against_fake_fleet(umig_tui, args, work, env)
    return rows


if __name__ == "__main__":
    sys.exit(cli("bench_status", main))
