"""One-shot commands held up by a slow environment: bounded by --timeout, shown on a terminal.

A real demo-server on loopback where production hangs (accepts, never answers), a config whose
own request timeout is long (20 s), and the CLI as a real process: with ``--timeout 2`` the
command ends in seconds, production reported as timed out; with stderr on a pseudo-terminal a
one-line progress names it while it waits and is erased before the output. Times in the text
output follow one rule, switched by ``--utc`` on either side of the command.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import pty
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import UMIG_TUI, cli_env, write_config
from tests.integration.conftest import by_name, run_cli
from umig_tui.cli.oneshot import poll
from umig_tui.demo.server import ServerThread
from umig_tui.models import Endpoint, ErrorKind, PollResult

SLOW_TIMEOUT = '[polling]\ntimeout = "20s"\n'  # left alone, a hanging env would hold 20 s


@pytest.fixture
def hanging(demo_server: ServerThread, tmp_path: Path) -> Path:
    """development answers, production hangs; the config's own timeout is 20 s."""
    urls = demo_server.env_urls()
    demo_server.control("production", fault="hang")
    return write_config(
        tmp_path / "hanging.toml",
        {"development": urls["development"], "production": urls["production"]},
        SLOW_TIMEOUT,
    )


def run_on_pty(*args: str) -> tuple[int, str, str, float]:
    """``umig-tui ARGS`` with stderr on a pseudo-terminal and stdout a pipe:
    (exit code, stdout, what the terminal received, seconds taken)."""
    master, slave = pty.openpty()
    started = time.monotonic()
    proc = subprocess.Popen(
        [*UMIG_TUI, *args],
        stdout=subprocess.PIPE,
        stderr=slave,
        env=cli_env(TERM="xterm-256color"),
    )
    os.close(slave)
    terminal = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: the last holder of the terminal's other end is gone
            break
        if not chunk:
            break
        terminal += chunk
    os.close(master)
    assert proc.stdout is not None
    out = proc.stdout.read().decode()
    proc.stdout.close()
    code = proc.wait(timeout=30)
    return code, out, terminal.decode(), time.monotonic() - started


def test_timeout_bounds_status_and_reports_the_hanging_environment_as_timed_out(
    hanging: Path,
) -> None:
    started = time.monotonic()
    proc = run_cli("status", "--config", hanging, "--no-store", "--json", "--timeout", "2")
    took = time.monotonic() - started

    assert took < 10, f"took {took:.1f}s: the config's 20 s timeout was not bounded"
    assert proc.returncode == 1, proc.stderr  # an unreachable environment is a problem found
    assert proc.stderr == ""  # not a terminal: no progress line
    envs = by_name(json.loads(proc.stdout))
    assert envs["development"]["status"] == "healthy"
    production = envs["production"]
    assert production["status"] == "unreachable"
    assert production["error"]["kind"] == "timeout"
    assert "2s" in production["error"]["reason"], production["error"]


def test_snapshot_with_timeout_still_hands_over_the_rest_of_the_fleet(hanging: Path) -> None:
    proc = run_cli("snapshot", "--config", hanging, "--no-store", "--timeout", "1.5")
    assert proc.returncode == 0, proc.stderr
    assert "| development | healthy |" in proc.stdout
    row = next(line for line in proc.stdout.splitlines() if line.startswith("| production"))
    assert "| unreachable |" in row
    assert "timeout" in row


def test_a_terminal_sees_who_is_awaited_then_the_line_is_erased(hanging: Path) -> None:
    code, out, terminal, _ = run_on_pty(
        "status", "--config", str(hanging), "--no-store", "--json", "--timeout", "3"
    )
    assert code == 1
    assert "\rwaiting for production (1 s)…\x1b[K" in terminal, repr(terminal)
    assert "\rwaiting for production (2 s)…\x1b[K" in terminal, repr(terminal)
    assert "development" not in terminal  # it answered at once
    assert terminal.endswith("\r\x1b[K"), repr(terminal[-40:])  # erased before the output
    document = json.loads(out)  # stdout is the JSON alone
    assert by_name(document)["production"]["status"] == "unreachable"


def test_a_quick_fleet_shows_nothing_on_the_terminal(fleet_config: Path) -> None:
    code, out, terminal, _ = run_on_pty("status", "--config", str(fleet_config), "--no-store")
    assert code == 0, out
    assert terminal == ""  # answered within the second of grace: no flicker
    assert out.startswith("fleet: 4 environments, worst healthy")


# -- the deadline behind the clients' own timeouts ---------------------------------------------


class Stuck:
    """A monitor whose fetches never end (as a first contact can outlast one request timeout):
    only the deadline can end the poll."""

    def __init__(self) -> None:
        self.clients = {"development": None, "production": None}
        self.signals = (Endpoint.HEALTH,)
        self.applied: list[PollResult] = []

    async def fetch(self, env: str, endpoint: Endpoint) -> PollResult:
        if env == "development":
            return PollResult(env, endpoint, ts=time.time(), latency_ms=3.0)
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    def apply(self, result: PollResult) -> None:
        self.applied.append(result)


async def test_past_the_deadline_what_is_still_out_is_called_timed_out() -> None:
    monitor: Any = Stuck()
    started = time.monotonic()
    results = await poll(monitor, argparse.Namespace(wait=0.5))
    assert time.monotonic() - started < 2
    development, production = results
    assert development.ok
    assert production.error is not None
    assert production.error.kind is ErrorKind.TIMEOUT
    assert production.error.reason == "no answer within --timeout 0.5s"
    assert monitor.applied == [production]  # the fleet state hears of it like any result


# -- one time rule, --utc on either side of the command -----------------------------------------

HISTORY_LINE = (
    '{"id": "deploy-production-1", "type": "deployment_success", '
    '"timestamp": "%s", "environment": "production", "version": "1.2.0", '
    '"status": "completed"}\n'
)


@pytest.mark.skipif(
    not os.path.exists("/usr/share/zoneinfo/Europe/Paris"), reason="no system time-zone data"
)
def test_history_times_are_local_and_labelled_or_utc_when_asked(tmp_path: Path) -> None:
    when = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(time.time() - 3600))
    file = tmp_path / "history.jsonl"
    file.write_text(HISTORY_LINE % when, encoding="utf-8")
    base = ("--demo", "--no-store")
    paris = cli_env(TZ="Europe/Paris")

    def row(*args: str) -> str:
        proc = run_cli("history", "--file", str(file), *base, *args, env=paris)
        assert proc.returncode == 0, proc.stderr
        return next(line for line in proc.stdout.splitlines() if "production" in line)

    local = row()
    assert local.split("  ")[0].endswith((" CET", " CEST")), local
    assert "+00:00" not in local  # the JSONL's own spelling is for machines
    assert row("--utc").startswith(f"{when[:10]} {when[11:16]} UTC")
    before = run_cli("--utc", "history", "--file", str(file), *base, env=paris)
    assert f"{when[:10]} {when[11:16]} UTC" in before.stdout
