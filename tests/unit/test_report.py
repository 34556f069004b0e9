"""The daily report, the incident snapshot, the timeline and the post-mortem, pinned by golden files.

A store filled deterministically (a day and a half of health polls with known response times and
failures, a story of deploys, status flips and alerts), a seed-format history file, a Monitor
whose FleetState is fed fixed poll results, a frozen clock and TZ=UTC: gather_* then render_*
must give exactly the files in tests/golden/. ``UPDATE_GOLDEN=1`` rewrites them (review the diff).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from msgspec.structs import replace

from tests.generated_store import DAY, HOUR, STEP, EnvHistory, Stretch, build
from umig_tui.analysis.alert_rules import AlertPhase, AlertState
from umig_tui.analysis.stats import WindowStats
from umig_tui.config import Config, Environment, Polling, StoreSettings
from umig_tui.deploy.history_jsonl import append_record, make_record, parse_lines, summarize
from umig_tui.deploy.timeline import History
from umig_tui.events import POLLER, WATCH, AlertChange, Deployment, Event, EventKind, StatusChange
from umig_tui.export.collect import gather_report, gather_snapshot
from umig_tui.export.report import HealthCounts, ReportData, md, render_report
from umig_tui.export.snapshot import Snapshot, render_postmortem, render_snapshot, render_timeline
from umig_tui.models import (
    ComponentHealth,
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
from umig_tui.state.fleet import EnvView
from umig_tui.store.store import Store

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
NOW = 1_750_003_200  # 2025-06-15 16:00:00 UTC, on the hour
MINUTE = 60


def assert_golden(name: str, text: str) -> None:
    """``text`` equals tests/golden/``name``; with UPDATE_GOLDEN=1 the file is rewritten."""
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="")
        return
    if not path.exists():
        pytest.fail(f"{path} is missing: run with UPDATE_GOLDEN=1 to write it, then review it")
    with open(path, encoding="utf-8", newline="") as handle:  # CRs compared, not translated
        expected = handle.read()
    assert text == expected, f"output differs from {path} (UPDATE_GOLDEN=1 if intended)"


@pytest.fixture(autouse=True)
def utc() -> Iterator[None]:
    """Local-time formatting in UTC, whatever the machine's zone (restored afterwards)."""
    saved = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if saved is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = saved
    time.tzset()


# -- the fixed fleet ---------------------------------------------------------------------------

ENVIRONMENTS = (
    Environment("development", "http://127.0.0.1:9/dev", Tier.DEVELOPMENT),
    Environment("uat", "http://127.0.0.1:9/uat", Tier.UAT),
    Environment("production", "http://127.0.0.1:9/prod", Tier.PRODUCTION),
    Environment("hotfix", "http://127.0.0.1:9/hotfix", Tier.HOTFIX),
)


def _uat_response(t: int) -> float:
    """100 ms at :00, 300 ms at :30 of every minute: average 200, P95 300."""
    return 100.0 if t % MINUTE == 0 else 300.0


def _every_poll(start: int, end: int) -> set[int]:
    return set(range(start, end, STEP))


HOTFIX_DOWN_NOW = _every_poll(NOW - 30 * MINUTE, NOW)  # 60 polls, still down
HOTFIX_DOWN_EARLIER = _every_poll(NOW - 12 * HOUR, NOW - 12 * HOUR + 42 * MINUTE)  # 84 polls
HOTFIX_DOWN_BEFORE_WINDOW = _every_poll(NOW - 30 * HOUR, NOW - 30 * HOUR + 5 * MINUTE)

HISTORIES = {
    "development": EnvHistory(response_ms=100.0, error_rate=0.01),
    "uat": EnvHistory(
        response_ms=100.0, error_rate=0.004, response=(Stretch(NOW - 2 * DAY, NOW, _uat_response),)
    ),
    # three slow hours (400 ms) in the day: average 181.25, P95 400
    "production": EnvHistory(
        response_ms=150.0,
        error_rate=0.002,
        response=(Stretch(NOW - 8 * HOUR, NOW - 5 * HOUR, 400.0),),
    ),
    "hotfix": EnvHistory(
        response_ms=100.0,
        error_rate=0.005,
        failures=frozenset(HOTFIX_DOWN_NOW | HOTFIX_DOWN_EARLIER | HOTFIX_DOWN_BEFORE_WINDOW),
    ),
}


