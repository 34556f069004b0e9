"""The Prometheus export: a fleet with known poll results, its exposition parsed back with
prometheus_client's own parser and checked value by value; label escaping; base units; promtool.

The fleet goes through the real Monitor (results in, status and version events out) and the real
ExportSource (counters from the store's timeline and from the Monitor's changes).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import AsyncIterator, Iterable
from pathlib import Path

import pytest
from msgspec.structs import replace
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from umig_tui.analysis.alert_rules import AlertPhase, AlertState
from umig_tui.config import Config, Environment, Polling
from umig_tui.events import POLLER, WATCH, Deployment, Event, EventKind, StatusChange
from umig_tui.export.prometheus import CONTENT_TYPE, ExportState, render
from umig_tui.export.prometheus_source import ExportSource
from umig_tui.models import (
    ComponentHealth,
    ComponentsStatus,
    Endpoint,
    EnvStatus,
    ErrorKind,
    FetchError,
    HealthSnapshot,
    Metrics,
    PollResult,
    Severity,
    Tier,
    VersionInfo,
)
from umig_tui.service.monitor import Monitor
from umig_tui.service.runtime import open_monitor
from umig_tui.state.fleet import EnvView

Fed = tuple[Monitor, ExportSource]

T0 = 1_750_000_000.0
ENVS = ("development", "uat", "production", "hotfix", "uat-b")
CONFIG = Config(
    environments=(
        Environment("development", "http://127.0.0.1:9/dev", Tier.DEVELOPMENT),
        Environment("uat", "http://127.0.0.1:9/uat", Tier.UAT),
        Environment("production", "http://127.0.0.1:9/prod", Tier.PRODUCTION),
        Environment("hotfix", "http://127.0.0.1:9/hotfix", Tier.HOTFIX),
        Environment("uat-b", "http://127.0.0.1:9/uat-b", Tier.UAT),  # never answers: unknown
    ),
    polling=Polling(health=30.0),
)
TIMEOUT = FetchError(ErrorKind.TIMEOUT, "no answer in 10s")
HTTP_503 = FetchError(ErrorKind.HTTP_ERROR, "HTTP 503", http_status=503)


def health(
    version: str,
    *,
    status: str = "healthy",
    uptime: float,
    response: float,
    errors: float,
    users: float,
    connections: float,
    components: Iterable[tuple[str, str]] = (("database", "healthy"), ("api", "healthy")),
) -> HealthSnapshot:
    return HealthSnapshot(
        status,
        version,
        uptime="some time",
        components=tuple(ComponentHealth(name, word) for name, word in components),
        metrics=Metrics(
            response_time_ms=response,
            error_rate=errors,
            active_users=users,
            db_connections=connections,
            uptime_seconds=uptime,
        ),
    )


def ok(env: str, ts: float, value: HealthSnapshot | VersionInfo | ComponentsStatus) -> PollResult:
    endpoint = {
        HealthSnapshot: Endpoint.HEALTH,
        VersionInfo: Endpoint.VERSION,
        ComponentsStatus: Endpoint.COMPONENTS,
    }[type(value)]
    return PollResult(env, endpoint, ts, 20.0, value=value)


def failed(env: str, endpoint: Endpoint, ts: float, error: FetchError) -> PollResult:
    return PollResult(env, endpoint, ts, None, error=error)


def watched(stage: str) -> Deployment:
    return Deployment(WATCH, stage=stage)


# What the store's timeline already holds when the exporter starts (the counter's history).
STORED_EVENTS = (
    Event(T0 - 900, "production", EventKind.DEPLOYMENT, "watch", payload=watched("waiting")),
    Event(T0 - 800, "production", EventKind.DEPLOYMENT, "watch", payload=watched("succeeded")),
    Event(T0 - 700, "uat", EventKind.DEPLOYMENT, "watch", payload=watched("failed")),
    Event(T0 - 600, "uat", EventKind.DEPLOYMENT, "watch", payload=watched("timed_out")),
    Event(T0 - 500, "development", EventKind.DEPLOYMENT, "seen", payload=Deployment(POLLER)),
    Event(T0 - 400, "hotfix", EventKind.ROLLBACK, "back", severity="high"),
    Event(
        T0 - 300,
        "production",
        EventKind.STATUS_CHANGE,
        "flip",
        payload=StatusChange("healthy", "degraded"),
    ),
)

# Poll results, oldest first, as the poller would deliver them.
RESULTS = (
    # production: 1.1.2, then 1.2.0 (a deployment the poller sees), healthy, metrics down once
    ok(
        "production",
        T0,
        health("1.1.2", uptime=100.0, response=150.0, errors=0.001, users=400, connections=10),
    ),
    ok("production", T0 + 1, VersionInfo(version="1.1.2", build="b.112")),
    ok(
        "production",
        T0 + 30,
        health("1.2.0", uptime=458700.0, response=172.5, errors=0.002, users=404, connections=11),
    ),
    ok("production", T0 + 31, VersionInfo(version="1.2.0", build="b.120", api_version="2.3.1")),
    ok(
        "production",
        T0 + 32,
        ComponentsStatus(orchestrator_status="running", repositories_status="active"),
    ),
    failed("production", Endpoint.METRICS, T0 + 33, HTTP_503),
    # uat: 1.2.0, then back to 1.1.0 (a rollback); ui still loading (degraded); ui version behind
    ok(
        "uat",
        T0,
        health("1.2.0", uptime=50.0, response=190.0, errors=0.004, users=30, connections=9),
    ),
    ok(
        "uat",
        T0 + 30,
        health(
            "1.1.0",
            uptime=94500.0,
            response=188.25,
            errors=0.008,
            users=32,
            connections=9,
            components=(("api", "active"), ("ui", "loading")),
        ),
    ),
    ok(
        "uat",
        T0 + 31,
        VersionInfo(version="1.1.0", build="rc.2", ui_version="1.0.0", backend_version="1.1.0"),
    ),
    # development: a new major, its backend a patch ahead of it
    ok(
        "development",
        T0 + 30,
        health("2.0.0-dev", uptime=9900.0, response=161.25, errors=0.0125, users=13, connections=3),
    ),
    ok(
        "development",
        T0 + 31,
        VersionInfo(
            version="2.0.0-dev", build="ci.7", ui_version="2.0.0-dev", backend_version="2.0.1-dev"
        ),
    ),
    failed(
        "development", Endpoint.COMPONENTS, T0 + 32, FetchError(ErrorKind.CONNECT_ERROR, "refused")
    ),
    # hotfix: answered once (a release candidate behind production), then timed out twice
    ok(
        "hotfix",
        T0,
        health("1.2.0-rc.1", uptime=20700.0, response=174.0, errors=0.002, users=5, connections=3),
    ),
    ok("hotfix", T0 + 1, VersionInfo(version="1.2.0-rc.1", build="hotfix.1")),
    failed("hotfix", Endpoint.HEALTH, T0 + 30, TIMEOUT),
    failed("hotfix", Endpoint.HEALTH, T0 + 60, TIMEOUT),
)

FIRING_ALERTS = (
    AlertState("a", "production", AlertPhase.FIRING, Severity.CRITICAL, T0, fired_at=T0),
    AlertState("b", "hotfix", AlertPhase.FIRING, Severity.CRITICAL, T0, fired_at=T0),
    AlertState("c", "uat", AlertPhase.FIRING, Severity.HIGH, T0, fired_at=T0),
    AlertState("d", "uat", AlertPhase.PENDING, Severity.MEDIUM, T0),  # not firing yet
    AlertState("e", "development", AlertPhase.RESOLVED, Severity.LOW, T0, resolved_at=T0),
)


@pytest.fixture
async def fed(tmp_path: Path) -> AsyncIterator[tuple[Monitor, ExportSource]]:
    """A Monitor fed RESULTS (nothing is fetched), its store holding STORED_EVENTS."""
    monitor = await open_monitor(
        CONFIG, environ={}, store_path=tmp_path / "samples.db", endpoints=(Endpoint.HEALTH,)
    )
    try:
        assert monitor.store is not None
        for event in STORED_EVENTS:
            await monitor.store.add_event(event)
        source = ExportSource(monitor)
        await source.load()
        for result in RESULTS:
            monitor.apply(result)
        yield monitor, source
    finally:
        await monitor.aclose()


def parse(text: str) -> dict[str, list[Sample]]:
    """Family name (as the parser names it) → samples, each name seen once."""
    families: dict[str, list[Sample]] = {}
    for family in text_string_to_metric_families(text):
        assert family.name not in families, f"{family.name} twice"
        families[family.name] = list(family.samples)
    return families


def by(samples: list[Sample], *labels: str) -> dict[tuple[str, ...], float]:
    """Sample values keyed by the given labels' values (each key once)."""
    out: dict[tuple[str, ...], float] = {}
    for sample in samples:
        key = tuple(sample.labels[label] for label in labels)
        assert key not in out, f"{sample.name}{key} twice"
        out[key] = sample.value
    return out


