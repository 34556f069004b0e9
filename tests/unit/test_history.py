"""The seed's deployment-history JSONL (001 log-deployment-event / query-deployment-history),
what a deploy watch writes to it, and the history merged with the store's timeline."""

from __future__ import annotations

import json
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from msgspec.structs import replace

from tests.conftest import REPO
from umig_tui.config import StoreSettings
from umig_tui.deploy.history_jsonl import (
    HistorySummary,
    append_record,
    deployment_id,
    iso,
    make_record,
    parse_lines,
    read_history,
    summarize,
)
from umig_tui.deploy.timeline import entry_from_event, merge_history
from umig_tui.deploy.watch_state import Stage, WatchState
from umig_tui.events import POLLER, WATCH, Deployment, Event, EventKind
from umig_tui.service.history_writer import HistoryWriter
from umig_tui.service.monitor import Monitor
from umig_tui.service.setup import load_fleet
from umig_tui.service.watch_recorder import WatchRecorder
from umig_tui.store.store import Store

T0 = 1_727_274_655.0  # 2024-09-25T14:30:55+00:00
SAMPLE = REPO / "sample_data" / "deployment-history.jsonl"


# -- the seed's line shapes ---------------------------------------------------------------------


def test_ids_and_timestamps_are_in_the_seed_s_format() -> None:
    assert iso(T0) == "2024-09-25T14:30:55+00:00"  # date -Iseconds, in UTC
    assert deployment_id("deploy", "production", T0) == "deploy-production-20240925-143055"
    assert deployment_id("rollback", "uat", T0) == "rollback-uat-20240925-143055"


def test_start_line_has_the_seed_s_fields() -> None:
    record = make_record(
        "deployment_start",
        environment="production",
        ts=T0,
        version="1.2.0",
        initiatedBy="alice",
        status="in_progress",
    )
    assert record == {
        "id": "deploy-production-20240925-143055",
        "type": "deployment_start",
        "timestamp": "2024-09-25T14:30:55+00:00",
        "environment": "production",
        "version": "1.2.0",
        "initiatedBy": "alice",
        "status": "in_progress",
    }


def test_success_and_failure_lines_share_the_start_s_id() -> None:
    start_id = deployment_id("deploy", "production", T0)
    success = make_record(
        "deployment_success",
        environment="production",
        ts=T0 + 95,
        version="1.2.0",
        deployment=start_id,
        duration="1m 35s",
        status="completed",
    )
    failure = make_record(
        "deployment_failure",
        environment="production",
        ts=T0 + 95,
        version="1.2.0",
        deployment=start_id,
        error="health is unhealthy",
        status="failed",
        fromVersion=None,  # None fields are left out, not written as null
    )
    assert success["id"] == failure["id"] == start_id
    assert (success["duration"], success["status"]) == ("1m 35s", "completed")
    assert (failure["error"], failure["status"]) == ("health is unhealthy", "failed")
    assert "fromVersion" not in failure


def test_rollback_line_has_from_and_to_versions_and_no_version() -> None:
    record = make_record(
        "rollback",
        environment="production",
        ts=T0,
        fromVersion="1.2.0",
        toVersion="1.1.2",
        status="rollback_initiated",
    )
    assert record["id"] == "rollback-production-20240925-143055"
    assert "version" not in record
    assert (record["fromVersion"], record["toVersion"]) == ("1.2.0", "1.1.2")


def test_an_unknown_line_type_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown history type"):
        make_record("deployment_started", environment="production", ts=T0)


# -- reading and writing the file ---------------------------------------------------------------


def test_appended_lines_read_back(tmp_path: Path) -> None:
    path = tmp_path / "logs" / "deployment-history.jsonl"  # the folder is created
    for offset, kind in enumerate(("deployment_start", "deployment_success")):
        append_record(
            path,
            make_record(kind, environment="uat", ts=T0 + offset, version="1.2.0-rc.2"),
        )
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    assert all(isinstance(json.loads(line), dict) for line in lines)  # one object per line
    entries, malformed = read_history(path)
    assert malformed == 0
    assert [(e.type, e.environment, e.version, e.ts) for e in entries] == [
        ("deployment_start", "uat", "1.2.0-rc.2", T0),
        ("deployment_success", "uat", "1.2.0-rc.2", T0 + 1),
    ]


