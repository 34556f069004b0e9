"""An environment's status from its latest results: healthy | degraded | unhealthy | unreachable."""

from __future__ import annotations

import pytest

from umig_tui.analysis.status import derive_status
from umig_tui.config import Thresholds
from umig_tui.models import (
    ComponentHealth,
    ComponentsStatus,
    Endpoint,
    EnvStatus,
    ErrorKind,
    FetchError,
    HealthSnapshot,
    Metrics,
    NamedStatus,
    PollResult,
    VersionInfo,
)

THRESHOLDS = Thresholds(error_rate=0.05, response_time_p95_ms=500.0)
GOOD_PARTS = (ComponentHealth("database", "healthy"), ComponentHealth("api", "healthy"))


def health(
    status: str = "healthy", components: tuple[ComponentHealth, ...] = GOOD_PARTS
) -> PollResult:
    snapshot = HealthSnapshot(status, "1.2.0", components=components)
    return PollResult("production", Endpoint.HEALTH, 100.0, 20.0, value=snapshot)


def error(kind: ErrorKind, reason: str, *, circuit_open: bool = False) -> PollResult:
    return PollResult(
        "production",
        Endpoint.HEALTH,
        100.0,
        None,
        error=FetchError(kind, reason),
        circuit_open=circuit_open,
    )


def status_of(
    result: PollResult | None,
    components: ComponentsStatus | None = None,
    metrics: Metrics | None = None,
) -> tuple[EnvStatus, str]:
    return derive_status(result, components, metrics or Metrics(), THRESHOLDS)


def test_unknown_before_the_first_health_poll() -> None:
    assert status_of(None) == (EnvStatus.UNKNOWN, "waiting for the first health poll")


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        (ErrorKind.CONNECT_ERROR, "connection refused"),
        (ErrorKind.TIMEOUT, "no answer in 10s"),
        (ErrorKind.AUTH_REQUIRED, "redirected to the login page"),
        (ErrorKind.INVALID_RESPONSE, "expected a JSON object, got an array"),
    ],
)
def test_health_error_is_unreachable_with_kind_and_reason(kind: ErrorKind, reason: str) -> None:
    assert status_of(error(kind, reason)) == (EnvStatus.UNREACHABLE, f"{kind}: {reason}")


def test_open_circuit_is_said_first() -> None:
    result = error(ErrorKind.TIMEOUT, "no answer in 10s", circuit_open=True)
    assert status_of(result) == (EnvStatus.UNREACHABLE, "circuit open; timeout: no answer in 10s")


def test_a_health_result_without_a_health_document_is_unknown() -> None:
    result = PollResult("production", Endpoint.HEALTH, 1.0, 5.0, value=VersionInfo("1.2.0"))
    assert status_of(result)[0] is EnvStatus.UNKNOWN


@pytest.mark.parametrize("word", ["unhealthy", "down", "error", "failed", "critical", "red"])
def test_unhealthy_words_are_unhealthy(word: str) -> None:
    assert status_of(health(word)) == (EnvStatus.UNHEALTHY, f"application reports {word}")


def test_unhealthy_reason_names_the_bad_components() -> None:
    parts = (ComponentHealth("database", "unhealthy"), ComponentHealth("api", "healthy"))
    assert status_of(health("unhealthy", parts)) == (
        EnvStatus.UNHEALTHY,
        "application reports unhealthy (database unhealthy)",
    )


@pytest.mark.parametrize("word", ["healthy", "ok", "up", "pass", "green"])
def test_healthy_words_with_nothing_wrong_are_healthy(word: str) -> None:
    assert status_of(health(word)) == (EnvStatus.HEALTHY, "all checks pass")


@pytest.mark.parametrize("word", ["degraded", "maintenance", "unknown", "starting"])
def test_an_unknown_word_is_degraded(word: str) -> None:
    assert status_of(health(word)) == (EnvStatus.DEGRADED, f"application reports {word!r}")


def test_healthy_app_with_a_bad_health_component_is_degraded() -> None:
    parts = (ComponentHealth("database", "unhealthy"), ComponentHealth("ui", "degraded"))
    assert status_of(health("healthy", parts)) == (
        EnvStatus.DEGRADED,
        "not healthy: database unhealthy, ui degraded",
    )


@pytest.mark.parametrize("neutral", ["unknown", "idle", "disabled", "standby"])
def test_neutral_component_states_do_not_degrade(neutral: str) -> None:
    parts = (ComponentHealth("authentication", neutral), *GOOD_PARTS)
    assert status_of(health("healthy", parts))[0] is EnvStatus.HEALTHY


def test_bad_part_of_the_components_document_is_degraded() -> None:
    components = ComponentsStatus(
        orchestrator_status="active",
        entity_managers=(NamedStatus("teams", "healthy"), NamedStatus("users", "failed")),
        services=(NamedStatus("emailService", "unhealthy"),),
        repositories_status="healthy",
    )
    assert status_of(health(), components) == (
        EnvStatus.DEGRADED,
        "not healthy: users failed, emailService unhealthy",
    )


def test_inactive_orchestrator_is_degraded() -> None:
    components = ComponentsStatus(orchestrator_status="stopped")
    assert status_of(health(), components) == (
        EnvStatus.DEGRADED,
        "not healthy: orchestrator stopped",
    )


def test_good_components_document_keeps_it_healthy() -> None:
    components = ComponentsStatus("active", 25, (NamedStatus("teams", "healthy"),), (), "healthy")
    assert status_of(health(), components)[0] is EnvStatus.HEALTHY


def test_reason_lists_at_most_four_bad_parts() -> None:
    parts = tuple(ComponentHealth(f"part{i}", "down") for i in range(6))
    _, reason = status_of(health("healthy", parts))
    assert reason == "not healthy: part0 down, part1 down, part2 down, part3 down"


def test_error_rate_over_threshold_is_degraded() -> None:
    assert status_of(health(), metrics=Metrics(error_rate=0.08)) == (
        EnvStatus.DEGRADED,
        "error rate 8.0% above 5%",
    )


def test_error_rate_at_the_threshold_is_still_healthy() -> None:
    assert status_of(health(), metrics=Metrics(error_rate=0.05))[0] is EnvStatus.HEALTHY


def test_response_time_over_threshold_is_degraded() -> None:
    assert status_of(health(), metrics=Metrics(response_time_ms=850.0)) == (
        EnvStatus.DEGRADED,
        "response time 850ms above 500ms",
    )


def test_seed_baseline_metrics_are_healthy() -> None:
    # Seed 000 §6.1: 180ms average, 0.02% errors.
    metrics = Metrics(response_time_ms=180.0, error_rate=0.0002)
    assert status_of(health(), metrics=metrics) == (EnvStatus.HEALTHY, "all checks pass")


def test_thresholds_come_from_config() -> None:
    strict = Thresholds(error_rate=0.01, response_time_p95_ms=100.0)
    result = derive_status(health(), None, Metrics(response_time_ms=180.0), strict)
    assert result == (EnvStatus.DEGRADED, "response time 180ms above 100ms")


def test_components_are_judged_before_metrics() -> None:
    parts = (ComponentHealth("database", "down"),)
    status, reason = status_of(health("healthy", parts), metrics=Metrics(error_rate=0.5))
    assert (status, reason) == (EnvStatus.DEGRADED, "not healthy: database down")
