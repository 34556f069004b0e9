"""What a deploy watch is and shows: stages, options, gates, comparisons, its state."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import msgspec

from umig_tui.deploy.verdict_record import MetricResult, Soak, is_ratio
from umig_tui.models import PollResult


class Stage(StrEnum):
    WAITING = "waiting"
    CONFIRMED = "confirmed"
    VALIDATING = "validating"
    MONITORING = "monitoring"
    SOAKING = "soaking"  # passed; still checked until the soak ends (--soak)
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    TIMED_OUT = "timed_out"  # the expected version was never seen: no deployment to judge
    INTERRUPTED = "interrupted"  # stopped by the person watching (Ctrl-C, SIGTERM, quit)
    INCONCLUSIVE = "inconclusive"  # landed, but too little to judge it by: neither pass nor fail

    @property
    def terminal(self) -> bool:
        return self in (
            Stage.SUCCEEDED,
            Stage.FAILED,
            Stage.TIMED_OUT,
            Stage.INTERRUPTED,
            Stage.INCONCLUSIVE,
        )


class WatchOptions(msgspec.Struct, frozen=True):
    expected: str
    timeout: float = 600.0
    monitor: float = 300.0
    interval: float = 10.0
    validate: bool = True
    error_rate: float = 0.05
    degradation: float = 0.15
    unreachable_limit: int = 3  # consecutive failed health polls after confirmation
    min_samples: int = 20  # [deploy]: per side, for a verdict
    confidence: float = 0.95
    tolerance: float = 0.10
    soak: float = 0.0  # after a pass, keep checking this long before it counts as promotable


class Gate(msgspec.Struct, frozen=True):
    name: str
    status: str = "pending"  # pending | passed | failed
    detail: str = ""  # the value seen: "healthy", "active", "HTTP 200", or why it is pending
    decided_at: float | None = None  # when it passed or failed

    @property
    def wanted(self) -> str:
        """What the gate needs to pass, in words."""
        return GATE_WANTED.get(self.name, "")


class Comparison(msgspec.Struct, frozen=True):
    metric: str
    baseline: float | None
    current: float | None
    change: float | None
    ok: bool
    limit: str = ""  # the threshold, in words: "≤ +15%" of the baseline, "≤ 5.0%"

    def describe(self) -> str:
        if self.baseline is None or self.current is None or self.change is None:
            return f"{self.metric}: {_fmt(self.metric, self.current)} (no baseline)"
        return (
            f"{self.metric}: {_fmt(self.metric, self.current)} vs {_fmt(self.metric, self.baseline)} "
            f"({self.change:+.0%})"
        )


def _fmt(metric: str, value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.1%}" if is_ratio(metric) else f"{value:.0f}ms"


GATES = ("health", "orchestrator", "smoke")
GATE_WANTED = {"health": "healthy", "orchestrator": "active", "smoke": "/teams answers"}


class StageMark(msgspec.Struct, frozen=True):
    """A stage the watch entered, when, and what it said then."""

    stage: Stage
    at: float
    message: str = ""


class Outage(msgspec.Struct, frozen=True):
    """The service not answering (or answering unhealthy) from one check until an answer."""

    start: float  # the first failed check
    end: float | None  # the first good answer after it; None: still down at the last check
    what: str  # what failed, as first seen: "http_error: HTTP 503 Service Unavailable"
    checks: int = 1  # failed checks in a row

    def length(self, now: float) -> float:
        return (self.end if self.end is not None else now) - self.start


class WatchState(msgspec.Struct, frozen=True):
    env: str
    expected: str
    stage: Stage
    started_at: float
    stage_since: float
    now: float
    deadline: float
    current_version: str | None = None
    previous_version: str | None = None
    message: str = ""
    reason: str | None = None
    rollback_recommended: bool = False
    gates: tuple[Gate, ...] = ()
    comparisons: tuple[Comparison, ...] = ()
    monitor_until: float | None = None
    samples: int = 0
    timeline: tuple[StageMark, ...] = ()  # every stage entered, in order
    outages: tuple[Outage, ...] = ()
    verdict: str | None = None  # pass | fail | inconclusive (live while monitoring: so far)
    verdict_reason: str = ""
    verdict_detail: tuple[MetricResult, ...] = ()
    soak: float = 0.0  # the soak asked for (seconds)
    soak_until: float | None = None
    soak_state: str | None = None  # soaking | passed | failed; None: no soak asked

    def stages(self) -> list[tuple[StageMark, float | None]]:
        """Each stage entered with when it ended (None: the current one, or the verdict)."""
        marks = self.timeline
        return [
            (mark, marks[index + 1].at if index + 1 < len(marks) else None)
            for index, mark in enumerate(marks)
        ]

    @property
    def elapsed(self) -> float:
        return self.now - self.started_at

    @property
    def progress(self) -> float:
        """0..1 across the whole watch, for progress bars."""
        if self.stage.terminal:
            return 1.0
        if self.stage is Stage.WAITING:
            return 0.3 * min(1.0, self.elapsed / max(1.0, self.deadline - self.started_at))
        if self.stage in (Stage.CONFIRMED, Stage.VALIDATING):
            passed = sum(1 for g in self.gates if g.status == "passed")
            return 0.3 + 0.2 * passed / max(1, len(self.gates))
        if self.stage is Stage.SOAKING and self.soak_until is not None:
            total = max(1.0, self.soak_until - self.stage_since)
            return 0.9 + 0.1 * min(1.0, (self.now - self.stage_since) / total)
        if self.monitor_until is not None:
            total = max(1.0, self.monitor_until - self.stage_since)
            # With a soak to follow, monitoring is most of the way, not all of it.
            span = 0.4 if self.soak > 0 else 0.5
            return 0.5 + span * min(1.0, (self.now - self.stage_since) / total)
        return 0.5

    @property
    def time_left(self) -> float | None:
        if self.stage.terminal:
            return None
        if self.stage is Stage.MONITORING and self.monitor_until is not None:
            return max(0.0, self.monitor_until - self.now)
        if self.stage is Stage.SOAKING and self.soak_until is not None:
            return max(0.0, self.soak_until - self.now)
        return max(0.0, self.deadline - self.now)

    def to_json(self) -> dict[str, Any]:
        return {
            "environment": self.env,
            "expected": self.expected,
            "stage": str(self.stage),
            "elapsed_s": round(self.elapsed, 1),
            "time_left_s": round(self.time_left, 1) if self.time_left is not None else None,
            "current_version": self.current_version,
            "previous_version": self.previous_version,
            "message": self.message,
            "reason": self.reason,
            "rollback_recommended": self.rollback_recommended,
            "gates": [{"name": g.name, "status": g.status, "detail": g.detail} for g in self.gates],
            "comparisons": [
                {
                    "metric": c.metric,
                    "baseline": c.baseline,
                    "current": c.current,
                    "change": c.change,
                    "ok": c.ok,
                    "threshold": c.limit,
                }
                for c in self.comparisons
            ],
            "samples": self.samples,
            "verdict": self.verdict,
            "verdict_reason": self.verdict_reason,
            "verdict_detail": [m.to_json() for m in self.verdict_detail],
            "soak": self.soak_json(),
        }

    def soak_json(self) -> dict[str, Any] | None:
        """``{"until", "state"}`` as the history records it; None without a soak."""
        if self.soak_until is None or self.soak_state is None:
            return None
        return Soak(self.soak_until, self.soak_state).to_json()


class Observation(msgspec.Struct):
    """What one interval fetched (only what the current stage needs)."""

    version: PollResult | None = None
    health: PollResult | None = None
    components: PollResult | None = None
    teams: PollResult | None = None
    metrics: PollResult | None = None
