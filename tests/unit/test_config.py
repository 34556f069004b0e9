"""Config: validation with file:line errors, lookup order, env overrides, demo fallback, secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from umig_tui.config import (
    DEFAULT_API_PREFIX,
    Auth,
    Config,
    ConfigError,
    Environment,
    apply_env_overrides,
    default_config_paths,
    load_config,
    parse_config_text,
    resolve_secret,
)
from umig_tui.models import Tier
from umig_tui.service.setup import load_fleet

PROD = '[[environments]]\nname = "production"\nurl = "https://confluence.example.com"\n'

DESIGN_EXAMPLE = """\
[polling]
health = "30s"
version = "5m"
components = "1m"
metrics = "30s"
timeout = "10s"
max_concurrency = 16

[store]
path = "/tmp/umig/samples.db"
retention = "90d"

[[environments]]
name = "production"
url = "https://confluence.example.com/"
tier = "production"
api_prefix = "/rest/scriptrunner/latest/custom"
auth = { type = "bearer", token_env = "UMIG_PROD_TOKEN" }
verify_tls = true

[[environments]]
name = "uat-eu"
url = "http://uat.example.com:8090"
tier = "uat"
auth = { type = "basic", user = "monitor", password_env = "UMIG_UAT_PASSWORD" }

[expected]
production = { umig = "1.2.0", database = "031", api = "2.3.1" }

