"""Typed messages that cross from the polling workers to the widgets."""

from __future__ import annotations

from textual.message import Message


class FleetChanged(Message, bubble=False):
    """New results arrived. A flood collapses into one: only the newest pending one is kept."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, FleetChanged)
