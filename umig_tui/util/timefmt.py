"""Times as on-call engineers read them: "3m ago", "2024-10-20 09:00"."""

from __future__ import annotations

from datetime import UTC, datetime

from umig_tui.util.durations import format_duration


def parse_iso(text: str | None) -> float | None:
    """Epoch seconds from an ISO-8601 string such as ``2024-09-25T14:30:55Z``; None if unreadable."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def iso(ts: float) -> str:
    """``date -Iseconds`` style, in UTC: ``2024-09-25T14:30:55+00:00`` (the seeds' JSONL, exports)."""
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds")


def ago(ts: float | None, now: float) -> str:
    if ts is None:
        return "-"
    delta = now - ts
    if delta < 0:
        return "in " + format_duration(-delta)
    if delta < 1:
        return "now"
    return format_duration(delta).split(" ")[0] + " ago"


def clock(ts: float) -> str:
    """Local wall-clock time HH:MM:SS."""
    return datetime.fromtimestamp(ts).strftime("%H:%M:%S")


def stamp(ts: float) -> str:
    """Local date and time for timelines: ``2024-10-20 09:00``."""
    return datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M")
