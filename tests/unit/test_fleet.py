"""FleetState: newest result per env/endpoint, last good, merged views, staleness, JSON shape."""

from __future__ import annotations

from umig_tui.analysis.drift import DriftKind
from umig_tui.config import Config, Environment, Polling
from umig_tui.models import (
    ComponentHealth,
    ComponentsStatus,
    Document,
    Endpoint,
    EnvStatus,
    ErrorKind,
    FetchError,
    HealthSnapshot,
    Metrics,
    MetricsSnapshot,
    PollResult,
    Tier,
    VersionInfo,
    VersionRow,
)
from umig_tui.state.fleet import FleetState

CONFIG = Config(
    environments=(
        Environment("uat", "https://uat.example.com", Tier.UAT),
        Environment("production", "https://prod.example.com", Tier.PRODUCTION),
    ),
    polling=Polling(health=30.0),
)
TIMEOUT = FetchError(ErrorKind.TIMEOUT, "no answer in 10s")


class Clock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def fleet(clock: Clock | None = None) -> FleetState:
    return FleetState(CONFIG, clock=clock or Clock())


def result(
    endpoint: Endpoint,
    ts: float,
    value: Document | None = None,
    error: FetchError | None = None,
    env: str = "production",
) -> PollResult:
    return PollResult(env, endpoint, ts, 25.0 if error is None else None, value=value, error=error)


def snapshot(version: str | None = "1.1.2", **metrics: float) -> HealthSnapshot:
    return HealthSnapshot(
        "healthy",
        version,
        uptime="5d 7h 45m",
        uptime_seconds=459900.0,
        components=(ComponentHealth("database", "healthy", schema_version="030"),),
        metrics=Metrics(**metrics),
    )


def test_apply_keeps_the_newest_result() -> None:
    state = fleet()
    first, second = (
        result(Endpoint.HEALTH, 10.0, snapshot()),
        result(Endpoint.HEALTH, 20.0, snapshot()),
    )
    assert state.apply(first)
    assert state.apply(second)
    assert state.latest("production", Endpoint.HEALTH) is second


def test_late_older_result_is_ignored() -> None:
    state = fleet()
    newer = result(Endpoint.HEALTH, 20.0, error=TIMEOUT)
    state.apply(newer)
    assert not state.apply(result(Endpoint.HEALTH, 15.0, snapshot()))
    assert state.latest("production", Endpoint.HEALTH) is newer
    assert state.last_good("production", Endpoint.HEALTH) is None


def test_results_for_unknown_environments_are_ignored() -> None:
    state = fleet()
    assert not state.apply(result(Endpoint.HEALTH, 1.0, snapshot(), env="staging"))
    assert state.names == ["uat", "production"]


def test_endpoints_are_tracked_separately() -> None:
    state = fleet()
    state.apply(result(Endpoint.HEALTH, 20.0, snapshot()))
    assert state.apply(result(Endpoint.VERSION, 10.0, VersionInfo("1.1.2")))
    assert state.latest("production", Endpoint.VERSION) is not None


def test_last_good_survives_a_later_error() -> None:
    state = fleet()
    good = result(Endpoint.HEALTH, 10.0, snapshot())
    state.apply(good)
    state.apply(result(Endpoint.HEALTH, 20.0, error=TIMEOUT))
    assert state.last_good("production", Endpoint.HEALTH) is good
    view = state.view("production")
    assert view.status is EnvStatus.UNREACHABLE
    assert view.error == TIMEOUT
    assert view.version == "1.1.2"  # still shown from the last good document
    assert view.uptime == "5d 7h 45m"


def test_version_matrix_uses_the_version_endpoint_first() -> None:
    state = fleet()
    info = VersionInfo(
        "1.1.2",
        database_schema="030",
        api_version="2.3.0",
        ui_version="1.1.2",
        backend_version="1.1.2",
    )
    state.apply(result(Endpoint.VERSION, 10.0, info))
    state.apply(result(Endpoint.HEALTH, 10.0, snapshot(version="9.9.9")))
    assert state.versions("production") == VersionRow("1.1.2", "030", "2.3.0", "1.1.2", "1.1.2")


def test_version_matrix_falls_back_to_health_then_metrics() -> None:
    state = fleet()
    state.apply(result(Endpoint.HEALTH, 10.0, snapshot(version="1.1.2")))
    # The database column: the health document's database schemaVersion.
    assert state.versions("production") == VersionRow(umig="1.1.2", database="030")
    state.apply(result(Endpoint.HEALTH, 20.0, snapshot(version=None)))
    state.apply(result(Endpoint.METRICS, 20.0, MetricsSnapshot((), Metrics(), version="1.1.3")))
    assert state.versions("production").umig == "1.1.3"
    assert state.version_matrix()["uat"] == VersionRow()


def test_metrics_merge_prefers_the_newest_source_per_field() -> None:
    state = fleet()
    state.apply(result(Endpoint.HEALTH, 10.0, snapshot(error_rate=0.01, active_users=40.0)))
    prom = MetricsSnapshot((), Metrics(error_rate=0.03, response_time_ms=180.0))
    state.apply(result(Endpoint.METRICS, 20.0, prom))
    merged = state.metrics("production")
    assert merged.error_rate == 0.03  # newer Prometheus text wins
    assert merged.active_users == 40.0  # only the health document has it
    assert merged.response_time_ms == 180.0
    state.apply(result(Endpoint.HEALTH, 30.0, snapshot(error_rate=0.02)))
    merged = state.metrics("production")
    assert merged.error_rate == 0.02  # now the health document is newer
    assert merged.active_users is None  # the newest health document no longer reports it


