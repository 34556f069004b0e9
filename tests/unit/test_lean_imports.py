"""What `status` loads: no module it never uses (httpx's command line, prometheus_client for
plain text) on the path every one-shot command and the dashboard's first frame pay for."""

from __future__ import annotations

import http.server
import json
import subprocess
import sys
import threading
from pathlib import Path

LOADED = (
    "import sys; {imports};"
    "print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in {names!r})))"
)
STATUS = "import umig_tui.cli.status, umig_tui.service.monitor"
# The dashboard as `umig-tui` starts it: the command line parsed, then the app.
DASHBOARD = (
    "from umig_tui.cli.main import parse_command_line; parse_command_line([]);"
    "import umig_tui.cli.dashboard, umig_tui.tui.app"
)


def loaded(*names: str, imports: str = STATUS) -> set[str]:
    code = LOADED.format(names=set(names), imports=imports)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_the_status_path_loads_neither_httpx_command_line_nor_prometheus_client() -> None:
    # httpx._main: the stand-in for httpx's command line (sources/__init__.py), not httpx.
    assert loaded("click", "pygments", "prometheus_client", "httpx") <= {"httpx._main"}


class _Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b'{"umig": {"version": "1.2.0", "status": "healthy"}, "status": "healthy"}'
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_a_status_run_sends_through_the_lean_transport_without_loading_httpx(
    tmp_path: Path,
) -> None:
    """httpx (~30 ms of imports) is for a proxy or the in-process demo, h11 (~10 ms) for the
    demo server: a status run's requests go out, and come back, without either."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    config = tmp_path / "fleet.toml"
    config.write_text(
        f'[[environments]]\nname = "uat"\nurl = "http://127.0.0.1:{server.server_port}"\n'
    )
    code = (
        "import sys; from umig_tui.cli.main import main;"
        f"main(['status', '--config', {str(config)!r}, '--no-store', '--json']);"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in {'httpx', 'h11', 'httptools'}), file=sys.stderr)"
    )
    try:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    finally:
        server.shutdown()
        server.server_close()
    assert json.loads(out.stdout)["environments"][0]["version"] == "1.2.0", out.stderr
    loaded_modules = out.stderr.strip().splitlines()[-1]
    assert "'httptools'" in loaded_modules  # the answers were read
    assert "'h11'" not in loaded_modules  # heads are written by sources/request_head.py
    assert "'httpx'" not in loaded_modules


def test_the_dashboard_path_leaves_the_http_stack_to_the_first_request() -> None:
    """httpx, h11, httptools and the lean transport (~40 ms of imports) are not needed for the
    first frame: the dashboard starts polling once it is drawn (tests/tui/test_first_frame.py)."""
    modules = loaded(
        "httpx", "h11", "httptools", imports=DASHBOARD + "; import umig_tui.service.engine"
    )
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


def test_a_configured_fleet_loads_neither_the_prometheus_reader_nor_the_demo_fleet(
    tmp_path: Path,
) -> None:
    config = tmp_path / "fleet.toml"
    config.write_text('[[environments]]\nname = "uat"\nurl = "http://127.0.0.1:9"\n')
    code = (
        "import sys; from umig_tui.cli.main import parse_command_line; import umig_tui.cli.common as c;"
        f"c.load(parse_command_line(['status', '--config', {str(config)!r}]));"
        "print(sorted(m for m in sys.modules if m.startswith('umig_tui.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "umig_tui.service.prometheus_source" not in out.stdout
    assert "umig_tui.sources.prometheus_api" not in out.stdout
    assert "umig_tui.demo.fleet" not in out.stdout


def test_the_dashboard_path_loads_the_deploy_watch_only_when_one_is_shown() -> None:
    code = (
        f"import sys; {DASHBOARD};"
        "print(sorted(m for m in sys.modules if m.startswith('umig_tui.deploy.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    for module in ("watch_state", "verdict_text", "verdict_record"):
        assert f"umig_tui.deploy.{module}" not in out.stdout


def test_the_start_builds_its_value_types_without_compiling_dataclass_methods() -> None:
    """A frozen, slotted dataclass compiles ~6 generated methods as its module loads (~0.9 ms
    each class on the bench machine; ~50 ms of the first frame for our ~120): the value types
    are msgspec Structs, built in C. JqField stays a dataclass: its compiled program is left out
    of equality, which a Struct cannot do for one field."""
    code = (
        f"import sys, dataclasses; {STATUS}; {DASHBOARD}; import umig_tui.service.engine;"
        "print(' '.join(sorted(f'{m}.{n}' for m, mod in list(sys.modules.items())"
        " if m.startswith('umig_tui') for n, v in vars(mod).items()"
        " if isinstance(v, type) and v.__module__ == m and dataclasses.is_dataclass(v))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["umig_tui.config.model.JqField"]