def exposition(state: ExportState) -> dict[str, list[Sample]]:
    return parse(render(state).decode("utf-8"))


async def test_versions_and_builds_are_one_info_sample_per_answering_environment(fed: Fed) -> None:
    _, source = fed
    families = exposition(source.state())
    info = families["umig_version_info"]
    assert {s.name for s in info} == {"umig_version_info"}
    assert by(info, "environment", "version", "build") == {
        ("development", "2.0.0-dev", "ci.7"): 1.0,
        ("uat", "1.1.0", "rc.2"): 1.0,
        ("production", "1.2.0", "b.120"): 1.0,
        # unreachable now, but its last good answers still say what it runs
        ("hotfix", "1.2.0-rc.1", "hotfix.1"): 1.0,
    }


async def test_health_is_1_only_when_healthy_and_absent_before_the_first_answer(fed: Fed) -> None:
    _, source = fed
    families = exposition(source.state())
    assert by(families["umig_health_status"], "environment") == {
        ("development",): 1.0,
        ("uat",): 0.0,  # degraded: the ui component is loading
        ("production",): 1.0,
        ("hotfix",): 0.0,  # unreachable
    }
    status = by(families["umig_environment_status"], "environment", "status")
    assert len(status) == len(ENVS) * len(EnvStatus)
    current = {env: word for (env, word), value in status.items() if value == 1.0}
    assert current == {
        "development": "healthy",
        "uat": "degraded",
        "production": "healthy",
        "hotfix": "unreachable",
        "uat-b": "unknown",
    }
    assert sum(status.values()) == len(ENVS)


