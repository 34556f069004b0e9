"""Version drift findings: expected matrix, inside an environment, across environments."""

from __future__ import annotations

import pytest
from msgspec.structs import replace

from umig_tui.analysis.drift import (
    DriftFinding,
    DriftKind,
    EnvRef,
    analyze_drift,
    worst_by_cell,
)
from umig_tui.models import Severity, Tier, VersionRow

DEV = EnvRef("development", Tier.DEVELOPMENT)
UAT = EnvRef("uat", Tier.UAT)
PROD = EnvRef("production", Tier.PRODUCTION)
HOTFIX = EnvRef("hotfix", Tier.HOTFIX)
SEED_ENVS = [DEV, UAT, PROD]


def row(
    umig: str | None,
    database: str | None = None,
    api: str | None = None,
    ui: str | None = None,
    backend: str | None = None,
) -> VersionRow:
    return VersionRow(umig, database, api, ui, backend)


# Seed 000 §1.1 / seed 001 "Current Environment Status".
SEED_MATRIX = {
    "development": row("1.3.0-dev+ci.1245", "032-dev", "2.4.0-dev", "1.3.0-dev", "1.3.0-dev"),
    "uat": row("1.2.0-rc.2", "031", "2.3.1", "1.2.0", "1.2.0"),
    "production": row("1.1.2", "030", "2.3.0", "1.1.2", "1.1.2"),
}
# DESIGN's [expected] example: what production is due to run.
DESIGN_EXPECTED = {"production": {"umig": "1.2.0", "database": "031", "api": "2.3.1"}}


def summary(findings: list[DriftFinding]) -> list[tuple[str, str, str, str]]:
    return [(f.kind.value, f.severity.value, f.environment, f.component) for f in findings]


def test_seed_fleet_without_expectations_only_flags_uat_release_candidate_labels() -> None:
    # UAT runs 1.2.0-rc.2 while its UI and backend say 1.2.0: a pre-release difference inside the
    # env (DESIGN: ui ≠ backend ≠ umig). Development's 1.3.0-dev vs 1.3.0-dev+ci.1245 is the same
    # build; dev and UAT are ahead of production, which is the normal promotion order.
    findings = analyze_drift(SEED_ENVS, SEED_MATRIX, {})
    assert summary(findings) == [
        ("component_drift", "LOW", "uat", "backend"),
        ("component_drift", "LOW", "uat", "ui"),
    ]
    assert findings[0].expected == "1.2.0-rc.2"
    assert findings[0].actual == "1.2.0"
    assert (
        findings[0].message
        == "uat: backend is 1.2.0 but umig is 1.2.0-rc.2 (pre-release difference)"
    )


def test_seed_fleet_against_the_design_expected_matrix() -> None:
    findings = analyze_drift(SEED_ENVS, SEED_MATRIX, DESIGN_EXPECTED)
    assert summary(findings) == [
        ("expected_mismatch", "HIGH", "production", "database"),
        ("expected_mismatch", "HIGH", "production", "umig"),
        ("expected_mismatch", "MEDIUM", "production", "api"),
        ("component_drift", "LOW", "uat", "backend"),
        ("component_drift", "LOW", "uat", "ui"),
    ]
    umig = findings[1]
    assert (umig.expected, umig.actual) == ("1.2.0", "1.1.2")
    assert umig.message == "production umig is 1.1.2, expected 1.2.0 (minor difference)"


@pytest.mark.parametrize(
    ("component", "want", "actual", "severity"),
    [
        ("umig", "2.0.0", "1.2.0", Severity.CRITICAL),
        ("umig", "1.3.0", "1.2.0", Severity.HIGH),
        ("api", "v2.3.1", "2.3.0", Severity.MEDIUM),
        ("ui", "1.2.0", "1.2.0-rc.2", Severity.LOW),
        ("database", "031", "030", Severity.HIGH),
        ("database", "032", "032-dev", Severity.LOW),
        ("backend", "1.2.0", "1.2.x", Severity.MEDIUM),  # cannot be ordered: worth a look
    ],
)
def test_expected_matrix_drift_severity_by_level(
    component: str, want: str, actual: str, severity: Severity
) -> None:
    matrix = {"production": replace(row(None), **{component: actual})}
    (finding,) = analyze_drift([PROD], matrix, {"production": {component: want}})
    assert finding.kind is DriftKind.EXPECTED_MISMATCH
    assert (finding.component, finding.expected, finding.actual) == (component, want, actual)
    assert finding.severity is severity


