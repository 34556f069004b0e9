"""The dashboard on a real terminal (issue 3): first frame with a 90-day store, steady-state CPU
and RSS at 50 environments, terminal bytes per second.

Every figure runs the installed console script (``.venv/bin/umig-tui``) in a pseudo-terminal of
its own (session leader, the pty as its controlling terminal), with XDG dirs in a temporary
directory, and reads everything it writes; a small terminal model (cursor moves, text) turns the
bytes into the screen a user would see, so "the first frame" means what it says.

a. First frame: a store built by bench_store.py's builder (4 environments × 90 days of every
   series the demo documents give, as retention leaves it), the rows past "now" trimmed and one
   ``umig-tui status`` run on top (the ``latest`` table, as after a restart). The dashboard runs
   against a 4-environment demo-server with ``--store`` pointing at it; measured from spawn to the
   first byte, to the first painted frame (the panel titles) and to the first frame that already
   shows the history: every environment's version and its performance sparklines filled with
   more than one poll can give (≥ 8 bars). Median over ``--runs`` after one warm-up.
b. Steady state: ``umig-tui demo-server --envs 50 --port-per-env`` (a separate process: its CPU
   is not the dashboard's) and a config with the demo's intervals (``launch.DEMO_POLLING``):
   health and metrics every 5 s, components and version every 15 s; after ``--settle`` seconds,
   the dashboard's CPU (user+sys, all threads) over ``--window`` seconds and its RSS, on a
   120×40 pty, recording to a store. Then health every 5 s with the other endpoints at a real
   fleet's defaults (metrics 30 s, components 1 m, version 5 m), the other reading of "at a 5 s
   interval". The first with the simulator in-process (``--demo --demo-envs 50``) for comparison.
c. Terminal output: 4 environments, every endpoint every 1 s, bytes written to the pty over
   ``--bytes-window`` seconds after settling, at 120×40 and at 80×24.

    .venv/bin/python bench/bench_tui.py [--runs 5] [--settle 20] [--window 60]
                                        [--bytes-window 30] [--only first-frame,cpu,bytes]

Targets (issue 3, Performance): first frame with history ≤ 0.6 s; ≤ 2 % of one core and
≤ 120 MB RSS with 50 environments at 5 s. Issue 17: the first frame within 2× the bare Textual
app's (timed alternately with it), ≤ 0.5 ms of dashboard CPU per request, ≤ 2 KB/s of terminal
output (4 envs, every endpoint every 1 s, 120×40).
"""

from __future__ import annotations

import argparse
import codecs
import contextlib
import fcntl
import os
import re
import signal
import sqlite3
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_store import HOUR, build_store
from benchlib import (  # bench/ is not a package: found via sys.path above
    BENCH_DIR,
    BenchError,
    Row,
    at_most,
    bytecode_env,
    cli,
    console_script,
    demo_fleet,
    info,
    machine,
    machine_line,
    process_cpu,
    venv_python,
)

TARGET_FIRST_FRAME_S = 0.6  # issue 3
TARGET_FIRST_FRAME_RATIO = 2.0  # issue 17: within 2× a bare Textual app, same run
TARGET_CPU_PERCENT = 2.0
TARGET_CPU_MS_PER_REQUEST = 0.5  # issue 17
TARGET_RSS_MB = 120.0
TARGET_BYTES_PER_S = 2048.0  # issue 17 (issue 3: 4 KB/s)
SEED_VERSIONS = ("1.3.0-dev+ci.1245", "1.2.0-rc.2", "1.1.2", "1.1.3+hotfix")
ENV_NAMES = ("development", "uat", "production", "hotfix")
SPARK_BARS = "▁▂▃▄▅▆▇█"
HISTORY_BARS = 8  # per environment row: more than one live poll can draw (one bar per sparkline)
PARTS = ("first-frame", "cpu", "bytes")


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="timed starts for the first frame")
    parser.add_argument("--settle", type=float, default=20.0, help="seconds before measuring")
    parser.add_argument("--window", type=float, default=60.0, help="CPU window, seconds")
    parser.add_argument("--bytes-window", type=float, default=30.0, help="bytes window, seconds")
    parser.add_argument("--envs", type=int, default=50, help="environments for the CPU figure")
    parser.add_argument(
        "--only", default=",".join(PARTS), help=f"comma-separated subset of {', '.join(PARTS)}"
    )
    parser.add_argument("--keep", type=Path, metavar="DIR", help="build (and reuse) the store here")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    # run_all.py passes the same ARGS to every benchmark: ignore the ones meant for others
    args, _unknown = parser.parse_known_args(argv)
    unknown = set(args.only.split(",")) - set(PARTS)
    if unknown:
        parser.error(f"--only: unknown part(s) {', '.join(sorted(unknown))}")
    return args


