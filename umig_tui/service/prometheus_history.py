"""History read from Prometheus with ``query_range``, into the run's cache store: the sparklines,
trends, SLOs and reports then read it as they read any store. Only what the cache does not hold
yet is asked for (the first run: the last 7 days)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict

from umig_tui import exposition as x
from umig_tui.config import Config
from umig_tui.models import (
    Endpoint,
    ErrorKind,
    FetchError,
    HealthSnapshot,
    Metrics,
    MetricsSnapshot,
    PollResult,
)
from umig_tui.service.prometheus_source import PrometheusReader
from umig_tui.sources.failures import FetchFailed
from umig_tui.sources.prometheus_api import Series
from umig_tui.store.store import Store

log = logging.getLogger(__name__)

HISTORY = 7 * 86400.0
# The last hour is asked for at its own, finer step (seconds, not the 20 minutes of a week's):
# the sparklines and the deploy watch's baseline read that hour.
RECENT = 3600.0
# Metrics field → the series and the factor back to the store's unit.
_METRICS = {
    "response_time_ms": (x.RESPONSE_TIME_MS.name, 1.0),
    "error_rate": (x.ERROR_RATE.name, 1.0),
    "active_users": (x.ACTIVE_USERS.name, 1.0),
    "db_connections": (x.DB_CONNECTIONS.name, 1.0),
    "api_calls_24h": (x.API_CALLS.name, 1.0),
    "uptime_seconds": (x.UPTIME.name, 1.0),
    "db_round_trip_ms": (x.DB_ROUND_TRIP.name, 1000.0),
}
_HEALTH_OK = f'{x.PROBE_SUCCESS.name}{{signal="health"}}'
_HEALTH_LATENCY = f'{x.PROBE_LATENCY.name}{{signal="health"}}'


async def newest_sample(store: Store) -> float | None:
    rows = await store.query("SELECT max(ts) FROM samples")
    value = rows[0][0] if rows else None
    return value / 1000 if value is not None else None


async def backfill(reader: PrometheusReader, store: Store, config: Config) -> int:
    """Ask Prometheus for what the cache lacks; returns the results written (0 when Prometheus
    cannot answer: the cache keeps what it has and the header says why)."""
    end = reader.clock()
    newest = await newest_sample(store)
    start = max(end - HISTORY, newest + 1) if newest is not None else end - HISTORY
    if end - start < 60:
        return 0
    queries = {field: name for field, (name, _) in _METRICS.items()}
    queries |= {"health_up": x.HEALTH_STATUS.name, "ok": _HEALTH_OK, "latency": _HEALTH_LATENCY}
    spans = [(start, end)]
    if end - start > 2 * RECENT:
        spans = [(start, end - RECENT), (end - RECENT, end)]
    asked = [(key, q, since, until) for since, until in spans for key, q in queries.items()]
    try:
        answers = await asyncio.gather(
            *(reader.api.query_range(q, since, until) for _, q, since, until in asked)
        )
    except FetchFailed as failed:
        log.info("history from Prometheus: %s", failed.error.reason)
        return 0
    started = time.perf_counter()
    points: dict[tuple[str, float], dict[str, float]] = defaultdict(dict)
    for (key, *_), series_list in zip(asked, answers, strict=True):
        _collect(points, key, series_list)
    names = {env.name for env in config.environments}
    results = [
        result
        for (env, ts), values in sorted(points.items(), key=lambda item: item[0][1])
        if env in names
        for result in _results(env, ts, values)
    ]
    await store.write(results)
    log.info(
        "history from Prometheus: %d results in %.0f ms",
        len(results),
        (time.perf_counter() - started) * 1000,
    )
    return len(results)


def _collect(
    points: dict[tuple[str, float], dict[str, float]], key: str, found: list[Series]
) -> None:
    for series in found:
        env = series.labels.get("environment")
        if not env:
            continue
        for ts, value in series.points:
            points[(env, ts)][key] = value


def _results(env: str, ts: float, values: dict[str, float]) -> list[PollResult]:
    metrics = Metrics(
        **{
            field: values[field] * factor
            for field, (_, factor) in _METRICS.items()
            if field in values
        }
    )
    latency = values.get("latency")
    latency_ms = latency * 1000 if latency is not None else None
    out = [PollResult(env, Endpoint.METRICS, ts, None, value=MetricsSnapshot((), metrics))]
    if values.get("ok") == 0:
        error = FetchError(ErrorKind.CONNECT_ERROR, "the health poll failed (from Prometheus)")
        out.append(PollResult(env, Endpoint.HEALTH, ts, latency_ms, error=error))
    elif "health_up" in values:
        word = "healthy" if values["health_up"] == 1 else "unhealthy"
        snapshot = HealthSnapshot(status=word, source="Prometheus")
        out.append(PollResult(env, Endpoint.HEALTH, ts, latency_ms, value=snapshot))
    return out
