"""A lean httpx transport on asyncio streams and h11, for the monitor's many small GETs.

httpx's default transport (httpcore on anyio) costs ~3 ms of CPU per request; polling 50
environments every few seconds, or one ``status`` of 200 requests, is dominated by it. This one
keeps httpx's client API and exceptions, a keep-alive pool per origin, TLS with the caller's
SSLContext, and retries once when a pooled connection turns out to be closed. Bodies stream, so
the caller's size cap applies while reading. The caller bounds each request's total time
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
import httpx

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
                raise httpx.RemoteProtocolError(str(exc)) from exc
            if event is not h11.NEED_DATA:
                return event
            data = await self.reader.read(_READ)
            try:
                self.h11.receive_data(data)
            except h11.RemoteProtocolError as exc:
                raise httpx.RemoteProtocolError(str(exc)) from exc


class ResponseBody(httpx.AsyncByteStream):
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
                    raise httpx.RemoteProtocolError(
                        "peer closed connection without sending complete message body"
                    )
        except (ConnectionError, OSError) as exc:
            raise httpx.ReadError(str(exc) or type(exc).__name__) from exc

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


class StreamTransport(httpx.AsyncBaseTransport):
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

    async def _connect(
        self, origin: Origin, limit: float, request: httpx.Request | None
    ) -> _Connection:
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
            raise httpx.ConnectTimeout(f"{what} after {limit:g}s", request=request) from None
        except ssl.SSLError as exc:
            raise httpx.ConnectError(str(exc) or type(exc).__name__, request=request) from exc
        except OSError as exc:
            if stage == "tls" and isinstance(
                exc, ConnectionResetError | ConnectionAbortedError | BrokenPipeError
            ):
                # Closed during the handshake: typically an https URL pointing at plain HTTP.
                raise httpx.ConnectError(
                    "TLS handshake failed: the server closed the connection (is it a plain HTTP port?)",
                    request=request,
                ) from None
            raise httpx.ConnectError(str(exc) or type(exc).__name__, request=request) from exc
        sock = writer.get_extra_info("socket")
        if sock is not None:
            import socket

            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return _Connection(reader, writer)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = b""
        if request.method not in ("GET", "HEAD"):
            body = b"".join([chunk async for chunk in request.stream])  # type: ignore[union-attr]
        timeouts = request.extensions.get("timeout") or {}
        event, stream = await self.open(
            request.method,
            request.url,
            list(request.headers.raw),
            body,
            connect_timeout=timeouts.get("connect"),
            request=request,
        )
        return httpx.Response(
            event.status_code,
            headers=list(event.headers),
            stream=stream,
            extensions={"reason_phrase": bytes(event.reason), "http_version": b"HTTP/1.1"},
            request=request,
        )

    async def open(
        self,
        method: str | bytes,
        url: httpx.URL | Target,
        headers: list[tuple[bytes, bytes]],
        body: bytes = b"",
        *,
        connect_timeout: float | None = None,
        request: httpx.Request | None = None,
    ) -> tuple[h11.Response, ResponseBody]:
        """Send one request; the response head and its body stream (close it when done).

        The monitor's clients call this directly: httpx's client layer (request and response
        models, cookies, auth flow) is a third of the CPU of a poll. Errors are httpx's.
        """
        if self._closed:
            raise httpx.ConnectError("transport is closed", request=request)
        scheme = url.scheme
        if scheme not in ("http", "https"):
            raise httpx.UnsupportedProtocol(f"unsupported scheme {scheme!r}", request=request)
        origin: Origin = (scheme, url.host, url.port or (443 if scheme == "https" else 80))
        # A pooled connection may have been closed by the server while idle: then (and only
        # then, before any response byte) the request is retried once on a fresh connection.
        for attempt in (1, 2):
            idle = self._idle.get(origin)
            if idle:
                connection = idle.pop()
            else:
                connection = await self._connect(
                    origin, connect_timeout or self._connect_timeout, request
                )
            try:
                return await self._exchange(method, url, headers, body, origin, connection, request)
            except _StaleConnection:
                connection.close()
                for other in self._idle.pop(origin, []):  # its siblings are likely dead too
                    other.close()
                if attempt == 2:
                    break
        raise httpx.RemoteProtocolError(
            "Server disconnected without sending a response.", request=request
        )

    async def _exchange(
        self,
        method: str | bytes,
        url: httpx.URL | Target,
        headers: list[tuple[bytes, bytes]],
        body: bytes,
        origin: Origin,
        connection: _Connection,
        request: httpx.Request | None,
    ) -> tuple[h11.Response, ResponseBody]:
        state = connection.h11
        if body:
            headers = [(n, v) for n, v in headers if n.lower() != b"content-length"]
            headers.append((b"content-length", str(len(body)).encode()))
        try:
            data = state.send(self._head(method, url.raw_path, headers))
            if body:
                data += state.send(h11.Data(data=body)) or b""
            data += state.send(h11.EndOfMessage()) or b""
        except h11.LocalProtocolError as exc:
            connection.close()
            raise httpx.LocalProtocolError(str(exc), request=request) from exc
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
                    raise httpx.RemoteProtocolError(
                        "Server disconnected without sending a response.", request=request
                    )
        except (ConnectionError, OSError) as exc:
            if connection.reused and isinstance(exc, ConnectionResetError | BrokenPipeError):
                raise _StaleConnection from exc
            connection.close()
            raise httpx.ReadError(str(exc) or type(exc).__name__, request=request) from exc
        except httpx.RemoteProtocolError as exc:
            closed = connection.reader.at_eof()
            connection.close()
            if connection.reused:
                raise _StaleConnection from exc
            if closed:  # h11 reports a close before any response as a protocol error
                raise httpx.RemoteProtocolError(
                    "Server disconnected without sending a response.", request=request
                ) from None
            raise httpx.RemoteProtocolError(str(exc), request=request) from exc
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
