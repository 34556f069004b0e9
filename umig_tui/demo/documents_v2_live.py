"""The shipped UMIG application's endpoints that follow live state (real-umig-api.md §3.5–3.9).

The Liquibase changelog behind ``databaseVersions*``, the ``SELECT 1`` timing and the step
activity behind ``dashboard/health``; also the liveness probes and the two list endpoints a
monitor times (``teams``, ``users``).
"""

from __future__ import annotations

import hashlib
import math
import zlib
from typing import Any

from umig_tui.demo.documents import EnvReading
from umig_tui.demo.documents_v2 import Page, dumps, groovy_date, instant, iso, sql_timestamp

# Changelog names, one per NNN, the same in every environment (after the UMIG repository's).
CHANGESET_NAMES = (
    "baseline_schema",
    "add_step_pilot_comments",
    "add_step_instance_comments",
    "add_labels_and_step_label_join",
    "add_labels_applications_join",
    "add_teams_users_join",
    "add_ctm_code_to_controls",
    "add_labels_controls_join",
    "create_stg_import_tables",
    "replicate_seq_master_fields_in_instance",
    "add_usr_active_field",
    "add_user_timestamps",
    "create_email_templates_table",
    "add_environment_role_to_steps",
    "remove_fields_from_steps_instance_and_add_status_table",
    "standardize_audit_fields",
    "standardize_association_audit_fields",
    "fix_controls_phase_relationship",
    "status_field_normalization",
    "add_confluence_user_id",
    "add_status_foreign_keys",
    "create_system_configuration_scf",
    "add_instruction_uncompleted_email_template",
    "enhance_mobile_email_templates",
    "extend_staging_tables",
    "us034_import_tables",
    "email_templates_with_urls",
    "enhance_iteration_types_master",
    "create_migration_types_master",
    "entity_performance_optimization",
    "dto_performance_optimization",
    "bulk_operation_email_templates",
    "td015_consolidate_canonical_email_templates",
    "td015_simplify_email_templates",
    "us098_phase4_batch1_revised",
    "us098_phase4_batch2_credentials_plaintext",
    "us104_phase1_bootstrap_data",
    "us104_phase2_unique_indexes",
    "us104_phase2_remove_email_unique_constraint",
    "add_audit_jsonb_gin_indexes",
)


def schema_level(database: str) -> int:
    """The highest changeset a schema id has executed: ``"031"`` → 31, ``"032-dev"`` → 32."""
    digits = ""
    for ch in database:
        if not ch.isdigit():
            break
        digits += ch
    return int(digits) if digits else 0


def changeset_name(number: int) -> str:
    if 1 <= number <= len(CHANGESET_NAMES):
        return f"{number:03d}_{CHANGESET_NAMES[number - 1]}"
    return f"{number:03d}_schema_update"


# -- databaseVersionsHealth, databaseVersionsStatistics, databaseVersions ------------------------

_RANK = {"HEALTHY": 0, "UNKNOWN": 1, "DEGRADED": 2, "UNHEALTHY": 3}
_ENV_WORD = {
    "healthy": "HEALTHY",
    "degraded": "DEGRADED",
    "maintenance": "DEGRADED",
    "unhealthy": "UNHEALTHY",
}
_DB_WORD = {"unhealthy": "UNHEALTHY", "down": "UNHEALTHY", "degraded": "DEGRADED"}
_HTTP = {"UNHEALTHY": 503, "DEGRADED": 206}
_DB_DOWN = (
    "Connection to localhost:5432 refused. Check that the hostname and port are correct "
    "and that the postmaster is accepting TCP/IP connections."
)


def _worst(*words: str) -> str:
    return max(words, key=_RANK.__getitem__)


def database_status(r: EnvReading) -> str:
    """The database component's word: the changelog's own rule, the env's state, the DB's."""
    count = len(r.changelog)
    own = "UNHEALTHY" if count == 0 else "DEGRADED" if count < 10 else "HEALTHY"
    env = _ENV_WORD.get(r.status, "UNKNOWN")
    return _worst(own, env, _DB_WORD.get(r.db_status, "HEALTHY"))


