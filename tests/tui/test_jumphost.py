"""Jump-host checks (issue 7): the real dashboard in a detached tmux pane at 80×24.

``python -m umig_tui --demo`` runs with private XDG dirs in a tmux server of its own, with
``TERM=xterm``, with ``NO_COLOR=1`` and with ``TERM=screen``; the pane is captured as text once
the demo fleet has answered. Then the pane is killed (tmux hangs up the terminal, as sshd does
when the link drops): the process must exit within seconds and leave its store closed.
"""

from __future__ import annotations

import contextlib
import re
import shlex
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest

pytestmark = pytest.mark.skipif(
    shutil.which("tmux") is None, reason="tmux is not installed: the jump-host checks need it"
)

ENVS = ("development", "uat", "production", "hotfix")
VERSIONS = {  # the demo's seed versions; the scripted deploy lands only after 75 s
    "development": "1.3.0-dev+ci.1245",
    "uat": "1.2.0-rc.2",
    "production": "1.1.2",
    "hotfix": "1.1.3+hotfix",
}
STATUS_WORDS = ("healthy", "degraded", "unhealthy", "unreachable", "unknown")
# What an escape sequence looks like once a terminal has printed it as text instead.
GARBAGE = re.compile(r"\x1b|\^\[|\ufffd|\[\??\d+(;\d+)*[A-Za-z~]|\]\d+;")
EXIT_WITHIN = 5.0  # seconds from the hang-up to the process being gone


