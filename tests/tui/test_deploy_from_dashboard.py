"""Issue 4, done when: a deploy watched from the dashboard (`d`) and from the CLI at the same
time, against the demo-server over loopback; two watches at once in the dashboard, each with its
live stage in the deployments panel."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input

from tests.conftest import ServerThread, cli_env
from tests.tui.conftest import AppFactory, wait_for, wait_for_data, wait_for_shown
from umig_tui.config import load_config
from umig_tui.deploy.watch_state import Stage
from umig_tui.tui.app import UmigApp
from umig_tui.tui.screens.deploy_dialog import DeployDialog
from umig_tui.tui.widgets.deployments import DeploymentsPanel
from umig_tui.tui.widgets.environments import EnvTable


async def watch_from_dashboard(
    app: UmigApp, pilot: Pilot[Any], env: str, version: str, times: str = "30s 1s"
) -> None:
    """Select ``env``, press d, give the version and ``times`` (timeout, monitoring), Enter."""
    table = app.query_one(EnvTable)
    table.focus()
    assert app.data is not None
    table.move_cursor(row=[v.name for v in app.data.views].index(env))
    await pilot.pause()
    await pilot.press("d")
    dialog = app.screen
    assert isinstance(dialog, DeployDialog)
    dialog.query_one("#deploy-version", Input).value = version
    dialog.query_one("#deploy-times", Input).value = times
    dialog.query_one("#deploy-version", Input).focus()
    await pilot.press("enter")
    await wait_for(pilot, lambda: env in app.watches.states, f"the watch of {env} to start")


async def test_a_deploy_watched_from_the_dashboard_and_the_cli_at_once(
    make_app: AppFactory, demo_server: ServerThread, fleet_config: Path, tmp_path: Path
) -> None:
    config = load_config(str(fleet_config), environ={})
    app = make_app(config=config, simulator=None)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)
        await watch_from_dashboard(app, pilot, "production", "1.2.0")
        await watch_from_dashboard(app, pilot, "uat", "1.2.0")
        cli = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "umig_tui", "deploy", "watch", "--config", str(fleet_config),
            "--env", "production", "--expect", "1.2.0", "--interval", "0.3s", "--monitor", "1s",
            "--timeout", "30s", "--json", "--store", str(tmp_path / "cli.db"),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=cli_env(),
        )  # fmt: skip
        # Both watch; nothing has landed yet.
        await wait_for(
            pilot,
            lambda: all(s.stage is Stage.WAITING for s in app.watches.states.values()),
            "both dashboard watches waiting",
        )
        panel = app.query_one(DeploymentsPanel)
        await wait_for_shown(pilot, panel, lambda shown: "waiting" in shown, "a waiting watch")

        demo_server.control("production", version="1.2.0")
        demo_server.control("uat", version="1.2.0")
        await wait_for(
            pilot,
            lambda: all(s.stage.terminal for s in app.watches.states.values()),
            "both dashboard watches to end",
            within=25,
        )
        out, err = await asyncio.wait_for(cli.communicate(), 30)
        # A one-second window is far too short to judge (20 samples a side by default): every
        # watch ends inconclusive — exit 4 for the CLI, a warning on the dashboard, no pass.
        assert cli.returncode == 4, out.decode() + err.decode()
        assert {env: s.stage for env, s in app.watches.states.items()} == {
            "production": Stage.INCONCLUSIVE,
            "uat": Stage.INCONCLUSIVE,
        }
        lines = out.decode().splitlines()
        assert '"inconclusive"' in lines[-1], lines
        await wait_for_shown(
            pilot,
            panel,
            lambda shown: shown.count("inconclusive") >= 2,
            "both watches inconclusive",
        )
        assert any(title == "Deploy inconclusive" for _, title, _ in app.notices)
        assert not any(title == "Deploy succeeded" for _, title, _ in app.notices)
