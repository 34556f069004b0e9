"""Typed messages that cross from the polling workers to the widgets."""

from __future__ import annotations

from textual.message import Message


class FleetChanged(Message, bubble=False):
    """New results arrived. A flood collapses into one: only the newest pending one is kept.
    ``urgent`` (an alert changed state) is drawn at once, not at the next coalesced frame."""

    def __init__(self, *, urgent: bool = False) -> None:
        super().__init__()
        self.urgent = urgent

    def can_replace(self, message: Message) -> bool:
        # An urgent one is never replaced by a routine one (it would wait for the frame).
        return isinstance(message, FleetChanged) and (self.urgent or not message.urgent)
