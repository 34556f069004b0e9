"""Deployment history from both sources: the seed's JSONL and the store's timeline.

Store events written by a deploy watch carry the same id as their JSONL lines, so a deployment
recorded in both appears once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from umig_tui.deploy.history_jsonl import (
    HistoryEntry,
    HistorySummary,
    read_history,
    record_for,
    summarize,
)
from umig_tui.events import Event, EventKind

if TYPE_CHECKING:
    from umig_tui.store.store import Store


def entry_from_event(event: Event) -> HistoryEntry | None:
    """A deployment event of the store as a history entry, the line the JSONL holds for it
    (intermediate stages have none)."""
    record = record_for(event)
    deployment = event.deployment
    if record is None or deployment is None or event.env is None:
        return None
    if deployment.deployment_id is None:
        record["id"] = f"event-{event.id}"
    if event.kind is EventKind.DEPLOYMENT and not deployment.watched:
        record["status"] = "detected"  # seen by the poller, not reported by a deploy
    record["summary"] = event.summary
    version = deployment.from_version if event.kind is EventKind.ROLLBACK else deployment.to_version
    return HistoryEntry(
        id=str(record["id"]),
        type=str(record["type"]),
        timestamp=str(record["timestamp"]),
        ts=event.ts,
        environment=event.env,
        version=version,
        status=str(record["status"]),
        record=record,
    )


# How far apart a watched deployment and the poller's sighting of it can be (as in
# Monitor._append_history, which keeps such sightings out of the JSONL).
COVER_WINDOW = 3 * 3600.0
_WATCHED = ("deployment_start", "deployment_success", "deployment_failure", "deployment_ended")


def _key(entry: HistoryEntry) -> tuple[str, str, str | None]:
    # Ids name the second a deployment started: two watches started in the same second (of
    # different versions) share one, so the version is part of what makes a line the same.
    return entry.id, entry.type, entry.version


def _covered(entry: HistoryEntry, entries: Sequence[HistoryEntry]) -> bool:
    return any(
        other.type in _WATCHED
        and "detectedBy" not in other.record  # a sighting written to the JSONL covers nothing
        and other.environment == entry.environment
        and other.version == entry.version
        and abs(other.ts - entry.ts) <= COVER_WINDOW
        for other in entries
    )


class History(msgspec.Struct, frozen=True):
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
    seen = {_key(e) for e in file_entries}
    merged = list(file_entries)
    detected: list[HistoryEntry] = []
    for event in sorted(events, key=lambda ev: (ev.ts, ev.id or 0)):  # oldest first, as the file
        entry = entry_from_event(event)
        if entry is None:
            continue
        if event.kind is EventKind.DEPLOYMENT and not (
            event.deployment is not None and event.deployment.watched
        ):
            detected.append(entry)
        elif _key(entry) not in seen:
            seen.add(_key(entry))
            merged.append(entry)
    # The poller also sees the version change a deploy watch follows: that deployment is
    # already in the history (start, success or failure), so the sighting is not a second one.
    # (Its id can even equal the watch's: both are named after the same second.)
    watched = list(merged)
    for entry in detected:
        if _key(entry) not in seen and not _covered(entry, watched):
            seen.add(_key(entry))
            merged.append(entry)
    selected = [
        e
        for e in merged
        if (env is None or e.environment == env) and (since is None or e.ts >= since)
    ]
    # Newest first. The seed's timestamps have whole seconds: within one, a later line (or a
    # later event) is the newer one, so a start never shows above its own outcome.
    position = {id(e): n for n, e in enumerate(selected)}
    selected.sort(key=lambda e: (e.ts, position[id(e)]), reverse=True)
    return History(tuple(selected), summarize(selected), malformed)


async def load_history(
    store: Store | None, file: Path | None, *, since: float, env: str | None = None
) -> History:
    """Deployments from the seed's JSONL and the store's timeline, merged, newest first.
    OSError when the file exists but cannot be read."""
    entries: list[HistoryEntry] = []
    malformed = 0
    if file is not None:
        entries, malformed = await asyncio.to_thread(read_history, file)
    events: list[Event] = []
    if store is not None:
        kinds = [str(EventKind.DEPLOYMENT), str(EventKind.ROLLBACK)]
        events = await store.events(since=since, env=env, kinds=kinds, limit=5000)
    return merge_history(entries, events, env=env, since=since, malformed=malformed)
