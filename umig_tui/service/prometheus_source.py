"""Reading the fleet from Prometheus (``--source prometheus=URL``) instead of polling it.

A :class:`PrometheusReader` asks Prometheus once per refresh for every ``umig_*`` series that
``umig-tui serve`` exposes (one instant query for the whole fleet, shared by every signal of
every environment); a :class:`PrometheusClient` per environment stands where an environment's
HTTP client stands, so the poller, the Monitor, the fleet state, the store and every face run
unchanged. When Prometheus cannot answer, each client hands back the last result it had (the
state is kept, and goes stale on its own clock) and the reader says why: nothing ever falls
back to polling production.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, cast

from msgspec.structs import replace

from umig_tui import exposition as x
from umig_tui.config import Config, ConfigError, Environment
from umig_tui.models import Endpoint, ErrorKind, FetchError, PollResult, Tier
from umig_tui.service.prometheus_documents import (
    SELECTOR,
    SIGNALS,
    Described,
    absent,
    describe,
    group,
    results,
    unknown_health,
)
from umig_tui.sources.failures import FetchFailed
from umig_tui.sources.prometheus_api import PrometheusAPI, Sample

if TYPE_CHECKING:
    from umig_tui.sources.client import UmigClient

log = logging.getLogger(__name__)


class PrometheusReader:
    """One instant query per refresh for the whole fleet; why it failed, when it did."""

    def __init__(
        self, api: PrometheusAPI, *, max_age: float = 1.0, clock: Callable[[], float] = time.time
    ) -> None:
        self.api = api
        self.max_age = max_age
        self.clock = clock
        self.error: FetchError | None = None  # the last query's failure; None once it answers
        self.failed_since: float | None = None
        self.answered_at: float | None = None
        self._samples: list[Sample] = []
        self._results: dict[str, dict[Endpoint, PollResult]] = {}
        self._asked_at = -1e18
        self._inflight: asyncio.Task[None] | None = None
        self._closed = False
        # Told of each environment's profile as serve names it, when it changes.
        self.on_profile: Callable[[str, str], None] | None = None
        self._profiles: dict[str, str] = {}

    @property
    def where(self) -> str:
        return self.api.where

    @property
    def notice(self) -> str | None:
        """What the header says while Prometheus does not answer."""
        if self.error is None:
            return None
        since = ""
        if self.failed_since is not None:
            from umig_tui.util.timefmt import clock

            since = f" since {clock(self.failed_since)}"
        return f"{self.error.reason}{since}; showing the last known state"

    def invalidate(self) -> None:
        """The next read asks Prometheus again (``r``)."""
        self._asked_at = -1e18

    async def refresh(self) -> None:
        """Ask Prometheus unless it was asked within ``max_age``; one query in flight at most."""
        if self.clock() - self._asked_at < self.max_age:
            return
        if self._inflight is None or self._inflight.done():
            self._inflight = asyncio.get_running_loop().create_task(self._ask())
        await asyncio.shield(self._inflight)

    async def _ask(self) -> None:
        try:
            samples = await self.api.query(SELECTOR)
        except FetchFailed as failed:
            if self.error is None:
                log.info("reading Prometheus failed: %s", failed.error.reason)
                self.failed_since = self.clock()
            self.error = failed.error
            return
        finally:
            self._asked_at = self.clock()
        self.error = None
        self.failed_since = None
        self.answered_at = self._asked_at
        self._samples = samples
        self._results = results(samples, self._asked_at)
        if self.on_profile is not None:
            for found in describe(samples):
                if found.profile and self._profiles.get(found.name) != found.profile:
                    self._profiles[found.name] = found.profile
                    self.on_profile(found.name, found.profile)

    def result(self, env: str, signal: Endpoint) -> PollResult | None:
        return self._results.get(env, {}).get(signal)

    def known(self) -> Mapping[str, object]:
        return self._results

    def described(self) -> list[Described]:
        return describe(self._samples)

    def probed(self, env: str) -> frozenset[Endpoint] | None:
        """The signals serve polls of ``env`` (those it reports a probe of); None when
        Prometheus holds nothing of it."""
        found = group(self._samples).get(env)
        if found is None:
            return None
        return frozenset(s for s in SIGNALS if str(s) in found.by(x.PROBE_SUCCESS, "signal"))

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._inflight is not None and not self._inflight.done():
            self._inflight.cancel()
        await self.api.aclose()


class Served:
    """The signals serve polls of one environment, answering ``offers`` as a profile does."""

    def __init__(self, signals: frozenset[Endpoint]) -> None:
        self.signals = signals

    def offers(self, signal: Endpoint) -> bool:
        return signal in self.signals


class PrometheusClient:
    """Where an environment's HTTP client stands in a run that reads Prometheus: ``fetch`` reads
    the shared answer (it never reaches the environment)."""

    profile = None
    detected_at = None
    detects = False

    def __init__(self, env: Environment, reader: PrometheusReader) -> None:
        self.env = env
        self.reader = reader
        self.on_profile: object = None
        self._last: dict[Endpoint, PollResult] = {}

    async def fetch(self, endpoint: Endpoint) -> PollResult:
        """The signal as serve last saw it; while Prometheus does not answer, the last result
        read (unchanged, so the state is kept and goes stale)."""
        await self.reader.refresh()
        now = self.reader.clock()
        if self.reader.error is None:
            found = self.reader.result(self.env.name, endpoint)
            if found is not None:
                self._last[endpoint] = found
                return found
            if endpoint is Endpoint.HEALTH:
                return absent(self.env.name, now, self.reader.known())
        kept = self._last.get(endpoint)
        if kept is not None:
            return kept
        why = self.reader.error or FetchError(ErrorKind.NOT_FOUND, "not in Prometheus")
        if endpoint is Endpoint.HEALTH:
            return unknown_health(self.env.name, now, why)
        return PollResult(self.env.name, endpoint, now, None, error=why)

    def retry(self) -> None:
        self.reader.invalidate()

    def adopt(self, profile: object, detected_at: float) -> None:
        """Profiles are serve's business here."""

    async def resolve(self) -> Served:
        """What serve reads of this environment, standing for its profile where a deploy watch
        asks which gates it has (no smoke check: serve does not run it). Before Prometheus
        answers: every signal serve can expose."""
        await self.reader.refresh()
        return Served(self.reader.probed(self.env.name) or frozenset(SIGNALS))

    async def aclose(self) -> None:
        await self.reader.aclose()


