"""Themes: the four shipped ones, user files loaded tolerantly, built-in themes, NO_COLOR."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import cast

import pytest
from textual.app import App
from textual.filter import Monochrome, NoColor

from tests.tui.conftest import AppFactory, screen_segments, show_fleet, widget_lines
from umig_tui.tui.app import UmigApp
from umig_tui.tui.colors import variable as theme_variable
from umig_tui.tui.theme_files import SHIPPED, VARIABLE_DEFAULTS, load_themes
from umig_tui.tui.widgets.environments import EnvTable
from umig_tui.util.resources import data_dir


def variable(app: UmigApp, name: str) -> str:
    """The colour the dashboard uses for ``name`` under the app's current theme."""
    return theme_variable(cast("App[object]", app), name)


STATUS_AND_SEVERITY = [
    name for name in VARIABLE_DEFAULTS if name.startswith(("status-", "severity-"))
]


def user_themes(private_dirs: Path) -> Path:
    """$XDG_CONFIG_HOME/umig-tui/themes of this test."""
    directory = Path(os.environ["XDG_CONFIG_HOME"]) / "umig-tui" / "themes"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def test_every_shipped_theme_loads_with_its_own_status_and_severity_colours() -> None:
    themes, problems = load_themes()
    assert problems == []
    by_name = {theme.name: theme for theme in themes}
    assert set(SHIPPED) <= set(by_name)
    for name in SHIPPED:
        declared = tomllib.loads((data_dir("themes") / f"{name}.toml").read_text())["variables"]
        for variable_name in STATUS_AND_SEVERITY:
            assert variable_name in declared, (name, variable_name)  # not just the defaults
            assert by_name[name].variables[variable_name] == declared[variable_name]


async def test_the_app_uses_the_theme_variables_for_status_colours(make_app: AppFactory) -> None:
    app = make_app(use_store=False, poll=False, theme="high-contrast")
    async with app.run_test(size=(80, 24)):
        assert app.theme == "high-contrast"
        assert set(SHIPPED) <= set(app.available_themes)
        assert variable(app, "status-unreachable").upper() == "#FF00FF"
        assert variable(app, "severity-low").upper() == "#00FFFF"


async def test_a_malformed_user_theme_is_one_notification_and_the_app_goes_on(
    make_app: AppFactory, private_dirs: Path
) -> None:
    directory = user_themes(private_dirs)
    (directory / "bad.toml").write_text('name = "bad"\nprimary = "#12345G"\n[variables\n')
    (directory / "mine.toml").write_text(
        'name = "mine"\nprimary = "#336699"\n[variables]\nstatus-healthy = "#00AA00"\n'
    )
    app = make_app(use_store=False, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await show_fleet(pilot)
        theme_notices = [n for n in app.notices if n[1] == "Theme"]
        assert len(theme_notices) == 1
        severity, _, message = theme_notices[0]
        assert severity == "warning"
        assert "bad.toml" in message
        assert app.is_running
        assert app.theme == "umig-dark"
        # The good user file is there, after the shipped ones, with its own colour.
        names = app.themes.names
        assert names[: len(SHIPPED)] == list(SHIPPED)
        assert "mine" in names
        app.theme = "mine"
        await pilot.pause()
        assert variable(app, "status-healthy").upper() == "#00AA00"
        assert variable(app, "status-unreachable") == VARIABLE_DEFAULTS["status-unreachable"]
    assert app.return_code in (0, None)


async def test_a_textual_builtin_theme_works_with_the_default_status_colours(
    make_app: AppFactory,
) -> None:
    app = make_app(use_store=False, poll=False, theme="textual-light")
    async with app.run_test(size=(80, 24)) as pilot:
        await show_fleet(pilot)
        assert app.theme == "textual-light"
        for name in STATUS_AND_SEVERITY:
            assert variable(app, name) == VARIABLE_DEFAULTS[name]
        # The TCSS uses only theme variables: it resolved and the table is drawn.
        lines = widget_lines(app.query_one(EnvTable))
        assert any("● healthy" in line for line in lines)


async def test_an_unknown_theme_name_falls_back_to_umig_dark(make_app: AppFactory) -> None:
    app = make_app(use_store=False, poll=False, theme="no-such-theme")
    async with app.run_test(size=(80, 24)):
        assert app.theme == "umig-dark"


async def test_no_color_keeps_every_status_readable_as_a_word(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(use_store=False, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await show_fleet(pilot)
        await pilot.pause()
        assert app.no_color
        assert any(isinstance(f, Monochrome | NoColor) for f in app._filters)
        lines = widget_lines(app.query_one(EnvTable))
        for env in ("development", "uat", "production", "hotfix"):
            row = next(line for line in lines if env in line)
            assert "healthy" in row, row
        # What reaches the terminal has no hue left: every colour is a grey.
        for segment in screen_segments(app):
            style = segment.style
            if style is None:
                continue
            for color in (style.color, style.bgcolor):
                if color is not None and color.triplet is not None:
                    red, green, blue = color.triplet
                    assert red == green == blue, (segment.text, color)
