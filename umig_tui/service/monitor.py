"""The running core: poller → fleet state → store and analysis; faces subscribe to changes."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine, Iterable
from typing import TYPE_CHECKING, Any, Protocol

import msgspec

from umig_tui.config import Config
from umig_tui.deploy.detect import detect_deployment, readable
from umig_tui.events import Event, EventKind, StatusChange
from umig_tui.models import (
    MONITORED_ENDPOINTS,
    Endpoint,
    EnvStatus,
    HealthSnapshot,
    PollResult,
    VersionInfo,
)
from umig_tui.polling.poller import Poller
from umig_tui.sources.client import UmigClient
from umig_tui.sources.profiles.base import Profile
from umig_tui.state.fleet import FleetState

if TYPE_CHECKING:  # the store loads only when one is used (--no-store runs skip it)
    from umig_tui.store.store import Store

log = logging.getLogger(__name__)


class Change(msgspec.Struct, frozen=True):
    """What a face is told after each applied result (and each event it caused)."""

    env: str
    result: PollResult | None
    status: EnvStatus
    events: tuple[Event, ...] = ()


Listener = Callable[[Change], None]


class StateSource(Protocol):
    """Where the state is read from when this run polls nothing (``--source prometheus=URL``)."""

    @property
    def where(self) -> str: ...

    @property
    def notice(self) -> str | None: ...


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
        self.source: StateSource | None = None  # None: the environments are polled directly
        self.clock = clock
        self.fleet = FleetState(config, clock)
        self._poller = Poller(config, clients, on_result=self.apply, endpoints=endpoints)
        self._listeners: list[Listener] = []
        self._statuses: dict[str, EnvStatus] = {}
        self._versions: dict[str, str] = {}
        self._tasks: set[asyncio.Task[object]] = set()
        for name, client in clients.items():
            client.on_profile = self._on_profile
            if client.profile is not None:
                self.fleet.set_profile(name, client.profile.label, client.profile.paths())

    @property
    def store_notice(self) -> str | None:
        """Why history is unavailable or paused, if it is."""
        if self.store is not None and self.store.notice:
            return self.store.notice
        return self._store_notice

    @property
    def source_notice(self) -> str | None:
        """Why the source the state is read from does not answer, while it does not."""
        return self.source.notice if self.source is not None else None

    @property
    def limit_notice(self) -> str | None:
        """Why fewer requests go out at once than configured (the open-file limit), if so."""
        return self._poller.limit_notice

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    async def restore(self) -> int:
        """Load the last known state from the store before the first poll; returns the count."""
        if self.store is None:
            return 0
        from umig_tui.store.queries import restore_results

        restored = await restore_results(self.store, self.profile_of)
        for result in restored:
            self.fleet.apply(result)
        for name in self.fleet.names:
            status, _reason = self.fleet.status(name)
            if status is not EnvStatus.UNKNOWN:
                self._statuses[name] = status
            version = self._readable_version(name)
            if version is not None:
                self._versions[name] = version
        return len(restored)

    def profile_of(self, env: str) -> Profile | None:
        """The profile ``env`` speaks, once known (configured, remembered or detected)."""
        client = self.clients.get(env)
        return client.profile if client is not None else None

    async def offered(self, env: str) -> frozenset[Endpoint] | None:
        """The signals ``env``'s profile has a source for, finding the profile first if it is not
        known yet; None when it cannot be found now."""
        from umig_tui.sources.failures import FetchFailed

        client = self.clients[env]
        try:
            profile = await client.resolve()
        except FetchFailed:
            return None
        return frozenset(signal for signal in Endpoint if profile.offers(signal))

    def adopt_profile(self, env: str, profile: Profile, detected_at: float) -> None:
        """The profile found by an earlier run: no probe this time."""
        client = self.clients[env]
        client.adopt(profile, detected_at)
        if client.profile is profile:
            self.fleet.set_profile(env, profile.label, profile.paths())

    def _on_profile(self, env: str, profile: Profile) -> None:
        """A profile detected on first contact: remembered, so no later run probes again."""
        client = self.clients[env]
        log.info("%s speaks %s", env, profile.label)
        self.fleet.set_profile(env, profile.label, profile.paths())
        if self.store is None or not self.store.recording:
            return
        from umig_tui.store.profiles import StoredProfile, save_profile

        choice = StoredProfile(
            env, client.env.url, profile.name, profile.variant, client.detected_at or time.time()
        )
        self._spawn(save_profile(self.store, choice))

    def _readable_version(self, env: str) -> str | None:
        return readable(self.fleet.versions(env).umig)

    # -- results and events -------------------------------------------------------------------

    def apply(self, result: PollResult) -> None:
        """Take one result: the fleet state, the store, the events it causes, then the faces.
        Every poll ends here; a test or a replay can hand results in the same way."""
        if not self.fleet.apply(result):
            return
        if self.store is not None:
            self.store.submit(result)
        status, reason = self.fleet.status(result.env)
        events = self._status_events(result.env, status, reason)
        if result.ok and result.endpoint in (Endpoint.VERSION, Endpoint.HEALTH):
            events += self._version_events(result.env)
        if self.store is not None and self.store.recording:
            # The instance recording the store owns the timeline: a second one on the same
            # store (a one-shot command beside the dashboard) would write each flip again.
            for event in events:
                self.store.submit(event)
        self._emit(Change(result.env, result, status, events))

    async def record(self, event: Event) -> None:
        """An event from outside the polling (a deploy watch's stage, an alert): written to the
        store at once, then told to every subscriber, as the poller's own events are."""
        if self.store is not None:
            await self.store.add_event(event)
        self._emit(Change(event.env or "", None, EnvStatus.UNKNOWN, (event,)))

    def _version_events(self, env: str) -> tuple[Event, ...]:
        current = self._readable_version(env)
        if current is None:  # the last readable version stays the reference
            return ()
        previous = self._versions.get(env)
        self._versions[env] = current
        info = self.fleet.last_good(env, Endpoint.VERSION)
        health = self.fleet.last_good(env, Endpoint.HEALTH)
        event = detect_deployment(
            env,
            previous,
            current,
            now=self.clock(),
            version_doc=info.value
            if info is not None and isinstance(info.value, VersionInfo)
            else None,
            health_doc=health.value
            if health is not None and isinstance(health.value, HealthSnapshot)
            else None,
        )
        if event is None:
            return ()
        self._poller.refresh(env)  # the components and the version endpoint now, not in 5 min
        return (event,)

    def _spawn(self, coroutine: Coroutine[Any, Any, object]) -> None:
        try:
            task = asyncio.get_running_loop().create_task(coroutine)
        except RuntimeError:  # no loop (synchronous tests): nothing to append to
            coroutine.close()
            return
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _status_events(self, env: str, status: EnvStatus, reason: str) -> tuple[Event, ...]:
        # "unknown" (no health answer yet) is no status: the first real one is not a change.
        if status is EnvStatus.UNKNOWN:
            return ()
        previous = self._statuses.get(env)
        self._statuses[env] = status
        if previous is None or previous == status:
            return ()
        return (
            Event(
                ts=self.clock(),
                env=env,
                kind=EventKind.STATUS_CHANGE,
                summary=f"{env}: {previous} → {status} ({reason})",
                severity="critical" if status.rank >= EnvStatus.UNHEALTHY.rank else "info",
                payload=StatusChange(str(previous), str(status), reason),
            ),
        )

    def _emit(self, change: Change) -> None:
        for listener in list(self._listeners):
            try:
                listener(change)
            except Exception:  # a face's bug must not stop the polling
                log.exception("listener failed")

    # -- polling ------------------------------------------------------------------------------

    async def poll_once(self, signals: Iterable[Endpoint] | None = None) -> list[PollResult]:
        """One concurrent poll of every signal (or of ``signals``) of every environment."""
        return await self._poller.poll_once(endpoints=signals)

    def poll_loop(self, env: str) -> Coroutine[Any, Any, None]:
        """``env``'s polling loop, to run until cancelled (a worker, or a task): one per
        environment, each signal on its interval, never two polls of one signal in flight."""
        return self._poller.run_env(env)

    async def fetch(self, env: str, endpoint: Endpoint) -> PollResult:
        """One fetch now, sharing a poll of the same signal already in flight."""
        return await self._poller.fetch(env, endpoint)

    def refresh(self, env: str | None = None) -> None:
        """Poll ``env`` (or every environment) now, even past an open circuit, and try
        credentials refused before once more."""
        for name in [env] if env else list(self.clients):
            self.clients[name].retry()
        self._poller.refresh(env)

    @property
    def paused(self) -> bool:
        return self._poller.paused

    def pause(self) -> None:
        self._poller.pause()

    def resume(self) -> None:
        self._poller.resume()

    @property
    def signals(self) -> tuple[Endpoint, ...]:
        """The signals this run polls."""
        return self._poller.endpoints

    def circuit(self, env: str) -> tuple[str, int]:
        """``env``'s circuit breaker: its state and its consecutive failures."""
        breaker = self._poller.breaker(env)
        return str(breaker.state), breaker.failures

    def start(self) -> None:
        """Start the store's background writer (a long run; a one-shot command flushes)."""
        if self.store is not None:
            self.store.start()

    async def aclose(self) -> None:
        """Stop fetching, close every client and the store (always, even after errors)."""
        await self._poller.aclose()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=5)
        for client in self.clients.values():
            try:
                await client.aclose()
            except Exception:
                log.exception("closing client failed")
        if self.store is not None:
            await self.store.close()
