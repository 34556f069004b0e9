"""``[profiles.NAME]``: site-defined endpoint profiles, their paths and jq field maps.

Read only when a config has a ``[profiles]`` table: jq is imported then, and every expression
is compiled once, here, so a typo is a config error at its line and never a failed poll.
``sources.profiles.custom`` runs the compiled expressions on the answers.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Mapping, Sequence
from typing import Any

from umig_tui.config.model import (
    BUILTIN_PROFILES,
    ConfigError,
    CustomProfileSpec,
    Environment,
    JqField,
    ProfileSignal,
)
from umig_tui.config.reader import Reader
from umig_tui.config.values import dotted
from umig_tui.models import Endpoint, Metrics
from umig_tui.util.sanitize import clean_text

KeyPath = tuple[str | int, ...]

# The sub-table of each signal; ``smoke`` is the deploy smoke check (Endpoint.TEAMS).
SIGNAL_TABLES: dict[str, Endpoint] = {
    "health": Endpoint.HEALTH,
    "version": Endpoint.VERSION,
    "components": Endpoint.COMPONENTS,
    "metrics": Endpoint.METRICS,
    "smoke": Endpoint.TEAMS,
}
# Numbers a health document may carry into HealthSnapshot.metrics (uptime comes from `uptime`).
HEALTH_METRICS: tuple[str, ...] = (
    "response_time_ms",
    "error_rate",
    "active_users",
    "db_connections",
    "api_calls_24h",
    "db_round_trip_ms",
    "components_loaded",
)
METRICS_FIELDS: tuple[str, ...] = Metrics.__struct_fields__
# Per signal: the expressions it must have, and those it may have.
REQUIRED: dict[Endpoint, tuple[str, ...]] = {
    Endpoint.HEALTH: ("status",),
    Endpoint.VERSION: ("version",),
    Endpoint.COMPONENTS: ("parts",),
    Endpoint.METRICS: (),
    Endpoint.TEAMS: (),
}
OPTIONAL: dict[Endpoint, tuple[str, ...]] = {
    Endpoint.HEALTH: ("version", "uptime", "deployed_at", "components", *HEALTH_METRICS),
    Endpoint.VERSION: (
        "build",
        "environment",
        "database",
        "api",
        "ui",
        "backend",
        "deployed_at",
        "deployed_by",
        "build_tag",
        "git_commit",
        "uptime",
        "changesets",
    ),
    Endpoint.COMPONENTS: (),
    Endpoint.METRICS: METRICS_FIELDS,  # format = "json" only
    Endpoint.TEAMS: (),
}
_HINTS = {
    "status": "the status word",
    "version": "the version string",
    "parts": "an object of part name → status word",
}
METRIC_FORMATS = ("json", "prometheus")
_EXAMPLE_PATHS = {
    Endpoint.HEALTH: "admin/health",
    Endpoint.VERSION: "admin/version",
    Endpoint.COMPONENTS: "admin/components",
    Endpoint.METRICS: "admin/metrics/prometheus",
    Endpoint.TEAMS: "teams",
}

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_SERIES_RE = re.compile(r"^[A-Za-z_:][A-Za-z0-9_:]{0,99}$")
_SCHEME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
# jq builtins that reach outside the document: the monitor's environment variables (where the
# secrets are), other inputs, files (modules), stderr (the dashboard's terminal), exit.
_OUTSIDE = re.compile(
    r"\$ENV\b|(?<![\w.$@])(?:env|input|inputs|input_filename|debug|stderr|halt|halt_error"
    r"|import|include|get_search_list|modulemeta)(?!\w)"
)
_COMPILE_AT = re.compile(r"\s+at <top-level>, line (\d+)(?:, column (\d+))?:?\s*$")


def read_profiles(reader: Reader, raw: Any) -> dict[str, CustomProfileSpec]:
    """Every ``[profiles.NAME]`` table, its expressions compiled; ConfigError at file:line."""
    data = reader.table(raw, ("profiles",), set(raw) if isinstance(raw, dict) else set())
    compile_jq = _compiler(reader)
    specs: dict[str, CustomProfileSpec] = {}
    for name, table in data.items():
        path: KeyPath = ("profiles", name)
        if name in BUILTIN_PROFILES:
            raise _error(
                reader,
                path,
                f"profile name {name!r} is built in; give [profiles.{name}] another name "
                f"(built in: {', '.join(BUILTIN_PROFILES)})",
            )
        if not _NAME_RE.match(name):
            raise _error(
                reader,
                path,
                f"profile name {name!r} may use letters, digits, '.', '_' and '-' only",
            )
        spec_data = reader.table(table, path, set(SIGNAL_TABLES))
        if not spec_data:
            raise _error(
                reader,
                path,
                f"profile {name!r} offers no signal: add at least one of "
                + ", ".join(f"[profiles.{name}.{key}]" for key in SIGNAL_TABLES),
            )
        signals = {
            SIGNAL_TABLES[key]: _signal(reader, value, (*path, key), SIGNAL_TABLES[key], compile_jq)
            for key, value in spec_data.items()
        }
        line = _line(reader, path)
        origin = f"{reader.file}:{line}" if reader.file and line else ""
        specs[name] = CustomProfileSpec(name, signals, origin)
    return specs


def check_environment_profiles(
    reader: Reader, environments: Sequence[Environment], profiles: Mapping[str, Any]
) -> None:
    """Every environment names a built-in profile or one the config defines."""
    valid = (*BUILTIN_PROFILES, *sorted(profiles))
    for index, env in enumerate(environments):
        if env.profile not in valid:
            raise reader.error(
                ("environments", index, "profile"),
                f"environment {env.name!r}: unknown profile {env.profile!r}; "
                f"use one of {', '.join(valid)}",
            )


# -- one signal ------------------------------------------------------------------------------


def _signal(
    reader: Reader, raw: Any, path: KeyPath, signal: Endpoint, compile_jq: _Compile
) -> ProfileSignal:
    where = dotted(path)
    if not isinstance(raw, dict):
        raise _error(reader, path, f"{where} must be a table")
    fmt = "json"
    if signal is Endpoint.TEAMS:
        allowed = {"path"}
    elif signal is Endpoint.METRICS:
        if "format" in raw:
            fmt = reader.string(raw["format"], (*path, "format"))
            if fmt not in METRIC_FORMATS:
                raise reader.error(
                    (*path, "format"), f'{where}.format must be "json" or "prometheus"'
                )
        if fmt == "prometheus":
            for key in raw:
                if key in METRICS_FIELDS or key == "extra":
                    raise reader.error(
                        (*path, key),
                        f'{where}.{key}: expressions need format = "json"; '
                        "Prometheus text is read by series name",
                    )
        allowed = {"path", "accept", "format", "extra", *METRICS_FIELDS}
    else:
        allowed = {"path", "accept", *REQUIRED[signal], *OPTIONAL[signal]}
    data = reader.table(raw, path, allowed)
    for key in ("path", *REQUIRED[signal]):
        if key not in data:
            hint = _HINTS.get(key, "")
            example = (
                f"path = {_EXAMPLE_PATHS[signal]!r}"
                if key == "path"
                else f"{key} = '<jq expression>' ({hint})"
            )
            raise _error(reader, path, f"{where} needs {example}")
    endpoint_path = _endpoint_path(reader, data["path"], (*path, "path"))
    accept = _accept(reader, data["accept"], (*path, "accept")) if "accept" in data else None
    expressions = {
        key: compile_jq(value, (*path, key))
        for key, value in data.items()
        if key in REQUIRED[signal] or key in OPTIONAL[signal]
    }
    extra: dict[str, JqField] = {}
    if "extra" in data:
        extra_path = (*path, "extra")
        table = data["extra"]
        extra_data = reader.table(
            table, extra_path, set(table) if isinstance(table, dict) else set()
        )
        for series, value in extra_data.items():
            if not _SERIES_RE.match(series):
                raise reader.error(
                    (*extra_path, series),
                    f"{where}.extra: series name {series!r} may use letters, digits, '_' and ':'",
                )
            extra[series] = compile_jq(value, (*extra_path, series))
    if signal is Endpoint.METRICS and fmt == "json" and not expressions and not extra:
        raise _error(
            reader,
            path,
            f"{where} reads nothing: add an expression such as error_rate = '.errors.rate', "
            f'[{where}.extra] series, or format = "prometheus"',
        )
    return ProfileSignal(
        path=endpoint_path,
        accept=accept if accept is not None else frozenset({200}),
        fields=expressions,
        extra=extra,
        format=fmt,
    )


def _endpoint_path(reader: Reader, value: Any, path: KeyPath) -> str:
    where = dotted(path)
    text = reader.string(value, path)
    if text.startswith("/"):
        problem = f"is below the environment's api_prefix: write {text.lstrip('/')!r}, not {text!r}"
    elif _SCHEME_RE.match(text) or "//" in text:
        problem = "must be a path below the environment's api_prefix, not a URL"
    elif any(ch.isspace() or not ch.isprintable() or ch in "\\#" for ch in text):
        problem = "must not hold spaces, control characters, '\\' or '#'"
    elif (
        any(part in (".", "..") for part in re.split(r"/", text.split("?", 1)[0]))
        or "%2e" in text.lower()
    ):
        problem = "must not climb out of the environment's api_prefix ('..')"
    else:
        return text
    raise reader.error(path, f"{where} {problem}")


def _accept(reader: Reader, value: Any, path: KeyPath) -> frozenset[int]:
    if (
        not isinstance(value, list)
        or not value
        or not all(
            isinstance(item, int) and not isinstance(item, bool) and 200 <= item <= 599
            for item in value
        )
    ):
        raise reader.error(
            path, f"{dotted(path)} must be a list of HTTP statuses such as [200, 206, 503]"
        )
    return frozenset(value)


# -- jq --------------------------------------------------------------------------------------


class _Compile:
    """Compiles one expression of the config, or raises ConfigError at its line."""

    def __init__(self, reader: Reader, module: Any) -> None:
        self.reader = reader
        self.module = module

    def __call__(self, value: Any, path: KeyPath) -> JqField:
        where = dotted(path)
        if not isinstance(value, str) or not value.strip():
            raise self.reader.error(
                path,
                f"{where} must be a jq expression in a string, such as '.umig.status' "
                f"(got {_kind(value)})",
            )
        expression = value.strip()
        outside = _OUTSIDE.search(_code_only(expression))
        if outside:
            raise self.reader.error(
                path,
                f"{where}: jq expression {show_expression(expression)} uses {outside.group(0)}, "
                "which reaches outside the document and is not allowed here",
            )
        try:
            program = self.module.compile(expression)
        except Exception as exc:  # jq raises ValueError; nothing from it may escape as a crash
            raise self.reader.error(
                path,
                f"{where}: jq cannot compile {show_expression(expression)}: "
                f"{clean_compile_error(str(exc))}",
            ) from None
        return JqField(where, expression, program)


def _compiler(reader: Reader) -> _Compile:
    try:
        module = importlib.import_module("jq")
    except ImportError:
        raise reader.error(
            ("profiles",), "[profiles] needs the jq package: pip install 'jq>=1.6,<2'"
        ) from None
    return _Compile(reader, module)


def show_expression(expression: str) -> str:
    """An expression quoted for a message: one line, bounded."""
    return "'" + clean_text(expression, 60) + "'"


def clean_compile_error(message: str) -> str:
    """jq's compile error as one line: ``syntax error, unexpected end of file (column 7)``."""
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    first = next(
        (line for line in lines if line.startswith("jq: error")), lines[0] if lines else ""
    )
    first = re.sub(r"^jq: error(?: \(at [^)]*\))?:\s*", "", first)
    at = _COMPILE_AT.search(first)
    if at:
        first = first[: at.start()]
        if at.group(1) == "1" and at.group(2):
            first += f" (column {at.group(2)})"
        elif at.group(2):
            first += f" (line {at.group(1)}, column {at.group(2)})"
        else:
            first += f" (line {at.group(1)})"
    return clean_text(first or "invalid expression", 160)


