"""A lean HTTP/1.1 client transport on asyncio streams, for the monitor's many small GETs.

httpx's default transport (httpcore on anyio) costs ~3 ms of CPU per request, and httpx's
client layer a third of a poll; polling 50 environments every few seconds, or one ``status`` of
200 requests, was dominated by them. ``UmigClient`` calls this one directly: a keep-alive pool
per origin, TLS with the caller's SSLContext, a retry when a pooled connection turns out to be
closed. It loads neither httpx nor anything of it (~30 ms of imports a ``status`` no longer
pays); its errors carry httpx's names (sources/transport_errors.py). Bodies stream, so the
caller's size cap applies while reading. The caller bounds each request's total time
(``UmigClient`` wraps every fetch in ``asyncio.timeout``); this transport applies the connect
timeout itself.

Request heads are validated and written by h11's rules (sources/request_head.py, without
h11's ~10 ms import), once per method, target and headers, and kept as bytes. Responses are
read by httptools (llhttp, in C): h11's state machine cost ~60 µs a response, 13 % of the
dashboard's busy time at 50 environments; httptools takes ~2.5 µs.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import httptools

from umig_tui.sources.request_head import request_head
from umig_tui.sources.target import IDLE_PER_ORIGIN
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
# Request heads kept, validated, for the next poll of the same URL with the same headers
# (checking every header of every request was 6 % of the dashboard's CPU at 50 envs).
_MAX_KEPT_HEADS = 1024
# A response head (status line and headers) longer than this is not an answer (h11's limit).
_MAX_HEAD = 16 * 1024
_NO_BODY = frozenset({204, 304})

Origin = tuple[str, str, int]


class Head:
    """A response's status line and headers (names lowercased, values as sent)."""

    __slots__ = ("headers", "reason", "status_code")

    def __init__(self, status_code: int, reason: bytes, headers: list[tuple[bytes, bytes]]) -> None:
        self.status_code = status_code
        self.reason = reason
        self.headers = headers


class _Response:
    """httptools' callbacks for the response being read on a connection."""

    __slots__ = (
        "body",
        "complete",
        "delimited",
        "head",
        "head_size",
        "headers",
        "keep_alive",
        "parser",
        "reason",
        "received",
        "trailing",
    )

    def __init__(self) -> None:
        self.parser = httptools.HttpResponseParser(self)
        self.reason = b""
        self.headers: list[tuple[bytes, bytes]] = []
        self.head: Head | None = None
        self.body: list[bytes] = []
        self.complete = False
        self.delimited = True  # by a length or chunks; False: by the connection's close
        self.keep_alive = False
        self.received = 0  # bytes received until the head was complete
        self.head_size = 0  # the status line's and headers' bytes
        self.trailing = False  # bytes after the response: the connection is not reused

    def feed(self, data: bytes) -> None:
        if self.head is None:
            self.received += len(data)
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            if self.complete:  # garbage after a whole response: it stands, the connection not
                self.trailing = True
                return
            raise RemoteProtocolError(str(exc) or type(exc).__name__) from None
        if self.received > _MAX_HEAD and (self.head is None or self.head_size > _MAX_HEAD):
            raise RemoteProtocolError("Receive buffer too long (response head over 16 KiB)")

    def eof(self) -> bool:
        """The peer closed: a body delimited by the close ends here (True); any other is cut
        short (False)."""
        if self.head is not None and not self.complete and not self.delimited:
            self.complete = True
            self.keep_alive = False
        return self.complete

    # -- httptools callbacks (they must not raise) --------------------------------------------

    def on_message_begin(self) -> None:
        if self.complete:
            self.trailing = True
            return
        self.reason = b""
        self.headers = []
        self.head_size = 0

    def on_status(self, status: bytes) -> None:
        self.reason += status
        self.head_size += len(status)

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name.lower(), value))
        self.head_size += len(name) + len(value) + 4

    def on_headers_complete(self) -> None:
        if self.complete:
            return
        status = self.parser.get_status_code()
        if 100 <= status < 200:  # informational (100 Continue): the answer comes next
            return
        self.head = Head(status, self.reason, self.headers)
        self.delimited = status in _NO_BODY or any(
            name in (b"content-length", b"transfer-encoding") for name, _ in self.headers
        )

    def on_body(self, body: bytes) -> None:
        if not self.complete:
            self.body.append(body)

    def on_message_complete(self) -> None:
        if self.complete or self.head is None:  # after an informational response
            return
        self.complete = True
        self.keep_alive = self.parser.should_keep_alive()


