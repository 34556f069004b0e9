"""The shipped UMIG application's documents (real-umig-api.md §3), from a simulated state.

Almost everything the shipped code answers is a constant: here the four ``admin*`` endpoints,
where only the JVM uptime follows the state, and the build identity only where operators set
the JVM properties. The endpoints that follow live state are in ``documents_v2_live``.
"""

from __future__ import annotations

import hashlib
import json
import math
from datetime import UTC, datetime
from typing import Any

from umig_tui.demo.documents import EnvReading

Page = tuple[int, bytes]  # (HTTP status, body) for the endpoints whose status is live

# Hard-coded in AdminVersionApi.groovy (real-umig-api.md §3.1–3.4).
API_VERSION = "v2.4.0"
UI_VERSION = "v1.0.0"
BACKEND_VERSION = "v1.0.0"
DATABASE_VERSION = "v1.31.0"
HC_CHANGESETS = 33
HC_LATEST = "031_dto_performance_optimization.sql"
# The defaults of the System.getProperty calls, when operators set nothing (§3.1).
DEFAULT_BUILD_NUMBER = "1.0.0-SNAPSHOT"
DEFAULT_BUILD_TAG = "v1.31.0-rc1"
DEFAULT_GIT_COMMIT = "47a78b358a1b2c3d4e5f6789012345678901234"  # 39 hex digits, as shipped
DEFAULT_GIT_BRANCH = "feature/US-087-admin-gui-phase2-completion"
JAVA_VERSION = "17.0.8"


def dumps(doc: Any) -> bytes:
    # JsonBuilder and the JAX-RS provider write compact JSON, non-ASCII as \\uXXXX.
    return json.dumps(doc, separators=(",", ":")).encode()


# -- formats ------------------------------------------------------------------------------------


def iso(ts: float) -> str:
    """``SimpleDateFormat("yyyy-MM-dd'T'HH:mm:ss'Z'")`` on a JVM in UTC."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def instant(ts: float) -> str:
    """``Date.toInstant().toString()``: milliseconds, left out when zero."""
    millis = math.floor(ts * 1000)
    seconds, ms = divmod(millis, 1000)
    base = datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{base}.{ms:03d}Z" if ms else f"{base}Z"


def sql_timestamp(ts: float) -> str:
    """``java.sql.Timestamp.toString()`` of a PostgreSQL timestamp (microseconds, zeros cut)."""
    micros = math.floor(ts * 1_000_000 + 0.5)
    seconds, fraction = divmod(micros, 1_000_000)
    base = datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S")
    return f"{base}.{(f'{fraction:06d}'.rstrip('0') or '0')}"


def groovy_date(ts: float) -> str:
    """Groovy JsonOutput's date format, in GMT."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


# -- adminVersion, adminComponents, adminCompatibility, adminBuildInfo ---------------------------


def _identity(r: EnvReading, now: float) -> dict[str, str]:
    """What the JVM properties say, or their defaults when operators set none (§3.1)."""
    if not r.build_properties:
        return {
            "buildNumber": DEFAULT_BUILD_NUMBER,
            "buildTag": DEFAULT_BUILD_TAG,
            "gitCommit": DEFAULT_GIT_COMMIT,
            "deployedAt": iso(now),  # the shipped code's fallback: the request time
            "environment": "development",
            "deploymentTarget": "Development",
        }
    target = {"production": "Production", "uat": "UAT/Staging"}.get(r.tier, "Development")
    return {
        "buildNumber": r.build,
        "buildTag": f"v{r.version}",
        "gitCommit": hashlib.sha1(r.version.encode()).hexdigest(),
        "deployedAt": r.deployed_at,
        "environment": r.tier,
        "deploymentTarget": target,
    }


def _elapsed_ms(r: EnvReading) -> int:
    """``metadata.responseTime``: the endpoint's own work, a small slice of the request."""
    return max(1, int(r.response_time_ms / 60))


