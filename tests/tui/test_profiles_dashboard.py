"""The dashboard against a demo-server of every dialect over loopback: the seeds' endpoints at
both spellings (``admin/health``, ``adminHealth``) and the shipped UMIG API (``umig-admin-v2``),
with nothing but name, url and tier configured.

Every version and health shows; an unhealthy database (the shipped application) or environment
(the seeds) turns its row unhealthy; the detail screen names the profile and where health comes
from, and says what the environment does not offer; with every environment refusing
connections, the drift panel never claims the fleet agrees.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from tests.conftest import write_config
from tests.tui.conftest import (
    AppFactory,
    row_texts,
    wait_for,
    wait_for_data,
    wait_for_shown,
    widget_lines,
)
from umig_tui.config import Config, load_config
from umig_tui.demo.server import ServerThread
from umig_tui.demo.simulator import Simulator
from umig_tui.tui.app import UmigApp
from umig_tui.tui.screens.detail import EnvDetailScreen
from umig_tui.tui.widgets.drift import DriftPanel
from umig_tui.tui.widgets.environments import EnvTable
from umig_tui.tui.widgets.table import SyncTable

# demo-server dialect → the profile label auto-detection must report.
DIALECTS = {
    "us088": "us088 (admin/health)",
    "us088-scriptrunner": "us088 (adminHealth)",
    "umig-admin-v2": "umig-admin-v2",
}
SHIPPED = "umig-admin-v2"
ENVS = ("development", "uat", "production", "hotfix")
SIZES = [(120, 40), (80, 24)]
AGREES = "every environment agrees"

# Fast enough that a state change shows within a couple of seconds. The request timeout may
# not be longer than the health and metrics intervals, so those two are 1 s.
POLLING = (
    "[polling]\n"
    'timeout = "1s"\nhealth = "1s"\nmetrics = "1s"\n'
    'version = "1s"\ncomponents = "1s"\nteams = "1s"\n'
)


def shown_version(dialect: str, version: str) -> str:
    """The shipped application prefixes its version with the product name, shown raw."""
    return f"UMIG-v{version}" if dialect == SHIPPED else version


@pytest.fixture(params=list(DIALECTS))
def dialect(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def fleet_sim(dialect: str) -> Simulator:
    return Simulator(4, scenario="static", timeout_hint=1.0, dialect=dialect)


@pytest.fixture
def server(fleet_sim: Simulator) -> Iterator[ServerThread]:
    with ServerThread(fleet_sim, port_per_env=True) as thread:
        yield thread


def config_for(server: ServerThread, tmp_path: Path) -> Config:
    """Nothing but name, url and tier per environment (and fast polling)."""
    path = write_config(tmp_path / "umig-tui.toml", server.env_urls(), POLLING)
    return load_config(str(path), environ={})


def table_rows(app: UmigApp) -> dict[str, dict[str, str]]:
    """The environments table: environment → column title → the cell's text."""
    table = app.query_one(EnvTable)
    titles = [str(getattr(c.label, "plain", c.label)) for c in table.ordered_columns]
    return {row[0]: dict(zip(titles, row, strict=True)) for row in row_texts(table)}


def overview_lines(screen: EnvDetailScreen) -> dict[str, str]:
    """The detail screen's overview: label → value (labels are padded to 16 columns)."""
    content = screen.query_one("#overview", Static).content
    text = str(getattr(content, "plain", content))
    return {line[:16].strip(): line[16:].strip() for line in text.splitlines() if len(line) > 16}


