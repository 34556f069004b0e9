"""Endpoint profiles: what an environment speaks, and how a configured name becomes one.

``auto`` (the default) detects on first contact and the store keeps the choice; ``us088``
detects only which spelling answers; ``umig-admin-v2`` and a config's ``[profiles.NAME]`` are
fixed.
"""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from umig_tui.sources.profiles.admin_v2 import ADMIN_V2
from umig_tui.sources.profiles.base import Profile

AUTO = "auto"
BUILTIN_NAMES = (AUTO, "us088", ADMIN_V2.name)


class Speaks(msgspec.Struct, frozen=True):
    """What the config says an environment speaks."""

    configured: str  # the name in the config: auto, us088, umig-admin-v2, or a custom one
    profile: Profile | None  # fixed; None: detect on first contact
    family: str | None = None  # detect only among this family's spellings (us088)


def speaks(name: str, custom: Mapping[str, Profile]) -> Speaks:
    """The profile or detection ``name`` stands for; unknown names are a config error earlier."""
    if name == ADMIN_V2.name:
        return Speaks(name, ADMIN_V2)
    if name == "us088":
        return Speaks(name, None, family="us088")
    if name in custom:
        return Speaks(name, custom[name])
    return Speaks(AUTO, None)


__all__ = ["AUTO", "BUILTIN_NAMES", "Profile", "Speaks", "speaks"]
