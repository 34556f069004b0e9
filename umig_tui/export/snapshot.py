"""Incident hand-offs: the fleet right now as Markdown, and the timeline (post-mortem ready).

Pure rendering; the seed 003 post-mortem template is filled from the events.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from umig_tui.analysis.alert_rules import AlertState
from umig_tui.analysis.drift import DriftFinding
from umig_tui.events import Event, EventKind
from umig_tui.export.report import code, md
from umig_tui.models import EnvStatus
from umig_tui.state.fleet import EnvView
from umig_tui.util.durations import format_duration
from umig_tui.util.timefmt import clock, day, minute, stamp, zone


class Snapshot(msgspec.Struct, frozen=True):
    taken_at: float
    views: tuple[EnvView, ...]
    firing: tuple[AlertState, ...]
    findings: tuple[DriftFinding, ...]
    events: tuple[Event, ...]  # newest first, e.g. the last hour
    demo: bool = False


def render_snapshot(snap: Snapshot) -> str:
    worst = max((v.status for v in snap.views), key=lambda s: s.rank, default=EnvStatus.UNKNOWN)
    out = [
        f"### UMIG fleet snapshot — {stamp(snap.taken_at, seconds=True)}"
        + (" (DEMO)" if snap.demo else ""),
        "",
        f"**Worst status: {worst}** · "
        + ", ".join(
            f"{sum(1 for v in snap.views if v.status is s)} {s}"
            for s in sorted(EnvStatus, key=lambda s: s.rank)
            if any(v.status is s for v in snap.views)
        ),
        "",
        "| Environment | Status | Version | Uptime | Detail |",
        "| --- | --- | --- | --- | --- |",
    ]
    for view in snap.views:
        detail = "" if view.status is EnvStatus.HEALTHY else view.reason
        out.append(
            f"| {md(view.name)} | {view.status} | {code(view.version or 'unknown')} | "
            f"{md(view.uptime or '-')} | {md(detail)} |"
        )
    out += ["", f"**Firing alerts ({len(snap.firing)})**", ""]
    out += [
        f"- {a.severity} {md(a.rule)} on {md(a.env)} since {clock(a.fired_at or a.since, label=True)}: {md(a.summary)}"
        for a in snap.firing
    ] or ["- none"]
    out += ["", f"**Version drift ({len(snap.findings)})**", ""]
    out += [f"- {f.severity} {md(f.message)}" for f in snap.findings] or ["- none"]
    out += ["", f"**Last hour** ({zone(snap.taken_at)})", ""]
    out += [f"- {clock(e.ts)} {md(e.summary)}" for e in snap.events] or ["- nothing happened"]
    return "\n".join(out) + "\n"


def render_timeline(events: Sequence[Event], *, since: float, until: float) -> str:
    """Oldest first, one line each: the order things happened in."""
    lines = [
        f"Timeline {stamp(since, seconds=True)} → {stamp(until, seconds=True)} "
        f"({len(events)} events)"
    ]
    for event in sorted(events, key=lambda e: e.ts):
        lines.append(
            f"{stamp(event.ts, seconds=True)}  {event.env or '-':<12} {event.kind!s:<13} "
            f"{event.summary}"
        )
    return "\n".join(lines) + "\n"


_SEVERITY_ORDER = {"critical": 4, "high": 3, "medium": 2, "low": 1, "info": 0}


def _incident_window(events: Sequence[Event]) -> tuple[float, float] | None:
    trouble = [e for e in events if (e.severity or "").lower() in ("critical", "high")]
    if not trouble:
        return None
    return min(e.ts for e in trouble), max(e.ts for e in events)


def _downtime(events: Sequence[Event], until: float) -> dict[str, float]:
    """Seconds each environment spent unhealthy or unreachable, from its status changes."""
    down: dict[str, float] = {}
    since_bad: dict[str, float] = {}
    for event in sorted(events, key=lambda e: e.ts):
        if event.kind is not EventKind.STATUS_CHANGE or event.env is None:
            continue
        change = event.status_change
        bad = change is not None and change.after in ("unhealthy", "unreachable")
        if bad and event.env not in since_bad:
            since_bad[event.env] = event.ts
        elif not bad and event.env in since_bad:
            down[event.env] = down.get(event.env, 0.0) + event.ts - since_bad.pop(event.env)
    for env, start in since_bad.items():
        down[env] = down.get(env, 0.0) + until - start
    return down


def render_postmortem(events: Sequence[Event], *, since: float, until: float) -> str:
    """Seed 003's post-mortem template, pre-filled: date, duration, severity, services, timeline."""
    ordered = sorted(events, key=lambda e: e.ts)
    window = _incident_window(ordered) or (
        (ordered[0].ts, ordered[-1].ts) if ordered else (since, until)
    )
    worst = max((_SEVERITY_ORDER.get((e.severity or "").lower(), 0) for e in ordered), default=0)
    priority = {4: "P1", 3: "P2"}.get(worst, "P3")
    services = sorted({e.env for e in ordered if e.env})
    downtime = _downtime(ordered, until)
    first = next(
        (e for e in ordered if (e.severity or "").lower() in ("critical", "high")),
        ordered[0] if ordered else None,
    )
    out = [
        "# Incident Post-Mortem: [Title]",
        "",
        "## Summary",
        f"- **Date**: {day(window[0])} (times in {zone(window[0])})",
        f"- **Duration**: {format_duration(max(0.0, window[1] - window[0]))}",
        f"- **Severity**: {priority}",
        f"- **Services Affected**: {', '.join(md(s) for s in services) or '[list]'}",
        "",
        "## Timeline",
    ]
    # In the order things happened: what led up to the incident stays above its detection.
    out += [
        f"- {minute(e.ts)} - " + ("Incident detected: " if e is first else "") + md(e.summary)
        for e in ordered
    ]
    out += [
        "- HH:MM - Response started",
        "- HH:MM - Fix applied",
        "- HH:MM - Incident resolved",
        "",
        "## Root Cause",
        "[Detailed analysis]",
        "",
        "## Impact",
        "- Users affected: X",
    ]
    if downtime:
        out.append(
            "- Downtime: "
            + ", ".join(f"{env} {format_duration(s)}" for env, s in sorted(downtime.items()))
        )
    else:
        out.append("- Downtime: none recorded (no environment went unhealthy or unreachable)")
    out += [
        "- Financial: $X",
        "",
        "## Resolution",
        "[What was done to fix]",
        "",
        "## Action Items",
        "- [ ] Fix X by YYYY-MM-DD (@owner)",
        "- [ ] Improve monitoring (@owner)",
        "- [ ] Update docs (@owner)",
        "",
        "## Lessons Learned",
        "[What we learned and how to prevent]",
    ]
    return "\n".join(out) + "\n"
