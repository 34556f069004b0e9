"""The dashboard's own screen: the one the app composes into, first on the stack."""

from __future__ import annotations

from textual import events
from textual.screen import Screen


class MainScreen(Screen[None]):
    """Textual's default screen, less one restyle on the way to the first frame.

    When the app starts, Textual styles every widget as it mounts, then resumes the screen with
    ``refresh_styles`` set, which styles the whole tree again (~50 widgets, five DataTables
    with their component classes) before the first layout. Nothing can have changed a style in
    between, so the first resume skips it; every later one (back from a detail screen, a
    theme switched meanwhile) restyles as Textual does.
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.resumed = False

    def on_screen_resume(self, event: events.ScreenResume) -> None:
        # Runs before Screen's own handler (Textual calls them along the class's MRO).
        if not self.resumed:
            self.resumed = True
            event.refresh_styles = False