class _Connection:
    __slots__ = ("reader", "response", "reused", "writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.response = _Response()
        self.reused = False

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.writer.close()

    async def head(self) -> Head | None:
        """The response's head; None when the peer closed before sending a byte of it."""
        response = self.response
        while response.head is None:
            data = await self.reader.read(_READ)
            if not data:
                if response.received:  # part of a head: as good as none
                    raise RemoteProtocolError(
                        "Server disconnected without sending a complete response head."
                    )
                return None
            response.feed(data)
        return response.head

    async def chunk(self) -> bytes | None:
        """The next piece of the body; None once it is complete."""
        response = self.response
        while True:
            if response.body:
                pieces, response.body = response.body, []
                return pieces[0] if len(pieces) == 1 else b"".join(pieces)
            if response.complete:
                return None
            data = await self.reader.read(_READ)
            if not data:
                if response.eof():
                    return None
                raise RemoteProtocolError(
                    "peer closed connection without sending complete message body"
                )
            response.feed(data)


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
                piece = await connection.chunk()
                if piece is None:
                    self._complete = True
                    return
                yield piece
        except (ConnectionError, OSError) as exc:
            raise ReadError(str(exc) or type(exc).__name__) from exc

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        connection = self._connection
        response = connection.response
        if self._complete and response.keep_alive and not response.trailing:
            connection.response = _Response()
            self._transport._release(self._origin, connection)
        else:
            connection.close()


class StreamTransport:
    """HTTP/1.1 over asyncio streams; ``verify`` is the SSLContext for https origins."""

    def __init__(
        self,
        verify: ssl.SSLContext | None = None,
        *,
        connect_timeout: float = 10.0,
        max_idle: int = IDLE_PER_ORIGIN,
    ) -> None:
        self._ssl = verify
        self._connect_timeout = connect_timeout
        self._max_idle = max_idle
        self._idle: dict[Origin, list[_Connection]] = {}
        self._heads: dict[tuple[bytes, bytes, tuple[tuple[bytes, bytes], ...]], bytes] = {}
        self._closed = False

    def _head(
        self, method: str | bytes, target: bytes, headers: list[tuple[bytes, bytes]]
    ) -> bytes:
        """The request head as sent, validated and written once per method, target and
        headers (a head is the same bytes at every poll that sends the same)."""
        verb = method.encode("ascii") if isinstance(method, str) else method
        key = (verb, target, tuple(headers))
        head = self._heads.get(key)
        if head is None:
            head = request_head(verb, target, headers)
            if len(self._heads) >= _MAX_KEPT_HEADS:
                self._heads.clear()
            self._heads[key] = head
        return head

    def _release(self, origin: Origin, connection: _Connection) -> None:
        idle = self._idle.setdefault(origin, [])
        if self._closed or len(idle) >= self._max_idle or connection.reader.at_eof():
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
        # Nagle is off already: asyncio sets TCP_NODELAY on every TCP transport it makes.
        return _Connection(reader, writer)

    async def open(
        self,
        method: str | bytes,
        target: Target,
        headers: list[tuple[bytes, bytes]],
        body: bytes = b"",
        *,
        connect_timeout: float | None = None,
    ) -> tuple[Head, ResponseBody]:
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
    ) -> tuple[Head, ResponseBody]:
        if body:
            headers = [(n, v) for n, v in headers if n.lower() != b"content-length"]
            headers.append((b"content-length", str(len(body)).encode()))
        try:
            data = self._head(method, target.raw_path, headers)
        except LocalProtocolError:
            connection.close()
            raise
        try:
            connection.writer.write(data + body if body else data)
            await connection.writer.drain()
            head = await connection.head()
            if head is None:
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
            connection.close()
            if connection.reused:
                raise _StaleConnection from exc
            raise
        except BaseException:
            connection.close()  # cancelled or timed out mid-exchange: the connection is unusable
            raise
        return head, ResponseBody(self, origin, connection)

    async def aclose(self) -> None:
        self._closed = True
        for connections in self._idle.values():
            for connection in connections:
                connection.close()
        self._idle.clear()


class _StaleConnection(Exception):
    """A reused keep-alive connection was already closed by the server."""
