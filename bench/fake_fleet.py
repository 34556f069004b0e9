"""An independent fake fleet: the demo-server's answers, captured once, served from memory.

The demo-server builds every answer (the simulator's documents, JSON, h11): ~0.6–0.95 ms of
CPU per request, on the same two CPUs as the `status` being timed. A real fleet's servers are
other machines. This fleet takes next to no CPU, so `status` against it shows what `status`
costs by itself (issue 17's figures were measured against such a fleet).

``capture`` asks a running demo fleet, once, for every path `status` may ask (the profile's
requests, fallbacks included, and every detection candidate) and keeps each answer's status,
content type and body. ``main`` serves them: one port per environment as the demo-server
has, HTTP/1.1 with keep-alive, every answer after ``--latency``, 404 for anything else. It
writes a config naming its own ports and prints ``ready``.

    .venv/bin/python bench/fake_fleet.py CAPTURED.json CONFIG_OUT.toml --latency 0.1
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import contextlib
import http.client
import json
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

NOT_FOUND = (
    b"HTTP/1.1 404 Not Found\r\ncontent-type: text/plain\r\ncontent-length: 9\r\n\r\nnot found"
)


def paths_status_may_ask(profile: str) -> list[str]:
    """Below the API prefix: the profile's requests (fallbacks too) and the detection probes."""
    from umig_tui.models import MONITORED_ENDPOINTS
    from umig_tui.sources.profiles.admin_v2 import ADMIN_V2
    from umig_tui.sources.profiles.detect import CANDIDATES
    from umig_tui.sources.profiles.us088 import US088_FLAT, US088_SLASH

    speaks = {"us088": US088_SLASH, "us088-scriptrunner": US088_FLAT, "umig-admin-v2": ADMIN_V2}
    paths = [c.path for c in CANDIDATES]
    for signal in MONITORED_ENDPOINTS:
        paths += [request.path for request in speaks[profile].requests(signal)]
    return list(dict.fromkeys(paths))


def _get(host: str, port: int, target: str) -> tuple[int, str, str, str]:
    connection = http.client.HTTPConnection(host, port, timeout=30)
    try:
        connection.request("GET", target)
        response = connection.getresponse()
        body = response.read()
        kind = response.getheader("content-type", "application/json")
        return response.status, response.reason, kind, body.decode("latin-1")
    finally:
        connection.close()


def capture(config: Path, profile: str, out: Path) -> int:
    """Every answer `status` may get from the fleet in ``config``, into ``out`` (JSON)."""
    from umig_tui.service.setup import load_fleet

    asks: list[tuple[str, str, int, str]] = []  # env, host, port, target
    for env in load_fleet(str(config)).environments:
        for path in paths_status_may_ask(profile):
            url = urlsplit(env.endpoint_url(path))
            target = url.path + (f"?{url.query}" if url.query else "")
            asks.append((env.url, url.hostname or "127.0.0.1", url.port or 80, target))
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(lambda ask: _get(*ask[1:]), asks))
    captured = [
        {
            "url": url,
            "target": target,
            "status": status,
            "reason": reason,
            "type": kind,
            "body": body,
        }
        for (url, _, _, target), (status, reason, kind, body) in zip(asks, answers, strict=True)
    ]
    out.write_text(json.dumps(captured), encoding="utf-8")
    return len(captured)


def response_bytes(answer: dict[str, object]) -> bytes:
    body = str(answer["body"]).encode("latin-1")
    head = (
        f"HTTP/1.1 {answer['status']} {answer['reason']}\r\n"
        f"content-type: {answer['type']}\r\ncontent-length: {len(body)}\r\n\r\n"
    )
    return head.encode("latin-1") + body


