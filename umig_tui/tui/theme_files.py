"""Themes from TOML files; status and severity colours are theme variables with defaults."""

from __future__ import annotations

import tomllib
from pathlib import Path

import msgspec
from textual.color import Color, ColorParseError
from textual.theme import Theme

from umig_tui.util.resources import data_dir

DEFAULT_THEME = "umig-dark"
SHIPPED = ("umig-dark", "umig-light", "high-contrast", "monochrome")

# Defaults so that Textual's built-in themes (nord, gruvbox, …) work with our TCSS too.
VARIABLE_DEFAULTS = {
    "status-healthy": "#4EBF71",
    "status-degraded": "#FFA62B",
    "status-unhealthy": "#E5484D",
    "status-unreachable": "#F76B97",
    "status-unknown": "#8B949E",
    "severity-critical": "#F76B97",
    "severity-high": "#E5484D",
    "severity-medium": "#FFA62B",
    "severity-low": "#58A6FF",
    "spark-color": "#58A6FF",
}

_COLOR_KEYS = (
    "primary",
    "secondary",
    "accent",
    "warning",
    "error",
    "success",
    "foreground",
    "background",
    "surface",
    "panel",
    "boost",
)
_KNOWN_KEYS = {*_COLOR_KEYS, "name", "dark", "luminosity_spread", "text_alpha", "variables"}


class ThemeProblem(msgspec.Struct, frozen=True):
    path: Path
    message: str

    def __str__(self) -> str:
        return f"theme {self.path.name}: {self.message}"


def _color(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{where} must be a colour string")
    try:
        Color.parse(value)
    except ColorParseError:
        raise ValueError(f"{where}: {value!r} is not a colour") from None
    return value


def theme_from_toml(path: Path) -> Theme:
    """A Textual Theme from one file; ValueError with a readable message when it is malformed."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"invalid TOML: {exc}") from None
    unknown = set(data) - _KNOWN_KEYS
    if unknown:
        raise ValueError(f"unknown key {sorted(unknown)[0]!r}")
    name = data.get("name", path.stem)
    if not isinstance(name, str) or not name:
        raise ValueError("name must be a string")
    if "primary" not in data:
        raise ValueError("primary colour is required")
    colors = {key: _color(data[key], key) for key in _COLOR_KEYS if key in data}
    variables_raw = data.get("variables", {})
    if not isinstance(variables_raw, dict):
        raise ValueError("[variables] must be a table")
    variables = {str(k): _color(v, f"variables.{k}") for k, v in variables_raw.items()}
    dark = data.get("dark", True)
    if not isinstance(dark, bool):
        raise ValueError("dark must be true or false")
    return Theme(
        name=name,
        dark=dark,
        variables={**VARIABLE_DEFAULTS, **variables},
        primary=colors["primary"],
        secondary=colors.get("secondary"),
        accent=colors.get("accent"),
        warning=colors.get("warning"),
        error=colors.get("error"),
        success=colors.get("success"),
        foreground=colors.get("foreground"),
        background=colors.get("background"),
        surface=colors.get("surface"),
        panel=colors.get("panel"),
        boost=colors.get("boost"),
    )


def load_themes(extra_dirs: tuple[Path, ...] = ()) -> tuple[list[Theme], list[ThemeProblem]]:
    """The shipped themes, then user themes (later files override by name); problems collected."""
    themes: dict[str, Theme] = {}
    problems: list[ThemeProblem] = []
    for directory in (data_dir("themes"), *extra_dirs):
        if not directory.is_dir():
            continue
        for path in sorted(directory.glob("*.toml")):
            try:
                theme = theme_from_toml(path)
            except ValueError as exc:
                problems.append(ThemeProblem(path, str(exc)))
                continue
            themes[theme.name] = theme
    return list(themes.values()), problems


def user_theme_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_config_dir("umig-tui")) / "themes"


def theme_names() -> list[str]:
    """Every theme ``--theme`` may name: the shipped and the user's files, Textual's own."""
    from textual.theme import BUILTIN_THEMES

    themes, _ = load_themes((user_theme_dir(),))
    return sorted({t.name for t in themes} | set(BUILTIN_THEMES))
