"""The dashboard reading Prometheus (issue 16): spawn → first frame showing the history, with 7
days of the fleet's history in Prometheus.

The fleet is the demo-server (4 environments); one `umig-tui serve` polls it and a real
Prometheus (the Debian package) scrapes serve every 5 s. Before Prometheus starts, 7 days of
the series the history reads (a point a minute per environment: response time, error rate,
users, health, the health probe) are written into its TSDB with `promtool tsdb
create-blocks-from openmetrics`. The dashboard runs on a 120×40 pty with a config that names
the environments at addresses that lead nowhere and `[source] prometheus`: everything it shows
came through Prometheus. Cold: an empty cache store (the first run: `query_range` over the 7
days and the last hour); warm: the cache kept from the run before (only what is new).

    .venv/bin/python bench/bench_prometheus_source.py [--runs 3]
"""

from __future__ import annotations

import argparse
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_team import pollers, prometheus
from bench_tui import SEED_VERSIONS, dashboard_env, history_shown, on_pty, painted
from benchlib import (
    ROOT,
    BenchError,
    Row,
    cli,
    console_script,
    demo_fleet,
    info,
    machine,
    machine_line,
    venv_python,
)

sys.path.insert(0, str(ROOT))

from tests.integration.prometheus_blocks import openmetrics, promtool_binary, write_blocks

DAYS = 7
STEP = 60.0


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def nowhere() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def reader_config(path: Path, names: list[str], source: str) -> Path:
    tiers = {"development", "uat", "production", "hotfix"}
    lines = []
    for name in names:
        tier = name if name in tiers else "development"
        lines += [
            "[[environments]]",
            f'name = "{name}"',
            f'url = "{nowhere()}"',
            f'tier = "{tier}"',
        ]
        lines.append("")
    lines += ["[polling]", 'health = "5s"', "", "[source]", f'prometheus = "{source}"', ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def first_frame(umig_tui: Path, config: Path, env: dict[str, str]) -> tuple[float, float]:
    """(first frame with every version, first frame with the sparklines' history too)."""
    with on_pty([umig_tui, "--config", config, "--no-bell"], env, size=(120, 40)) as run:
        frame = run.wait_for(lambda lines: painted(lines) and versions_shown(lines), 60)
        history = run.wait_for(history_shown, 60)
        if history is None or frame is None:
            raise BenchError(
                "the dashboard never showed the history:\n" + "\n".join(run.lines()).rstrip()
            )
    return frame, history


def versions_shown(lines: list[str]) -> bool:
    text = "\n".join(lines)
    return all(version in text for version in SEED_VERSIONS)


def direct_frame(umig_tui: Path, config: Path, env: dict[str, str]) -> float:
    """For reference: polling the fleet directly, spawn → every version on screen."""
    with on_pty([umig_tui, "--config", config, "--no-bell"], env, size=(120, 40)) as run:
        shown = run.wait_for(versions_shown, 60)
        if shown is None:
            raise BenchError("the dashboard never showed the versions")
    return shown


def spread(values: list[float]) -> str:
    return (
        f"min {min(values):.3f} / median {statistics.median(values):.3f} / "
        f"max {max(values):.3f} s over {len(values)} runs"
    )


def main(argv: list[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3, help="timed starts, cold and warm each")
    args, _unknown = parser.parse_known_args(argv)  # run_all.py passes every benchmark's ARGS
    umig_tui = console_script("umig-tui")
    if umig_tui is None:
        raise BenchError("the umig-tui console script is not installed (make test installs it)")
    if promtool_binary() is None:
        raise BenchError("promtool is not installed (apt-get install prometheus)")
    say(f"machine: {machine_line(machine(str(venv_python())))}")
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="umig-bench-prom-") as tmpdir:
        tmp = Path(tmpdir)
        (tmp / "fleet").mkdir()
        with demo_fleet(umig_tui, envs=4, latency="0ms", workdir=tmp / "fleet") as fleet:
            names = list(fleet.urls)
            end = time.time() - 120  # the live scrapes take over from here
            say(f"writing {DAYS} days × {len(names)} environments of history as TSDB blocks ...")
            started = time.perf_counter()
            text = openmetrics(names, end - DAYS * 86400, end, STEP)
            write_blocks(text, tmp / "tsdb", tmp)
            say(f"  {text.count(chr(10)):,} samples in {time.perf_counter() - started:.1f} s")
            with pollers(1, fleet.config, tmp) as (metrics,):
                target = metrics.removeprefix("http://").removesuffix("/metrics")
                with prometheus(target, tmp) as url:
                    config = reader_config(tmp / "reader.toml", names, url)
                    env = dashboard_env(tmp / "dash")
                    cache = Path(env["XDG_STATE_HOME"])
                    first_frame(umig_tui, config, env)  # warm-up: bytecode, page cache
                    cold: list[tuple[float, float]] = []
                    warm: list[tuple[float, float]] = []
                    for i in range(args.runs):
                        for db in cache.rglob("prometheus-*.db*"):
                            db.unlink()
                        cold.append(first_frame(umig_tui, config, env))
                        warm.append(first_frame(umig_tui, config, env))
                        say(
                            f"  run {i + 1}: cold frame {cold[-1][0]:.2f} s, history "
                            f"{cold[-1][1]:.2f} s; warm {warm[-1][0]:.2f} / {warm[-1][1]:.2f} s"
                        )
            direct_env = dashboard_env(tmp / "direct")
            direct_frame(umig_tui, fleet.config, direct_env)  # warm-up
            direct = [direct_frame(umig_tui, fleet.config, direct_env) for _ in range(args.runs)]
            say(f"  polling directly: {spread(direct)}")
    for label, runs in (("cold cache (first run: 7 days)", cold), ("warm cache", warm)):
        histories = [h for _, h in runs]
        frames = [f for f, _ in runs]
        rows.append(
            info(
                f"dashboard via Prometheus, {label}: spawn → first frame showing the history, "
                "4 envs, 120×40 pty",
                statistics.median(histories),
                "s",
                spread(histories)
                + f"; every version on screen: median {statistics.median(frames):.3f} s",
            )
        )
    rows.append(
        info(
            "for reference, polling the same fleet directly: spawn → every version on screen",
            statistics.median(direct),
            "s",
            spread(direct) + "; the same machine and moment",
        )
    )
    return rows


if __name__ == "__main__":
    sys.exit(cli("bench_prometheus_source", main))
