"""Every fault at once, each on its own environment, three healthy environments beside them.

One live Monitor polls the whole fleet continuously (``run_env`` per environment, 0.2 s
intervals, a 1 s timeout, the store recording) against the demo-server over loopback. The
server runs in its own process, so what is measured here (event-loop stalls, RSS) is the
monitor's alone. The breaker and the backoff are kept out of the way: every faulty environment
stays hostile at the full polling rate for the whole run.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import itertools
import json
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import pytest

from tests.conftest import UMIG_TUI, cli_env, write_config
from tests.integration.conftest import (
    CONTROL_CHARS,
    FAST_POLLING,
    assert_clean_line,
    strings_in,
)
from tests.integration.test_fetch_errors import REASON_HINTS
from umig_tui.config import Config, Environment, Polling, StoreSettings
from umig_tui.demo.faults import FAULTS
from umig_tui.demo.fleet import demo_fleet
from umig_tui.models import MONITORED_ENDPOINTS, Endpoint, EnvStatus
from umig_tui.service.monitor import Change, Monitor
from umig_tui.service.runtime import build_clients
from umig_tui.state.fleet import EnvView
from umig_tui.store.store import Store

INTERVAL = 0.2
SLOW_INTERVAL = 1.0  # version and components: slower in real life too (5 min, 1 min)
INTERVALS = {
    Endpoint.HEALTH: INTERVAL,
    Endpoint.METRICS: INTERVAL,
    Endpoint.VERSION: SLOW_INTERVAL,
    Endpoint.COMPONENTS: SLOW_INTERVAL,
}
TIMEOUT = 1.0
WARM_UP = 1.5  # first connections, first store batch, first huge bodies
MEASURE = 9.0
MAX_STALL = 0.100
TICK = 0.010
MIB = 1 << 20

NAMES = [name for name, _ in demo_fleet(3 + len(FAULTS))]
HEALTHY = NAMES[:3]
FAULTY: dict[str, str] = dict(zip(FAULTS, NAMES[3:], strict=True))  # fault → environment
# The version document's fields are all optional: wrongly typed ones read as unknown (a
# tolerant parse, DESIGN "Fetch results"), so that endpoint answers; the health endpoint,
# which classifies the environment, does not.
TOLERATED = {("wrong_types", Endpoint.VERSION)}
MARKUP = "[bold red]PWNED[/bold red]"
LINK = "[link=http://evil]x[/link]"

# The demo-server in its own process: a Simulator with every fault injected (and, for the soak,
# a script flapping faults and versions), on one port per environment. It prints its URLs as
# one JSON line and serves until its stdin closes.
SERVER_SCRIPT = r"""
import asyncio, json, random, sys
from umig_tui.demo.server import DemoServer
from umig_tui.demo.simulator import Simulator

async def flap(sim, spec):
    rng = random.Random(spec["seed"])
    names, faults = spec["envs_flapping"], spec["faults_flapping"]
    versions = ["1.2.0", "1.2.1", "1.3.0-rc.1"]
    tick = 0
    while True:
        await asyncio.sleep(spec["flap_every"])
        tick += 1
        env = names[tick % len(names)]
        if sim.envs[env].faults:
            sim.set_fault(env, None)
        else:
            sim.set_fault(env, rng.choice(faults), rng.choice([None, "health", "metrics"]))
        if tick % spec["deploy_every"] == 0:
            target = rng.choice(names)
            sim.deploy(target, rng.choice(versions), by="soak")
        if tick % spec["rollback_every"] == 0:
            target = rng.choice(names)
            sim.deploy(target, "1.1.2", by="soak-rollback")

async def main():
    spec = json.loads(sys.argv[1])
    sim = Simulator(spec["envs"], scenario="static", timeout_hint=spec["timeout_hint"])
    for env, fault in spec.get("faults", {}).items():
        sim.set_fault(env, fault)
    server = DemoServer(sim, port_per_env=True)
    await server.start()
    print(json.dumps({"control": server.base_url, "urls": server.env_urls()}), flush=True)
    task = asyncio.create_task(flap(sim, spec)) if spec.get("envs_flapping") else None
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    if task is not None:
        task.cancel()
    await server.stop()

