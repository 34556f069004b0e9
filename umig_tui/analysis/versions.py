"""Reading and comparing the seeds' version strings and database schema ids (seed 000 §5.1)."""

from __future__ import annotations

import functools
import re
from enum import IntEnum

import msgspec
from packaging.version import InvalidVersion, Version

from umig_tui.models import Severity


class DiffLevel(IntEnum):
    """How far apart two versions are; the highest differing part wins."""

    NONE = 0
    BUILD = 1  # build metadata only (1.3.0-dev+ci.1245 vs +ci.1246)
    PRERELEASE = 2  # same release, different pre-release/dev (1.2.0-rc.2 vs 1.2.0)
    PATCH = 3
    MINOR = 4
    MAJOR = 5

    @property
    def severity(self) -> Severity | None:
        return _SEVERITY.get(self)

    @property
    def label(self) -> str:
        return {
            DiffLevel.NONE: "same",
            DiffLevel.BUILD: "build metadata",
            DiffLevel.PRERELEASE: "pre-release",
            DiffLevel.PATCH: "patch",
            DiffLevel.MINOR: "minor",
            DiffLevel.MAJOR: "major",
        }[self]


_SEVERITY = {
    DiffLevel.MAJOR: Severity.CRITICAL,
    DiffLevel.MINOR: Severity.HIGH,
    DiffLevel.PATCH: Severity.MEDIUM,
    DiffLevel.PRERELEASE: Severity.LOW,
    DiffLevel.BUILD: Severity.LOW,
}


# The shipped application names its version "UMIG-v1.31.0": the product before the number.
_PRODUCT_PREFIX = re.compile(r"^[A-Za-z][A-Za-z0-9]*[-_ ](?=[vV]?\d)")


def parse_version(text: str | None) -> Version | None:
    """``1.3.0-dev+ci.1245`` → 1.3.0.dev0+ci.1245, ``v2.3.1`` → 2.3.1, ``UMIG-v1.31.0`` →
    1.31.0; None if unreadable."""
    if not text:
        return None
    if len(text) > _CACHED_UP_TO:  # no version is that long: not kept
        return _parse_version.__wrapped__(text)
    return _parse_version(text)


# A fleet reports a handful of versions, read again at every poll, drift check and redraw
# (packaging's parse: ~5 µs); a Version is immutable, so one can be shared.
_CACHED_UP_TO = 128


@functools.lru_cache(maxsize=1024)
def _parse_version(text: str) -> Version | None:
    candidate = _PRODUCT_PREFIX.sub("", text.strip(), count=1)
    if candidate[:1] in ("v", "V"):
        candidate = candidate[1:]
    try:
        return Version(candidate)
    except InvalidVersion:
        return None


def version_difference(a: str | None, b: str | None) -> DiffLevel | None:
    """The level at which ``a`` and ``b`` differ; None when either cannot be ordered.

    Build metadata counts only when both sides carry it: a UI that reports ``1.3.0-dev`` for an
    app at ``1.3.0-dev+ci.1245`` is the same build.
    """
    va, vb = parse_version(a), parse_version(b)
    if va is None or vb is None:
        if a is not None and b is not None and a.strip() == b.strip():
            return DiffLevel.NONE
        return None
    if va.major != vb.major:
        return DiffLevel.MAJOR
    if va.minor != vb.minor:
        return DiffLevel.MINOR
    if va.micro != vb.micro or va.release[3:] != vb.release[3:]:
        return DiffLevel.PATCH
    if va.pre != vb.pre or va.dev != vb.dev or va.post != vb.post:
        return DiffLevel.PRERELEASE
    if va.local and vb.local and va.local != vb.local:
        return DiffLevel.BUILD
    return DiffLevel.NONE


def compare_versions(a: str | None, b: str | None) -> int | None:
    """-1, 0 or 1 as ``a`` is older, equal or newer than ``b`` (PEP 440 order); None if unknown."""
    va, vb = parse_version(a), parse_version(b)
    if va is None or vb is None:
        return None
    if version_difference(a, b) is DiffLevel.NONE:
        return 0
    return -1 if va < vb else 1


@functools.total_ordering
class SchemaId(msgspec.Struct, frozen=True):
    """A database schema id such as ``031`` or ``032-dev``: a number and a dev flag."""

    number: int
    dev: bool = False

    def __str__(self) -> str:
        return f"{self.number:03d}{'-dev' if self.dev else ''}"

    def __lt__(self, other: object) -> bool:
        # Field order would sort 032 before 032-dev; the dev schema precedes its release.
        if not isinstance(other, SchemaId):
            return NotImplemented
        return (self.number, not self.dev) < (other.number, not other.dev)


_SCHEMA = re.compile(r"^\s*v?0*(\d+)(?:[-_.]?(dev|snapshot|rc\d*|pre)\w*)?\s*$", re.I)


def parse_schema(text: str | None) -> SchemaId | None:
    if not text:
        return None
    match = _SCHEMA.match(text)
    if not match:
        return None
    return SchemaId(int(match.group(1)), match.group(2) is not None)


def schema_difference(a: str | None, b: str | None) -> DiffLevel | None:
    """A different schema number is a minor (HIGH) difference; only the dev flag, pre-release."""
    sa, sb = parse_schema(a), parse_schema(b)
    if sa is None or sb is None:
        if a is not None and b is not None and a.strip() == b.strip():
            return DiffLevel.NONE
        return None
    if sa.number != sb.number:
        return DiffLevel.MINOR
    if sa.dev != sb.dev:
        return DiffLevel.PRERELEASE
    return DiffLevel.NONE


def component_difference(component: str, a: str | None, b: str | None) -> DiffLevel | None:
    """Difference for a drift-matrix column: schema ids for ``database``, versions otherwise."""
    if component == "database":
        return schema_difference(a, b)
    return version_difference(a, b)
