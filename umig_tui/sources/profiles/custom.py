"""Site-defined profiles: a config's ``[profiles.NAME]`` paths and jq field maps.

The expressions were compiled when the config was read (``config_profiles``); here they run on
each answer. What they yield is the environment's data, untrusted: every value goes through the
same leaf readers as the built-in profiles (bounded, cleaned, None when unusable).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from umig_tui.config import Config, CustomProfileSpec, JqField, ProfileSignal
from umig_tui.models import (
    ComponentHealth,
    ComponentPart,
    ComponentsStatus,
    Document,
    Endpoint,
    HealthSnapshot,
    Metrics,
    MetricSample,
    MetricsSnapshot,
    VersionInfo,
)
from umig_tui.sources.errors import ParseError
from umig_tui.sources.parse import (
    decode_json,
    integer,
    json_kind,
    milliseconds,
    number,
    ratio,
    state,
    text,
)
from umig_tui.sources.profiles.base import Answer, Profile, Request, first_body, smoke_check
from umig_tui.util.durations import parse_uptime
from umig_tui.util.sanitize import clean_text

MAX_PARTS = 200  # components of a health document, parts of a components document
MAX_CHANGESETS = 5000

Reader = Callable[[Any], float | None]
# How each numeric field is read: error rates may be percent strings, times may carry units.
NUMBER_READERS: dict[str, Reader] = {
    "response_time_ms": milliseconds,
    "db_round_trip_ms": milliseconds,
    "error_rate": ratio,
    "active_users": number,
    "db_connections": number,
    "api_calls_24h": number,
    "components_loaded": number,
}


class JqProfile(Profile):
    """The profile a ``[profiles.NAME]`` table defines: fixed paths, jq field maps."""

    def __init__(self, spec: CustomProfileSpec) -> None:
        self.name = spec.name
        self.variant = ""
        self.spec = spec
        self._requests: dict[Endpoint, tuple[Request, ...]] = {}
        for signal, how in spec.signals.items():
            if signal is Endpoint.TEAMS:
                self._requests[signal] = (Request(how.path, body=False),)
            else:
                self._requests[signal] = (Request(how.path, accept=how.accept),)

    def requests(self, signal: Endpoint) -> tuple[Request, ...]:
        return self._requests.get(signal, ())

    def parse(self, signal: Endpoint, answers: Sequence[Answer]) -> Document:
        how = self.spec.signals.get(signal)
        if how is None:
            raise ParseError(f"{signal} is not offered by {self.name}")
        if signal is Endpoint.TEAMS:
            return smoke_check(answers)
        body = first_body(answers)
        if signal is Endpoint.METRICS and how.format == "prometheus":
            from umig_tui.sources.prometheus_text import (
                parse_exposition,  # prometheus_client when needed
            )

            return parse_exposition(body)
        doc = _Doc(body)
        if signal is Endpoint.HEALTH:
            return _health(doc, how)
        if signal is Endpoint.VERSION:
            return _version(doc, how)
        if signal is Endpoint.COMPONENTS:
            return _components(doc, how)
        return _metrics(doc, how)


def custom_profiles(config: Config) -> dict[str, JqProfile]:
    """Name → profile for every ``[profiles.NAME]`` of ``config`` (for ``profiles.speaks``)."""
    return {name: JqProfile(spec) for name, spec in config.profiles.items()}


# -- the document and its expressions --------------------------------------------------------


class _Doc:
    """One answer's body, decoded once, and the expressions run on it."""

    def __init__(self, body: str) -> None:
        value = decode_json(body)
        # jq reads text; the decoded value is written back once, without NaN or Infinity.
        self.text = json.dumps(value, ensure_ascii=False)

    def first(self, field: JqField) -> Any:
        """The expression's first output (None for none); ParseError on a jq runtime error."""
        try:
            value = field.program.input_text(self.text).first()
        except StopIteration:
            return None
        except (ValueError, TypeError, RuntimeError, OverflowError, RecursionError) as exc:
            reason = clean_text(str(exc), 120) or type(exc).__name__
            raise ParseError(f"jq {_shown(field)}: {reason}") from None
        if isinstance(value, float) and abs(value) >= sys.float_info.max:
            return None  # jq's stand-in for an infinity
        return None if _nothing(value) else value

    def optional(self, fields: Mapping[str, JqField], key: str) -> Any:
        """An optional field: None when it is not configured, yields nothing, or fails."""
        field = fields.get(key)
        if field is None:
            return None
        try:
            return self.first(field)
        except ParseError:
            return None

    def required(self, fields: Mapping[str, JqField], key: str) -> Any:
        field = fields[key]
        value = self.first(field)
        if value is None:
            raise ParseError(f"jq {_shown(field)} produced nothing ({field.where})")
        return value


def _nothing(value: Any) -> bool:
    if value is None:
        return True
    return isinstance(value, str) and value.strip().lower() in ("", "unknown")


def _shown(field: JqField) -> str:
    return clean_text(field.expression, 60)


def _wrong(field: JqField, value: Any, wanted: str) -> ParseError:
    return ParseError(f"jq {_shown(field)} gave {json_kind(value)}, not {wanted} ({field.where})")


