"""The panel registry: one place that drives layout, the 1–5 keys, help and the palette."""

from __future__ import annotations

from umig_tui.tui.widgets.deployments import DeploymentsPanel
from umig_tui.tui.widgets.drift import DriftPanel
from umig_tui.tui.widgets.environments import EnvironmentsPanel
from umig_tui.tui.widgets.events import EventsPanel
from umig_tui.tui.widgets.panel import Panel
from umig_tui.tui.widgets.performance import PerformancePanel

PANELS: tuple[type[Panel], ...] = (
    EnvironmentsPanel,
    DriftPanel,
    PerformancePanel,
    DeploymentsPanel,
    EventsPanel,
)