async def test_uptime_and_performance_come_from_the_newest_answers(fed: Fed) -> None:
    _, source = fed
    families = exposition(source.state())
    # An unreachable environment's last figures are old news: it exports none.
    assert by(families["umig_uptime_seconds"], "environment") == {
        ("development",): 9900.0,
        ("uat",): 94500.0,
        ("production",): 458700.0,
    }
    assert by(families["umig_api_response_time_ms"], "environment") == {
        ("development",): 161.25,
        ("uat",): 188.25,
        ("production",): 172.5,
    }
    assert by(families["umig_api_error_rate"], "environment") == {
        ("development",): 0.0125,
        ("uat",): 0.008,
        ("production",): 0.002,
    }
    assert by(families["umig_active_users"], "environment") == {
        ("development",): 13.0,
        ("uat",): 32.0,
        ("production",): 404.0,
    }
    assert by(families["umig_database_connections"], "environment") == {
        ("development",): 3.0,
        ("uat",): 9.0,
        ("production",): 11.0,
    }
    assert "umig_api_response_time_seconds" not in families


async def test_last_poll_is_the_newest_health_answer_or_failure(fed: Fed) -> None:
    _, source = fed
    families = exposition(source.state())
    assert by(families["umig_last_poll_timestamp_seconds"], "environment") == {
        ("development",): T0 + 30,
        ("uat",): T0 + 30,
        ("production",): T0 + 30,
        ("hotfix",): T0 + 60,
    }