def test_newest_of_takes_each_field_from_the_newest_source_reporting_it() -> None:
    newest = Metrics(error_rate=0.5)
    middle = Metrics(error_rate=0.1, uptime_seconds=60.0)
    oldest = Metrics(error_rate=0.2, uptime_seconds=30.0, active_users=7.0)
    assert Metrics.newest_of([newest, middle, oldest]) == Metrics(
        error_rate=0.5, uptime_seconds=60.0, active_users=7.0
    )
    assert Metrics.newest_of([]) == Metrics()
    assert Metrics.newest_of([middle]) is middle
    full = Metrics(*range(len(Metrics.__struct_fields__)))
    assert Metrics.newest_of([full, oldest]) == full  # nothing left to fill: no further look


def test_metrics_over_threshold_degrade_the_view() -> None:
    state = fleet()
    state.apply(result(Endpoint.HEALTH, 10.0, snapshot()))
    state.apply(result(Endpoint.METRICS, 20.0, MetricsSnapshot((), Metrics(error_rate=0.2))))
    view = state.view("production")
    assert view.status is EnvStatus.DEGRADED
    assert view.reason.startswith("error rate 20.0%")


def test_view_is_stale_after_twice_the_health_interval() -> None:
    clock = Clock(1000.0)
    state = fleet(clock)
    state.apply(result(Endpoint.HEALTH, 1000.0, snapshot()))
    clock.now = 1060.0  # exactly 2 × 30 s
    assert not state.view("production").stale
    clock.now = 1060.5
    assert state.view("production").stale
    assert not state.view("uat").stale  # never polled: unknown, not stale


def test_view_collects_components_and_endpoint_errors() -> None:
    state = fleet()
    state.apply(result(Endpoint.HEALTH, 10.0, snapshot()))
    components = ComponentsStatus(orchestrator_status="active", repositories_status="healthy")
    state.apply(result(Endpoint.COMPONENTS, 10.0, components))
    state.apply(
        result(Endpoint.VERSION, 10.0, error=FetchError(ErrorKind.HTTP_ERROR, "HTTP 502", 502))
    )
    view = state.view("production")
    assert view.components == {
        "database": "healthy",
        "orchestrator": "active",
        "repositories": "healthy",
    }
    assert view.component_score == 1.0
    assert view.endpoint_errors == {"version": FetchError(ErrorKind.HTTP_ERROR, "HTTP 502", 502)}
    assert view.status is EnvStatus.HEALTHY


def test_to_json_has_the_documented_status_keys() -> None:
    state = fleet()
    state.apply(result(Endpoint.HEALTH, 10.0, snapshot(response_time_ms=180.0)))
    state.apply(
        PollResult(
            "uat",
            Endpoint.HEALTH,
            10.0,
            None,
            error=FetchError(ErrorKind.HTTP_ERROR, "HTTP 503", 503),
        )
    )
    uat, prod = (view.to_json() for view in state.views())
    documented = {
        "name",
        "tier",
        "status",
        "version",
        "uptime",
        "latency_ms",
        "error",
        "components",
        "metrics",
    }
    assert documented <= prod.keys()
    assert (prod["name"], prod["tier"], prod["status"]) == ("production", "production", "healthy")
    assert (prod["version"], prod["uptime"], prod["latency_ms"]) == ("1.1.2", "5d 7h 45m", 25.0)
    assert prod["error"] is None
    assert prod["components"] == {"database": "healthy"}
    assert prod["metrics"]["response_time_ms"] == 180.0
    assert set(prod["metrics"]) == set(Metrics().as_dict())
    assert uat["status"] == "unreachable"
    assert uat["error"] == {"kind": "http_error", "reason": "HTTP 503", "http_status": 503}
    assert uat["version"] is None


def test_drift_uses_the_configured_tiers_and_expected_matrix() -> None:
    config = Config(CONFIG.environments, expected={"production": {"umig": "1.2.0"}})
    state = FleetState(config, clock=Clock())
    state.apply(result(Endpoint.VERSION, 1.0, VersionInfo("1.1.0"), env="uat"))
    state.apply(result(Endpoint.VERSION, 1.0, VersionInfo("1.1.2")))
    kinds = [(f.kind, f.environment) for f in state.drift()]
    assert kinds == [
        (DriftKind.EXPECTED_MISMATCH, "production"),
        (DriftKind.PROMOTION_ORDER, "uat"),
    ]


def test_summary_reports_the_worst_status_and_counts() -> None:
    state = fleet()
    state.apply(result(Endpoint.HEALTH, 10.0, snapshot()))
    summary = state.summary()
    assert summary.worst is EnvStatus.UNKNOWN  # uat has not answered yet
    assert summary.counts == {EnvStatus.HEALTHY: 1, EnvStatus.UNKNOWN: 1}
    state.apply(result(Endpoint.HEALTH, 10.0, error=TIMEOUT, env="uat"))
    assert state.summary().worst is EnvStatus.UNREACHABLE
    assert state.summary().total == 2
