"""Silencing alerts: through Alertmanager when ``[notify] alertmanager`` is set, else in the store.

Either way every engineer sees the same silences: Alertmanager's are shared by design, the
store's by every instance on that file. The active ones are cached between refreshes (the alert
loop refreshes them each cycle), so matching an alert never waits on the network or the disk.
"""

from __future__ import annotations

import getpass
import logging
import os
import time
import uuid
from collections.abc import Callable, Sequence
from enum import StrEnum
from typing import TYPE_CHECKING

from umig_tui.analysis.alert_rules import AlertPhase, AlertState
from umig_tui.analysis.silences import (
    Silence,
    SilenceError,
    SilenceSource,
    check_comment,
    check_duration,
    rule_matchers,
    silence_for,
)
from umig_tui.service.alertmanager_silences import AlertmanagerSilences
from umig_tui.store.store import Store

if TYPE_CHECKING:  # httpx loads when a request is sent, not before the first frame
    import httpx

log = logging.getLogger(__name__)


class Backend(StrEnum):
    ALERTMANAGER = "alertmanager"
    STORE = "store"
    NONE = "none"


def login_user() -> str:
    """Who is silencing: the login user (a container without a passwd entry: its uid)."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return f"uid {os.getuid()}"


class SilenceService:
    def __init__(
        self,
        *,
        store: Store | None,
        alertmanager: str | None,
        timeout: float = 5.0,
        clock: Callable[[], float] = time.time,
        user: Callable[[], str] = login_user,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.user = user
        self.client = (
            AlertmanagerSilences(alertmanager, timeout=timeout, transport=transport)
            if alertmanager
            else None
        )
        self._active: tuple[Silence, ...] = ()
        self.error: str | None = None  # why the last refresh failed (the last list is kept)

    @property
    def backend(self) -> Backend:
        if self.client is not None:
            return Backend.ALERTMANAGER
        return Backend.STORE if self.store is not None else Backend.NONE

    @property
    def where(self) -> str:
        """Where silences are kept, for a person."""
        if self.client is not None:
            return f"Alertmanager at {self.client.url}"
        if self.store is not None:
            return f"the store {self.store.path}"
        return "nowhere (no store and no [notify] alertmanager)"

    def active(self) -> list[Silence]:
        """The silences in force now, as last refreshed."""
        now = self.clock()
        return [s for s in self._active if s.active(now)]

    def silence_for(self, alert: AlertState) -> Silence | None:
        """The silence covering ``alert`` now; a resolved alert has none to show."""
        if alert.phase is AlertPhase.RESOLVED:
            return None
        return silence_for(alert, self._active, self.clock())

    async def refresh(self) -> None:
        """Read the active silences again; never raises (``error`` says what went wrong)."""
        try:
            if self.client is not None:
                found = await self.client.active()
            elif self.store is not None:
                from umig_tui.store.silences import active_silences

                found = await active_silences(self.store, self.clock())
            else:
                found = []
        except SilenceError as exc:
            self.error = str(exc)
            log.warning("silences not refreshed: %s", exc)
            return
        self._active = tuple(found)
        self.error = None

    async def silence(self, alert: AlertState, seconds: float, comment: str) -> Silence:
        """Silence ``alert`` (its rule on its environment) for ``seconds`` from now."""
        comment = check_comment(comment)
        seconds = check_duration(seconds)
        now = self.clock()
        author = self.user()
        if self.client is not None:
            silence_id = await self.client.create(
                rule_matchers(alert.rule, alert.env),
                author=author,
                comment=comment,
                starts_at=now,
                ends_at=now + seconds,
            )
            source = SilenceSource.ALERTMANAGER
        elif self.store is not None:
            silence_id = uuid.uuid4().hex
            source = SilenceSource.STORE
        else:
            raise SilenceError(
                "silences need the store or [notify] alertmanager, and this run has neither"
            )
        silence = Silence.for_rule(
            silence_id,
            rule=alert.rule,
            env=alert.env,
            author=author,
            comment=comment,
            starts_at=now,
            ends_at=now + seconds,
            created_at=now,
            source=source,
        )
        if self.store is not None and self.client is None:
            from umig_tui.store.silences import add_silence

            await add_silence(self.store, silence)
        self._active = (*self._active, silence)
        return silence

    async def expire(self, silence: Silence) -> None:
        """End ``silence`` now, where it is kept."""
        if silence.source is SilenceSource.ALERTMANAGER:
            if self.client is None:
                raise SilenceError("this silence is Alertmanager's, and none is configured")
            await self.client.expire(silence.id)
        else:
            if self.store is None:
                raise SilenceError("this silence is kept in a store this run has not opened")
            from umig_tui.store.silences import expire_silence

            await expire_silence(self.store, silence.id, self.clock(), by=self.user())
        self._active = tuple(s for s in self._active if s.id != silence.id)

    def for_alerts(self, alerts: Sequence[AlertState]) -> dict[tuple[str, str], Silence]:
        """Which of ``alerts`` are silenced, by which silence."""
        out: dict[tuple[str, str], Silence] = {}
        for alert in alerts:
            silence = self.silence_for(alert)
            if silence is not None:
                out[alert.key] = silence
        return out
