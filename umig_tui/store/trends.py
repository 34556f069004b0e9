"""Trends, SLOs and baselines computed from the store (the faces and the alert rules use these)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping

from umig_tui.analysis.stats import WindowStats
from umig_tui.analysis.trends import TREND_METRICS, MetricTrend, SloReport, compare_trend
from umig_tui.config import SloSettings
from umig_tui.metrics import ERROR_RATE, RESPONSE_TIME
from umig_tui.store.state import (
    Baseline,
    baseline_for,
    load_baselines,
    previous_baseline,
    save_baseline,
)
from umig_tui.store.store import Store
from umig_tui.store.windows import availability, fleet_window_stats, window_stats

TREND_WINDOW = 900.0  # the "current" window: 15 minutes
SETTLE = 300.0  # after a version is confirmed, wait this long before its baseline window
BASELINE_METRICS = (RESPONSE_TIME, ERROR_RATE)
SLO_WINDOWS = {"1h": 3600.0, "24h": 86400.0, "7d": 7 * 86400.0, "30d": 30 * 86400.0}


def comparison_baseline(
    baselines: list[Baseline], env: str, metric: str, version: str | None
) -> Baseline | None:
    """An explicitly set baseline of the running version, else the previous version's."""
    own = baseline_for(baselines, env, metric, version)
    if own is not None and own.source == "manual":
        return own
    return previous_baseline(baselines, env, metric, version)


async def env_trends(
    store: Store,
    env: str,
    version: str | None,
    *,
    now: float,
    degradation: float,
    window: float = TREND_WINDOW,
    baselines: list[Baseline] | None = None,
) -> list[MetricTrend]:
    """Current window vs 1 h, 24 h and 7 d ago and vs the baseline, per trend metric."""
    trends = await fleet_trends(
        store,
        {env: version},
        now=now,
        degradation=degradation,
        window=window,
        baselines=baselines,
    )
    return trends[env]


async def fleet_trends(
    store: Store,
    versions: Mapping[str, str | None],
    *,
    now: float,
    degradation: float,
    window: float = TREND_WINDOW,
    baselines: list[Baseline] | None = None,
) -> dict[str, list[MetricTrend]]:
    """``env_trends`` of every environment in ``versions`` (its running version), each window
    read once for them all."""
    envs = list(versions)
    if baselines is None:
        baselines = (
            await load_baselines(store, envs[0]) if len(envs) == 1 else await load_baselines(store)
        )
    offsets = {"1h ago": 3600.0, "24h ago": 86400.0, "7d ago": 7 * 86400.0}
    cache: dict[tuple[str, float], dict[str, WindowStats]] = {}

    async def stats(metric: str, offset: float) -> dict[str, WindowStats]:
        key = (metric, offset)
        if key not in cache:
            end = now - offset
            cache[key] = await fleet_window_stats(
                store, envs, metric, since=end - window, until=end, now=now
            )
        return cache[key]

    trends: dict[str, list[MetricTrend]] = {env: [] for env in envs}
    for metric, stat in TREND_METRICS:
        current = await stats(metric, 0.0)
        earlier = {label: await stats(metric, off) for label, off in offsets.items()}
        for env, version in versions.items():
            references: dict[str, WindowStats | None] = {
                label: by_env[env] for label, by_env in earlier.items()
            }
            base = comparison_baseline(baselines, env, metric, version)
            if base is not None:
                label = "baseline" if base.version == version else f"baseline {base.version}"
                references[label] = base.stats
            trends[env].append(
                compare_trend(env, metric, stat, current[env], references, degradation=degradation)
            )
    return trends


async def env_slo(
    store: Store, env: str, targets: SloSettings, *, window: float, now: float
) -> SloReport:
    since = now - window
    ratio, polls = await availability(store, env, since=since, until=now, now=now)
    response = await window_stats(store, env, RESPONSE_TIME, since=since, until=now, now=now)
    errors = await window_stats(store, env, ERROR_RATE, since=since, until=now, now=now)
    return SloReport(env, window, ratio, polls, response.p95, errors.avg, targets)


async def set_baseline(
    store: Store, env: str, version: str, *, now: float, window: float, source: str = "manual"
) -> list[Baseline]:
    """Save the last ``window`` of each baseline metric as ``version``'s baseline."""
    saved: list[Baseline] = []
    for metric in BASELINE_METRICS:
        stats = await window_stats(store, env, metric, since=now - window, until=now, now=now)
        if stats.count == 0:
            continue
        baseline = Baseline(env, version, metric, source, now, now - window, now, stats)
        if await save_baseline(store, baseline):
            saved.append(baseline)
    return saved


class BaselineCapture:
    """Takes each version's baseline once: the first stable window after it was confirmed."""

    def __init__(
        self,
        store: Store,
        window: float = TREND_WINDOW,
        settle: float = SETTLE,
        min_samples: int = 10,
    ) -> None:
        self.store = store
        self.window = window
        self.settle = settle
        self.min_samples = min_samples
        self._first_seen: dict[str, tuple[str, float]] = {}
        self._done: set[tuple[str, str]] = set()

    def seen(self, env: str, version: str | None, ts: float) -> None:
        if version is None:
            return
        current = self._first_seen.get(env)
        if current is None or current[0] != version:
            self._first_seen[env] = (version, ts)

    async def capture(self, now: float | None = None) -> list[Baseline]:
        if not self.store.recording:
            return []
        now = time.time() if now is None else now
        saved: list[Baseline] = []
        existing = {(b.env, b.version) for b in await load_baselines(self.store)}
        for env, (version, since) in list(self._first_seen.items()):
            if (env, version) in self._done or (env, version) in existing:
                self._done.add((env, version))
                continue
            start = since + self.settle
            end = start + self.window
            if now < end:
                continue
            stats = await asyncio.gather(
                *(
                    window_stats(self.store, env, m, since=start, until=end, now=now)
                    for m in BASELINE_METRICS
                )
            )
            if stats[0].count < self.min_samples:
                self._done.add((env, version))  # not enough data for that window: do not retry
                continue
            for metric, values in zip(BASELINE_METRICS, stats, strict=True):
                baseline = Baseline(env, version, metric, "auto", now, start, end, values)
                if await save_baseline(self.store, baseline):
                    saved.append(baseline)
            self._done.add((env, version))
        return saved


def degradation_signal(trends: list[MetricTrend]) -> tuple[float | None, str]:
    """The worst response-time worsening against a baseline, and a line saying which."""
    worst: tuple[float, str] | None = None
    for trend in trends:
        if trend.metric != RESPONSE_TIME:
            continue
        for ref in trend.references:
            if not ref.label.startswith("baseline") or ref.change is None:
                continue
            if worst is None or ref.change > worst[0]:
                detail = ""
                if trend.current is not None and ref.value is not None:
                    detail = f"response {trend.stat} {trend.current:.0f}ms vs {ref.value:.0f}ms ({ref.label})"
                worst = (ref.change, detail)
    return (worst[0], worst[1]) if worst else (None, "")
