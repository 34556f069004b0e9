"""Backoff and circuit breaking, so a dead environment costs nothing (seed 002)."""

from __future__ import annotations

import random
from enum import StrEnum

import msgspec

from umig_tui.models import ErrorKind, PollResult


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


def counts_as_down(result: PollResult) -> bool:
    """Failures that say the service is not answering (not: it answered with something wrong)."""
    error = result.error
    if error is None:
        return False
    if error.kind in (ErrorKind.CONNECT_ERROR, ErrorKind.TIMEOUT):
        return True
    return error.kind is ErrorKind.HTTP_ERROR and (error.http_status or 0) >= 500


class CircuitBreaker(msgspec.Struct):
    """Opens after ``threshold`` consecutive down results; one half-open probe after a cooldown.

    A failed probe doubles the cooldown (up to ``max_cooldown``); any answer closes it again.
    """

    threshold: int = 5
    cooldown: float = 30.0
    max_cooldown: float = 300.0
    state: BreakerState = BreakerState.CLOSED
    failures: int = 0
    opened_at: float = 0.0
    current_cooldown: float = 0.0

    @property
    def is_open(self) -> bool:
        return self.state is not BreakerState.CLOSED

    def probe_at(self) -> float:
        """When the next half-open probe may go out (meaningful while open)."""
        return self.opened_at + (self.current_cooldown or self.cooldown)

    def allow(self, now: float, *, probe: bool) -> bool:
        """May a request go out now? Only a ``probe`` request may pass an open breaker."""
        if self.state is BreakerState.CLOSED:
            return True
        if self.state is BreakerState.OPEN and probe and now >= self.probe_at():
            self.state = BreakerState.HALF_OPEN
            return True
        return False

    def force_probe(self, now: float) -> None:
        """A manual refresh: let the next probe go out at once."""
        if self.state is BreakerState.OPEN:
            self.opened_at = now - (self.current_cooldown or self.cooldown)

    def record(self, result: PollResult, now: float) -> None:
        if not counts_as_down(result):
            self.state = BreakerState.CLOSED
            self.failures = 0
            self.current_cooldown = 0.0
            return
        self.failures += 1
        if self.state is BreakerState.HALF_OPEN:
            self.state = BreakerState.OPEN
            self.opened_at = now
            # Never shorter than the base cooldown, even when max_cooldown is set below it.
            self.current_cooldown = min(
                (self.current_cooldown or self.cooldown) * 2,
                max(self.max_cooldown, self.cooldown),
            )
        elif self.state is BreakerState.CLOSED and self.failures >= self.threshold:
            self.state = BreakerState.OPEN
            self.opened_at = now
            self.current_cooldown = self.cooldown


def next_delay(interval: float, failures: int, max_backoff: float, rng: random.Random) -> float:
    """Seconds until the next poll: the interval while healthy, doubling with jitter after failures."""
    if failures <= 0:
        return interval
    cap = max(interval, max_backoff)
    # The exponent is bounded: 2.0 ** 1024 overflows, and a dead environment keeps counting.
    delay = min(interval * 2.0 ** min(failures - 1, 64), cap)
    return min(delay * rng.uniform(0.9, 1.1), cap)
