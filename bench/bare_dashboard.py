"""The floor under the dashboard's CPU: a bare Textual app polling the same fleet.

Reads a file of ``host port target`` lines (bench_status.write_bare_requests: four per
environment, health, version, components, metrics) and polls each environment as the dashboard
does at the demo's intervals: health and metrics every ``--fast`` seconds, version and
components every ``--slow``, every environment on one grid, one kept-alive connection per
signal. A response is read with httptools (as umig-tui reads it) and a JSON body decoded;
nothing else is parsed, checked, stored or kept. After each wave one DataTable row per
environment shows its latest latency (most change at every wave, as the dashboard's do), in
a table as wide as the dashboard's panel 1 and as many rows high (13 at 120×40; its other
columns are fixed text), under a Header with its clock, above fixed text. What this costs is what any Textual dashboard of this fleet
pays on this machine (Textual, the event loop, the sockets); umig-tui's figure is that plus
its own work. ``--idle`` shows the same screen and polls nothing: Textual's own floor.

    .venv/bin/python bench/bare_dashboard.py REQUESTS_FILE [--fast 5] [--slow 15] [--idle]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections import defaultdict

import httptools
from textual.app import App, ComposeResult
from textual.widgets import DataTable, Header, Static

FAST = ("health", "metrics")  # the order write_bare_requests lists: health, version, ...
SIGNALS = ("health", "version", "components", "metrics")
# Panel 1's columns; the fixed ones hold text of the width the dashboard's hold.
COLUMNS = ("environment", "tier", "version", "uptime", "deployed", "by", "status", "latency")
FIXED = ("development", "1.3.0-dev+ci.1245", "14d 19h 17m", "14d ago", "deployment-auto…")


class Response:
    """httptools' callbacks for one response: its status and body, and when it is whole."""

    def __init__(self) -> None:
        self.body = bytearray()
        self.done = False
        self.keep_alive = False
        self.parser = httptools.HttpResponseParser(self)

    def on_body(self, body: bytes) -> None:
        self.body += body

    def on_message_complete(self) -> None:
        self.done = True
        self.keep_alive = self.parser.should_keep_alive()  # only known inside the callback


class Signal:
    """One signal of one environment: its kept-alive connection and its request."""

    def __init__(self, host: str, port: int, target: str) -> None:
        self.host, self.port = host, port
        self.request = (
            f"GET {target} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: */*\r\n\r\n"
        ).encode("ascii")
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def fetch(self) -> float:
        """One request; its latency in ms (the connection is opened again if it was closed)."""
        started = time.perf_counter()
        if self.streams is None:
            self.streams = await asyncio.open_connection(self.host, self.port)
        reader, writer = self.streams
        writer.write(self.request)
        response = Response()
        while not response.done:
            chunk = await reader.read(65536)
            if not chunk:
                self.streams = None
                raise ConnectionError("closed before the response ended")
            response.parser.feed_data(chunk)
        if not response.keep_alive:
            writer.close()
            self.streams = None
        if response.body[:1] in (b"{", b"["):
            json.loads(response.body)
        return (time.perf_counter() - started) * 1000


class BareDashboard(App[None]):
    def __init__(self, fleet: dict[str, list[Signal]], args: argparse.Namespace) -> None:
        super().__init__()
        self.fleet, self.args = fleet, args
        self.latency: dict[str, float] = {}
        self.shown: dict[tuple[str, str], str] = {}  # only changed cells are updated
        self.waves = 0

    CSS = "DataTable { height: 15; } Static { height: 1fr; }"

    def compose(self) -> ComposeResult:
        yield Header(show_clock=True)
        yield DataTable()
        yield Static("\n".join(f"a line that does not change: {n}" for n in range(40)))

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for column in COLUMNS:
            table.add_column(column, key=column)
        for env in self.fleet:
            table.add_row(env, *FIXED, "unknown", "", key=env)
        self.title = "bare dashboard"
        if not self.args.idle:
            self.run_worker(self.poll(), exclusive=False)

    async def poll(self) -> None:
        started = time.monotonic()
        wave = 0
        while True:
            slow_too = wave % round(self.args.slow / self.args.fast) == 0
            calls = [
                self.one(env, signal)
                for env, signals in self.fleet.items()
                for name, signal in zip(SIGNALS, signals, strict=True)
                if slow_too or name in FAST
            ]
            await asyncio.gather(*calls)
            self.show()
            wave += 1
            self.waves = wave
            await asyncio.sleep(max(0.0, started + wave * self.args.fast - time.monotonic()))

    async def one(self, env: str, signal: Signal) -> None:
        try:
            self.latency[env] = await signal.fetch()
        except (OSError, ValueError):  # refused, closed, or an answer that is not JSON
            self.latency.pop(env, None)

    def show(self) -> None:
        table = self.query_one(DataTable)
        for env in self.fleet:
            latency = self.latency.get(env)
            cells = {
                "status": "healthy" if latency is not None else "unreachable",
                "latency": f"{latency:.0f} ms" if latency is not None else "",
            }
            for column, text in cells.items():
                if self.shown.get((env, column)) != text:
                    self.shown[env, column] = text
                    table.update_cell(env, column, text)
        up = sum(1 for env in self.fleet if env in self.latency)
        self.sub_title = f"{up} healthy"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("requests", help="host port target lines, four per environment")
    parser.add_argument("--fast", type=float, default=5.0, help="health and metrics (s)")
    parser.add_argument("--slow", type=float, default=15.0, help="version and components (s)")
    parser.add_argument("--idle", action="store_true", help="poll nothing: Textual's floor")
    args = parser.parse_args()
    BareDashboard(read_fleet(args.requests), args).run()


def read_fleet(path: str) -> dict[str, list[Signal]]:
    """Every environment's signals, named by host:port, from ``host port target`` lines."""
    by_env: dict[str, list[Signal]] = defaultdict(list)
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            host, port, target = line.split()
            by_env[f"{host}:{port}"].append(Signal(host, int(port), target))
    return dict(by_env)


if __name__ == "__main__":
    main()
