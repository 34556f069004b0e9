"""TOML config + environment overrides → a validated :class:`Config`.

Errors carry the file and line they come from, so a typo is one clear message, never a traceback.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from umig_tui.models import Endpoint, Tier

APP_NAME = "umig-tui"
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


@dataclass(frozen=True, slots=True)
class Auth:
    """How to authenticate; secrets are named environment variables, never values."""

    type: str = "none"  # none | bearer | basic
    token_env: str | None = None
    user: str | None = None
    password_env: str | None = None


@dataclass(frozen=True, slots=True)
class Environment:
    name: str
    url: str
    tier: Tier
    api_prefix: str = DEFAULT_API_PREFIX
    auth: Auth = field(default_factory=Auth)
    verify_tls: bool = True
    ca_bundle: str | None = None
    origin: str = ""  # where it was defined: "file:line" or "$UMIG_PROD_URL"
    profile: str = "auto"  # a BUILTIN_PROFILES name or a [profiles.NAME] of the config

    def endpoint_url(self, path: str) -> str:
        """The URL of ``path`` below the API prefix (a profile's Request.path)."""
        return f"{self.url}{self.api_prefix}/{path}"


@dataclass(frozen=True, slots=True)
class Polling:
    """Intervals per endpoint (seed 000 §3.1) and the limits that keep polling cheap."""

    health: float = 30.0
    version: float = 300.0
    components: float = 60.0
    metrics: float = 30.0
    teams: float = 300.0
    timeout: float = 10.0
    max_concurrency: int = 256  # a whole 50-environment fleet in one wave
    max_body_bytes: int = 2 * 1024 * 1024
    circuit_failures: int = 5
    circuit_cooldown: float = 30.0
    max_backoff: float = 300.0

    def interval(self, endpoint: Endpoint) -> float:
        return float(getattr(self, endpoint.value))


@dataclass(frozen=True, slots=True)
class StoreSettings:
    path: Path | None = None  # None → platformdirs default, chosen by the caller
    retention: float = 90 * 86400.0
    raw_retention: float = 7 * 86400.0
    minute_retention: float = 14 * 86400.0
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Seed 000 §3.2 / §6.2 and seed 003 defaults."""

    error_rate: float = 0.05
    degradation: float = 0.15
    consecutive_failures: int = 3
    response_time_p95_ms: float = 500.0


@dataclass(frozen=True, slots=True)
class AlertRuleConfig:
    """A user-defined rule: ``metric comparison threshold`` held for ``for``."""

    name: str
    metric: str
    comparison: str
    threshold: float
    for_s: float = 0.0
    severity: str = "medium"
    description: str = ""
    environments: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AlertSettings:
    rules: tuple[AlertRuleConfig, ...] = ()
    disable: tuple[str, ...] = ()  # built-in rule names switched off
    bell: bool = True
    interval: float = 15.0


@dataclass(frozen=True, slots=True)
class NotifySettings:
    """Where firing and resolved alerts are sent (secrets by variable name only)."""

    webhook: str | None = None
    webhook_token_env: str | None = None
    alertmanager: str | None = None
    timeout: float = 5.0


@dataclass(frozen=True, slots=True)
class SloSettings:
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


@dataclass(frozen=True, slots=True)
class ProfileSignal:
    """How a site-defined profile answers one signal: a path and the fields read from it."""

    path: str  # below the environment's api_prefix, no leading slash
    accept: frozenset[int] = frozenset({200})  # statuses whose body is the document
    fields: Mapping[str, JqField] = field(default_factory=dict)  # document field → expression
    extra: Mapping[str, JqField] = field(default_factory=dict)  # metrics: series → expression
    format: str = "json"  # metrics only: json | prometheus


@dataclass(frozen=True, slots=True)
class CustomProfileSpec:
    """``[profiles.NAME]``: a site's endpoints and jq field maps (``sources.profiles.custom``)."""

    name: str
    signals: Mapping[Endpoint, ProfileSignal]  # Endpoint.TEAMS is the smoke check
    origin: str = ""  # "file:line" of its table


@dataclass(frozen=True, slots=True)
class Config:
    environments: tuple[Environment, ...]
    polling: Polling = field(default_factory=Polling)
    store: StoreSettings = field(default_factory=StoreSettings)
    thresholds: Thresholds = field(default_factory=Thresholds)
    expected: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    history_file: Path | None = None  # the seed's deployment-history JSONL, when kept
    keys: Mapping[str, str] = field(default_factory=dict)  # dashboard binding id → key
    alerts: AlertSettings = field(default_factory=AlertSettings)
    notify: NotifySettings = field(default_factory=NotifySettings)
    slo: SloSettings = field(default_factory=SloSettings)
    profiles: Mapping[str, CustomProfileSpec] = field(default_factory=dict)
    demo: bool = False
    demo_dialect: str = "us088"  # what the demo fleet speaks (``--demo --profile``)
    source: Path | None = None

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


# --------------------------------------------------------------------------------------------
# Finding and loading.


def default_config_paths(environ: Mapping[str, str]) -> list[Path]:
    """The lookup order after ``--config``: $UMIG_TUI_CONFIG, ./, user config dir, /etc."""
    import platformdirs

    paths: list[Path] = []
    if environ.get(CONFIG_ENV_VAR):
        paths.append(Path(environ[CONFIG_ENV_VAR]).expanduser())
    paths.append(Path("umig-tui.toml"))
    paths.append(Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml")
    paths.append(Path("/etc/umig-tui/config.toml"))
    return paths


def find_config_file(explicit: str | None, environ: Mapping[str, str]) -> Path | None:
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise ConfigError(f"config file not found: {path}")
        return path
    if environ.get(CONFIG_ENV_VAR):
        path = Path(environ[CONFIG_ENV_VAR]).expanduser()
        if not path.is_file():
            raise ConfigError(f"${CONFIG_ENV_VAR} names a file that does not exist: {path}")
        return path
    for path in default_config_paths({}):
        if path.is_file():
            return path
    return None


def parse_config_text(text: str, file: Path | None = None) -> Config:
    """Validate a TOML document (no environment overrides, no demo fallback)."""
    from umig_tui.config_profiles import check_environment_profiles, read_profiles
    from umig_tui.config_reader import _TOP_KEYS, _Reader

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        match = re.search(r"\(at line (\d+), column (\d+)\)", message)
        if match:
            detail = message[: match.start()].strip()
            raise ConfigError(
                f"invalid TOML: {detail} (column {match.group(2)})", file, int(match.group(1))
            ) from None
        raise ConfigError(f"invalid TOML: {message}", file) from None
    reader = _Reader(file, text)
    reader.table(data, (), _TOP_KEYS)
    # [profiles.NAME] first, so environments may name them; jq is imported only for that table.
    profiles = read_profiles(reader, data["profiles"]) if "profiles" in data else {}
    envs = reader.environments(data["environments"]) if "environments" in data else []
    check_environment_profiles(reader, envs, profiles)
    config = Config(
        environments=tuple(envs),
        polling=reader.polling(data["polling"]) if "polling" in data else Polling(),
        store=reader.store(data["store"]) if "store" in data else StoreSettings(),
        thresholds=reader.thresholds(data["thresholds"]) if "thresholds" in data else Thresholds(),
        expected=reader.expected(data["expected"]) if "expected" in data else {},
        history_file=reader.history(data["history"]) if "history" in data else None,
        keys=reader.keys(data["keys"]) if "keys" in data else {},
        alerts=reader.alerts(data["alerts"]) if "alerts" in data else AlertSettings(),
        notify=reader.notify(data["notify"]) if "notify" in data else NotifySettings(),
        slo=reader.slo(data["slo"]) if "slo" in data else SloSettings(),
        profiles=profiles,
        source=file,
    )
    if config.polling.timeout > min(config.polling.health, config.polling.metrics):
        raise reader.error(
            ("polling", "timeout"),
            "polling.timeout must not be longer than the health and metrics intervals",
        )
    return config


def apply_env_overrides(config: Config, environ: Mapping[str, str]) -> Config:
    """UMIG_DEV_URL, UMIG_UAT_URL, UMIG_PROD_URL, UMIG_BASE_URL add or re-point environments."""
    from umig_tui.config_reader import _check_url, _has_credentials

    envs = list(config.environments)
    for var, name, tier in URL_ENV_VARS:
        value = environ.get(var)
        if not value:
            continue
        if _has_credentials(value):
            raise ConfigError(
                f"${var} must not carry credentials (user:password@); use a config file with auth"
            )
        url = _check_url(value)
        if url is None:
            raise ConfigError(f"${var}={value!r} is not an http(s) URL with a host")
        for i, env in enumerate(envs):
            if env.name == name:
                envs[i] = replace(env, url=url, origin=f"${var}")
                break
        else:
            envs.append(Environment(name, url, tier, origin=f"${var}"))
    return replace(config, environments=tuple(envs))


def load_config(
    explicit: str | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    demo: bool = False,
    demo_envs: int = 4,
    profile: str | None = None,
) -> Config:
    """The effective configuration: file (if any) + environment variables, or the demo fleet.
    ``profile`` (``--profile``) is what every environment speaks, or the demo fleet's dialect."""
    environ = os.environ if environ is None else environ
    path = find_config_file(explicit, environ)
    if path is not None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read config: {exc}", path) from None
        config = parse_config_text(text, path)
    else:
        config = Config(environments=())
    if not demo:
        config = apply_env_overrides(config, environ)
    if demo or not config.environments:
        from umig_tui.demo.fleet import demo_config

        config = demo_config(config, demo_envs)
    if profile is not None:
        config = _with_profile(config, profile)
    for env_name in config.expected:
        if env_name not in {e.name for e in config.environments}:
            locator_line = None
            if path is not None:
                from umig_tui.toml_lines import KeyLocator

                locator_line = KeyLocator(path.read_text(encoding="utf-8")).line(
                    ("expected", env_name)
                )
            raise ConfigError(f"expected: no environment named {env_name!r}", path, locator_line)
    return config


def _with_profile(config: Config, profile: str) -> Config:
    if config.demo:
        if profile not in DEMO_DIALECTS:
            raise ConfigError(
                f"--profile {profile!r}: the demo fleet speaks {', '.join(DEMO_DIALECTS)}"
            )
        expected = config.expected
        if profile == "umig-admin-v2":
            # Its component versions are constants in the code: expect the app and the schema.
            expected = {
                env: {k: v for k, v in row.items() if k in ("umig", "database")}
                for env, row in expected.items()
            }
        return replace(config, demo_dialect=profile, expected=expected)
    known = (*BUILTIN_PROFILES, *config.profiles)
    if profile not in known:
        raise ConfigError(f"--profile {profile!r}: use one of {', '.join(known)}")
    envs = tuple(replace(env, profile=profile) for env in config.environments)
    return replace(config, environments=envs)


def resolve_secret(env: Environment, environ: Mapping[str, str]) -> tuple[str, str] | str | None:
    """The credential for ``env`` from its named variable: a token, (user, password), or None."""
    auth = env.auth
    if auth.type == "bearer" and auth.token_env:
        token = environ.get(auth.token_env)
        if not token:
            raise ConfigError(
                f"environment {env.name!r}: bearer token variable ${auth.token_env} is not set "
                f"(defined at {env.origin or 'config'})"
            )
        return token
    if auth.type == "basic" and auth.password_env and auth.user:
        password = environ.get(auth.password_env)
        if password is None or password == "":
            raise ConfigError(
                f"environment {env.name!r}: password variable ${auth.password_env} is not set "
                f"(defined at {env.origin or 'config'})"
            )
        return (auth.user, password)
    return None
