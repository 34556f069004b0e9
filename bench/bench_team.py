"""Requests per minute reaching the fleet: N engineers polling it directly vs one `serve`
scraped by Prometheus with N engineers reading Prometheus (issue 16).

The fleet is the demo-server (4 environments, one port each) in this process, counting every
request it answers. "Polling directly" is N `umig-tui serve` processes with no /metrics reader:
the same Engine and intervals as the dashboard (the dashboard's polling is that Engine's loops),
without a terminal each, so 20 of them fit on a small machine. "Through Prometheus" is one
`serve`, a real Prometheus scraping it every 5 s (the Debian package; the row says so when it is
absent) and N readers running `umig-tui status --source prometheus=URL --json` in a loop.
Intervals: health and metrics 5 s, components and version 15 s (the demo dashboard's).

    .venv/bin/python bench/bench_team.py [--window 30] [--readers 20]
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from benchlib import ROOT, BenchError, Row, info, stop_process, venv_python

sys.path.insert(0, str(ROOT))

from umig_tui.demo.server import ServerThread
from umig_tui.demo.simulator import Simulator

POLLING = (
    '[polling]\ntimeout = "2s"\nhealth = "5s"\nmetrics = "5s"\ncomponents = "15s"\n'
    'version = "15s"\n'
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_config(path: Path, urls: dict[str, str]) -> Path:
    tiers = {"development", "uat", "production", "hotfix"}
    lines = []
    for name, url in urls.items():
        tier = name if name in tiers else "development"
        lines += ["[[environments]]", f'name = "{name}"', f'url = "{url}"', f'tier = "{tier}"', ""]
    path.write_text("\n".join(lines) + "\n" + POLLING, encoding="utf-8")
    return path


def umig(*args: str) -> list[str]:
    return [str(venv_python()), "-m", "umig_tui", *args]


@contextlib.contextmanager
def pollers(n: int, config: Path, tmp: Path) -> Iterator[list[str]]:
    """``n`` serve processes, each its own poller; yields their /metrics URLs once all answer."""
    procs, urls = [], []
    try:
        for i in range(n):
            port = free_port()
            procs.append(
                subprocess.Popen(
                    umig("serve", f"127.0.0.1:{port}", "--config", str(config), "--store",
                         str(tmp / f"s{i}.db")),
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )  # fmt: skip
            urls.append(f"http://127.0.0.1:{port}/metrics")
        deadline = time.monotonic() + 60
        for url in urls:
            while not answers(url):
                if time.monotonic() > deadline:
                    raise BenchError(f"serve at {url} did not start")
                time.sleep(0.2)
        yield urls
    finally:
        for proc in procs:
            stop_process(proc)


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def per_minute(server: ServerThread, window: float) -> float:
    assert server.server is not None
    before = server.call(lambda: server.server.served)  # type: ignore[union-attr]
    time.sleep(window)
    after = server.call(lambda: server.server.served)  # type: ignore[union-attr]
    return (after - before) * 60.0 / window


@contextlib.contextmanager
def prometheus(target: str, tmp: Path) -> Iterator[str]:
    binary = shutil.which("prometheus") or "/usr/bin/prometheus"
    if not Path(binary).exists():
        raise BenchError("prometheus is not installed (apt-get install prometheus)")
    config = tmp / "prometheus.yml"
    config.write_text(
        "global:\n  scrape_interval: 5s\nscrape_configs:\n  - job_name: umig-tui\n"
        f"    static_configs:\n      - targets: ['{target}']\n",
        encoding="utf-8",
    )
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [binary, f"--config.file={config}", f"--storage.tsdb.path={tmp / 'tsdb'}",
         f"--web.listen-address=127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while not answers(f"{url}/-/ready"):
            if time.monotonic() > deadline:
                raise BenchError("Prometheus did not start")
            time.sleep(0.2)
        time.sleep(6)  # one scrape in
        yield url
    finally:
        stop_process(proc)


@contextlib.contextmanager
def readers(n: int, source: str, tmp: Path) -> Iterator[list[int]]:
    """``n`` threads each running ``status --source`` every 5 s; yields the count of runs."""
    stop = threading.Event()
    runs = [0, 0]  # runs, runs that read the fleet (exit 0 or 1, JSON out)

    def loop(i: int) -> None:
        while not stop.is_set():
            proc = subprocess.run(
                umig("status", "--source", f"prometheus={source}", "--json", "--store",
                     str(tmp / f"r{i}.db")),
                capture_output=True,
                check=False,
            )  # fmt: skip
            runs[0] += 1
            runs[1] += proc.returncode in (0, 1) and proc.stdout.startswith(b"{")
            stop.wait(5)

    threads = [threading.Thread(target=loop, args=(i,), daemon=True) for i in range(n)]
    for thread in threads:
        thread.start()
    try:
        yield runs
    finally:
        stop.set()
        for thread in threads:
            thread.join(60)


def main(argv: list[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--window", type=float, default=30.0, help="seconds counted per case")
    parser.add_argument("--readers", type=int, default=20)
    parser.add_argument("--counts", default="1,5,20", help="direct pollers per case")
    args = parser.parse_args(argv)
    rows: list[Row] = []
    with (
        tempfile.TemporaryDirectory() as tmpdir,
        ServerThread(
            Simulator(4, scenario="static", timeout_hint=2.0), port_per_env=True
        ) as server,
    ):
        tmp = Path(tmpdir)
        config = write_config(tmp / "fleet.toml", server.env_urls())
        for n in [int(c) for c in args.counts.split(",")]:
            (tmp / f"d{n}").mkdir()
            with pollers(n, config, tmp / f"d{n}"):
                time.sleep(3)  # past the first cycle (every signal at once)
                rate = per_minute(server, args.window)
            print(f"{n} dashboards polling directly: {rate:.0f} requests/min", file=sys.stderr)
            rows.append(info(f"fleet requests, {n} dashboards polling directly", rate, "req/min"))
        (tmp / "team").mkdir()
        with pollers(1, config, tmp / "team") as (metrics,):
            target = metrics.removeprefix("http://").removesuffix("/metrics")
            with prometheus(target, tmp) as url, readers(args.readers, url, tmp / "team") as runs:
                time.sleep(3)
                rate = per_minute(server, args.window)
                reads, good = runs
        print(
            f"1 serve + {args.readers} readers of Prometheus: {rate:.0f} requests/min "
            f"({reads} reader runs, {good} read the fleet from Prometheus)",
            file=sys.stderr,
        )
        rows.append(
            info(
                f"fleet requests, 1 serve + {args.readers} dashboards reading Prometheus",
                rate,
                "req/min",
                f"{good} of {reads} `status --source` runs read the fleet; they asked Prometheus only",
            )
        )
    return rows


if __name__ == "__main__":
    for row in main():
        print(row)