asyncio.run(main())
"""


@dataclass
class ServerProcess:
    process: subprocess.Popen[str]
    control: str
    urls: dict[str, str]


@contextlib.contextmanager
def server_process(spec: dict[str, Any]) -> Iterator[ServerProcess]:
    """The demo-server of ``spec`` in a child process; stopped (stdin closed) afterwards."""
    process = subprocess.Popen(
        [sys.executable, "-c", SERVER_SCRIPT, json.dumps(spec)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=cli_env(),
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line, "the demo-server process did not start"
        started = json.loads(line)
        yield ServerProcess(process, started["control"], started["urls"])
    finally:
        if process.stdin is not None:
            process.stdin.close()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        if process.stdout is not None:
            process.stdout.close()


def fleet_config(urls: dict[str, str], polling: Polling, store: StoreSettings) -> Config:
    tiers = dict(demo_fleet(len(urls)))
    envs = tuple(Environment(name, url, tiers[name]) for name, url in urls.items())
    return Config(environments=envs, polling=polling, store=store)


class StallMeter:
    """A task that sleeps 10 ms in a loop and records how late each wake-up was.

    A wake-up is late either because the loop was busy (a stall: what this measures) or because
    the OS ran another process (CI machines are shared). ``stall`` keeps the part of the
    lateness this process spent on the CPU: the whole of it when the loop was busy, next to
    nothing when the process was merely waiting for a CPU. Its own other threads (the store's
    SQLite thread) count too, so it errs on the side of reporting a stall.
    """

    def __init__(self, *, keep_ticks: bool = True) -> None:
        # Every tick (monotonic time, late, stall), 100 a second: a long run keeps only the worst
        # (ticks kept for ten minutes would be 8 MB of the RSS being measured).
        self.ticks: list[tuple[float, float, float]] = []
        self.keep_ticks = keep_ticks
        self.measure_from = 0.0  # monotonic; the maxima below count ticks from then on
        self.worst_late = 0.0
        self.worst_stall = 0.0

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            before, cpu = loop.time(), time.process_time()
            await asyncio.sleep(TICK)
            now = loop.time()
            late = now - before - TICK
            stall = min(late, time.process_time() - cpu)
            if self.keep_ticks:
                self.ticks.append((now, late, stall))
            if now >= self.measure_from:
                self.worst_late = max(self.worst_late, late)
                self.worst_stall = max(self.worst_stall, stall)

    def worst(self, since: float = 0.0, *, wall: bool = False) -> float:
        return max((t[1 if wall else 2] for t in self.ticks if t[0] >= since), default=0.0)


class RssMeter:
    """RSS of this process, sampled every 100 ms."""

    def __init__(self) -> None:
        self.samples: list[tuple[float, int]] = []
        self._process = psutil.Process()

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            self.samples.append((loop.time(), self._process.memory_info().rss))
            await asyncio.sleep(0.1)

    def peak(self, start: float, end: float) -> int:
        return max(rss for at, rss in self.samples if start <= at < end)


@dataclass
class FleetRun:
    """What the live run saw, kept compact (no documents: they would weigh on the RSS)."""

    started: float = 0.0
    ended: float = 0.0
    polls: dict[tuple[str, Endpoint], list[tuple[float, float]]] = field(
        default_factory=lambda: defaultdict(list)
    )  # (env, endpoint) → [(monotonic start, latency s)]
    kinds: dict[tuple[str, Endpoint], list[str | None]] = field(
        default_factory=lambda: defaultdict(list)
    )
    views: dict[str, EnvView] = field(default_factory=dict)
    stalls: StallMeter = field(default_factory=StallMeter)
    rss: RssMeter = field(default_factory=RssMeter)
    store_notice: str | None = None

    def listen(self, change: Change) -> None:
        result = change.result
        if result is None:
            return
        latency = (result.latency_ms or 0.0) / 1000
        key = (result.env, result.endpoint)
        self.polls[key].append((time.monotonic() - latency, latency))
        self.kinds[key].append(str(result.error.kind) if result.error else None)


async def run_fleet(urls: dict[str, str], db: Path) -> FleetRun:
    polling = Polling(
        health=INTERVALS[Endpoint.HEALTH],
        version=INTERVALS[Endpoint.VERSION],
        components=INTERVALS[Endpoint.COMPONENTS],
        metrics=INTERVALS[Endpoint.METRICS],
        timeout=TIMEOUT,
        circuit_failures=1_000_000,  # no breaker: faults stay in the line of fire
        max_backoff=INTERVAL,  # no backoff either
    )
    config = fleet_config(urls, polling, StoreSettings(path=db))
    clients = build_clients(config, {})
    store = await Store.open(db, config.store)
    monitor = Monitor(config, clients, store=store)
    run = FleetRun()
    monitor.subscribe(run.listen)
    loop = asyncio.get_running_loop()
    meters = [loop.create_task(run.stalls.run()), loop.create_task(run.rss.run())]
    store.start()
    loops = [loop.create_task(monitor.poll_loop(name)) for name in urls]
    try:
        run.started = time.monotonic() + WARM_UP
        run.ended = run.started + MEASURE
        await asyncio.sleep(WARM_UP + MEASURE)
        run.views = {view.name: view for view in monitor.fleet.views()}
        run.store_notice = monitor.store_notice
    finally:
        for task in [*loops, *meters]:
            task.cancel()
        await asyncio.gather(*loops, *meters, return_exceptions=True)
        await monitor.aclose()
    return run


@pytest.fixture(scope="module")
def hostile_server() -> Iterator[ServerProcess]:
    spec = {
        "envs": len(NAMES),
        "timeout_hint": TIMEOUT,
        "faults": {env: fault for fault, env in FAULTY.items()},
    }
    with server_process(spec) as server:
        yield server


@pytest.fixture(scope="module")
def fleet_run(hostile_server: ServerProcess, tmp_path_factory: pytest.TempPathFactory) -> FleetRun:
    db = tmp_path_factory.mktemp("hostile") / "samples.db"
    # The test runner's own heap (every collected test module, Textual, …) is not the monitor's:
    # frozen, a full collection walks only what the run allocates.
    gc.collect()
    gc.freeze()
    try:
        run = asyncio.run(run_fleet(hostile_server.urls, db))
    finally:
        gc.unfreeze()
    late = sorted(t[1] for t in run.stalls.ticks if t[0] >= run.started)
    print(
        f"\nhostile fleet: {len(NAMES)} environments, {MEASURE:g}s measured; event loop late "
        f"p50 {late[len(late) // 2] * 1000:.1f}ms, p99 {late[len(late) * 99 // 100] * 1000:.1f}ms, "
        f"max {late[-1] * 1000:.1f}ms (busy {run.stalls.worst(run.started) * 1000:.1f}ms; "
        f"warm-up max {run.stalls.worst(wall=True) * 1000:.1f}ms, "
        f"busy {run.stalls.worst() * 1000:.1f}ms); RSS {run.rss.samples[-1][1] / MIB:.0f} MiB"
    )
    return run


# --- (a) classified, with a clear reason ---------------------------------------------------


def test_every_fault_has_its_own_environment() -> None:
    assert set(FAULTY) == set(FAULTS)
    assert len(set(FAULTY.values())) == len(FAULTS)
    assert not set(HEALTHY) & set(FAULTY.values())


@pytest.mark.parametrize("fault", list(FAULTS))
def test_faulty_environment_is_classified_with_a_clear_reason(
    fault: str, fleet_run: FleetRun
) -> None:
    env = FAULTY[fault]
    view = fleet_run.views[env]
    expected = FAULTS[fault]
    assert_clean_line(view.reason)
    if expected is None:  # hostile: parsed; the markup stays text, the escapes are gone
        assert view.status is EnvStatus.HEALTHY, view.reason
        assert view.version is not None
        assert MARKUP in view.version
        assert LINK in view.version
        assert not [s for s in strings_in(view.to_json()) if CONTROL_CHARS.search(s)]
        for endpoint in MONITORED_ENDPOINTS:
            assert set(fleet_run.kinds[(env, endpoint)]) == {None}, endpoint
        return
    assert view.status is EnvStatus.UNREACHABLE, view.reason
    assert view.error is not None
    assert view.error.kind is expected
    assert_clean_line(view.error.reason)
    assert REASON_HINTS[fault][0] in view.error.reason
    assert view.reason == f"{expected}: {view.error.reason}"
    # Every endpoint, every poll of the run, the same kind: no flapping classification.
    for endpoint in MONITORED_ENDPOINTS:
        kinds = fleet_run.kinds[(env, endpoint)]
        assert kinds, f"{endpoint} of {env} was never polled"
        wanted = None if (fault, endpoint) in TOLERATED else str(expected)
        assert set(kinds) == {wanted}, (endpoint, set(kinds))
    for endpoint, error in view.endpoint_errors.items():
        assert error.kind is expected, endpoint
        assert_clean_line(error.reason)


# --- (b) the healthy environments stay on schedule -----------------------------------------


def test_no_event_loop_stall_over_100ms(fleet_run: FleetRun) -> None:
    worst = fleet_run.stalls.worst(since=fleet_run.started)
    late = fleet_run.stalls.worst(since=fleet_run.started, wall=True)
    assert worst < MAX_STALL, f"the event loop was busy {worst * 1000:.0f}ms in one go"
    assert late < 3 * MAX_STALL, f"a 10 ms tick came {late * 1000:.0f}ms late"


def test_healthy_environments_get_every_poll_on_time(fleet_run: FleetRun) -> None:
    window = fleet_run.ended - fleet_run.started
    for env in HEALTHY:
        assert fleet_run.views[env].status is EnvStatus.HEALTHY, fleet_run.views[env].reason
        for endpoint in MONITORED_ENDPOINTS:
            key = (env, endpoint)
            interval = INTERVALS[endpoint]
            assert set(fleet_run.kinds[key]) == {None}, key
            polls = [p for p in fleet_run.polls[key] if fleet_run.started <= p[0] < fleet_run.ended]
            # Due ``interval`` after the previous answer: one cycle is the interval plus the
            # answer's latency (which includes any wait for the loop), and a few loop hops.
            cycle = interval + statistics.mean(latency for _, latency in polls)
            expected = window / cycle
            assert 0.85 * expected - 1 <= len(polls) <= window / interval + 1, (
                key,
                len(polls),
                round(expected, 1),
            )
            starts = [at for at, _ in polls]
            gaps = [b - a for a, b in itertools.pairwise(starts)]
            assert max(gaps) < 2 * interval + MAX_STALL, (key, max(gaps))  # no turn skipped


# --- (d) memory stays bounded --------------------------------------------------------------


def test_huge_bodies_do_not_make_memory_grow(fleet_run: FleetRun) -> None:
    env = FAULTY["huge"]
    cycles = sum(len(fleet_run.kinds[(env, e)]) for e in MONITORED_ENDPOINTS)
    assert cycles >= 60, cycles  # each a 3 MiB body, read to the 2 MiB cap and dropped
    start, end = fleet_run.started, fleet_run.ended
    half = (end - start) / 2
    first = fleet_run.rss.peak(start, start + half)
    second = fleet_run.rss.peak(start + half, end)
    print(f"\nRSS peak {first / MIB:.1f} MiB then {second / MIB:.1f} MiB over {cycles} cycles")
    assert second - first < 16 * MIB, (first / MIB, second / MIB)


# --- (c) nothing garbled in what people read -----------------------------------------------

COMMANDS: dict[str, tuple[str, ...]] = {
    "status-json": ("status", "--json"),
    "status-table": ("status",),
    "export-prometheus": ("export", "prometheus"),
    "snapshot": ("snapshot",),
    "report": ("report",),
}


@pytest.fixture(scope="module")
def outputs(
    hostile_server: ServerProcess, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, subprocess.CompletedProcess[str]]:
    """Every command against the hostile fleet, one after the other (each waits out the 1 s
    timeout; at once they would overload the one demo-server process and turn faults into
    timeouts)."""
    base = tmp_path_factory.mktemp("outputs")
    config = write_config(base / "umig-tui.toml", hostile_server.urls, FAST_POLLING)
    env = cli_env(XDG_STATE_HOME=str(base / "state"), XDG_CONFIG_HOME=str(base / "config"))
    done = {}
    for name, args in COMMANDS.items():
        store = base / f"{name}.db"
        done[name] = subprocess.run(
            [*UMIG_TUI, *args, "--config", str(config), "--store", str(store)],
            capture_output=True,
            text=True,
            env=env,
            cwd=base,
            timeout=60,
            check=False,
        )
    return done


@pytest.mark.parametrize("command", list(COMMANDS))
def test_outputs_carry_no_control_characters(
    command: str, outputs: dict[str, subprocess.CompletedProcess[str]]
) -> None:
    proc = outputs[command]
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr
    assert proc.returncode == (1 if command.startswith("status") else 0), proc.stderr
    assert proc.stdout
    for line in (proc.stdout + proc.stderr).splitlines():
        assert not CONTROL_CHARS.search(line), repr(line)
    assert "\x1b" not in proc.stdout + proc.stderr
    if command == "status-json":  # JSON escapes controls: look at the decoded strings too
        document = json.loads(proc.stdout)
        bad = [s for s in strings_in(document) if CONTROL_CHARS.search(s)]
        assert not bad, bad[:3]


@pytest.mark.parametrize("command", list(COMMANDS))
def test_markup_from_the_wire_stays_literal_text(
    command: str, outputs: dict[str, subprocess.CompletedProcess[str]]
) -> None:
    stdout = outputs[command].stdout
    if command == "status-json":
        hostile = next(
            e for e in json.loads(stdout)["environments"] if e["name"] == FAULTY["hostile"]
        )
        assert MARKUP in hostile["version"]
        assert LINK in hostile["version"]
        assert "owned-title" not in hostile["version"]  # the OSC title sequence went whole
    else:
        assert MARKUP in stdout
    assert "owned-title" not in stdout


def test_every_fault_is_named_in_the_status_table(
    outputs: dict[str, subprocess.CompletedProcess[str]],
) -> None:
    rows = {line.split()[0]: line for line in outputs["status-table"].stdout.splitlines()[2:]}
    for fault, env in FAULTY.items():
        expected = FAULTS[fault]
        if expected is None:
            assert " healthy " in rows[env]
        else:
            assert " unreachable " in rows[env], rows[env]
            assert f"{expected}: " in rows[env], rows[env]
