"""What each demo scenario plays, in one line (the DEMO badge's help, ``demo-server --scenario``).

A scenario that makes an alert fire on purpose says so here, so nobody takes the demo's own
story for a bug in the monitor.
"""

from __future__ import annotations

import msgspec


class Scenario(msgspec.Struct, frozen=True):
    name: str
    description: str  # one line: what the demo fleet is playing


SCENARIOS: dict[str, Scenario] = {
    scenario.name: scenario
    for scenario in (
        Scenario(
            "default",
            "production is due to run 1.2.0 (HIGH drift against the expected matrix until it "
            "lands) and gets it about 1.5 min in, after 20 s down; hotfix moves to 1.2.1+hotfix "
            "first; UAT slowly degrades (error-rate alert after about 40 min); development "
            "builds every 3 min",
        ),
        Scenario(
            "static",
            "the seed versions, frozen: no deploy and no degradation; production stays behind "
            "the expected 1.2.0 (HIGH drift)",
        ),
    )
}
