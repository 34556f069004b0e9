"""A week of metric history for the demo fleet, written into its store on the first demo start.

Without it, trends have nothing to compare with, the performance arrows say ``-`` and every SLO
window stands on the minutes the demo has run. The values come from the simulator's own load
model (base load, its wave and its noise; no story), so history and live readings join without
a step. Written in bulk in one transaction, rollups computed here: what the store's writer would
have left after polling health every minute for a week (every ``recent_step`` in the last hour,
so the sparklines start full).
"""

from __future__ import annotations

import asyncio
import json
import math
import random
import time
from collections.abc import Sequence

import msgspec

from umig_tui.demo.fleet import fleet_size_for
from umig_tui.demo.simulator import Simulator
from umig_tui.metrics import (
    ACTIVE_USERS,
    DB_CONNECTIONS,
    ERROR_RATE,
    HEALTH_UP,
    RESPONSE_TIME,
    poll_ok,
)
from umig_tui.store.rollups import FROM_SAMPLES
from umig_tui.store.store import Store

SEEDED_KEY = "demo_metric_history"  # the meta row saying the week was written (and when)
HISTORY_DAYS = 7.0
STEP = 60.0  # one health poll a minute for the week
RECENT = 3600.0  # the last hour at the demo's own polling interval
POLL_OK = poll_ok("health")
SERIES = (POLL_OK, HEALTH_UP, RESPONSE_TIME, ERROR_RATE, ACTIVE_USERS, DB_CONNECTIONS)
# A short outage in the week, so the SLO windows have a budget that is not simply 100 %:
# (environment, days before the end, failed minutes).
OUTAGES = (("uat", 3.0, 2),)
# Environments past the first eight (``--demo-envs 50`` is a load test) get no history: a week
# of fifty is 3 million samples, half a minute of writing and 150 MB.
MAX_ENVS = 8


class SeededHistory(msgspec.Struct, frozen=True):
    samples: int  # raw samples written (0: already there, or a store this run does not write)
    seconds: float  # how long writing took


async def ensure_demo_metric_history(
    store: Store,
    envs: Sequence[str],
    *,
    now: float,
    recent_step: float = 30.0,
    days: float = HISTORY_DAYS,
) -> SeededHistory:
    """Write ``days`` of history for ``envs`` ending at ``now`` (or at an environment's first
    sample already stored), once per store; later starts find the meta row and do nothing."""
    started = time.perf_counter()
    envs = list(envs)[:MAX_ENVS]
    if not store.recording or not envs:
        return SeededHistory(0, 0.0)
    if await store.query("SELECT 1 FROM meta WHERE key = ?", (SEEDED_KEY,)):
        return SeededHistory(0, 0.0)
    sim = Simulator(fleet_size_for(list(envs)), scenario="static", clock=lambda: now)
    ends = {env: await _history_end(store, env, now) for env in envs}
    if not await store.execute(
        [
            (
                "INSERT OR IGNORE INTO series (env, metric) VALUES (?, ?)",
                [(env, metric) for env in envs for metric in SERIES],
            )
        ]
    ):
        return SeededHistory(0, time.perf_counter() - started)
    ids = {
        (env, metric): int(series_id)
        for env, metric, series_id in await store.query(
            f"SELECT env, metric, id FROM series WHERE env IN ({', '.join('?' for _ in envs)})",
            tuple(envs),
        )
    }
    # Off the event loop: a week of four environments is some 250,000 values.
    samples, spans = await asyncio.to_thread(
        _generate, sim, envs, ends, ids, days=days, recent_step=recent_step
    )
    written = await store.execute(
        [
            ("INSERT OR IGNORE INTO samples (series_id, ts, value) VALUES (?, ?, ?)", samples),
            # The rollups of what was just written, summed by SQLite (merged into a bucket the
            # first live polls already started).
            (FROM_SAMPLES.format(table="rollup_1m", size=60), spans),
            (FROM_SAMPLES.format(table="rollup_1h", size=3600), spans),
            (
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                [(SEEDED_KEY, json.dumps({"at": now, "days": days, "envs": list(envs)}))],
            ),
        ]
    )
    return SeededHistory(len(samples) if written else 0, time.perf_counter() - started)


