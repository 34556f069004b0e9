"""Finding and loading the configuration: the lookup order, TOML, environment variables."""

from __future__ import annotations

import contextlib
import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path

from msgspec.structs import replace

from umig_tui import APP_NAME
from umig_tui.config.model import (
    BUILTIN_PROFILES,
    CONFIG_ENV_VAR,
    DEMO_DIALECTS,
    URL_ENV_VARS,
    AlertSettings,
    Config,
    ConfigError,
    DeploySettings,
    Environment,
    NotifySettings,
    Polling,
    RepositorySettings,
    SloSettings,
    StoreSettings,
    Thresholds,
)
from umig_tui.models import Tier


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
        if path.is_dir():
            raise ConfigError(f"{path} is a directory, not a config file")
        if not path.is_file():
            raise ConfigError(f"config file not found: {path}")
        return path
    if environ.get(CONFIG_ENV_VAR):
        path = Path(environ[CONFIG_ENV_VAR]).expanduser()
        if path.is_dir():
            raise ConfigError(f"${CONFIG_ENV_VAR} names a directory, not a config file: {path}")
        if not path.is_file():
            raise ConfigError(f"${CONFIG_ENV_VAR} names a file that does not exist: {path}")
        return path
    for path in default_config_paths({}):
        if path.is_file():
            return path
    return None


def parse_config_text(text: str, file: Path | None = None) -> Config:
    """Validate a TOML document (no environment overrides, no demo fallback)."""
    from umig_tui.config.custom_profiles import check_environment_profiles, read_profiles
    from umig_tui.config.reader import TOP_KEYS, Reader

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
    reader = Reader(file, text)
    reader.table(data, (), TOP_KEYS)
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
        repository=(
            reader.repository(data["repository"]) if "repository" in data else RepositorySettings()
        ),
        deploy=reader.deploy(data["deploy"]) if "deploy" in data else DeploySettings(),
        profiles=profiles,
        source=file,
        display_utc=reader.display_utc(data["display"]) if "display" in data else False,
        prometheus=reader.source(data["source"]) if "source" in data else None,
    )
    if config.polling.timeout > min(config.polling.health, config.polling.metrics):
        raise reader.error(
            ("polling", "timeout"),
            "polling.timeout must not be longer than the health and metrics intervals",
        )
    return config


def apply_env_overrides(config: Config, environ: Mapping[str, str]) -> Config:
    """UMIG_DEV_URL, UMIG_UAT_URL, UMIG_PROD_URL, UMIG_BASE_URL add or re-point environments."""
    from umig_tui.config.values import check_url, has_credentials

    envs = list(config.environments)
    for var, name, tier in URL_ENV_VARS:
        value = environ.get(var)
        if not value:
            continue
        if has_credentials(value):
            raise ConfigError(
                f"${var} must not carry credentials (user:password@); use a config file with auth"
            )
        url = check_url(value)
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
    overrides: bool = True,
) -> Config:
    """The configuration file (if any) with the seeds' URL variables applied (``overrides``).
    It may hold no environment at all: what to run then is the caller's choice (the demo fleet,
    ``service.setup.load_fleet``)."""
    environ = os.environ if environ is None else environ
    path = find_config_file(explicit, environ)
    if path is None:
        config = Config(environments=())
    else:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read config: {exc}", path) from None
        config = parse_config_text(text, path)
    if overrides:
        config = apply_env_overrides(config, environ)
    if config.environments:  # with none, the caller picks what runs (and what it expects)
        check_expected(config)
    return config


def check_expected(config: Config) -> None:
    """Every environment ``[expected]`` names exists (after the demo fleet or overrides)."""
    names = {e.name for e in config.environments}
    for env_name in config.expected:
        if env_name in names:
            continue
        line = None
        if config.source is not None:
            from umig_tui.config.toml_lines import KeyLocator

            with contextlib.suppress(OSError, UnicodeDecodeError):
                text = config.source.read_text(encoding="utf-8")
                line = KeyLocator(text).line(("expected", env_name))
        raise ConfigError(f"expected: no environment named {env_name!r}", config.source, line)


def with_profile(config: Config, profile: str) -> Config:
    """``--profile``: what every environment speaks, or the demo fleet's dialect."""
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
    """The credential for ``env`` from its named variable: a token, (user, password), or None.
    A value no HTTP header can carry is a config error naming the variable, never the value."""
    auth = env.auth
    if auth.type == "bearer" and auth.token_env:
        token = environ.get(auth.token_env)
        if not token:
            raise ConfigError(
                f"environment {env.name!r}: bearer token variable ${auth.token_env} is not set "
                f"(defined at {env.origin or 'config'})"
            )
        _check_secret(env, auth.token_env, token)
        return token
    if auth.type == "basic" and auth.password_env and auth.user:
        password = environ.get(auth.password_env)
        if password is None or password == "":
            raise ConfigError(
                f"environment {env.name!r}: password variable ${auth.password_env} is not set "
                f"(defined at {env.origin or 'config'})"
            )
        _check_secret(env, auth.password_env, password, header=False)
        return (auth.user, password)
    return None


def _check_secret(env: Environment, variable: str, value: str, *, header: bool = True) -> None:
    """What would make the request fail with the secret quoted in the error (a line break, a
    tab, a space at either end of a header) or not encode at all (non-ASCII in a header): said
    now, by name. A basic-auth password is base64-encoded: only control characters matter."""
    problem = None
    if value != value.rstrip("\r\n"):
        problem = "ends with a line break"
    elif any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        problem = "holds a control character"
    elif header and value != value.strip():
        problem = "starts or ends with a space or a tab"
    elif header and not value.isascii():
        problem = "holds a character that is not ASCII"
    if problem is not None:
        raise ConfigError(
            f"environment {env.name!r}: ${variable} {problem} (the value is not shown); "
            f"set it again without it (defined at {env.origin or 'config'})"
        )


def with_source(config: Config, url: str | None, *, demo: bool) -> Config:
    """``config`` reading from ``--source prometheus=URL`` when given (it replaces ``[source]``)."""
    if url is not None:
        from umig_tui.config.reader import prometheus_target

        target = Environment("prometheus", url, Tier.PRODUCTION, origin="--source")
        config = replace(config, prometheus=prometheus_target(target, url))
    if config.prometheus is not None and demo:
        raise ConfigError("--demo polls the embedded demo fleet; it cannot read --source too")
    return config
