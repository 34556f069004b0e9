"""What `status` loads: no module it never uses (httpx's command line, prometheus_client for
plain text) on the path every one-shot command and the dashboard's first frame pay for."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

LOADED = (
    "import sys; {imports};"
    "print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in {names!r})))"
)
STATUS = "import umig_tui.cli.status, umig_tui.service.monitor"
# The dashboard as `umig-tui` starts it: the parser (every command module), then the app.
DASHBOARD = (
    "from umig_tui.cli.main import build_parser; build_parser();"
    "import umig_tui.cli.dashboard, umig_tui.tui.app"
)


def loaded(*names: str, imports: str = STATUS) -> set[str]:
    code = LOADED.format(names=set(names), imports=imports)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_the_status_path_loads_neither_httpx_command_line_nor_prometheus_client() -> None:
    # httpx itself loads with the first request: here, by hand, as a request would.
    polling = STATUS + "; import httpx"
    assert loaded("click", "pygments", "prometheus_client", imports=polling) == set()
    assert "httpx" in loaded("httpx", imports=polling)


def test_the_dashboard_path_leaves_the_http_stack_to_the_first_request() -> None:
    """httpx, h11 and the lean transport (~40 ms of imports) are not needed for the first
    frame: the dashboard starts polling once it is drawn (tests/tui/test_first_frame.py)."""
    modules = loaded("httpx", "h11", imports=DASHBOARD + "; import umig_tui.service.engine")
    assert modules <= {"httpx._main"}  # only the stand-in for httpx's command line


def test_the_dashboard_path_loads_neither_either() -> None:
    assert loaded("click", "pygments", "prometheus_client", imports=DASHBOARD) == set()


def test_httpx_command_line_still_runs_when_asked_for() -> None:
    code = (
        "import umig_tui.sources.client, httpx, sys; sys.argv = ['httpx', '--help']; httpx.main()"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "Usage" in out.stdout


def test_a_fleet_without_a_prometheus_source_does_not_load_the_prometheus_reader(
    tmp_path: Path,
) -> None:
    config = tmp_path / "fleet.toml"
    config.write_text('[[environments]]\nname = "uat"\nurl = "http://127.0.0.1:9"\n')
    code = (
        "import sys; from umig_tui.cli.main import build_parser; import umig_tui.cli.common as c;"
        f"c.load(build_parser().parse_args(['status', '--config', {str(config)!r}]));"
        "print(sorted(m for m in sys.modules if 'prometheus' in m))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "umig_tui.service.prometheus_source" not in out.stdout
    assert "umig_tui.sources.prometheus_api" not in out.stdout


def test_the_dashboard_path_loads_the_deploy_watch_only_when_one_is_shown() -> None:
    code = (
        f"import sys; {DASHBOARD};"
        "print(sorted(m for m in sys.modules if m.startswith('umig_tui.deploy.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    for module in ("watch_state", "verdict_text", "verdict_record"):
        assert f"umig_tui.deploy.{module}" not in out.stdout
