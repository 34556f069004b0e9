"""Secrets given through environment variables go to their own environment and nowhere else.

Six environments on their own ports, each with its own credential: two answer, the others fail
in every way a fetch can (401, refused, a hang, TLS against a plain port). The credentials must
not reach the store (the file and its WAL), the logs (DEBUG, with tracebacks), any command's
output (status, JSON, Prometheus, report, snapshot), an error reason, an internal-error message or
a repr; and each environment's server sees only that environment's credential.
(test_fetch_errors pins the redirect to another host; test_cli_status the four-environment case.)
"""

from __future__ import annotations

import asyncio
import base64
import logging
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from msgspec.structs import replace

from tests.conftest import UMIG_TUI, cli_env
from tests.integration.conftest import FAST_POLLING
from umig_tui.config import load_config
from umig_tui.demo.server import ServerThread
from umig_tui.demo.simulator import Simulator
from umig_tui.models import Endpoint, ErrorKind, PollResult
from umig_tui.service.monitor import Monitor
from umig_tui.service.runtime import open_monitor
from umig_tui.sources.profiles import us088 as umig_source  # the seed profile parses

USER = "svc-monitor"
# env → (auth TOML, variable, secret); each value is distinctive so that a grep cannot miss it.
AUTH: dict[str, tuple[str, str, str]] = {
    "production": ("bearer", "UMIG_T_PROD_TOKEN", "tok-3f9c1e7d-SECRET"),
    "uat": ("basic", "UMIG_T_UAT_PASSWORD", "pw-a81b77c2-SECRET"),
    "development": ("bearer", "UMIG_T_DEV_TOKEN", "tok-5d0e9b44-SECRET"),
    "hotfix": ("basic", "UMIG_T_HOTFIX_PASSWORD", "pw-c3e2f190-SECRET"),
    "dev-05": ("bearer", "UMIG_T_DEV5_TOKEN", "tok-77aa01fe-SECRET"),
    "uat-06": ("bearer", "UMIG_T_UAT6_TOKEN", "tok-0b9d3c58-SECRET"),
}
FAULT = {"development": "http401", "hotfix": "refused", "dev-05": "hang"}
TLS_ENV = "uat-06"  # https:// to a plain HTTP port: the handshake fails
ENVIRON = {var: secret for _, var, secret in AUTH.values()}


def header_for(env: str) -> str:
    kind, _, secret = AUTH[env]
    if kind == "bearer":
        return f"Bearer {secret}"
    return "Basic " + base64.b64encode(f"{USER}:{secret}".encode()).decode()


# Every form a credential could leak in: the value, its distinctive core (a truncated or
# partly masked copy), and the encoded Basic header.
NEEDLES = sorted(
    {s for env, (_, _, secret) in AUTH.items() for s in (secret, secret.split("-")[1])}
    | {header_for(env).split()[1] for env in AUTH}
)


def leaks(text: str | bytes) -> list[str]:
    """The needles found in ``text``."""
    if isinstance(text, bytes):
        return [n for n in NEEDLES if n.encode() in text]
    return [n for n in NEEDLES if n in text]


def auth_toml(env: str) -> str:
    kind, var, _ = AUTH[env]
    if kind == "bearer":
        return f'auth = {{ type = "bearer", token_env = "{var}" }}'
    return f'auth = {{ type = "basic", user = "{USER}", password_env = "{var}" }}'


@pytest.fixture
def server() -> Iterator[ServerThread]:
    simulator = Simulator(6, scenario="static", timeout_hint=1.0)
    for env, fault in FAULT.items():
        simulator.set_fault(env, fault)
    with ServerThread(simulator, port_per_env=True) as thread:
        yield thread


@pytest.fixture
def config_path(server: ServerThread, tmp_path: Path) -> Path:
    lines: list[str] = []
    for name, url in server.env_urls().items():
        if name == TLS_ENV:
            url = url.replace("http://", "https://")
        tier = server.simulator.envs[name].tier
        lines += ["[[environments]]", f'name = "{name}"', f'url = "{url}"', f'tier = "{tier}"']
        lines += [auth_toml(name), ""]
    path = tmp_path / "secrets.toml"
    path.write_text("\n".join(lines) + "\n" + FAST_POLLING, encoding="utf-8")
    return path