# -- the terminal -------------------------------------------------------------------------------


class Screen:
    """Just enough of a VT100 to see what is on screen: cursor moves, erase, text.

    Colours, modes and every other escape sequence are parsed and ignored.
    """

    CSI = re.compile(r"\x1b\[([0-?]*)([ -/]*)([@-~])")
    STRING = re.compile(r"\x1b[\]P_^].*?(?:\x07|\x1b\\)", re.S)

    def __init__(self, columns: int, lines: int) -> None:
        self.columns, self.lines = columns, lines
        self.grid = [[" "] * columns for _ in range(lines)]
        self.row = self.col = 0
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._pending = ""

    def feed(self, data: bytes) -> None:
        text = self._pending + self._decoder.decode(data)
        self._pending = ""
        i = 0
        while i < len(text):
            char = text[i]
            if char == "\x1b":
                if i + 1 >= len(text):
                    self._pending = text[i:]
                    return
                nxt = text[i + 1]
                if nxt == "[":
                    match = self.CSI.match(text, i)
                    if match is None:  # incomplete: wait for the rest
                        self._pending = text[i:]
                        return
                    self._csi(match.group(1), match.group(3))
                    i = match.end()
                elif nxt in "]P_^":
                    match = self.STRING.match(text, i)
                    if match is None:
                        self._pending = text[i:]
                        return
                    i = match.end()
                elif nxt in "()":
                    i += 3
                else:
                    i += 2
                continue
            if char == "\r":
                self.col = 0
            elif char == "\n":
                self.row = min(self.lines - 1, self.row + 1)
            elif char == "\b":
                self.col = max(0, self.col - 1)
            elif char >= " ":
                if 0 <= self.row < self.lines and 0 <= self.col < self.columns:
                    self.grid[self.row][self.col] = char
                self.col += 1
            i += 1

    def _csi(self, params: str, final: str) -> None:
        if params.startswith("?"):
            return  # private modes (alternate screen, mouse, cursor): nothing drawn
        numbers = [int(p) if p.isdigit() else 0 for p in params.split(";")] if params else []

        def arg(index: int, default: int = 1) -> int:
            return numbers[index] if len(numbers) > index and numbers[index] else default

        if final in "Hf":
            self.row, self.col = arg(0) - 1, arg(1) - 1
        elif final == "A":
            self.row = max(0, self.row - arg(0))
        elif final == "B":
            self.row = min(self.lines - 1, self.row + arg(0))
        elif final == "C":
            self.col += arg(0)
        elif final == "D":
            self.col = max(0, self.col - arg(0))
        elif final == "G":
            self.col = arg(0) - 1
        elif final == "J" and arg(0, 0) == 2:
            self.grid = [[" "] * self.columns for _ in range(self.lines)]
        elif final == "K" and 0 <= self.row < self.lines:
            mode = arg(0, 0)
            start, end = (self.col, self.columns) if mode == 0 else (0, self.columns)
            if mode == 1:
                start, end = 0, self.col + 1
            for col in range(max(0, start), min(self.columns, end)):
                self.grid[self.row][col] = " "

    def text(self) -> list[str]:
        return ["".join(row) for row in self.grid]


def set_winsize(fd: int, columns: int, lines: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))