def _overall(words: list[str]) -> str:
    if "UNHEALTHY" in words:
        return "UNHEALTHY"
    if "DEGRADED" in words:
        return "DEGRADED"
    return "HEALTHY" if all(w == "HEALTHY" for w in words) else "UNKNOWN"


def _summary(words: list[str]) -> dict[str, int]:
    return {
        key.lower(): words.count(key) for key in ("HEALTHY", "DEGRADED", "UNHEALTHY", "UNKNOWN")
    }


def database_versions_health(r: EnvReading, now: float) -> Page:
    """§3.5: 200 HEALTHY, 206 DEGRADED, 503 UNHEALTHY; the PSQLException shape when DB is down."""
    stamp = instant(now)
    if r.db_status == "down":
        body = {
            "overall": {
                "status": "UNHEALTHY",
                "timestamp": stamp,
                "error": f"Failed to retrieve migration statistics: {_DB_DOWN}",
            },
            "components": {
                "database": {"status": "UNHEALTHY", "error": "Database connectivity failed"}
            },
            "summary": _summary(["UNHEALTHY"]),
        }
        return 503, dumps(body)
    database = database_status(r)
    repository = "UNHEALTHY" if database == "UNHEALTHY" else "HEALTHY"
    words = [database, "HEALTHY", repository]
    overall = _overall(words)
    count = len(r.changelog)
    first = sql_timestamp(min(r.changelog)) if count else None
    last = sql_timestamp(max(r.changelog)) if count else None
    body = {
        "overall": {"status": overall, "timestamp": stamp, "version": "1.0.0"},
        "components": {
            "database": {
                "status": database,
                "details": {
                    "totalMigrations": count,
                    "executedMigrations": count,
                    "firstExecution": first,
                    "lastExecution": last,
                    "liquibaseTable": "accessible",
                },
            },
            "api": {
                "status": "HEALTHY",
                "details": {
                    "endpoint": "/databaseVersions",
                    "responseTime": "<200ms",
                    "authentication": "active",
                },
            },
            "repository": {
                "status": repository,
                "details": {"connection": "active", "queryPerformance": "optimized"},
            },
        },
        "checks": _checks(database),
        "summary": _summary(words),
    }
    return _HTTP.get(overall, 200), dumps(body)


def _checks(database: str) -> list[dict[str, str]]:
    reachable = database != "UNHEALTHY"
    complete = {"HEALTHY": "PASS", "DEGRADED": "WARN"}.get(database, "FAIL")
    return [
        {
            "name": "database_connectivity",
            "status": "PASS" if reachable else "FAIL",
            "message": "Database accessible" if reachable else "Database connectivity issues",
        },
        {
            "name": "migration_completeness",
            "status": complete,
            "message": "Migrations loaded successfully"
            if complete == "PASS"
            else "Migration state needs attention",
        },
        {
            "name": "api_responsiveness",
            "status": "PASS",
            "message": "API endpoints responding normally",
        },
    ]


def _category(filename: str) -> str:
    """The repository's categorizeChangeset: the first keyword the filename contains."""
    for keyword, category in (
        ("baseline", "BASELINE"),
        ("email_template", "EMAIL_TEMPLATES"),
        ("status", "STATUS_MANAGEMENT"),
        ("performance", "PERFORMANCE"),
        ("import", "IMPORT_STAGING"),
        ("audit", "AUDIT_COMPLIANCE"),
        ("configuration", "CONFIGURATION"),
        ("fix", "ENHANCEMENT"),
        ("grant", "SECURITY"),
        ("create", "TABLE_CREATION"),
        ("dto", "DTO_OPTIMIZATION"),
    ):
        if keyword in filename.lower():
            return category
    return "GENERAL"


_STRUCTURAL = ("baseline", "create_", "add_", "drop_", "alter_table", "foreign_key", "index")


