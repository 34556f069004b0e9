"""The verdict a history line carries, read back by ``last_verdicts`` (what the board imports)."""

from __future__ import annotations

import json
from typing import Any

from umig_tui.deploy.history_jsonl import make_record, parse_lines
from umig_tui.deploy.verdict_record import (
    MetricResult,
    Soak,
    last_verdicts,
    verdict_fields,
)

T0 = 1_790_000_000.0
RESPONSE = MetricResult(
    "response avg",
    "pass",
    value=182.0,
    baseline=180.0,
    baseline_label="1.1.2 on production, the hour before the deploy",
    threshold="≤ +10% (95% confidence)",
    test="mann-whitney-u",
    p_value=0.41,
    effect=0.011,
    n_post=30,
    n_base=120,
    window=(T0, T0 + 300),
    baseline_window=(T0 - 3600, T0),
)


def _line(kind: str, ts: float, version: str, **fields: Any) -> dict[str, Any]:
    return make_record(kind, environment="uat", ts=ts, version=version, **fields)


def test_a_pass_round_trips_through_the_jsonl_with_every_metric_field() -> None:
    record = _line(
        "deployment_success", T0 + 300, "1.2.0", **verdict_fields("pass", "", [RESPONSE])
    )
    entries, malformed = parse_lines([json.dumps(record)])
    assert malformed == 0
    verdicts = last_verdicts(e.record for e in entries)
    verdict = verdicts[("uat", "1.2.0")]
    assert verdict.verdict == "pass"
    assert verdict.soaked  # no soak asked for
    assert verdict.detail == (RESPONSE,)


def test_the_newest_verdict_of_a_version_wins_and_a_soak_line_updates_it() -> None:
    soaking = Soak(T0 + 900, "soaking")
    lines = [
        _line("deployment_failure", T0, "1.2.0", **verdict_fields("fail", "slower", [])),
        _line(
            "deployment_success",
            T0 + 600,
            "1.2.0",
            **verdict_fields("pass", "", [RESPONSE], soaking),
        ),
    ]
    verdict = last_verdicts(lines)[("uat", "1.2.0")]
    assert verdict.verdict == "pass"
    assert verdict.soak == soaking
    assert not verdict.soaked  # still soaking: not promotable yet
    lines.append(
        _line(
            "deployment_soak",
            T0 + 900,
            "1.2.0",
            **verdict_fields("pass", "", [], Soak(T0 + 900, "passed")),
        )
    )
    verdict = last_verdicts(reversed(lines))[("uat", "1.2.0")]  # order of the input is no matter
    assert verdict.soaked
    assert verdict.detail == (RESPONSE,)  # the soak line keeps the verdict's metrics


def test_lines_without_a_verdict_or_with_garbage_are_skipped_not_fatal() -> None:
    lines: list[Any] = [
        _line("deployment_start", T0, "1.2.0", status="in_progress"),
        {"type": "deployment_success", "environment": "uat", "verdict": "pass"},  # no time
        {**_line("deployment_success", T0, "1.3.0"), "verdict": "maybe"},
        {
            **_line("deployment_inconclusive", T0, "1.4.0"),
            **verdict_fields("inconclusive", "too few samples", []),
            "verdict_detail": [{"metric": 5, "n_post": "x", "value": "nan"}, "junk"],
            "soak": {"until": "never", "state": "soaking"},
        },
    ]
    verdicts = last_verdicts(lines)
    assert list(verdicts) == [("uat", "1.4.0")]
    verdict = verdicts[("uat", "1.4.0")]
    assert verdict.verdict == "inconclusive"
    assert verdict.reason == "too few samples"
    assert verdict.soak is None
    assert verdict.detail[0].metric == "?"
    assert verdict.detail[0].n_post == 0
    assert verdict.detail[0].value is None
