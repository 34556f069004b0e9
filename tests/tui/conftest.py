"""Dashboard fixtures: the in-process demo fleet, a temp store, and helpers to drive a Pilot."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import msgspec.structs
import pytest
from rich.segment import Segment
from textual.app import App
from textual.pilot import Pilot
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import DataTable

from tests.conftest import seed_path
from umig_tui.config import Config, Polling
from umig_tui.demo.simulator import Simulator
from umig_tui.models import Endpoint, PollResult
from umig_tui.service.setup import load_fleet
from umig_tui.sources.parse import parse_document
from umig_tui.tui import app as app_module
from umig_tui.tui.app import UmigApp

# Fast enough that a test sees several polls in a second, slow enough to stay cheap.
FAST_POLLING = Polling(
    health=0.2, version=0.2, components=0.2, metrics=0.2, teams=60.0, timeout=1.0
)


class RecordingApp(UmigApp):
    """The dashboard, remembering every notification it showed (they expire on screen)."""

    CSS_PATH = str(Path(app_module.__file__).with_name("app.tcss"))  # not relative to tests/

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.notices: list[tuple[str, str, str]] = []  # (severity, title, message)
        self.animation_level = "none"  # no waiting on tab underlines and scrolls per key

    def notify(self, message: str, *, title: str = "", **kw: Any) -> None:
        self.notices.append((str(kw.get("severity", "information")), title, str(message)))
        super().notify(message, title=title, **kw)


@pytest.fixture
def demo_config() -> Config:
    """The demo fleet (development, uat, production, hotfix) at the stock intervals: one poll
    at start, then nothing due for 30 s (quiet, fast tests)."""
    return load_fleet(demo=True)


@pytest.fixture
def fast_config(demo_config: Config) -> Config:
    """The demo fleet polled every 0.2 s, for tests that watch polling go on."""
    return msgspec.structs.replace(demo_config, polling=FAST_POLLING)


@pytest.fixture
def sim() -> Simulator:
    """Four seed environments without the scripted story: values depend on the clock only."""
    return Simulator(4, scenario="static", timeout_hint=1.0)


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "store" / "samples.db"


AppFactory = Callable[..., RecordingApp]


@pytest.fixture
def make_app(demo_config: Config, sim: Simulator, store_path: Path) -> AppFactory:
    """``make_app(**overrides)``: the dashboard on the demo fleet with a temp store."""

    def make(**overrides: Any) -> RecordingApp:
        options: dict[str, Any] = {
            "environ": {},
            "simulator": sim,
            "store_path": store_path,
        }
        options.update(overrides)
        config = options.pop("config", demo_config)
        return RecordingApp(config, **options)

    return make


async def wait_for(
    pilot: Pilot[Any], predicate: Callable[[], object], what: str = "", within: float = 5.0
) -> None:
    """Let the app run until ``predicate()`` is true; fail with ``what`` after ``within`` s."""
    deadline = time.monotonic() + within
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what or predicate}")
        await pilot.pause(0.05)


async def wait_for_data(pilot: Pilot[Any]) -> None:
    """Until every environment of the table shows a version (first polls applied and drawn)."""
    app = pilot.app
    assert isinstance(app, UmigApp)
    await wait_for(
        pilot,
        lambda: app.data is not None and all(v.version for v in app.data.views),
        what="the first poll of every environment",
    )


def row_texts(table: DataTable[Any]) -> list[list[str]]:
    """The plain text of every cell, row by row."""
    return [
        [str(getattr(cell, "plain", cell)) for cell in table.get_row_at(index)]
        for index in range(table.row_count)
    ]


def screen_strips(app: App[Any]) -> list[Strip]:
    """The current screen, line by line, as the terminal gets it (after NO_COLOR and co.)."""
    strips = []
    for strip in app.screen._compositor.render_strips():
        for line_filter in app._filters:
            strip = strip.apply_filter(line_filter, app.screen.styles.background)
        strips.append(strip)
    return strips


def widget_lines(widget: Widget) -> list[str]:
    """What ``widget`` shows on screen, as plain text lines."""
    region = widget.region
    return [
        strip.crop(region.x, region.right).text
        for strip in screen_strips(widget.app)[region.y : region.bottom]
    ]


async def wait_for_shown(
    pilot: Pilot[Any],
    widget: Widget,
    predicate: Callable[[str], object],
    what: str = "",
    within: float = 5.0,
) -> str:
    """Until ``widget`` *on screen* satisfies ``predicate`` (its lines joined by newlines);
    returns that text. The dashboard coalesces repaints to one a second, so a panel read right
    after a state change may still show the frame before it: wait for the frame, never a sleep."""
    shown = ""

    def painted() -> bool:
        nonlocal shown
        shown = "\n".join(widget_lines(widget))
        return bool(predicate(shown))

    deadline = time.monotonic() + within
    while not painted():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what or predicate} on screen; it shows:\n{shown}")
        await pilot.pause(0.05)
    return shown


def screen_segments(app: App[Any]) -> Iterator[Segment]:
    """Every segment of the current screen, as the terminal gets it."""
    for strip in screen_strips(app):
        yield from strip


def good_result(sim: Simulator, env: str, endpoint: Endpoint, ts: float) -> PollResult:
    """What a poll of ``endpoint`` would return now, built without any I/O (deterministic)."""
    body = sim.respond(env, seed_path(endpoint)).body.decode()
    return PollResult(
        env, endpoint, ts=ts, latency_ms=12.0, value=parse_document(endpoint, body), raw=body
    )


def feed(app: UmigApp, sim: Simulator, ts: float) -> None:
    """Apply one deterministic result per environment and endpoint, then draw."""
    assert app.monitor is not None
    for env in sim.names:
        for endpoint in app.monitor.signals:
            app.monitor.apply(good_result(sim, env, endpoint, ts))
    app.redraw()


async def show_fleet(pilot: Pilot[Any]) -> None:
    """One poll's worth of demo-fleet results, applied at once without I/O, then drawn."""
    app = pilot.app
    assert isinstance(app, UmigApp)
    assert isinstance(app.simulator, Simulator)
    feed(app, app.simulator, app.clock())
    await pilot.pause()


def recording_refreshes(widget: Widget) -> list[bool]:
    """The ``layout`` flag of every refresh of ``widget`` from now on."""
    layouts: list[bool] = []
    refresh = widget.refresh

    def recording(*args: Any, layout: bool = False, **kwargs: Any) -> Any:
        layouts.append(layout)
        return refresh(*args, layout=layout, **kwargs)

    widget.refresh = recording  # type: ignore[method-assign]
    return layouts
