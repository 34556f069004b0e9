"""The one way a failed worker is reported: a notification, never an exit."""

from __future__ import annotations

from typing import Any

from textual.app import App
from textual.screen import Screen
from textual.widget import Widget
from textual.worker import Worker, WorkerState


def report_worker_error(node: App[Any] | Widget | Screen[Any], event: Worker.StateChanged) -> bool:
    """Notify about a worker that raised; True when it had."""
    if event.state is not WorkerState.ERROR:
        return False
    worker = event.worker
    node.notify(
        f"{worker.description or worker.name} failed: {worker.error}", severity="error", timeout=10
    )
    return True


class WorkerScreen(Screen[None]):
    """A screen that runs workers: their messages do not bubble to the app's handler."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        report_worker_error(self, event)
