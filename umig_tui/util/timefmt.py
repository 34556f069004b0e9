"""Times as on-call engineers read them: "3m ago", "2024-10-20 09:00 CET".

One rule for every time a person reads (CLI, exports, dashboard): local time by default, in UTC
when asked (``--utc``, the dashboard's key), and labelled with its zone wherever it stands alone
(a column of clock times under a labelled heading may leave it out). Machine formats (JSON,
JSONL, the Prometheus exposition) are ISO-8601 in UTC with an offset: :func:`iso`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import overload

from umig_tui.util.durations import format_duration

_utc = False  # one process, one rule: the CLI's --utc, the dashboard's toggle


def set_utc(on: bool) -> None:
    """Every human-facing time from now on in UTC (``True``) or local time (``False``)."""
    global _utc
    _utc = bool(on)


def use_utc() -> bool:
    """Whether human-facing times are shown in UTC."""
    return _utc


def toggle_utc() -> bool:
    """Switch between local time and UTC; the new setting (``True``: UTC)."""
    set_utc(not _utc)
    return _utc


def moment(ts: float) -> datetime:
    """``ts`` as an aware datetime in the zone times are shown in."""
    if _utc:
        return datetime.fromtimestamp(ts, UTC)
    return datetime.fromtimestamp(ts).astimezone()


def zone(ts: float) -> str:
    """The label of the shown zone at ``ts``: ``UTC``, ``CET``, or ``UTC+04:00`` for a zone
    without an abbreviation (daylight saving changes it, hence the moment)."""
    if _utc:
        return "UTC"
    shown = moment(ts)
    name = shown.tzname() or ""
    if name and name[0] not in "+-" and not name.isdigit():
        return name
    return _offset_label(shown.utcoffset() or timedelta(0))


def _offset_label(offset: timedelta) -> str:
    minutes = round(offset.total_seconds() / 60)
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{rest:02d}"


def clock(ts: float, *, label: bool = False) -> str:
    """Wall-clock time ``14:03:07`` in the shown zone; ``14:03:07 CET`` with ``label``."""
    text = moment(ts).strftime("%H:%M:%S")
    return f"{text} {zone(ts)}" if label else text


def minute(ts: float) -> str:
    """``14:03`` in the shown zone (a column whose heading names the zone)."""
    return moment(ts).strftime("%H:%M")


def day(ts: float) -> str:
    """The date ``2026-12-07`` in the shown zone."""
    return moment(ts).strftime("%Y-%m-%d")


def stamp(ts: float, *, seconds: bool = False, label: bool = True) -> str:
    """Date and time ``2026-12-07 14:03 CET`` (``seconds``: ``14:03:07``) in the shown zone."""
    text = moment(ts).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")
    return f"{text} {zone(ts)}" if label else text


@overload
def stamp_text(text: str, *, seconds: bool = False) -> str: ...
@overload
def stamp_text(text: None, *, seconds: bool = False) -> None: ...
@overload
def stamp_text(text: str | None, *, seconds: bool = False) -> str | None: ...
def stamp_text(text: str | None, *, seconds: bool = False) -> str | None:
    """An ISO-8601 time from elsewhere (an API's ``deployedAt``, a history line) as
    :func:`stamp`; a string that is not one is shown as it came (None stays None)."""
    if text is None:
        return None
    ts = parse_iso(text)
    return text if ts is None else stamp(ts, seconds=seconds)


def parse_iso(text: str | None) -> float | None:
    """Epoch seconds from an ISO-8601 string such as ``2024-09-25T14:30:55Z``; None if unreadable."""
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


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
