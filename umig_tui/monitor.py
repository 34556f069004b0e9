"""The running core: poller → fleet state → store and analysis; faces subscribe to changes."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from umig_tui.config import Config
from umig_tui.fleet import EnvView, FleetState
from umig_tui.models import MONITORED_ENDPOINTS, EnvStatus, Event, EventKind, PollResult
from umig_tui.poller import Poller
from umig_tui.sources.umig import UmigClient
from umig_tui.store.queries import restore_results
from umig_tui.store.store import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Change:
    """What a face is told after each applied result (and each event it caused)."""

    env: str
    result: PollResult | None
    view: EnvView
    events: tuple[Event, ...] = ()


Listener = Callable[[Change], None]


class Monitor:
    """Owns the clients, the poller, the fleet state and the store for one run."""

    def __init__(
        self,
        config: Config,
        clients: dict[str, UmigClient],
        *,
        store: Store | None = None,
        store_notice: str | None = None,
        clock: Callable[[], float] = time.time,
        endpoints: tuple = MONITORED_ENDPOINTS,  # type: ignore[type-arg]
    ) -> None:
        self.config = config
        self.clients = clients
        self.store = store
        self._store_notice = store_notice
        self.clock = clock
        self.fleet = FleetState(config, clock)
        self.poller = Poller(config, clients, on_result=self._on_result, endpoints=endpoints)
        self._listeners: list[Listener] = []
        self._statuses: dict[str, EnvStatus] = {}

    @property
    def store_notice(self) -> str | None:
        """Why history is unavailable or paused, if it is."""
        if self.store is not None and self.store.notice:
            return self.store.notice
        return self._store_notice

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    async def restore(self) -> int:
        """Load the last known state from the store before the first poll; returns the count."""
        if self.store is None:
            return 0
        restored = await restore_results(self.store)
        for result in restored:
            self.fleet.apply(result)
        for name in self.fleet.names:
            status = self.fleet.view(name).status
            if status is not EnvStatus.UNKNOWN:
                self._statuses[name] = status
        return len(restored)

    def _on_result(self, result: PollResult) -> None:
        if not self.fleet.apply(result):
            return
        if self.store is not None:
            self.store.submit(result)
        view = self.fleet.view(result.env)
        events = self._status_events(view)
        for event in events:
            if self.store is not None:
                self.store.submit(event)
        self._emit(Change(result.env, result, view, events))

    def _status_events(self, view: EnvView) -> tuple[Event, ...]:
        # "unknown" (no health answer yet) is no status: the first real one is not a change.
        if view.status is EnvStatus.UNKNOWN:
            return ()
        previous = self._statuses.get(view.name)
        self._statuses[view.name] = view.status
        if previous is None or previous == view.status:
            return ()
        return (
            Event(
                ts=self.clock(),
                env=view.name,
                kind=EventKind.STATUS_CHANGE,
                summary=f"{view.name}: {previous} → {view.status} ({view.reason})",
                severity="critical" if view.status.rank >= EnvStatus.UNHEALTHY.rank else "info",
                data={"from": str(previous), "to": str(view.status), "reason": view.reason},
            ),
        )

    def _emit(self, change: Change) -> None:
        for listener in list(self._listeners):
            try:
                listener(change)
            except Exception:  # a face's bug must not stop the polling
                log.exception("listener failed")

    async def poll_once(self) -> list[PollResult]:
        return await self.poller.poll_once()

    async def aclose(self) -> None:
        """Stop fetching, close every client and the store (always, even after errors)."""
        await self.poller.aclose()
        for client in self.clients.values():
            try:
                await client.aclose()
            except Exception:
                log.exception("closing client failed")
        if self.store is not None:
            await self.store.close()