def store_files(db: Path) -> list[Path]:
    return sorted(db.parent.glob(db.name + "*"))


def assert_store_clean(db: Path) -> None:
    files = store_files(db)
    assert db in files
    for file in files:
        assert not leaks(file.read_bytes()), file


def assert_sent_only_to_their_own_host(server: ServerThread) -> None:
    seen = [r for r in server.requests() if r.env is not None]
    # The refused port takes no request; the TLS handshake fails before any HTTP is sent.
    assert {r.env for r in seen} == set(AUTH) - {"hotfix", TLS_ENV}
    for request in seen:
        assert request.env is not None
        # Its own credential, exactly, and no one else's anywhere in the request.
        assert request.header("authorization") == header_for(request.env), request
        others = " ".join(f"{k}: {v}" for k, v in request.headers if k != "authorization")
        assert not leaks(f"{request.target} {others}"), request


# --- the library: a live run with DEBUG logs, errors of every kind, and tracebacks ---------


async def poll_for_a_while(monitor: Monitor, seconds: float) -> list[PollResult]:
    seen: list[PollResult] = []
    monitor.subscribe(lambda change: seen.append(change.result) if change.result else None)
    assert monitor.store is not None
    monitor.store.start()
    loops = [asyncio.create_task(monitor.poll_loop(name)) for name in monitor.clients]
    await asyncio.sleep(seconds)
    for task in loops:
        task.cancel()
    await asyncio.gather(*loops, return_exceptions=True)
    await monitor.store.flush()
    return seen


async def test_a_live_run_leaks_no_secret_to_logs_errors_store_or_reprs(
    server: ServerThread,
    config_path: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG)
    parse = umig_source.parse_document

    def buggy_parse(endpoint: Endpoint, text: str) -> object:
        if endpoint is Endpoint.COMPONENTS:  # an internal error, with its traceback in the log
            raise RuntimeError("provoked parser bug")
        return parse(endpoint, text)

    monkeypatch.setattr(umig_source, "parse_document", buggy_parse)
    config = load_config(str(config_path), environ=ENVIRON)
    fast = replace(config.polling, health=0.3, version=0.3, components=0.3, metrics=0.3)
    config = replace(config, polling=fast)
    db = tmp_path / "live.db"
    monitor = await open_monitor(config, environ=ENVIRON, store_path=db)
    try:
        results = await poll_for_a_while(monitor, 2.5)
        assert_store_clean(db)  # while open: the WAL holds the newest pages
        views = monitor.fleet.views()
        texts = [
            repr(config),
            repr(config.environments),
            repr(monitor.clients),
            *(repr(vars(client)) for client in monitor.clients.values()),
            *(repr(client._raw_headers) for client in monitor.clients.values()),  # as sent
            repr(results),
            repr(views),
            *(str(view.to_json()) for view in views),
        ]
    finally:
        await monitor.aclose()
    assert_store_clean(db)

    kinds = {(r.env, r.endpoint): r.error.kind for r in results if r.error}
    assert kinds[("development", Endpoint.HEALTH)] is ErrorKind.AUTH_REQUIRED
    assert kinds[("hotfix", Endpoint.HEALTH)] is ErrorKind.CONNECT_ERROR
    assert kinds[("dev-05", Endpoint.HEALTH)] is ErrorKind.TIMEOUT
    assert kinds[(TLS_ENV, Endpoint.HEALTH)] is ErrorKind.CONNECT_ERROR
    assert kinds[("production", Endpoint.COMPONENTS)] is ErrorKind.INVALID_RESPONSE
    assert ("production", Endpoint.HEALTH) not in kinds
    assert ("uat", Endpoint.HEALTH) not in kinds
    assert "provoked parser bug" in caplog.text
    assert "Traceback" in caplog.text
    assert not leaks(caplog.text)
    for text in texts:
        assert not leaks(text), text[:200]
    assert_sent_only_to_their_own_host(server)


