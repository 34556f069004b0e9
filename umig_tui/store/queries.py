"""Read queries on the store: history for sparklines and charts, the last known state."""

from __future__ import annotations

import time
from collections.abc import Callable

import msgspec

from umig_tui.models import Endpoint, ErrorKind, FetchError, PollResult
from umig_tui.sources.errors import ParseError
from umig_tui.sources.profiles.base import Profile, decode_answers
from umig_tui.sources.profiles.us088 import US088_SLASH
from umig_tui.store.store import Store


class StoredLatest(msgspec.Struct, frozen=True):
    """One row of the ``latest`` table."""

    env: str
    endpoint: str
    ts: float
    ok: bool
    latency_ms: float | None
    error_kind: str | None
    error_reason: str | None
    http_status: int | None
    good_ts: float | None
    good_latency_ms: float | None
    good_body: str | None


async def latest_rows(store: Store) -> list[StoredLatest]:
    """The ``latest`` table: the last result, and the last good body, per env and endpoint."""
    rows = await store.query(
        "SELECT env, endpoint, ts, ok, latency_ms, error_kind, error_reason, http_status, "
        "good_ts, good_latency_ms, good_body FROM latest"
    )
    return [
        StoredLatest(
            env=row[0],
            endpoint=row[1],
            ts=row[2],
            ok=bool(row[3]),
            latency_ms=row[4],
            error_kind=row[5],
            error_reason=row[6],
            http_status=row[7],
            good_ts=row[8],
            good_latency_ms=row[9],
            good_body=row[10],
        )
        for row in rows
    ]


class Point(msgspec.Struct, frozen=True):
    ts: float
    value: float
    low: float | None = None
    high: float | None = None


def resolution_for(store: Store, since: float, until: float) -> str:
    """Raw samples for short recent windows, minute rollups up to two days, hours beyond."""
    now = time.time()
    span = until - since
    if span <= 2 * 3600 and since >= now - store.settings.raw_retention:
        return "raw"
    if span <= 2 * 86400 and since >= now - store.settings.minute_retention:
        return "1m"
    return "1h"


async def series_points(
    store: Store,
    env: str,
    metric: str,
    *,
    since: float,
    until: float | None = None,
    resolution: str | None = None,
) -> list[Point]:
    """Points of one series in [since, until], oldest first; rollups give avg with min/max."""
    until = time.time() if until is None else until
    resolution = resolution or resolution_for(store, since, until)
    if resolution == "raw":
        rows = await store.query(
            "SELECT s.ts / 1000.0, s.value FROM samples s JOIN series x ON x.id = s.series_id "
            "WHERE x.env = ? AND x.metric = ? AND s.ts BETWEEN ? AND ? ORDER BY s.ts",
            (env, metric, int(since * 1000), int(until * 1000)),
        )
        return [Point(row[0], row[1]) for row in rows]
    table = "rollup_1m" if resolution == "1m" else "rollup_1h"
    rows = await store.query(
        f"SELECT r.bucket, r.vsum / r.n, r.vmin, r.vmax FROM {table} r JOIN series x ON x.id = r.series_id "
        "WHERE x.env = ? AND x.metric = ? AND r.bucket BETWEEN ? AND ? ORDER BY r.bucket",
        (env, metric, int(since), int(until)),
    )
    return [Point(row[0], row[1], row[2], row[3]) for row in rows]


async def restore_results(
    store: Store, profile_for: Callable[[str], Profile | None] = lambda env: None
) -> list[PollResult]:
    """The last known result per env/endpoint from the ``latest`` table, re-parsed by the
    profile that environment speaks (``us088`` when unknown: the only one stores written before
    profiles existed hold)."""
    results: list[PollResult] = []
    for row in await latest_rows(store):
        try:
            endpoint = Endpoint(row.endpoint)
        except ValueError:
            continue
        if row.good_body is not None and row.good_ts is not None and endpoint is not Endpoint.TEAMS:
            profile = profile_for(row.env) or US088_SLASH
            requests = profile.requests(endpoint)
            try:
                value = (
                    profile.parse(endpoint, decode_answers(row.good_body, requests[0].path))
                    if requests
                    else None
                )
            except ParseError:
                value = None
            if value is not None:
                results.append(
                    PollResult(
                        row.env,
                        endpoint,
                        row.good_ts,
                        row.good_latency_ms,
                        value=value,
                        raw=row.good_body,
                    )
                )
        if not row.ok and row.error_kind:
            try:
                kind = ErrorKind(row.error_kind)
            except ValueError:
                continue
            error = FetchError(kind, row.error_reason or "", row.http_status)
            results.append(PollResult(row.env, endpoint, row.ts, row.latency_ms, error=error))
    return sorted(results, key=lambda r: r.ts)
