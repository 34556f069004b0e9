"""A deploy watch's stage finds its status colour by value (colors.STAGE_STATUS is keyed by
string so the deploy watch loads with the first watch): every stage a watch shows has one."""

from __future__ import annotations

from umig_tui.deploy.watch_state import Stage
from umig_tui.tui.colors import STAGE_STATUS


def test_every_shown_stage_has_its_status_colour() -> None:
    assert STAGE_STATUS[Stage.SUCCEEDED] == "healthy"
    assert STAGE_STATUS[Stage.FAILED] == "unhealthy"
    assert STAGE_STATUS[Stage.TIMED_OUT] == "unreachable"
    assert STAGE_STATUS[Stage.INCONCLUSIVE] == "degraded"
    assert STAGE_STATUS[Stage.SOAKING] == "healthy"
    shown = set(Stage) - {Stage.WAITING, Stage.CONFIRMED}  # "unknown" until it starts
    assert shown <= set(STAGE_STATUS)
    assert set(STAGE_STATUS) <= {str(stage) for stage in Stage}  # no stage misspelt