async def test_component_health_counts_the_words_that_keep_an_environment_healthy(fed: Fed) -> None:
    _, source = fed
    families = exposition(source.state())
    assert by(families["umig_component_health"], "environment", "component") == {
        ("development", "database"): 1.0,
        ("development", "api"): 1.0,
        ("uat", "api"): 1.0,  # active
        ("uat", "ui"): 0.0,  # loading
        ("production", "database"): 1.0,
        ("production", "api"): 1.0,
        ("production", "orchestrator"): 1.0,  # running: production is healthy with it
        ("production", "repositories"): 1.0,
        ("hotfix", "database"): 1.0,
        ("hotfix", "api"): 1.0,
    }


async def test_drift_findings_are_counted_by_environment_component_and_severity(fed: Fed) -> None:
    monitor, source = fed
    families = exposition(source.state())
    drift = by(families["umig_version_drift"], "environment", "component", "severity")
    assert drift == {
        ("development", "umig", "CRITICAL"): 1.0,  # major 2 while production runs 1
        ("development", "backend", "MEDIUM"): 1.0,  # a patch ahead of the app
        ("uat", "umig", "HIGH"): 1.0,  # production (1.2.0) is ahead of UAT (1.1.0)
        ("uat", "ui", "HIGH"): 1.0,  # ui 1.0.0 under app 1.1.0
        ("hotfix", "umig", "LOW"): 1.0,  # the release candidate of production's version
    }
    assert sum(drift.values()) == len(monitor.fleet.drift())


def test_two_findings_on_one_cell_count_twice() -> None:
    from umig_tui.analysis.drift import DriftFinding, DriftKind

    finding = DriftFinding(DriftKind.COMPONENT_DRIFT, Severity.HIGH, "uat", "ui", "1", "2", "m")
    families = exposition(ExportState(views=(), findings=(finding, replace(finding, message="n"))))
    assert by(families["umig_version_drift"], "environment", "component", "severity") == {
        ("uat", "ui", "HIGH"): 2.0
    }


async def test_alerts_firing_by_severity_ignore_pending_and_resolved(fed: Fed) -> None:
    _, source = fed
    state = replace(source.state(), alerts=FIRING_ALERTS)
    assert by(exposition(state)["umig_alerts_firing"], "severity") == {
        ("LOW",): 0.0,
        ("MEDIUM",): 0.0,
        ("HIGH",): 1.0,
        ("CRITICAL",): 2.0,
    }
    assert sum(by(exposition(source.state())["umig_alerts_firing"], "severity").values()) == 0


async def test_poll_errors_are_counters_by_environment_and_kind(fed: Fed) -> None:
    _, source = fed
    samples = exposition(source.state())["umig_poll_errors"]
    assert {s.name for s in samples} == {"umig_poll_errors_total"}
    assert by(samples, "environment", "kind") == {
        ("hotfix", "timeout"): 2.0,
        ("production", "http_error"): 1.0,
        ("development", "connect_error"): 1.0,
    }


async def test_deployments_count_the_stored_history_and_what_the_poller_sees(fed: Fed) -> None:
    monitor, source = fed
    samples = exposition(source.state())["umig_deployments"]
    assert {s.name for s in samples} == {"umig_deployments_total"}
    assert by(samples, "environment", "status") == {
        ("production", "succeeded"): 1.0,  # the watch's "waiting" stage is no outcome
        ("production", "detected"): 1.0,  # 1.1.2 → 1.2.0 while exporting
        ("uat", "failed"): 1.0,
        ("uat", "timed_out"): 1.0,
        ("uat", "rolled_back"): 1.0,  # 1.2.0 → 1.1.0 while exporting
        ("development", "detected"): 1.0,
        ("hotfix", "rolled_back"): 1.0,
    }
    # the live ones are the Monitor's own events, not invented by the exporter
    assert monitor.store is not None
    await monitor.store.flush()
    kinds = [str(EventKind.DEPLOYMENT), str(EventKind.ROLLBACK)]
    assert len(await monitor.store.events(kinds=kinds)) == len(STORED_EVENTS) - 1 + 2


