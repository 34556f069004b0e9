"""The seeds' version strings and schema ids: parsing, difference levels, order, severities."""

from __future__ import annotations

import pytest
from packaging.version import Version

from umig_tui.analysis.versions import (
    DiffLevel,
    SchemaId,
    compare_versions,
    component_difference,
    parse_schema,
    parse_version,
    schema_difference,
    version_difference,
)
from umig_tui.models import Severity

# Every version string that appears in the seeds, with what it must read as.
SEED_VERSIONS = [
    ("1.3.0-dev+ci.1245", "1.3.0.dev0+ci.1245"),
    ("1.2.0-rc.2", "1.2.0rc2"),
    ("1.2.0-rc.1", "1.2.0rc1"),
    ("1.1.2", "1.1.2"),
    ("1.2.0", "1.2.0"),
    ("v2.3.1", "2.3.1"),
    ("2.3.0", "2.3.0"),
    ("2.4.0-dev", "2.4.0.dev0"),
    ("1.3.0-dev", "1.3.0.dev0"),
    ("1.2.0+hotfix", "1.2.0+hotfix"),
    ("1.0.0", "1.0.0"),
    ("v1.2.0", "1.2.0"),
    (" 1.1.2 ", "1.1.2"),
]


@pytest.mark.parametrize(("text", "normalised"), SEED_VERSIONS)
def test_every_seed_version_string_parses(text: str, normalised: str) -> None:
    version = parse_version(text)
    assert version is not None
    assert str(version) == normalised


def test_dev_build_keeps_its_ci_build_number_as_local_part() -> None:
    version = parse_version("1.3.0-dev+ci.1245")
    assert version is not None
    assert (version.release, version.dev, version.local) == ((1, 3, 0), 0, "ci.1245")


@pytest.mark.parametrize("text", ["v1.x.y", "unknown", "", None, "1.2.0-SNAPSHOT-x", "latest"])
def test_unparseable_version_is_none(text: str | None) -> None:
    assert parse_version(text) is None


def test_seed_release_train_sorts_in_promotion_order() -> None:
    train = ["1.3.0-dev", "1.2.0", "1.0.0", "1.2.0-rc.2", "1.1.2", "1.2.0-rc.1"]
    ordered = sorted(train, key=lambda t: parse_version(t) or Version("0"))
    assert ordered == ["1.0.0", "1.1.2", "1.2.0-rc.1", "1.2.0-rc.2", "1.2.0", "1.3.0-dev"]


@pytest.mark.parametrize(
    ("a", "b", "level"),
    [
        ("1.1.2", "2.0.0", DiffLevel.MAJOR),
        ("v2.3.1", "1.2.0", DiffLevel.MAJOR),
        ("1.1.2", "1.2.0", DiffLevel.MINOR),
        ("1.3.0-dev+ci.1245", "1.2.0-rc.2", DiffLevel.MINOR),
        ("2.3.0", "v2.3.1", DiffLevel.PATCH),
        ("1.2.0.1", "1.2.0", DiffLevel.PATCH),
        ("1.2.0-rc.2", "1.2.0", DiffLevel.PRERELEASE),
        ("1.2.0-rc.1", "1.2.0-rc.2", DiffLevel.PRERELEASE),
        ("1.3.0-dev", "1.3.0", DiffLevel.PRERELEASE),
        ("1.2.0.post1", "1.2.0", DiffLevel.PRERELEASE),
        ("1.3.0-dev+ci.1245", "1.3.0-dev+ci.1246", DiffLevel.BUILD),
        ("1.3.0-dev+ci.1245", "1.3.0-dev", DiffLevel.NONE),  # build metadata on one side only
        ("1.2.0+hotfix", "1.2.0", DiffLevel.NONE),
        ("v2.3.1", "2.3.1", DiffLevel.NONE),
        ("1.2", "1.2.0", DiffLevel.NONE),
    ],
)
def test_version_difference_level(a: str, b: str, level: DiffLevel) -> None:
    assert version_difference(a, b) is level
    assert version_difference(b, a) is level


@pytest.mark.parametrize(
    ("a", "b", "level"),
    [
        ("v1.x.y", "1.2.0", None),
        ("1.2.0", None, None),
        (None, None, None),
        ("unknown", "unknown", DiffLevel.NONE),  # the same raw text is no difference
        ("v1.x.y", " v1.x.y", DiffLevel.NONE),
    ],
)
def test_unorderable_versions_have_no_level(
    a: str | None, b: str | None, level: DiffLevel | None
) -> None:
    assert version_difference(a, b) is level


