"""The running core: poller → fleet state → store and analysis; faces subscribe to changes."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from umig_tui.config import Config
from umig_tui.fleet import FleetState
from umig_tui.models import (
    MONITORED_ENDPOINTS,
    Endpoint,
    EnvStatus,
    Event,
    EventKind,
    HealthSnapshot,
    PollResult,
    VersionInfo,
)
from umig_tui.poller import Poller
from umig_tui.sources.profiles.base import Profile
from umig_tui.sources.umig import UmigClient

if TYPE_CHECKING:  # the store loads only when one is used (--no-store runs skip it)
    from umig_tui.store.store import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Change:
    """What a face is told after each applied result (and each event it caused)."""

    env: str
    result: PollResult | None
    status: EnvStatus
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
        self._versions: dict[str, str] = {}
        self._tasks: set[asyncio.Task[object]] = set()
        self._history_lock = asyncio.Lock()  # history lines in the order the changes were seen
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
        """The application version reported now, when it reads as a version: an error text or a
        hostile document in its place is neither a deployment nor the reference for one."""
        from umig_tui.analysis.versions import parse_version

        current = self.fleet.versions(env)["umig"]
        return current if current is not None and parse_version(current) is not None else None

    def _on_result(self, result: PollResult) -> None:
        if not self.fleet.apply(result):
            return
        if self.store is not None:
            self.store.submit(result)
        status, reason = self.fleet.status(result.env)
        events = self._status_events(result.env, status, reason)
        if result.ok and result.endpoint in (Endpoint.VERSION, Endpoint.HEALTH):
            events += self._version_events(result.env)
        for event in events:
            if self.store is not None:
                self.store.submit(event)
            if event.kind in (EventKind.DEPLOYMENT, EventKind.ROLLBACK):
                self._spawn(self._append_history(event))
        self._emit(Change(result.env, result, status, events))

    def _version_events(self, env: str) -> tuple[Event, ...]:
        """A version change nobody announced is a deployment (or a rollback when it went back)."""
        from umig_tui.analysis.versions import compare_versions

        current = self._readable_version(env)
        if current is None:  # the last readable version stays the reference
            return ()
        previous = self._versions.get(env)
        self._versions[env] = current
        if previous is None or previous == current:
            return ()
        from umig_tui.deploy.history import deployment_id

        if compare_versions(current, previous) == 0:
            return ()
        self.poller.refresh(env)  # the components and the version endpoint now, not in 5 minutes
        now = self.clock()
        back = compare_versions(current, previous) == -1
        info = self.fleet.last_good(env, Endpoint.VERSION)
        document = info.value if info is not None else None
        if not isinstance(document, VersionInfo) or document.version != current:
            # The health document told first; the version document still describes the
            # version before: its deployer and date are not this deployment's.
            document = None
        by = document.deployed_by if document is not None else None
        at = document.deployed_at if document is not None else None
        health = self.fleet.last_good(env, Endpoint.HEALTH)
        if at is None and health is not None and isinstance(health.value, HealthSnapshot):
            at = health.value.deployed_at if health.value.version == current else None
        kind = EventKind.ROLLBACK if back else EventKind.DEPLOYMENT
        summary = (
            f"{env}: rolled back from {previous} to {current}"
            if back
            else f"{env}: {previous} → {current} (seen by the poller)"
        )
        return (
            Event(
                ts=now,
                env=env,
                kind=kind,
                summary=summary,
                severity="high" if back else "info",
                data={
                    "source": "poller",
                    "id": deployment_id("rollback" if back else "deploy", env, now),
                    "from": previous,
                    "to": current,
                    "deployed_by": by,
                    "deployed_at": at,
                },
            ),
        )

    async def _append_history(self, event: Event) -> None:
        """The seed's JSONL gets detected deployments too, unless a deploy watch covered it."""
        file = self.config.history_file
        if file is None or self.store is None or not self.store.recording or event.env is None:
            return
        from umig_tui.deploy.history import append_record, make_record

        target = event.data.get("to")
        if event.kind is EventKind.ROLLBACK:
            record = make_record(
                "rollback",
                environment=event.env,
                ts=event.ts,
                deployment=str(event.data["id"]),
                fromVersion=event.data.get("from"),
                toVersion=target,
                status="rollback_detected",
            )
        else:
            record = make_record(
                "deployment_success",
                environment=event.env,
                ts=event.ts,
                version=str(target),
                deployment=str(event.data["id"]),
                status="completed",
                fromVersion=event.data.get("from"),
                initiatedBy=event.data.get("deployed_by"),
                detectedBy="umig-tui poller",
            )
        async with self._history_lock:  # FIFO: a rollback is never written before its deploy
            recent = await self.store.events(
                since=event.ts - 3 * 3600, env=event.env, kinds=[str(EventKind.DEPLOYMENT)]
            )
            if any(e.data.get("source") == "watch" and e.data.get("to") == target for e in recent):
                return
            try:
                await asyncio.to_thread(append_record, file, record)
            except OSError as exc:
                log.warning("cannot append to %s: %s", file, exc)

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
                data={"from": str(previous), "to": str(status), "reason": reason},
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
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=5)
        for client in self.clients.values():
            try:
                await client.aclose()
            except Exception:
                log.exception("closing client failed")
        if self.store is not None:
            await self.store.close()