[thresholds]
error_rate = 0.05
degradation = 0.15
consecutive_failures = 3
response_time_p95_ms = 500
"""


def write(directory: Path, text: str, name: str = "umig-tui.toml") -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def env_names(config: Config) -> list[str]:
    return [e.name for e in config.environments]


def test_design_example_parses_into_typed_settings() -> None:
    config = parse_config_text(DESIGN_EXAMPLE, Path("umig-tui.toml"))
    assert config.polling.health == 30.0
    assert config.polling.version == 300.0
    assert config.polling.components == 60.0
    assert config.polling.max_concurrency == 16
    assert config.store.path == Path("/tmp/umig/samples.db")
    assert config.store.retention == 90 * 86400.0
    prod, uat = config.environments
    assert prod.url == "https://confluence.example.com"  # trailing slash dropped
    assert prod.tier is Tier.PRODUCTION
    assert prod.auth == Auth("bearer", token_env="UMIG_PROD_TOKEN")
    assert prod.origin == "umig-tui.toml:13"
    assert uat.auth == Auth("basic", user="monitor", password_env="UMIG_UAT_PASSWORD")
    assert uat.api_prefix == DEFAULT_API_PREFIX
    assert config.expected == {"production": {"umig": "1.2.0", "database": "031", "api": "2.3.1"}}
    assert config.thresholds.consecutive_failures == 3
    assert config.thresholds.response_time_p95_ms == 500.0
    assert not config.demo


def test_environment_named_after_a_tier_needs_no_tier_key() -> None:
    config = parse_config_text(PROD)
    assert config.environments[0].tier is Tier.PRODUCTION


BAD_CONFIGS: dict[str, tuple[str, int, str]] = {
    "unknown-top-level-key": (
        'pollling = "30s"\n',
        1,
        "unknown key 'pollling' in the top level (did you mean 'polling'?)",
    ),
    "unknown-polling-key-did-you-mean": (
        '[polling]\nhealth = "30s"\nhelth = "30s"\n',
        3,
        "unknown key 'helth' in polling (did you mean 'health'?)",
    ),
    "bad-duration": (
        '[polling]\n\nhealth = "30x"\n',
        3,
        "polling.health: invalid duration '30x': use a number and a unit (ms, s, m, h, d, w), e.g. 30s or 5m",
    ),
    "timeout-longer-than-interval": (
        '[polling]\nhealth = "5s"\ntimeout = "10s"\n',
        3,
        "polling.timeout must not be longer than the health and metrics intervals",
    ),
    "url-ftp": (
        PROD.replace("https://", "ftp://"),
        3,
        "environment 'production': url 'ftp://confluence.example.com' is not an http(s) URL with a host",
    ),
    "url-no-host": (
        PROD.replace("https://confluence.example.com", "https://"),
        3,
        "environment 'production': url 'https://' is not an http(s) URL with a host",
    ),
    "url-with-space": (
        PROD.replace("confluence.example", "conf luence.example"),
        3,
        "environment 'production': url 'https://conf luence.example.com' is not an http(s) URL with a host",
    ),
    "duplicate-name-points-at-the-second": (
        PROD + "\n" + PROD,
        6,
        "duplicate environment name 'production' (first defined in environment #1)",
    ),
    "missing-name": (
        PROD + '\n[[environments]]\nurl = "https://u.example.com"\n',
        5,
        "environment #2 has no 'name'",
    ),
    "missing-url": (
        '# fleet\n[[environments]]\nname = "uat"\n',
        2,
        "environment #1 has no 'url'",
    ),
    "bad-tier": (
        PROD + 'tier = "staging"\n',
        4,
        "environment 'production': tier 'staging' must be one of development, uat, production, hotfix",
    ),
    "missing-tier-for-non-tier-name": (
        '[[environments]]\nname = "staging"\nurl = "https://s.example.com"\n',
        1,
        "environment 'staging' needs a tier (development, uat, production, hotfix)",
    ),
    "literal-token-rejected": (
        PROD + 'auth = { type = "bearer", token = "s3cr3t-literal" }\n',
        4,
        "environment 'production': secrets are never written in the config; "
        'put it in an environment variable and use token_env = "VAR"',
    ),
    "bearer-without-token-env": (
        PROD + 'auth = { type = "bearer" }\n',
        4,
        "environment 'production': bearer auth needs token_env = \"VAR\"",
    ),
    "basic-without-user": (
        PROD + 'auth = { type = "basic", password_env = "P" }\n',
        4,
        "environment 'production': basic auth needs user",
    ),
    "unknown-auth-type": (
        PROD + 'auth = { type = "oauth" }\n',
        4,
        "environment 'production': auth type 'oauth' must be bearer, basic or none",
    ),
    "invalid-toml-syntax": (
        PROD + "tier = \n",
        4,
        "invalid TOML: Invalid value (column 8)",
    ),
    "ca-bundle-missing": (
        PROD + 'ca_bundle = "/nonexistent/umig-ca.pem"\n',
        4,
        "ca_bundle '/nonexistent/umig-ca.pem' is not a readable file",
    ),
    "expected-unknown-component": (
        PROD + '\n[expected]\nproduction = { umig = "1.2.0", dtabase = "031" }\n',
        6,
        "unknown key 'dtabase' in expected.production (did you mean 'database'?)",
    ),
    "expected-unknown-environment": (
        PROD + '\n[expected]\nstaging = { umig = "1.2.0" }\n',
        6,
        "expected: no environment named 'staging'",
    ),
    # Issue 13: unbounded values crashed the dashboard or switched alerts off without a word.
    "interval-infinite": (
        PROD + "\n[polling]\nhealth = inf\n",
        6,
        "polling.health must be a finite number greater than zero",
    ),
    "interval-many-digits": (
        PROD + '\n[polling]\nhealth = "99999999999999999999d"\n',
        6,
        "polling.health: invalid duration '99999999999999999999d': longer than 3650d",
    ),
    "interval-below-a-second": (
        PROD + '\n[polling]\nhealth = "1ms"\n',
        6,
        "polling.health must be between 1s and 1d (got 1ms)",
    ),
    "threshold-nan": (
        PROD + "\n[thresholds]\nerror_rate = nan\n",
        6,
        "thresholds.error_rate must be a finite number (got nan)",
    ),
    "rule-threshold-nan": (
        PROD
        + '\n[[alerts.rules]]\nname = "x"\nmetric = "error_rate"\ncomparison = ">"\n'
        + "threshold = nan\n",
        9,
        "alerts.rules[0].threshold must be a finite number (got nan)",
    ),
    "max-body-zero": (
        PROD + "\n[polling]\nmax_body = 0\n",
        6,
        "polling.max_body must be between 1KiB and 1GiB (got 0 bytes)",
    ),
    "retention-too-short": (
        PROD + '\n[store]\nraw_retention = "5m"\n',
        6,
        "store.raw_retention must be between 1h and 3650d (got 5m)",
    ),
    "threshold-above-range": (
        PROD + "\n[thresholds]\nerror_rate = 1.5\n",
        6,
        "thresholds.error_rate must be between 0 and 1 (got 1.5)",
    ),
    "threshold-below-range": (
        PROD + "\n[thresholds]\nresponse_time_p95_ms = -1\n",
        6,
        "thresholds.response_time_p95_ms must be at least 0 (got -1)",
    ),
    "threshold-zero-failures": (
        PROD + "\n[thresholds]\nconsecutive_failures = 0\n",
        6,
        "thresholds.consecutive_failures must be at least 1 (got 0)",
    ),
}


@pytest.mark.parametrize(
    ("text", "line", "message"), list(BAD_CONFIGS.values()), ids=list(BAD_CONFIGS)
)
def test_bad_config_is_one_message_with_file_and_line(
    tmp_path: Path, text: str, line: int, message: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(str(path), environ={})
    assert str(info.value) == f"{path}:{line}: {message}"
    assert info.value.line == line


# -- lookup order ------------------------------------------------------------------------------


def one_env(name: str) -> str:
    return f'[[environments]]\nname = "{name}"\nurl = "https://{name}.example.com"\ntier = "uat"\n'


def test_lookup_order_is_explicit_then_variable_then_cwd_then_user_dir(tmp_path: Path) -> None:
    explicit = write(tmp_path / "elsewhere", one_env("from-explicit"), "mine.toml")
    via_variable = write(tmp_path / "envvar", one_env("from-envvar"), "env.toml")
    cwd = write(tmp_path, one_env("from-cwd"))
    user = write(tmp_path / "config" / "umig-tui", one_env("from-user"), "config.toml")
    environ = {"UMIG_TUI_CONFIG": str(via_variable)}
    assert env_names(load_config(str(explicit), environ=environ)) == ["from-explicit"]
    assert env_names(load_config(environ=environ)) == ["from-envvar"]
    assert env_names(load_config(environ={})) == ["from-cwd"]
    cwd.unlink()
    config = load_config(environ={})
    assert env_names(config) == ["from-user"]  # $XDG_CONFIG_HOME/umig-tui/config.toml
    assert config.source == user


def test_etc_is_the_last_place_looked() -> None:
    paths = default_config_paths({})
    assert paths[0] == Path("umig-tui.toml")
    assert paths[-1] == Path("/etc/umig-tui/config.toml")


def test_missing_explicit_config_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"config file not found: .*nope\.toml"):
        load_config(str(tmp_path / "nope.toml"), environ={})


def test_config_variable_naming_a_missing_file_is_an_error(tmp_path: Path) -> None:
    environ = {"UMIG_TUI_CONFIG": str(tmp_path / "nope.toml")}
    with pytest.raises(ConfigError, match=r"\$UMIG_TUI_CONFIG names a file that does not exist"):
        load_config(environ=environ)


# -- environment variables and the demo fleet --------------------------------------------------


@pytest.mark.parametrize(
    ("var", "name", "tier"),
    [
        ("UMIG_DEV_URL", "development", Tier.DEVELOPMENT),
        ("UMIG_UAT_URL", "uat", Tier.UAT),
        ("UMIG_PROD_URL", "production", Tier.PRODUCTION),
        ("UMIG_BASE_URL", "default", Tier.PRODUCTION),
    ],
)
def test_url_variable_adds_an_environment(var: str, name: str, tier: Tier) -> None:
    config = load_config(environ={var: "http://localhost:8090/"})
    assert not config.demo
    (env,) = config.environments
    assert (env.name, env.tier, env.url, env.origin) == (
        name,
        tier,
        "http://localhost:8090",
        f"${var}",
    )


def test_url_variable_re_points_a_configured_environment(tmp_path: Path) -> None:
    path = write(tmp_path, PROD + 'auth = { type = "bearer", token_env = "T" }\n' + one_env("uat"))
    config = load_config(str(path), environ={"UMIG_PROD_URL": "https://dr.example.com"})
    assert env_names(config) == ["production", "uat"]
    prod = config.environment("production")
    assert prod.url == "https://dr.example.com"
    assert prod.auth.token_env == "T"  # everything else from the file is kept
    assert prod.origin == "$UMIG_PROD_URL"


def test_bad_url_variable_is_an_error() -> None:
    with pytest.raises(ConfigError, match=r"\$UMIG_UAT_URL='ftp://x' is not an http\(s\) URL"):
        load_config(environ={"UMIG_UAT_URL": "ftp://x"})


def test_no_config_and_no_variables_is_the_demo_fleet() -> None:
    assert load_config(environ={}).environments == ()  # the config alone: nothing
    config = load_fleet(environ={})
    assert config.demo
    assert env_names(config) == ["development", "uat", "production", "hotfix"]


def test_demo_flag_forces_the_demo_fleet_over_config_and_variables(tmp_path: Path) -> None:
    path = write(tmp_path, PROD)
    config = load_fleet(str(path), environ={"UMIG_DEV_URL": "http://dev:1"}, demo=True)
    assert config.demo
    assert len(config.environments) == 4
    assert all(e.origin == "demo" for e in config.environments)


def test_apply_env_overrides_ignores_empty_variables() -> None:
    config = parse_config_text(PROD)
    assert apply_env_overrides(config, {"UMIG_DEV_URL": ""}) == config


# -- select ------------------------------------------------------------------------------------


def test_select_keeps_config_order_and_rejects_unknown_names() -> None:
    config = parse_config_text(PROD + one_env("uat") + one_env("dev-a"))
    assert env_names(config.select(["dev-a", "production"])) == ["production", "dev-a"]
    assert config.select(None) is config
    assert config.select([]) is config
    with pytest.raises(
        ConfigError, match="unknown environment 'prod'; configured: dev-a, production, uat"
    ):
        config.select(["prod"])


# -- secrets -----------------------------------------------------------------------------------

SECRET = "s3cr3t-Ab9"


def bearer_env() -> Environment:
    return Environment(
        "production", "https://c", Tier.PRODUCTION, auth=Auth("bearer", token_env="UMIG_PROD_TOKEN")
    )


def basic_env() -> Environment:
    auth = Auth("basic", user="monitor", password_env="UMIG_UAT_PASSWORD")
    return Environment("uat", "https://u", Tier.UAT, auth=auth, origin="umig-tui.toml:7")


def test_bearer_token_comes_from_the_named_variable() -> None:
    assert resolve_secret(bearer_env(), {"UMIG_PROD_TOKEN": SECRET}) == SECRET


def test_basic_credentials_are_user_and_password_from_the_variable() -> None:
    assert resolve_secret(basic_env(), {"UMIG_UAT_PASSWORD": SECRET}) == ("monitor", SECRET)


def test_no_auth_has_no_secret() -> None:
    assert resolve_secret(Environment("uat", "https://u", Tier.UAT), {"X": SECRET}) is None


@pytest.mark.parametrize(
    ("env", "variable"), [(bearer_env(), "UMIG_PROD_TOKEN"), (basic_env(), "UMIG_UAT_PASSWORD")]
)
@pytest.mark.parametrize("environ", [{}, {"UMIG_PROD_TOKEN": "", "UMIG_UAT_PASSWORD": ""}])
def test_missing_secret_variable_names_the_environment_and_the_variable(
    env: Environment, variable: str, environ: dict[str, str]
) -> None:
    with pytest.raises(ConfigError) as info:
        resolve_secret(env, environ)
    assert f"environment {env.name!r}" in str(info.value)
    assert f"${variable} is not set" in str(info.value)


def test_secret_value_never_appears_in_repr_of_config(tmp_path: Path) -> None:
    path = write(tmp_path, DESIGN_EXAMPLE)
    environ = {"UMIG_PROD_TOKEN": SECRET, "UMIG_UAT_PASSWORD": SECRET}
    config = load_config(str(path), environ=environ)
    assert resolve_secret(config.environment("production"), environ) == SECRET
    assert SECRET not in repr(config)
    assert SECRET not in str(config)


@pytest.mark.parametrize(
    "auth",
    [
        f'{{ type = "bearer", token = "{SECRET}" }}',
        f'{{ type = "basic", user = "u", password = "{SECRET}" }}',
        f'{{ type = "bearer", token_env = "T", secret = "{SECRET}" }}',
    ],
)
def test_literal_secret_in_the_file_is_rejected_without_echoing_it(
    tmp_path: Path, auth: str
) -> None:
    path = write(tmp_path, PROD + f"auth = {auth}\n")
    with pytest.raises(ConfigError) as info:
        load_config(str(path), environ={})
    assert "never written in the config" in str(info.value) or "token_env" in str(info.value)
    assert SECRET not in str(info.value)
    assert SECRET not in repr(info.value)


@pytest.mark.parametrize("url", [f"https://admin:{SECRET}@c.example.com", f"ftp://a:{SECRET}@c"])
def test_credentials_in_a_url_are_rejected_without_echoing_them(tmp_path: Path, url: str) -> None:
    path = write(tmp_path, PROD.replace("https://confluence.example.com", url))
    with pytest.raises(ConfigError) as info:
        load_config(str(path), environ={})
    assert str(info.value).startswith(
        f"{path}:3: environment 'production': url must not carry credentials"
    )
    assert SECRET not in str(info.value)
    with pytest.raises(ConfigError) as info:
        load_config(environ={"UMIG_PROD_URL": url})
    assert SECRET not in str(info.value)


def test_default_timeout_follows_a_fast_health_interval() -> None:
    config = parse_config_text('[polling]\nhealth = "5s"\n', Path("fast.toml"))
    assert config.polling.timeout == 5.0


def test_a_command_reads_its_config_file_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file is parsed once per command, ``[source]`` looked for in the same read (a 300
    environment file takes ~40 ms to parse)."""
    import argparse

    from umig_tui.cli.common import load
    from umig_tui.config import lookup

    path = tmp_path / "umig-tui.toml"
    path.write_text(PROD + '\n[[environments]]\nname = "uat"\nurl = "https://uat.example.com"\n')
    parsed: list[Path | None] = []
    parse = lookup.parse_config_text

    def counted(text: str, source: Path | None = None) -> Config:
        parsed.append(source)
        return parse(text, source)

    monkeypatch.setattr(lookup, "parse_config_text", counted)
    config = load(argparse.Namespace(config=str(path), env=None))
    assert parsed == [path]
    assert config == load_fleet(str(path))
    assert [e.name for e in config.environments] == ["production", "uat"]