@pytest.mark.parametrize(
    ("level", "severity"),
    [
        (DiffLevel.MAJOR, Severity.CRITICAL),
        (DiffLevel.MINOR, Severity.HIGH),
        (DiffLevel.PATCH, Severity.MEDIUM),
        (DiffLevel.PRERELEASE, Severity.LOW),
        (DiffLevel.BUILD, Severity.LOW),
        (DiffLevel.NONE, None),
    ],
)
def test_severity_follows_seed_000_section_5_1(level: DiffLevel, severity: Severity | None) -> None:
    assert level.severity is severity


@pytest.mark.parametrize(
    ("a", "b", "order"),
    [
        ("1.1.2", "1.2.0", -1),
        ("1.2.0", "1.2.0-rc.2", 1),
        ("1.2.0-rc.1", "1.2.0-rc.2", -1),
        ("1.3.0-dev+ci.1245", "1.2.0", 1),
        ("1.2.0+hotfix", "1.2.0", 0),
        ("v2.3.1", "2.3.1", 0),
        ("1.3.0-dev+ci.1245", "1.3.0-dev+ci.1246", -1),
        ("v1.x.y", "1.2.0", None),
        (None, "1.2.0", None),
    ],
)
def test_compare_versions(a: str | None, b: str | None, order: int | None) -> None:
    assert compare_versions(a, b) == order


@pytest.mark.parametrize(
    ("text", "schema"),
    [
        ("030", SchemaId(30)),
        ("031", SchemaId(31)),
        ("032-dev", SchemaId(32, dev=True)),
        ("32", SchemaId(32)),
        ("v031", SchemaId(31)),
        ("033-SNAPSHOT", SchemaId(33, dev=True)),
        ("000", SchemaId(0)),
    ],
)
def test_parse_schema_reads_number_and_dev_flag(text: str, schema: SchemaId) -> None:
    assert parse_schema(text) == schema


@pytest.mark.parametrize("text", ["", None, "abc", "3.1", "031-hotfix"])
def test_unparseable_schema_is_none(text: str | None) -> None:
    assert parse_schema(text) is None


def test_schema_id_prints_zero_padded() -> None:
    assert str(SchemaId(32, dev=True)) == "032-dev"
    assert str(SchemaId(30)) == "030"


@pytest.mark.parametrize(
    ("a", "b", "level"),
    [
        ("030", "031", DiffLevel.MINOR),
        ("031", "032-dev", DiffLevel.MINOR),
        ("032-dev", "032", DiffLevel.PRERELEASE),
        ("031", "031", DiffLevel.NONE),
        ("031", "31", DiffLevel.NONE),
        ("abc", "031", None),
        ("abc", "abc", DiffLevel.NONE),
    ],
)
def test_schema_difference(a: str, b: str, level: DiffLevel | None) -> None:
    assert schema_difference(a, b) is level


def test_schema_number_difference_is_high_and_dev_flag_only_is_low() -> None:
    assert schema_difference("030", "031").severity is Severity.HIGH  # type: ignore[union-attr]
    assert schema_difference("032-dev", "032").severity is Severity.LOW  # type: ignore[union-attr]


def test_schema_ids_sort_with_dev_before_its_release() -> None:
    ids = [SchemaId(32), SchemaId(31), SchemaId(32, dev=True), SchemaId(30)]
    assert [str(s) for s in sorted(ids)] == ["030", "031", "032-dev", "032"]
    assert SchemaId(32, dev=True) < SchemaId(32) < SchemaId(33, dev=True)


def test_component_difference_uses_schema_rules_for_the_database_only() -> None:
    assert component_difference("database", "032-dev", "032") is DiffLevel.PRERELEASE
    assert component_difference("database", "030", "031") is DiffLevel.MINOR
    assert component_difference("api", "2.3.0", "v2.3.1") is DiffLevel.PATCH
    assert component_difference("umig", "030", "031") is DiffLevel.MAJOR  # as versions: 30 vs 31


def test_a_version_read_again_is_the_same_object_and_a_huge_text_is_not_kept() -> None:
    first = parse_version("UMIG-v1.31.0")
    assert first is not None
    assert str(first) == "1.31.0"
    assert parse_version("UMIG-v1.31.0") is first  # read once, shared: Versions are immutable
    long_but_valid = "1." + ".".join(["0"] * 100)
    assert parse_version(long_but_valid) == parse_version(long_but_valid)
    assert parse_version(long_but_valid) is not parse_version(long_but_valid)  # not cached
    assert parse_version("x" * 10_000) is None
