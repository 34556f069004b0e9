"""Shared helpers for the benchmark scripts in bench/ (not a benchmark itself).

Convention (what bench/run_all.py relies on): every ``bench/bench_*.py`` defines
``main(argv: list[str] | None = None) -> list[Row]`` and prints its own figures as it goes.
A Row is (figure, target, measured, unit) plus an optional verdict and note; a plain 4-tuple is
accepted too. Benchmarks print figures; they are never timed unit tests.
"""

from __future__ import annotations

import contextlib
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent


class Row(NamedTuple):
    """One figure. ``target`` is for display ("≤ 0.80"); ``ok`` is None when there is none."""

    figure: str
    target: str
    measured: float | str | None
    unit: str
    ok: bool | None = None
    note: str = ""


def as_row(item: Any) -> Row:
    """Accept a Row or any (figure, target, measured, unit[, ok[, note]]) sequence."""
    if isinstance(item, Row):
        return item
    return Row(*item)


def at_most(figure: str, limit: float, measured: float | None, unit: str, note: str = "") -> Row:
    ok = None if measured is None else measured <= limit
    return Row(figure, f"≤ {limit:g}", measured, unit, ok, note)


def at_least(figure: str, limit: float, measured: float | None, unit: str, note: str = "") -> Row:
    ok = None if measured is None else measured >= limit
    return Row(figure, f"≥ {limit:g}", measured, unit, ok, note)


def info(figure: str, measured: float | str | None, unit: str, note: str = "") -> Row:
    return Row(figure, "-", measured, unit, None, note)


def fmt(value: float | str | None) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, str):
        return value
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def verdict(row: Row) -> str:
    if row.measured == "error":
        return "ERROR"
    return {True: "ok", False: "MISSED", None: ""}[row.ok]


def cell(text: str) -> str:
    """One Markdown table cell: no line breaks, no bare pipes."""
    return " / ".join(part.strip() for part in text.splitlines() if part.strip()).replace(
        "|", "\\|"
    )


def format_table(rows: Sequence[Row], *, machine: str | None = None) -> str:
    """A Markdown table (also readable in a terminal)."""
    header = ["figure", "target", "measured", "", "note"]
    if machine is not None:
        header.insert(4, "machine")
    lines = []
    for row in rows:
        numeric = isinstance(row.measured, int | float)
        measured = fmt(row.measured) + (f" {row.unit}" if numeric and row.unit else "")
        target = row.target if row.target in ("", "-") else f"{row.target} {row.unit}".strip()
        cells = [row.figure, target, measured, verdict(row)]
        if machine is not None:
            cells.append(machine)
        cells.append(row.note)
        lines.append([cell(c) for c in cells])
    widths = [max(len(h), *(len(c[i]) for c in lines)) for i, h in enumerate(header)]
    out = ["| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |"]
    out.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    out += [
        "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"
        for cells in lines
    ]
    return "\n".join(out)


# -- the machine --------------------------------------------------------------------------------


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return re.sub(r"\s+", " ", line.split(":", 1)[1]).strip()
    return platform.processor() or platform.machine()


def usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def machine(python: str | None = None) -> dict[str, Any]:
    """What the figures depend on: CPUs, OS, the Python that runs umig-tui, the load."""
    version = platform.python_version()
    if python:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            version = subprocess.run(
                [python, "-c", "import platform; print(platform.python_version())"],
                capture_output=True,
                text=True,
                timeout=30,
                check=True,
            ).stdout.strip()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    return {
        "cpus": usable_cpus(),
        "cpu_model": cpu_model(),
        "os": f"{platform.system()} {platform.release()} {platform.machine()}",
        "python": f"{platform.python_implementation()} {version}",
        "load_1m": load,
    }


def machine_line(info: dict[str, Any], *, short: bool = False) -> str:
    """One line; ``short`` (for a table column) leaves out the CPU model and the OS."""
    load = f", load {info['load_1m']:.1f}" if info.get("load_1m") is not None else ""
    if short:
        return f"{info['cpus']} CPU, {info['python']}{load}"
    return f"{info['cpus']} CPU ({info['cpu_model']}), {info['os']}, {info['python']}{load}"