def test_writers_at_the_same_time_interleave_whole_lines(tmp_path: Path) -> None:
    path = tmp_path / "deployment-history.jsonl"

    def write(env: str) -> None:
        for n in range(25):
            append_record(
                path,
                make_record("deployment_start", environment=env, ts=T0 + n, version="1." * 40),
            )

    threads = [threading.Thread(target=write, args=(f"env{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    entries, malformed = read_history(path)
    assert (len(entries), malformed) == (100, 0)


def test_a_missing_file_is_an_empty_history(tmp_path: Path) -> None:
    assert read_history(tmp_path / "nothing.jsonl") == ([], 0)


def test_malformed_lines_are_counted_and_skipped_never_fatal() -> None:
    good = json.dumps(make_record("deployment_start", environment="dev", ts=T0, version="1.0"))
    lines = [
        good,
        "",  # blank lines are not counted
        "   ",
        "{not json",
        "[1, 2, 3]",  # JSON, but not an object
        json.dumps({"type": "deploy_started", "environment": "dev", "timestamp": iso(T0)}),
        json.dumps({"type": "deployment_start", "timestamp": iso(T0)}),  # no environment
        json.dumps({"type": "rollback", "environment": "dev", "timestamp": "yesterday"}),
        json.dumps({"type": "rollback", "environment": "dev", "timestamp": 1727274655}),
        "\x00\x1b[2J",
        good,
    ]
    entries, malformed = parse_lines(lines)
    assert len(entries) == 2
    assert malformed == 7


def test_timestamps_in_other_offsets_and_zulu_are_understood() -> None:
    lines = [
        json.dumps(
            {"type": "rollback", "environment": "p", "timestamp": "2024-09-25T16:30:55+02:00"}
        ),
        json.dumps({"type": "rollback", "environment": "p", "timestamp": "2024-09-25T14:30:55Z"}),
        json.dumps({"type": "rollback", "environment": "p", "timestamp": "2024-09-25T14:30:55"}),
    ]
    entries, malformed = parse_lines(lines)
    assert malformed == 0
    assert {e.ts for e in entries} == {T0}


def test_text_from_the_file_is_cleaned_of_terminal_controls() -> None:
    line = json.dumps(
        {
            "id": "deploy-\x1b[31mx",
            "type": "deployment_start",
            "timestamp": iso(T0),
            "environment": "prod\x1b]0;pwned\x07",
            "version": "1.2.0\r\n",
            "status": "in_progress",
        }
    )
    (entry,), _ = parse_lines([line])
    for text in (entry.id, entry.environment, entry.version or "", entry.status or ""):
        assert not any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 for c in text), repr(text)


# -- the seed's summary -------------------------------------------------------------------------


def _lines(*kinds: str) -> list[str]:
    return [
        json.dumps(make_record(kind, environment="production", ts=T0 + n, version="1.2.0"))
        for n, kind in enumerate(kinds)
    ]


def test_summary_counts_as_the_seed_does() -> None:
    entries, _ = parse_lines(
        _lines(
            "deployment_start",
            "deployment_success",
            "deployment_start",
            "deployment_failure",
            "deployment_start",
            "deployment_success",
            "rollback",
        )
    )
    summary = summarize(entries)
    assert summary == HistorySummary(total=3, successful=2, failed=1, rollbacks=1)
    assert summary.to_json() == {
        "total": 3,
        "successful": 2,
        "failed": 1,
        "rollbacks": 1,
        "success_rate": 67,
    }


def test_summary_of_nothing_has_no_success_rate() -> None:
    summary = summarize([])
    assert summary.success_rate is None
    assert summary.to_json()["success_rate"] is None


def test_deployments_seen_only_by_the_poller_never_push_the_rate_above_100_percent() -> None:
    entries, _ = parse_lines(_lines("deployment_success", "deployment_success"))
    summary = summarize(entries)
    assert (summary.total, summary.successful) == (2, 2)
    assert summary.success_rate == 1.0


def test_the_sample_history_parses_cleanly_with_a_sensible_summary() -> None:
    entries, malformed = read_history(SAMPLE)
    assert malformed == 0
    assert len(entries) == len(SAMPLE.read_text(encoding="utf-8").splitlines())
    assert {e.environment for e in entries} >= {"development", "uat", "production"}
    summary = summarize(entries)
    assert summary.total > 0
    assert summary.successful + summary.failed <= summary.total
    assert summary.rollbacks >= 1
    assert summary.success_rate is not None
    assert 0.5 < summary.success_rate < 1.0
    starts = {e.id for e in entries if e.type == "deployment_start"}
    ends = [e for e in entries if e.type in ("deployment_success", "deployment_failure")]
    assert all(e.id in starts for e in ends)  # every outcome belongs to a start
    assert all(e.ts >= min(s.ts for s in entries if s.id == e.id) for e in ends)


# -- merged with the store's timeline -----------------------------------------------------------


def watch_event(stage: str, ts: float, *, watch_id: str, to: str = "1.2.0") -> Event:
    return Event(
        ts=ts,
        env="production",
        kind=EventKind.DEPLOYMENT,
        summary=f"production: deploy of {to} {stage}",
        payload=Deployment(WATCH, watch_id, "1.1.2", to, stage=stage),
    )


def sighting(ts: float, *, to: str = "1.2.0", back: bool = False, env: str = "production") -> Event:
    kind = "rollback" if back else "deploy"
    return Event(
        ts=ts,
        env=env,
        kind=EventKind.ROLLBACK if back else EventKind.DEPLOYMENT,
        summary=f"{env}: seen by the poller",
        payload=Deployment(POLLER, deployment_id(kind, env, ts), "1.2.0" if back else "1.1.2", to),
    )


def test_store_events_of_a_watch_map_to_the_seed_s_types() -> None:
    watch_id = deployment_id("deploy", "production", T0)
    stages = {
        "waiting": ("deployment_start", "in_progress"),
        "succeeded": ("deployment_success", "completed"),
        "failed": ("deployment_failure", "failed"),
        "timed_out": ("deployment_ended", "not_seen"),  # never a deployment to judge
        "interrupted": ("deployment_ended", "interrupted"),
    }
    for stage, (kind, status) in stages.items():
        entry = entry_from_event(watch_event(stage, T0, watch_id=watch_id))
        assert entry is not None
        assert (entry.id, entry.type, entry.status, entry.version) == (
            watch_id,
            kind,
            status,
            "1.2.0",
        )
    for stage in ("confirmed", "validating", "monitoring"):  # not lines of the seed's history
        assert entry_from_event(watch_event(stage, T0, watch_id=watch_id)) is None
    rollback = entry_from_event(sighting(T0, to="1.1.2", back=True))
    assert rollback is not None
    assert (rollback.type, rollback.version) == ("rollback", "1.2.0")
    assert (rollback.record["fromVersion"], rollback.record["toVersion"]) == ("1.2.0", "1.1.2")


def test_a_watch_in_the_file_and_in_the_store_appears_once() -> None:
    watch_id = deployment_id("deploy", "production", T0)
    file_lines = [
        json.dumps(
            make_record(
                "deployment_start",
                environment="production",
                ts=T0,
                version="1.2.0",
                deployment=watch_id,
            )
        ),
        json.dumps(
            make_record(
                "deployment_success",
                environment="production",
                ts=T0 + 60,
                version="1.2.0",
                deployment=watch_id,
                status="completed",
            )
        ),
    ]
    entries, _ = parse_lines(file_lines)
    events = [
        watch_event("waiting", T0, watch_id=watch_id),
        watch_event("confirmed", T0 + 20, watch_id=watch_id),
        watch_event("succeeded", T0 + 60, watch_id=watch_id),
        sighting(T0 + 20),  # the poller saw the same version change the watch followed
    ]
    history = merge_history(entries, events)
    assert [(e.type, e.id) for e in history.entries] == [
        ("deployment_success", watch_id),
        ("deployment_start", watch_id),
    ]
    assert history.summary == HistorySummary(total=1, successful=1, failed=0, rollbacks=0)


def test_a_failed_watch_is_not_counted_as_a_success_because_the_poller_saw_the_version() -> None:
    watch_id = deployment_id("deploy", "production", T0)
    events = [
        watch_event("waiting", T0, watch_id=watch_id),
        sighting(T0 + 5),
        watch_event("failed", T0 + 30, watch_id=watch_id),
    ]
    history = merge_history([], events)  # the store alone (no JSONL configured)
    assert history.summary == HistorySummary(total=1, successful=0, failed=1, rollbacks=0)


def test_a_sighting_named_after_the_same_second_as_the_watch_hides_nothing() -> None:
    watch_id = deployment_id("deploy", "production", T0)
    seen = sighting(T0 + 0.4)
    assert seen.deployment is not None
    assert (
        seen.deployment.deployment_id == watch_id
    )  # both are named after the second they happened in
    events = [
        watch_event("waiting", T0, watch_id=watch_id),
        seen,
        watch_event("succeeded", T0 + 0.9, watch_id=watch_id),
    ]
    history = merge_history([], events)
    assert [(e.type, e.status) for e in history.entries] == [
        ("deployment_success", "completed"),
        ("deployment_start", "in_progress"),
    ]


def test_two_watches_started_in_the_same_second_are_two_deployments() -> None:
    watch_id = deployment_id("deploy", "production", T0)  # the seed's ids name the second
    events = [
        watch_event("waiting", T0, watch_id=watch_id, to="1.2.0"),
        watch_event("succeeded", T0 + 0.5, watch_id=watch_id, to="1.2.0"),
        watch_event("waiting", T0 + 0.7, watch_id=watch_id, to="1.3.0"),
        watch_event("failed", T0 + 2, watch_id=watch_id, to="1.3.0"),
    ]
    history = merge_history([], events)
    assert [(e.type, e.version) for e in history.entries] == [
        ("deployment_failure", "1.3.0"),
        ("deployment_start", "1.3.0"),
        ("deployment_success", "1.2.0"),
        ("deployment_start", "1.2.0"),
    ]
    assert history.summary == HistorySummary(total=2, successful=1, failed=1, rollbacks=0)


def test_deployments_nobody_watched_are_kept_from_the_store() -> None:
    events = [
        sighting(T0),
        sighting(T0 + 600, to="1.1.2", back=True),
        sighting(T0 + 1200),  # deployed again: another deployment, not a duplicate
    ]
    history = merge_history([], events)
    assert [e.type for e in history.entries] == [
        "deployment_success",
        "rollback",
        "deployment_success",
    ]
    assert history.summary == HistorySummary(total=2, successful=2, failed=0, rollbacks=1)


def test_a_sighting_also_written_to_the_file_appears_once() -> None:
    event = sighting(T0)
    line = make_record(
        "deployment_success",
        environment="production",
        ts=T0,
        version="1.2.0",
        deployment=event.deployment.deployment_id if event.deployment else None,
        status="completed",
        fromVersion="1.1.2",
        detectedBy="umig-tui poller",
    )
    entries, _ = parse_lines([json.dumps(line)])
    again = sighting(T0 + 1200)  # a later redeploy of the same version, in the store only
    history = merge_history(entries, [event, again])
    assert len(history.entries) == 2
    assert history.summary.successful == 2


def test_within_one_second_the_later_line_is_the_newer_one() -> None:
    # The seed's timestamps have whole seconds; a quick deploy starts and ends in one.
    plan = [
        ("deployment_start", "1.2.0", T0),
        ("deployment_success", "1.2.0", T0),
        ("deployment_start", "1.3.0", T0),
        ("deployment_failure", "1.3.0", T0 + 1),
    ]
    lines = [
        json.dumps(make_record(kind, environment="production", ts=ts, version=version))
        for kind, version, ts in plan
    ]
    entries, _ = parse_lines(lines)
    history = merge_history(entries, [])
    assert [(e.type, e.version) for e in history.entries] == [
        ("deployment_failure", "1.3.0"),
        ("deployment_start", "1.3.0"),
        ("deployment_success", "1.2.0"),
        ("deployment_start", "1.2.0"),
    ]


def test_history_is_newest_first_and_filtered_by_environment_and_age() -> None:
    lines = [
        json.dumps(make_record("deployment_start", environment=env, ts=T0 + n * 3600, version="1"))
        for n, env in enumerate(("uat", "production", "uat", "production"))
    ]
    entries, _ = parse_lines(lines)
    everything = merge_history(entries, [])
    assert [e.ts for e in everything.entries] == sorted((e.ts for e in entries), reverse=True)
    production = merge_history(entries, [], env="production")
    assert {e.environment for e in production.entries} == {"production"}
    recent = merge_history(entries, [], since=T0 + 2 * 3600)
    assert len(recent.entries) == 2
    assert merge_history(entries, [], malformed=3).malformed == 3


# -- what a deploy watch records ----------------------------------------------------------------


def state(stage: Stage, now: float, **changes: object) -> WatchState:
    base = WatchState(
        env="production",
        expected="1.2.0",
        stage=Stage.WAITING,
        started_at=T0,
        stage_since=T0,
        now=T0,
        deadline=T0 + 600,
        previous_version="1.1.2",
        message="waiting for 1.2.0",
    )
    return replace(base, stage=stage, now=now, stage_since=now, **changes)  # type: ignore[arg-type]


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await Store.open(tmp_path / "state" / "samples.db", StoreSettings())
    yield opened
    await opened.close()


async def test_a_watch_writes_start_and_success_lines_in_the_seed_s_shape(
    tmp_path: Path, store: Store
) -> None:
    path = tmp_path / "deployment-history.jsonl"
    monitor = bare_monitor(store)
    writer = HistoryWriter(monitor, path)
    recorder = WatchRecorder(monitor, user="alice")
    await recorder.record(state(Stage.WAITING, T0), True)
    await recorder.record(state(Stage.WAITING, T0 + 10), False)  # a poll, not a transition
    await recorder.record(state(Stage.CONFIRMED, T0 + 20), True)
    await recorder.record(state(Stage.MONITORING, T0 + 30), True)
    await recorder.record(state(Stage.SUCCEEDED, T0 + 95), True)
    await writer.aclose()
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert lines == [
        {
            "id": "deploy-production-20240925-143055",
            "type": "deployment_start",
            "timestamp": "2024-09-25T14:30:55+00:00",
            "environment": "production",
            "version": "1.2.0",
            "initiatedBy": "alice",
            "status": "in_progress",
            "fromVersion": "1.1.2",
        },
        {
            "id": "deploy-production-20240925-143055",
            "type": "deployment_success",
            "timestamp": "2024-09-25T14:32:30+00:00",
            "environment": "production",
            "version": "1.2.0",
            "duration": "1m 35s",
            "status": "completed",
            "fromVersion": "1.1.2",
        },
    ]
    events = await store.events()
    assert [e.deployment.stage for e in reversed(events) if e.deployment] == [
        "waiting",
        "confirmed",
        "monitoring",
        "succeeded",
    ]
    assert {e.deployment.deployment_id for e in events if e.deployment} == {
        "deploy-production-20240925-143055"
    }
    entries, _ = read_history(path)
    history = merge_history(entries, events)
    assert len(history.entries) == 2  # the file and the store tell the same story once
    assert writer.problems == []


@pytest.mark.parametrize(
    ("stage", "status", "severity"),
    [(Stage.FAILED, "failed", "critical"), (Stage.TIMED_OUT, "not_seen", "warning")],
)
async def test_a_watch_that_does_not_succeed_writes_a_failure_line_with_its_reason(
    tmp_path: Path, store: Store, stage: Stage, status: str, severity: str
) -> None:
    path = tmp_path / "deployment-history.jsonl"
    monitor = bare_monitor(store)
    writer = HistoryWriter(monitor, path)
    recorder = WatchRecorder(monitor, user="ci")
    reason = "health is unhealthy after the deploy; rollback recommended to 1.1.2"
    await recorder.record(state(Stage.WAITING, T0), True)
    await recorder.record(state(stage, T0 + 40, reason=reason), True)
    await writer.aclose()
    last = json.loads(path.read_text(encoding="utf-8").splitlines()[-1])
    kind = "deployment_failure" if stage is Stage.FAILED else "deployment_ended"
    assert (last["type"], last["status"], last["error"]) == (kind, status, reason)
    (final, *_) = await store.events()
    assert final.severity == severity
    assert final.summary == f"production: deploy of 1.2.0 {stage}: {reason}"


async def test_an_unwritable_history_file_is_a_warning_not_a_crash(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("", encoding="utf-8")
    monitor = bare_monitor(None)
    writer = HistoryWriter(monitor, blocker / "deployment-history.jsonl")
    recorder = WatchRecorder(monitor, user="ci")
    await recorder.record(state(Stage.WAITING, T0), True)
    await recorder.record(state(Stage.SUCCEEDED, T0 + 5), True)
    await writer.aclose()
    assert len(writer.problems) == 1  # said once, not once per line
    assert writer.problems[0].startswith(f"cannot append to {blocker}")


def bare_monitor(store: Store | None) -> Monitor:
    """A Monitor on the demo fleet's config with no client: what it records is all there is."""
    return Monitor(load_fleet(demo=True, environ={}), {}, store=store)
