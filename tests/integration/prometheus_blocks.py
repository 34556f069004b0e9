"""History for a real Prometheus, written before it starts: the series ``umig-tui serve``
exposes, as OpenMetrics, turned into TSDB blocks by ``promtool tsdb create-blocks-from
openmetrics`` (the documented way to backfill Prometheus). Used by the history tests and by
``bench/bench_prometheus_source.py`` (7 days of a fleet)."""

from __future__ import annotations

import math
import shutil
import subprocess
from collections.abc import Callable, Iterable
from pathlib import Path

from umig_tui import exposition as x


def promtool_binary() -> str | None:
    found = shutil.which("promtool")
    if found is None and Path("/usr/bin/promtool").exists():
        found = "/usr/bin/promtool"
    return found


def response_ms(env_index: int, ts: float) -> float:
    """The response time the history holds for an environment at ``ts`` (a slow daily wave)."""
    return round(150.0 + 20 * env_index + 30 * math.sin(ts / 3600.0), 3)


def healthy(env: str, ts: float, outage: tuple[float, float] | None) -> bool:
    return not (env == "production" and outage is not None and outage[0] <= ts < outage[1])


def openmetrics(
    envs: Iterable[str],
    start: float,
    end: float,
    step: float = 60.0,
    *,
    outage: tuple[float, float] | None = None,
) -> str:
    """Every ``step`` seconds from ``start`` to ``end``, per environment: response time, error
    rate, users, health (production down during ``outage``), the health probe and its latency."""
    names = list(envs)
    times = [start + i * step for i in range(int((end - start) // step) + 1)]
    lines: list[str] = []

    def family(name: str, value: Callable[[int, str, float], float], *, extra: str = "") -> None:
        lines.append(f"# TYPE {name} gauge")
        for i, env in enumerate(names):
            labels = f'environment="{env}"{extra}'
            for ts in times:
                lines.append(f"{name}{{{labels}}} {value(i, env, ts):g} {ts:.3f}")

    family(x.RESPONSE_TIME_MS.name, lambda i, env, ts: response_ms(i, ts))
    family(x.ERROR_RATE.name, lambda i, env, ts: 0.002 + 0.001 * i)
    family(x.ACTIVE_USERS.name, lambda i, env, ts: 100 + 10 * i)
    family(x.HEALTH_STATUS.name, lambda i, env, ts: int(healthy(env, ts, outage)))
    family(
        x.PROBE_SUCCESS.name,
        lambda i, env, ts: int(healthy(env, ts, outage)),
        extra=',signal="health"',
    )
    family(x.PROBE_LATENCY.name, lambda i, env, ts: 0.05 + 0.01 * i, extra=',signal="health"')
    lines.append("# EOF")
    return "\n".join(lines) + "\n"


def write_blocks(text: str, tsdb: Path, work: Path) -> None:
    """``text`` (OpenMetrics) as TSDB blocks in ``tsdb``, where Prometheus will find them."""
    promtool = promtool_binary()
    assert promtool is not None, "promtool is not installed"
    source = work / "history.om"
    source.write_text(text, encoding="utf-8")
    tsdb.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        [promtool, "tsdb", "create-blocks-from", "openmetrics", "-q", str(source), str(tsdb)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