def refresh_polling(config: Config) -> Config:
    """Every signal read at the health interval: one query brings them all."""
    every = config.polling.health
    polling = replace(config.polling, version=every, components=every, metrics=every)
    return replace(config, polling=polling)


def discovered(config: Config, found: list[Described]) -> Config:
    """``config`` with the environments Prometheus holds (tiers as serve says; an environment
    named after a tier has that tier). Their URL is Prometheus's: that is where they are read."""
    assert config.prometheus is not None
    source = config.prometheus
    envs = tuple(
        replace(
            source,
            name=found_env.name,
            tier=found_env.tier or _tier_of(found_env.name),
            origin=f"Prometheus at {source.url}",
        )
        for found_env in found
    )
    return replace(config, environments=envs)


def _tier_of(name: str) -> Tier:
    try:
        return Tier(name)
    except ValueError:
        return Tier.DEVELOPMENT


class SourceUnavailable(ConfigError):
    """The Prometheus to read cannot tell which environments there are (exit 2, one line)."""


def discover(config: Config, environ: Mapping[str, str], names: list[str] | None) -> Config:
    """The environments Prometheus holds, when the config names none (``names``: ``--env``);
    raises SourceUnavailable when Prometheus cannot be read or holds no environment."""
    if config.environments or config.prometheus is None:
        return config.select(names)

    async def ask() -> list[Described]:
        from umig_tui.sources.prometheus_api import connect

        assert config.prometheus is not None
        reader = PrometheusReader(connect(config.prometheus, config.polling.timeout, environ))
        try:
            await reader.refresh()
        finally:
            await reader.aclose()
        if reader.error is not None:
            raise SourceUnavailable(f"cannot read the fleet: {reader.error.reason}")
        return reader.described()

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        found = asyncio.run(ask())
    else:  # a command already inside its loop: the one query runs beside it, then it goes on
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            found = pool.submit(asyncio.run, ask()).result()
    if not found:
        raise SourceUnavailable(
            f"Prometheus at {config.prometheus.url} holds no umig_* series with an environment label: "
            "is `umig-tui serve` running and scraped?"
        )
    return discovered(config, found).select(names)


def prometheus_clients(
    config: Config, environ: Mapping[str, str], clock: Callable[[], float]
) -> tuple[PrometheusReader, dict[str, UmigClient]]:
    """One shared reader and a client per environment, in place of the environments' own."""
    from umig_tui.sources.prometheus_api import connect

    assert config.prometheus is not None
    api = connect(config.prometheus, config.polling.timeout, environ)
    reader = PrometheusReader(api, max_age=min(1.0, config.polling.health / 2), clock=clock)
    clients = {env.name: PrometheusClient(env, reader) for env in config.environments}
    # Duck-typed: the poller and the Monitor ask a client for fetch/retry/resolve/aclose only.
    return reader, cast("dict[str, UmigClient]", clients)