def _code_only(expression: str) -> str:
    """``expression`` with the text of its string literals and comments blanked, so that
    only code is searched (string interpolations ``\\(…)`` are code)."""
    out: list[str] = []
    resume: list[int] = []  # paren depth at which each open interpolation returns to its string
    depth = 0
    in_string = False
    i = 0
    while i < len(expression):
        ch = expression[i]
        if in_string:
            if ch == "\\" and expression[i + 1 : i + 2] == "(":
                resume.append(depth)
                depth += 1
                in_string = False
                out.append(" (")
                i += 2
                continue
            if ch == "\\":
                i += 2
                out.append("  ")
                continue
            if ch == '"':
                in_string = False
            out.append(" ")
        elif ch == '"':
            in_string = True
            out.append(" ")
        elif ch == "#":
            end = expression.find("\n", i)
            i = len(expression) if end < 0 else end
            continue
        else:
            if ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
                if resume and depth == resume[-1]:
                    resume.pop()
                    in_string = True
            out.append(ch)
        i += 1
    return "".join(out)


# -- messages --------------------------------------------------------------------------------


def _line(reader: Reader, path: KeyPath) -> int | None:
    """The line of ``path``, or of the first key written below it (``[profiles.x.health]``
    defines profile ``x`` without a ``[profiles.x]`` line)."""
    lines = reader.locator.lines
    if path in lines:
        return lines[path]
    below = [n for key, n in lines.items() if key[: len(path)] == path]
    return min(below) if below else reader.locator.line(path)


def _error(reader: Reader, path: KeyPath, message: str) -> ConfigError:
    return ConfigError(message, reader.file, _line(reader, path))


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "an empty string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__
