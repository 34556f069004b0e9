"""Issue 13, credentials: a secret is checked when it is resolved and never shown; refused
credentials are not tried again and again (Confluence locks an account with a CAPTCHA after a
few failed logins); a CAPTCHA lock-out says so."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from pathlib import Path

import pytest

from tests.conftest import cli_env
from tests.integration.conftest import FAST_POLLING, by_name, run_cli
from tests.integration.test_fetch_errors import auth_config
from umig_tui.config import load_config
from umig_tui.demo.server import ServerThread
from umig_tui.models import Endpoint, ErrorKind
from umig_tui.service.runtime import open_monitor

SECRET = "SuperSecret"
PASSWORD = "hunter2-password"


@pytest.mark.parametrize(
    ("token", "said"),
    [
        (SECRET + "\r", "ends with a line break"),
        (SECRET + "\n", "ends with a line break"),
        (SECRET + " ", "starts or ends with a space or a tab"),
        (" " + SECRET, "starts or ends with a space or a tab"),
        (SECRET + "\t", "holds a control character"),
        (SECRET + "é", "holds a character that is not ASCII"),
    ],
)
def test_a_token_no_header_can_carry_is_a_config_error_naming_the_variable_only(
    token: str, said: str, demo_server: ServerThread, tmp_path: Path
) -> None:
    config = auth_config(tmp_path / "umig-tui.toml", demo_server.env_urls())
    environ = cli_env(UMIG_TEST_PROD_TOKEN=token, UMIG_TEST_UAT_PASSWORD=PASSWORD)
    store = tmp_path / "store.db"
    for args in (["status"], ["status", "--json"], ["drift"], ["snapshot"]):
        proc = run_cli(*args, "--config", config, "--store", store, env=environ)
        assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
        assert f"$UMIG_TEST_PROD_TOKEN {said}" in proc.stderr
        assert SECRET not in proc.stdout + proc.stderr
    assert demo_server.requests() == []  # nothing was sent with it
    if store.exists():
        dump = "\n".join(sqlite3.connect(store).iterdump())
        assert SECRET not in dump


def test_a_basic_password_may_hold_spaces_but_no_line_break(
    demo_server: ServerThread, tmp_path: Path
) -> None:
    config = auth_config(tmp_path / "umig-tui.toml", demo_server.env_urls())
    spaced = cli_env(UMIG_TEST_PROD_TOKEN=SECRET, UMIG_TEST_UAT_PASSWORD=" pass word ")
    assert run_cli("status", "--config", config, "--no-store", env=spaced).returncode == 0
    broken = cli_env(UMIG_TEST_PROD_TOKEN=SECRET, UMIG_TEST_UAT_PASSWORD=PASSWORD + "\n")
    proc = run_cli("status", "--config", config, "--no-store", env=broken)
    assert proc.returncode == 2
    assert "$UMIG_TEST_UAT_PASSWORD ends with a line break" in proc.stderr
    assert PASSWORD not in proc.stderr


def logins(server: ServerThread, env: str) -> int:
    """Requests that carried credentials to ``env``."""
    return sum(1 for r in server.requests() if r.env == env and r.header("authorization"))


def test_one_shot_status_sends_one_failed_login_not_four(
    demo_server: ServerThread, tmp_path: Path
) -> None:
    config = auth_config(tmp_path / "umig-tui.toml", demo_server.env_urls())
    environ = cli_env(UMIG_TEST_PROD_TOKEN=SECRET, UMIG_TEST_UAT_PASSWORD=PASSWORD)
    store = tmp_path / "store.db"
    # The profile is known (an earlier run): the four signals would go out at once.
    assert run_cli("status", "--config", config, "--store", store, env=environ).returncode == 0
    demo_server.control("production", fault="http401")
    before = logins(demo_server, "production")
    proc = run_cli("status", "--config", config, "--store", store, "--json", env=environ)
    assert proc.returncode == 1
    assert logins(demo_server, "production") - before == 1
    production = by_name(json.loads(proc.stdout))["production"]
    assert production["reason"].startswith("auth_required: credentials rejected — not retrying")
    assert SECRET not in proc.stdout


async def test_a_running_monitor_stops_trying_refused_credentials_until_asked(
    demo_server: ServerThread, tmp_path: Path
) -> None:
    config = load_config(
        str(auth_config(tmp_path / "umig-tui.toml", demo_server.env_urls())),
        environ={},
    )
    environ = {"UMIG_TEST_PROD_TOKEN": SECRET, "UMIG_TEST_UAT_PASSWORD": PASSWORD}
    assert "0.5s" in FAST_POLLING or "2s" in FAST_POLLING  # the intervals below are short
    monitor = await open_monitor(config, environ=environ, use_store=False)
    loops = [asyncio.create_task(monitor.poll_loop(env)) for env in monitor.fleet.names]
    try:
        await wait_until(lambda: monitor.fleet.view("production").version is not None)
        demo_server.control("production", fault="http401")
        monitor.refresh("production")
        await wait_until(lambda: "credentials rejected" in monitor.fleet.view("production").reason)
        refused_at = logins(demo_server, "production")
        await asyncio.sleep(2.5)  # more than one interval of every signal: nothing is sent
        assert logins(demo_server, "production") == refused_at
        view = monitor.fleet.view("production")
        assert view.error is not None
        assert view.error.kind is ErrorKind.AUTH_REQUIRED
        assert "not retrying until r" in view.error.reason
        assert monitor.fleet.view("uat").status.value == "healthy"  # the others go on

        demo_server.control("production", fault=None)  # fixed, and someone presses r
        monitor.refresh("production")
        await wait_until(lambda: monitor.fleet.latest("production", Endpoint.HEALTH).ok)
    finally:
        for task in loops:
            task.cancel()
        await asyncio.gather(*loops, return_exceptions=True)
        await monitor.aclose()


def test_a_captcha_lock_out_says_so(demo_server: ServerThread, tmp_path: Path) -> None:
    config = auth_config(tmp_path / "umig-tui.toml", demo_server.env_urls())
    environ = cli_env(UMIG_TEST_PROD_TOKEN=SECRET, UMIG_TEST_UAT_PASSWORD=PASSWORD)
    demo_server.control("production", fault="captcha")
    proc = run_cli("status", "--config", config, "--no-store", "--json", env=environ)
    assert proc.returncode == 1
    reason = by_name(json.loads(proc.stdout))["production"]["reason"]
    assert "CAPTCHA" in reason
    assert "log in once in a browser" in reason
    assert "confluence-administrators" not in reason


async def wait_until(condition: object, within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {condition}")
        await asyncio.sleep(0.05)
