"""Version drift: the expected matrix, inside an environment, and across environments.

Pure functions: a version matrix in, findings out (seed 000 §5, seed 001 version-drift-monitor).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from enum import StrEnum
from typing import Any

import msgspec

from umig_tui.analysis.versions import (
    DiffLevel,
    compare_versions,
    component_difference,
    parse_version,
    version_difference,
)
from umig_tui.models import COMPONENT_KEYS, Severity, Tier, VersionRow

VersionMatrix = Mapping[str, VersionRow]
_UNKNOWN = VersionRow()


class DriftKind(StrEnum):
    EXPECTED_MISMATCH = "expected_mismatch"
    COMPONENT_DRIFT = "component_drift"
    MAJOR_MISMATCH = "major_mismatch"
    BEHIND_PRODUCTION = "behind_production"
    PROMOTION_ORDER = "promotion_order"
    PRODUCTION_MISMATCH = "production_mismatch"
    SCHEMA_DRIFT = "schema_drift"


class DriftFinding(msgspec.Struct, frozen=True):
    kind: DriftKind
    severity: Severity
    environment: str
    component: str
    expected: str | None
    actual: str | None
    message: str

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": str(self.kind),
            "severity": str(self.severity),
            "environment": self.environment,
            "component": self.component,
            "expected": self.expected,
            "actual": self.actual,
            "message": self.message,
        }


class EnvRef(msgspec.Struct, frozen=True):
    name: str
    tier: Tier


def _severity(level: DiffLevel | None) -> Severity:
    # Versions that cannot be ordered are still different: worth a look, not a page.
    return level.severity or Severity.LOW if level is not None else Severity.MEDIUM


def _level_text(level: DiffLevel | None) -> str:
    return f"{level.label} difference" if level is not None else "versions cannot be ordered"


def expected_findings(
    matrix: VersionMatrix, expected: Mapping[str, Mapping[str, str]]
) -> list[DriftFinding]:
    findings: list[DriftFinding] = []
    for env, wanted in expected.items():
        row = matrix.get(env, _UNKNOWN)
        for component in COMPONENT_KEYS:
            want = wanted.get(component)
            actual = row.get(component)
            if want is None or actual is None:  # unknown actual: the status view says why
                continue
            level = component_difference(component, actual, want)
            if level is DiffLevel.NONE:
                continue
            findings.append(
                DriftFinding(
                    DriftKind.EXPECTED_MISMATCH,
                    _severity(level),
                    env,
                    component,
                    want,
                    actual,
                    f"{env} {component} is {actual}, expected {want} ({_level_text(level)})",
                )
            )
    return findings


def component_findings(
    matrix: VersionMatrix, independent: Collection[str] = ()
) -> list[DriftFinding]:
    """UI and backend should carry the application's version (seed 001 detect_component_drift);
    not in ``independent`` environments, whose components have version lines of their own."""
    findings: list[DriftFinding] = []
    for env, row in matrix.items():
        if env in independent:
            continue
        reference_name = "umig" if row.get("umig") else "backend"
        reference = row.get(reference_name)
        for component in ("ui", "backend"):
            actual = row.get(component)
            if component == reference_name or actual is None or reference is None:
                continue
            level = version_difference(actual, reference)
            if level is DiffLevel.NONE:
                continue
            findings.append(
                DriftFinding(
                    DriftKind.COMPONENT_DRIFT,
                    _severity(level),
                    env,
                    component,
                    reference,
                    actual,
                    f"{env}: {component} is {actual} but {reference_name} is {reference} ({_level_text(level)})",
                )
            )
    return findings


def _production(envs: Sequence[EnvRef], matrix: VersionMatrix) -> EnvRef | None:
    prods = [
        e for e in envs if e.tier is Tier.PRODUCTION and matrix.get(e.name, _UNKNOWN).get("umig")
    ]
    named = [e for e in prods if e.name == "production"]
    candidates = named or prods
    return candidates[0] if candidates else None


def cross_env_findings(envs: Sequence[EnvRef], matrix: VersionMatrix) -> list[DriftFinding]:
    findings: list[DriftFinding] = []
    versions = {e.name: matrix.get(e.name, _UNKNOWN).get("umig") for e in envs}
    prod = _production(envs, matrix)
    prod_version = versions.get(prod.name) if prod else None

    # Major versions that disagree (seed 001 detect_major_version_drift).
    majors = {
        name: v.major for name, text in versions.items() if (v := parse_version(text)) is not None
    }
    if len(set(majors.values())) > 1:
        if prod is not None and prod.name in majors:
            reference_major = majors[prod.name]
        else:  # no production: the most common major is the reference
            counts = sorted(
                set(majors.values()), key=lambda m: (-list(majors.values()).count(m), m)
            )
            reference_major = counts[0]
        reference_env = prod.name if prod is not None and prod.name in majors else "the fleet"
        for name, major in majors.items():
            if major != reference_major:
                findings.append(
                    DriftFinding(
                        DriftKind.MAJOR_MISMATCH,
                        Severity.CRITICAL,
                        name,
                        "umig",
                        f"{reference_major}.x",
                        versions[name],
                        f"{name} runs major version {major} ({versions[name]}) but {reference_env} runs {reference_major}",
                    )
                )

    if prod is None or prod_version is None:
        return findings
    for env in envs:
        version = versions.get(env.name)
        if env.name == prod.name or version is None:
            continue
        order = compare_versions(version, prod_version)
        level = version_difference(version, prod_version)
        if env.tier is Tier.PRODUCTION:
            if level not in (None, DiffLevel.NONE):
                findings.append(
                    DriftFinding(
                        DriftKind.PRODUCTION_MISMATCH,
                        _severity(level),
                        env.name,
                        "umig",
                        prod_version,
                        version,
                        f"production environments disagree: {env.name} {version}, {prod.name} {prod_version}",
                    )
                )
            continue
        if order is None or order >= 0:
            continue
        if env.tier is Tier.UAT:
            findings.append(
                DriftFinding(
                    DriftKind.PROMOTION_ORDER,
                    _severity(level),
                    env.name,
                    "umig",
                    prod_version,
                    version,
                    f"promotion order violated: {prod.name} ({prod_version}) is ahead of {env.name} ({version})",
                )
            )
        else:
            findings.append(
                DriftFinding(
                    DriftKind.BEHIND_PRODUCTION,
                    _severity(level),
                    env.name,
                    "umig",
                    prod_version,
                    version,
                    f"{env.name} ({version}) is behind {prod.name} ({prod_version}) ({_level_text(level)})",
                )
            )
    return findings


def _listed(ids: Sequence[str], most: int = 5) -> str:
    shown = ", ".join(ids[:most])
    return shown + (f", … ({len(ids) - most} more)" if len(ids) > most else "")


def schema_findings(
    envs: Sequence[EnvRef], changesets: Mapping[str, Collection[str]]
) -> list[DriftFinding]:
    """Executed database changesets compared with production's (or, with no production that
    lists them, the first environment that does): the schema drift a version string hides."""
    listed = [e for e in envs if e.name in changesets]
    reference = next((e for e in listed if e.tier is Tier.PRODUCTION), None) or next(
        iter(listed), None
    )
    if reference is None:
        return []
    ref_ids = set(changesets[reference.name])
    findings: list[DriftFinding] = []
    for env in listed:
        if env.name == reference.name:
            continue
        ids = set(changesets[env.name])
        if missing := sorted(ref_ids - ids):
            findings.append(
                DriftFinding(
                    DriftKind.SCHEMA_DRIFT,
                    Severity.HIGH,
                    env.name,
                    "database",
                    f"{reference.name} has {len(ref_ids)}",
                    f"{len(ids)} changesets",
                    f"{env.name} lacks {len(missing)} changeset{'s' if len(missing) > 1 else ''} "
                    f"{reference.name} has: {_listed(missing)}",
                )
            )
        if extra := sorted(ids - ref_ids):
            # Ahead of production: a promotion still to come, worth seeing, not a page.
            findings.append(
                DriftFinding(
                    DriftKind.SCHEMA_DRIFT,
                    Severity.MEDIUM,
                    reference.name,
                    "database",
                    f"{env.name} has {len(ids)}",
                    f"{len(ref_ids)} changesets",
                    f"{reference.name} lacks {len(extra)} changeset{'s' if len(extra) > 1 else ''} "
                    f"{env.name} has: {_listed(extra)}",
                )
            )
    return findings


def analyze_drift(
    envs: Sequence[EnvRef],
    matrix: VersionMatrix,
    expected: Mapping[str, Mapping[str, str]],
    *,
    independent_components: Collection[str] = (),
    changesets: Mapping[str, Collection[str]] | None = None,
) -> list[DriftFinding]:
    """Every finding, worst first, then in environment order."""
    order = {e.name: i for i, e in enumerate(envs)}
    findings = (
        expected_findings(matrix, expected)
        + component_findings(matrix, independent_components)
        + cross_env_findings(envs, matrix)
        + schema_findings(envs, changesets or {})
    )
    # Major mismatch already says everything a behind/ahead finding would for that env.
    majors = {f.environment for f in findings if f.kind is DriftKind.MAJOR_MISMATCH}
    findings = [
        f
        for f in findings
        if not (
            f.environment in majors
            and f.kind in (DriftKind.BEHIND_PRODUCTION, DriftKind.PROMOTION_ORDER)
        )
    ]
    return sorted(
        findings, key=lambda f: (-f.severity.rank, order.get(f.environment, 1 << 30), f.component)
    )


def worst_by_cell(findings: Sequence[DriftFinding]) -> dict[tuple[str, str], Severity]:
    """The worst severity per (environment, component), for colouring the matrix."""
    cells: dict[tuple[str, str], Severity] = {}
    for finding in findings:
        key = (finding.environment, finding.component)
        if key not in cells or finding.severity.rank > cells[key].rank:
            cells[key] = finding.severity
    return cells