# --- the commands: every output, the store they wrote, an internal error ------------------

COMMANDS: dict[str, tuple[str, ...]] = {
    "status-json": ("status", "--json"),
    "status-table": ("status",),
    "export-prometheus": ("export", "prometheus"),
    "report": ("report",),
    "snapshot": ("snapshot",),
}

# An internal error after a real poll, its message dumping all the state the core holds.
PROVOKED = """
import sys
from umig_tui.cli.main import main
from umig_tui.service.monitor import Monitor

fetch = Monitor.fetch

async def crash(self, *args, **kwargs):
    # Every poll goes through Monitor.fetch, whatever orchestrates it: crash with everything
    # a careless message could carry (config, clients and their state, results, views).
    result = await fetch(self, *args, **kwargs)
    raise RuntimeError(
        f"provoked: {self.config!r} {self.clients!r} {result!r} {self.fleet.views()!r} "
        f"{[vars(c) for c in self.clients.values()]!r}"
    )

Monitor.fetch = crash
sys.exit(main(sys.argv[1:]))
"""


def run_all(commands: dict[str, tuple[list[str], dict[str, str]]]) -> dict[str, tuple[int, str]]:
    """Run the commands side by side; (exit code, stdout + stderr) each."""
    procs = {
        name: subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
        )
        for name, (argv, env) in commands.items()
    }
    out = {}
    for name, proc in procs.items():
        stdout, _ = proc.communicate(timeout=60)
        out[name] = (proc.returncode, stdout)
    return out


def test_no_command_output_or_store_carries_a_secret(
    server: ServerThread, config_path: Path, tmp_path: Path
) -> None:
    env = cli_env(**ENVIRON)
    stores = {name: tmp_path / f"{name}.db" for name in COMMANDS}
    commands = {
        name: ([*UMIG_TUI, *args, "--config", str(config_path), "--store", str(stores[name])], env)
        for name, args in COMMANDS.items()
    }
    provoked = [UMIG_TUI[0], "-c", PROVOKED, "status", "--config", str(config_path), "--no-store"]
    commands["internal-error"] = (provoked, env)
    commands["internal-error-debug"] = (provoked, {**env, "UMIG_TUI_DEBUG": "1"})
    outputs = run_all(commands)

    for name, (_, text) in outputs.items():
        assert not leaks(text), (name, leaks(text), text[-2000:])
    assert outputs["status-json"][0] == outputs["status-table"][0] == 1
    assert "unreachable" in outputs["status-table"][1]
    assert "auth_required" in outputs["status-json"][1]
    assert "TLS" in outputs["status-json"][1]
    for name in ("export-prometheus", "report", "snapshot"):
        assert outputs[name][0] == 0, outputs[name][1][-2000:]
    code, text = outputs["internal-error"]
    assert code == 70
    assert "internal error: RuntimeError: provoked: Config(" in text
    assert "Traceback" not in text
    code, text = outputs["internal-error-debug"]
    assert code != 0
    assert "Traceback" in text
    assert "provoked: Config(" in text
    for db in stores.values():
        assert_store_clean(db)
    assert_sent_only_to_their_own_host(server)


def test_config_error_about_a_secret_names_the_variable_not_a_value(
    server: ServerThread, config_path: Path
) -> None:
    """One secret unset: the message names its variable; the others' values stay out of it."""
    partial = {k: v for k, v in ENVIRON.items() if k != "UMIG_T_UAT_PASSWORD"}
    proc = subprocess.run(
        [*UMIG_TUI, "status", "--config", str(config_path), "--no-store"],
        capture_output=True,
        text=True,
        env=cli_env(**partial),
        timeout=30,
        check=False,
    )
    assert proc.returncode == 2
    assert "$UMIG_T_UAT_PASSWORD is not set" in proc.stderr
    assert not leaks(proc.stdout + proc.stderr)
    assert server.requests() == []  # every secret is checked before any request goes out