def _session_child() -> None:  # pragma: no cover - runs in the child before exec
    """A session of its own with the pty as controlling terminal (as under sshd), and SIGTERM
    if the benchmark itself dies."""
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@dataclass
class PtyRun:
    """A process on a pty; every byte it writes is counted (with its arrival time) and drawn."""

    process: subprocess.Popen[bytes]
    master: int
    screen: Screen
    started: float
    chunks: list[tuple[float, int]] = field(default_factory=list)
    lock: threading.Condition = field(default_factory=threading.Condition)
    closed: bool = False

    def pump(self) -> None:
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:  # EIO: the child is gone and the slave side closed
                data = b""
            now = time.perf_counter()
            with self.lock:
                if not data:
                    self.closed = True
                    self.lock.notify_all()
                    return
                self.chunks.append((now, len(data)))
                self.screen.feed(data)
                self.lock.notify_all()

    def wait_for(self, predicate: Callable[[list[str]], bool], timeout: float) -> float | None:
        """Seconds from spawn to the first output after which ``predicate(screen)`` holds."""
        deadline = time.perf_counter() + timeout
        with self.lock:
            while True:
                if self.chunks and predicate(self.screen.text()):
                    return self.chunks[-1][0] - self.started
                left = deadline - time.perf_counter()
                if left <= 0 or self.closed:
                    return None
                self.lock.wait(min(left, 0.5))

    def bytes_between(self, start: float, end: float) -> int:
        with self.lock:
            return sum(n for t, n in self.chunks if start <= t < end)

    def first_byte(self) -> float | None:
        with self.lock:
            return self.chunks[0][0] - self.started if self.chunks else None

    def lines(self) -> list[str]:
        with self.lock:
            return self.screen.text()


@contextlib.contextmanager
def on_pty(
    cmd: Sequence[str | os.PathLike[str]], env: dict[str, str], *, size: tuple[int, int]
) -> Iterator[PtyRun]:
    """Run ``cmd`` on a fresh pty of ``size`` (columns, lines); stopped with SIGTERM at the end."""
    master, slave = os.openpty()
    set_winsize(slave, *size)
    started = time.perf_counter()
    try:
        process = subprocess.Popen(
            [str(c) for c in cmd],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            close_fds=True,
            preexec_fn=_session_child,
        )
    except BaseException:
        os.close(master)
        os.close(slave)
        raise
    os.close(slave)
    run = PtyRun(process, master, Screen(*size), started)
    reader = threading.Thread(target=run.pump, name="pty-reader", daemon=True)
    reader.start()
    try:
        yield run
    finally:
        stop(process)
        reader.join(5)
        os.close(master)


def stop(process: subprocess.Popen[bytes], grace: float = 10.0) -> float | None:
    """SIGTERM (the dashboard's clean exit), SIGKILL after ``grace``; seconds it took."""
    if process.poll() is not None:
        return 0.0
    started = time.perf_counter()
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(grace)
        return time.perf_counter() - started
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        process.wait(grace)
        return None


def dashboard_env(work: Path) -> dict[str, str]:
    """Warm bytecode (as on a normal install), private XDG dirs, a plain 256-colour terminal."""
    env = bytecode_env("warm", work / "pycache")
    for name in ("COLUMNS", "LINES", "NO_COLOR", "UMIG_TUI_CONFIG", "TEXTUAL", "COLORTERM"):
        env.pop(name, None)
    for name in list(env):
        if name.startswith("UMIG_"):
            env.pop(name)
    for kind in ("CONFIG", "STATE", "DATA", "CACHE"):
        env[f"XDG_{kind}_HOME"] = str(work / "xdg" / kind.lower())
    env["TERM"] = "xterm-256color"
    return env


def polling_section(fast: str, slow: str) -> str:
    """health and metrics every ``fast``, components and version every ``slow``."""
    return (
        f'\n[polling]\nhealth = "{fast}"\nmetrics = "{fast}"\n'
        f'components = "{slow}"\nversion = "{slow}"\n'
    )


def with_polling(fleet_config: Path, target: Path, fast: str, slow: str) -> Path:
    """The demo-server's config plus a [polling] section."""
    text = fleet_config.read_text(encoding="utf-8") + polling_section(fast, slow)
    target.write_text(text, encoding="utf-8")
    return target


# -- what is on screen --------------------------------------------------------------------------


def painted(lines: list[str]) -> bool:
    """The first full paint: the panel titles are there."""
    text = "\n".join(lines)
    return "1 Environments" in text and "3 Performance" in text


def history_shown(lines: list[str]) -> bool:
    """Every seed version whole, and each environment's sparklines filled from the store."""
    text = "\n".join(lines)
    if not all(version in text for version in SEED_VERSIONS):
        return False
    title = next((i for i, line in enumerate(lines) if "3 Performance" in line), None)
    if title is None:
        return False
    for name in ENV_NAMES:
        row = next((line for line in lines[title + 1 :] if f"│  {name} " in line), None)
        if row is None or sum(row.count(bar) for bar in SPARK_BARS) < HISTORY_BARS:
            return False
    return True


