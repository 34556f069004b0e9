"""Endpoint bodies in the exact shapes of seed 000 §2 and §8.1, from a simulated state."""

from __future__ import annotations

import json
from typing import Any

import msgspec

from umig_tui.util.durations import format_duration


class EnvReading(msgspec.Struct, frozen=True):
    """One moment of one simulated environment: what its endpoints report."""

    version: str
    build: str
    codename: str
    environment: str
    database: str
    database_semantic: str
    changesets: int
    api: str
    ui: str
    backend: str
    deployed_at: str
    deployed_by: str
    status: str
    uptime_seconds: float
    response_time_ms: float
    error_rate: float
    active_users: int
    api_calls_24h: int
    db_connections: int
    db_status: str
    orchestrator_status: str
    components_loaded: int
    # For the shipped application's documents (documents_v2); the seed shapes ignore them.
    tier: str = "development"
    build_properties: bool = False  # the operators set -Dbuild.number, -Dgit.commit, …
    changelog: tuple[float, ...] = ()  # when changeset 1, 2, … N ran (Liquibase dateexecuted)


def _dumps(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc, indent=2).encode()


def health(r: EnvReading) -> bytes:
    return _dumps(
        {
            "umig": {
                "version": r.version,
                "status": r.status,
                "uptime": format_duration(r.uptime_seconds)
                if r.uptime_seconds < 86400
                else _long_uptime(r),
                "deployedAt": r.deployed_at,
            },
            "components": {
                "database": {
                    "status": r.db_status,
                    "responseTime": f"{max(2, int(r.response_time_ms / 14))}ms",
                    "schemaVersion": r.database,
                    "connections": r.db_connections,
                },
                "api": {"status": "healthy" if r.error_rate < 0.1 else "unhealthy"},
                "ui": {
                    "status": "healthy",
                    "componentsLoaded": r.components_loaded,
                    "securityRating": "8.5/10",
                    "performanceScore": "A+",
                    "lastUpdate": r.build,
                },
                "authentication": {"status": "healthy"},
            },
            "system": {
                "confluence": "8.5.4",
                "postgresql": "14.9",
                "scriptrunner": "8.18.0",
                "java": "17.0.8",
            },
            "metrics": {
                "activeUsers": r.active_users,
                "apiCalls24h": r.api_calls_24h,
                "errorRate": round(r.error_rate, 4),
                "responseTime": round(r.response_time_ms),
            },
        }
    )


def _long_uptime(r: EnvReading) -> str:
    # The seeds write three units for long uptimes: "5d 7h 45m".
    total = int(r.uptime_seconds)
    days, rest = divmod(total, 86400)
    return f"{days}d {rest // 3600}h {rest % 3600 // 60}m"


def version(r: EnvReading) -> bytes:
    return _dumps(
        {
            "umig": {
                "version": r.version,
                "build": r.build,
                "codename": r.codename,
                "environment": r.environment,
            },
            "components": {
                "database": {
                    "schema": r.database,
                    "semantic": r.database_semantic,
                    "changesets": r.changesets,
                },
                "api": {
                    "version": f"v{r.api}",
                    "endpoints": 27,
                    "compatibility": f"v{r.api.split('.')[0]}.x",
                },
                "ui": {
                    "version": r.ui,
                    "components": r.components_loaded,
                    "architecture": "ComponentOrchestrator",
                },
                "backend": {"version": r.backend, "groovy": "3.0.15", "java": "17.0.8"},
            },
            "deployment": {
                "deployedAt": r.deployed_at,
                "deployedBy": r.deployed_by,
                "artifact": f"umig-app-v{r.version.split('+')[0]}.zip",
                "buildNumber": r.build,
            },
        }
    )


def components(r: EnvReading) -> bytes:
    def manager(offset: float) -> dict[str, Any]:
        return {"status": r.db_status, "responseTime": f"{int(r.response_time_ms / 6 + offset)}ms"}

    service_status = "healthy" if r.error_rate < 0.1 else "degraded"
    return _dumps(
        {
            "orchestrator": {
                "status": r.orchestrator_status,
                "components": r.components_loaded,
                "performance": {"averageRenderTime": "45ms", "memoryFootprint": "12MB"},
                "security": {"rating": "8.5/10", "xssProtection": "enabled"},
            },
            "entityManagers": {
                "teams": manager(1),
                "users": manager(3),
                "applications": manager(2),
                "environments": manager(4),
            },
            "services": {
                "stepDataTransformation": {"status": service_status},
                "emailService": {"status": "healthy"},
                "notificationIntegration": {"status": "healthy"},
            },
            "repositories": {
                "status": r.db_status,
                "pattern": "unified-with-enrichment",
                "activeConnections": r.db_connections,
                "queryPerformance": {"average": f"{int(r.response_time_ms / 8)}ms"},
            },
        }
    )


def prometheus(r: EnvReading) -> bytes:
    """The endpoint as seed 000 §8.1 writes it: bare lines, no HELP/TYPE."""
    schema_digits = "".join(ch for ch in r.database if ch.isdigit()) or "0"
    lines = [
        f'umig_version_info{{version="{r.version}",build="{r.build}"}} 1',
        f"umig_uptime_seconds {int(r.uptime_seconds)}",
        f"umig_health_status {1 if r.status == 'healthy' else 0}",
        f"umig_database_schema_version {int(schema_digits)}",
        f'umig_api_version_info{{version="v{r.api}"}} 1',
        f"umig_ui_components_loaded {r.components_loaded}",
        f"umig_api_response_time_ms {r.response_time_ms:.1f}",
        f"umig_api_error_rate {r.error_rate:.4f}",
        f"umig_active_users {r.active_users}",
        f"umig_database_connections {r.db_connections}",
        f"umig_api_calls_24h {r.api_calls_24h}",
    ]
    return ("\n".join(lines) + "\n").encode()


def teams() -> bytes:
    return _dumps(
        {
            "data": [
                {"id": 1, "name": "Platform Migration", "members": 8},
                {"id": 2, "name": "Cutover Control", "members": 5},
                {"id": 3, "name": "Data Validation", "members": 6},
            ]
        }
    )
