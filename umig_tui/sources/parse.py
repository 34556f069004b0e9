"""Tolerant parsing of the ScriptRunner admin documents (seed 000 §2).

A missing or wrongly typed leaf field becomes None ("unknown"), never an exception. A document whose
skeleton is wrong (not an object, the ``umig`` section missing) is an ``invalid_response``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import Any

from umig_tui.models import (
    ComponentHealth,
    ComponentsStatus,
    Document,
    Endpoint,
    HealthSnapshot,
    Metrics,
    NamedStatus,
    VersionInfo,
)
from umig_tui.sources.errors import ParseError
from umig_tui.util.durations import parse_uptime
from umig_tui.util.sanitize import clean_text

__all__ = ["ParseError", "decode_json_object", "parse_document"]


# --- leaf readers: each returns None for anything it cannot use -----------------------------


def text(value: Any, max_len: int = 120, *, numbers: bool = False) -> str | None:
    """A cleaned string (numbers too when ``numbers``); anything else is unknown."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        if not numbers:
            return None
        if isinstance(value, float) and not math.isfinite(value):
            return None
        return str(value)
    if isinstance(value, str):
        cleaned = clean_text(value, max_len)
        return cleaned or None
    return None


def state(value: Any) -> str | None:
    """A status word, lower-cased (``"Healthy"`` → ``"healthy"``)."""
    word = text(value, 40)
    return word.lower() if word else None


