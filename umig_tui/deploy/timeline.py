"""Deployment history from both sources: the seed's JSONL and the store's timeline.

Store events written by a deploy watch carry the same id as their JSONL lines, so a deployment
recorded in both appears once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from umig_tui.deploy.history import HistoryEntry, HistorySummary, iso, summarize
from umig_tui.models import Event, EventKind

_STAGE_TYPE = {
    "waiting": ("deployment_start", "in_progress"),
    "succeeded": ("deployment_success", "completed"),
    "failed": ("deployment_failure", "failed"),
    "timed_out": ("deployment_failure", "timed_out"),
}


def entry_from_event(event: Event) -> HistoryEntry | None:
    """A deployment event of the store as a history entry (intermediate stages are skipped)."""
    if event.env is None:
        return None
    data = event.data
    if event.kind is EventKind.ROLLBACK:
        kind, status = "rollback", "rollback_detected"
    elif event.kind is EventKind.DEPLOYMENT:
        if data.get("source") == "poller":
            kind, status = "deployment_success", "detected"
        else:
            mapped = _STAGE_TYPE.get(str(data.get("stage", "")))
            if mapped is None:
                return None
            kind, status = mapped
    else:
        return None
    identifier = str(data.get("watch_id") or data.get("id") or f"event-{event.id}")
    version = data.get("from") if kind == "rollback" else data.get("to")
    record: dict[str, Any] = {
        "id": identifier,
        "type": kind,
        "timestamp": iso(event.ts),
        "environment": event.env,
        "status": status,
        "summary": event.summary,
    }
    if kind == "rollback":
        record.update({"fromVersion": data.get("from"), "toVersion": data.get("to")})
    else:
        record["version"] = version
        if data.get("from"):
            record["fromVersion"] = data.get("from")
    return HistoryEntry(
        id=identifier,
        type=kind,
        timestamp=record["timestamp"],
        ts=event.ts,
        environment=event.env,
        version=str(version) if version else None,
        status=status,
        record=record,
    )


@dataclass(frozen=True, slots=True)
class History:
    entries: tuple[HistoryEntry, ...]  # newest first
    summary: HistorySummary
    malformed: int = 0


def merge_history(
    file_entries: Sequence[HistoryEntry],
    events: Iterable[Event],
    *,
    env: str | None = None,
    since: float | None = None,
    malformed: int = 0,
) -> History:
    seen = {(e.id, e.type) for e in file_entries}
    merged = list(file_entries)
    for event in events:
        entry = entry_from_event(event)
        if entry is not None and (entry.id, entry.type) not in seen:
            seen.add((entry.id, entry.type))
            merged.append(entry)
    selected = [
        e
        for e in merged
        if (env is None or e.environment == env) and (since is None or e.ts >= since)
    ]
    selected.sort(key=lambda e: e.ts, reverse=True)
    return History(tuple(selected), summarize(selected), malformed)
