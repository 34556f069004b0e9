"""The one line that says everything about an environment: what the table has to cut."""

from __future__ import annotations

from umig_tui.models import EnvStatus
from umig_tui.state.fleet import EnvView
from umig_tui.util.timefmt import ago, clock

# Cells the environments table gives a version; a longer one is whole in the reason line.
VERSION_SHOWN = 24


def old_values_note(view: EnvView, now: float) -> str:
    """How old the values shown are, when they are not from the newest answer ("" if fresh)."""
    if not view.shows_old_values:
        return ""
    if view.last_good_at is None:
        return "no answer read yet"
    return f"values from {ago(view.last_good_at, now)} ({clock(view.last_good_at)})"


def reason_line(view: EnvView, now: float) -> str:
    """``production — unreachable: connect_error: refused · values from 3m ago (14:02:10)``:
    what is wrong first, then how old what is shown is, then the rest."""
    parts: list[str] = []
    if view.error is not None:
        parts.append(str(view.error))
        if view.reason and view.error.reason not in view.reason:
            parts.append(view.reason)
    else:
        parts.append(view.reason)
        if view.status is EnvStatus.HEALTHY and view.latency_ms is not None:
            parts.append(f"{view.latency_ms:.0f} ms")
    if note := old_values_note(view, now):
        parts.append(note)
    if view.stale and view.updated_at is not None:
        parts.append(f"no poll for {ago(view.updated_at, now).removesuffix(' ago')}")
    others = {ep: err for ep, err in view.endpoint_errors.items() if ep != "health"}
    same = [ep for ep, err in others.items() if view.error and str(err) == str(view.error)]
    if same:
        parts.append(f"{', '.join(same)} too")
    parts += [f"{ep}: {err}" for ep, err in others.items() if ep not in same]
    if view.circuit_open:
        parts.append("circuit open: polls wait for the breaker")
    if view.tls == "not verified":
        parts.append("TLS not verified")
    if view.version and len(view.version) > VERSION_SHOWN:
        parts.append(f"version {view.version}")
    return f"{view.name} — {view.status}: " + " · ".join(p for p in parts if p)
