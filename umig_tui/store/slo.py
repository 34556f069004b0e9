"""SLO windows from the store, honest about how much of each window has data.

Availability is read from the health polls' rollups (minute buckets, hour buckets past the
minute retention) and weighed by time (``analysis.trends.timed_availability``): a window with two
minutes of data says so, and a stretch polled every 5 s weighs no more than one polled every 30 s.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import msgspec

from umig_tui.analysis.trends import (
    MIN_SLO_COVERAGE,
    MIN_SLO_POLLS,
    SloReport,
    TimedAvailability,
    burn_rate,
    timed_availability,
)
from umig_tui.config import SloSettings
from umig_tui.metrics import ERROR_RATE, RESPONSE_TIME, poll_ok
from umig_tui.store.store import Store
from umig_tui.store.windows import window_stats

SLO_WINDOWS = {"1h": 3600.0, "24h": 86400.0, "7d": 7 * 86400.0, "30d": 30 * 86400.0}
BURN_WINDOW = 6 * 3600.0  # the window the burn-rate alert looks at


async def health_availability(
    store: Store, env: str, *, since: float, until: float, now: float
) -> TimedAvailability:
    """Time-weighted availability of ``env``'s health polls in [since, until), with coverage.

    Whole buckets only: a bucket the window's start cuts is left out (its polls may be older).
    """
    found = await fleet_health_availability(store, [env], since=since, until=until, now=now)
    return found[env]


async def fleet_health_availability(
    store: Store, envs: Sequence[str], *, since: float, until: float, now: float
) -> dict[str, TimedAvailability]:
    """``health_availability`` of each of ``envs``, each table read once for them all."""
    if not envs:
        return {}
    metric = poll_ok("health")
    marks = ", ".join("?" * len(envs))
    # Minute rollups are kept for minute_retention; older parts of the window come from hours.
    split = math.ceil((now - store.settings.minute_retention) / 3600.0) * 3600.0
    buckets: dict[str, list[tuple[float, float, int, float]]] = {env: [] for env in envs}
    if since < split:
        rows = await store.query(
            "SELECT x.env, r.bucket, r.n, r.vsum FROM rollup_1h r "
            "JOIN series x ON x.id = r.series_id "
            f"WHERE x.env IN ({marks}) AND x.metric = ? AND r.bucket >= ? AND r.bucket < ? "
            "ORDER BY r.series_id, r.bucket",
            (*envs, metric, math.ceil(since / 3600) * 3600, int(min(split, until))),
        )
        for env, bucket, n, vsum in rows:
            buckets[env].append((float(bucket), 3600.0, int(n), float(vsum)))
    if until > split:
        rows = await store.query(
            "SELECT x.env, r.bucket, r.n, r.vsum FROM rollup_1m r "
            "JOIN series x ON x.id = r.series_id "
            f"WHERE x.env IN ({marks}) AND x.metric = ? AND r.bucket >= ? AND r.bucket < ? "
            "ORDER BY r.series_id, r.bucket",
            (*envs, metric, math.ceil(max(since, split) / 60) * 60, math.ceil(until)),
        )
        for env, bucket, n, vsum in rows:
            buckets[env].append((float(bucket), 60.0, int(n), float(vsum)))
    return {
        env: timed_availability(found, since=since, until=until) for env, found in buckets.items()
    }


async def env_slo(
    store: Store, env: str, targets: SloSettings, *, window: float, now: float
) -> SloReport:
    """Availability, P95 and error rate of the last ``window`` against ``targets``, with how much
    of the window has data."""
    since = now - window
    health = await health_availability(store, env, since=since, until=now, now=now)
    response = await window_stats(store, env, RESPONSE_TIME, since=since, until=now, now=now)
    errors = await window_stats(store, env, ERROR_RATE, since=since, until=now, now=now)
    return SloReport(
        env,
        window,
        health.availability,
        health.polls,
        response.p95,
        errors.avg,
        targets,
        covered_s=health.covered_s,
    )


class BurnSignal(msgspec.Struct, frozen=True):
    """The error budget's burn rate over the burn window, and how much of it has data."""

    rate: float | None  # None: no health polls in the window
    coverage: float  # 0..1
    polls: int

    @property
    def enough_data(self) -> bool:
        return self.coverage >= MIN_SLO_COVERAGE and self.polls >= MIN_SLO_POLLS


async def burn_signal(
    store: Store, env: str, target: float, *, now: float, window: float = BURN_WINDOW
) -> BurnSignal:
    """What the burn-rate alert looks at: only the availability (no P95 over six hours of raw
    samples every minute), time-weighted, with the window's coverage."""
    signals = await fleet_burn_signals(store, [env], target, now=now, window=window)
    return signals[env]


async def fleet_burn_signals(
    store: Store, envs: Sequence[str], target: float, *, now: float, window: float = BURN_WINDOW
) -> dict[str, BurnSignal]:
    """``burn_signal`` of each of ``envs``, from one read of each table for them all."""
    found = await fleet_health_availability(store, envs, since=now - window, until=now, now=now)
    return {
        env: BurnSignal(
            burn_rate(health.availability, target),
            min(1.0, health.covered_s / window) if window > 0 else 0.0,
            health.polls,
        )
        for env, health in found.items()
    }
