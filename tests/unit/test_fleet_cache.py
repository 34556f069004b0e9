"""FleetState derives an environment's merged metrics and status once per result: the monitor
asks after every result and the view asks again; a newer result is seen at once."""

from __future__ import annotations

import pytest

from umig_tui.models import Endpoint, EnvStatus, Metrics, MetricsSnapshot
from umig_tui.state.fleet import FleetState

from .test_fleet import TIMEOUT, fleet, result, snapshot


def count_merges(monkeypatch: pytest.MonkeyPatch, state: FleetState) -> list[str]:
    merged: list[str] = []
    original = state._merged_metrics

    def counting(env: str) -> Metrics:
        merged.append(env)
        return original(env)

    monkeypatch.setattr(state, "_merged_metrics", counting)
    return merged


def test_status_and_view_after_one_result_merge_the_metrics_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    state = fleet()
    merges = count_merges(monkeypatch, state)
    state.apply(result(Endpoint.HEALTH, 900.0, snapshot(error_rate=0.01)))
    assert state.status("production")[0] is EnvStatus.HEALTHY
    state.status("production")
    view = state.view("production")
    assert view.metrics.error_rate == 0.01
    assert merges == ["production"]


def test_a_newer_result_changes_the_status_and_metrics_at_once() -> None:
    state = fleet()
    state.apply(result(Endpoint.HEALTH, 900.0, snapshot(error_rate=0.01)))
    assert state.status("production")[0] is EnvStatus.HEALTHY
    prom = MetricsSnapshot((), Metrics(error_rate=0.5))
    state.apply(result(Endpoint.METRICS, 901.0, prom))
    assert state.metrics("production").error_rate == 0.5
    assert state.status("production")[0] is EnvStatus.DEGRADED
    state.apply(result(Endpoint.HEALTH, 902.0, error=TIMEOUT))
    assert state.status("production")[0] is EnvStatus.UNREACHABLE
    assert state.view("production").status is EnvStatus.UNREACHABLE


def test_a_late_result_changes_nothing_derived() -> None:
    state = fleet()
    state.apply(result(Endpoint.HEALTH, 900.0, snapshot(error_rate=0.01)))
    before = state.status("production")
    assert not state.apply(result(Endpoint.HEALTH, 800.0, error=TIMEOUT))
    assert state.status("production") == before
