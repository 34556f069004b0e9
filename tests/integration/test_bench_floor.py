"""bench/bare_client.py, the floor under `status`, sends the requests `status` sends."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from umig_tui.cli.main import main
from umig_tui.demo.server import ServerThread

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import bare_client  # noqa: E402 - bench/ is not a package: found via sys.path above
from bench_status import write_bare_requests  # noqa: E402


def test_the_bare_client_sends_what_status_sends(
    demo_server: ServerThread,
    fleet_config: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    store = tmp_path / "samples.db"
    command = ["status", "--config", str(fleet_config), "--store", str(store)]
    assert main(command) == 0  # the first run finds the profile and keeps it
    before = len(demo_server.requests())
    assert main(command) == 0  # as the bench times it: the profile remembered
    ports = {name: urlsplit(url).port for name, url in demo_server.env_urls().items()}
    sent = sorted(
        f"127.0.0.1 {ports[seen.env]} {seen.target}" for seen in demo_server.requests()[before:]
    )

    listed = tmp_path / "requests.txt"
    assert write_bare_requests(fleet_config, "us088", listed) == len(sent) == 16
    assert sorted(listed.read_text(encoding="utf-8").splitlines()) == sent

    capsys.readouterr()
    wanted = [line.split() for line in listed.read_text(encoding="utf-8").splitlines()]
    assert asyncio.run(bare_client.main(wanted)) == 0
    count, size = capsys.readouterr().out.split()
    assert int(count) == 16
    assert int(size) > 16 * 100  # whole responses read, not just their heads
    assert len(demo_server.requests()) == before + 32


def test_the_bare_client_fails_on_an_error_answer(
    demo_server: ServerThread, fleet_config: Path, tmp_path: Path
) -> None:
    """A floor measured against errors would be too low: a failed request fails the run."""
    listed = tmp_path / "requests.txt"
    write_bare_requests(fleet_config, "us088", listed)
    demo_server.control("uat", fault="http500")
    wanted = [line.split() for line in listed.read_text(encoding="utf-8").splitlines()]
    with pytest.raises(RuntimeError, match="500"):
        asyncio.run(bare_client.main(wanted))
