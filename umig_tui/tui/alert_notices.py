"""What the dashboard does when alerts change: a bell and a toast for a new critical one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from textual.app import App

from umig_tui.analysis.alert_rules import AlertPhase, Transition
from umig_tui.models import Severity
from umig_tui.tui.messages import FleetChanged


class AlertNotices:
    def __init__(self, app: App[Any], *, bell: bool) -> None:
        self.app = app
        self.bell = bell

    def __call__(self, transitions: Sequence[Transition]) -> None:
        new_critical = [
            t
            for t in transitions
            if t.alert.phase is AlertPhase.FIRING
            and t.previous is not AlertPhase.FIRING
            and t.alert.severity is Severity.CRITICAL
            and t.notify  # a silenced alert rings no bell and shows no toast
        ]
        if new_critical and self.bell:
            self.app.bell()
        for transition in new_critical:
            self.app.notify(
                transition.alert.summary, title="CRITICAL alert", severity="error", timeout=15
            )
        if transitions:  # an alert changed state: on screen now, not within the second
            self.app.post_message(FleetChanged(urgent=True))
