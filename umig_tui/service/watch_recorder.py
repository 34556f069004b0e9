"""A deploy watch's transitions as timeline events (the history JSONL follows them: that is the
``HistoryWriter``'s job, for every deployment event alike)."""

from __future__ import annotations

import getpass
from typing import Any

from umig_tui.deploy.history_jsonl import deployment_id
from umig_tui.deploy.verdict_record import Soak, verdict_fields
from umig_tui.deploy.watch_state import Stage, WatchState
from umig_tui.events import WATCH, Deployment, Event, EventKind
from umig_tui.service.monitor import Monitor

_SEVERITY = {
    Stage.FAILED: "critical",
    Stage.TIMED_OUT: "warning",
    Stage.INTERRUPTED: "warning",
    Stage.INCONCLUSIVE: "warning",  # not a pass: nothing was judged
}
# Stages at which the watch has given its verdict (a soak's start is the pass).
_JUDGED = (Stage.SUCCEEDED, Stage.FAILED, Stage.INCONCLUSIVE, Stage.SOAKING)


def verdict_payload(state: WatchState) -> tuple[str | None, dict[str, Any] | None]:
    """(verdict, the history line's verdict keys) of a state that has a verdict to record."""
    if state.stage not in _JUDGED or state.verdict is None:
        return None, None
    soak = None
    if state.soak_until is not None and state.soak_state is not None:
        soak = Soak(state.soak_until, state.soak_state)
    return state.verdict, verdict_fields(
        state.verdict, state.verdict_reason, state.verdict_detail, soak
    )


def current_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


class WatchRecorder:
    """Records the start of a watch and every transition after it as a deployment event."""

    def __init__(self, monitor: Monitor, *, user: str | None = None) -> None:
        self.monitor = monitor
        self.user = user or current_user()
        self.watch_id: str | None = None

    async def record(self, state: WatchState, transition: bool) -> None:
        if not transition and self.watch_id is not None:
            return
        if self.watch_id is None:
            self.watch_id = deployment_id("deploy", state.env, state.started_at)
            summary = f"{state.env}: watching the deploy of {state.expected}"
        else:
            summary = f"{state.env}: deploy of {state.expected} {state.stage}"
            if state.reason:
                summary += f": {state.reason}"
        verdict, verdict_json = verdict_payload(state)
        await self.monitor.record(
            Event(
                ts=state.started_at if state.stage is Stage.WAITING else state.now,
                env=state.env,
                kind=EventKind.DEPLOYMENT,
                summary=summary,
                severity=_SEVERITY.get(state.stage, "info"),
                payload=Deployment(
                    source=WATCH,
                    deployment_id=self.watch_id,
                    from_version=state.previous_version,
                    to_version=state.expected,
                    stage=str(state.stage),
                    reason=state.reason,
                    initiated_by=self.user,
                    elapsed_s=state.elapsed,
                    verdict=verdict,
                    verdict_json=verdict_json,
                ),
            )
        )
