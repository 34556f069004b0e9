"""What one interval's answers say, for the deploy watch: the version reported, the response
time and error rate measured, whether the service is down."""

from __future__ import annotations

from umig_tui.deploy.watch_state import Observation
from umig_tui.models import HealthSnapshot, MetricsSnapshot, NotOffered, PollResult, VersionInfo

# Health statuses that mean the service is down, not just degraded.
UNHEALTHY = ("unhealthy", "down", "error", "failed", "critical")


def reported_version(observation: Observation) -> tuple[str | None, str | None]:
    """(version, why unknown) from the version endpoint, falling back to health."""
    for result in (observation.version, observation.health):
        if result is None:
            continue
        if result.error is not None:
            continue
        value = result.value
        if isinstance(value, VersionInfo | HealthSnapshot) and value.version:
            return value.version, None
    failed = next(
        (r for r in (observation.version, observation.health) if r is not None and r.error), None
    )
    return None, (
        f"{failed.error.kind}: {failed.error.reason}" if failed and failed.error else None
    )


def short_reason(why: str | None) -> str | None:
    """``http_error: HTTP 500 Internal Server Error`` → ``HTTP 500 Internal Server Error``."""
    return why.split(": ", 1)[-1] if why else None


def available(observation: Observation) -> float | None:
    """1.0 when the health check answered (and not with an unhealthy word), 0.0 when it failed
    or answered unhealthy, None when no health check was made this interval."""
    health = observation.health
    if health is None:
        return None
    if health.error is not None:
        return 0.0
    value = health.value
    return 0.0 if isinstance(value, HealthSnapshot) and value.status in UNHEALTHY else 1.0


def numbers(observation: Observation) -> tuple[float | None, float | None]:
    """(response ms, error rate) from the metrics text, else the health document."""
    response = error = None
    for result in (observation.metrics, observation.health):
        if result is None or result.error is not None:
            continue
        value = result.value
        metrics = value.metrics if isinstance(value, HealthSnapshot | MetricsSnapshot) else None
        if metrics is None:
            continue
        response = response if response is not None else metrics.response_time_ms
        error = error if error is not None else metrics.error_rate
    return response, error


def service_down(observation: Observation) -> tuple[bool | None, str]:
    """(down?, what failed) from the health and version answers; None when neither was asked.

    Down is no answer from either, or a health answer that says unhealthy.
    """
    asked = [r for r in (observation.health, observation.version) if r is not None]
    if not asked:
        return None, ""
    health = observation.health
    if (
        health is not None
        and health.error is None
        and isinstance(health.value, HealthSnapshot)
        and health.value.status in UNHEALTHY
    ):
        return True, f"health {health.value.status}"
    if any(r.error is None for r in asked):
        return False, ""
    error = asked[0].error
    assert error is not None
    return True, f"{error.kind}: {error.reason}"


def not_offered(result: PollResult | None) -> bool:
    return result is not None and isinstance(result.value, NotOffered)