# -- documents -------------------------------------------------------------------------------


def _health(doc: _Doc, how: ProfileSignal) -> HealthSnapshot:
    fields = how.fields
    raw_status = doc.required(fields, "status")
    status = state(raw_status)
    if status is None:
        raise _wrong(fields["status"], raw_status, "a status word")
    uptime, uptime_seconds = _uptime(doc.optional(fields, "uptime"))
    components = tuple(
        ComponentHealth(name, word, detail=detail or None)
        for name, word, detail in _parts(doc.optional(fields, "components"))
    )
    numbers = {key: reader(doc.optional(fields, key)) for key, reader in NUMBER_READERS.items()}
    return HealthSnapshot(
        status=status,
        version=text(doc.optional(fields, "version"), 80),
        uptime=uptime,
        uptime_seconds=uptime_seconds,
        deployed_at=text(doc.optional(fields, "deployed_at"), 40),
        components=components,
        metrics=Metrics(uptime_seconds=uptime_seconds, **numbers),
        source=how.path,
    )


def _version(doc: _Doc, how: ProfileSignal) -> VersionInfo:
    fields = how.fields
    raw_version = doc.required(fields, "version")
    version = text(raw_version, 80)
    if version is None:
        raise _wrong(fields["version"], raw_version, "a version string")

    def word(key: str, max_len: int = 80) -> str | None:
        return text(doc.optional(fields, key), max_len, numbers=True)

    uptime, uptime_seconds = _uptime(doc.optional(fields, "uptime"))
    changesets, changeset_ids = _changesets(doc.optional(fields, "changesets"))
    return VersionInfo(
        version=version,
        build=word("build"),
        environment=text(doc.optional(fields, "environment"), 40),
        database_schema=word("database", 40),
        api_version=word("api", 40),
        ui_version=word("ui"),
        backend_version=word("backend"),
        deployed_at=text(doc.optional(fields, "deployed_at"), 40),
        deployed_by=text(doc.optional(fields, "deployed_by"), 80),
        build_tag=word("build_tag"),
        git_commit=word("git_commit", 64),
        uptime=uptime,
        uptime_seconds=uptime_seconds,
        changesets=changesets,
        changeset_ids=changeset_ids,
    )


def _components(doc: _Doc, how: ProfileSignal) -> ComponentsStatus:
    field = how.fields["parts"]
    raw = doc.required(how.fields, "parts")
    if not isinstance(raw, dict | list):
        raise _wrong(field, raw, "an object of part name → status")
    parts = tuple(ComponentPart(name, word, detail) for name, word, detail in _parts(raw))
    return ComponentsStatus(parts=parts, source=how.path)


def _metrics(doc: _Doc, how: ProfileSignal) -> MetricsSnapshot:
    fields = how.fields
    values: dict[str, float | None] = {
        key: reader(doc.optional(fields, key)) for key, reader in NUMBER_READERS.items()
    }
    raw_uptime = doc.optional(fields, "uptime_seconds")
    values["uptime_seconds"] = _uptime(raw_uptime)[1]
    samples: list[MetricSample] = []
    for series in how.extra:
        value = number(doc.optional(how.extra, series))
        if value is not None:
            samples.append(MetricSample(series, (), value))
    if not samples and all(value is None for value in values.values()):
        shown = ", ".join(_shown(f) for f in (*fields.values(), *how.extra.values()))
        raise ParseError(f"no jq expression of the metrics gave a number ({shown})")
    return MetricsSnapshot(tuple(samples), Metrics(**values))


# -- values ----------------------------------------------------------------------------------


def _uptime(raw: Any) -> tuple[str | None, float | None]:
    """``"5d 7h"``, ``"122h"`` or seconds → (the text, seconds)."""
    uptime = text(raw, 40, numbers=True)
    seconds = number(raw)
    if seconds is None and uptime:
        seconds = parse_uptime(uptime)
    return uptime, seconds


def _changesets(raw: Any) -> tuple[int | None, tuple[str, ...] | None]:
    """An array of changeset ids (their count too), or a count."""
    if isinstance(raw, list):
        ids = tuple(
            name
            for item in raw[:MAX_CHANGESETS]
            if (name := text(item, 120, numbers=True)) is not None
        )
        return len(ids), ids
    count = integer(raw)
    return (count if count is not None and count >= 0 else None), None


def _parts(raw: Any) -> Iterator[tuple[str, str, str]]:
    """(name, status word, detail) from ``{name: "healthy"}``, ``{name: {status, detail}}``
    or ``[{name, status, detail}]``; at most MAX_PARTS, unnamed entries skipped."""
    items: list[tuple[Any, Any]]
    if isinstance(raw, dict):
        items = list(raw.items())[:MAX_PARTS]
    elif isinstance(raw, list):
        items = [(item.get("name"), item) for item in raw[:MAX_PARTS] if isinstance(item, dict)]
    else:
        return
    for key, body in items:
        name = text(key, 60)
        if name is None:
            continue
        if isinstance(body, dict):
            status = state(body.get("status"))
            detail = text(body.get("detail"), 120, numbers=True)
        else:
            status, detail = state(body), None
        yield name, status or "unknown", detail or ""
