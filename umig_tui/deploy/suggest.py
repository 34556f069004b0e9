"""The version a deploy to an environment most likely expects: what the tier below runs."""

from __future__ import annotations

from umig_tui.analysis.versions import compare_versions, parse_version
from umig_tui.config import Config
from umig_tui.models import Tier
from umig_tui.state.fleet import FleetState

# Where each tier's releases come from, nearest first.
_SOURCES = {
    Tier.PRODUCTION: (Tier.UAT, Tier.HOTFIX, Tier.DEVELOPMENT),
    Tier.UAT: (Tier.DEVELOPMENT,),
    Tier.HOTFIX: (Tier.PRODUCTION,),
    Tier.DEVELOPMENT: (),
}


def suggest_expected(config: Config, fleet: FleetState, env: str) -> str | None:
    """The newest version in the nearest lower tier; a release candidate becomes its release
    for production (1.2.0-rc.2 → 1.2.0), since production runs plain versions."""
    target = config.environment(env)
    for tier in _SOURCES[target.tier]:
        versions = [
            fleet.versions(e.name).umig
            for e in config.environments
            if e.tier is tier and e.name != env and fleet.versions(e.name).umig
        ]
        if not versions:
            continue
        newest = versions[0]
        for version in versions[1:]:
            if compare_versions(version, newest) == 1:
                newest = version
        parsed = parse_version(newest)
        if target.tier is Tier.PRODUCTION and parsed is not None:
            return parsed.base_version
        return newest
    return None
