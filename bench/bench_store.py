"""The SQLite store at 90 days × 4 environments (issue 5): size on disk, history queries, alerts.

Builds what retention leaves after 90 days of polling four environments as the seeds configure
it (health and metrics every 30 s, components every minute, version every 5 minutes; the series
are the ones ``samples_from_result`` makes of the demo's documents): raw samples for the last
7 days, minute rollups for 14 days, hour rollups for 90 days. Rows go in with executemany
hour by hour in time order, every series of every environment per batch, as the live store
receives them (one batch per 30-second cycle gives the same bytes per row: checked). Rollups
are computed from the samples (the last 14 days) or from the same value tables with the counts
the schedule gives (older hours).

Then, median over ``--runs`` timed runs after one warm-up, through the real code paths:
``series_points`` for 24 h at 1-minute buckets and 90 d at 1-hour buckets, ``window_stats``
for 24 h and 7 d (raw samples), ``env_trends`` and ``env_slo`` for one environment, and
``AlertEngine.evaluate`` over 50 prepared environments.

    .venv/bin/python bench/bench_store.py [--runs 25] [--days 90] [--envs 4] [--keep DIR]

Targets (issue 5, Performance): ≤ 200 MB on disk; 24 h at 1-minute buckets ≤ 20 ms; 90 d at
1-hour buckets ≤ 50 ms; alert evaluation for 50 environments ≤ 5 ms per cycle.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from msgspec.structs import replace

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import (  # bench/ is not a package: found via sys.path above
    ROOT,
    BenchError,
    Row,
    at_most,
    cli,
    info,
    machine,
    machine_line,
)

sys.path.insert(0, str(ROOT))

from umig_tui.config import Config, StoreSettings, Thresholds
from umig_tui.demo.fleet import demo_config
from umig_tui.metrics import RESPONSE_TIME
from umig_tui.models import Endpoint, PollResult, Severity
from umig_tui.service.monitor import Monitor
from umig_tui.service.runtime import build_clients
from umig_tui.sources.profiles.us088 import US088_SLASH
from umig_tui.store.connect import statements
from umig_tui.store.samples import samples_from_result
from umig_tui.store.schema import MIGRATIONS
from umig_tui.store.store import Store

TARGET_SIZE_MB = 200.0
TARGET_24H_MS = 20.0
TARGET_90D_MS = 50.0
TARGET_ALERTS_MS = 5.0
MINUTE, HOUR, DAY = 60, 3600, 86400
# endpoint → (interval s, offset ms after the cycle starts): what the poller does by default
SCHEDULE = {
    Endpoint.HEALTH: (30, 0),
    Endpoint.METRICS: (30, 180),
    Endpoint.COMPONENTS: (60, 360),
    Endpoint.VERSION: (300, 540),
}
ENV_NAMES = ("development", "uat", "production", "hotfix")


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=25, help="timed runs per query")
    parser.add_argument("--days", type=int, default=90, help="history to build (default 90)")
    parser.add_argument("--envs", type=int, default=4, help="environments in the store")
    parser.add_argument(
        "--keep",
        type=Path,
        metavar="DIR",
        help="build the store in DIR and reuse it on the next run (default: a temporary dir)",
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    # run_all.py passes the same ARGS to every benchmark: ignore the ones meant for others
    args, _unknown = parser.parse_known_args(argv)
    return args


# -- what a poll writes ---------------------------------------------------------------------------


def series_per_endpoint() -> dict[Endpoint, list[str]]:
    """The series one successful poll of each endpoint writes, from the demo's real documents."""
    from umig_tui.demo.simulator import Simulator
    from umig_tui.sources.parse import parse_document

    simulator = Simulator(4, scenario="static")
    prefix = "/rest/scriptrunner/latest/custom/"
    out: dict[Endpoint, list[str]] = {}
    for endpoint in SCHEDULE:
        raw = simulator.respond(
            "uat", prefix + US088_SLASH.requests(endpoint)[0].path
        ).body.decode()
        result = PollResult(
            "uat", endpoint, 0.0, 12.5, value=parse_document(endpoint, raw), raw=raw
        )
        out[endpoint] = [name for name, _ in samples_from_result(result)]
    return out


