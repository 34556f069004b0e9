"""A simulated UMIG fleet: live-changing metrics, a scripted scenario, and fault injection.

The same Simulator answers over real HTTP (``demo-server``) and in-process (``--demo``).
Every value is a function of the clock and a seed, so a frozen clock gives frozen data.
Which paths answer, and in which shapes, is the simulator's ``dialect`` (``dialects``).
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import msgspec
from msgspec.structs import replace

from umig_tui.demo import dialects
from umig_tui.demo.documents import EnvReading
from umig_tui.demo.documents_v2_live import schema_level
from umig_tui.demo.faults import FAULTS, SimResponse, fault_response
from umig_tui.demo.fleet import SEED_RELEASES, DemoRelease, demo_fleet
from umig_tui.demo.scenarios import SCENARIOS
from umig_tui.models import Tier
from umig_tui.util.durations import parse_duration

# Uptimes the seeds show at the start (seed 000 §1.1).
_SEED_UPTIME = {
    Tier.DEVELOPMENT: 9900.0,
    Tier.UAT: 94500.0,
    Tier.PRODUCTION: 458700.0,
    Tier.HOTFIX: 20700.0,
}
_BASE_LOAD = {  # response ms, error rate, users, db connections
    Tier.DEVELOPMENT: (180.0, 0.012, 14, 6),
    Tier.UAT: (195.0, 0.006, 38, 9),
    Tier.PRODUCTION: (172.0, 0.002, 412, 12),
    Tier.HOTFIX: (165.0, 0.003, 5, 4),
}
_DEV_BUILD_EVERY = 180.0
_CHANGESET_EVERY = 2 * 86400.0  # how far apart the changesets before the seed release ran
_STATUS_WORDS = {"healthy", "degraded", "unhealthy", "maintenance", "unknown"}


class SimEnv(msgspec.Struct):
    name: str
    tier: Tier
    index: int
    release: DemoRelease
    started_at: float
    base_response_ms: float
    base_error_rate: float
    base_users: int
    base_connections: int
    degrade_per_min: float = 0.0
    error_growth_per_min: float = 0.0
    ci_builds: bool = False
    status: str = "healthy"
    response_factor: float = 1.0
    error_rate: float | None = None
    orchestrator_status: str = "active"
    db_status: str = "healthy"
    latency: float = 0.0
    down_until: float = 0.0
    teams_status: int = 200
    faults: dict[str, str] = msgspec.field(default_factory=dict)
    build_properties: bool = False  # operators set -Dbuild.number & co (umig-admin-v2)
    changelog: dict[int, float] = msgspec.field(default_factory=dict)  # changeset → when it ran


class ScheduledDeploy(msgspec.Struct):
    env: str
    at: float
    release: DemoRelease
    downtime: float = 0.0
    status: str = "healthy"
    response_factor: float | None = None
    error_rate: float | None = None


def release_for(
    version: str, base: DemoRelease, *, at: float, by: str, **overrides: str
) -> DemoRelease:
    """A new release of ``version``: UI and backend follow it unless told otherwise."""
    plain = version.split("+")[0]
    values: dict[str, str] = {
        "version": version,
        "build": version.split("+")[1] if "+" in version else plain,
        "ui": plain,
        "backend": plain,
        "database_semantic": plain,
        "deployed_at": datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "deployed_by": by,
    }
    values.update(overrides)
    return replace(base, **values)


class Simulator:
    """The state of every simulated environment and the answers its endpoints give."""

    def __init__(
        self,
        count: int = 4,
        *,
        scenario: str = "default",
        seed: int = 7,
        clock: Callable[[], float] = time.time,
        latency: float = 0.0,
        timeout_hint: float = 10.0,
        dialect: str = "us088",
        probe_delay_factor: float = 1.0,
    ) -> None:
        if scenario not in SCENARIOS:
            raise ValueError(f"unknown scenario {scenario!r}; use {' or '.join(SCENARIOS)}")
        self.dialect = dialect
        self.routing = dialects.dialect(dialect)
        self.probe_delay_factor = _finite("probe_delay_factor", probe_delay_factor)
        if self.probe_delay_factor < 0:
            raise ValueError("probe_delay_factor must not be negative")
        self.clock = clock
        self.seed = seed
        self.scenario = scenario
        self.latency = latency
        self.timeout_hint = timeout_hint
        self.t0 = clock()
        self.envs: dict[str, SimEnv] = {}
        self._events: list[ScheduledDeploy] = []
        self.listeners: list[Callable[[str], None]] = []
        for index, (name, tier) in enumerate(demo_fleet(count)):
            rng = random.Random(f"{seed}:{name}")
            response, error, users, connections = _BASE_LOAD[tier]
            scale = 1.0 if index < 4 else rng.uniform(0.7, 1.4)
            self.envs[name] = SimEnv(
                name=name,
                tier=tier,
                index=index,
                release=SEED_RELEASES[tier],
                started_at=self.t0
                - _SEED_UPTIME[tier] * (1.0 if index < 4 else rng.uniform(0.2, 3.0)),
                base_response_ms=response * scale,
                base_error_rate=error * scale,
                base_users=int(users * scale),
                base_connections=max(2, int(connections * scale)),
                build_properties=tier in (Tier.PRODUCTION, Tier.UAT),
            )
        for sim in self.envs.values():
            # The seeds' dates are years old; keep their uptimes and deploy "when it started".
            deployed = datetime.fromtimestamp(sim.started_at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            sim.release = replace(sim.release, deployed_at=deployed)
            level = schema_level(sim.release.database)
            start = sim.started_at - (level - 1) * _CHANGESET_EVERY
            for number in range(1, level + 1):
                sim.changelog[number] = start + (number - 1) * _CHANGESET_EVERY + _jitter(number)
        if scenario == "default":
            self._script()

    def _script(self) -> None:
        """The demo's story (``SCENARIOS["default"]``): production deploys 1.2.0, hotfix moves
        to the 1.2 line first, UAT slowly degrades, dev keeps building."""
        if "development" in self.envs:
            self.envs["development"].ci_builds = True
        if "uat" in self.envs:
            self.envs["uat"].degrade_per_min = 0.03
            self.envs["uat"].error_growth_per_min = 0.0012
        if "hotfix" in self.envs and "production" in self.envs:
            # On the 1.2 line before production gets 1.2.0: a hotfix environment left on 1.1.x
            # would be "behind production" (HIGH) the moment the release lands. Its UI is still
            # not rebuilt (1.2.0 under 1.2.1+hotfix): the demo's component drift, MEDIUM.
            hotfix = self.envs["hotfix"]
            self.deploy(
                "hotfix",
                "1.2.1+hotfix",
                after=45.0,
                database="031",
                database_semantic="1.2.1",
                api="2.3.1",
                ui="1.2.0",
                backend="1.2.1+hotfix",
                build="hotfix.2",
                codename="Granite",
                by="on-call",
                base=hotfix.release,
            )
        if "production" in self.envs:
            prod = self.envs["production"]
            self.deploy(
                "production",
                "1.2.0",
                after=75.0,
                downtime=20.0,
                database="031",
                api="2.3.1",
                by="deployment-automation",
                base=prod.release,
            )

    @property
    def names(self) -> list[str]:
        return list(self.envs)

    # -- control ------------------------------------------------------------------------------

    def _env(self, name: str) -> SimEnv:
        if name not in self.envs:
            raise KeyError(f"no simulated environment {name!r}; have {', '.join(self.envs)}")
        return self.envs[name]

    def set_fault(self, env: str, kind: str | None, endpoint: str | None = None) -> None:
        """Make ``endpoint`` (or every endpoint) of ``env`` misbehave; ``kind=None`` clears it.

        ``endpoint`` is a signal name ("health": every path of that signal in this dialect) or
        one path the dialect serves ("databaseVersionsHealth", "dashboard/health").
        """
        sim = self._env(env)
        key = endpoint or "*"
        if endpoint is not None:
            self.routing.check_endpoint(endpoint)
        if kind is None:
            if endpoint is None:
                sim.faults.clear()
            else:
                sim.faults.pop(key, None)
        else:
            if not isinstance(kind, str) or kind not in FAULTS:
                raise ValueError(f"unknown fault {kind!r}; known: {', '.join(FAULTS)}")
            sim.faults[key] = kind
        for listener in self.listeners:
            listener(env)

    def deploy(
        self,
        env: str,
        version: str,
        *,
        after: float = 0.0,
        downtime: float = 0.0,
        by: str = "demo",
        status: str = "healthy",
        response_factor: float | None = None,
        error_rate: float | None = None,
        base: DemoRelease | None = None,
        **components: str,
    ) -> None:
        """Schedule ``version`` to land on ``env`` after ``after`` s, down for ``downtime`` s first."""
        sim = self._env(env)
        if status not in _STATUS_WORDS:
            raise ValueError(f"status must be one of {', '.join(sorted(_STATUS_WORDS))}")
        if response_factor is not None:
            response_factor = _finite("response_factor", response_factor)
        if error_rate is not None:
            error_rate = _finite("error_rate", error_rate)
        now = self.clock()
        at = now + _finite("after", after) + _finite("downtime", downtime)
        release = release_for(version, base or sim.release, at=at, by=by, **components)
        if downtime > 0:
            self._events.append(
                ScheduledDeploy(env, now + after, sim.release, downtime=downtime, status=sim.status)
            )
        self._events.append(
            ScheduledDeploy(
                env,
                at,
                release,
                status=status,
                response_factor=response_factor,
                error_rate=error_rate,
            )
        )
        self._events.sort(key=lambda e: e.at)

    def update(self, env: str, **changes: Any) -> None:
        sim = self._env(env)
        for key, value in changes.items():
            if key == "status":
                if value not in _STATUS_WORDS:
                    raise ValueError(f"status must be one of {', '.join(sorted(_STATUS_WORDS))}")
                sim.status = value
            elif key in ("response_factor",):
                sim.response_factor = _finite(key, value)
            elif key == "error_rate":
                sim.error_rate = None if value is None else _finite(key, value)
            elif key in ("orchestrator", "orchestrator_status"):
                sim.orchestrator_status = str(value)
            elif key == "db_status":
                sim.db_status = str(value)
            elif key == "latency":
                sim.latency = _seconds(key, value)
            elif key == "teams_status":
                if isinstance(value, bool) or not isinstance(value, int) or not 100 <= value <= 599:
                    raise ValueError("teams_status must be an HTTP status code (100-599)")
                sim.teams_status = value
            elif key == "down":
                sim.down_until = self.clock() + _seconds(key, value)
            elif key == "build_properties":
                if not isinstance(value, bool):
                    raise ValueError("build_properties must be true or false")
                sim.build_properties = value
            else:
                raise ValueError(f"unknown setting {key!r}")

    def control(self, env: str, command: dict[str, Any]) -> None:
        """Apply a JSON control command (the demo-server's ``POST /_control/<env>``).

        All or nothing: a command with one bad part changes nothing.
        """
        sim = self._env(env)
        saved = replace(sim, faults=dict(sim.faults), changelog=dict(sim.changelog))
        events = list(self._events)
        try:
            self._control(env, dict(command))
        except Exception:
            for name in sim.__struct_fields__:
                setattr(sim, name, getattr(saved, name))
            self._events = events
            for listener in self.listeners:
                listener(env)
            raise

    def _control(self, env: str, command: dict[str, Any]) -> None:
        if "fault" in command:
            self.set_fault(env, command.pop("fault"), command.pop("endpoint", None))
        if "version" in command:
            version = str(command.pop("version"))
            options: dict[str, Any] = {}
            for key in ("after", "downtime"):
                if key in command:
                    options[key] = _seconds(key, command.pop(key))
            for key in ("database", "api", "ui", "backend"):
                if key in command:
                    options[key] = str(command.pop(key))
            for key in ("deploy_status", "deploy_response_factor", "deploy_error_rate", "by"):
                if key in command:
                    options[key.removeprefix("deploy_")] = command.pop(key)
            self.deploy(env, version, **options)
        if command:
            self.update(env, **command)

    # -- answering ----------------------------------------------------------------------------

    def _advance(self, now: float) -> None:
        while self._events and self._events[0].at <= now:
            event = self._events.pop(0)
            sim = self.envs[event.env]
            if event.downtime:
                sim.down_until = event.at + event.downtime
                continue
            sim.release = event.release
            sim.status = event.status
            sim.started_at = event.at
            _migrate(sim.changelog, schema_level(event.release.database), event.at)
            if event.response_factor is not None:
                sim.response_factor = event.response_factor
            if event.error_rate is not None:
                sim.error_rate = event.error_rate

    def _noise(self, sim: SimEnv, bucket: int, salt: str) -> float:
        return random.Random(f"{self.seed}:{sim.name}:{salt}:{bucket}").uniform(-1.0, 1.0)

    def load(self, sim: SimEnv, now: float, minutes: float) -> tuple[float, float, int, int]:
        """Response ms, error rate, users and DB connections at ``now``, ``minutes`` into the
        story (0 for the history before it: the base load, its wave and its noise)."""
        bucket = int(now // 5)
        wave = math.sin(2 * math.pi * now / 600.0 + sim.index)
        response = (
            sim.base_response_ms
            * (1 + 0.08 * wave + 0.05 * self._noise(sim, bucket, "rt"))
            * (1 + sim.degrade_per_min * minutes)
            * sim.response_factor
        )
        if sim.error_rate is not None:
            error_rate = sim.error_rate
        else:
            error_rate = max(
                0.0,
                sim.base_error_rate * (1 + 0.4 * self._noise(sim, bucket, "err"))
                + sim.error_growth_per_min * minutes,
            )
        users = max(
            0, int(sim.base_users * (1 + 0.12 * wave + 0.05 * self._noise(sim, bucket, "u")))
        )
        connections = max(
            1, int(sim.base_connections * (1 + 0.2 * wave) + 2 * self._noise(sim, bucket, "c"))
        )
        return response, min(1.0, error_rate), users, connections

    def reading(self, env: str) -> EnvReading:
        now = self.clock()
        self._advance(now)
        sim = self._env(env)
        release = sim.release
        started = sim.started_at
        if sim.ci_builds:
            builds = int((now - self.t0) // _DEV_BUILD_EVERY)
            if builds > 0:
                at = self.t0 + builds * _DEV_BUILD_EVERY
                number = 1245 + builds
                release = release_for(
                    f"1.3.0-dev+ci.{number}",
                    release,
                    at=at,
                    by="automation",
                    ui="1.3.0-dev",
                    backend="1.3.0-dev",
                    database_semantic="1.3.0-dev",
                )
                started = max(started, at)
        minutes = max(0.0, (now - self.t0) / 60.0)
        response, error_rate, users, connections = self.load(sim, now, minutes)
        return EnvReading(
            version=release.version,
            build=release.build,
            codename=release.codename,
            environment=sim.name,
            database=release.database,
            database_semantic=release.database_semantic,
            changesets=200 + int("".join(c for c in release.database if c.isdigit()) or 0) * 3,
            api=release.api,
            ui=release.ui,
            backend=release.backend,
            deployed_at=release.deployed_at,
            deployed_by=release.deployed_by,
            status=sim.status,
            uptime_seconds=max(0.0, now - started),
            response_time_ms=response,
            error_rate=error_rate,
            active_users=users,
            api_calls_24h=int(users * 310 + 1000),
            db_connections=connections,
            db_status=sim.db_status,
            orchestrator_status=sim.orchestrator_status,
            components_loaded=25,
            tier=str(sim.tier),
            build_properties=sim.build_properties,
            changelog=tuple(sim.changelog[n] for n in sorted(sim.changelog)),
        )

    def respond(self, env: str, path: str) -> SimResponse:
        """The answer to ``GET path`` on ``env`` (path as sent: the API prefix and endpoint)."""
        sim = self.envs.get(env)
        route = self.routing.route(path)
        if sim is None or route is None:
            return SimResponse(status=404, body=dialects.NOT_FOUND, delay=self.latency)
        now = self.clock()
        self._advance(now)
        delay = self.latency + sim.latency
        fault = self.routing.fault_for(route, sim.faults)
        if fault is None and sim.down_until > now:
            return SimResponse(
                status=503,
                headers=(("content-type", "text/plain"),),
                body=b"Service Unavailable: deployment in progress",
                delay=delay,
            )
        reading = self.reading(env)
        status, good = route.build(reading, now)
        if fault is not None:
            response = fault_response(fault, good, timeout_hint=self.timeout_hint, api_path=path)
            return replace(response, delay=response.delay + delay)
        if route.probe:  # what a monitor times: as slow as the environment is now
            delay += reading.response_time_ms / 1000.0 * self.probe_delay_factor
        if route.smoke and sim.teams_status != 200:
            return SimResponse(
                status=sim.teams_status, body=b'{"message": "teams unavailable"}', delay=delay
            )
        return SimResponse(
            status=status, headers=(("content-type", route.content_type),), body=good, delay=delay
        )


def _finite(key: str, value: Any) -> float:
    """A control value that must be a finite number (JSON allows 1e999, which is infinity)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{key} must be a finite number, got {value!r}")
    return float(value)


def _seconds(key: str, value: Any) -> float:
    """A duration given as ``"5s"`` or as a number of seconds; never negative or infinite."""
    seconds = parse_duration(value) if isinstance(value, str) else _finite(key, value)
    if seconds < 0:
        raise ValueError(f"{key} must not be negative, got {value!r}")
    return seconds


def _jitter(number: int) -> float:
    """A changeset's sub-second offset within its run (PostgreSQL keeps microseconds)."""
    return (number * 7919 % 250_000) / 1_000_000


def _migrate(changelog: dict[int, float], level: int, at: float) -> None:
    """Liquibase on a release landing at ``at``: run what is missing, roll back what is above."""
    for number in [n for n in changelog if n > level]:
        del changelog[number]
    missing = [n for n in range(1, level + 1) if n not in changelog]
    for step, number in enumerate(missing):
        changelog[number] = at + step * 0.3 + _jitter(number)
