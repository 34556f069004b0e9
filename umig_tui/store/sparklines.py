"""Bucketed recent history from raw samples, for seeding sparklines at start-up."""

from __future__ import annotations

from collections.abc import Sequence

from umig_tui.store.store import Store


async def bucketed_history(
    store: Store, envs: Sequence[str], metrics: Sequence[str], *, since: float, bucket: float
) -> dict[tuple[str, str], list[tuple[float, float, int]]]:
    """(bucket start, sum, count) per (env, metric) since ``since``, oldest first."""
    if not envs or not metrics:
        return {}
    size_ms = max(1, int(bucket * 1000))
    rows = await store.query(
        "SELECT x.env, x.metric, (s.ts / ?) * ? AS b, sum(s.value), count(*) "
        "FROM series x JOIN samples s ON s.series_id = x.id "
        f"WHERE x.env IN ({', '.join('?' for _ in envs)}) "
        f"AND x.metric IN ({', '.join('?' for _ in metrics)}) AND s.ts >= ? "
        "GROUP BY x.id, b ORDER BY x.id, b",
        (size_ms, size_ms, *envs, *metrics, int(since * 1000)),
    )
    history: dict[tuple[str, str], list[tuple[float, float, int]]] = {}
    for env, metric, start_ms, total, count in rows:
        history.setdefault((env, metric), []).append((start_ms / 1000.0, total, count))
    return history
