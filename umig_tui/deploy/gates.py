"""The post-deploy validation gates of seed 001 validate_post_deployment."""

from __future__ import annotations

from collections.abc import Collection

from msgspec.structs import replace

from umig_tui.deploy.watch_state import GATES, Gate
from umig_tui.models import (
    ComponentsStatus,
    Endpoint,
    HealthSnapshot,
    NotOffered,
    PollResult,
    TeamsCheck,
)


def gates_for(offered: Collection[Endpoint] | None) -> tuple[str, ...]:
    """The validation gates an environment offering ``offered`` signals has (all of them when
    not known): no orchestrator without a components signal, no smoke check without one."""
    if offered is None:
        return GATES
    needs = {"orchestrator": Endpoint.COMPONENTS, "smoke": Endpoint.TEAMS}
    return tuple(g for g in GATES if g not in needs or needs[g] in offered)


def has_orchestrator(result: PollResult | None) -> bool:
    """False once the components answer shows there is no orchestrator to check: the profile
    offers no components, or reports parts of its own and no orchestrator among them."""
    if result is None or result.error is not None:
        return True  # not known yet: the gate waits
    value = result.value
    if isinstance(value, NotOffered):
        return False
    if isinstance(value, ComponentsStatus):
        return value.orchestrator_status is not None or not value.parts
    return True


def gate_health(result: PollResult | None, gate: Gate) -> Gate:
    if result is None or gate.status == "passed":
        return gate
    if result.error is not None:
        return replace(gate, detail=f"{result.error.kind}")
    value = result.value
    if isinstance(value, NotOffered):
        return replace(gate, detail="no live health signal from this environment")
    if isinstance(value, HealthSnapshot):
        if value.status == "healthy":
            seed = value.source in ("admin/health", "adminHealth")
            detail = "healthy" if seed else f"healthy ({value.source})"
            return replace(gate, status="passed", detail=detail)
        return replace(gate, detail=value.status or "no live health signal")
    return gate


def gate_orchestrator(result: PollResult | None, gate: Gate) -> Gate:
    if result is None or gate.status == "passed":
        return gate
    if result.error is not None:
        return replace(gate, detail=f"{result.error.kind}")
    value = result.value
    if isinstance(value, ComponentsStatus):
        status = value.orchestrator_status or "unknown"
        if status == "active":
            return replace(gate, status="passed", detail="active")
        if status != "unknown":
            return replace(gate, status="failed", detail=f"orchestrator {status}, not active")
        return replace(gate, detail="orchestrator status unknown")
    return gate


def gate_smoke(result: PollResult | None, gate: Gate) -> Gate:
    if result is None or gate.status == "passed":
        return gate
    if result.error is None and isinstance(result.value, TeamsCheck):
        return replace(gate, status="passed", detail=f"HTTP {result.value.http_status}")
    error = result.error
    if error is not None and error.http_status is not None and error.http_status < 500:
        return replace(gate, status="failed", detail=f"/teams returned HTTP {error.http_status}")
    return replace(gate, detail=f"{error.kind}" if error else "no answer")
