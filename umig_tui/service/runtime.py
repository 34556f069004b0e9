"""Build a Monitor from a Config: clients (real or the in-process demo), store, restore."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from umig_tui.config import APP_NAME, Config, resolve_secret
from umig_tui.models import MONITORED_ENDPOINTS, Endpoint
from umig_tui.service.monitor import Monitor
from umig_tui.sources.client import UmigClient
from umig_tui.sources.factory import ClientFactory
from umig_tui.sources.profiles.base import Profile

if TYPE_CHECKING:
    from umig_tui.service.prometheus_source import PrometheusReader
    from umig_tui.store.store import Store


def default_store_path(config: Config) -> Path:
    """``[store] path``, else the platform's state dir (demo data kept apart from real data)."""
    if config.store.path is not None:
        return config.store.path
    import platformdirs

    if config.prometheus is not None:
        # Read from Prometheus: a cache of what it holds, apart from any store of direct polls
        # (a dashboard's local view never mixes with what this host polled itself).
        import hashlib

        where = config.prometheus.url + config.prometheus.api_prefix
        digest = hashlib.sha256(where.encode()).hexdigest()[:12]
        return Path(platformdirs.user_state_dir(APP_NAME)) / f"prometheus-{digest}.db"
    if not config.demo:
        return Path(platformdirs.user_state_dir(APP_NAME)) / "samples.db"
    # One store per demo dialect: its bodies and detected profiles are its own.
    suffix = "" if config.demo_dialect == "us088" else f"-{config.demo_dialect}"
    return Path(platformdirs.user_state_dir(APP_NAME)) / f"demo{suffix}.db"


def build_clients(
    config: Config, environ: Mapping[str, str], *, simulator: object | None = None
) -> dict[str, UmigClient]:
    """One client per environment; raises ConfigError (e.g. a secret variable is unset)."""
    transport_for = None
    if config.demo:
        from umig_tui.demo.fleet import fleet_size_for
        from umig_tui.demo.simulator import Simulator
        from umig_tui.demo.transport import SimulatorTransport

        # Sized by the names, not the count: `--env uat` keeps one environment of four.
        size = fleet_size_for([env.name for env in config.environments])
        sim = (
            simulator
            if isinstance(simulator, Simulator)
            else Simulator(size, timeout_hint=config.polling.timeout, dialect=config.demo_dialect)
        )
        transport = SimulatorTransport(sim)
        transport_for = lambda _env: transport  # noqa: E731 - one shared in-process transport
    for env in config.environments:  # every secret is checked before any client exists
        resolve_secret(env, environ)
    factory = ClientFactory(config.polling, environ, transport_for, custom_profiles(config))
    clients: dict[str, UmigClient] = {}
    for env in config.environments:
        clients[env.name] = factory.build(env)
    return clients


def custom_profiles(config: Config) -> dict[str, Profile]:
    """The config's ``[profiles.NAME]``, built (jq loads only when there are any)."""
    if not config.profiles:
        return {}
    from umig_tui.sources.profiles.custom import JqProfile

    return {name: JqProfile(spec) for name, spec in config.profiles.items()}


async def stored_profiles(config: Config, store: Store) -> dict[str, tuple[Profile, float]]:
    """Per environment that detects its profile, the one found before at the same URL."""
    from umig_tui.sources.profiles.detect import builtin
    from umig_tui.store.profiles import load_profiles

    found: dict[str, tuple[Profile, float]] = {}
    kept = await load_profiles(store)
    for env in config.environments:
        choice = kept.get(env.name)
        if choice is None or choice.url != env.url or env.profile not in ("auto", choice.profile):
            continue
        profile = builtin(choice.profile, choice.variant)
        if profile is not None:
            found[env.name] = (profile, choice.detected_at)
    return found


async def open_store(config: Config, path: Path | None = None) -> tuple[Store | None, str | None]:
    """The store, or None and a notice saying why the run has no history."""
    if not config.store.enabled:
        return None, None
    from umig_tui.store.store import Store, StoreUnavailable

    try:
        store = await Store.open(path or default_store_path(config), config.store)
    except StoreUnavailable as exc:
        return None, str(exc)
    return store, store.notice


async def open_monitor(
    config: Config,
    *,
    environ: Mapping[str, str] | None = None,
    use_store: bool = True,
    store_path: Path | None = None,
    simulator: object | None = None,
    endpoints: tuple[Endpoint, ...] = MONITORED_ENDPOINTS,
    restore: bool = False,
    clock: Callable[[], float] = time.time,
) -> Monitor:
    """Clients first (config errors surface before anything is opened), then the store."""
    environ = os.environ if environ is None else environ
    reader = None
    if config.prometheus is not None:
        from umig_tui.service.prometheus_source import prometheus_clients, refresh_polling

        config = refresh_polling(config)
        reader, clients = prometheus_clients(config, environ, clock)
    else:
        clients = build_clients(config, environ, simulator=simulator)
    store, notice = (await open_store(config, store_path)) if use_store else (None, None)
    monitor = Monitor(
        config, clients, store=store, store_notice=notice, endpoints=endpoints, clock=clock
    )
    first: asyncio.Future[None] | None = None
    if reader is not None:
        monitor.source = reader  # faces say where the state comes from, and when it cannot
        reader.on_profile = lambda env, label: monitor.fleet.set_profile(env, label, {})
        if restore:
            # The state now, asked while the history is: a cache store holds no bodies to
            # restore from, and the first frame should not wait for the first poll cycle.
            first = asyncio.ensure_future(_first_answer(reader, config.polling.timeout))
        if store is not None and restore:
            from umig_tui.service.prometheus_history import backfill

            await backfill(reader, store, config)
    elif store is not None:
        for name, (profile, detected_at) in (await stored_profiles(config, store)).items():
            monitor.adopt_profile(name, profile, detected_at)
    if restore:
        await monitor.restore()
    if first is not None:
        await first
        if reader is not None and reader.answered_at is not None:
            for client in monitor.clients.values():
                for signal in monitor.signals:
                    monitor.apply(await client.fetch(signal))  # read from the one answer
    return monitor


FIRST_ANSWER_WITHIN = 1.0  # seconds the first frame waits for Prometheus, at most


async def _first_answer(reader: PrometheusReader, within: float) -> None:
    """One query of the current state, waited for a second at most (a Prometheus that hangs
    leaves the environments unknown until the poll loops hear from it)."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(reader.refresh(), min(within, FIRST_ANSWER_WITHIN))