def _watch_data(env: str, version: str, stage: str, ts: int) -> Deployment:
    return Deployment(WATCH, f"deploy-{env}-{ts}", to_version=version, stage=stage)


def _poller_data(env: str, before: str, after: str, ts: int) -> Deployment:
    return Deployment(POLLER, f"deploy-{env}-{ts}", before, after)


H, M = HOUR, MINUTE
EVENTS = (
    # Outside the report's day: neither reported nor on the timeline.
    Event(NOW - 30 * H, "development", EventKind.DEPLOYMENT, "development: 1.2.9 → 1.3.0-dev+ci.1 (seen by the poller)", "info", _poller_data("development", "1.2.9", "1.3.0-dev+ci.1", NOW - 30 * H)),
    # In the day, before the timeline's six hours.
    Event(NOW - 18 * H, "development", EventKind.DEPLOYMENT, "development: 1.3.0-dev+ci.1 → 1.3.0-dev+ci.2 (seen by the poller)", "info", _poller_data("development", "1.3.0-dev+ci.1", "1.3.0-dev+ci.2", NOW - 18 * H)),
    # The incident: production's 1.2.0 slows down, goes unhealthy, is rolled back.
    # (Its watched deploy is in the history file; the poller's sighting is the same deploy.)
    Event(NOW - 5 * H - 10 * M, "production", EventKind.DEPLOYMENT, "production: 1.1.2 → 1.2.0 (seen by the poller)", "info", _poller_data("production", "1.1.2", "1.2.0", NOW - 5 * H - 10 * M)),
    Event(NOW - 5 * H, "production", EventKind.STATUS_CHANGE, "production: healthy → degraded (response time 612ms above 500ms)", "info", StatusChange("healthy", "degraded")),
    Event(NOW - 4 * H - 50 * M, "production", EventKind.STATUS_CHANGE, "production: degraded → unhealthy (application reports unhealthy (database degraded))", "critical", StatusChange("degraded", "unhealthy")),
    Event(NOW - 4 * H - 45 * M, "production", EventKind.ALERT, "umig-health-check-failed FIRING: production: umig-health-check-failed (3 consecutive failed health checks)", "CRITICAL", AlertChange("umig-health-check-failed", "firing")),
    Event(NOW - 4 * H - 20 * M, "production", EventKind.ROLLBACK, "production: rolled back from 1.2.0 to 1.1.2", "high", _poller_data("production", "1.2.0", "1.1.2", NOW - 4 * H - 20 * M)),
    Event(NOW - 4 * H - 15 * M, "production", EventKind.STATUS_CHANGE, "production: unhealthy → healthy (all checks pass)", "info", StatusChange("unhealthy", "healthy")),
    Event(NOW - 4 * H - 10 * M, "production", EventKind.ALERT, "umig-health-check-failed resolved: production: umig-health-check-failed (0 consecutive failed health checks)", "CRITICAL", AlertChange("umig-health-check-failed", "resolved")),
    # UAT away for ten minutes, then a watched deploy; hotfix down for the last half hour.
    Event(NOW - 3 * H, "uat", EventKind.STATUS_CHANGE, "uat: healthy → unreachable (connect_error: connection refused)", "critical", StatusChange("healthy", "unreachable")),
    Event(NOW - 2 * H - 50 * M, "uat", EventKind.STATUS_CHANGE, "uat: unreachable → healthy (all checks pass)", "info", StatusChange("unreachable", "healthy")),
    Event(NOW - 30 * M, "hotfix", EventKind.STATUS_CHANGE, "hotfix: healthy → unreachable (timeout: no answer in 10s)", "critical", StatusChange("healthy", "unreachable")),
    Event(NOW - 25 * M, "uat", EventKind.DEPLOYMENT, "uat: deploying 1.2.0-rc.3", "info", _watch_data("uat", "1.2.0-rc.3", "waiting", NOW - 25 * M)),
    Event(NOW - 20 * M, "uat", EventKind.DEPLOYMENT, "uat: 1.2.0-rc.3 deployed and healthy", "info", _watch_data("uat", "1.2.0-rc.3", "succeeded", NOW - 25 * M)),
)  # fmt: skip

