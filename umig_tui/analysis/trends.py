"""Is it worse than before? Current window against 1 h, 24 h, 7 d ago and against a baseline.

And the SLO view (seed 003: 99.9 % availability, P95 500 ms, error rate 1 %) with the error
budget left. Pure: statistics in, judgements out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

import msgspec

from umig_tui.analysis.stats import WindowStats, relative_change
from umig_tui.config import SloSettings
from umig_tui.metrics import ERROR_RATE, RESPONSE_TIME
from umig_tui.util.durations import format_duration

# Where a rise is bad. Users and connections rising are not "degradation".
WORSE_WHEN_HIGHER = frozenset({RESPONSE_TIME, ERROR_RATE})
TREND_METRICS: tuple[tuple[str, str], ...] = (
    (RESPONSE_TIME, "avg"),
    (RESPONSE_TIME, "p95"),
    (ERROR_RATE, "avg"),
)
MIN_SAMPLES = 5  # fewer samples than this in a window make no comparison


class Reference(msgspec.Struct, frozen=True):
    label: str  # "1h ago", "24h ago", "7d ago", "baseline 1.1.2"
    value: float | None
    change: float | None  # relative, + is higher
    degraded: bool


class MetricTrend(msgspec.Struct, frozen=True):
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


# An SLO window is judged only once enough of it has data: two minutes of a 24 h window that
# held one failed poll are not "24 h at 93.75 %, budget exhausted". Below a tenth of the window
# (6 min of 1 h, 2.4 h of 24 h, 36 min of the 6 h burn window) or ten health polls, the verdict
# is "not enough data"; the figures are still shown, with how much of the window they cover.
MIN_SLO_COVERAGE = 0.10
MIN_SLO_POLLS = 10
# A bucket of health polls stands for the time until the next one, but for no more than this:
# a monitor polling every 5 minutes covers its windows fully, one that was off for a day does not.
COVERAGE_GAP = 600.0

Verdict = Literal["ok", "missed", "not_enough_data", "no_data"]
VERDICT_TEXT: dict[str, str] = {
    "ok": "ok",
    "missed": "MISSED",
    "not_enough_data": "not enough data",
    "no_data": "no data",
}


class TimedAvailability(msgspec.Struct, frozen=True):
    """Availability over the time a window has data: every stretch weighs by its length, so
    polling every 5 s for a minute counts no more than polling every 30 s for that minute."""

    availability: float | None
    polls: int
    covered_s: float


def timed_availability(
    buckets: Iterable[tuple[float, float, int, float]],
    *,
    since: float,
    until: float,
    gap: float = COVERAGE_GAP,
) -> TimedAvailability:
    """From (start, size, polls, good polls) buckets, oldest first, in [since, until).

    Each bucket stands for the time from its start (``since`` for the first, when the window
    cuts the bucket before it) until the next bucket (or ``until``), at most ``max(size, gap)``
    past its start; its share of good polls is the availability then.
    """
    rows = [b for b in buckets if b[2] > 0]
    covered = 0.0
    up = 0.0
    polls = 0
    for index, (start, size, n, good) in enumerate(rows):
        following = rows[index + 1][0] if index + 1 < len(rows) else until
        # The first bucket also stands for the part-bucket before it that the window cuts.
        begin = since if index == 0 and start - since < size else max(start, since)
        weight = max(0.0, min(following, start + max(size, gap)) - begin)
        covered += weight
        up += weight * (good / n)
        polls += n
    if polls == 0:
        return TimedAvailability(None, 0, 0.0)
    if covered <= 0:  # one bucket that ends the window: the polls alone say it
        return TimedAvailability(sum(b[3] for b in rows) / polls, polls, 0.0)
    return TimedAvailability(up / covered, polls, covered)


class SloReport(msgspec.Struct, frozen=True):
    env: str
    window: float
    availability: float | None
    polls: int
    p95_ms: float | None
    error_rate: float | None
    targets: SloSettings
    covered_s: float | None = None  # seconds of the window with data; None: not measured

    @property
    def coverage(self) -> float | None:
        """Share of the window with data (0..1); None when not measured."""
        if self.covered_s is None or self.window <= 0:
            return None
        return min(1.0, self.covered_s / self.window)

    @property
    def enough_data(self) -> bool:
        """Enough of the window has data to call an objective met or missed."""
        coverage = self.coverage
        if coverage is None:  # not measured (a report built by hand): judge what there is
            return True
        return coverage >= MIN_SLO_COVERAGE and self.polls >= MIN_SLO_POLLS

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
        """Each objective: met, missed, or None (no data, or not enough of the window)."""
        t = self.targets
        values: dict[str, bool | None] = {
            "availability": None
            if self.availability is None
            else self.availability >= t.availability,
            "response_time_p95": None
            if self.p95_ms is None
            else self.p95_ms <= t.response_time_p95_ms,
            "error_rate": None if self.error_rate is None else self.error_rate <= t.error_rate,
        }
        if not self.enough_data:
            return dict.fromkeys(values)
        return values

    def verdicts(self) -> dict[str, Verdict]:
        """Each objective: ``ok``, ``missed``, ``not_enough_data`` or ``no_data``."""
        met = self.met()
        figures = {
            "availability": self.availability,
            "response_time_p95": self.p95_ms,
            "error_rate": self.error_rate,
        }
        out: dict[str, Verdict] = {}
        for key, figure in figures.items():
            if figure is None:
                out[key] = "no_data"
            elif met[key] is None:
                out[key] = "not_enough_data"
            else:
                out[key] = "ok" if met[key] else "missed"
        return out

    def budget_text(self, *, left: str = "") -> str:
        """``80%`` (+ ``left``), ``exhausted``, ``not enough data`` or ``-``."""
        budget = self.budget_left
        if budget is None:
            return "-"
        if not self.enough_data:
            return VERDICT_TEXT["not_enough_data"]
        return "exhausted" if budget <= 0 else f"{budget:.0%}{left}"

    def coverage_text(self, label: str | None = None) -> str:
        """``2m of 24h (0.1%)``: how much of the window the figures stand on."""
        return coverage_text(self.covered_s, self.window, label)

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
            "verdict": dict(self.verdicts()),
            "covered_s": self.covered_s,
            "coverage": self.coverage,
            "min_coverage": MIN_SLO_COVERAGE,
            "enough_data": self.enough_data,
        }


def coverage_text(covered_s: float | None, window: float, label: str | None = None) -> str:
    """``2m of 24h (0.1%)``, ``24h of 24h (100%)``, ``no data``; ``-`` when not measured."""
    if covered_s is None:
        return "-"
    if covered_s <= 0:
        return "no data"
    share = min(1.0, covered_s / window) if window > 0 else 1.0
    percent = f"{share:.1%}" if share < 0.1 else f"{share:.0%}"
    whole = label or format_duration(window)
    covered = whole if covered_s >= window else format_duration(covered_s)
    return f"{covered} of {whole} ({percent})"


def burn_rate(availability: float | None, target: float) -> float | None:
    """How many times faster than allowed the error budget is spent (1.0 = exactly on budget)."""
    if availability is None:
        return None
    return (1.0 - availability) / (1.0 - target)
