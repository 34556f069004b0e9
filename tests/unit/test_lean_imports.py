"""What `status` loads: no module it never uses (httpx's command line, prometheus_client for
plain text) on the path every one-shot command and the dashboard's first frame pay for."""

from __future__ import annotations

import subprocess
import sys

LOADED = (
    "import sys, umig_tui.cli.status, umig_tui.service.monitor;"
    "print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in {names!r})))"
)


def loaded(*names: str) -> set[str]:
    code = LOADED.format(names=set(names))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_the_status_path_loads_neither_httpx_command_line_nor_prometheus_client() -> None:
    assert loaded("click", "pygments", "prometheus_client") == set()
    assert "httpx" in loaded("httpx")  # the path does load httpx itself


def test_httpx_command_line_still_runs_when_asked_for() -> None:
    code = (
        "import umig_tui.sources.client, httpx, sys; sys.argv = ['httpx', '--help']; httpx.main()"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "Usage" in out.stdout