def admin_version(r: EnvReading, now: float) -> bytes:
    ident = _identity(r, now)
    stamp = iso(now)
    return dumps(
        {
            "metadata": {
                "endpoint": "/admin/version",
                "generatedAt": stamp,
                "requestedBy": "system",
                "responseTime": _elapsed_ms(r),
                "dataFreshness": "real-time",
            },
            "system": {
                "version": f"UMIG-v{r.version}",
                "components": {
                    "api": {"version": API_VERSION, "status": "operational", "endpoints": 27},
                    "ui": {"version": UI_VERSION, "status": "operational", "components": 25},
                    "backend": {"version": BACKEND_VERSION, "status": "operational", "services": 8},
                    "database": {
                        "version": DATABASE_VERSION,
                        "status": "operational",
                        "changesets": HC_CHANGESETS,
                    },
                },
                "lastUpdate": stamp,
                "uptime": f"{int(r.uptime_seconds // 3600)}h",  # whole JVM hours
                "buildNumber": ident["buildNumber"],
                "deploymentTarget": ident["deploymentTarget"],
            },
            "database": {
                "semanticVersion": DATABASE_VERSION,
                "changesetCount": HC_CHANGESETS,
                "latestChangeset": HC_LATEST,
                "packageVersions": {"sql": DATABASE_VERSION, "liquibase": DATABASE_VERSION},
                "categories": {
                    "BASELINE": 1,
                    "PERFORMANCE": 3,
                    "STATUS_MANAGEMENT": 2,
                    "EMAIL_TEMPLATES": 4,
                    "IMPORT_STAGING": 3,
                    "CONFIGURATION": 2,
                    "ENHANCEMENT": 6,
                    "SECURITY": 1,
                    "SCHEMA_ADDITION": 8,
                    "TABLE_CREATION": 2,
                    "AUDIT_COMPLIANCE": 2,
                },
                "lastAnalysis": stamp,
                "performanceMetrics": _DB_PERFORMANCE,
            },
            "deployment": {
                "environment": ident["environment"],
                "deployedAt": ident["deployedAt"],
                "deployedBy": "automation",
                "buildTag": ident["buildTag"],
                "gitCommit": ident["gitCommit"],
                "configurationVersion": "v1.0.0",
                "systemHealth": "healthy",
                "lastHealthCheck": stamp,
            },
            # Every input of the shipped health calculation is hard-coded: always 100.
            "health": {
                "status": "healthy",
                "score": 100,
                "issues": [],
                "lastAssessment": stamp,
                "recommendations": [],
            },
            "compatibility": None,
            "metrics": {
                "responseTime": {"average": 145.2, "p95": 289.7, "p99": 456.1},
                "componentMetrics": {
                    "databaseVersionManager": _DB_PERFORMANCE,
                    "componentVersionTracker": {
                        "detectionTime": 67.3,
                        "matrixGenerationTime": 89.1,
                        "analysisTime": 156.7,
                    },
                },
                "systemMetrics": {"memoryUsage": "68%", "cpuUsage": "23%", "diskUsage": "45%"},
            },
        }
    )


_DB_PERFORMANCE = {"analysisTime": 45.6, "packageGenerationTime": 123.4, "cacheHitRatio": 0.85}


