"""Command palette (ctrl+p): a command for every environment and every action."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Protocol, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

from umig_tui.config import Config
from umig_tui.tui.panels import PANELS

PaletteCommand = tuple[str, Callable[[], object], str]


class Commandable(Protocol):
    """What the palette can do to the dashboard."""

    config: Config

    def open_detail(self, env: str) -> None: ...
    def refresh_env(self, env: str | None) -> None: ...
    def action_deploy(self) -> None: ...
    def action_history(self) -> None: ...
    def action_pause(self) -> None: ...
    def action_cycle_theme(self) -> None: ...
    def action_filter(self) -> None: ...
    def action_help(self) -> None: ...
    def action_focus_panel(self, number: int) -> None: ...


def palette_commands(app: Commandable) -> list[PaletteCommand]:
    """Per environment: open and refresh; then every action; then every panel."""
    commands: list[PaletteCommand] = []
    for env in app.config.environments:
        commands.append(
            (f"Open {env.name}", partial(app.open_detail, env.name), f"details of {env.name}")
        )
        commands.append((f"Refresh {env.name}", partial(app.refresh_env, env.name), "poll it now"))
    commands += [
        ("Watch a deploy of the selected environment", app.action_deploy, "d"),
        ("Deployment history and timeline", app.action_history, "h"),
        ("Refresh all environments", partial(app.refresh_env, None), "poll every environment now"),
        ("Pause or resume polling", app.action_pause, "p"),
        ("Next theme", app.action_cycle_theme, "t"),
        ("Filter environments", app.action_filter, "/"),
        ("Show keys", app.action_help, "?"),
    ]
    commands += [
        (
            f"Go to panel {p.number}: {p.title}",
            partial(app.action_focus_panel, p.number),
            str(p.number),
        )
        for p in PANELS
    ]
    return commands


class FleetCommands(Provider):
    def _commands(self) -> list[PaletteCommand]:
        return palette_commands(cast(Commandable, self.app))

    async def discover(self) -> Hits:
        for label, callback, help_text in self._commands():
            yield DiscoveryHit(label, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for label, callback, help_text in self._commands():
            score = matcher.match(label)
            if score > 0:
                yield Hit(score, matcher.highlight(label), callback, help=help_text)
