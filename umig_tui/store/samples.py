"""Which numbers a poll result contributes to the store's time series."""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from typing import Any

from umig_tui.metrics import (
    ACTIVE_USERS,
    API_CALLS,
    COMPONENT_SCORE,
    DB_CONNECTIONS,
    DB_ROUND_TRIP,
    ERROR_RATE,
    HEALTH_UP,
    RESPONSE_TIME,
    UPTIME,
    poll_latency,
    poll_ok,
)
from umig_tui.models import (
    ComponentsStatus,
    HealthSnapshot,
    Metrics,
    MetricsSnapshot,
    PollResult,
    VersionInfo,
)


def _metric_samples(metrics: Metrics) -> list[tuple[str, float]]:
    fields = (
        (RESPONSE_TIME, metrics.response_time_ms),
        (ERROR_RATE, metrics.error_rate),
        (ACTIVE_USERS, metrics.active_users),
        (DB_CONNECTIONS, metrics.db_connections),
        (API_CALLS, metrics.api_calls_24h),
        (UPTIME, metrics.uptime_seconds),
        (DB_ROUND_TRIP, metrics.db_round_trip_ms),
    )
    return [(name, value) for name, value in fields if value is not None]


def samples_from_result(result: PollResult) -> list[tuple[str, float]]:
    """(series name, value) pairs for ``result``: poll outcome and latency, then its numbers."""
    endpoint = str(result.endpoint)
    out: list[tuple[str, float]] = [(poll_ok(endpoint), 1.0 if result.ok else 0.0)]
    if result.latency_ms is not None:
        out.append((poll_latency(endpoint), result.latency_ms))
    value = result.value
    if isinstance(value, HealthSnapshot):
        if value.status is not None:  # liveness alone says nothing of health
            out.append((HEALTH_UP, 1.0 if value.status == "healthy" else 0.0))
        out.extend(_metric_samples(value.metrics))
    elif isinstance(value, VersionInfo):
        if value.uptime_seconds is not None:
            out.append((UPTIME, value.uptime_seconds))
    elif isinstance(value, MetricsSnapshot):
        out.extend(_metric_samples(value.metrics))
    elif isinstance(value, ComponentsStatus):
        score = value.health_score()
        if score is not None:
            out.append((COMPONENT_SCORE, score))
    elif result.error is not None and endpoint == "health":
        out.append((HEALTH_UP, 0.0))
    return out


def latest_row(result: PollResult) -> tuple[Any, ...]:
    """The ``latest`` table's row for ``result`` (a good body kept up to 256 KiB)."""
    error = result.error
    good = result.ok
    body = result.raw if good and result.raw is not None and len(result.raw) <= 256 * 1024 else None
    return (
        result.env,
        str(result.endpoint),
        result.ts,
        1 if good else 0,
        result.latency_ms,
        str(error.kind) if error else None,
        error.reason if error else None,
        error.http_status if error else None,
        result.ts if good else None,
        result.latency_ms if good else None,
        body,
    )


RECENT_PER_SERIES = 32  # timestamps remembered per series to keep two samples apart


def distinct_times(
    samples: list[tuple[int, int, float]], recent: Mapping[int, tuple[int, ...]]
) -> tuple[list[tuple[int, int, float]], dict[int, tuple[int, ...]]]:
    """``(series_id, ts_ms, value)`` with no two samples of a series at one millisecond.

    Health and metrics both report the response time: two answers landing in the same
    millisecond would share the key (series_id, ts), and one would replace the other. A sample
    whose millisecond is taken (in this batch or among ``recent`` ones) moves on by 1 ms. Returns
    the samples and, for each series they touch, the times to remember once they are committed:
    its newest RECENT_PER_SERIES, ascending (``recent`` is not changed, so a batch retried after
    a failed write keeps its times; only the touched series are copied: the writer commits many
    small batches). A sample newer than every time its series has (nearly all of them) is
    checked with one comparison, not a search."""
    added: dict[int, list[int]] = {}  # per touched series, this batch's times, ascending
    out: list[tuple[int, int, float]] = []
    for sid, ts, value in samples:
        known = recent.get(sid, ())
        new = added.get(sid)
        if new is None:
            new = added[sid] = []
        if (new and ts <= new[-1]) or (known and ts <= known[-1]):
            while ts in new or ts in known:
                ts += 1
            bisect.insort(new, ts)
        else:
            new.append(ts)
        out.append((sid, ts, value))
    updates: dict[int, tuple[int, ...]] = {}
    for sid, new in added.items():
        known = recent.get(sid, ())
        if known and new[0] < known[-1]:
            updates[sid] = tuple(sorted((*known, *new)))[-RECENT_PER_SERIES:]
        else:
            updates[sid] = (*known, *new)[-RECENT_PER_SERIES:]
    return out, updates