def admin_components(r: EnvReading, now: float) -> bytes:
    stamp = iso(now)
    matrix = [
        {"component": name, "version": version, "status": "operational", "compatibility": "100%"}
        for name, version in (
            ("API", API_VERSION),
            ("UI", UI_VERSION),
            ("Backend", BACKEND_VERSION),
            ("Database", DATABASE_VERSION),
        )
    ]
    common = {"status": "operational", "health": "healthy"}
    return dumps(
        {
            "metadata": {
                "endpoint": "/admin/components",
                "generatedAt": stamp,
                "requestedBy": "system",
                "responseTime": _elapsed_ms(r),
                "componentTypes": ["api", "ui", "backend", "database"],
            },
            "versionMatrix": matrix,
            "components": {
                "api": {
                    "version": API_VERSION,
                    **common,
                    "endpoints": 27,
                    "lastHealthCheck": stamp,
                    "responseTime": "145ms average",
                    "errorRate": "0.02%",
                },
                "ui": {
                    "version": UI_VERSION,
                    **common,
                    "components": 25,
                    "loadTime": "1.2s average",
                    "componentOrchestrator": "active",
                    "securityRating": "8.5/10",
                },
                "backend": {
                    "version": BACKEND_VERSION,
                    **common,
                    "services": 8,
                    "repositories": 15,
                    "testCoverage": "85%",
                    "performanceOptimized": True,
                },
                "database": {
                    "version": DATABASE_VERSION,
                    **common,
                    "changesets": HC_CHANGESETS,
                    "lastMigration": HC_LATEST,
                    "integrityCheck": "passed",
                },
            },
            "health": {
                "overallHealth": "healthy",
                "healthyComponents": 4,
                "totalComponents": 4,
                "healthPercentage": 100.0,
                "lastAssessment": stamp,
            },
            "performance": {
                "api": {
                    "averageResponseTime": 145.2,
                    "requestsPerSecond": 23.4,
                    "errorRate": 0.0002,
                },
                "ui": {
                    "averageLoadTime": 1200,
                    "componentRenderTime": 85.6,
                    "interactionLatency": 34.2,
                },
                "backend": {
                    "serviceResponseTime": 67.3,
                    "repositoryQueryTime": 23.1,
                    "cacheHitRatio": 0.91,
                },
                "database": {
                    "analysisTime": 45.6,
                    "packageGenerationTime": 123.4,
                    "migrationTime": 234.7,
                },
            },
            "recommendations": [
                {
                    "type": "version-alignment",
                    "priority": "medium",
                    "message": "Consider aligning component versions for better maintainability",
                    "components": [],
                }
            ],
        }
    )


_COMPATIBILITY = {  # source → target scores below 1.0 (§3.3); every other pair is 1.0
    ("api", "database"): 0.95,
    ("ui", "backend"): 0.98,
    ("ui", "database"): 0.92,
    ("backend", "ui"): 0.98,
    ("database", "api"): 0.95,
    ("database", "ui"): 0.92,
}
_COMPONENTS = ("api", "ui", "backend", "database")
_BREAKING = "DTO performance optimization may affect query patterns"


def admin_compatibility(r: EnvReading, now: float) -> bytes:
    stamp = iso(now)
    pairs = [(s, t) for s in _COMPONENTS for t in _COMPONENTS if s != t]
    scores = {pair: _COMPATIBILITY.get(pair, 1.0) for pair in pairs}
    matrix: dict[str, dict[str, Any]] = {source: {} for source in _COMPONENTS}
    for (source, target), score in scores.items():
        matrix[source][target] = {"score": score, "status": "compatible", "issues": []}
    risks: list[dict[str, Any]] = [
        {
            "type": "compatibility-score",
            "severity": "medium",
            "components": [source, target],
            "score": score,
            "issues": [],
        }
        for (source, target), score in scores.items()
        if score < 0.95
    ]
    risks.append(
        {
            "type": "breaking-change",
            "severity": "medium",
            "component": "database",
            "description": _BREAKING,
            "mitigation": False,
        }
    )
    upgrades = [
        ("api-v2.3.0", "api-v2.4.0", "30 minutes"),
        ("database-v1.30.0", "database-v1.31.0", "15 minutes"),
    ]
    return dumps(
        {
            "metadata": {
                "endpoint": "/admin/compatibility",
                "generatedAt": stamp,
                "requestedBy": "system",
                "responseTime": _elapsed_ms(r),
                "analysisScope": "full-matrix",
            },
            "matrix": matrix,
            "overallCompatibility": round(sum(scores.values()) / len(scores), 3),
            "breakingChanges": {
                "detected": 1,
                "changes": [
                    {
                        "component": "database",
                        "version": DATABASE_VERSION,
                        "type": "schema-change",
                        "impact": "low",
                        "description": _BREAKING,
                        "affectedComponents": ["backend"],
                        "mitigationRequired": False,
                    }
                ],
                "lastAnalysis": stamp,
            },
            "upgradePaths": {
                "available": [
                    {"from": a, "to": b, "risk": "low", "estimatedTime": t} for a, b, t in upgrades
                ]
            },
            "risks": risks,
            "recommendations": [
                {
                    "type": "upgrade-available",
                    "priority": "low",
                    "component": a.split("-")[0],
                    "message": f"Upgrade available: {a} → {b}",
                    "estimatedTime": t,
                    "risk": "low",
                }
                for a, b, t in upgrades
            ],
        }
    )