@pytest.mark.parametrize(
    ("want", "actual"), [("v2.3.1", "2.3.1"), ("1.2.0", "1.2.0+hotfix"), ("031", "31")]
)
def test_matching_expected_versions_are_no_finding(want: str, actual: str) -> None:
    matrix = {"production": row("1.2.0", "31", actual, "1.2.0", "1.2.0")}
    component = "database" if want == "031" else "api"
    assert analyze_drift([PROD], matrix, {"production": {component: want}}) == []


def test_ui_behind_the_application_is_component_drift() -> None:
    matrix = {"production": row("1.2.0", ui="1.1.2", backend="1.2.0")}
    (finding,) = analyze_drift([PROD], matrix, {})
    assert finding.kind is DriftKind.COMPONENT_DRIFT
    assert (finding.component, finding.severity) == ("ui", Severity.HIGH)
    assert (finding.expected, finding.actual) == ("1.2.0", "1.1.2")


def test_ui_and_backend_compare_with_each_other_when_umig_is_unknown() -> None:
    matrix = {"production": row(None, ui="1.1.2", backend="1.1.3")}
    (finding,) = analyze_drift([PROD], matrix, {})
    assert finding.kind is DriftKind.COMPONENT_DRIFT
    assert (finding.component, finding.expected, finding.severity) == (
        "ui",
        "1.1.3",
        Severity.MEDIUM,
    )
    assert "backend is 1.1.3" in finding.message


def test_major_mismatch_across_environments_is_critical() -> None:
    matrix = {"development": row("2.0.0-dev"), "uat": row("1.2.0"), "production": row("1.2.0")}
    (finding,) = analyze_drift(SEED_ENVS, matrix, {})
    assert finding.kind is DriftKind.MAJOR_MISMATCH
    assert (finding.environment, finding.severity) == ("development", Severity.CRITICAL)
    assert finding.expected == "1.x"
    assert "production runs 1" in finding.message


def test_major_mismatch_replaces_the_behind_production_finding() -> None:
    matrix = {"uat": row("1.9.0"), "production": row("2.0.0")}
    findings = analyze_drift([UAT, PROD], matrix, {})
    assert summary(findings) == [("major_mismatch", "CRITICAL", "uat", "umig")]


def test_without_production_the_most_common_major_is_the_reference() -> None:
    envs = [DEV, UAT, EnvRef("uat-2", Tier.UAT)]
    matrix = {"development": row("3.0.0"), "uat": row("2.1.0"), "uat-2": row("2.0.0")}
    findings = analyze_drift(envs, matrix, {})
    assert summary(findings) == [("major_mismatch", "CRITICAL", "development", "umig")]
    assert "the fleet runs 2" in findings[0].message


@pytest.mark.parametrize(
    ("env", "version", "severity"),
    [
        (DEV, "1.1.0", Severity.HIGH),
        (DEV, "1.2.0-dev", Severity.LOW),
        (HOTFIX, "1.1.9+hotfix", Severity.HIGH),
    ],
)
def test_environment_behind_production_is_behind_production(
    env: EnvRef, version: str, severity: Severity
) -> None:
    matrix = {env.name: row(version), "production": row("1.2.0")}
    (finding,) = analyze_drift([env, PROD], matrix, {})
    assert finding.kind is DriftKind.BEHIND_PRODUCTION
    assert (finding.environment, finding.severity) == (env.name, severity)
    assert (finding.expected, finding.actual) == ("1.2.0", version)


@pytest.mark.parametrize("version", ["1.3.0-dev", "1.2.0", "1.2.0+hotfix", "1.2.1+hotfix"])
def test_environment_level_with_or_ahead_of_production_is_fine(version: str) -> None:
    matrix = {"hotfix": row(version), "production": row("1.2.0")}
    assert analyze_drift([HOTFIX, PROD], matrix, {}) == []


def test_production_ahead_of_uat_is_promotion_violation() -> None:
    matrix = {"uat": row("1.1.2"), "production": row("1.2.0")}
    (finding,) = analyze_drift([UAT, PROD], matrix, {})
    assert finding.kind is DriftKind.PROMOTION_ORDER
    assert (finding.environment, finding.severity) == ("uat", Severity.HIGH)
    assert finding.message == "promotion order violated: production (1.2.0) is ahead of uat (1.1.2)"


