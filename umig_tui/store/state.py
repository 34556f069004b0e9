"""Alert state and performance baselines in the store (what must survive a restart)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import msgspec

from umig_tui.analysis.alert_rules import AlertPhase, AlertState
from umig_tui.analysis.stats import WindowStats
from umig_tui.models import Severity
from umig_tui.store.store import Store

_ALERT_COLUMNS = "rule, env, phase, severity, since, fired_at, resolved_at, value, threshold, summary, description, updated"


async def save_alerts(
    store: Store, alerts: Sequence[AlertState], *, forget: Sequence[tuple[str, str]] = ()
) -> bool:
    """Upsert ``alerts`` and delete the (rule, env) pairs in ``forget``."""
    now = time.time()
    rows = [
        (
            a.rule,
            a.env,
            str(a.phase),
            str(a.severity),
            a.since,
            a.fired_at,
            a.resolved_at,
            a.value,
            a.threshold,
            a.summary,
            a.description,
            now,
        )
        for a in alerts
    ]
    statements: list[tuple[str, Sequence[Sequence[Any]]]] = []
    if rows:
        statements.append(
            (
                f"INSERT OR REPLACE INTO alerts ({_ALERT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
        )
    if forget:
        statements.append(("DELETE FROM alerts WHERE rule = ? AND env = ?", list(forget)))
    return await store.execute(statements) if statements else True


async def load_alerts(store: Store) -> list[AlertState]:
    alerts: list[AlertState] = []
    for row in await store.query(f"SELECT {_ALERT_COLUMNS} FROM alerts"):
        try:
            phase, severity = AlertPhase(row[2]), Severity(row[3])
        except ValueError:
            continue
        alerts.append(
            AlertState(
                rule=row[0],
                env=row[1],
                phase=phase,
                severity=severity,
                since=row[4],
                fired_at=row[5],
                resolved_at=row[6],
                value=row[7],
                threshold=row[8],
                summary=row[9],
                description=row[10],
            )
        )
    return alerts


class Baseline(msgspec.Struct, frozen=True):
    """One metric's statistics for one version of one environment."""

    env: str
    version: str
    metric: str
    source: str  # auto | manual
    set_at: float
    window_start: float
    window_end: float
    stats: WindowStats


async def save_baseline(store: Store, baseline: Baseline) -> bool:
    s = baseline.stats
    return await store.execute(
        [
            (
                "INSERT OR REPLACE INTO baselines (env, version, metric, source, set_at, window_start, "
                "window_end, n, avg, p95, p99, vmin, vmax) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        baseline.env,
                        baseline.version,
                        baseline.metric,
                        baseline.source,
                        baseline.set_at,
                        baseline.window_start,
                        baseline.window_end,
                        s.count,
                        s.avg,
                        s.p95,
                        s.p99,
                        s.min,
                        s.max,
                    )
                ],
            )
        ]
    )


async def load_baselines(store: Store, env: str | None = None) -> list[Baseline]:
    sql = (
        "SELECT env, version, metric, source, set_at, window_start, window_end, n, avg, p95, p99, vmin, vmax "
        "FROM baselines"
    )
    params: tuple[Any, ...] = ()
    if env is not None:
        sql += " WHERE env = ?"
        params = (env,)
    return [
        Baseline(
            row[0],
            row[1],
            row[2],
            row[3],
            row[4],
            row[5],
            row[6],
            WindowStats(
                count=row[7], avg=row[8], min=row[11], max=row[12], p95=row[9], p99=row[10]
            ),
        )
        for row in await store.query(sql + " ORDER BY set_at", params)
    ]


def previous_baseline(
    baselines: Sequence[Baseline], env: str, metric: str, current_version: str | None
) -> Baseline | None:
    """The newest baseline of ``metric`` for a version other than the running one."""
    candidates = [
        b for b in baselines if b.env == env and b.metric == metric and b.version != current_version
    ]
    return max(candidates, key=lambda b: b.set_at) if candidates else None


def baseline_for(
    baselines: Sequence[Baseline], env: str, metric: str, version: str | None
) -> Baseline | None:
    for b in baselines:
        if b.env == env and b.metric == metric and b.version == version:
            return b
    return None