class _Answering(asyncio.Protocol):
    """Reads request heads (GET, no body) and answers each after the latency, in order."""

    def __init__(self, answers: dict[bytes, bytes], latency: float) -> None:
        self.answers = answers
        self.latency = latency
        self.pending = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.pending += data
        while b"\r\n\r\n" in self.pending:
            head, _, self.pending = self.pending.partition(b"\r\n\r\n")
            target = head.split(b" ", 2)[1] if head.count(b" ") >= 2 else b""
            close = b"\r\nconnection: close" in head.lower()
            answer = self.answers.get(target, NOT_FOUND)
            asyncio.get_running_loop().call_later(self.latency, self._send, answer, close)

    def _send(self, answer: bytes, close: bool) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(answer)
            if close:
                self.transport.close()


def moved_config(config: str, moved: dict[str, str]) -> str:
    """``config`` with each environment's ``url`` replaced by ``moved[url]``, in one pass: the
    stopped demo-server's ports are free again, so a new port may be another environment's old
    one (replacing one URL at a time moved both)."""
    missing = set(moved) - set(re.findall(r'url = "([^"]*)"', config))
    if missing:
        raise SystemExit(f"fake_fleet: {sorted(missing)[0]} is not in the demo fleet's config")
    return re.sub(r'url = "([^"]*)"', lambda m: f'url = "{moved.get(m[1], m[1])}"', config)


async def serve(
    captured: list[dict[str, object]], config_in: str, out: Path, latency: float
) -> None:
    by_url: dict[str, dict[bytes, bytes]] = {}
    for answer in captured:
        by_url.setdefault(str(answer["url"]), {})[str(answer["target"]).encode()] = response_bytes(
            answer
        )
    loop = asyncio.get_running_loop()
    servers = []
    moved: dict[str, str] = {}
    for url, answers in by_url.items():
        server = await loop.create_server(
            lambda answers=answers: _Answering(answers, latency), "127.0.0.1", 0, backlog=2048
        )
        servers.append(server)
        moved[url] = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    out.write_text(moved_config(config_in, moved), encoding="utf-8")  # noqa: ASYNC240 - once
    print("ready", flush=True)
    await asyncio.Event().wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("captured", type=Path)
    parser.add_argument("config_out", type=Path)
    parser.add_argument("--config-in", type=Path, required=True, help="the demo fleet's config")
    parser.add_argument("--latency", type=float, default=0.1, help="seconds before each answer")
    args = parser.parse_args(argv)
    captured = json.loads(args.captured.read_text(encoding="utf-8"))
    config_in = args.config_in.read_text(encoding="utf-8")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(captured, config_in, args.config_out, args.latency))
    return 0


@contextlib.contextmanager
def fake_fleet(
    umig_tui: Path, *, envs: int, latency: float, profile: str, workdir: Path
) -> Iterator[tuple[subprocess.Popen[str], Path]]:
    """A demo fleet's answers captured (its demo-server stopped afterwards) and served by a
    fake fleet process: (the process, its config)."""
    from benchlib import BenchError, demo_fleet, stop_process, venv_python

    workdir.mkdir(parents=True, exist_ok=True)
    captured = workdir / "captured.json"
    with demo_fleet(
        umig_tui,
        envs=envs,
        latency="0ms",
        workdir=workdir,
        extra=["--profile", profile, "--probe-delay", "0"],
    ) as source:
        capture(source.config, profile, captured)
        config_in = source.config
    config = workdir / "fake-fleet.toml"
    process = subprocess.Popen(
        [
            *(str(venv_python()), __file__, str(captured), str(config)),
            *("--config-in", str(config_in), "--latency", str(latency)),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        ready = threading.Event()
        lines: list[str] = []

        def wait_ready() -> None:
            assert process.stdout is not None
            for line in process.stdout:
                lines.append(line)
                if line.strip() == "ready":
                    ready.set()
            ready.set()

        threading.Thread(target=wait_ready, daemon=True).start()
        if not ready.wait(60) or process.poll() is not None:
            raise BenchError("the fake fleet did not start:\n" + "".join(lines[-20:]))
        yield process, config
    finally:
        stop_process(process)


if __name__ == "__main__":
    sys.exit(main())
