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
        """Register the shipped and user themes and apply one, from the app's constructor; what
        was wrong with a theme file, one line per bad file, to be said once the screen is up.

        Applied as Textual's theme watcher applies one, less its refresh: no CSS has been read
        yet, so the stylesheet only needs the theme's variables. Set once the app runs, the
        watcher parsed all the CSS again and restyled every widget (~8 ms of the first frame).
        """
        app = self.app
        themes, problems = load_themes((user_theme_dir(),))
        for theme in themes:
            app.register_theme(theme)
        names = [t.name for t in themes]
        self.names = [n for n in SHIPPED if n in names] + [n for n in names if n not in SHIPPED]
        wanted = requested or DEFAULT_THEME
        name = wanted if wanted in app.available_themes else DEFAULT_THEME
        app.set_reactive(App.theme, name)
        current = app.current_theme
        classes = {c: False for c in app.classes if c.startswith("-theme-")}
        classes |= {f"-theme-{name}": True, "-dark-mode": current.dark}
        classes["-light-mode"] = not current.dark
        app.update_classes(classes, update=False)
        # The ANSI-to-truecolor filter follows the theme (Textual's own step: its version is
        # pinned; tests/tui/test_keys.py compares a start in a theme with a switch to it).
        app._refresh_truecolor_filter(app.ansi_theme)
        app.stylesheet.set_variables(app.get_css_variables())
        return [f"{problem} (skipped)" for problem in problems]

    def remember(self) -> None:
        save_ui_state(theme=self.app.theme)

    def cycle(self) -> str:
        names = self.names or list(self.app.available_themes)
        index = names.index(self.app.theme) if self.app.theme in names else -1
        self.app.theme = names[(index + 1) % len(names)]
        return self.app.theme
