"""A lean HTTP/1.1 client transport on asyncio streams and h11, for the monitor's many small GETs.

httpx's default transport (httpcore on anyio) costs ~3 ms of CPU per request, and httpx's
client layer a third of a poll; polling 50 environments every few seconds, or one ``status`` of
200 requests, was dominated by them. ``UmigClient`` calls this one directly: a keep-alive pool
per origin, TLS with the caller's SSLContext, a retry when a pooled connection turns out to be
closed. It loads neither httpx nor anything of it (~30 ms of imports a ``status`` no longer
pays); its errors carry httpx's names (sources/transport_errors.py). Bodies stream, so the
caller's size cap applies while reading. The caller bounds each request's total time
(``UmigClient`` wraps every fetch in ``asyncio.timeout``); this transport applies the connect
timeout itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import h11

from umig_tui.sources.transport_errors import (
    ConnectError,
    ConnectTimeout,
    LocalProtocolError,
    ReadError,
    RemoteProtocolError,
    UnsupportedProtocol,
)

if TYPE_CHECKING:
    from umig_tui.sources.target import Target

_READ = 65536
_MAX_IDLE_PER_ORIGIN = 4
# Request heads kept, validated, for the next poll of the same URL with the same headers (h11
# checks every header of every request it is given: 6 % of the dashboard's CPU at 50 envs).
_MAX_KEPT_HEADS = 1024

Origin = tuple[str, str, int]


class _Connection:
    __slots__ = ("h11", "reader", "reused", "writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.h11 = h11.Connection(h11.CLIENT)
        self.reused = False

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.writer.close()

    async def next_event(self) -> Any:
        while True:
            try:
                event = self.h11.next_event()
            except h11.RemoteProtocolError as exc:
                raise RemoteProtocolError(str(exc)) from exc
            if event is not h11.NEED_DATA:
                return event
            data = await self.reader.read(_READ)
            try:
                self.h11.receive_data(data)
            except h11.RemoteProtocolError as exc:
                raise RemoteProtocolError(str(exc)) from exc


class ResponseBody:
    """A response's body as it arrives; closed, its connection goes back to the pool."""

    def __init__(self, transport: StreamTransport, origin: Origin, connection: _Connection) -> None:
        self._transport = transport
        self._origin = origin
        self._connection = connection
        self._complete = False
        self._closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        connection = self._connection
        try:
            while True:
                event = await connection.next_event()
                if isinstance(event, h11.Data):
                    yield bytes(event.data)
                elif isinstance(event, h11.EndOfMessage):
                    self._complete = True
                    return
                elif isinstance(event, h11.ConnectionClosed):
                    raise RemoteProtocolError(
                        "peer closed connection without sending complete message body"
                    )
        except (ConnectionError, OSError) as exc:
            raise ReadError(str(exc) or type(exc).__name__) from exc

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        connection = self._connection
        state = connection.h11
        if self._complete and state.our_state is h11.DONE and state.their_state is h11.DONE:
            state.start_next_cycle()
            self._transport._release(self._origin, connection)
        else:
            connection.close()


