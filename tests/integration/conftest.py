"""Helpers for the loopback integration tests: run the CLI, talk to the control API, tiny servers."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import subprocess
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, fields, is_dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import msgspec

from tests.conftest import UMIG_TUI, cli_env
from umig_tui.config import Polling, load_config
from umig_tui.models import Endpoint, PollResult
from umig_tui.service.runtime import open_monitor

# C0 and C1 controls and DEL: none may reach a terminal from the wire.
CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f]")

FAST_POLLING = (
    '[polling]\ntimeout = "1s"\nhealth = "2s"\nmetrics = "2s"\ncomponents = "2s"\nversion = "2s"\n'
)


def run_cli(
    *args: str | Path, env: dict[str, str] | None = None, timeout: float = 30
) -> subprocess.CompletedProcess[str]:
    """``umig-tui ARGS`` as a subprocess; never a traceback, whatever the outcome."""
    proc = subprocess.run(
        [*UMIG_TUI, *map(str, args)],
        capture_output=True,
        text=True,
        env=env if env is not None else cli_env(),
        timeout=timeout,
        check=False,
    )
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr
    return proc


def status_json(config: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    """``status --json`` against ``config`` without recording: (exit code, document)."""
    proc = run_cli("status", "--config", config, "--json", "--no-store", *extra)
    assert proc.stdout, proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def by_name(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {env["name"]: env for env in document["environments"]}


def assert_clean_line(text: str, *, limit: int = 160) -> None:
    """A message for humans: one short line, nothing a terminal would interpret."""
    assert text, "empty message"
    assert "\n" not in text, repr(text)
    assert "\r" not in text, repr(text)
    assert not CONTROL_CHARS.search(text), repr(text)
    assert len(text) < limit, f"{len(text)} chars: {text!r}"


def strings_in(value: Any) -> Iterator[str]:
    """Every string inside a parsed document (structs, dataclasses, tuples, mappings)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, msgspec.Struct):
        for name in value.__struct_fields__:
            yield from strings_in(getattr(value, name))
    elif is_dataclass(value) and not isinstance(value, type):
        for f in fields(value):
            yield from strings_in(getattr(value, f.name))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from strings_in(key)
            yield from strings_in(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from strings_in(item)


async def poll_config(
    config_path: Path,
    endpoints: tuple[Endpoint, ...],
    *,
    environ: dict[str, str] | None = None,
) -> dict[tuple[str, Endpoint], PollResult]:
    """One concurrent poll cycle through the real runtime (config → clients → poller)."""
    environ = environ or {}
    config = load_config(str(config_path), environ=environ)
    monitor = await open_monitor(config, environ=environ, use_store=False, endpoints=endpoints)
    try:
        results = await monitor.poll_once()
    finally:
        await monitor.aclose()
    return {(r.env, r.endpoint): r for r in results}


def control(base_url: str, env: str, payload: Any, *, raw: bytes | None = None) -> tuple[int, Any]:
    """``POST /_control/<env>``: (HTTP status, decoded JSON answer)."""
    body = raw if raw is not None else json.dumps(payload).encode()
    request = urllib.request.Request(f"{base_url}/_control/{env}", data=body, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read())


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


class FakeClock:
    """A clock the test moves by hand: the simulator's story without the waiting."""

    def __init__(self, start: float = 1_730_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@dataclass
class RawServer:
    """A tiny HTTP/1.1 server on loopback that answers with whatever ``handler`` writes.

    For answers the demo-server does not script (an endless body, a redirect to another host).
    Each request's head is recorded.
    """

    handler: Handler
    url: str = ""
    heads: list[bytes] | None = None
    _server: asyncio.Server | None = None

    async def __aenter__(self) -> RawServer:
        self.heads = []
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._server.wait_closed(), 2)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            assert self.heads is not None
            self.heads.append(head)
            await self.handler(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            writer.close()


@dataclass
class ForwardProxy:
    """A plain HTTP forward proxy on loopback (``HTTP_PROXY=http://127.0.0.1:P``): it makes
    the client's httpx path real, the one every proxied jump host takes. One upstream
    connection per request; it counts what it forwarded."""

    url: str = ""
    forwarded: int = 0
    _server: asyncio.Server | None = None

    async def __aenter__(self) -> ForwardProxy:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._server.wait_closed(), 2)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream: asyncio.StreamWriter | None = None
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            request_line, *header_lines = head.decode("latin-1").split("\r\n")
            method, target, version = request_line.split(" ", 2)
            parts = urlsplit(target)  # absolute-form: http://host:port/path?query
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            headers = [
                line
                for line in header_lines
                if line and not line.lower().startswith(("connection:", "proxy-", "keep-alive:"))
            ]
            up_reader, upstream = await asyncio.open_connection(parts.hostname, parts.port or 80)
            upstream.write(
                f"{method} {path} {version}\r\n".encode("latin-1")
                + "".join(f"{h}\r\n" for h in headers).encode("latin-1")
                + b"Connection: close\r\n\r\n"
            )
            await upstream.drain()
            self.forwarded += 1
            while chunk := await up_reader.read(65536):
                writer.write(chunk)
                await writer.drain()
        except OSError:
            with contextlib.suppress(OSError):
                writer.write(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n")
        except (asyncio.IncompleteReadError, ValueError, asyncio.CancelledError):
            pass
        finally:
            if upstream is not None:
                upstream.close()
            writer.close()


def small_cap_polling(cap: int) -> Polling:
    """Fast timeouts and a body cap small enough to hit with ordinary documents."""
    return Polling(timeout=1.0, health=2.0, metrics=2.0, max_body_bytes=cap)
