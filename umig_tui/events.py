"""The timeline: status flips, deployments, rollbacks, alerts, notices — one typed payload each.

Payloads are serialised only at the store boundary (``to_json`` / ``payload_from_json``), with
the keys stores have always held (``from``, ``to``, ``source``, ``stage`` …), so a store written
by an earlier version reads back the same.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import msgspec


class EventKind(StrEnum):
    """What the store's timeline records."""

    STATUS_CHANGE = "status_change"
    DEPLOYMENT = "deployment"
    ROLLBACK = "rollback"
    ALERT = "alert"
    NOTICE = "notice"


def _text(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    return None if value is None else str(value)


def _number(data: dict[str, Any], key: str) -> float | None:
    value = data.get(key)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


class StatusChange(msgspec.Struct, frozen=True):
    """An environment's status went from one word to another."""

    before: str
    after: str
    reason: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"from": self.before, "to": self.after, "reason": self.reason}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StatusChange:
        return cls(
            _text(data, "from") or "?", _text(data, "to") or "?", _text(data, "reason") or ""
        )


WATCH = "watch"  # a deploy watch's transition
POLLER = "poller"  # a version change nobody announced, seen by the poller


class Deployment(msgspec.Struct, frozen=True):
    """A version change: seen by the poller (a deployment, or a rollback when it went back), or
    a deploy watch's stage (``waiting`` when it started, then ``succeeded`` / ``failed`` …)."""

    source: str  # WATCH | POLLER
    deployment_id: str | None = None
    from_version: str | None = None
    to_version: str | None = None
    deployed_by: str | None = None
    deployed_at: str | None = None
    stage: str | None = None  # a watch's stage
    reason: str | None = None  # why a watch failed
    initiated_by: str | None = None  # who started the watch
    elapsed_s: float | None = None  # how long the watch had run
    verdict: str | None = None  # pass | fail | inconclusive, once a watch has one
    # The history line's verdict keys (deploy.verdict_record.verdict_fields): verdict_reason,
    # verdict_detail, soak — kept as JSON, the events layer knows nothing of their shape.
    verdict_json: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        key = "watch_id" if self.source == WATCH else "id"
        data: dict[str, Any] = {
            "source": self.source,
            key: self.deployment_id,
            "from": self.from_version,
            "to": self.to_version,
            "deployed_by": self.deployed_by,
            "deployed_at": self.deployed_at,
            "stage": self.stage,
            "reason": self.reason,
            "initiated_by": self.initiated_by,
            "elapsed_s": self.elapsed_s,
            "verdict": self.verdict,
            "verdict_json": self.verdict_json,
        }
        return {k: v for k, v in data.items() if v is not None}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Deployment:
        return cls(
            source=_text(data, "source") or (WATCH if "stage" in data else POLLER),
            deployment_id=_text(data, "watch_id") or _text(data, "id"),
            from_version=_text(data, "from"),
            to_version=_text(data, "to"),
            deployed_by=_text(data, "deployed_by"),
            deployed_at=_text(data, "deployed_at"),
            stage=_text(data, "stage"),
            reason=_text(data, "reason"),
            initiated_by=_text(data, "initiated_by"),
            elapsed_s=_number(data, "elapsed_s"),
            verdict=_text(data, "verdict"),
            verdict_json=data["verdict_json"]
            if isinstance(data.get("verdict_json"), dict)
            else None,
        )

    @property
    def watched(self) -> bool:
        return self.source == WATCH


class AlertChange(msgspec.Struct, frozen=True):
    """An alert's transition (pending, firing, resolved)."""

    rule: str
    phase: str
    value: float | None = None
    threshold: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "phase": self.phase,
            "value": self.value,
            "threshold": self.threshold,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AlertChange:
        return cls(
            _text(data, "rule") or "?",
            _text(data, "phase") or "?",
            _number(data, "value"),
            _number(data, "threshold"),
        )


class Notice(msgspec.Struct, frozen=True):
    """Anything else worth a line on the timeline; its summary says it all."""

    def to_json(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Notice:
        return cls()


Payload = StatusChange | Deployment | AlertChange | Notice

_PAYLOADS: dict[
    EventKind, type[StatusChange] | type[Deployment] | type[AlertChange] | type[Notice]
] = {
    EventKind.STATUS_CHANGE: StatusChange,
    EventKind.DEPLOYMENT: Deployment,
    EventKind.ROLLBACK: Deployment,
    EventKind.ALERT: AlertChange,
    EventKind.NOTICE: Notice,
}


def payload_from_json(kind: EventKind, data: dict[str, Any]) -> Payload:
    """The payload of a stored event of ``kind`` (missing keys read as unknown, never raise)."""
    return _PAYLOADS[kind].from_json(data)


class Event(msgspec.Struct, frozen=True):
    """One entry of the timeline."""

    ts: float
    env: str | None
    kind: EventKind
    summary: str
    severity: str | None = None
    payload: Payload = msgspec.field(default_factory=Notice)
    id: int | None = None

    @property
    def deployment(self) -> Deployment | None:
        """The payload of a deployment or rollback event."""
        return self.payload if isinstance(self.payload, Deployment) else None

    @property
    def status_change(self) -> StatusChange | None:
        return self.payload if isinstance(self.payload, StatusChange) else None
