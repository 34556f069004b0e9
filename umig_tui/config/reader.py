"""Reading a config document: validation with file:line for every error.

tomllib gives no positions, so ``_Locator`` maps key paths to lines by scanning the text.
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path
from typing import Any

from umig_tui.config.model import (
    DEFAULT_API_PREFIX,
    AlertRuleConfig,
    AlertSettings,
    Auth,
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
from umig_tui.config.toml_lines import KeyLocator
from umig_tui.config.values import check_url, dotted, has_credentials, suggest
from umig_tui.models import COMPONENT_KEYS, Tier
from umig_tui.util.durations import (
    MAX_DURATION,
    DurationError,
    format_duration,
    parse_duration,
)

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class Reader:
    """Validates one parsed TOML document, raising ConfigError with file:line."""

    def __init__(self, file: Path | None, text: str) -> None:
        self.file = file
        self.locator = KeyLocator(text)

    def error(self, path: tuple[str | int, ...], message: str) -> ConfigError:
        return ConfigError(message, self.file, self.locator.line(path))

    def table(self, value: Any, path: tuple[str | int, ...], allowed: set[str]) -> dict[str, Any]:
        where = dotted(path)
        if not isinstance(value, dict):
            raise self.error(path, f"{where} must be a table")
        for key in value:
            if key not in allowed:
                hint = suggest(key, allowed)
                raise self.error(
                    (*path, key),
                    f"unknown key {key!r} in {where or 'the top level'}{hint}",
                )
        return value

    def duration(
        self,
        value: Any,
        path: tuple[str | int, ...],
        *,
        low: float = 0.0,
        high: float = MAX_DURATION,
    ) -> float:
        """Seconds, from a string such as "30s" or a number of seconds, within [low, high]."""
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise self.error(path, f'{dotted(path)} must be a duration string such as "30s"')
        if isinstance(value, int | float):
            if not math.isfinite(value) or value <= 0:
                raise self.error(path, f"{dotted(path)} must be a finite number greater than zero")
            seconds = float(value)
        else:
            try:
                seconds = parse_duration(value)
            except DurationError as exc:
                raise self.error(path, f"{dotted(path)}: {exc}") from None
        if not low <= seconds <= high:
            raise self.error(
                path,
                f"{dotted(path)} must be between {format_duration(low)} and "
                f"{format_duration(high)} (got {format_duration(seconds)})",
            )
        return seconds

    def hold(self, value: Any, path: tuple[str | int, ...]) -> float:
        """An alert rule's ``for``: a duration, where zero means "at once"."""
        if value in (0, "0", "0s", "0ms", "0m"):
            return 0.0
        return self.duration(value, path)

    def number(
        self, value: Any, path: tuple[str | int, ...], *, low: float, high: float | None = None
    ) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(path, f"{dotted(path)} must be a number")
        if not math.isfinite(value):  # nan would switch an alert off without a word
            raise self.error(path, f"{dotted(path)} must be a finite number (got {value})")
        if value < low or (high is not None and value > high):
            bound = f"between {low:g} and {high:g}" if high is not None else f"at least {low:g}"
            raise self.error(path, f"{dotted(path)} must be {bound} (got {value})")
        return float(value)

    def integer(self, value: Any, path: tuple[str | int, ...], *, low: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(path, f"{dotted(path)} must be a whole number")
        if value < low:
            raise self.error(path, f"{dotted(path)} must be at least {low} (got {value})")
        return value

    def string(self, value: Any, path: tuple[str | int, ...]) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.error(path, f"{dotted(path)} must be a non-empty string")
        return value.strip()

    def boolean(self, value: Any, path: tuple[str | int, ...]) -> bool:
        if not isinstance(value, bool):
            raise self.error(path, f"{dotted(path)} must be true or false")
        return value

    # -- sections ---------------------------------------------------------------------------

    def polling(self, raw: Any) -> Polling:
        data = self.table(raw, ("polling",), _POLLING_KEYS)
        values: dict[str, Any] = {}
        for key, value in data.items():
            path = ("polling", key)
            if key in _POLLING_DURATIONS:
                values[key] = self.duration(value, path, **_POLLING_BOUNDS[key])
            elif key == "max_body":
                values["max_body_bytes"] = _parse_size(self, value, path)
            else:
                values[key] = self.integer(value, path, low=1)
        if "timeout" not in values:  # never longer than the fastest health/metrics interval
            defaults = Polling()
            fastest = min(
                values.get("health", defaults.health), values.get("metrics", defaults.metrics)
            )
            values["timeout"] = min(defaults.timeout, fastest)
        return Polling(**values)

    def store(self, raw: Any) -> StoreSettings:
        data = self.table(
            raw, ("store",), {"path", "retention", "raw_retention", "minute_retention", "enabled"}
        )
        values: dict[str, Any] = {}
        for key, value in data.items():
            path = ("store", key)
            if key == "path":
                values["path"] = Path(os.path.expanduser(self.string(value, path)))
            elif key == "enabled":
                values["enabled"] = self.boolean(value, path)
            else:  # retentions: at least an hour of history, at most ten years
                values[key] = self.duration(value, path, low=3600.0)
        return StoreSettings(**values)

    def thresholds(self, raw: Any) -> Thresholds:
        data = self.table(raw, ("thresholds",), set(Thresholds.__struct_fields__))
        values: dict[str, Any] = {}
        for key, value in data.items():
            path = ("thresholds", key)
            if key == "consecutive_failures":
                values[key] = self.integer(value, path, low=1)
            elif key in ("error_rate", "degradation"):
                values[key] = self.number(value, path, low=0, high=1)
            else:
                values[key] = self.number(value, path, low=0)
        return Thresholds(**values)

    def environments(self, raw: Any) -> list[Environment]:
        if not isinstance(raw, list):
            raise self.error(
                ("environments",), "environments must be written as [[environments]] tables"
            )
        result: list[Environment] = []
        seen: dict[str, int] = {}
        for index, item in enumerate(raw):
            env = self.environment(item, ("environments", index))
            if env.name in seen:
                raise self.error(
                    ("environments", index, "name"),
                    f"duplicate environment name {env.name!r} (first defined in environment #{seen[env.name] + 1})",
                )
            seen[env.name] = index
            result.append(env)
        return result

    def environment(self, raw: Any, path: tuple[str | int, ...]) -> Environment:
        data = self.table(raw, path, ENV_KEYS)
        for required in ("name", "url"):
            if required not in data:
                raise self.error(path, f"environment #{int(path[1]) + 1} has no {required!r}")
        name = self.string(data["name"], (*path, "name"))
        if not _NAME_RE.match(name):
            raise self.error(
                (*path, "name"),
                f"environment name {name!r} may use letters, digits, '.', '_' and '-' only",
            )
        if has_credentials(data["url"]):
            # Not echoed: the value holds a secret, which would end up in logs and terminals.
            raise self.error(
                (*path, "url"),
                f"environment {name!r}: url must not carry credentials (user:password@); "
                "use auth with token_env or password_env",
            )
        url = check_url(data["url"])
        if url is None:
            raise self.error(
                (*path, "url"),
                f"environment {name!r}: url {data['url']!r} is not an http(s) URL with a host",
            )
        if "tier" in data:
            tier_text = self.string(data["tier"], (*path, "tier"))
            try:
                tier = Tier(tier_text)
            except ValueError:
                raise self.error(
                    (*path, "tier"),
                    f"environment {name!r}: tier {tier_text!r} must be one of "
                    + ", ".join(t.value for t in Tier),
                ) from None
        elif name in {t.value for t in Tier}:
            tier = Tier(name)
        else:
            raise self.error(
                path,
                f"environment {name!r} needs a tier (" + ", ".join(t.value for t in Tier) + ")",
            )
        prefix = DEFAULT_API_PREFIX
        if "api_prefix" in data:
            prefix = self.string(data["api_prefix"], (*path, "api_prefix"))
            if not prefix.startswith("/"):
                raise self.error((*path, "api_prefix"), "api_prefix must start with '/'")
            prefix = prefix.rstrip("/")
        auth = self.auth(data.get("auth", {"type": "none"}), (*path, "auth"), name)
        verify = (
            self.boolean(data["verify_tls"], (*path, "verify_tls"))
            if "verify_tls" in data
            else True
        )
        ca_bundle = None
        if "ca_bundle" in data:
            ca_bundle = os.path.expanduser(self.string(data["ca_bundle"], (*path, "ca_bundle")))
            if not Path(ca_bundle).is_file():
                raise self.error(
                    (*path, "ca_bundle"), f"ca_bundle {ca_bundle!r} is not a readable file"
                )
        origin = f"{self.file}:{self.locator.line(path)}" if self.file else ""
        # A known name: checked once every [profiles.NAME] is read (config_profiles).
        profile = self.string(data["profile"], (*path, "profile")) if "profile" in data else "auto"
        return Environment(name, url, tier, prefix, auth, verify, ca_bundle, origin, profile)

    def auth(self, raw: Any, path: tuple[str | int, ...], env: str) -> Auth:
        if isinstance(raw, dict):
            for secret_key in ("token", "password", "secret"):
                if secret_key in raw:
                    raise self.error(
                        (*path, secret_key),
                        f"environment {env!r}: secrets are never written in the config; "
                        f'put it in an environment variable and use {secret_key}_env = "VAR"'
                        if secret_key != "secret"
                        else f"environment {env!r}: use token_env or password_env",
                    )
        data = self.table(raw, path, {"type", "token_env", "user", "password_env"})
        kind = data.get("type", "none")
        if kind not in ("none", "bearer", "basic"):
            raise self.error(
                (*path, "type"),
                f"environment {env!r}: auth type {kind!r} must be bearer, basic or none",
            )
        if kind == "bearer":
            if "token_env" not in data:
                raise self.error(path, f'environment {env!r}: bearer auth needs token_env = "VAR"')
            return Auth("bearer", token_env=self.string(data["token_env"], (*path, "token_env")))
        if kind == "basic":
            for required in ("user", "password_env"):
                if required not in data:
                    raise self.error(path, f"environment {env!r}: basic auth needs {required}")
            return Auth(
                "basic",
                user=self.string(data["user"], (*path, "user")),
                password_env=self.string(data["password_env"], (*path, "password_env")),
            )
        return Auth()

    def alerts(self, raw: Any) -> AlertSettings:
        data = self.table(raw, ("alerts",), {"rules", "disable", "bell", "interval"})
        rules: list[AlertRuleConfig] = []
        raw_rules = data.get("rules", [])
        if not isinstance(raw_rules, list):
            raise self.error(
                ("alerts", "rules"), "alert rules must be written as [[alerts.rules]] tables"
            )
        names: set[str] = set()
        for index, item in enumerate(raw_rules):
            rule = self.alert_rule(item, ("alerts", "rules", index))
            if rule.name in names:
                raise self.error(
                    ("alerts", "rules", index, "name"), f"duplicate alert rule name {rule.name!r}"
                )
            names.add(rule.name)
            rules.append(rule)
        disable = data.get("disable", [])
        if not isinstance(disable, list) or not all(isinstance(x, str) for x in disable):
            raise self.error(("alerts", "disable"), "alerts.disable must be a list of rule names")
        return AlertSettings(
            rules=tuple(rules),
            disable=tuple(disable),
            bell=self.boolean(data["bell"], ("alerts", "bell")) if "bell" in data else True,
            interval=self.duration(data["interval"], ("alerts", "interval"))
            if "interval" in data
            else 15.0,
        )

    def alert_rule(self, raw: Any, path: tuple[str | int, ...]) -> AlertRuleConfig:
        from umig_tui.metrics import KNOWN_SERIES

        data = self.table(
            raw,
            path,
            {
                "name",
                "metric",
                "comparison",
                "threshold",
                "for",
                "severity",
                "description",
                "environments",
            },
        )
        for required in ("name", "metric", "comparison", "threshold"):
            if required not in data:
                raise self.error(path, f"alert rule #{int(path[-1]) + 1} has no {required!r}")
        name = self.string(data["name"], (*path, "name"))
        metric = self.string(data["metric"], (*path, "metric"))
        if metric not in KNOWN_SERIES and not metric.startswith(("poll_latency_ms:", "poll_ok:")):
            raise self.error(
                (*path, "metric"),
                f"alert rule {name!r}: unknown metric {metric!r}; use one of {', '.join(sorted(KNOWN_SERIES))}",
            )
        comparison = self.string(data["comparison"], (*path, "comparison"))
        if comparison not in (">", ">=", "<", "<=", "==", "!="):
            raise self.error(
                (*path, "comparison"),
                f"alert rule {name!r}: comparison must be one of > >= < <= == !=",
            )
        severity = self.string(data.get("severity", "medium"), (*path, "severity")).lower()
        if severity not in ("low", "medium", "high", "critical"):
            raise self.error(
                (*path, "severity"),
                f"alert rule {name!r}: severity must be low, medium, high or critical",
            )
        envs = data.get("environments", [])
        if not isinstance(envs, list) or not all(isinstance(x, str) for x in envs):
            raise self.error(
                (*path, "environments"),
                f"alert rule {name!r}: environments must be a list of names",
            )
        return AlertRuleConfig(
            name=name,
            metric=metric,
            comparison=comparison,
            threshold=self.number(data["threshold"], (*path, "threshold"), low=float("-inf")),
            for_s=self.hold(data["for"], (*path, "for")) if "for" in data else 0.0,
            severity=severity,
            description=str(data.get("description", "")),
            environments=tuple(envs),
        )

    def notify(self, raw: Any) -> NotifySettings:
        data = self.table(
            raw,
            ("notify",),
            {"webhook", "webhook_token_env", "alertmanager", "timeout", "pushgateway"},
        )
        values: dict[str, Any] = {}
        for key in ("webhook", "alertmanager", "pushgateway"):
            if key in data:
                url = check_url(data[key])
                if url is None:
                    raise self.error(
                        ("notify", key),
                        f"notify.{key} {data[key]!r} is not an http(s) URL with a host",
                    )
                values[key] = url
        if "webhook_token_env" in data:
            values["webhook_token_env"] = self.string(
                data["webhook_token_env"], ("notify", "webhook_token_env")
            )
        if "timeout" in data:
            values["timeout"] = self.duration(data["timeout"], ("notify", "timeout"))
        return NotifySettings(**values)

    def source(self, raw: Any) -> Environment | None:
        """``[source] prometheus = "URL"`` with the auth and TLS keys of an environment."""
        data = self.table(raw, ("source",), {"prometheus", "auth", "verify_tls", "ca_bundle"})
        if "prometheus" not in data:
            if set(data) - {"prometheus"}:
                raise self.error(("source",), 'source needs prometheus = "URL"')
            return None
        url = data.pop("prometheus")
        where = ("source", "prometheus")
        if isinstance(url, str) and has_credentials(url):
            raise self.error(
                where, "source.prometheus must not carry credentials; use auth with token_env"
            )
        if not isinstance(url, str) or check_url(url) is None:
            raise self.error(where, f"source.prometheus {url!r} is not an http(s) URL with a host")
        table = {"name": "prometheus", "tier": "production", "url": url, **data}
        return prometheus_target(self.environment({**table, "api_prefix": "/"}, ("source",)), url)

    def display_utc(self, raw: Any) -> bool:
        """``[display] utc = true``: every time a person reads is in UTC (as ``--utc``)."""
        data = self.table(raw, ("display",), {"utc"})
        return self.boolean(data.get("utc", False), ("display", "utc"))

    def slo(self, raw: Any) -> SloSettings:
        data = self.table(raw, ("slo",), {"availability", "response_time_p95_ms", "error_rate"})
        values: dict[str, Any] = {}
        if "availability" in data:
            values["availability"] = self.number(
                data["availability"], ("slo", "availability"), low=0.5, high=0.99999
            )
        if "response_time_p95_ms" in data:
            values["response_time_p95_ms"] = self.number(
                data["response_time_p95_ms"], ("slo", "response_time_p95_ms"), low=1
            )
        if "error_rate" in data:
            values["error_rate"] = self.number(
                data["error_rate"], ("slo", "error_rate"), low=0.0001, high=0.5
            )
        return SloSettings(**values)

    def history(self, raw: Any) -> Path | None:
        data = self.table(raw, ("history",), {"file"})
        if "file" not in data:
            return None
        return Path(os.path.expanduser(self.string(data["file"], ("history", "file"))))

    def repository(self, raw: Any) -> RepositorySettings:
        """``[repository] path``: a clone of the application (relative to the config file)."""
        data = self.table(raw, ("repository",), {"path", "timeout"})
        values: dict[str, Any] = {}
        if "path" in data:
            text = self.string(data["path"], ("repository", "path"))
            path = Path(os.path.expanduser(text))
            if not path.is_absolute() and self.file is not None:
                path = self.file.parent / path
            values["path"] = path
        if "timeout" in data:
            values["timeout"] = self.duration(
                data["timeout"], ("repository", "timeout"), low=1.0, high=300.0
            )
        return RepositorySettings(**values)

    def deploy(self, raw: Any) -> DeploySettings:
        """``[deploy]``: min_samples, confidence, tolerance, soak."""
        data = self.table(raw, ("deploy",), set(DeploySettings.__struct_fields__))
        values: dict[str, Any] = {}
        for key, value in data.items():
            path = ("deploy", key)
            if key == "min_samples":  # under 8 a rank test's normal approximation is no test
                values[key] = self.integer(value, path, low=8)
            elif key == "confidence":
                values[key] = self.number(value, path, low=0.5, high=0.999)
            elif key == "tolerance":
                values[key] = self.number(value, path, low=0, high=1)
            else:
                values[key] = self.hold(value, path)
        return DeploySettings(**values)

    def keys(self, raw: Any) -> dict[str, str]:
        data = self.table(raw, ("keys",), set(raw) if isinstance(raw, dict) else set())
        result: dict[str, str] = {}
        for binding_id, key in data.items():
            result[binding_id] = self.string(key, ("keys", binding_id))
        return result

    def expected(self, raw: Any) -> dict[str, dict[str, str]]:
        data = self.table(raw, ("expected",), set(raw) if isinstance(raw, dict) else set())
        result: dict[str, dict[str, str]] = {}
        for env, matrix in data.items():
            path = ("expected", env)
            row = self.table(matrix, path, set(COMPONENT_KEYS))
            result[env] = {key: self.string(value, (*path, key)) for key, value in row.items()}
        return result


_POLLING_DURATIONS = {
    "health",
    "version",
    "components",
    "metrics",
    "teams",
    "timeout",
    "circuit_cooldown",
    "max_backoff",
}
_POLLING_KEYS = _POLLING_DURATIONS | {"max_concurrency", "circuit_failures", "max_body"}
DAY = 86400.0
# Intervals under a second would be a denial of service on Confluence; over a day, no monitor.
_INTERVAL = {"low": 1.0, "high": DAY}
_POLLING_BOUNDS: dict[str, dict[str, float]] = {
    "health": _INTERVAL,
    "version": _INTERVAL,
    "components": _INTERVAL,
    "metrics": _INTERVAL,
    "teams": _INTERVAL,
    "timeout": {"low": 0.1, "high": 600.0},
    "circuit_cooldown": {"low": 1.0, "high": DAY},
    "max_backoff": {"low": 1.0, "high": DAY},
}
MIN_BODY, MAX_BODY = 1024, 1 << 30
ENV_KEYS = {"name", "url", "tier", "api_prefix", "auth", "verify_tls", "ca_bundle", "profile"}
TOP_KEYS = {
    "polling",
    "store",
    "thresholds",
    "environments",
    "expected",
    "history",
    "repository",
    "deploy",
    "keys",
    "alerts",
    "notify",
    "slo",
    "profiles",
    "display",
    "source",
}


def prometheus_target(parsed: Environment, url: str) -> Environment:
    """The Prometheus to read as an Environment (its auth, TLS and proxy rules are an
    environment's); a path in ``url`` is its prefix (``https://host/prometheus``)."""
    from urllib.parse import urlsplit

    from msgspec.structs import replace

    parts = urlsplit(url.strip())
    prefix = parts.path.rstrip("/")
    return replace(parsed, url=f"{parts.scheme}://{parts.netloc}", api_prefix=prefix)


def _parse_size(reader: Reader, value: Any, path: tuple[str | int, ...]) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        size = value
    else:
        match = re.fullmatch(r"\s*(\d+)\s*(B|KiB|MiB|GiB|KB|MB|GB)?\s*", str(value))
        if not match or isinstance(value, bool):
            raise reader.error(path, f'{dotted(path)} must be a size such as "2MiB"')
        factor = {
            "B": 1,
            None: 1,
            "KB": 1000,
            "KiB": 1024,
            "MB": 1000**2,
            "MiB": 1024**2,
            "GB": 1000**3,
            "GiB": 1024**3,
        }[match.group(2)]
        size = int(match.group(1)) * factor
    if not MIN_BODY <= size <= MAX_BODY:
        raise reader.error(path, f"{dotted(path)} must be between 1KiB and 1GiB (got {size} bytes)")
    return size
