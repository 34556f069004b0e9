"""Which built-in profile an environment speaks, from a few cheap requests in a fixed order.

``adminVersion`` first: ScriptRunner serves both the seeds' Groovy and the shipped application
under that name, and the body tells them apart (``umig.version`` against ``system.version``).
Then the seed scripts' ``admin/version``, then the health endpoints for a site that serves
health but no version. The first conclusive answer wins; most environments need one request.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from umig_tui.models import FetchError
from umig_tui.sources.errors import ParseError
from umig_tui.sources.parse import decode_json_object, section, text
from umig_tui.sources.profiles.admin_v2 import ADMIN_V2
from umig_tui.sources.profiles.base import Profile
from umig_tui.sources.profiles.us088 import US088_FLAT, US088_SLASH


class Candidate(msgspec.Struct, frozen=True):
    path: str
    accept: frozenset[int]
    families: tuple[str, ...]  # the profiles this answer can point to
    # The one profile that serves this path, when only one does: a broken answer there (a
    # 500, a malformed body) still says the path exists, so the environment likely speaks it.
    only: Profile | None = None


CANDIDATES: tuple[Candidate, ...] = (
    Candidate("adminVersion", frozenset({200}), ("us088", "umig-admin-v2")),
    Candidate("admin/version", frozenset({200}), ("us088",), US088_SLASH),
    Candidate("databaseVersionsHealth", frozenset({200, 206, 503}), ("umig-admin-v2",), ADMIN_V2),
    Candidate("adminHealth", frozenset({200}), ("us088",), US088_FLAT),
    Candidate("admin/health", frozenset({200}), ("us088",), US088_SLASH),
)


class Verdict(msgspec.Struct, frozen=True):
    """What one candidate's answer says: a profile, and the fields that were read."""

    profile: Profile | None
    fields: tuple[str, ...] = ()
    note: str = ""


def candidates_for(family: str | None) -> tuple[Candidate, ...]:
    """Every candidate (``auto``), or only those that can point to ``family``."""
    if family is None:
        return CANDIDATES
    return tuple(c for c in CANDIDATES if family in c.families)


def classify(path: str, status: int, body: str) -> Verdict:
    """The profile a candidate's answer points to (None when it points nowhere)."""
    try:
        doc = decode_json_object(body)
    except ParseError as exc:
        return Verdict(None, note=exc.reason)
    umig = doc.get("umig")
    if isinstance(umig, dict):
        flat = "/" not in path
        fields = _present(umig, "umig", ("version", "status", "build", "environment"))
        return Verdict(US088_FLAT if flat else US088_SLASH, fields)
    system = doc.get("system")
    if path == "adminVersion" and isinstance(system, dict) and text(system.get("version")):
        fields = _present(system, "system", ("version", "uptime", "buildNumber"))
        fields += _present(section(doc.get("deployment")), "deployment", ("environment",))
        return Verdict(ADMIN_V2, fields)
    overall = doc.get("overall")
    if path == "databaseVersionsHealth" and isinstance(overall, dict):
        return Verdict(ADMIN_V2, _present(overall, "overall", ("status",)))
    keys = ", ".join(list(doc)[:5]) or "none"
    return Verdict(None, note=f"a JSON object no built-in profile knows (keys: {keys})")


def _present(doc: dict[str, Any], prefix: str, keys: Sequence[str]) -> tuple[str, ...]:
    return tuple(f"{prefix}.{k}={text(doc[k], 40, numbers=True)}" for k in keys if k in doc)


class Detected(msgspec.Struct, frozen=True):
    """The outcome of detection: a profile, or why none (the most telling error seen).
    ``tentative``: no answer was readable, but a path only that profile serves exists."""

    profile: Profile | None
    error: FetchError | None = None
    tried: tuple[str, ...] = ()
    tentative: bool = False


def builtin(name: str, variant: str) -> Profile | None:
    """A built-in profile by the name and variant the store kept."""
    if name == ADMIN_V2.name:
        return ADMIN_V2
    if name == US088_SLASH.name:
        return US088_FLAT if variant == US088_FLAT.variant else US088_SLASH
    return None