def migration_row(number: int, executed_at: float) -> dict[str, Any]:
    """One enriched ``databasechangelog`` row (DatabaseVersionRepository.enrichMigrationRecord)."""
    name = changeset_name(number)
    filename = f"changelogs/{name}.sql"
    return {
        "id": name,
        "filename": filename,
        "author": "lucas.challamel",
        "checksum": "9:" + hashlib.md5(filename.encode()).hexdigest(),
        "executionType": "EXECUTED",
        "orderExecuted": number,
        "liquibaseVersion": "4.29.2",
        "description": "sql",
        "comments": None,
        "tag": None,
        "labels": None,
        "contexts": None,
        # Liquibase's deployment id: the run's epoch milliseconds without their first 3 digits.
        "deploymentId": str(math.floor(executed_at * 1000))[3:],
        "executedAt": sql_timestamp(executed_at),
        # The repository's ^(\d{3})_ finds no match in "changelogs/…": sequence 0, v0.0.0.
        "sequence": 0,
        "category": _category(filename),
        "version": "v0.0.0",
        "isBreaking": any(
            p in filename.lower() for p in (*_STRUCTURAL, "constraint", "normalization")
        ),
        "isExecuted": True,
        "displayName": filename.removesuffix(".sql"),
        "shortDescription": "sql",
        "hasChecksum": True,
        "validated": True,
    }


def _failure(now: float, error: str, **extra: Any) -> Page:
    return 500, dumps({"error": error, "message": _DB_DOWN, "timestamp": iso(now), **extra})


def database_versions(r: EnvReading, now: float) -> Page:
    """§3.6: every executed changeset, in execution order."""
    if r.db_status == "down":
        return _failure(
            now,
            "Database version retrieval failed",
            fallbackMessage="Database version information temporarily unavailable",
        )
    rows = [migration_row(n, at) for n, at in enumerate(r.changelog, start=1)]
    return 200, dumps({"migrations": rows, "count": len(rows), "timestamp": instant(now)})


def database_versions_statistics(r: EnvReading, now: float) -> Page:
    """§3.6: counts, the last ten changesets, the first and last execution."""
    if r.db_status == "down":
        return _failure(now, "Failed to retrieve migration statistics", healthStatus="UNHEALTHY")
    count = len(r.changelog)
    newest = sorted(enumerate(r.changelog, start=1), key=lambda item: item[1], reverse=True)[:10]
    statistics = {
        "totalMigrations": count,
        "executionTypes": [{"type": "EXECUTED", "count": count}] if count else [],
        "recentMigrations": [
            {
                "filename": f"changelogs/{changeset_name(n)}.sql",
                "executedAt": sql_timestamp(at),
                "executionType": "EXECUTED",
            }
            for n, at in newest
        ],
        "firstExecution": sql_timestamp(min(r.changelog)) if count else None,
        "lastExecution": sql_timestamp(max(r.changelog)) if count else None,
    }
    body = {"statistics": statistics, "timestamp": instant(now), "healthStatus": database_status(r)}
    return 200, dumps(body)


# -- dashboard/health ------------------------------------------------------------------------------


def _round_half_up(value: float) -> int:
    return math.floor(value + 0.5)  # Groovy's Math.round, not Python's banker's rounding


def _database_component(r: EnvReading) -> dict[str, Any]:
    if r.db_status == "unhealthy":  # the inner catch: SELECT 1 failed on a pooled connection
        return {"name": "Database", "status": "critical", "score": 0, "detail": "Connection failed"}
    elapsed = max(2, int(r.response_time_ms / 14))
    score = 100 if elapsed <= 100 else 90 if elapsed <= 500 else 75 if elapsed <= 1000 else 60
    status = "good" if score >= 75 else "warning" if score >= 60 else "critical"
    return {
        "name": "Database",
        "status": status,
        "score": score,
        "responseTime": elapsed,
        "detail": f"Response: {elapsed}ms",
    }


def background_tasks(r: EnvReading, now: float) -> int:
    """Step instances updated in the last hour: busier with more users, new every 5 minutes."""
    spin = zlib.crc32(f"{r.environment}:{int(now // 300)}".encode()) % 1000 / 1000
    return int(r.active_users * 0.3 * spin)


def _tasks_component(r: EnvReading, now: float) -> dict[str, Any]:
    count = background_tasks(r, now)
    score = 95 if count > 50 else 90 if count > 10 else 80 if count > 0 else 70
    return {
        "name": "Background Tasks",
        "status": "good" if score >= 75 else "warning",
        "score": score,
        "detail": f"{count} tasks in last hour",
    }


