"""The seeds' deployment-history JSONL, kept from the timeline: every deployment event — a deploy
watch's start and outcome, a version change the poller saw — becomes the same line
(``history_jsonl.record_for``), in the order the events happened."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from umig_tui.deploy.history_jsonl import append_record, record_for
from umig_tui.events import Event, EventKind
from umig_tui.service.monitor import Change, Monitor

log = logging.getLogger(__name__)

# The poller sees the version change a watch follows: within this window of a watched
# deployment to the same version, its sighting is no second deployment.
COVERED_BY_A_WATCH = 3 * 3600.0


class HistoryWriter:
    """Subscribes to a Monitor; appends a line per deployment or rollback event."""

    def __init__(self, monitor: Monitor, path: Path) -> None:
        self.monitor = monitor
        self.path = path
        self.problems: list[str] = []
        self._queue: asyncio.Queue[Event | None] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        monitor.subscribe(self._on_change)

    def _on_change(self, change: Change) -> None:
        for event in change.events:
            if event.kind not in (EventKind.DEPLOYMENT, EventKind.ROLLBACK):
                continue
            deployment = event.deployment
            store = self.monitor.store
            if (
                deployment is not None
                and not deployment.watched
                and not (store is not None and store.recording)
            ):
                continue  # what the poller saw is written by the instance that records
            self._queue.put_nowait(event)
            if self._task is None:
                self._task = asyncio.get_running_loop().create_task(self._drain())

    async def _drain(self) -> None:
        while (event := await self._queue.get()) is not None:
            try:
                await self._write(event)
            except Exception:  # one bad line must not stop the ones after it
                log.exception("history line for %s failed", event.summary)

    async def _write(self, event: Event) -> None:
        record = record_for(event)
        if record is None or event.env is None:
            return
        deployment = event.deployment
        if deployment is not None and not deployment.watched and await self._watched(event):
            return
        try:
            # In a thread: append_record waits for the file lock another writer (a deploy
            # script, a CLI watch) may hold and fsyncs; the event loop must not wait for either.
            await asyncio.to_thread(append_record, self.path, record)
        except OSError as exc:
            message = f"cannot append to {self.path}: {exc.strerror or exc}"
            if message not in self.problems:
                self.problems.append(message)
            log.warning(message)

    async def _watched(self, event: Event) -> bool:
        """A deploy watch (this process or another on the store) covered this version change."""
        store = self.monitor.store
        if store is None:
            return False
        target = event.deployment.to_version if event.deployment else None
        recent = await store.events(
            since=event.ts - COVERED_BY_A_WATCH, env=event.env, kinds=[str(EventKind.DEPLOYMENT)]
        )
        return any(
            e.deployment is not None and e.deployment.watched and e.deployment.to_version == target
            for e in recent
        )

    async def aclose(self) -> None:
        """Write what is queued, then stop."""
        if self._task is None:
            return
        self._queue.put_nowait(None)
        try:
            await asyncio.wait_for(self._task, 10)
        except TimeoutError:
            self._task.cancel()
