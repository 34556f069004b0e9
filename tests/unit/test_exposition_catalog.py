"""The /metrics catalog: every series serve writes is in ``umig_tui.exposition`` and every one
listed is written, with its labels; the series added for a team's dashboards (per-component
versions, schema level, probes, deploy watches, alert states) read back value by value; promtool
finds nothing to say with --base-units.
"""

from __future__ import annotations

import time

import pytest
from msgspec.structs import replace

from tests.unit.test_export_prometheus import (
    FIRING_ALERTS,
    T0,
    Fed,
    by,
    exposition,
    lint,
    ok,
)
from tests.unit.test_export_prometheus import fed as fed  # the fixture: the same fed fleet
from umig_tui import exposition as x
from umig_tui.events import WATCH, Deployment, Event, EventKind
from umig_tui.export.prometheus import ExportState, WatchMark, render
from umig_tui.models import Endpoint, ErrorKind, FetchError, PollResult, VersionInfo


def test_an_empty_fleet_declares_exactly_the_catalog() -> None:
    for base_units in (False, True):
        text = render(ExportState(views=(), base_units=base_units)).decode()
        declared = {line.split()[2] for line in text.splitlines() if line.startswith("# TYPE ")}
        expected = {s.name for s in x.CATALOG} - {
            (x.RESPONSE_TIME_MS if base_units else x.RESPONSE_TIME_SECONDS).name
        }
        assert declared == expected
        for series in x.CATALOG:
            if series.name in declared:
                kind = "counter" if series.kind is x.Kind.COUNTER else "gauge"
                assert f"# TYPE {series.name} {kind}\n" in text


async def test_every_sample_carries_the_catalogs_labels(fed: Fed) -> None:
    _, source = fed
    watch = Deployment(WATCH, "w1", "1.1.2", "1.2.0", stage="monitoring")
    state = replace(
        source.state(), alerts=FIRING_ALERTS, watches={"production": WatchMark(T0, watch)}
    )
    families = exposition(state)
    seen = set()
    for samples in families.values():
        for sample in samples:
            series = x.BY_NAME[sample.name]
            assert tuple(sorted(sample.labels)) == tuple(sorted(series.labels)), sample
            seen.add(series.name)
    # the fixture's fleet reaches nearly every series (what it lacks is named here)
    missing = {s.name for s in x.CATALOG} - seen
    assert missing == {
        x.RESPONSE_TIME_SECONDS.name,  # base units off
        x.API_CALLS.name,
        x.DB_ROUND_TRIP.name,
        x.DEPLOYED_INFO.name,
        x.DATABASE_CHANGESETS.name,
        x.DATABASE_CHANGESET_INFO.name,
        x.ALERT_VALUE.name,  # the fixture's alerts carry no value
    }, missing


async def test_component_versions_and_schema_level_per_environment(fed: Fed) -> None:
    monitor, source = fed
    monitor.apply(
        ok(
            "production",
            T0 + 90,
            VersionInfo(
                version="1.2.0",
                build="b.120",
                api_version="2.3.1",
                database_schema="031",
                changeset_ids=("030_teams", "031_dto_performance_optimization"),
                deployed_by="jenkins",
                deployed_at="2026-12-01T10:00:00Z",
            ),
        )
    )
    families = exposition(source.state())
    versions = by(families["umig_component_version_info"], "environment", "component", "version")
    assert {k for k in versions if k[0] == "production"} == {
        ("production", "umig", "1.2.0"),
        ("production", "api", "2.3.1"),
        ("production", "database", "031"),
    }
    assert ("uat", "ui", "1.0.0") in versions
    assert ("uat", "backend", "1.1.0") in versions
    assert by(families["umig_database_changesets"], "environment") == {("production",): 2.0}
    assert by(families["umig_database_changeset_info"], "environment", "changeset") == {
        ("production", "030_teams"): 1.0,
        ("production", "031_dto_performance_optimization"): 1.0,
    }
    assert by(families["umig_deployed_info"], "environment", "deployed_at", "deployed_by") == {
        ("production", "2026-12-01T10:00:00Z", "jenkins"): 1.0
    }