_OVERALL = ((90, "excellent"), (75, "good"), (60, "warning"), (0, "critical"))


def dashboard_health(r: EnvReading, now: float) -> bytes:
    """§3.7: always HTTP 200; an unreachable database is the catch block's "error" body."""
    if r.db_status == "down":
        return dumps(
            {
                "value": "Unknown",
                "score": None,
                "status": "error",
                "components": [],
                "detail": "Health check failed",
                "error": "Connection refused",
            }
        )
    components = [
        _database_component(r),
        {"name": "API", "status": "good", "score": 95, "detail": "All endpoints responding"},
        _tasks_component(r, now),
    ]
    score = _round_half_up(sum(c["score"] for c in components) / len(components))
    status = next(word for floor, word in _OVERALL if score >= floor)
    return dumps(
        {
            "value": status.capitalize(),
            "score": score,
            "status": status,
            "components": components,
            "detail": f"{score}% operational",
            "lastCheck": instant(now),
        }
    )


# -- liveness, teams, users ------------------------------------------------------------------------


def probe_test_endpoint(r: EnvReading, now: float) -> bytes:
    return dumps({"status": "ok", "message": "Test endpoint is working"})


def health_check(r: EnvReading, now: float) -> bytes:
    return dumps(
        {
            "status": "healthy",
            "service": "TeamMembersApi",
            "message": "Placeholder API - ready for future implementation",
        }
    )


def url_configuration_health(r: EnvReading, now: float) -> bytes:
    # umig.environment, as operators set it; the hotfix tier keeps ConfigurationService's default.
    environment = {"production": "PROD", "uat": "UAT"}.get(r.tier, "DEV")
    return dumps(
        {
            "status": "healthy",
            "environment": environment,
            "configurationFound": True,
            "cacheSize": 4,
            "cacheAge": int(now % 300 * 1000),  # the URL cache refills every five minutes
        }
    )


_TEAMS = (  # (id, name, description, members, applications)
    (1, "Platform Migration", "Owns the cutover runbooks and the migration waves", 8, 5),
    (2, "Cutover Control", "Runs the cutover weekend command centre", 5, 2),
    (3, "Data Validation", "Reconciles migrated data before sign-off", 6, 3),
)
_TEAMS_CREATED = 1_719_828_000.0  # 2024-07-01T10:00:00Z
_USERS = (  # (id, code, first, last, admin, team)
    (1, "ADM", "Admin", "User", True, 1),
    (2, "LCH", "Lucas", "Challamel", True, 1),
    (3, "JDO", "Jane", "Doe", False, 2),
    (4, "MRO", "Marc", "Rossi", False, 3),
)


def teams(r: EnvReading, now: float) -> bytes:
    """§3.8: ``findAllTeams()`` rows, a bare JSON array."""
    return dumps(
        [
            {
                "tms_id": tid,
                "tms_name": name,
                "tms_description": description,
                "tms_email": name.lower().replace(" ", "-") + "@umig.example",
                "created_at": groovy_date(_TEAMS_CREATED + tid * 86400),
                "updated_at": groovy_date(_TEAMS_CREATED + tid * 86400 * 30),
                "created_by": "system",
                "updated_by": "system",
                "member_count": members,
                "app_count": apps,
            }
            for tid, name, description, members, apps in _TEAMS
        ]
    )


def users(r: EnvReading, now: float) -> bytes:
    return dumps(
        [
            {
                "usr_id": uid,
                "usr_code": code,
                "usr_first_name": first,
                "usr_last_name": last,
                "usr_email": f"{first}.{last}@umig.example".lower(),
                "usr_is_admin": admin,
                "usr_active": True,
                "rls_id": 1 if admin else 2,
                "tms_id": team,
                "created_at": groovy_date(_TEAMS_CREATED + uid * 3600),
                "updated_at": groovy_date(_TEAMS_CREATED + uid * 86400 * 7),
            }
            for uid, code, first, last, admin, team in _USERS
        ]
    )
