"""What a configuration is: validated, frozen settings (reading them is ``config.lookup``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import msgspec
from msgspec.structs import replace

from umig_tui.models import Endpoint, Tier

DEFAULT_API_PREFIX = "/rest/scriptrunner/latest/custom"
CONFIG_ENV_VAR = "UMIG_TUI_CONFIG"
# The endpoint profiles an environment may name without defining them ([profiles.NAME] adds more).
# The same names as ``sources.profiles.BUILTIN_NAMES``, kept here so the config stays light.
BUILTIN_PROFILES: tuple[str, ...] = ("auto", "us088", "umig-admin-v2")
# What the demo fleet can speak: the seeds' endpoints at either spelling, or the shipped API.
DEMO_DIALECTS: tuple[str, ...] = ("us088", "us088-scriptrunner", "umig-admin-v2")

# The seeds' variables (001 get_environment_url) → environment name and tier.
URL_ENV_VARS: tuple[tuple[str, str, Tier], ...] = (
    ("UMIG_DEV_URL", "development", Tier.DEVELOPMENT),
    ("UMIG_UAT_URL", "uat", Tier.UAT),
    ("UMIG_PROD_URL", "production", Tier.PRODUCTION),
    ("UMIG_BASE_URL", "default", Tier.PRODUCTION),
)


class ConfigError(Exception):
    """A configuration problem, with the file and line it comes from when known."""

    def __init__(self, message: str, file: str | Path | None = None, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.file = str(file) if file is not None else None
        self.line = line

    def __str__(self) -> str:
        if self.file and self.line:
            return f"{self.file}:{self.line}: {self.message}"
        if self.file:
            return f"{self.file}: {self.message}"
        return self.message


class Auth(msgspec.Struct, frozen=True):
    """How to authenticate; secrets are named environment variables, never values."""

    type: str = "none"  # none | bearer | basic
    token_env: str | None = None
    user: str | None = None
    password_env: str | None = None


class Environment(msgspec.Struct, frozen=True):
    name: str
    url: str
    tier: Tier
    api_prefix: str = DEFAULT_API_PREFIX
    auth: Auth = msgspec.field(default_factory=Auth)
    verify_tls: bool = True
    ca_bundle: str | None = None
    origin: str = ""  # where it was defined: "file:line" or "$UMIG_PROD_URL"
    profile: str = "auto"  # a BUILTIN_PROFILES name or a [profiles.NAME] of the config

    def endpoint_url(self, path: str) -> str:
        """The URL of ``path`` below the API prefix (a profile's Request.path)."""
        return f"{self.url}{self.api_prefix}/{path}"


class Polling(msgspec.Struct, frozen=True):
    """Intervals per endpoint (seed 000 §3.1) and the limits that keep polling cheap."""

    health: float = 30.0
    version: float = 300.0
    components: float = 60.0
    metrics: float = 30.0
    teams: float = 300.0
    timeout: float = 10.0
    # Every signal of a 500-environment fleet in one wave (a one-shot `status` of 300 waited
    # for five rounds of its slowest answers under 256); within the open-file limit, see
    # polling/open_files.py.
    max_concurrency: int = 2048
    max_body_bytes: int = 2 * 1024 * 1024
    circuit_failures: int = 5
    circuit_cooldown: float = 30.0
    max_backoff: float = 300.0

    def interval(self, endpoint: Endpoint) -> float:
        return float(getattr(self, endpoint.value))


class StoreSettings(msgspec.Struct, frozen=True):
    path: Path | None = None  # None → platformdirs default, chosen by the caller
    retention: float = 90 * 86400.0
    raw_retention: float = 7 * 86400.0
    minute_retention: float = 14 * 86400.0
    enabled: bool = True


class Thresholds(msgspec.Struct, frozen=True):
    """Seed 000 §3.2 / §6.2 and seed 003 defaults."""

    error_rate: float = 0.05
    degradation: float = 0.15
    consecutive_failures: int = 3
    response_time_p95_ms: float = 500.0


class AlertRuleConfig(msgspec.Struct, frozen=True):
    """A user-defined rule: ``metric comparison threshold`` held for ``for``."""

    name: str
    metric: str
    comparison: str
    threshold: float
    for_s: float = 0.0
    severity: str = "medium"
    description: str = ""
    environments: tuple[str, ...] = ()


class AlertSettings(msgspec.Struct, frozen=True):
    rules: tuple[AlertRuleConfig, ...] = ()
    disable: tuple[str, ...] = ()  # built-in rule names switched off
    bell: bool = True
    interval: float = 15.0


class NotifySettings(msgspec.Struct, frozen=True):
    """Where firing and resolved alerts are sent (secrets by variable name only)."""

    webhook: str | None = None
    webhook_token_env: str | None = None
    alertmanager: str | None = None
    timeout: float = 5.0
    pushgateway: str | None = None  # serve pushes /metrics there every health interval


class RepositorySettings(msgspec.Struct, frozen=True):
    """``[repository]``: a local clone of the application, for the commits between environments."""

    path: Path | None = None
    timeout: float = 10.0  # per git call


class DeploySettings(msgspec.Struct, frozen=True):
    """``[deploy]``: what a deploy verdict rests on (``deploy.verdict``)."""

    min_samples: int = 20  # per side, per metric; fewer is inconclusive
    confidence: float = 0.95  # of "worse", Holm-adjusted across the metrics
    tolerance: float = 0.10  # a change smaller than this is never a regression
    soak: float = 0.0  # after a pass, keep checking this long (0: no soak)


class SloSettings(msgspec.Struct, frozen=True):
    """Seed 003's service-health table: the targets error budgets are measured against."""

    availability: float = 0.999
    response_time_p95_ms: float = 500.0
    error_rate: float = 0.01


class JqProgram(Protocol):
    """A compiled jq program (``jq._Program``); the config never imports jq itself."""

    def input_text(self, text: str) -> Any: ...


@dataclass(frozen=True, slots=True)
class JqField:
    """One jq expression of a site-defined profile, compiled once when the config was read."""

    where: str  # "profiles.mysite.health.status", for messages
    expression: str
    program: JqProgram = field(compare=False, repr=False)


class ProfileSignal(msgspec.Struct, frozen=True):
    """How a site-defined profile answers one signal: a path and the fields read from it."""

    path: str  # below the environment's api_prefix, no leading slash
    accept: frozenset[int] = frozenset({200})  # statuses whose body is the document
    fields: Mapping[str, JqField] = msgspec.field(
        default_factory=dict
    )  # document field → expression
    extra: Mapping[str, JqField] = msgspec.field(
        default_factory=dict
    )  # metrics: series → expression
    format: str = "json"  # metrics only: json | prometheus


class CustomProfileSpec(msgspec.Struct, frozen=True):
    """``[profiles.NAME]``: a site's endpoints and jq field maps (``sources.profiles.custom``)."""

    name: str
    signals: Mapping[Endpoint, ProfileSignal]  # Endpoint.TEAMS is the smoke check
    origin: str = ""  # "file:line" of its table


class Config(msgspec.Struct, frozen=True):
    environments: tuple[Environment, ...]
    polling: Polling = msgspec.field(default_factory=Polling)
    store: StoreSettings = msgspec.field(default_factory=StoreSettings)
    thresholds: Thresholds = msgspec.field(default_factory=Thresholds)
    expected: Mapping[str, Mapping[str, str]] = msgspec.field(default_factory=dict)
    history_file: Path | None = None  # the seed's deployment-history JSONL, when kept
    keys: Mapping[str, str] = msgspec.field(default_factory=dict)  # dashboard binding id → key
    alerts: AlertSettings = msgspec.field(default_factory=AlertSettings)
    notify: NotifySettings = msgspec.field(default_factory=NotifySettings)
    slo: SloSettings = msgspec.field(default_factory=SloSettings)
    repository: RepositorySettings = msgspec.field(default_factory=RepositorySettings)
    deploy: DeploySettings = msgspec.field(default_factory=DeploySettings)
    profiles: Mapping[str, CustomProfileSpec] = msgspec.field(default_factory=dict)
    demo: bool = False
    demo_dialect: str = "us088"  # what the demo fleet speaks (``--demo --profile``)
    source: Path | None = None
    display_utc: bool = False  # [display] utc: times in UTC for people, as --utc
    # [source] prometheus / --source prometheus=URL: read the fleet from Prometheus, poll nothing
    # (url = the server, api_prefix = its path prefix; auth and TLS as an environment's).
    prometheus: Environment | None = None

    def environment(self, name: str) -> Environment:
        for env in self.environments:
            if env.name == name:
                return env
        raise KeyError(name)

    def select(self, names: list[str] | None) -> Config:
        """The same config restricted to ``names`` (in config order); unknown names are errors."""
        if not names:
            return self
        known = {e.name for e in self.environments}
        unknown = [n for n in names if n not in known]
        if unknown:
            raise ConfigError(
                f"unknown environment {unknown[0]!r}; configured: {', '.join(sorted(known))}"
            )
        keep = tuple(e for e in self.environments if e.name in names)
        return replace(self, environments=keep)
