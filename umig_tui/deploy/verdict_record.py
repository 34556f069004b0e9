"""A deploy watch's verdict as the history records it, and the reader the promotion board uses.

Every outcome line a deploy watch writes to the deployment-history JSONL (and the store's
deployment event) carries::

    "verdict": "pass" | "fail" | "inconclusive",
    "verdict_reason": "why, in one line",
    "verdict_detail": [            # one object per metric or gate judged
        {"metric": "response avg", "outcome": "pass" | "fail" | "inconclusive",
         "value": 182.0, "baseline": 180.1,
         "baseline_label": "1.1.2 on production, the hour before the deploy",
         "threshold": "≤ +10% (95% confidence)", "test": "mann-whitney-u",
         "p_value": 0.41, "effect": 0.011, "n_post": 30, "n_base": 120,
         "window": {"start": ISO, "end": ISO},
         "baseline_window": {"start": ISO, "end": ISO} | null,
         "why": "" | "too few samples after the deploy: 12 < 20",
         "role": "decides" | "context"}, ...],  # context: another baseline, shown only
    "soak": {"until": ISO, "state": "soaking" | "passed" | "failed"}   # only with --soak

Line types: ``deployment_success`` (pass), ``deployment_failure`` (fail),
``deployment_inconclusive`` (inconclusive) and, with ``--soak``, ``deployment_soak`` when the
soak ends (state ``passed`` or ``failed``). Reading is tolerant: a line without a verdict, or
with fields of the wrong type, is skipped or read as unknown, never an error.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import msgspec

VERDICTS = ("pass", "fail", "inconclusive")
SOAK_STATES = ("soaking", "passed", "failed")


class MetricResult(msgspec.Struct, frozen=True):
    """One metric (or gate) of a verdict: what was measured, against what, and the test."""

    metric: str
    outcome: str  # pass | fail | inconclusive
    value: float | None = None
    baseline: float | None = None
    baseline_label: str = ""
    threshold: str = ""
    test: str = ""  # mann-whitney-u | exceedance | limit | gate
    p_value: float | None = None
    effect: float | None = None
    n_post: int = 0
    n_base: int = 0
    window: tuple[float, float] | None = None  # the post-deploy window (epoch seconds)
    baseline_window: tuple[float, float] | None = None
    why: str = ""
    role: str = "decides"  # decides | context (another baseline, shown, not deciding)

    def to_json(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "role": self.role,
            "outcome": self.outcome,
            "value": _round(self.value),
            "baseline": _round(self.baseline),
            "baseline_label": self.baseline_label,
            "threshold": self.threshold,
            "test": self.test,
            "p_value": _round(self.p_value, 6),
            "effect": _round(self.effect, 6),
            "n_post": self.n_post,
            "n_base": self.n_base,
            "window": _window_json(self.window),
            "baseline_window": _window_json(self.baseline_window),
            "why": self.why,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> MetricResult:
        outcome = data.get("outcome")
        return cls(
            metric=_str(data.get("metric")) or "?",
            outcome=outcome if outcome in VERDICTS else "inconclusive",
            value=_num(data.get("value")),
            baseline=_num(data.get("baseline")),
            baseline_label=_str(data.get("baseline_label")),
            threshold=_str(data.get("threshold")),
            test=_str(data.get("test")),
            p_value=_num(data.get("p_value")),
            effect=_num(data.get("effect")),
            n_post=_int(data.get("n_post")),
            n_base=_int(data.get("n_base")),
            window=_window(data.get("window")),
            baseline_window=_window(data.get("baseline_window")),
            why=_str(data.get("why")),
            role="context" if data.get("role") == "context" else "decides",
        )


class Soak(msgspec.Struct, frozen=True):
    until: float
    state: str  # soaking | passed | failed

    def to_json(self) -> dict[str, Any]:
        return {"until": _iso(self.until), "state": self.state}


class Verdict(msgspec.Struct, frozen=True):
    """The last word on one version in one environment."""

    env: str
    version: str
    verdict: str  # pass | fail | inconclusive
    at: float  # when it was given (the record's timestamp)
    reason: str = ""
    from_version: str | None = None
    detail: tuple[MetricResult, ...] = ()
    soak: Soak | None = None

    @property
    def soaked(self) -> bool:
        """Passed and, when a soak was asked for, the soak passed too."""
        return self.verdict == "pass" and (self.soak is None or self.soak.state == "passed")


def verdict_fields(
    verdict: str,
    reason: str,
    detail: Iterable[MetricResult],
    soak: Soak | None = None,
) -> dict[str, Any]:
    """The keys a history line (and a stored event) gains for a verdict."""
    fields: dict[str, Any] = {
        "verdict": verdict,
        "verdict_reason": reason,
        "verdict_detail": [m.to_json() for m in detail],
    }
    if soak is not None:
        fields["soak"] = soak.to_json()
    return fields


def last_verdicts(records: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str], Verdict]:
    """The newest verdict per (environment, version) from history lines, oldest first or not.

    A soak line (``deployment_soak``) updates the soak state of the verdict it follows; lines
    without a verdict (starts, rollbacks, what the poller saw) are skipped.
    """
    out: dict[tuple[str, str], Verdict] = {}
    readable = [(r, _ts(r.get("timestamp"))) for r in records if isinstance(r, Mapping)]
    for record, ts in sorted(
        ((r, t) for r, t in readable if t is not None), key=lambda pair: pair[1]
    ):
        assert ts is not None
        verdict = record.get("verdict")
        env = record.get("environment")
        version = record.get("version")
        if verdict not in VERDICTS or not isinstance(env, str) or not isinstance(version, str):
            continue
        detail = record.get("verdict_detail")
        results = tuple(
            MetricResult.from_json(d)
            for d in (detail if isinstance(detail, list) else [])
            if isinstance(d, Mapping)
        )
        soak = _soak(record.get("soak"))
        key = (env, version)
        previous = out.get(key)
        if record.get("type") == "deployment_soak" and previous is not None and not results:
            results = previous.detail
        from_version = record.get("fromVersion")
        out[key] = Verdict(
            env=env,
            version=version,
            verdict=verdict,
            at=ts,
            reason=_str(record.get("verdict_reason")),
            from_version=from_version if isinstance(from_version, str) else None,
            detail=results,
            soak=soak,
        )
    return out


# -- tolerant reading -----------------------------------------------------------------------


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None or not math.isfinite(value) else round(value, digits)


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds")


def _window_json(window: tuple[float, float] | None) -> dict[str, str] | None:
    return None if window is None else {"start": _iso(window[0]), "end": _iso(window[1])}


def _ts(value: Any) -> float | None:
    if not isinstance(value, str):
        return None
    with contextlib.suppress(ValueError):
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.timestamp()
    return None


def _window(value: Any) -> tuple[float, float] | None:
    if not isinstance(value, Mapping):
        return None
    start, end = _ts(value.get("start")), _ts(value.get("end"))
    return None if start is None or end is None else (start, end)


def _soak(value: Any) -> Soak | None:
    if not isinstance(value, Mapping):
        return None
    until = _ts(value.get("until"))
    state = value.get("state")
    if until is None or state not in SOAK_STATES:
        return None
    return Soak(until, state)


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def is_ratio(metric: str) -> bool:
    """Shown as a percentage (error rate, unavailability), not in milliseconds."""
    return metric.startswith(("error", "unavailability"))