async def test_probes_say_per_signal_whether_it_answered_how_fast_and_why_not(fed: Fed) -> None:
    monitor, source = fed
    monitor.apply(
        PollResult(
            "uat",
            Endpoint.METRICS,
            T0 + 95,
            None,
            error=FetchError(ErrorKind.AUTH_REQUIRED, "HTTP 401: sign in\x1b[31m", 401),
        )
    )
    families = exposition(source.state())
    success = by(families["umig_probe_success"], "environment", "signal")
    assert success[("production", "health")] == 1.0
    assert success[("production", "metrics")] == 0.0  # the 503
    assert success[("hotfix", "health")] == 0.0
    assert success[("uat", "metrics")] == 0.0
    latency = by(families["umig_probe_latency_seconds"], "environment", "signal")
    assert latency[("production", "health")] == pytest.approx(0.020)
    assert ("hotfix", "health") not in latency  # a timeout has no latency to report
    assert by(families["umig_health_check_failures"], "environment") == {
        ("development",): 0.0,
        ("uat",): 0.0,
        ("production",): 0.0,
        ("hotfix",): 2.0,  # two timeouts in a row
    }
    errors = by(
        families["umig_probe_error_info"], "environment", "signal", "kind", "http_status", "reason"
    )
    assert errors[("production", "metrics", "http_error", "503", "HTTP 503")] == 1.0
    assert errors[("hotfix", "health", "timeout", "", "no answer in 10s")] == 1.0
    (uat,) = [k for k in errors if k[:2] == ("uat", "metrics")]
    assert uat[2:4] == ("auth_required", "401")
    assert "\x1b" not in uat[4]
    assert uat[4].startswith("HTTP 401: sign in")


async def test_deploy_watch_stage_is_one_hot_and_its_verdict_follows_the_newest_event(
    fed: Fed,
) -> None:
    monitor, source = fed
    assert monitor.store is not None
    now = time.time()  # the store is read from a little before the last read on
    # another process's watch, recorded in the same store: refresh() picks it up
    running = Deployment(WATCH, "w7", "1.1.0", "1.3.0", stage="validating")
    await monitor.store.add_event(
        Event(now, "uat", EventKind.DEPLOYMENT, "validating", payload=running)
    )
    await monitor.store.flush()
    await source.refresh()
    families = exposition(source.state())
    stages = by(families["umig_deploy_watch_stage"], "environment", "stage")
    uat = {stage: v for (env, stage), v in stages.items() if env == "uat"}
    assert uat == {stage: float(stage == "validating") for stage in x.DEPLOY_WATCH_STAGES}
    # production's stored watch ended succeeded (the fixture's history): its verdict is kept
    info = by(
        families["umig_deploy_watch_info"],
        "environment", "watch_id", "from_version", "to_version", "verdict", "reason",
    )  # fmt: skip
    assert ("uat", "w7", "1.1.0", "1.3.0", "", "") in info
    assert [k[4] for k in info if k[0] == "production"] == ["succeeded"]
    failed = replace(running, stage="failed", reason="health unhealthy after deploy")
    await monitor.store.add_event(
        Event(now + 1, "uat", EventKind.DEPLOYMENT, "failed", payload=failed)
    )
    await monitor.store.flush()
    await source.refresh()
    families = exposition(source.state())
    stages = by(families["umig_deploy_watch_stage"], "environment", "stage")
    assert stages[("uat", "failed")] == 1.0
    assert stages[("uat", "validating")] == 0.0
    assert by(families["umig_deploy_watch_updated_timestamp_seconds"], "environment")[("uat",)] == (
        now + 1
    )
    info = by(
        families["umig_deploy_watch_info"],
        "environment", "watch_id", "from_version", "to_version", "verdict", "reason",
    )  # fmt: skip
    assert ("uat", "w7", "1.1.0", "1.3.0", "failed", "health unhealthy after deploy") in info


async def test_alert_states_name_rule_environment_severity_and_phase(fed: Fed) -> None:
    _, source = fed
    alerts = (*FIRING_ALERTS[:4], replace(FIRING_ALERTS[0], rule="v", value=0.25))
    families = exposition(replace(source.state(), alerts=alerts))
    states = by(families["umig_alert_state"], "alertname", "environment", "severity", "state")
    assert states == {
        ("a", "production", "CRITICAL", "firing"): 1.0,
        ("b", "hotfix", "CRITICAL", "firing"): 1.0,
        ("c", "uat", "HIGH", "firing"): 1.0,
        ("d", "uat", "MEDIUM", "pending"): 1.0,
        ("v", "production", "CRITICAL", "firing"): 1.0,
    }
    assert (
        by(families["umig_alert_since_timestamp_seconds"], "alertname", "environment")[("d", "uat")]
        == T0
    )
    assert by(families["umig_alert_value"], "alertname", "environment") == {
        ("v", "production"): 0.25
    }


async def test_promtool_accepts_everything_serve_exposes_with_base_units(fed: Fed) -> None:
    monitor, source = fed
    monitor.apply(ok("production", T0 + 90, VersionInfo(version="1.2.0", changeset_ids=("030_a",))))
    watch = Deployment(WATCH, "w1", "1.1.2", "1.2.0", stage="failed", reason="r")
    state = replace(
        source.state(),
        alerts=FIRING_ALERTS,
        base_units=True,
        watches={"production": WatchMark(T0, watch)},
    )
    assert lint(render(state)) == (0, [])