@dataclass(frozen=True)
class Signal:
    """A value function: base level, a 10-minute wave, noise; rounded like the real values."""

    base: float
    wave: float
    noise: float
    digits: int | None  # None: full float precision (latencies); 0: whole numbers

    def at(self, t: float, noise: float, phase: float) -> float:
        value = self.base * (1 + self.wave * math.sin(2 * math.pi * t / 600 + phase))
        value += self.noise * noise
        value = max(0.0, value)
        return value if self.digits is None else round(value, self.digits)


SIGNALS: dict[str, Signal] = {
    "response_time_ms": Signal(185.0, 0.08, 9.0, 1),
    "error_rate": Signal(0.005, 0.0, 0.002, 4),
    "active_users": Signal(40.0, 0.12, 2.0, 0),
    "db_connections": Signal(9.0, 0.2, 2.0, 0),
    "api_calls_24h": Signal(13000.0, 0.0, 40.0, 0),
    "component_health_score": Signal(1.0, 0.0, 0.0, 2),
    "health_up": Signal(1.0, 0.0, 0.0, 0),
}
LATENCY = Signal(14.0, 0.05, 4.0, None)
POLL_OK = Signal(1.0, 0.0, 0.0, 0)


def signal_for(name: str) -> Signal:
    if name.startswith("poll_latency_ms:"):
        return LATENCY
    if name.startswith("poll_ok:"):
        return POLL_OK
    return SIGNALS.get(name, Signal(100.0, 0.1, 5.0, 1))


# -- building the store ---------------------------------------------------------------------------


@dataclass
class Built:
    path: Path
    now: int
    env: str  # the environment the queries read
    seconds: float | None  # None: reused from --keep
    rows: dict[str, int]


def create_schema(connection: sqlite3.Connection) -> None:
    for number, script in enumerate(MIGRATIONS):
        for statement in statements(script):
            connection.execute(statement)
        connection.execute(f"PRAGMA user_version = {number + 1}")