# The seed's deployment-history JSONL: production's watched deploy, a failed hotfix deploy, and
# a line from before the day.
HISTORY_LINES = (
    make_record("deployment_start", environment="development", ts=NOW - 40 * H, version="1.2.9", initiatedBy="ci"),
    make_record("deployment_start", environment="hotfix", ts=NOW - 8 * H - 5 * M, version="1.1.4+hotfix", initiatedBy="alice"),
    make_record("deployment_failure", environment="hotfix", ts=NOW - 8 * H, version="1.1.4+hotfix", deployment=f"deploy-hotfix-{NOW - 8 * H - 5 * M}", status="failed", error="health check failed"),
    make_record("deployment_start", environment="production", ts=NOW - 5 * H - 15 * M, version="1.2.0", deployment=f"deploy-production-{NOW - 5 * H - 15 * M}", initiatedBy="deployment-automation"),
    make_record("deployment_success", environment="production", ts=NOW - 5 * H - 11 * M, version="1.2.0", deployment=f"deploy-production-{NOW - 5 * H - 15 * M}", status="completed", duration=240),
)  # fmt: skip


def _health(
    version: str, uptime: str, seconds: float, response: float, errors: float
) -> HealthSnapshot:
    return HealthSnapshot(
        "healthy",
        version,
        uptime=uptime,
        components=(ComponentHealth("database", "healthy"), ComponentHealth("api", "healthy")),
        metrics=Metrics(response_time_ms=response, error_rate=errors, uptime_seconds=seconds),
    )


RESULTS = (
    PollResult("development", Endpoint.HEALTH, NOW - 20, 12.0, _health("1.3.0-dev+ci.2", "18h 0m", 64800, 100.0, 0.01)),
    PollResult("development", Endpoint.VERSION, NOW - 20, 12.0, VersionInfo("1.3.0-dev+ci.2", "ci.2")),
    PollResult("uat", Endpoint.HEALTH, NOW - 20, 15.0, _health("1.2.0-rc.3", "20m", 1200, 300.0, 0.004)),
    PollResult("uat", Endpoint.VERSION, NOW - 20, 15.0, VersionInfo("1.2.0-rc.3", "rc.3", ui_version="1.1.0")),
    PollResult("production", Endpoint.HEALTH, NOW - 20, 14.0, _health("1.1.2", "4h 20m", 15600, 150.0, 0.002)),
    PollResult("production", Endpoint.VERSION, NOW - 20, 14.0, VersionInfo("1.1.2", "1.1.2")),
    PollResult("hotfix", Endpoint.HEALTH, NOW - 40 * M, 11.0, _health("1.1.3+hotfix", "2d 4h", 187200, 100.0, 0.005)),
    PollResult("hotfix", Endpoint.VERSION, NOW - 40 * M, 11.0, VersionInfo("1.1.3+hotfix", "hotfix.1")),
    PollResult("hotfix", Endpoint.HEALTH, NOW - 20, None, error=FetchError(ErrorKind.TIMEOUT, "no answer in 10s")),
)  # fmt: skip

FIRING = (
    AlertState(
        "umig-health-check-failed",
        "hotfix",
        AlertPhase.FIRING,
        Severity.CRITICAL,
        since=NOW - 30 * M,
        fired_at=NOW - 29 * M,
        value=60.0,
        threshold=3.0,
        summary="hotfix: umig-health-check-failed (60 consecutive failed health checks)",
    ),
)