def number(value: Any) -> float | None:
    """A finite number from a number or a numeric string; None otherwise."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        try:
            result = float(value)
        except OverflowError:  # a JSON integer too large for a float
            return None
    elif isinstance(value, str):
        match = re.fullmatch(r"\s*(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)\s*", value)
        if not match:
            return None
        result = float(match.group(1))
    else:
        return None
    return result if math.isfinite(result) else None


def integer(value: Any) -> int | None:
    result = number(value)
    return int(result) if result is not None and result == int(result) else None


_DURATION_VALUE = re.compile(r"\s*(-?\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$")


def milliseconds(value: Any) -> float | None:
    """Response times appear as ``180``, ``"180"``, ``"180ms"`` or ``"1.2s"``; all → ms."""
    if isinstance(value, str):
        match = _DURATION_VALUE.match(value)
        if not match:
            return None
        amount = float(match.group(1))
        unit = match.group(2) or "ms"
        result = amount * {"ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]
        return result if math.isfinite(result) else None
    return number(value)


def ratio(value: Any) -> float | None:
    """Error rates appear as ``0.02`` (fraction) or ``"0.02%"`` (percent); all → fraction."""
    if isinstance(value, str) and value.strip().endswith("%"):
        amount = number(value.strip()[:-1])
        return amount / 100 if amount is not None else None
    return number(value)


def section(value: Any) -> dict[str, Any]:
    """An object, or an empty one if the value is anything else."""
    return value if isinstance(value, dict) else {}


# --- documents ------------------------------------------------------------------------------


def parse_health(doc: dict[str, Any]) -> HealthSnapshot:
    umig = doc.get("umig")
    if not isinstance(umig, dict):
        raise ParseError(f"health document has no 'umig' object ({json_kind(umig)})")
    status = state(umig.get("status"))
    if status is None:
        raise ParseError(
            f"health document: umig.status is {json_kind(umig.get('status'))}, not a status word"
        )
    uptime_text = text(umig.get("uptime"), 40, numbers=True)
    uptime_seconds = number(umig.get("uptime"))
    if uptime_seconds is None and uptime_text:
        uptime_seconds = parse_uptime(uptime_text)
    components: list[ComponentHealth] = []
    db_connections: float | None = None
    for name, body in section(doc.get("components")).items():
        label = text(name, 40)
        if label is None:
            continue
        if isinstance(body, str):  # {"database": "healthy"} is a shorter, common form
            components.append(ComponentHealth(label, state(body) or "unknown"))
            continue
        part = section(body)
        connections = number(part.get("connections"))
        if label == "database":
            db_connections = connections
        components.append(
            ComponentHealth(
                name=label,
                status=state(part.get("status")) or "unknown",
                response_time_ms=milliseconds(part.get("responseTime")),
                schema_version=text(part.get("schemaVersion"), 40),
                connections=connections,
                error=text(part.get("error")),
            )
        )
    system = tuple(
        (label, value)
        for key, raw in section(doc.get("system")).items()
        if (label := text(key, 40)) and (value := text(raw, 80, numbers=True))
    )
    metrics = section(doc.get("metrics"))
    return HealthSnapshot(
        status=status,
        version=text(umig.get("version"), 80),
        uptime=uptime_text,
        uptime_seconds=uptime_seconds,
        deployed_at=text(umig.get("deployedAt"), 40),
        components=tuple(components),
        system=system,
        metrics=Metrics(
            response_time_ms=milliseconds(metrics.get("responseTime")),
            error_rate=ratio(metrics.get("errorRate")),
            active_users=number(metrics.get("activeUsers")),
            db_connections=db_connections,
            api_calls_24h=number(metrics.get("apiCalls24h")),
            uptime_seconds=uptime_seconds,
        ),
    )


def parse_version(doc: dict[str, Any]) -> VersionInfo:
    umig = doc.get("umig")
    if not isinstance(umig, dict):
        raise ParseError(f"version document has no 'umig' object ({json_kind(umig)})")
    components = section(doc.get("components"))
    database = section(components.get("database"))
    api = section(components.get("api"))
    ui = section(components.get("ui"))
    backend = section(components.get("backend"))
    deployment = section(doc.get("deployment"))
    return VersionInfo(
        version=text(umig.get("version"), 80),
        build=text(umig.get("build"), 80, numbers=True),
        codename=text(umig.get("codename"), 80),
        environment=text(umig.get("environment"), 40),
        database_schema=text(database.get("schema"), 40),
        database_semantic=text(database.get("semantic"), 40),
        changesets=integer(database.get("changesets")),
        api_version=text(api.get("version"), 40),
        api_endpoints=integer(api.get("endpoints")),
        api_compatibility=text(api.get("compatibility"), 40),
        ui_version=text(ui.get("version"), 80),
        backend_version=text(backend.get("version"), 80),
        groovy=text(backend.get("groovy"), 40, numbers=True),
        java=text(backend.get("java"), 40, numbers=True),
        deployed_at=text(deployment.get("deployedAt"), 40),
        deployed_by=text(deployment.get("deployedBy"), 80),
        artifact=text(deployment.get("artifact"), 120),
        build_number=text(deployment.get("buildNumber"), 40, numbers=True),
    )


def _named_states(value: Any) -> tuple[NamedStatus, ...]:
    items: list[NamedStatus] = []
    for key, body in section(value).items():
        label = text(key, 60)
        if label is None:
            continue
        status = state(body) if isinstance(body, str) else state(section(body).get("status"))
        items.append(NamedStatus(label, status or "unknown"))
    return tuple(items)


def parse_components(doc: dict[str, Any]) -> ComponentsStatus:
    known = ("orchestrator", "entityManagers", "services", "repositories")
    if not any(isinstance(doc.get(key), dict) for key in known):
        raise ParseError(
            "components document has none of orchestrator, entityManagers, services, repositories"
        )
    orchestrator = section(doc.get("orchestrator"))
    repositories = section(doc.get("repositories"))
    loaded = orchestrator.get("components")
    count = len(loaded) if isinstance(loaded, list | dict) else integer(loaded)
    return ComponentsStatus(
        orchestrator_status=state(orchestrator.get("status")),
        orchestrator_components=count,
        entity_managers=_named_states(doc.get("entityManagers")),
        services=_named_states(doc.get("services")),
        repositories_status=state(repositories.get("status")),
        repositories_pattern=text(repositories.get("pattern"), 60),
        active_connections=number(repositories.get("activeConnections")),
    )


_JSON_PARSERS: dict[Endpoint, Callable[[dict[str, Any]], Document]] = {
    Endpoint.HEALTH: parse_health,
    Endpoint.VERSION: parse_version,
    Endpoint.COMPONENTS: parse_components,
}


def decode_json(body: str) -> Any:
    """The body as any JSON value, or ParseError saying precisely what is wrong with it.
    NaN, Infinity and numbers too large for a float become null (unknown)."""
    if not body.strip():
        raise ParseError("empty response body")
    try:
        return _DECODER.decode(body)
    except json.JSONDecodeError as exc:
        if exc.pos >= len(body.rstrip()) or exc.msg.startswith("Unterminated string"):
            raise ParseError(
                f"truncated JSON: the body ends before the document does ({exc.msg})"
            ) from None
        raise ParseError(
            f"malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    except RecursionError:
        raise ParseError("malformed JSON: nested too deeply") from None
    except ValueError as exc:  # e.g. an integer with more digits than Python converts
        raise ParseError(f"malformed JSON: {clean_text(str(exc), 80)}") from None


def _no_constant(_name: str) -> None:
    return None


def _finite(literal: str) -> float | None:
    value = float(literal)
    return value if math.isfinite(value) else None


# One decoder (json.loads with options builds a new one, and its scanner, at every call).
_DECODER = json.JSONDecoder(parse_constant=_no_constant, parse_float=_finite)


def decode_json_object(body: str) -> dict[str, Any]:
    """The body as a JSON object, or ParseError saying precisely what is wrong with it."""
    doc = decode_json(body)
    if not isinstance(doc, dict):
        raise ParseError(f"expected a JSON object, got {json_kind(doc)}")
    return doc


def parse_document(endpoint: Endpoint, body: str) -> Document:
    """Parse ``body`` as ``endpoint``'s document; raises ParseError."""
    if endpoint is Endpoint.METRICS:
        from umig_tui.sources.prometheus_text import (
            parse_exposition,  # prometheus_client when needed
        )

        return parse_exposition(body)
    parser = _JSON_PARSERS.get(endpoint)
    if parser is None:
        raise ValueError(f"{endpoint} has no document parser")
    return parser(decode_json_object(body))


def json_kind(value: Any) -> str:
    """``an array``, ``a string`` …: what a JSON value is, for a reason."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