@dataclass
class Pane:
    tmux: Callable[..., str]
    pid: int
    state: Path

    def capture(self, *, escapes: bool = False) -> str:
        return self.tmux("capture-pane", "-p", *(["-e"] if escapes else []), "-t", "umig")

    def wait_for(self, ready: Callable[[str], bool], timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.capture()
            if ready(screen):
                return screen
            if not psutil.pid_exists(self.pid):
                break
            time.sleep(0.2)
        pytest.fail(f"the dashboard never showed what was expected; the pane:\n{screen}")


@contextlib.contextmanager
def dashboard_in_tmux(env: dict[str, str], args: Sequence[str] = ("--demo",)) -> Iterator[Pane]:
    """``umig-tui --demo`` (or ``args``) alone in an 80×24 tmux pane, in a tmux server of its
    own."""
    work = Path(tempfile.mkdtemp(prefix="umig-tmux-"))  # short: a socket path has a limit
    socket = work / "tmux.sock"
    conf = work / "tmux.conf"
    conf.write_text("set -g status off\n", encoding="utf-8")  # all 24 lines for the pane
    xdg = {f"XDG_{kind}_HOME": str(work / kind.lower()) for kind in ("CONFIG", "STATE", "DATA")}
    unset = ["-u", "NO_COLOR", "-u", "UMIG_TUI_CONFIG"]
    settings = [f"{k}={v}" for k, v in {**xdg, **env}.items()]
    command = shlex.join(
        ["env", *unset, *settings, sys.executable, "-m", "umig_tui", *args, "--no-bell"]
    )

    def tmux(*args: str) -> str:
        done = subprocess.run(
            ["tmux", "-S", str(socket), "-f", str(conf), *args],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
        return done.stdout

    pid: int | None = None
    try:
        tmux(
            "new-session", "-d", "-s", "umig", "-x", "80", "-y", "24", "-c", str(work),
            f"exec {command}",
        )  # fmt: skip
        pid = int(tmux("display-message", "-p", "-t", "umig", "#{pane_pid}").strip())
        yield Pane(tmux, pid, work / "state" / "umig-tui")
    finally:
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            tmux("kill-server")
        if pid is not None and wait_gone(pid, EXIT_WITHIN) is None:
            with contextlib.suppress(psutil.Error):  # hung on the way out: leave no orphan
                psutil.Process(pid).kill()
        shutil.rmtree(work, ignore_errors=True)


def showing_data(screen: str) -> bool:
    return all(version in screen for version in VERSIONS.values())


def env_rows(screen: str) -> dict[str, str]:
    """The environments panel's row for each environment (the first line naming it)."""
    rows: dict[str, str] = {}
    for line in screen.splitlines():
        for env in ENVS:
            if env not in rows and re.match(rf"^│\s+{env}\s", line):
                rows[env] = line
    return rows


GREYS_16 = {30, 37, 39, 90, 97, 40, 47, 49, 100, 107}  # 39, 49: the terminal's own
GREYS_256 = {0, 7, 8, 15, 16, 231, *range(232, 256)}


def chromatic(captured: str) -> list[str]:
    """The SGR sequences in a ``capture-pane -e`` that set a colour other than a grey."""
    found = []
    for params in re.findall(r"\x1b\[([0-9;]*)m", captured):
        codes = [int(p) if p else 0 for p in params.split(";")]
        i = 0
        while i < len(codes):
            code = codes[i]
            if code in (38, 48) and i + 1 < len(codes):
                if codes[i + 1] == 5 and i + 2 < len(codes):
                    if codes[i + 2] not in GREYS_256:
                        found.append(params)
                    i += 3
                    continue
                if codes[i + 1] == 2 and i + 4 < len(codes):
                    if len(set(codes[i + 2 : i + 5])) > 1:
                        found.append(params)
                    i += 5
                    continue
            if (30 <= code <= 47 or 90 <= code <= 107) and code not in GREYS_16:
                found.append(params)
            i += 1
    return found


def wait_gone(pid: int, timeout: float) -> float | None:
    """Seconds until ``pid`` has exited (a zombie counts: it has run its last line)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return time.monotonic() - started
        except psutil.NoSuchProcess:
            return time.monotonic() - started
        time.sleep(0.05)
    return None


def assert_store_closed(state: Path) -> None:
    """Store.close ran: the last connection checkpointed the WAL into the file and removed it."""
    db = state / "demo.db"
    assert db.exists(), f"no store at {db}: {sorted(p.name for p in state.iterdir())}"
    leftovers = [p.name for p in state.iterdir() if p.name.endswith(("-wal", "-journal"))]
    assert leftovers == [], f"the store was not closed: {leftovers} left behind"
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        samples = connection.execute("SELECT count(*) FROM samples").fetchone()[0]
    finally:
        connection.close()
    assert samples > 0, "nothing was recorded before the hang-up"


@pytest.mark.parametrize(
    "env",
    [
        pytest.param({"TERM": "xterm"}, id="xterm"),
        pytest.param({"TERM": "xterm", "NO_COLOR": "1"}, id="no-color"),
        pytest.param({"TERM": "screen"}, id="screen"),
    ],
)
def test_readable_at_80x24_and_exits_cleanly_on_hangup(env: dict[str, str]) -> None:
    with dashboard_in_tmux(env) as pane:
        screen = pane.wait_for(lambda s: showing_data(s) and len(env_rows(s)) == len(ENVS))
        size = pane.tmux("display-message", "-p", "-t", "umig", "#{pane_width}x#{pane_height}")
        assert size.strip() == "80x24"
        lines = screen.splitlines()
        assert len(lines) == 24
        assert all(len(line) <= 80 for line in lines)
        assert not GARBAGE.search(screen), f"escape garbage on screen:\n{screen}"
        # The header says the worst status as a word, the fleet is labelled DEMO.
        assert re.search(r"UMIG \S (HEALTHY|DEGRADED|UNHEALTHY|UNREACHABLE)", lines[0]), lines[0]
        assert "DEMO" in lines[0]
        for title in ("1 Environments", "2 Version drift", "3 Performance"):
            assert title in screen
        for env_name, row in env_rows(screen).items():
            # Its version whole, between spaces, and its status as a word (never colour alone).
            assert re.search(rf"\s{re.escape(VERSIONS[env_name])}\s", row), row
            assert any(re.search(rf"\s{word}\b", row) for word in STATUS_WORDS), row
        assert "q Quit" in lines[-1]
        if "NO_COLOR" in env:
            coloured = chromatic(pane.capture(escapes=True))
            assert coloured == [], f"NO_COLOR=1 but colours were sent: {coloured[:5]}"
        else:
            assert chromatic(pane.capture(escapes=True)), "no colour at all without NO_COLOR"
        # The panels below the fold are one key away.
        for key, title in (("4", "4 Deployments"), ("5", "5 Alerts & events")):
            pane.tmux("send-keys", "-t", "umig", key)
            pane.wait_for(lambda s, title=title: title in s, timeout=5)
        assert not GARBAGE.search(pane.capture())

        pane.tmux("kill-pane", "-t", "umig")  # SIGHUP, as when the SSH session drops
        took = wait_gone(pane.pid, EXIT_WITHIN)
        assert took is not None, f"umig-tui was still running {EXIT_WITHIN} s after the hang-up"
        assert_store_closed(pane.state)


# One environment per kind of trouble a dashboard has to draw: strings carrying Rich markup and
# terminal escapes (an OSC title, colours, a carriage return, a backspace), a login page, a body
# that is not UTF-8; development stays healthy beside them.
HOSTILE_FAULTS = {"uat": "hostile", "production": "login_page", "hotfix": "not_utf8"}


@contextlib.contextmanager
def hostile_demo_server(work: Path) -> Iterator[Path]:
    """``umig-tui demo-server`` with HOSTILE_FAULTS, one port per environment; its config."""
    config = work / "hostile.toml"
    faults = [arg for env, kind in HOSTILE_FAULTS.items() for arg in ("--fault", f"{env}={kind}")]
    server = subprocess.Popen(
        [sys.executable, "-m", "umig_tui", "demo-server", "--port", "0", "--port-per-env",
         "--scenario", "static", *faults, "--write-config", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 15
        while not (config.exists() and "hotfix" in config.read_text(encoding="utf-8")):
            assert server.poll() is None, "the demo-server exited"
            assert time.monotonic() < deadline, "the demo-server never wrote its config"
            time.sleep(0.1)
        yield config
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(5)


def test_a_hostile_fleet_is_drawn_as_plain_text(tmp_path: Path) -> None:
    with (
        hostile_demo_server(tmp_path) as config,
        dashboard_in_tmux({"TERM": "xterm"}, ("--config", str(config))) as pane,
    ):
        screen = pane.wait_for(
            lambda s: (
                "PWNED" in s
                and all(
                    re.search(r"\sunreachable\b", env_rows(s).get(env, ""))
                    for env in ("production", "hotfix")
                )
            )
        )
        lines = screen.splitlines()
        assert len(lines) == 24
        assert all(len(line) <= 80 for line in lines)
        assert not GARBAGE.search(screen), f"escape garbage on screen:\n{screen}"
        # Markup from the wire is shown as the characters it is made of, never applied.
        assert "[bold red]PWNED" in screen, screen
        # The OSC 0 in the strings did not retitle the terminal.
        title = pane.tmux("display-message", "-p", "-t", "umig", "#{pane_title}")
        assert "owned" not in title
        rows = env_rows(screen)
        assert re.search(rf"\s{re.escape(VERSIONS['development'])}\s", rows["development"])
        assert re.search(r"\shealthy\b", rows["development"]), rows["development"]
        # The error kinds are a column further right: the detail of each says them.
        pane.tmux("send-keys", "-t", "umig", "1", "Down", "Down")  # development, uat, production
        for kind in ("auth_required", "invalid_response"):
            pane.tmux("send-keys", "-t", "umig", "Enter")
            detail = pane.wait_for(lambda s, kind=kind: kind in s, timeout=10)
            assert not GARBAGE.search(detail), detail
            pane.tmux("send-keys", "-t", "umig", "Escape")
            pane.wait_for(lambda s: "1 Environments" in s, timeout=10)
            pane.tmux("send-keys", "-t", "umig", "Down")  # hotfix


def test_the_header_names_a_failing_environments_alert_within_five_seconds(
    tmp_path: Path,
) -> None:
    """The 3 a.m. check: production stops answering; within five seconds the header of an
    80×24 pane names the firing alert and its environment (polling health every second)."""
    import json
    import urllib.request

    config = tmp_path / "fleet.toml"
    server = subprocess.Popen(
        [sys.executable, "-m", "umig_tui", "demo-server", "--port", "0",
         "--scenario", "static", "--write-config", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 15
        while not (config.exists() and "hotfix" in config.read_text(encoding="utf-8")):
            assert server.poll() is None, "the demo-server exited"
            assert time.monotonic() < deadline, "the demo-server never wrote its config"
            time.sleep(0.1)
        fleet = config.read_text(encoding="utf-8")
        config.write_text("[polling]\nhealth = 1\n\n" + fleet, encoding="utf-8")
        base = re.search(r'url = "(http://[^"/]+)/production"', fleet)
        assert base is not None
        with dashboard_in_tmux({"TERM": "xterm"}, ("--config", str(config))) as pane:
            pane.wait_for(lambda s: "UMIG ● HEALTHY" in s.splitlines()[0])
            request = urllib.request.Request(
                f"{base.group(1)}/_control/production",
                data=json.dumps({"fault": "refused"}).encode(),
                method="POST",
            )
            failed_at = time.monotonic()
            urllib.request.urlopen(request, timeout=5).close()
            header = pane.wait_for(
                lambda s: "CRIT" in s.splitlines()[0] and "production" in s.splitlines()[0],
                timeout=8,
            ).splitlines()[0]
            took = time.monotonic() - failed_at
            print(f"header named the alert {took:.1f} s after the failure")
            assert took <= 5.0, f"the header named the alert after {took:.1f} s: {header}"
            assert "1 CRIT " in header  # 80 columns: the compact badge, the alert named
            assert "UNREACHABLE" in header
            assert len(header) <= 80
    finally:
        server.terminate()
        server.wait(10)
