"""A deploy watch's verdict in the history JSONL: the event carries it (``Deployment.verdict``,
``verdict_json``, through the store's JSON), ``record_for`` writes it on the outcome line; an
inconclusive watch has its own line, a soak's end its own, the pass kept."""

from __future__ import annotations

import json

from umig_tui.deploy.history_jsonl import parse_lines, record_for, summarize
from umig_tui.deploy.verdict_record import MetricResult, Soak, last_verdicts, verdict_fields
from umig_tui.events import WATCH, Deployment, Event, EventKind, payload_from_json

T0 = 1_730_000_000.0
ROW = MetricResult(
    "response avg", "inconclusive", value=101.0, n_post=6, n_base=40, why="too few samples"
)


def event(stage: str, verdict: str | None, soak: Soak | None = None, reason: str = "") -> Event:
    fields = verdict_fields(verdict, reason, [ROW], soak) if verdict else None
    payload = Deployment(
        source=WATCH,
        deployment_id="deploy-production-1",
        from_version="1.1.2",
        to_version="1.2.0",
        stage=stage,
        reason=reason or None,
        verdict=verdict,
        verdict_json=fields,
    )
    # Through the store's JSON and back, as every recorded event goes.
    stored = payload_from_json(EventKind.DEPLOYMENT, payload.to_json())
    assert stored == payload
    return Event(T0, "production", EventKind.DEPLOYMENT, "…", payload=stored)


def test_an_inconclusive_watch_has_its_own_line_with_the_verdict() -> None:
    line = record_for(event("inconclusive", "inconclusive", reason="inconclusive: too few"))
    assert line is not None
    assert (line["type"], line["status"], line["error"]) == (
        "deployment_inconclusive",
        "inconclusive",
        "inconclusive: too few",
    )
    assert line["verdict"] == "inconclusive"
    assert line["verdict_detail"] == [ROW.to_json()]
    entries, malformed = parse_lines([json.dumps(line)])
    assert malformed == 0
    summary = summarize(entries)
    assert (summary.successful, summary.failed) == (0, 0)  # neither, never a pass


def test_a_soak_is_a_success_line_then_a_soak_line_keeping_the_pass() -> None:
    soaking = record_for(event("soaking", "pass", Soak(T0 + 3600, "soaking")))
    ended = record_for(event("succeeded", "pass", Soak(T0 + 3600, "passed")))
    failed = record_for(event("failed", "pass", Soak(T0 + 3600, "failed"), reason="soak failed: x"))
    assert soaking is not None
    assert ended is not None
    assert failed is not None
    assert (soaking["type"], soaking["soak"]["state"]) == ("deployment_success", "soaking")
    assert (ended["type"], ended["status"]) == ("deployment_soak", "soak_passed")
    assert (failed["type"], failed["status"], failed["error"]) == (
        "deployment_soak",
        "soak_failed",
        "soak failed: x",
    )
    verdict = last_verdicts([soaking, failed])[("production", "1.2.0")]
    assert verdict.verdict == "pass"
    assert not verdict.soaked  # passed, then failed its soak: not promotable


def test_a_line_without_a_verdict_is_as_before() -> None:
    line = record_for(event("timed_out", None, reason="timed out"))
    assert line is not None
    assert line["type"] == "deployment_ended"
    assert "verdict" not in line