async def test_base_units_export_seconds_instead_of_milliseconds(fed: Fed) -> None:
    _, source = fed
    source.base_units = True
    families = exposition(source.state())
    assert "umig_api_response_time_ms" not in families
    seconds = by(families["umig_api_response_time_seconds"], "environment")
    assert seconds == {
        ("development",): pytest.approx(0.16125),
        ("uat",): pytest.approx(0.18825),
        ("production",): pytest.approx(0.1725),
    }
    text = render(source.state()).decode()
    assert "# TYPE umig_api_response_time_seconds gauge" in text
    assert "in seconds" in text


def hostile_view(name: str, version: str, build: str, component: str) -> EnvView:
    return EnvView(
        name=name,
        tier=Tier.UAT,
        status=EnvStatus.HEALTHY,
        reason="all checks pass",
        version=version,
        build=build,
        components={component: "healthy"},
        metrics=Metrics(response_time_ms=1.0),
    )


HOSTILE = (
    'say "hi"',
    "back\\slash",
    "two\nlines",
    'a literal \\n and \\" and \\\\',
    "end with backslash\\",
    "tab\tand é and \u2028",
)


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_label_values_are_escaped_and_parse_back(text: str) -> None:
    view = hostile_view(f"env {text}", f"1.0 {text}", text, f"comp {text}")
    raw = render(ExportState(views=(view,))).decode("utf-8")
    # One sample per line: a raw newline would start a line that is no sample.
    for line in raw.rstrip("\n").split("\n"):
        assert line.startswith(("# HELP ", "# TYPE ", "umig_")), repr(line)
    families = parse(raw)
    assert by(families["umig_version_info"], "environment", "version", "build") == {
        (f"env {text}", f"1.0 {text}", text): 1.0
    }
    assert by(families["umig_component_health"], "environment", "component") == {
        (f"env {text}", f"comp {text}"): 1.0
    }
    assert by(families["umig_api_response_time_ms"], "environment") == {(f"env {text}",): 1.0}


def test_escapes_are_the_exposition_formats() -> None:
    raw = render(ExportState(views=(hostile_view('q"b\\n\nx', "v", "b", "c"),))).decode()
    assert 'environment="q\\"b\\\\n\\nx"' in raw


def test_an_empty_fleet_still_declares_every_family() -> None:
    text = render(ExportState(views=())).decode()
    for name in (
        "umig_version_info",
        "umig_health_status",
        "umig_environment_status",
        "umig_uptime_seconds",
        "umig_last_poll_timestamp_seconds",
        "umig_api_response_time_ms",
        "umig_api_error_rate",
        "umig_active_users",
        "umig_database_connections",
        "umig_component_health",
        "umig_version_drift",
        "umig_alerts_firing",
        "umig_poll_errors_total",
        "umig_deployments_total",
    ):
        assert f"# TYPE {name} " in text, name
    assert CONTENT_TYPE.startswith("text/plain; version=0.0.4")


# -- promtool -------------------------------------------------------------------------------

ABBREVIATED = "umig_api_response_time_ms metric names should not contain abbreviated units"


def promtool() -> str:
    found = shutil.which("promtool") or (
        "/usr/bin/promtool" if Path("/usr/bin/promtool").exists() else None
    )
    if found is None:
        pytest.skip(
            "promtool is not installed (Debian package `prometheus`); "
            "`apt-get install prometheus` or run .ci/run as root"
        )
    return found


def lint(text: bytes) -> tuple[int, list[str]]:
    """``promtool check metrics`` on ``text``: (exit code, every problem line)."""
    proc = subprocess.run(
        [promtool(), "check", "metrics"], input=text, capture_output=True, timeout=30, check=False
    )
    output = (proc.stdout + proc.stderr).decode("utf-8", "replace")
    return proc.returncode, [line.strip() for line in output.splitlines() if line.strip()]


async def test_promtool_accepts_the_base_units_exposition(fed: Fed) -> None:
    _, source = fed
    state = replace(source.state(), alerts=FIRING_ALERTS, base_units=True)
    assert lint(render(state)) == (0, [])


async def test_promtool_only_flags_the_seeds_millisecond_name(fed: Fed) -> None:
    _, source = fed
    code, problems = lint(render(replace(source.state(), alerts=FIRING_ALERTS)))
    assert problems == [ABBREVIATED]
    assert code != 0