def build_store(path: Path, *, envs: int, days: int, now: int) -> dict[str, int]:
    settings = StoreSettings()
    raw_cut = now - int(settings.raw_retention)
    minute_cut = now - int(settings.minute_retention)
    start = now - days * DAY
    names = list(ENV_NAMES[:envs]) + [f"env-{i:02d}" for i in range(len(ENV_NAMES), envs)]
    per_endpoint = series_per_endpoint()
    connection = sqlite3.connect(path, isolation_level=None)
    counts = {"samples": 0, "rollup_1m": 0, "rollup_1h": 0}
    try:
        connection.execute("PRAGMA journal_mode = OFF")  # being built: nothing to protect yet
        connection.execute("PRAGMA synchronous = OFF")
        create_schema(connection)
        ids: dict[tuple[str, str], int] = {}
        for env in names:
            for series in dict.fromkeys(s for ss in per_endpoint.values() for s in ss):
                cursor = connection.execute(
                    "INSERT INTO series (env, metric) VALUES (?, ?)", (env, series)
                )
                ids[(env, series)] = int(cursor.lastrowid or 0)
        tables = {
            name: value_table(name) for name in {n for ns in per_endpoint.values() for n in ns}
        }
        connection.execute("BEGIN")
        for h in range(start, now, HOUR):
            samples: list[tuple[int, int, float]] = []
            minute_rows: list[RollupRow] = []
            hour_rows: list[RollupRow] = []
            detailed = h >= minute_cut  # now is on the hour, so are the cuts
            for env_index, env in enumerate(names):
                # sid → (interval, the values of each endpoint that writes the series this hour)
                parts: dict[int, tuple[int, list[list[float]]]] = {}
                for endpoint, series_names in per_endpoint.items():
                    every, offset_ms = SCHEDULE[endpoint]
                    times = range(h, h + HOUR, every)
                    for name in series_names:
                        sid = ids[(env, name)]
                        first = (h // every + sid * 131 + offset_ms) % TABLE_SIZE
                        values = tables[name][first : first + len(times)]
                        parts.setdefault(sid, (every, []))[1].append(values)
                        if h >= raw_cut:
                            shift = offset_ms + env_index * 7
                            samples += [
                                (sid, t * 1000 + shift, v)
                                for t, v in zip(times, values, strict=True)
                            ]
                for sid, (every, lists) in parts.items():
                    everything = [v for values in lists for v in values]
                    n = len(everything)
                    hour_rows.append((sid, h, n, sum(everything), min(everything), max(everything)))
                    if detailed:
                        minute_rows += minute_rollups(sid, h, every, lists)
            samples.sort()
            connection.executemany("INSERT INTO samples VALUES (?, ?, ?)", samples)
            minute_rows.sort()
            connection.executemany("INSERT INTO rollup_1m VALUES (?, ?, ?, ?, ?, ?)", minute_rows)
            hour_rows.sort()
            connection.executemany("INSERT INTO rollup_1h VALUES (?, ?, ?, ?, ?, ?)", hour_rows)
            counts["samples"] += len(samples)
            counts["rollup_1m"] += len(minute_rows)
            counts["rollup_1h"] += len(hour_rows)
        connection.execute(
            "INSERT INTO meta (key, value) VALUES ('bench_now', ?), ('bench_shape', ?)",
            (str(now), f"{envs}x{days}d"),
        )
        connection.execute("COMMIT")
        connection.execute("PRAGMA journal_mode = WAL")
    finally:
        connection.close()
    return counts


RollupRow = tuple[int, int, int, float, float, float]
TABLE_SIZE = 10_007


def value_table(name: str) -> list[float]:
    """A long run of realistic values for one series, repeated so any hour is one slice."""
    signal = signal_for(name)
    rng = random.Random(f"bench:{name}")
    run = [signal.at(k * 30.0, rng.uniform(-1.0, 1.0), 0.0) for k in range(TABLE_SIZE)]
    return run + run[: HOUR // 30]


def minute_rollups(sid: int, h: int, every: int, lists: list[list[float]]) -> list[RollupRow]:
    """One row per minute of the hour; health and metrics both write the shared series (response
    time, error rate, …), so their samples fall into the same minute buckets."""
    per = max(1, MINUTE // every)  # samples per endpoint per minute
    rows: list[RollupRow] = []
    for i in range(0, len(lists[0]), per):
        chunk = [v for values in lists for v in values[i : i + per]]
        bucket = (h + i * every) // MINUTE * MINUTE
        rows.append((sid, bucket, len(chunk), sum(chunk), min(chunk), max(chunk)))
    return rows


def built_store(directory: Path, *, envs: int, days: int) -> Built:
    path = directory / f"bench-{envs}x{days}d.db"
    if path.exists():
        connection = sqlite3.connect(path)
        try:
            meta = dict(connection.execute("SELECT key, value FROM meta"))
            rows = {
                t: connection.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in ("samples", "rollup_1m", "rollup_1h")
            }
        finally:
            connection.close()
        if meta.get("bench_shape") == f"{envs}x{days}d":
            say(f"reusing {path}")
            return Built(path, int(meta["bench_now"]), _query_env(envs), None, rows)
        path.unlink()
    now = int(time.time()) // HOUR * HOUR  # whole hours: each batch is one hour bucket
    say(f"building {envs} envs × {days} days in {path} ...")
    started = time.perf_counter()
    rows = build_store(path, envs=envs, days=days, now=now)
    seconds = time.perf_counter() - started
    say(f"  built in {seconds:.1f} s: {rows}")
    return Built(path, now, _query_env(envs), seconds, rows)


def _query_env(envs: int) -> str:
    return ENV_NAMES[min(2, envs - 1)]  # production when there is one


def file_mb(path: Path) -> float:
    total = sum(
        p.stat().st_size for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists()
    )
    return total / 1e6


# -- measuring ------------------------------------------------------------------------------------


async def median_ms(label: str, runs: int, call: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    result = await call()  # warm-up: the page cache, the reader connection, imports
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = await call()
        times.append((time.perf_counter() - started) * 1000)
    say(
        f"  {label}: median {statistics.median(times):.2f} ms (min {min(times):.2f}, max {max(times):.2f})"
    )
    return statistics.median(times), result


def alert_signals(count: int) -> list[Any]:
    """50 environments the way the service sees them: most quiet, a few breaking rules."""
    from umig_tui.analysis.alert_rules import EnvSignals
    from umig_tui.models import Metrics

    rng = random.Random(5)
    out = []
    for i in range(count):
        error = 0.08 if i % 10 == 3 else rng.uniform(0.001, 0.02)
        metrics = Metrics(
            response_time_ms=rng.uniform(150, 250),
            error_rate=error,
            active_users=rng.randint(5, 400),
            db_connections=rng.randint(2, 14),
        )
        series = {k: v for k, v in metrics.as_dict().items() if v is not None}
        series.update({"health_up": 1.0, "poll_ok:health": 1.0, "poll_latency_ms:health": 14.0})
        out.append(
            EnvSignals(
                env=f"env-{i:02d}",
                metrics=metrics,
                health_failures=3 if i % 17 == 5 else 0,
                component_score=0.75 if i % 12 == 7 else 1.0,
                drift=Severity.HIGH if i % 9 == 2 else None,
                drift_detail="ui 1.1.2 ≠ umig 1.1.3",
                degradation=0.3 if i % 11 == 6 else rng.uniform(-0.1, 0.1),
                degradation_detail="response avg vs baseline",
                budget_burn=7.5 if i % 13 == 4 else rng.uniform(0, 2),
                series=series,
            )
        )
    return out


def measure_alerts(runs: int) -> float:
    from umig_tui.analysis.alert_rules import AlertEngine, all_rules
    from umig_tui.config import AlertRuleConfig

    user = [
        AlertRuleConfig("slow", "response_time_ms", ">", 240.0, 60.0, "medium"),
        AlertRuleConfig("busy", "active_users", ">=", 390.0, 0.0, "low"),
        AlertRuleConfig("health-poll-slow", "poll_latency_ms:health", ">", 800.0, 0.0, "high"),
    ]
    engine = AlertEngine(all_rules(Thresholds(), user))
    signals = alert_signals(50)
    now = 1_750_000_000.0
    for _ in range(30):  # reach the steady state: pending ones fired, the rest quiet
        engine.evaluate(signals, now)
        now += 15
    times = []
    for _ in range(max(runs, 200)):
        started = time.perf_counter()
        engine.evaluate(signals, now)
        times.append((time.perf_counter() - started) * 1000)
        now += 15
    say(
        f"  alert evaluation, 50 envs × {len(engine.rules)} rules: median "
        f"{statistics.median(times):.3f} ms; {len(engine.firing())} firing"
    )
    return statistics.median(times)


async def measure_queries(built: Built, runs: int) -> list[Row]:
    from umig_tui.config import SloSettings
    from umig_tui.store.queries import resolution_for, series_points
    from umig_tui.store.store import Store
    from umig_tui.store.trends import env_slo, env_trends
    from umig_tui.store.windows import window_stats

    now = float(built.now)
    env = built.env
    store = await Store.open(built.path, StoreSettings())
    rows: list[Row] = []
    try:
        day_since, quarter_since = now - DAY, now - 90 * DAY
        ms, points = await median_ms(
            "series_points 24 h @ 1 min",
            runs,
            lambda: series_points(
                store, env, RESPONSE_TIME, since=day_since, until=now, resolution="1m"
            ),
        )
        picked = resolution_for(store, day_since, now)  # what the dashboard would ask for
        rows.append(
            at_most(
                "24 h of one series at 1-minute buckets (series_points)",
                TARGET_24H_MS,
                ms,
                "ms",
                f"{len(points)} points; resolution_for picks {picked}",
            )
        )
        ms, points = await median_ms(
            "series_points 90 d @ 1 h",
            runs,
            lambda: series_points(
                store, env, RESPONSE_TIME, since=quarter_since, until=now, resolution="1h"
            ),
        )
        rows.append(
            at_most(
                "90 d of one series at 1-hour buckets (series_points)",
                TARGET_90D_MS,
                ms,
                "ms",
                f"{len(points)} points",
            )
        )
        for label, span in (("24 h", DAY), ("7 d", 7 * DAY)):
            ms, stats = await median_ms(
                f"window_stats {label}",
                runs,
                lambda span=span: window_stats(
                    store, env, RESPONSE_TIME, since=now - span, until=now, now=now
                ),
            )
            rows.append(
                info(
                    f"window_stats {label} of response time (raw samples: exact P95/P99)",
                    ms,
                    "ms",
                    f"{stats.count} samples",
                )
            )
        ms, _ = await median_ms(
            "env_slo 30 d",
            runs,
            lambda: env_slo(store, env, SloSettings(), window=30 * DAY, now=now),
        )
        rows.append(info("env_slo over 30 d (hour rollups)", ms, "ms", "availability, P95, errors"))
        ms, _ = await median_ms(
            "env_trends",
            runs,
            lambda: env_trends(store, env, "1.2.0", now=now, degradation=0.15),
        )
        rows.append(
            info(
                "env_trends for one environment",
                ms,
                "ms",
                "3 metrics × now, 1 h, 24 h, 7 d ago; the alert service runs it per env each minute",
            )
        )
    finally:
        await store.close()
    return rows


# -- insert rate ----------------------------------------------------------------------------------


INSERT_ENVS = 50
INSERT_CYCLES = 120


async def measure_inserts(directory: Path) -> list[Row]:
    """Store.write of whole poll cycles (every endpoint of 50 environments, one transaction each,
    as the writer batches them), into a fresh store: results and samples per second.

    The results are one real poll of the in-process demo fleet (parsed documents, raw bodies for
    the ``latest`` table), replayed with the timestamps of consecutive 30-second cycles.
    """
    config = demo_config(Config(environments=()), INSERT_ENVS)
    monitor = Monitor(config, build_clients(config, {}))
    try:
        cycle = await monitor.poll_once()
    finally:
        await monitor.aclose()
    if not cycle or not all(result.ok for result in cycle):
        raise BenchError("the demo fleet's poll failed; nothing to insert")
    path = directory / "inserts.db"
    path.unlink(missing_ok=True)
    store = await Store.open(path, StoreSettings())
    start = time.time() - INSERT_CYCLES * 30
    batches = [
        [replace(result, ts=start + 30 * index + result.ts % 1) for result in cycle]
        for index in range(INSERT_CYCLES)
    ]
    per_cycle = sum(len(samples_from_result(result)) for result in cycle)
    try:
        await store.write(batches[0])  # series ids, page cache
        began = time.perf_counter()
        for batch in batches[1:]:
            if not await store.write(batch):
                raise BenchError(f"Store.write failed: {store.notice}")
        seconds = time.perf_counter() - began
    finally:
        await store.close()
    cycles = len(batches) - 1
    note = (
        f"{cycles} cycles of {len(cycle)} results ({per_cycle} samples) in {seconds:.2f} s; "
        f"{1000 * seconds / cycles:.1f} ms per 50-env cycle"
    )
    rows = await measure_writer(directory, cycle)
    return [
        *rows,
        info(
            "store inserts: poll results per second (Store.write)",
            cycles * len(cycle) / seconds,
            "results/s",
            note,
        ),
        info(
            "store inserts: samples per second (Store.write)",
            cycles * per_cycle / seconds,
            "samples/s",
            "raw samples, minute and hour rollups upserted in the same transaction",
        ),
    ]


WRITER_HISTORY_S = 3600  # history already in the store when the writer is timed
WRITER_SECONDS = 300  # dashboard seconds timed: one batch a second, as the writer commits
WRITER_RATE = INSERT_ENVS * (1 / 5 + 1 / 5 + 1 / 15 + 1 / 15)  # the demo's intervals: 26.7/s


async def measure_writer(directory: Path, cycle: list[PollResult]) -> list[Row]:
    """The dashboard's store writer: CPU (every thread) per result, 50 environments at the
    demo's intervals in one-second batches, into a fresh store and into one holding an hour of
    that fleet's history (each series' pages spread apart, as after a long run); the minute's
    rollups held in memory (the background writer) and upserted at every sample (as before,
    and as a one-shot command's single write still does)."""
    import shutil

    history = directory / "writer-history.db"
    history.unlink(missing_ok=True)
    end = time.time() - WRITER_SECONDS - 60
    store = await Store.open(history, StoreSettings())
    try:
        for index in range(WRITER_HISTORY_S // 5):  # every result every 5 s for an hour
            ts = end - WRITER_HISTORY_S + 5 * index
            await store.write([replace(r, ts=ts + r.ts % 1) for r in cycle], hold=True)
    finally:
        await store.close()
    stream = [
        replace(cycle[index % len(cycle)], ts=end + 60 + index / WRITER_RATE)
        for index in range(int(WRITER_SECONDS * WRITER_RATE))
    ]
    per_second = int(WRITER_RATE)
    batches = [stream[i : i + per_second] for i in range(0, len(stream), per_second)]
    rows: list[Row] = []
    for label, source in (("a fresh store", None), ("a store holding an hour", history)):
        for hold in (True, False):
            path = directory / "writer.db"
            for old in directory.glob("writer.db*"):  # noqa: ASYNC240 - between timed runs
                old.unlink()
            if source is not None:
                shutil.copyfile(source, path)
                # The copy's pages are dirty in the page cache: the writer's first checkpoint
                # would flush all of them (sys time charged to it), as no real store is.
                os.sync()
            store = await Store.open(path, StoreSettings())
            try:
                await store.write(batches[0], hold=hold)  # series ids, page cache
                began = time.process_time()
                for batch in batches[1:]:
                    if not await store.write(batch, hold=hold):
                        raise BenchError(f"Store.write failed: {store.notice}")
                await store.flush()
                spent = time.process_time() - began
            finally:
                await store.close()
            count = len(stream) - len(batches[0])
            how = "the minute's rollups held" if hold else "rollups upserted at every sample"
            say(f"  writer, {label}, {how}: {1e6 * spent / count:.0f} µs per result")
            rows.append(
                info(
                    f"store writer: CPU per result, 1-s batches, {label}, {how}",
                    1e6 * spent / count,
                    "µs",
                    f"{count} results of {INSERT_ENVS} envs at {WRITER_RATE:.1f}/s; "
                    f"{100 * spent / (count / WRITER_RATE):.2f} % of a core at that rate",
                )
            )
    return rows


def main(argv: list[str] | None = None) -> list[Row]:
    args = parse_args(argv)
    host = machine()
    say(f"machine: {machine_line(host)}")
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="umig-bench-store-") as tmp:
        directory = args.keep or Path(tmp)
        directory.mkdir(parents=True, exist_ok=True)
        built = built_store(directory, envs=args.envs, days=args.days)
        size = file_mb(built.path)
        shape = f"{args.envs} envs × {args.days} d"
        total = sum(built.rows.values())
        rows.append(
            at_most(
                f"store size on disk, {shape}",
                TARGET_SIZE_MB,
                size,
                "MB",
                f"{built.rows['samples']:,} raw (7 d), {built.rows['rollup_1m']:,} minute (14 d), "
                f"{built.rows['rollup_1h']:,} hour rows; {total:,} rows",
            )
        )
        if built.seconds is not None:
            rows.append(
                info(f"building the {shape} store (executemany, hour by hour)", built.seconds, "s")
            )
        rows += asyncio.run(measure_queries(built, args.runs))
        say("timing inserts ...")
        rows += asyncio.run(measure_inserts(directory))
    rows.append(
        at_most(
            "alert evaluation, 50 environments (AlertEngine.evaluate)",
            TARGET_ALERTS_MS,
            measure_alerts(args.runs),
            "ms",
            "per cycle, 7 built-in + 3 user rules, median",
        )
    )
    return rows


if __name__ == "__main__":
    sys.exit(cli("bench_store", main))
