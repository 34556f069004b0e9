"""An environment's overall status from its latest results (DESIGN: healthy | degraded | …)."""

from __future__ import annotations

from umig_tui.config import Thresholds
from umig_tui.models import (
    ComponentsStatus,
    EnvStatus,
    HealthSnapshot,
    Metrics,
    NotOffered,
    PollResult,
    is_bad_state,
)

_HEALTHY_WORDS = frozenset({"healthy", "ok", "up", "pass", "green"})
_UNHEALTHY_WORDS = frozenset({"unhealthy", "down", "error", "failed", "fail", "critical", "red"})


def derive_status(
    health: PollResult | None,
    components: ComponentsStatus | None,
    metrics: Metrics,
    thresholds: Thresholds,
) -> tuple[EnvStatus, str]:
    """Status and a one-line reason. ``unreachable`` when the health endpoint cannot be read."""
    if health is None:
        return EnvStatus.UNKNOWN, "waiting for the first health poll"
    if health.error is not None:
        prefix = "circuit open; " if health.circuit_open else ""
        return EnvStatus.UNREACHABLE, f"{prefix}{health.error.kind}: {health.error.reason}"
    snapshot = health.value
    if isinstance(snapshot, NotOffered):
        # Never healthy without a live health signal: what the environment does not say is
        # not known, whatever else it answers.
        return EnvStatus.UNKNOWN, "no live health signal: " + snapshot.describe("health")
    if not isinstance(snapshot, HealthSnapshot):
        return EnvStatus.UNKNOWN, "no health document"
    if snapshot.status is None:
        return EnvStatus.UNKNOWN, snapshot.detail or "no live health signal"
    word = snapshot.status
    bad_parts = [f"{c.name} {c.status}" for c in snapshot.components if is_bad_state(c.status)]
    if word in _UNHEALTHY_WORDS:
        if snapshot.detail:
            return EnvStatus.UNHEALTHY, snapshot.detail
        detail = f" ({', '.join(bad_parts)})" if bad_parts else ""
        return EnvStatus.UNHEALTHY, f"application reports {word}{detail}"
    if word not in _HEALTHY_WORDS:
        return EnvStatus.DEGRADED, snapshot.detail or f"application reports {word!r}"
    if components is not None:
        bad_parts += components.not_ok()
    if bad_parts:
        return EnvStatus.DEGRADED, "not healthy: " + ", ".join(bad_parts[:4])
    if metrics.error_rate is not None and metrics.error_rate > thresholds.error_rate:
        return (
            EnvStatus.DEGRADED,
            f"error rate {metrics.error_rate:.1%} above {thresholds.error_rate:.0%}",
        )
    limit = thresholds.response_time_p95_ms
    if metrics.response_time_ms is not None and metrics.response_time_ms > limit:
        return (
            EnvStatus.DEGRADED,
            f"response time {metrics.response_time_ms:.0f}ms above {limit:.0f}ms",
        )
    return EnvStatus.HEALTHY, "all checks pass"
