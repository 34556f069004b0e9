"""Shared fixtures: a real demo-server on loopback, configs pointing at it, a private state dir."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from umig_tui.demo.server import ServerThread
from umig_tui.demo.simulator import Simulator
from umig_tui.models import Endpoint
from umig_tui.sources.profiles.us088 import US088_SLASH

REPO = Path(__file__).resolve().parents[1]
UMIG_TUI = [sys.executable, "-m", "umig_tui"]


@pytest.fixture(autouse=True)
def private_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own state/config dirs, never the user's, and no stray env config."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    for var in (
        "UMIG_TUI_CONFIG",
        "UMIG_DEV_URL",
        "UMIG_UAT_URL",
        "UMIG_PROD_URL",
        "UMIG_BASE_URL",
        "NO_COLOR",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


PREFIX = "/rest/scriptrunner/latest/custom/"


def seed_path(endpoint: Endpoint) -> str:
    """Where the seed scripts ask for ``endpoint`` (``/rest/…/custom/admin/health``)."""
    return PREFIX + US088_SLASH.requests(endpoint)[0].path


def tier_of(name: str) -> str:
    for tier in ("development", "uat", "production", "hotfix"):
        if name == tier or name.startswith(
            {"development": "dev", "production": "prod"}.get(tier, tier)
        ):
            return tier
    return "development"


def write_config(path: Path, urls: dict[str, str], extra: str = "") -> Path:
    """A config file for ``urls`` (name → base URL), with ``extra`` TOML appended."""
    lines = []
    for name, url in urls.items():
        lines += [
            "[[environments]]",
            f'name = "{name}"',
            f'url = "{url}"',
            f'tier = "{tier_of(name)}"',
            "",
        ]
    path.write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")
    return path


@pytest.fixture
def simulator() -> Simulator:
    """Four seed environments, no scripted story (values depend on the clock only)."""
    return Simulator(4, scenario="static", timeout_hint=1.0)


@pytest.fixture
def demo_server(simulator: Simulator) -> Iterator[ServerThread]:
    """The simulator over real HTTP, one port per environment, on 127.0.0.1."""
    with ServerThread(simulator, port_per_env=True) as server:
        yield server


@pytest.fixture
def fleet_config(demo_server: ServerThread, tmp_path: Path) -> Path:
    """A config file for the demo server, with a 1 s timeout so faults resolve fast."""
    return write_config(
        tmp_path / "umig-tui.toml",
        demo_server.env_urls(),
        '[polling]\ntimeout = "1s"\nhealth = "2s"\nmetrics = "2s"\ncomponents = "2s"\nversion = "2s"\n',
    )


def cli_env(**extra: str) -> dict[str, str]:
    """Environment for running the CLI as a subprocess (inherits the private dirs)."""
    env = dict(os.environ)
    env.update(extra)
    env.pop("UMIG_TUI_DEBUG", None)
    return env