def _generate(
    sim: Simulator,
    envs: Sequence[str],
    ends: dict[str, float],
    ids: dict[tuple[str, str], int],
    *,
    days: float,
    recent_step: float,
) -> tuple[list[tuple[int, int, float]], list[tuple[int, int, int]]]:
    """The samples to write, and per series the span they cover."""
    samples: list[tuple[int, int, float]] = []
    spans: list[tuple[int, int, int]] = []  # (series id, first ts ms, last ts ms) written
    for env in envs:
        sim_env = sim.envs.get(env)
        if sim_env is None:
            continue
        end = ends[env]
        times = _poll_times(end - days * 86400.0, end, recent_step)
        if not times:
            continue
        down = _outage_minutes(env, end)
        # One generator per environment, drawn in order: the simulator's per-bucket noise
        # (a seeded Random per value) costs a second for a week of four environments.
        rng = random.Random(f"{sim.seed}:{env}:history")
        for t in times:
            ts_ms = int(t * 1000)
            ok = 0.0 if int(t // 60) in down else 1.0
            samples.append((ids[(env, POLL_OK)], ts_ms, ok))
            samples.append((ids[(env, HEALTH_UP)], ts_ms, ok))
            if not ok:
                continue
            wave = math.sin(2 * math.pi * t / 600.0 + sim_env.index)
            response = sim_env.base_response_ms * (1 + 0.08 * wave + 0.05 * rng.uniform(-1, 1))
            errors = max(0.0, sim_env.base_error_rate * (1 + 0.4 * rng.uniform(-1, 1)))
            users = int(sim_env.base_users * (1 + 0.12 * wave + 0.05 * rng.uniform(-1, 1)))
            connections = int(sim_env.base_connections * (1 + 0.2 * wave) + 2 * rng.uniform(-1, 1))
            samples.append((ids[(env, RESPONSE_TIME)], ts_ms, response))
            samples.append((ids[(env, ERROR_RATE)], ts_ms, min(1.0, errors)))
            samples.append((ids[(env, ACTIVE_USERS)], ts_ms, float(max(0, users))))
            samples.append((ids[(env, DB_CONNECTIONS)], ts_ms, float(max(1, connections))))
        first, last = int(times[0] * 1000), int(times[-1] * 1000)
        spans += [(ids[(env, metric)], first, last) for metric in SERIES]
    return samples, spans


async def _history_end(store: Store, env: str, now: float) -> float:
    """Where the seeded week ends: now, or before what this environment already recorded."""
    rows = await store.query(
        "SELECT min(s.ts) FROM samples s JOIN series x ON x.id = s.series_id WHERE x.env = ?",
        (env,),
    )
    first = rows[0][0] if rows else None
    return now if first is None else min(now, first / 1000.0 - 1.0)


def _poll_times(start: float, end: float, recent_step: float) -> list[float]:
    """Every minute from ``start``, every ``recent_step`` in the last hour, all before ``end``."""
    recent_from = end - RECENT
    step = max(1.0, recent_step)
    times: list[float] = []
    t = float(int(start // STEP * STEP))
    while t < recent_from:
        times.append(t)
        t += STEP
    t = end - step * int(RECENT // step)
    while t < end:
        times.append(t)
        t += step
    return times


def _outage_minutes(env: str, end: float) -> set[int]:
    minutes: set[int] = set()
    for name, days_before, length in OUTAGES:
        if name == env:
            first = int((end - days_before * 86400.0) // 3600 * 60)  # on the hour
            minutes.update(range(first, first + length))
    return minutes
