"""Theme handling for the app: install the TOML themes, cycle with `t`, remember the choice."""

from __future__ import annotations

from typing import Any

from textual.app import App

from umig_tui.tui.theme_files import DEFAULT_THEME, SHIPPED, load_themes, user_theme_dir
from umig_tui.util.ui_state import save_ui_state


class ThemeSwitcher:
    def __init__(self, app: App[Any]) -> None:
        self.app = app
        self.names: list[str] = []

    def install(self, requested: str | None) -> list[str]:
        """Register the shipped and user themes, apply one; what was wrong with a theme file,
        one line per bad file, to be said once the screen is up. Before the screen is composed:
        a theme set later restyles every widget again (and parses the CSS again)."""
        app = self.app
        themes, problems = load_themes((user_theme_dir(),))
        for theme in themes:
            app.register_theme(theme)
        names = [t.name for t in themes]
        self.names = [n for n in SHIPPED if n in names] + [n for n in names if n not in SHIPPED]
        wanted = requested or DEFAULT_THEME
        app.theme = wanted if wanted in app.available_themes else DEFAULT_THEME
        return [f"{problem} (skipped)" for problem in problems]

    def remember(self) -> None:
        save_ui_state(theme=self.app.theme)

    def cycle(self) -> str:
        names = self.names or list(self.app.available_themes)
        index = names.index(self.app.theme) if self.app.theme in names else -1
        self.app.theme = names[(index + 1) % len(names)]
        return self.app.theme