def jvm_memory(r: EnvReading) -> dict[str, int]:
    """Runtime numbers in bytes: the heap fills and the collector empties it, every 15 minutes."""
    mib = 1024 * 1024
    maximum = (4096 if r.tier == "production" else 2048) * mib
    total = maximum * 3 // 4
    sawtooth = (r.uptime_seconds % 900.0) / 900.0
    used = int(total * (0.35 + 0.4 * sawtooth)) // 1024 * 1024
    return {"used": used, "total": total, "max": maximum}


def admin_build_info(r: EnvReading, now: float) -> bytes:
    ident = _identity(r, now)
    stamp = iso(now)
    packages = {
        "sql": {
            "version": DATABASE_VERSION,
            "changesets": HC_CHANGESETS,
            "lastGenerated": stamp,
            "packageSize": "2.3MB",
            "status": "ready",
        },
        "liquibase": {
            "version": DATABASE_VERSION,
            "changelogVersion": "4.0+",
            "lastGenerated": stamp,
            "packageSize": "1.8MB",
            "status": "ready",
        },
        "deployment": {
            "packagesAvailable": 2,
            "deploymentReady": True,
            "lastPackageGeneration": stamp,
            "generationTime": "247ms",
        },
    }
    checks = [
        {"check": "Build artifacts", "status": "passed", "message": "Build completed successfully"},
        {
            "check": "Database packages",
            "status": "passed",
            "message": "SQL and Liquibase packages ready",
        },
        {"check": "Environment health", "status": "passed", "message": "All systems operational"},
    ]
    return dumps(
        {
            "metadata": {
                "endpoint": "/admin/build-info",
                "generatedAt": stamp,
                "requestedBy": "system",
                "responseTime": _elapsed_ms(r),
            },
            "build": {
                "version": f"UMIG-v{r.version}",
                "buildNumber": ident["buildNumber"],
                "buildTime": ident["deployedAt"],
                "gitCommit": ident["gitCommit"],
                "gitBranch": "main" if r.build_properties else DEFAULT_GIT_BRANCH,
                "buildEnvironment": "Jenkins CI/CD",
                "compiler": "Groovy 3.0.15",
                "javaVersion": JAVA_VERSION,
                "artifactVersion": "UMIG-1.0.0-SNAPSHOT",
            },
            "packages": packages,
            "environment": {
                "name": ident["environment"],
                "confluence": {
                    "version": "Server 8.5.4",
                    "baseUrl": "http://localhost:8090",
                    "status": "running",
                },
                "database": {
                    "type": "PostgreSQL",
                    "version": "14.9",
                    "host": "localhost:5432",
                    "database": "umig_app_db",
                    "status": "connected",
                },
                "scriptRunner": {"version": "9.21.0", "status": "active", "endpoints": 27},
                "jvm": {"version": JAVA_VERSION, "memory": jvm_memory(r)},
            },
            "deployment": {
                "ready": True,
                "status": "deployment-ready",
                "checks": checks,
                "assessmentTime": stamp,
                "confidence": 100.0,
            },
            "recommendations": [
                {
                    "type": "safety",
                    "priority": "high",
                    "message": "Ensure database backup is completed before deployment",
                    "action": "Verify backup procedures and restoration capability",
                }
            ],
        }
    )