async def open_detail(app: UmigApp, pilot: Pilot[Any], env: str) -> EnvDetailScreen:
    """Enter on ``env``'s row."""
    table = app.query_one(EnvTable)
    table.focus()
    table.move_cursor(row=list(table_rows(app)).index(env))
    await pilot.press("enter")
    screen = app.screen
    assert isinstance(screen, EnvDetailScreen)
    assert screen.env == env
    return screen


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
async def test_every_version_and_health_then_an_unhealthy_database_and_the_detail(
    make_app: AppFactory,
    dialect: str,
    fleet_sim: Simulator,
    server: ServerThread,
    tmp_path: Path,
    size: tuple[int, int],
) -> None:
    app = make_app(config=config_for(server, tmp_path), simulator=None)
    async with app.run_test(size=size) as pilot:
        await wait_for_data(pilot)
        versions = {
            env: shown_version(dialect, fleet_sim.envs[env].release.version) for env in ENVS
        }
        assert versions["production"] == shown_version(dialect, "1.1.2")
        assert versions["uat"] == shown_version(dialect, "1.2.0-rc.2")
        await wait_for(
            pilot,
            lambda: {env: row["Version"] for env, row in table_rows(app).items()} == versions,
            f"every version in the table: {versions}",
        )
        await wait_for(
            pilot,
            lambda: all(row["Status"] == "● healthy" for row in table_rows(app).values()),
            "every environment healthy",
            within=10,
        )

        if dialect == SHIPPED:
            server.control("production", db_status="down")
        else:
            server.control("production", status="unhealthy")
        await wait_for(
            pilot,
            lambda: table_rows(app)["production"]["Status"] == "✖ unhealthy",
            "production unhealthy in the table",
            within=10,
        )
        # The others stay healthy: waited for, not sampled. On a loaded machine one slow timed
        # request (the shipped API's response time is timed requests) makes an environment
        # degraded until its next poll.
        await wait_for(
            pilot,
            lambda: (
                [env for env, row in table_rows(app).items() if row["Status"] == "● healthy"]
                == ["development", "uat", "hotfix"]
            ),
            "development, uat and hotfix healthy beside the unhealthy production",
            within=10,
        )
        rows = table_rows(app)
        assert rows["production"]["Version"] == versions["production"]  # still shown

        screen = await open_detail(app, pilot, "production")
        await wait_for(
            pilot,
            lambda: overview_lines(screen).get("Status") == "unhealthy",
            "the detail screen showing production unhealthy",
        )
        lines = overview_lines(screen)
        assert lines["Profile"] == DIALECTS[dialect], lines
        assert lines["Health from"] not in ("", "-"), lines
        assert lines["Version"] == versions["production"]
        if dialect == SHIPPED:
            assert lines["Health from"].startswith("databaseVersionsHealth"), lines
            assert "databaseVersionsHealth" in lines["Reason"], lines
            # The shipped application has no component status endpoint: said, not invented.
            assert lines["components"] == "not available from this environment", lines
            components = row_texts(screen.query_one("#components-table", SyncTable))
            assert not [row for row in components if row[0] == "orchestrator"], components
        else:
            spelling = {"us088": "admin/health", "us088-scriptrunner": "adminHealth"}
            assert lines["Health from"] == spelling[dialect], lines
            components = row_texts(screen.query_one("#components-table", SyncTable))
            orchestrator = [row for row in components if row[0] == "orchestrator"]
            assert [row[2] for row in orchestrator] == ["active"], components


@pytest.mark.parametrize("dialect", ["us088-scriptrunner"])
async def test_health_from_names_the_scriptrunner_spelling(
    make_app: AppFactory, server: ServerThread, tmp_path: Path
) -> None:
    app = make_app(config=config_for(server, tmp_path), simulator=None)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)
        screen = await open_detail(app, pilot, "production")
        await wait_for(
            pilot, lambda: overview_lines(screen).get("Profile") == DIALECTS["us088-scriptrunner"]
        )
        assert overview_lines(screen)["Health from"] == "adminHealth"


@pytest.mark.parametrize("dialect", [SHIPPED])
async def test_the_components_tab_says_the_shipped_application_offers_none(
    make_app: AppFactory, server: ServerThread, tmp_path: Path
) -> None:
    app = make_app(config=config_for(server, tmp_path), simulator=None)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)
        screen = await open_detail(app, pilot, "production")
        components = row_texts(screen.query_one("#components-table", SyncTable))
        text = " ".join(" ".join(row) for row in components)
        assert "not available from this environment" in text, components


async def test_drift_with_every_environment_refused_never_says_the_fleet_agrees(
    make_app: AppFactory, server: ServerThread, tmp_path: Path
) -> None:
    for env in ENVS:
        server.control(env, fault="refused")
    app = make_app(config=config_for(server, tmp_path), simulator=None)
    async with app.run_test(size=(80, 24)) as pilot:
        panel = app.query_one(DriftPanel)
        findings = app.query_one("#drift-findings", SyncTable)
        frames: list[str] = []

        def unreadable() -> dict[str, str]:
            rows = row_texts(findings)
            assert not [row for row in rows if AGREES in row[-1]], rows
            return {row[1]: row[-1] for row in rows if row[0] == "?" and row[1]}

        def shown(text: str) -> bool:
            frames.append(text)
            refused = unreadable()
            return (
                "cannot compare" in text
                and set(refused) == set(ENVS)
                and all(why.startswith("connect_error") for why in refused.values())
            )

        await wait_for_shown(
            pilot, panel, shown, "cannot compare, every environment unreadable", within=10
        )
        assert not [frame for frame in frames if AGREES in frame]
        rows = table_rows(app)
        assert all(row["Status"] == "⊘ unreachable" for row in rows.values()), rows


@pytest.mark.parametrize("dialect", [SHIPPED])
async def test_drift_after_every_environment_went_down_does_not_say_the_fleet_agrees(
    make_app: AppFactory, server: ServerThread, tmp_path: Path
) -> None:
    for env in ENVS:  # one version everywhere: nothing to report while all can be read
        server.control(env, version="1.2.0", database="031")
    app = make_app(config=config_for(server, tmp_path), simulator=None)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)
        panel = app.query_one(DriftPanel)
        await wait_for_shown(pilot, panel, lambda text: AGREES in text, "the fleet agreeing")
        for env in ENVS:
            server.control(env, fault="refused")
        await wait_for(
            pilot,
            lambda: all(row["Status"] == "⊘ unreachable" for row in table_rows(app).values()),
            "every environment unreachable",
            within=10,
        )
        await wait_for_shown(
            pilot, panel, lambda text: AGREES not in text, "the claim withdrawn", within=3
        )
        assert AGREES not in "\n".join(widget_lines(panel))
