"""`[` and `]` in a screen with tabs: the previous / next tab, wrapping round."""

from __future__ import annotations

from textual.widgets import TabbedContent, TabPane


def cycle_tab(tabs: TabbedContent, step: int) -> None:
    ids = [pane.id for pane in tabs.query(TabPane) if pane.id]
    if tabs.active in ids:
        tabs.active = ids[(ids.index(tabs.active) + step) % len(ids)]