def venv_python() -> Path:
    """The project's interpreter: .venv/bin/python, else the one running this script."""
    candidate = ROOT / ".venv" / "bin" / "python"
    return candidate if candidate.exists() else Path(sys.executable)


def console_script(name: str) -> Path | None:
    """The installed console script next to the project's interpreter, else on PATH."""
    for directory in (venv_python().parent, Path(sys.executable).parent):
        candidate = directory / name
        if candidate.exists():
            return candidate
    found = shutil.which(name)
    return Path(found) if found else None


# -- timing -------------------------------------------------------------------------------------


@dataclass
class Timing:
    """Wall and CPU (user+sys of the child) per run, in seconds."""

    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    returncodes: list[int] = field(default_factory=list)
    last_stdout: str = ""
    last_stderr: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.walls)

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpus)

    def spread(self) -> str:
        if not self.walls:
            return "no runs"
        return (
            f"min {min(self.walls):.3f} / median {self.median:.3f} / max {max(self.walls):.3f} s"
            f" over {len(self.walls)} runs; CPU {self.cpu_median:.2f} s"
        )


def _children_cpu() -> float:
    try:
        import resource
    except ImportError:  # not on POSIX: CPU is not reported
        return 0.0
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_command(
    cmd: Sequence[str | os.PathLike[str]],
    *,
    runs: int,
    warmup: int = 0,
    env: dict[str, str] | None = None,
    timeout: float = 120.0,
    ok_codes: Sequence[int] = (0,),
    cwd: Path | None = None,
) -> Timing:
    """Run ``cmd`` ``warmup + runs`` times; end-to-end wall time of the process (spawn to exit)."""
    timing = Timing()
    for index in range(warmup + runs):
        _time_once(timing, cmd, env, timeout, ok_codes, cwd, counted=index >= warmup)
    return timing


def time_alternately(
    cmds: dict[str, Sequence[str | os.PathLike[str]]],
    *,
    runs: int,
    warmup: int = 0,
    env: dict[str, str] | None = None,
    timeout: float = 120.0,
    ok_codes: Sequence[int] = (0,),
) -> dict[str, Timing]:
    """Like :func:`time_command` for several commands, run in turn (the order reversed every
    other round), so each sees the same machine: a VM's slow minutes slow them all alike."""
    timings = {name: Timing() for name in cmds}
    for index in range(warmup + runs):
        names = list(cmds) if index % 2 == 0 else list(cmds)[::-1]
        for name in names:
            _time_once(
                timings[name], cmds[name], env, timeout, ok_codes, None, counted=index >= warmup
            )
    return timings


