"""Where a deploy watch's transitions go: the store's timeline and the seed's history JSONL."""

from __future__ import annotations

import asyncio
import getpass
import logging
from pathlib import Path

from umig_tui.deploy.history import append_record, deployment_id, make_record
from umig_tui.deploy.watch_state import Stage, WatchState
from umig_tui.durations import format_duration
from umig_tui.models import Event, EventKind
from umig_tui.store.store import Store

log = logging.getLogger(__name__)

_SEVERITY = {Stage.FAILED: "critical", Stage.TIMED_OUT: "high"}


def current_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


class WatchRecorder:
    """Records every transition as an event, and start/success/failure lines in the JSONL."""

    def __init__(
        self, store: Store | None, history_file: Path | None, *, user: str | None = None
    ) -> None:
        self.store = store
        self.history_file = history_file
        self.user = user or current_user()
        self.watch_id: str | None = None
        self.problems: list[str] = []

    async def record(self, state: WatchState, transition: bool) -> None:
        if not transition and self.watch_id is not None:
            return
        if self.watch_id is None:
            self.watch_id = deployment_id("deploy", state.env, state.started_at)
            await self._append(
                make_record(
                    "deployment_start",
                    environment=state.env,
                    ts=state.started_at,
                    version=state.expected,
                    deployment=self.watch_id,
                    initiatedBy=self.user,
                    status="in_progress",
                    fromVersion=state.previous_version,
                )
            )
            await self._event(state, f"{state.env}: watching the deploy of {state.expected}")
            return
        if state.stage is Stage.SUCCEEDED:
            await self._append(
                make_record(
                    "deployment_success",
                    environment=state.env,
                    ts=state.now,
                    version=state.expected,
                    deployment=self.watch_id,
                    duration=format_duration(state.elapsed),
                    status="completed",
                    fromVersion=state.previous_version,
                )
            )
        elif state.stage in (Stage.FAILED, Stage.TIMED_OUT):
            await self._append(
                make_record(
                    "deployment_failure",
                    environment=state.env,
                    ts=state.now,
                    version=state.expected,
                    deployment=self.watch_id,
                    error=state.reason,
                    status="failed" if state.stage is Stage.FAILED else "timed_out",
                    fromVersion=state.previous_version,
                )
            )
        summary = f"{state.env}: deploy of {state.expected} {state.stage}"
        if state.reason:
            summary += f": {state.reason}"
        await self._event(state, summary)

    async def _event(self, state: WatchState, summary: str) -> None:
        if self.store is None:
            return
        event = Event(
            ts=state.now,
            env=state.env,
            kind=EventKind.DEPLOYMENT,
            summary=summary,
            severity=_SEVERITY.get(state.stage, "info"),
            data={
                "source": "watch",
                "watch_id": self.watch_id,
                "stage": str(state.stage),
                "to": state.expected,
                "from": state.previous_version,
                "reason": state.reason,
                "initiated_by": self.user,
            },
        )
        await self.store.add_event(event)

    async def _append(self, record: dict[str, object]) -> None:
        if self.history_file is None:
            return
        try:
            # In a thread: append_record waits for the file lock another writer (a deploy script,
            # a CLI watch) may hold and fsyncs; the dashboard's loop must not wait for either.
            await asyncio.to_thread(append_record, self.history_file, dict(record))
        except OSError as exc:
            message = f"cannot append to {self.history_file}: {exc.strerror or exc}"
            if message not in self.problems:
                self.problems.append(message)
            log.warning(message)
