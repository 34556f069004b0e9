"""``demo-server``: the simulated fleet over real HTTP on loopback (asyncio + h11).

One base URL per environment: ``http://127.0.0.1:P/<env>`` on one port, or one port per
environment with ``port_per_env`` (then ``refused`` really closes that environment's port).
Control: ``GET /_control`` lists environments; ``POST /_control/<env>`` with a JSON command
(``{"fault": "http500"}``, ``{"version": "1.2.0", "after": "5s"}``, ``{"status": "unhealthy"}``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import struct
import threading
from collections import deque
from typing import Any
from urllib.parse import unquote

import h11
import msgspec

from umig_tui.demo.faults import SimResponse
from umig_tui.demo.simulator import Simulator
from umig_tui.util.httpserve import read_request, send_response

_MAX_CONTROL_BODY = 64 * 1024
_RECORDED = 2000
# A one-shot `status` connects for every signal of every environment at once (asyncio's default
# of 100 on the one port drops the rest of a burst, and each dropped connect waits 1 s to retry).
_BACKLOG = 2048


class SeenRequest(msgspec.Struct, frozen=True):
    """A request as the server received it (tests check headers: auth, User-Agent)."""

    env: str | None  # the environment it was addressed to; None for the control API
    method: str
    target: str
    headers: tuple[tuple[str, str], ...]

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((v for k, v in self.headers if k == wanted), None)


class DemoServer:
    def __init__(
        self,
        simulator: Simulator,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        port_per_env: bool = False,
    ) -> None:
        self.simulator = simulator
        self.host = host
        self.port = port
        self.port_per_env = port_per_env
        self._main: asyncio.Server | None = None
        self._env_servers: dict[str, asyncio.Server] = {}
        self._env_ports: dict[str, int] = {}
        self._held: dict[str, socket.socket] = {}  # ports of refusing environments, kept
        self._connections: dict[asyncio.StreamWriter, str | None] = {}
        self._handlers: set[asyncio.Task[None]] = set()
        self._stopping = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        # The newest requests, bounded so a long demo run does not grow.
        self.requests: deque[SeenRequest] = deque(maxlen=_RECORDED)
        self.served = 0  # every environment request since start (benchmarks count the load)

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._main = await asyncio.start_server(
            self._client(None), self.host, self.port, backlog=_BACKLOG
        )
        self.port = self._main.sockets[0].getsockname()[1]
        if self.port_per_env:
            for name in self.simulator.names:
                await self._open_env(name)
                self._on_fault_change(name)  # a fault injected before start applies now
            self.simulator.listeners.append(self._on_fault_change)

    async def _open_env(self, name: str) -> None:
        server = await asyncio.start_server(
            self._client(name), self.host, self._env_ports.get(name, 0), backlog=_BACKLOG
        )
        self._env_servers[name] = server
        self._env_ports[name] = server.sockets[0].getsockname()[1]

    def _on_fault_change(self, env: str) -> None:
        refused = self.simulator.envs[env].faults.get("*") == "refused"
        if refused and env in self._env_servers:
            self._env_servers.pop(env).close()
            # Keep the port: a bound socket that does not listen refuses every connection, and
            # no other server (another test's, on a busy machine) can take the port meanwhile
            # and answer for this environment.
            self._held[env] = _hold_port(self.host, self._env_ports[env])
            for writer, owner in list(self._connections.items()):
                if owner == env:
                    _reset(writer)
        elif not refused and env not in self._env_servers and self._loop is not None:
            held = self._held.pop(env, None)
            if held is not None:
                held.close()
            self._loop.create_task(self._open_env(env))

    async def stop(self) -> None:
        self._stopping.set()
        for held in self._held.values():
            held.close()
        self._held.clear()
        servers = [s for s in [self._main, *self._env_servers.values()] if s is not None]
        for server in servers:
            server.close()
        for writer in list(self._connections):
            writer.close()
        handlers = list(self._handlers)
        for task in handlers:
            task.cancel()
        if handlers:
            await asyncio.gather(*handlers, return_exceptions=True)
        for server in servers:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), 2)

    async def __aenter__(self) -> DemoServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def env_url(self, name: str) -> str:
        if self.port_per_env:
            return f"http://{self.host}:{self._env_ports[name]}"
        return f"{self.base_url}/{name}"

    def env_urls(self) -> dict[str, str]:
        return {name: self.env_url(name) for name in self.simulator.names}

    # -- connections --------------------------------------------------------------------------

    def _client(self, env: str | None) -> Any:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self._connections[writer] = env
            task = asyncio.current_task()
            if task is not None:
                self._handlers.add(task)
                task.add_done_callback(self._handlers.discard)
            try:
                await self._serve(reader, writer, env)
            except (ConnectionError, h11.ProtocolError, asyncio.IncompleteReadError):
                pass
            except asyncio.CancelledError:
                # Shutting down. Finish normally: on 3.11 the streams callback calls
                # task.exception(), which raises for a cancelled task.
                pass
            finally:
                self._connections.pop(writer, None)
                with contextlib.suppress(Exception):
                    writer.close()

        return handle

    async def _serve(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, env: str | None
    ) -> None:
        conn = h11.Connection(h11.SERVER)
        while not self._stopping.is_set():
            request, body = await read_request(conn, reader, max_body=_MAX_CONTROL_BODY)
            if request is None:
                return
            target = unquote(request.target.decode("latin-1"))
            method = request.method.decode()
            if env is None and target.startswith("/_control"):
                status, payload = self._control(method, target, body)
                await _send(conn, writer, SimResponse(status=status, body=payload))
            else:
                if env is None:
                    name, _, rest = target.lstrip("/").partition("/")
                    path = "/" + rest
                else:
                    name, path = env, target
                self.served += 1
                self.requests.append(
                    SeenRequest(
                        name,
                        method,
                        target,
                        tuple(
                            (k.decode("latin-1").lower(), v.decode("latin-1"))
                            for k, v in request.headers
                        ),
                    )
                )
                answer = self.simulator.respond(name, path)
                if not await self._misbehave(answer, reader, writer):
                    return
                if answer.delay:
                    await asyncio.sleep(answer.delay)
                if answer.action == "truncate":
                    await _send_truncated(conn, writer, answer)
                    return
                await _send(conn, writer, answer, head=method == "HEAD")
            if conn.our_state is h11.MUST_CLOSE:
                return
            conn.start_next_cycle()

    async def _misbehave(
        self, answer: SimResponse, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        """Socket-level faults; False when the connection is finished."""
        if answer.action in ("refused", "reset"):
            _reset(writer)
            return False
        if answer.action == "hang":
            eof = asyncio.ensure_future(reader.read())
            stop = asyncio.ensure_future(self._stopping.wait())
            await asyncio.wait({eof, stop}, return_when=asyncio.FIRST_COMPLETED)
            eof.cancel()
            stop.cancel()
            return False
        return True

    def _control(self, method: str, target: str, body: bytes) -> tuple[int, bytes]:
        parts = target.strip("/").split("/")
        if method == "GET" and len(parts) == 1:
            envs = [
                {
                    "name": s.name,
                    "tier": str(s.tier),
                    "url": self.env_url(s.name),
                    "faults": s.faults,
                }
                for s in self.simulator.envs.values()
            ]
            return 200, json.dumps({"environments": envs}).encode()
        if method == "POST" and len(parts) == 2:
            try:
                command = json.loads(body or b"{}")
                if not isinstance(command, dict):
                    raise ValueError("the command must be a JSON object")
                self.simulator.control(parts[1], command)
            except (ValueError, KeyError, TypeError, ArithmeticError) as exc:
                return 400, json.dumps({"error": str(exc.args[0] if exc.args else exc)}).encode()
            return 200, json.dumps({"ok": True, "environment": parts[1]}).encode()
        return 404, json.dumps({"error": "use GET /_control or POST /_control/<env>"}).encode()


def _headers(answer: SimResponse) -> list[tuple[str, str]]:
    return [*answer.headers, ("server", "umig-demo")]


async def _send(
    conn: h11.Connection, writer: asyncio.StreamWriter, answer: SimResponse, *, head: bool = False
) -> None:
    await send_response(
        conn,
        writer,
        answer.status,
        _headers(answer),
        answer.body,
        chunked=answer.chunked,
        head=head,
    )


async def _send_truncated(
    conn: h11.Connection, writer: asyncio.StreamWriter, answer: SimResponse
) -> None:
    """Declare the whole body, send half of it, close: a transfer cut short."""
    headers = [*_headers(answer), ("content-length", str(len(answer.body)))]
    writer.write(conn.send(h11.Response(status_code=answer.status, headers=headers, reason=b"OK")))
    writer.write(answer.body[: len(answer.body) // 2])
    await writer.drain()
    writer.close()


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with RST (SO_LINGER 0), as a crashed server or a firewall would."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport = writer.transport
    transport.abort()


class ServerThread:
    """A DemoServer on its own event loop in a background thread (tests and benchmarks)."""

    def __init__(self, simulator: Simulator, *, port_per_env: bool = False) -> None:
        self.simulator = simulator
        self.port_per_env = port_per_env
        self.loop = asyncio.new_event_loop()
        self.server: DemoServer | None = None
        self._thread = threading.Thread(
            target=self.loop.run_forever, name="demo-server", daemon=True
        )

    def __enter__(self) -> ServerThread:
        self._thread.start()
        self.server = DemoServer(self.simulator, port_per_env=self.port_per_env)
        asyncio.run_coroutine_threadsafe(self.server.start(), self.loop).result(10)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.server is not None
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(self.server.stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()

    def call(self, function: Any, *args: Any, **kwargs: Any) -> Any:
        """Run ``function`` on the server's loop (the simulator is not thread-safe)."""

        async def run() -> Any:
            return function(*args, **kwargs)

        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(10)

    def control(self, env: str, **command: Any) -> None:
        self.call(self.simulator.control, env, command)

    def requests(self) -> list[SeenRequest]:
        """The requests the server has received so far (the newest ones, oldest first)."""
        assert self.server is not None
        return list(self.call(list, self.server.requests))

    def env_urls(self) -> dict[str, str]:
        assert self.server is not None
        return self.server.env_urls()


def _hold_port(host: str, port: int) -> socket.socket:
    """``port`` bound and not listening: connections are refused, the port stays ours."""
    held = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    held.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    held.bind((host, port))
    return held