def header_says(lines: list[str], pattern: str) -> bool:
    return bool(lines) and re.search(pattern, lines[0]) is not None


# -- a. first frame -----------------------------------------------------------------------------


def prepare_store(directory: Path, umig_tui: Path, fleet_config: Path, env: dict[str, str]) -> Path:
    """bench_store's 4 × 90-day store ending now, plus one real poll (``latest``, as a restart
    finds it). Built once per directory."""
    path = directory / "tui-4x90d.db"
    if path.exists() and time.time() - built_at(path) < 1800:
        say(f"reusing {path}")
    else:
        path.unlink(missing_ok=True)
        # The builder writes whole hours: build to the next hour, then drop what lies ahead of
        # now (the history query has no upper bound, and a future bucket would swallow live ones).
        now = time.time()
        partial = directory / "tui-4x90d.db.partial"
        partial.unlink(missing_ok=True)
        say(f"building 4 envs × 90 days in {partial} ...")
        started = time.perf_counter()
        counts = build_store(partial, envs=4, days=90, now=(int(now) // HOUR + 1) * HOUR)
        connection = sqlite3.connect(partial)
        try:
            connection.execute("DELETE FROM samples WHERE ts > ?", (int(now * 1000),))
            connection.execute("DELETE FROM rollup_1m WHERE bucket > ?", (int(now),))
            connection.execute("INSERT INTO meta (key, value) VALUES ('tui_built', ?)", (str(now),))
            connection.commit()
        finally:
            connection.close()
        say(f"  built in {time.perf_counter() - started:.1f} s: {counts}")
        partial.rename(path)
    done = subprocess.run(
        [str(umig_tui), "status", "--config", str(fleet_config), "--store", str(path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode not in (0, 1):
        raise BenchError(
            f"umig-tui status (to fill `latest`) exited {done.returncode}: {done.stderr}"
        )
    return path


def built_at(path: Path) -> float:
    """When prepare_store trimmed ``path`` to "now" (its history slides out of the sparklines'
    window within the hour: an older store is rebuilt)."""
    connection = sqlite3.connect(path)
    try:
        row = connection.execute("SELECT value FROM meta WHERE key = 'tui_built'").fetchone()
    except sqlite3.Error:
        row = None
    finally:
        connection.close()
    return float(row[0]) if row else 0.0


@dataclass
class Start:
    first_byte: float
    first_frame: float
    history: float


def time_start(umig_tui: Path, config: Path, store: Path, env: dict[str, str]) -> Start:
    cmd = [umig_tui, "--config", config, "--store", store, "--no-bell"]
    with on_pty(cmd, env, size=(120, 40)) as run:
        history = run.wait_for(history_shown, 30)
        frame = run.wait_for(painted, 1)
        first = run.first_byte()
        if history is None or frame is None or first is None:
            raise BenchError(
                "the dashboard never showed the history:\n" + "\n".join(run.lines()).rstrip()
            )
    return Start(first, frame, history)


BARE_APP = """
from textual.app import App
from textual.widgets import Static


class Bare(App):
    def compose(self):
        yield Static("1 Environments  3 Performance")


Bare().run()
"""


def spread(values: list[float]) -> str:
    return (
        f"min {min(values):.3f} / median {statistics.median(values):.3f} / "
        f"max {max(values):.3f} s over {len(values)} runs"
    )


def measure_first_frame(
    umig_tui: Path, fleet_config: Path, directory: Path, env: dict[str, str], runs: int
) -> list[Row]:
    store = prepare_store(directory, umig_tui, fleet_config, env)
    size_mb = sum(p.stat().st_size for p in directory.glob("tui-4x90d.db*")) / 1e6
    say(f"timing the first frame × {runs} (+1 warm-up), each beside a bare Textual app ...")
    # The floor on this machine: Textual itself, one Static, same pty, same interpreter, timed
    # alternately with the dashboard so both see the same load.
    bare = directory / "bare_textual_app.py"
    bare.write_text(BARE_APP, encoding="utf-8")
    starts: list[Start] = []
    floors: list[float] = []
    for index in range(runs + 1):
        start = time_start(umig_tui, fleet_config, store, env)
        with on_pty([venv_python(), bare], env, size=(120, 40)) as run:
            painted_at = run.wait_for(painted, 30)
        if painted_at is None:
            raise BenchError("the bare Textual app never painted")
        if index:  # the first pair is a warm-up: bytecode cache, page cache
            starts.append(start)
            floors.append(painted_at)
            say(
                f"  first byte {start.first_byte:.3f} s, frame {start.first_frame:.3f} s, "
                f"history {start.history:.3f} s; bare Textual app {painted_at:.3f} s"
            )
    history = [s.history for s in starts]
    frames = [s.first_frame for s in starts]
    firsts = [s.first_byte for s in starts]
    shape = f"4 envs × 90 d store, {size_mb:.0f} MB"
    return [
        at_most(
            f"dashboard: spawn → first frame showing the history ({shape}), 120×40 pty",
            TARGET_FIRST_FRAME_S,
            statistics.median(history),
            "s",
            spread(history) + "; every version + ≥ 8 sparkline bars per env from the store",
        ),
        info(
            "dashboard: spawn → first painted frame", statistics.median(frames), "s", spread(frames)
        ),
        info(
            "dashboard: spawn → first byte on the pty",
            statistics.median(firsts),
            "s",
            spread(firsts),
        ),
        info(
            "floor: a bare Textual app (one Static): spawn → first frame",
            statistics.median(floors),
            "s",
            spread(floors) + "; same interpreter, pty and bytecode cache, timed alternately",
        ),
        at_most(
            "dashboard first frame with the history ÷ the bare Textual app's",
            TARGET_FIRST_FRAME_RATIO,
            statistics.median(h / f for h, f in zip(history, floors, strict=True)),
            "×",
            "median of the ratio of each pair (dashboard, then bare app, on the same pty)",
        ),
    ]


# -- b. steady state ----------------------------------------------------------------------------


@dataclass
class Usage:
    cpu_percent: float
    rss_mb: float
    rss_end_mb: float
    seconds: float
    bytes_per_s: float
    updated: str


def steady_usage(run: PtyRun, *, settle: float, window: float, ready: str) -> Usage:
    """CPU (user+sys, all threads) over ``window`` after ``settle`` s; RSS sampled each second."""
    import psutil

    if run.wait_for(lambda lines: header_says(lines, ready), 60) is None:
        raise BenchError(f"the dashboard never showed {ready!r}:\n" + "\n".join(run.lines()))
    time.sleep(max(0.0, settle - (time.perf_counter() - run.started)))
    process = psutil.Process(run.process.pid)
    times = process.cpu_times()
    cpu_before = times.user + times.system
    started = time.perf_counter()
    rss = [process.memory_info().rss]
    while time.perf_counter() - started < window:
        time.sleep(1.0)
        if run.process.poll() is not None:
            raise BenchError("the dashboard exited during the measurement")
        rss.append(process.memory_info().rss)
    seconds = time.perf_counter() - started
    times = process.cpu_times()
    spent = times.user + times.system - cpu_before
    written = run.bytes_between(started, started + seconds)
    match = re.search(r"updated (\S+)", run.lines()[0])
    return Usage(
        100.0 * spent / seconds,
        max(rss) / 1e6,
        rss[-1] / 1e6,
        seconds,
        written / seconds,
        match.group(1) if match else "?",
    )


def measure_cpu(
    umig_tui: Path, work: Path, env: dict[str, str], args: argparse.Namespace
) -> list[Row]:
    envs, window, settle = args.envs, args.window, args.settle
    # Two readings of "50 environments at a 5 s interval": the demo's own intervals
    # (launch.DEMO_POLLING: health and metrics every 5 s, components and version every 15 s,
    # 26.7 requests/s at 50 envs), and health every 5 s with the other endpoints at the
    # defaults of a real fleet (metrics 30 s, components 1 m, version 5 m: 12.7 requests/s).
    variants = [
        (
            f"{envs} envs, health + metrics every 5 s, components + version every 15 s",
            polling_section("5s", "15s"),
            envs * (1 / 5 + 1 / 5 + 1 / 15 + 1 / 15),
        ),
        (
            f"{envs} envs, health every 5 s, metrics 30 s, components 1 m, version 5 m",
            '\n[polling]\nhealth = "5s"\n',
            envs * (1 / 5 + 1 / 30 + 1 / 60 + 1 / 300),
        ),
    ]
    say(f"starting demo-server: {envs} environments, one port each ...")
    (work / "fleet50").mkdir(exist_ok=True)
    rows: list[Row] = []
    with demo_fleet(umig_tui, envs=envs, latency="0ms", workdir=work / "fleet50") as fleet:
        for index, (label, section, per_second) in enumerate(variants):
            config = work / "fleet50" / f"steady-{index}.toml"
            config.write_text(fleet.config.read_text(encoding="utf-8") + section, encoding="utf-8")
            store = work / f"steady-{index}.db"
            cmd = [umig_tui, "--config", config, "--store", store, "--no-bell"]
            server_before = process_cpu(fleet.process.pid)
            with on_pty(cmd, env, size=(120, 40)) as run:
                say(f"{label}: settling {settle:.0f} s, measuring {window:.0f} s ...")
                usage = steady_usage(run, settle=settle, window=window, ready=f"{envs} healthy")
                server_after = process_cpu(fleet.process.pid)
                server_seconds = time.perf_counter() - run.started
            say(f"  CPU {usage.cpu_percent:.2f} % of one core, RSS max {usage.rss_mb:.1f} MB")
            rows += [
                at_most(
                    f"dashboard CPU, {label}, against demo-server",
                    TARGET_CPU_PERCENT,
                    usage.cpu_percent,
                    "% of a core",
                    f"user+sys of the dashboard (all threads) over {usage.seconds:.0f} s after "
                    f"{settle:.0f} s; 120×40 pty, recording to a store; "
                    f"{usage.bytes_per_s / 1024:.1f} KB/s to the terminal; "
                    f"header at the end: updated {usage.updated}",
                ),
                at_most(
                    f"dashboard CPU per request, {label}, against demo-server",
                    TARGET_CPU_MS_PER_REQUEST,
                    usage.cpu_percent * 10 / per_second,
                    "ms",
                    f"the CPU above ÷ {per_second:.1f} requests/s (repaints and the clock "
                    "included)",
                ),
                at_most(
                    f"dashboard RSS, {label}, against demo-server",
                    TARGET_RSS_MB,
                    usage.rss_mb,
                    "MB",
                    f"max of 1 s samples; {usage.rss_end_mb:.1f} MB at the end",
                ),
            ]
            if server_before is not None and server_after is not None:
                rows.append(
                    info(
                        "demo-server CPU during that run (its own process, not counted above)",
                        100.0 * (server_after - server_before) / server_seconds,
                        "% of a core",
                        "from the dashboard's start, settling included",
                    )
                )
        rows += measure_floor(fleet.config, work, env, args, variants[0][0])

    polling = work / "steady-demo.toml"
    polling.write_text(polling_section("5s", "15s"), encoding="utf-8")
    cmd = [umig_tui, "--demo", "--demo-envs", str(envs), "--config", polling]
    cmd += ["--store", work / "steady-demo.db", "--no-bell"]
    with on_pty(cmd, env, size=(120, 40)) as run:
        say(f"simulator in-process: settling {settle:.0f} s, measuring {window:.0f} s ...")
        usage = steady_usage(run, settle=settle, window=window, ready="DEMO")
    say(f"  CPU {usage.cpu_percent:.2f} % of one core, RSS max {usage.rss_mb:.1f} MB")
    note = "the simulator (default scenario) answers inside the dashboard's process"
    return [
        *rows,
        info(
            f"dashboard CPU, {variants[0][0]}, --demo --demo-envs {envs}",
            usage.cpu_percent,
            "% of a core",
            note,
        ),
        info(
            f"dashboard RSS, {variants[0][0]}, --demo --demo-envs {envs}",
            usage.rss_mb,
            "MB",
            f"{usage.rss_end_mb:.1f} MB at the end",
        ),
    ]


def measure_floor(
    fleet_config: Path, work: Path, env: dict[str, str], args: argparse.Namespace, label: str
) -> list[Row]:
    """bench/bare_dashboard.py on the same fleet and pty: the floor under the dashboard's CPU
    (Textual, its clock, the event loop, kept-alive sockets, httptools, JSON, a table of as many
    rows as panel 1 shows, repainted at each wave), polling and, with ``--idle``, not."""
    from bench_status import write_bare_requests

    requests = work / "fleet50" / "bare-requests.txt"
    write_bare_requests(fleet_config, "us088", requests)
    rows: list[Row] = []
    per_second = args.envs * (1 / 5 + 1 / 5 + 1 / 15 + 1 / 15)
    for extra, what in (([], label), (["--idle"], "polling nothing (Textual and its clock)")):
        cmd = [venv_python(), BENCH_DIR / "bare_dashboard.py", requests, *extra]
        with on_pty(cmd, env, size=(120, 40)) as run:
            say(f"floor, {what}: settling {args.settle:.0f} s, measuring {args.window:.0f} s ...")
            ready = "bare dashboard" if extra else f"{args.envs} healthy"
            usage = steady_usage(run, settle=args.settle, window=args.window, ready=ready)
        say(f"  CPU {usage.cpu_percent:.2f} % of one core")
        how = (
            "the same screen; no request"
            if extra
            else "a kept-alive connection per signal, httptools, JSON decoded, a table of the "
            "environments' latencies as high as panel 1; nothing stored or analysed; "
            f"{usage.cpu_percent * 10 / per_second:.2f} ms per request"
        )
        rows.append(
            info(
                f"floor: a bare Textual app, {what}, against demo-server",
                usage.cpu_percent,
                "% of a core",
                f"bench/bare_dashboard.py: {how}; user+sys over {usage.seconds:.0f} s after "
                f"{args.settle:.0f} s, 120×40 pty",
            )
        )
    return rows


# -- c. terminal output -------------------------------------------------------------------------


def measure_bytes(
    umig_tui: Path, fleet_config: Path, work: Path, env: dict[str, str], args: argparse.Namespace
) -> list[Row]:
    rows: list[Row] = []
    config = with_polling(fleet_config, work / "every-1s.toml", "1s", "1s")
    settle, window = min(args.settle, 10.0), args.bytes_window
    for (columns, lines), target in (((120, 40), True), ((80, 24), False)):
        cmd = [umig_tui, "--config", config, "--store", work / f"bytes-{columns}.db", "--no-bell"]
        with on_pty(cmd, env, size=(columns, lines)) as run:
            say(
                f"terminal output at {columns}×{lines}: settling {settle:.0f} s, counting {window:.0f} s ..."
            )
            usage = steady_usage(run, settle=settle, window=window, ready="4 healthy")
        say(f"  {usage.bytes_per_s:.0f} B/s, CPU {usage.cpu_percent:.2f} %")
        figure = f"terminal output, 4 envs, every endpoint every 1 s, {columns}×{lines} pty"
        note = (
            f"bytes read from the pty over {usage.seconds:.0f} s after {settle:.0f} s; "
            f"dashboard CPU {usage.cpu_percent:.1f} %"
        )
        kb = usage.bytes_per_s / 1024
        limit = TARGET_BYTES_PER_S / 1024
        rows.append(
            at_most(figure, limit, kb, "KB/s", note) if target else info(figure, kb, "KB/s", note)
        )
    return rows


# -- main ---------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> list[Row]:
    args = parse_args(argv)
    parts = set(args.only.split(","))
    umig_tui = console_script("umig-tui")
    if umig_tui is None:
        raise BenchError("the umig-tui console script is not installed (make test installs it)")
    say(f"machine: {machine_line(machine(str(venv_python())))}")
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="umig-bench-tui-") as tmp:
        work = Path(tmp)
        env = dashboard_env(work)
        store_dir = args.keep or work
        store_dir.mkdir(parents=True, exist_ok=True)
        if parts & {"first-frame", "bytes"}:
            say("starting demo-server: 4 environments, one port each ...")
            (work / "fleet4").mkdir()
            with demo_fleet(umig_tui, envs=4, latency="0ms", workdir=work / "fleet4") as fleet:
                if "first-frame" in parts:
                    rows += measure_first_frame(umig_tui, fleet.config, store_dir, env, args.runs)
                if "bytes" in parts:
                    rows += measure_bytes(umig_tui, fleet.config, work, env, args)
        if "cpu" in parts:
            rows += measure_cpu(umig_tui, work, env, args)
    return rows


if __name__ == "__main__":
    sys.exit(cli("bench_tui", main))