def _time_once(
    timing: Timing,
    cmd: Sequence[str | os.PathLike[str]],
    env: dict[str, str] | None,
    timeout: float,
    ok_codes: Sequence[int],
    cwd: Path | None,
    *,
    counted: bool,
) -> None:
    cpu_before = _children_cpu()
    started = time.perf_counter()
    done = subprocess.run(
        [str(c) for c in cmd],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    wall = time.perf_counter() - started
    cpu = _children_cpu() - cpu_before
    timing.last_stdout, timing.last_stderr = done.stdout, done.stderr
    if done.returncode not in ok_codes:
        raise BenchError(
            f"{' '.join(str(c) for c in cmd)} exited {done.returncode}:\n"
            f"{done.stderr.strip()[-2000:] or done.stdout.strip()[-2000:]}"
        )
    if counted:
        timing.walls.append(wall)
        timing.cpus.append(cpu)
        timing.returncodes.append(done.returncode)


def process_cpu(pid: int) -> float | None:
    """CPU seconds (user+sys) used so far by another process; None where /proc is missing."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


class BenchError(RuntimeError):
    """A benchmark could not be measured (the message says why)."""


# -- the demo fleet -----------------------------------------------------------------------------


@dataclass
class DemoFleet:
    process: subprocess.Popen[str]
    config: Path
    urls: dict[str, str]
    output: list[str]


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Linux: the demo server gets SIGTERM if the benchmark itself is killed."""
    with contextlib.suppress(Exception):
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@contextlib.contextmanager
def demo_fleet(
    umig_tui: Path,
    *,
    envs: int,
    latency: str,
    workdir: Path | None = None,
    extra: Sequence[str] = (),
    startup_timeout: float = 60.0,
) -> Iterator[DemoFleet]:
    """``umig-tui demo-server --port 0 ...`` as a subprocess; always stopped on the way out."""
    with contextlib.ExitStack() as stack:
        if workdir is None:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="umig-bench-")))
        config = workdir / "fleet.toml"
        cmd = [
            str(umig_tui),
            "demo-server",
            "--port",
            "0",
            "--envs",
            str(envs),
            "--latency",
            latency,
            "--port-per-env",
            "--scenario",
            "static",
            "--write-config",
            str(config),
            *extra,
        ]
        process = subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
        output: list[str] = []
        urls: dict[str, str] = {}
        ready = threading.Event()

        def pump() -> None:  # read everything, so the server never blocks on a full pipe
            assert process.stdout is not None
            for line in process.stdout:
                output.append(line.rstrip("\n"))
                match = re.match(r"^\s+(\S+)\s+(https?://\S+)\s*$", line)
                if match:
                    urls[match.group(1)] = match.group(2)
                elif line.startswith("control:"):
                    ready.set()
            ready.set()  # EOF: the server exited

        reader = threading.Thread(target=pump, name="demo-server-output", daemon=True)
        reader.start()
        try:
            if not ready.wait(startup_timeout) or process.poll() is not None:
                raise BenchError(
                    "the demo server did not start:\n  "
                    + "\n  ".join(output[-20:] or ["(no output)"])
                )
            if len(urls) != envs or not config.exists():
                raise BenchError(
                    f"the demo server printed {len(urls)} of {envs} URLs / no config at {config}"
                )
            yield DemoFleet(process, config, dict(urls), output)
        finally:
            stop_process(process)
            reader.join(5)


def stop_process(process: subprocess.Popen[Any], grace: float = 5.0) -> None:
    """SIGTERM, then SIGKILL after ``grace`` seconds; only this process, by its id."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        process.terminate()
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        process.wait(grace)


def bytecode_env(mode: str, cache_dir: Path) -> dict[str, str]:
    """The environment for timed runs.

    ``warm``: bytecode is cached (as on a normal install, where pip compiles site-packages and
    the first run caches umig_tui), in ``cache_dir`` so the source tree stays clean; needs one
    warm-up run. ``cold``: nothing is cached, every umig_tui module is compiled on each start
    (PYTHONDONTWRITEBYTECODE, as in some sandboxes). ``inherit``: the caller's environment.
    """
    env = dict(os.environ)
    env.pop("NO_COLOR", None)
    env["COLUMNS"] = "160"
    if mode == "warm":
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(cache_dir)
    elif mode == "cold":
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env.pop("PYTHONPYCACHEPREFIX", None)
    return env


def cli(
    name: str, main: Callable[[list[str] | None], list[Row]], argv: list[str] | None = None
) -> int:
    """Run one benchmark on its own: its table, what was missed; exit 1 with ``--strict``."""
    strict = "--strict" in (argv if argv is not None else sys.argv[1:])
    try:
        rows = main(argv)
    except BenchError as exc:
        print(f"{name}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # demo servers are stopped by their context managers
        print(f"{name}: interrupted", file=sys.stderr)
        return 130
    print(f"\nmachine: {machine_line(machine(str(venv_python())))}\n")
    print(format_table(rows))
    missed = [row for row in rows if row.ok is False]
    if missed:
        print(
            f"\n{len(missed)} target(s) missed" + ("" if strict else " (not failing: no --strict)")
        )
    return 1 if strict and missed else 0
