"""The configuration: TOML + environment overrides → a validated, frozen :class:`Config`.

``model`` holds what a configuration is, ``lookup`` where it comes from, ``reader`` and
``custom_profiles`` how a document is validated (every error names file:line).
"""

from umig_tui import APP_NAME
from umig_tui.config.lookup import (
    apply_env_overrides,
    check_expected,
    default_config_paths,
    find_config_file,
    load_config,
    parse_config_text,
    resolve_secret,
    with_profile,
    with_source,
)
from umig_tui.config.model import (
    BUILTIN_PROFILES,
    CONFIG_ENV_VAR,
    DEFAULT_API_PREFIX,
    DEMO_DIALECTS,
    URL_ENV_VARS,
    AlertRuleConfig,
    AlertSettings,
    Auth,
    Config,
    ConfigError,
    CustomProfileSpec,
    Environment,
    JqField,
    JqProgram,
    NotifySettings,
    Polling,
    ProfileSignal,
    SloSettings,
    StoreSettings,
    Thresholds,
)

__all__ = [
    "APP_NAME",
    "BUILTIN_PROFILES",
    "CONFIG_ENV_VAR",
    "DEFAULT_API_PREFIX",
    "DEMO_DIALECTS",
    "URL_ENV_VARS",
    "AlertRuleConfig",
    "AlertSettings",
    "Auth",
    "Config",
    "ConfigError",
    "CustomProfileSpec",
    "Environment",
    "JqField",
    "JqProgram",
    "NotifySettings",
    "Polling",
    "ProfileSignal",
    "SloSettings",
    "StoreSettings",
    "Thresholds",
    "apply_env_overrides",
    "check_expected",
    "default_config_paths",
    "find_config_file",
    "load_config",
    "parse_config_text",
    "resolve_secret",
    "with_profile",
    "with_source",
]
