"""Is it worse than before? Current window against 1 h, 24 h, 7 d ago and against a baseline.

And the SLO view (seed 003: 99.9 % availability, P95 500 ms, error rate 1 %) with the error
budget left. Pure: statistics in, judgements out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from umig_tui.analysis.stats import WindowStats, relative_change
from umig_tui.config import SloSettings
from umig_tui.metrics import ERROR_RATE, RESPONSE_TIME

# Where a rise is bad. Users and connections rising are not "degradation".
WORSE_WHEN_HIGHER = frozenset({RESPONSE_TIME, ERROR_RATE})
TREND_METRICS: tuple[tuple[str, str], ...] = (
    (RESPONSE_TIME, "avg"),
    (RESPONSE_TIME, "p95"),
    (ERROR_RATE, "avg"),
)
MIN_SAMPLES = 5  # fewer samples than this in a window make no comparison


@dataclass(frozen=True, slots=True)
class Reference:
    label: str  # "1h ago", "24h ago", "7d ago", "baseline 1.1.2"
    value: float | None
    change: float | None  # relative, + is higher
    degraded: bool


@dataclass(frozen=True, slots=True)
class MetricTrend:
    env: str
    metric: str
    stat: str  # avg | p95
    current: float | None
    samples: int
    references: tuple[Reference, ...]

    @property
    def degraded(self) -> bool:
        return any(r.degraded for r in self.references)

    def to_json(self) -> dict[str, Any]:
        return {
            "environment": self.env,
            "metric": self.metric,
            "stat": self.stat,
            "current": self.current,
            "samples": self.samples,
            "degraded": self.degraded,
            "references": [
                {"label": r.label, "value": r.value, "change": r.change, "degraded": r.degraded}
                for r in self.references
            ],
        }


def stat_of(stats: WindowStats | None, stat: str) -> float | None:
    if stats is None or stats.count < MIN_SAMPLES:
        return None
    return stats.p95 if stat == "p95" else stats.avg


def compare_trend(
    env: str,
    metric: str,
    stat: str,
    current: WindowStats,
    references: Mapping[str, WindowStats | None],
    *,
    degradation: float,
) -> MetricTrend:
    """One metric's current value against each reference window, flagged past ``degradation``."""
    now_value = stat_of(current, stat)
    out = []
    for label, stats in references.items():
        before = stat_of(stats, stat)
        change = relative_change(now_value, before)
        worse = change is not None and metric in WORSE_WHEN_HIGHER and change > degradation
        out.append(Reference(label, before, change, worse))
    return MetricTrend(env, metric, stat, now_value, current.count, tuple(out))


def arrow(change: float | None) -> str:
    """``▲12%``, ``▼3%``, ``≈`` (within 1 %), ``-`` (no comparison)."""
    if change is None:
        return "-"
    if abs(change) < 0.01:
        return "≈"
    return f"{'▲' if change > 0 else '▼'}{abs(change):.0%}"


@dataclass(frozen=True, slots=True)
class SloReport:
    env: str
    window: float
    availability: float | None
    polls: int
    p95_ms: float | None
    error_rate: float | None
    targets: SloSettings

    @property
    def budget_left(self) -> float | None:
        """Share of the error budget not yet spent in the window (negative: overspent)."""
        if self.availability is None:
            return None
        allowed = 1.0 - self.targets.availability
        return 1.0 - (1.0 - self.availability) / allowed

    @property
    def burn_rate(self) -> float | None:
        """How many times faster than allowed the budget is spent (1.0 = exactly on budget)."""
        return burn_rate(self.availability, self.targets.availability)

    def met(self) -> dict[str, bool | None]:
        t = self.targets
        return {
            "availability": None
            if self.availability is None
            else self.availability >= t.availability,
            "response_time_p95": None
            if self.p95_ms is None
            else self.p95_ms <= t.response_time_p95_ms,
            "error_rate": None if self.error_rate is None else self.error_rate <= t.error_rate,
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "environment": self.env,
            "window_s": self.window,
            "availability": self.availability,
            "availability_target": self.targets.availability,
            "health_polls": self.polls,
            "response_time_p95_ms": self.p95_ms,
            "response_time_p95_target_ms": self.targets.response_time_p95_ms,
            "error_rate": self.error_rate,
            "error_rate_target": self.targets.error_rate,
            "error_budget_left": self.budget_left,
            "burn_rate": self.burn_rate,
            "met": self.met(),
        }


def burn_rate(availability: float | None, target: float) -> float | None:
    """How many times faster than allowed the error budget is spent (1.0 = exactly on budget)."""
    if availability is None:
        return None
    return (1.0 - availability) / (1.0 - target)