class StreamTransport:
    """HTTP/1.1 over asyncio streams; ``verify`` is the SSLContext for https origins."""

    def __init__(
        self, verify: ssl.SSLContext | None = None, *, connect_timeout: float = 10.0
    ) -> None:
        self._ssl = verify
        self._connect_timeout = connect_timeout
        self._idle: dict[Origin, list[_Connection]] = {}
        self._heads: dict[tuple[bytes, bytes, tuple[tuple[bytes, bytes], ...]], h11.Request] = {}
        self._closed = False

    def _head(
        self, method: str | bytes, target: bytes, headers: list[tuple[bytes, bytes]]
    ) -> h11.Request:
        """The request head, validated once per method, target and headers (h11's events are
        immutable: one serves every poll that sends the same)."""
        verb = method.encode("ascii") if isinstance(method, str) else method
        key = (verb, target, tuple(headers))
        head = self._heads.get(key)
        if head is None:
            head = h11.Request(method=verb, target=target, headers=headers)
            if len(self._heads) >= _MAX_KEPT_HEADS:
                self._heads.clear()
            self._heads[key] = head
        return head

    def _release(self, origin: Origin, connection: _Connection) -> None:
        idle = self._idle.setdefault(origin, [])
        if self._closed or len(idle) >= _MAX_IDLE_PER_ORIGIN or connection.reader.at_eof():
            connection.close()
            return
        connection.reused = True
        idle.append(connection)

    async def _connect(self, origin: Origin, limit: float) -> _Connection:
        scheme, host, port = origin
        context: ssl.SSLContext | None = None
        if scheme == "https":
            context = self._ssl or ssl.create_default_context()
        stage = "connect"
        try:
            async with asyncio.timeout(limit):
                reader, writer = await asyncio.open_connection(host, port, limit=_READ * 4)
                if context is not None:
                    stage = "tls"
                    await writer.start_tls(context, server_hostname=host)
        except TimeoutError:
            what = "TLS handshake did not complete" if stage == "tls" else "connect timed out"
            raise ConnectTimeout(f"{what} after {limit:g}s") from None
        except ssl.SSLError as exc:
            raise ConnectError(str(exc) or type(exc).__name__) from exc
        except OSError as exc:
            if stage == "tls" and isinstance(
                exc, ConnectionResetError | ConnectionAbortedError | BrokenPipeError
            ):
                # Closed during the handshake: typically an https URL pointing at plain HTTP.
                raise ConnectError(
                    "TLS handshake failed: the server closed the connection (is it a plain HTTP port?)"
                ) from None
            raise ConnectError(str(exc) or type(exc).__name__) from exc
        sock = writer.get_extra_info("socket")
        if sock is not None:
            import socket

            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return _Connection(reader, writer)

    async def open(
        self,
        method: str | bytes,
        target: Target,
        headers: list[tuple[bytes, bytes]],
        body: bytes = b"",
        *,
        connect_timeout: float | None = None,
    ) -> tuple[h11.Response, ResponseBody]:
        """Send one request; the response head and its body stream (close it when done)."""
        if self._closed:
            raise ConnectError("transport is closed")
        where = target.origin
        scheme = where.scheme
        if scheme not in ("http", "https"):
            raise UnsupportedProtocol(f"unsupported scheme {scheme!r}")
        origin: Origin = (scheme, where.host, where.port)
        # A pooled connection may have been closed by the server while idle: then (and only
        # then, before any response byte) the request is retried once on a fresh connection.
        for attempt in (1, 2):
            idle = self._idle.get(origin)
            if idle:
                connection = idle.pop()
            else:
                connection = await self._connect(origin, connect_timeout or self._connect_timeout)
            try:
                return await self._exchange(method, target, headers, body, origin, connection)
            except _StaleConnection:
                connection.close()
                for other in self._idle.pop(origin, []):  # its siblings are likely dead too
                    other.close()
                if attempt == 2:
                    break
        raise RemoteProtocolError("Server disconnected without sending a response.")

    async def _exchange(
        self,
        method: str | bytes,
        target: Target,
        headers: list[tuple[bytes, bytes]],
        body: bytes,
        origin: Origin,
        connection: _Connection,
    ) -> tuple[h11.Response, ResponseBody]:
        state = connection.h11
        if body:
            headers = [(n, v) for n, v in headers if n.lower() != b"content-length"]
            headers.append((b"content-length", str(len(body)).encode()))
        try:
            data = state.send(self._head(method, target.raw_path, headers))
            if body:
                data += state.send(h11.Data(data=body)) or b""
            data += state.send(h11.EndOfMessage()) or b""
        except h11.LocalProtocolError as exc:
            connection.close()
            raise LocalProtocolError(str(exc)) from exc
        try:
            connection.writer.write(data or b"")
            await connection.writer.drain()
            while True:
                event = await connection.next_event()
                if isinstance(event, h11.InformationalResponse):
                    continue
                if isinstance(event, h11.Response):
                    break
                if isinstance(event, h11.ConnectionClosed):
                    if connection.reused:
                        raise _StaleConnection
                    connection.close()
                    raise RemoteProtocolError("Server disconnected without sending a response.")
        except (ConnectionError, OSError) as exc:
            if connection.reused and isinstance(exc, ConnectionResetError | BrokenPipeError):
                raise _StaleConnection from exc
            connection.close()
            raise ReadError(str(exc) or type(exc).__name__) from exc
        except RemoteProtocolError as exc:
            closed = connection.reader.at_eof()
            connection.close()
            if connection.reused:
                raise _StaleConnection from exc
            if closed:  # h11 reports a close before any response as a protocol error
                raise RemoteProtocolError(
                    "Server disconnected without sending a response."
                ) from None
            raise RemoteProtocolError(str(exc)) from exc
        except BaseException:
            connection.close()  # cancelled or timed out mid-exchange: the connection is unusable
            raise
        return event, ResponseBody(self, origin, connection)

    async def aclose(self) -> None:
        self._closed = True
        for connections in self._idle.values():
            for connection in connections:
                connection.close()
        self._idle.clear()


class _StaleConnection(Exception):
    """A reused keep-alive connection was already closed by the server."""
