"""Statistics over a time window from the store: raw samples where kept, rollups beyond.

Percentiles are exact over raw samples (kept ``raw_retention``, 7 days by default); past that they
are taken over per-minute or per-hour averages, an approximation that smooths spikes.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from umig_tui.analysis.stats import WindowStats, percentile
from umig_tui.metrics import poll_ok
from umig_tui.store.store import Store


def source_for(store: Store, since: float, now: float | None = None) -> str:
    """``raw`` while the window's start is within raw retention, else ``1m`` or ``1h``."""
    now = time.time() if now is None else now
    if since >= now - store.settings.raw_retention:
        return "raw"
    if since >= now - store.settings.minute_retention:
        return "1m"
    return "1h"


async def window_stats(
    store: Store, env: str, metric: str, *, since: float, until: float, now: float | None = None
) -> WindowStats:
    stats = await fleet_window_stats(store, [env], metric, since=since, until=until, now=now)
    return stats[env]


async def fleet_window_stats(
    store: Store,
    envs: Sequence[str],
    metric: str,
    *,
    since: float,
    until: float,
    now: float | None = None,
) -> dict[str, WindowStats]:
    """``window_stats`` of each of ``envs`` from one query (the alert rules ask for every
    environment's windows each minute: one query each was ~600 round trips to the store's
    thread at 50 environments). Each environment's rows come in the order of its own query."""
    if not envs:
        return {}
    source = source_for(store, since, now)
    marks = ", ".join("?" * len(envs))
    if source == "raw":
        rows = await store.query(
            "SELECT x.env, s.value FROM samples s JOIN series x ON x.id = s.series_id "
            f"WHERE x.env IN ({marks}) AND x.metric = ? AND s.ts >= ? AND s.ts < ? "
            "ORDER BY s.series_id, s.ts",
            (*envs, metric, int(since * 1000), int(until * 1000)),
        )
        values: dict[str, list[float]] = {env: [] for env in envs}
        for env, value in rows:
            values[env].append(value)
        return {env: WindowStats.of(found) for env, found in values.items()}
    table = "rollup_1m" if source == "1m" else "rollup_1h"
    rows = await store.query(
        f"SELECT x.env, r.n, r.vsum, r.vmin, r.vmax FROM {table} r "
        "JOIN series x ON x.id = r.series_id "
        f"WHERE x.env IN ({marks}) AND x.metric = ? AND r.bucket >= ? AND r.bucket < ? "
        "ORDER BY r.series_id, r.bucket",
        (*envs, metric, int(since), int(until)),
    )
    buckets: dict[str, list[tuple[int, float, float, float]]] = {env: [] for env in envs}
    for env, n, vsum, vmin, vmax in rows:
        buckets[env].append((n, vsum, vmin, vmax))
    return {env: _rolled_up(found) for env, found in buckets.items()}


def _rolled_up(rows: list[tuple[int, float, float, float]]) -> WindowStats:
    if not rows:
        return WindowStats.of([])
    count = sum(row[0] for row in rows)
    averages = [row[1] / row[0] for row in rows if row[0]]
    return WindowStats(
        count=count,
        avg=sum(row[1] for row in rows) / count if count else None,
        min=min(row[2] for row in rows),
        max=max(row[3] for row in rows),
        p95=percentile(averages, 95),
        p99=percentile(averages, 99),
    )


async def availability(
    store: Store, env: str, *, since: float, until: float, now: float | None = None
) -> tuple[float | None, int]:
    """Share of successful health polls in the window, and how many polls there were."""
    source = source_for(store, since, now)
    metric = poll_ok("health")
    if source == "raw":
        rows = await store.query(
            "SELECT count(*), total(s.value) FROM samples s JOIN series x ON x.id = s.series_id "
            "WHERE x.env = ? AND x.metric = ? AND s.ts >= ? AND s.ts < ?",
            (env, metric, int(since * 1000), int(until * 1000)),
        )
    else:
        table = "rollup_1m" if source == "1m" else "rollup_1h"
        rows = await store.query(
            f"SELECT total(r.n), total(r.vsum) FROM {table} r JOIN series x ON x.id = r.series_id "
            "WHERE x.env = ? AND x.metric = ? AND r.bucket >= ? AND r.bucket < ?",
            (env, metric, int(since), int(until)),
        )
    polls, good = (int(rows[0][0]), float(rows[0][1])) if rows else (0, 0.0)
    return (good / polls if polls else None), polls
