"""``status`` of a fleet whose requests outnumber the open files the process may hold: every
environment is still read (the cap is lowered to fit ``ulimit -n``), none shows "Too many open
files" as an outage, and what was lowered is said once."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import UMIG_TUI, cli_env, write_config
from umig_tui.demo.server import ServerThread
from umig_tui.demo.simulator import Simulator

resource = pytest.importorskip("resource", reason="no RLIMIT_NOFILE on this platform")

ENVS = 60  # 240 requests at once, against 200 descriptors
LIMIT = 200


def limited(files: int) -> Callable[[], None]:
    def apply() -> None:  # in the child, before exec: the test run keeps its own limit
        resource.setrlimit(resource.RLIMIT_NOFILE, (files, files))

    return apply


def test_status_reads_every_environment_within_a_low_open_file_limit(tmp_path: Path) -> None:
    simulator = Simulator(ENVS, scenario="static", timeout_hint=2.0)
    with ServerThread(simulator, port_per_env=True) as server:
        config = write_config(
            tmp_path / "fleet.toml", server.env_urls(), '[polling]\ntimeout = "5s"\n'
        )
        proc = subprocess.run(
            [
                *UMIG_TUI,
                "status",
                "--config",
                str(config),
                "--json",
                "--store",
                str(tmp_path / "s.db"),
            ],
            capture_output=True,
            text=True,
            env=cli_env(),
            timeout=60,
            check=False,
            preexec_fn=limited(LIMIT),
        )
    assert "Traceback" not in proc.stderr, proc.stderr
    document = json.loads(proc.stdout)
    errors = {e["name"]: e["error"] for e in document["environments"] if e["error"] is not None}
    assert errors == {}
    assert len(document["environments"]) == ENVS
    assert proc.returncode == 0, proc.stderr
    assert "Too many open files" not in proc.stdout + proc.stderr