@pytest.fixture(scope="session")
def built_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A day and a half of health polls for the four environments (built once, then copied)."""
    path = tmp_path_factory.mktemp("report-store") / "samples.db"
    return build(path, HISTORIES, now=NOW, days=1.5, settings=StoreSettings())


@pytest.fixture
async def monitor(built_store: Path, tmp_path: Path) -> AsyncIterator[Monitor]:
    """The fixed fleet: the store (with EVENTS), the history file, the views from RESULTS."""
    db = tmp_path / "samples.db"
    shutil.copyfile(built_store, db)
    history = tmp_path / "deployment-history.jsonl"
    for record in HISTORY_LINES:
        append_record(history, record)
    config = Config(environments=ENVIRONMENTS, polling=Polling(health=30.0), history_file=history)
    store = await Store.open(db, config.store)
    for event in EVENTS:
        await store.add_event(event)
    fleet = Monitor(config, {}, store=store, clock=lambda: float(NOW))
    try:
        for result in RESULTS:
            assert fleet.fleet.apply(result)
        yield fleet
    finally:
        await fleet.aclose()


async def report_data(monitor: Monitor) -> ReportData:
    data = await gather_report(monitor, None, since=NOW - DAY, now=NOW)
    return replace(data, firing=FIRING)


async def timeline_events(monitor: Monitor) -> list[Event]:
    assert monitor.store is not None
    return await monitor.store.events(since=NOW - 6 * HOUR, limit=10_000)


# -- the report ---------------------------------------------------------------------------------


async def test_report_figures_come_from_the_store(monitor: Monitor) -> None:
    data = await report_data(monitor)
    assert data.health == {
        "development": HealthCounts(2880, 2880),
        "uat": HealthCounts(2880, 2880),
        "production": HealthCounts(2880, 2880),
        "hotfix": HealthCounts(2880, 2880 - 60 - 84),  # the earlier outage is outside the day
    }
    perf = {env: (s.avg, s.p95, s.count) for env, s in data.performance.items()}
    assert perf == {
        "development": (100.0, 100.0, 2880),
        "uat": (200.0, 300.0, 2880),
        "production": (181.25, 400.0, 2880),
        "hotfix": (100.0, 100.0, 2736),  # a failed poll has no response time
    }
    assert [e.summary[:33] for e in data.alert_events] == [
        "umig-health-check-failed resolved",
        "umig-health-check-failed FIRING: ",
    ]
    summary = data.history.summary
    assert (summary.total, summary.successful, summary.failed, summary.rollbacks) == (4, 3, 1, 1)
    assert data.notice is None


async def test_report_text_golden(monitor: Monitor) -> None:
    assert_golden("report.txt", render_report(await report_data(monitor), "text"))


async def test_report_markdown_golden(monitor: Monitor) -> None:
    assert_golden("report.md", render_report(await report_data(monitor), "md"))


async def test_report_json_golden(monitor: Monitor) -> None:
    text = render_report(await report_data(monitor), "json")
    document = json.loads(text)
    assert document["health"]["hotfix"] == {"checks": 2880, "healthy": 2736, "unhealthy": 144}
    assert document["performance"]["production"] == {
        "avg_ms": 181.25,
        "p95_ms": 400.0,
        "samples": 2880,
    }
    assert text.endswith("}\n")
    assert_golden("report.json", text)


async def test_report_text_has_every_section_of_the_seed_in_order(monitor: Monitor) -> None:
    text = render_report(await report_data(monitor), "text")
    lines = text.splitlines()
    headings = [
        "UMIG Daily Status Report",
        "Environment Status Summary:",
        "Deployment Activity (Last 24 hours):",
        "Health Status Summary:",
        "Performance Summary:",
        "Issues and Alerts:",
    ]
    positions = [lines.index(h) for h in headings]
    assert positions == sorted(positions)
    for heading in headings[1:]:  # each underlined as the seed does
        assert set(lines[lines.index(heading) + 1]) == {"-"}
    assert "Date: 2025-06-15 (times in UTC)" in lines
    assert "Total health checks: 11520" in lines
    assert "Healthy: 11376 (98%)" in lines
    assert "Unhealthy: 144 (1%)" in lines
    assert "- hotfix: 2880 checks, 95% healthy" in lines
    assert "- production: 181ms (P95 400ms, 2880 samples)" in lines
    assert "- uat: 200ms (P95 300ms, 2880 samples)" in lines
    assert "Alerts in period: 2" in lines
    assert (
        "- [CRITICAL] hotfix: umig-health-check-failed (60 consecutive failed health checks)"
        in lines
    )
    # the seed's printf "%-12s | %-10s | %-8s | %s", widened to fit
    assert "hotfix       | 1.1.3+hotfix   | unreachable | 2d 4h" in lines
    assert "production   | 1.1.2          | healthy     | 4h 20m" in lines  # one column


async def test_report_deployments_merge_the_file_and_the_store_once_each(monitor: Monitor) -> None:
    data = await report_data(monitor)
    rows = [(e.environment, e.type, e.version, e.status) for e in data.history.entries]
    assert rows == [
        ("uat", "deployment_success", "1.2.0-rc.3", "completed"),
        ("uat", "deployment_start", "1.2.0-rc.3", "in_progress"),
        ("production", "rollback", "1.2.0", "rollback_detected"),
        # the poller's sighting of production's 1.2.0 is the watched deploy: listed once
        ("production", "deployment_success", "1.2.0", "completed"),
        ("production", "deployment_start", "1.2.0", None),
        ("hotfix", "deployment_failure", "1.1.4+hotfix", "failed"),
        ("hotfix", "deployment_start", "1.1.4+hotfix", None),
        ("development", "deployment_success", "1.3.0-dev+ci.2", "detected"),
    ]


def test_report_without_a_store_says_where_its_figures_come_from() -> None:
    view = EnvView("uat", Tier.UAT, EnvStatus.HEALTHY, "all checks pass", version="1.0.0")
    data = ReportData(
        generated_at=NOW,
        since=NOW - DAY,
        environments=(view,),
        history=History((), summarize([])),
        health={},
        performance={},
        firing=(),
        alert_events=(),
        notice="no history: the store is disabled; figures are from one poll",
    )
    text = render_report(data, "text")
    assert "Total health checks: 0" in text
    assert "Healthy: 0 (-)" in text
    assert "No deployments in this period" in text
    assert "No alerts in this period" in text
    assert text.endswith("Note: no history: the store is disabled; figures are from one poll\n")
    assert "> Note: no history" in render_report(data, "md")
    assert json.loads(render_report(data, "json"))["notice"].startswith("no history")


# -- Markdown that survives hostile strings -----------------------------------------------------

HOSTILE = "1.0|x `rm -rf /` <script>alert(1)</script>\nnext | row\r\nand\rmore \\| end\\"


def unescaped_pipes(line: str) -> int:
    """Cell separators: pipes not escaped by an odd run of backslashes."""
    count = 0
    for match in re.finditer(r"(\\*)\|", line):
        if len(match.group(1)) % 2 == 0:
            count += 1
    return count


def table_shape(text: str) -> list[tuple[int, int]]:
    """(line number, cell separators) of every table line."""
    lines = enumerate(text.split("\n"))
    return [(n, unescaped_pipes(line)) for n, line in lines if line.startswith("|")]


def check_markdown(hostile: str, benign: str) -> None:
    """The same structure as with benign strings; nothing hostile left raw."""
    assert len(hostile.split("\n")) == len(benign.split("\n"))
    assert table_shape(hostile) == table_shape(benign)
    assert "<script>" not in hostile
    assert "&lt;script&gt;" in hostile
    assert "\r" not in hostile
    assert "`rm" not in hostile  # no code span of the hostile's making
    for line in hostile.split("\n"):
        assert line.count("`") % 2 == 0, line


def test_md_escapes_table_breakers() -> None:
    assert md("a|b") == "a\\|b"
    assert md("a`b") == "a'b"
    assert md("<b>") == "&lt;b&gt;"
    assert md("a\nb\r\nc\rd") == "a b c d"
    assert md("a\\|b") == "a\\\\\\|b"  # the backslash cannot escape the escape
    assert unescaped_pipes(md(HOSTILE)) == 0


def hostile_report(text: str) -> ReportData:
    view = EnvView(
        "uat", Tier.UAT, EnvStatus.DEGRADED, text, version=f"1.0 {text}", uptime=f"3d {text}"
    )
    entries, _ = parse_lines(
        [
            json.dumps(
                make_record(
                    "deployment_success",
                    environment="uat",
                    ts=NOW - HOUR,
                    version=f"2.0 {text}",
                    status=f"done {text}",
                )
            )
        ]
    )
    alert = AlertState(
        f"rule {text}", "uat", AlertPhase.FIRING, Severity.HIGH, NOW - 60, summary=text
    )
    return ReportData(
        generated_at=NOW,
        since=NOW - DAY,
        environments=(view,),
        history=History(tuple(entries), summarize(entries)),
        health={"uat": HealthCounts(10, 9)},
        performance={"uat": WindowStats.of([100.0, 200.0])},
        firing=(alert,),
        alert_events=(Event(NOW - 60, "uat", EventKind.ALERT, f"alert {text}", "high"),),
    )


def test_report_markdown_keeps_its_tables_whatever_the_endpoints_say() -> None:
    check_markdown(
        render_report(hostile_report(HOSTILE), "md"),
        render_report(hostile_report("plain words"), "md"),
    )


def test_snapshot_markdown_keeps_its_tables_whatever_the_endpoints_say() -> None:
    def snapshot(text: str) -> str:
        view = EnvView(
            "uat", Tier.UAT, EnvStatus.DEGRADED, text, version=f"1.0 {text}", uptime=f"3d {text}"
        )
        alert = AlertState("r", "uat", AlertPhase.FIRING, Severity.HIGH, NOW - 60, summary=text)
        event = Event(NOW - 60, "uat", EventKind.NOTICE, f"note {text}")
        return render_snapshot(Snapshot(NOW, (view,), (alert,), (), (event,)))

    check_markdown(snapshot(HOSTILE), snapshot("plain words"))


def test_postmortem_keeps_the_template_whatever_the_events_say() -> None:
    def postmortem(text: str) -> str:
        events = [
            Event(NOW - 600, "uat", EventKind.STATUS_CHANGE, f"down {text}\n## Root Cause\nme", "critical"),
            Event(NOW - 300, "uat", EventKind.NOTICE, f"note {text}"),
        ]  # fmt: skip
        return render_postmortem(events, since=NOW - HOUR, until=NOW)

    hostile, benign = postmortem(HOSTILE), postmortem("plain words")
    assert [h for h in hostile.split("\n") if h.startswith("#")] == [
        h for h in benign.split("\n") if h.startswith("#")
    ]
    assert len(hostile.split("\n")) == len(benign.split("\n"))
    assert "<script>" not in hostile


# -- snapshot, timeline, post-mortem ------------------------------------------------------------


async def test_snapshot_golden(monitor: Monitor) -> None:
    snap = await gather_snapshot(monitor, None, now=NOW)
    snap = replace(snap, firing=FIRING)
    assert [e.summary for e in snap.events] == [  # the last hour, newest first
        "uat: 1.2.0-rc.3 deployed and healthy",
        "uat: deploying 1.2.0-rc.3",
        "hotfix: healthy → unreachable (timeout: no answer in 10s)",
    ]
    assert [(f.environment, f.component, f.severity) for f in snap.findings] == [
        ("uat", "ui", Severity.HIGH)
    ]
    text = render_snapshot(snap)
    assert text.startswith("### UMIG fleet snapshot — 2025-06-15 16:00:00 UTC\n")
    assert "**Worst status: unreachable** · 3 healthy, 1 unreachable" in text
    assert_golden("snapshot.md", text)


async def test_timeline_golden(monitor: Monitor) -> None:
    events = await timeline_events(monitor)
    text = render_timeline(events, since=NOW - 6 * HOUR, until=NOW)
    lines = text.splitlines()
    assert lines[0] == "Timeline 2025-06-15 10:00:00 UTC → 2025-06-15 16:00:00 UTC (12 events)"
    assert lines[1].startswith("2025-06-15 10:50:00 UTC  production   deployment")
    assert lines == [lines[0], *sorted(lines[1:])]  # oldest first
    assert_golden("timeline.txt", text)


async def test_timeline_for_one_environment(monitor: Monitor) -> None:
    assert monitor.store is not None
    events = await monitor.store.events(since=NOW - 6 * HOUR, env="uat")
    text = render_timeline(events, since=NOW - 6 * HOUR, until=NOW)
    body = text.splitlines()[1:]
    assert len(body) == 4
    assert all("  uat " in line for line in body)


# Seed 003's template, heading by heading.
TEMPLATE_HEADINGS = [
    "# Incident Post-Mortem: [Title]",
    "## Summary",
    "## Timeline",
    "## Root Cause",
    "## Impact",
    "## Resolution",
    "## Action Items",
    "## Lessons Learned",
]
SUMMARY_FIELDS = [
    "- **Date**: ",
    "- **Duration**: ",
    "- **Severity**: ",
    "- **Services Affected**: ",
]
IMPACT_FIELDS = ["- Users affected: ", "- Downtime: ", "- Financial: "]


def section(text: str, heading: str) -> list[str]:
    lines = text.split("\n")
    start = lines.index(heading) + 1
    end = next((i for i in range(start, len(lines)) if lines[i].startswith("#")), len(lines))
    return [line for line in lines[start:end] if line]


async def test_postmortem_follows_the_seed_template_filled_from_the_events(
    monitor: Monitor,
) -> None:
    text = render_postmortem(await timeline_events(monitor), since=NOW - 6 * HOUR, until=NOW)
    assert [line for line in text.split("\n") if line.startswith("#")] == TEMPLATE_HEADINGS
    summary = section(text, "## Summary")
    assert [line[: len(field)] for line, field in zip(summary, SUMMARY_FIELDS, strict=True)] == (
        SUMMARY_FIELDS
    )
    assert summary == [
        "- **Date**: 2025-06-15 (times in UTC)",
        "- **Duration**: 4h 30m",  # first critical (11:10) to the last event (15:40)
        "- **Severity**: P1",
        "- **Services Affected**: hotfix, production, uat",
    ]
    timeline = section(text, "## Timeline")
    assert timeline[:5] == [
        "- 10:50 - production: 1.1.2 → 1.2.0 (seen by the poller)",
        "- 11:00 - production: healthy → degraded (response time 612ms above 500ms)",
        "- 11:10 - Incident detected: production: degraded → unhealthy (application reports "
        "unhealthy (database degraded))",
        "- 11:15 - umig-health-check-failed FIRING: production: umig-health-check-failed "
        "(3 consecutive failed health checks)",
        "- 11:40 - production: rolled back from 1.2.0 to 1.1.2",
    ]
    assert timeline[-3:] == [
        "- HH:MM - Response started",
        "- HH:MM - Fix applied",
        "- HH:MM - Incident resolved",
    ]
    assert len(timeline) == 12 + 3
    impact = section(text, "## Impact")
    assert [line[: len(field)] for line, field in zip(impact, IMPACT_FIELDS, strict=True)] == (
        IMPACT_FIELDS
    )
    # production unhealthy 11:10-11:45, uat unreachable 13:00-13:10, hotfix since 15:30
    assert impact[1] == "- Downtime: hotfix 30m, production 35m, uat 10m"
    assert section(text, "## Action Items") == [
        "- [ ] Fix X by YYYY-MM-DD (@owner)",
        "- [ ] Improve monitoring (@owner)",
        "- [ ] Update docs (@owner)",
    ]
    assert_golden("postmortem.md", text)


def test_postmortem_of_a_quiet_period_is_p3_with_no_downtime() -> None:
    events = [Event(NOW - 600, "uat", EventKind.DEPLOYMENT, "uat: 1.0 → 1.1", "info")]
    text = render_postmortem(events, since=NOW - HOUR, until=NOW)
    assert [line for line in text.split("\n") if line.startswith("#")] == TEMPLATE_HEADINGS
    assert "- **Severity**: P3" in text
    assert "- **Duration**: 0s" in text  # one moment
    assert "- 15:50 - Incident detected: uat: 1.0 → 1.1" in text
    assert "- Downtime: none recorded" in text


def test_postmortem_of_nothing_keeps_the_placeholders() -> None:
    text = render_postmortem([], since=NOW - HOUR, until=NOW)
    assert [line for line in text.split("\n") if line.startswith("#")] == TEMPLATE_HEADINGS
    assert "- **Date**: 2025-06-15" in text
    assert "- **Duration**: 1h" in text
    assert "- **Services Affected**: [list]" in text