def test_uat_ahead_of_production_is_the_normal_order() -> None:
    matrix = {"uat": row("1.2.0-rc.2"), "production": row("1.1.2")}
    assert analyze_drift([UAT, PROD], matrix, {}) == []


def test_two_production_environments_disagreeing_is_production_mismatch() -> None:
    prod_eu = EnvRef("prod-eu", Tier.PRODUCTION)
    matrix = {"prod-eu": row("1.1.2"), "production": row("1.2.0")}
    (finding,) = analyze_drift([prod_eu, PROD], matrix, {})
    assert finding.kind is DriftKind.PRODUCTION_MISMATCH
    assert (finding.environment, finding.severity) == ("prod-eu", Severity.HIGH)
    assert (finding.expected, finding.actual) == ("1.2.0", "1.1.2")


def test_environment_named_production_is_the_reference_among_production_tiers() -> None:
    prod_eu = EnvRef("prod-eu", Tier.PRODUCTION)
    matrix = {"production": row("1.2.0"), "prod-eu": row("1.2.1"), "uat": row("1.2.0")}
    findings = analyze_drift([prod_eu, PROD, UAT], matrix, {})
    # uat equals the reference (production); only prod-eu is flagged, not uat.
    assert summary(findings) == [("production_mismatch", "MEDIUM", "prod-eu", "umig")]


def test_unknown_versions_produce_no_finding() -> None:
    matrix = {
        "development": row(None),
        "uat": row(None, None, None, "1.0.0", None),
        "production": row("1.2.0", None, None, None, None),
    }
    expected = {"production": {"database": "031", "api": "2.3.1", "ui": "1.2.0"}}
    assert analyze_drift(SEED_ENVS, matrix, expected) == []


def test_unknown_production_version_skips_cross_environment_checks() -> None:
    matrix = {"development": row("0.9.0"), "uat": row("0.9.0"), "production": row(None)}
    assert analyze_drift(SEED_ENVS, matrix, {}) == []


def test_unorderable_versions_never_claim_behind_or_ahead() -> None:
    matrix = {"development": row("v1.x.y"), "uat": row("snapshot"), "production": row("1.2.0")}
    assert analyze_drift(SEED_ENVS, matrix, {}) == []


def test_findings_are_sorted_worst_first_then_environment_order() -> None:
    envs = [DEV, UAT, PROD]
    matrix = {
        "development": row("1.2.0", ui="1.2.0-rc.1"),  # LOW component drift
        "uat": row("1.1.0"),  # production ahead: HIGH promotion order
        "production": row("1.2.0", api="2.3.0"),
    }
    expected = {"production": {"api": "3.0.0"}}  # CRITICAL expected mismatch
    findings = analyze_drift(envs, matrix, expected)
    assert summary(findings) == [
        ("expected_mismatch", "CRITICAL", "production", "api"),
        ("promotion_order", "HIGH", "uat", "umig"),
        ("component_drift", "LOW", "development", "ui"),
    ]
    ranks = [f.severity.rank for f in findings]
    assert ranks == sorted(ranks, reverse=True)


def test_worst_by_cell_keeps_the_highest_severity_per_cell() -> None:
    matrix = {"uat": row("1.1.0"), "production": row("1.2.0")}
    findings = analyze_drift([UAT, PROD], matrix, {"uat": {"umig": "1.1.1"}})
    assert {(f.kind, f.severity) for f in findings} == {
        (DriftKind.PROMOTION_ORDER, Severity.HIGH),
        (DriftKind.EXPECTED_MISMATCH, Severity.MEDIUM),
    }
    assert worst_by_cell(findings) == {("uat", "umig"): Severity.HIGH}
    assert worst_by_cell([]) == {}


def test_finding_to_json_has_plain_values() -> None:
    (finding,) = analyze_drift([UAT, PROD], {"uat": row("1.1.0"), "production": row("1.2.0")}, {})
    assert finding.to_json() == {
        "kind": "promotion_order",
        "severity": "HIGH",
        "environment": "uat",
        "component": "umig",
        "expected": "1.2.0",
        "actual": "1.1.0",
        "message": "promotion order violated: production (1.2.0) is ahead of uat (1.1.0)",
    }
