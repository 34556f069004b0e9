"""The lean transport: keep-alive, stale-connection retry, TLS, errors classified as httpx's."""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import socket
import ssl
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from umig_tui.sources.client import classify_exception
from umig_tui.sources.target import Origin
from umig_tui.sources.transport import StreamTransport
from umig_tui.sources.transport_errors import ConnectError, RemoteProtocolError

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


class TinyServer:
    """A raw HTTP/1.1 server that counts connections and lets a test script each answer."""

    def __init__(
        self,
        answer: Callable[[int, int], bytes | None],
        ssl_context: ssl.SSLContext | None = None,
        *,
        close_after_reply: bool = False,
    ) -> None:
        self.answer = answer  # (connection number, request number on it) -> bytes, None = close
        self.ssl_context = ssl_context
        self.close_after_reply = close_after_reply
        self.connections = 0
        self.server: asyncio.Server | None = None

    async def __aenter__(self) -> TinyServer:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self.ssl_context)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()

    @property
    def port(self) -> int:
        assert self.server is not None
        return int(self.server.sockets[0].getsockname()[1])

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        number = self.connections
        count = 0
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                if not head:
                    break
                count += 1
                reply = self.answer(number, count)
                if reply is None:
                    break
                writer.write(reply)
                await writer.drain()
                if self.close_after_reply:
                    break
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
            pass
        finally:
            writer.close()


def ok(body: bytes = b'{"ok": true}', *, close: bool = False) -> bytes:
    extra = b"connection: close\r\n" if close else b""
    return (
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n%s\r\n%s"
        % (
            len(body),
            extra,
            body,
        )
    )


async def get(
    transport: StreamTransport, url: str, headers: Sequence[tuple[bytes, bytes]] = ()
) -> tuple[int, bytes]:
    """One GET as UmigClient sends it: the status and the whole body."""
    parts = urlsplit(url)
    target = Origin.of(f"{parts.scheme}://{parts.netloc}").target(parts.path)
    event, body = await transport.open("GET", target, [(b"host", target.origin.netloc), *headers])
    try:
        return event.status_code, b"".join([chunk async for chunk in body])
    finally:
        await body.aclose()


@pytest.fixture
async def transport() -> AsyncIterator[StreamTransport]:
    lean = StreamTransport()
    yield lean
    await lean.aclose()


async def test_sequential_requests_reuse_one_keep_alive_connection(
    transport: StreamTransport,
) -> None:
    async with TinyServer(lambda conn, n: ok()) as server:
        for _ in range(5):
            status, body = await get(transport, f"http://127.0.0.1:{server.port}/x")
            assert (status, json.loads(body)) == (200, {"ok": True})
    assert server.connections == 1


async def test_requests_go_out_at_once_with_nagle_off(transport: StreamTransport) -> None:
    # asyncio turns Nagle's algorithm off on every TCP transport; the transport relies on it
    # (a small request head held back for an ACK would add up to 40 ms to every poll).
    async with TinyServer(lambda conn, n: ok()) as server:
        await get(transport, f"http://127.0.0.1:{server.port}/x")
        [connection] = transport._idle[("http", "127.0.0.1", server.port)]
        sock = connection.writer.get_extra_info("socket")
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0


async def test_each_request_goes_out_with_its_own_path_and_headers() -> None:
    """Request heads are validated once and kept for the next poll of the same URL with the
    same headers: a changed header or path is never answered with a kept head."""
    heads: list[bytes] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            while True:
                heads.append(await reader.readuntil(b"\r\n\r\n"))
                writer.write(ok())
                await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    transport = StreamTransport()
    sent = [("/a", "Bearer one"), ("/a", "Bearer one"), ("/a", "Bearer two"), ("/b", "Bearer two")]
    try:
        for path, token in sent:
            status, body = await get(
                transport, f"http://127.0.0.1:{port}{path}", [(b"authorization", token.encode())]
            )
            assert (status, json.loads(body)) == (200, {"ok": True})
    finally:
        await transport.aclose()
        server.close()
    assert len(heads) == 4
    for head, (path, token) in zip(heads, sent, strict=True):
        assert head.startswith(f"GET {path} HTTP/1.1\r\n".encode())
        assert f"authorization: {token}\r\n".encode() in head.lower().replace(b"bearer", b"Bearer")
    assert len(transport._heads) == 3  # the second request's head was the first's


async def test_connection_close_is_honoured(transport: StreamTransport) -> None:
    async with TinyServer(lambda conn, n: ok(close=True)) as server:
        for _ in range(3):
            assert (await get(transport, f"http://127.0.0.1:{server.port}/x"))[0] == 200
    assert server.connections == 3


async def test_a_connection_closed_while_idle_is_retried_once_on_a_fresh_one(
    transport: StreamTransport,
) -> None:
    # Connection 1 answers once and then closes silently when the next request comes (as a
    # server with a short keep-alive timeout does); the retry on connection 2 must succeed.
    async with TinyServer(lambda conn, n: ok() if n == 1 else None) as server:
        first, _ = await get(transport, f"http://127.0.0.1:{server.port}/a")
        second, _ = await get(transport, f"http://127.0.0.1:{server.port}/b")
    assert (first, second) == (200, 200)
    assert server.connections == 2


async def test_a_fresh_connection_closed_before_answering_is_an_error_not_a_retry(
    transport: StreamTransport,
) -> None:
    async with TinyServer(lambda conn, n: None) as server:
        with pytest.raises(RemoteProtocolError) as caught:
            await get(transport, f"http://127.0.0.1:{server.port}/x")
    assert server.connections == 1
    assert classify_exception(caught.value, 1.0).kind == "connect_error"


async def test_a_body_cut_short_is_a_protocol_error(transport: StreamTransport) -> None:
    cut = b'HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n{"partial":'
    async with TinyServer(lambda conn, n: cut, close_after_reply=True) as server:
        with pytest.raises(RemoteProtocolError) as caught:
            await get(transport, f"http://127.0.0.1:{server.port}/x")
    assert "without sending complete message body" in str(caught.value)


# --- reading responses (httptools): what h11 used to decide ---------------------------------


CLOSE_DELIMITED = b'HTTP/1.0 200 OK\r\ncontent-type: application/json\r\n\r\n{"ok": true}'
CHUNKED = (
    b'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\n{"ok"\r\n7\r\n: true}\r\n0\r\n\r\n'
)


@pytest.mark.parametrize(
    ("answer", "close_after_reply", "connections"),
    [
        # No length and no chunks: the body is everything until the server closes (HTTP/1.0).
        (CLOSE_DELIMITED, True, 3),
        (CHUNKED, False, 1),
        (b"HTTP/1.1 100 Continue\r\n\r\n" + ok(), False, 1),  # skipped for the answer
        # Bytes after a whole response: it stands, its connection is not used again.
        (ok() + b"\x00garbage\r\n\r\n", False, 3),
    ],
    ids=["ended-by-the-close", "chunked", "after-100-continue", "bytes-after-it"],
)
async def test_a_whole_answer_is_read_and_its_connection_kept_only_when_it_can_be(
    transport: StreamTransport, answer: bytes, close_after_reply: bool, connections: int
) -> None:
    async with TinyServer(lambda conn, n: answer, close_after_reply=close_after_reply) as server:
        for _ in range(3):
            status, body = await get(transport, f"http://127.0.0.1:{server.port}/x")
            assert (status, json.loads(body)) == (200, {"ok": True})
    assert server.connections == connections


@pytest.mark.parametrize(
    ("answer", "said"),
    [
        (b"SSH-2.0-OpenSSH_9.2\r\n\r\n", "broken HTTP response"),
        (b"HTTP/1.1 200 OK\r\nx-big: " + b"a" * 20_000 + b"\r\n\r\n", "broken HTTP response"),
        (b"HTTP/1.1 200 OK\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\nx", "broken HTTP"),
        (b"HTTP/1.1 200 OK\r\ncontent-le", "server closed the connection without a response"),
    ],
    ids=["not-http", "head-over-16-KiB", "two-lengths", "head-cut-short"],
)
async def test_a_response_that_is_not_http_is_a_protocol_error_that_says_so(
    transport: StreamTransport, answer: bytes, said: str
) -> None:
    async with TinyServer(lambda conn, n: answer, close_after_reply=True) as server:
        with pytest.raises(RemoteProtocolError) as caught:
            await get(transport, f"http://127.0.0.1:{server.port}/x")
    assert classify_exception(caught.value, 1.0).reason.startswith(said)


async def test_refused_is_a_connect_error_that_keeps_its_errno(transport: StreamTransport) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nothing listens there
    with pytest.raises(ConnectError) as caught:
        await get(transport, f"http://127.0.0.1:{port}/x")
    assert classify_exception(caught.value, 1.0).reason == "connection refused"


# --- TLS (a real handshake with a throwaway certificate) ----------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed: cannot make a throwaway certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


async def test_https_with_a_trusted_certificate_works(certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    client_context = ssl.create_default_context(cafile=str(cert))
    lean = StreamTransport(client_context)
    async with TinyServer(lambda conn, n: ok(), ssl_context=server_context) as server:
        for _ in range(2):
            status, body = await get(lean, f"https://127.0.0.1:{server.port}/x")
            assert (status, json.loads(body)) == (200, {"ok": True})
    await lean.aclose()
    assert server.connections == 1


async def test_https_with_an_untrusted_certificate_is_a_tls_error(
    certificate: tuple[Path, Path],
) -> None:
    cert, key = certificate
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    lean = StreamTransport(ssl.create_default_context())
    async with TinyServer(lambda conn, n: ok(), ssl_context=server_context) as server:
        with pytest.raises(ConnectError) as caught:
            await get(lean, f"https://127.0.0.1:{server.port}/x")
    await lean.aclose()
    assert "TLS certificate verification failed" in classify_exception(caught.value, 1.0).reason


# --- the lean transport's errors read as httpx's ---------------------------------------------


@pytest.mark.parametrize(
    ("name", "message", "cause"),
    [
        ("LocalProtocolError", "Illegal header value b'Bearer s3cret '", None),
        ("ConnectTimeout", "connect timed out after 2s", None),
        ("ConnectTimeout", "TLS handshake did not complete after 2s", None),
        ("RemoteProtocolError", "Server disconnected without sending a response.", None),
        ("RemoteProtocolError", "illegal status line: bytearray(b'SSH-2.0')", None),
        ("ConnectError", "[Errno 111] Connection refused", ConnectionRefusedError(111, "x")),
        ("ConnectError", "[Errno -2] Name or service not known", OSError(-2, "x")),
        ("ReadError", "", ConnectionResetError(104, "Connection reset by peer")),
        ("ReadError", "something odd", None),
        ("UnsupportedProtocol", "unsupported scheme 'ftp'", None),
    ],
)
@pytest.mark.parametrize("proxy", [None, "http://proxy.example:3128"])
def test_a_lean_error_reads_as_its_httpx_namesake(
    name: str, message: str, cause: BaseException | None, proxy: str | None
) -> None:
    import httpx

    from umig_tui.sources import transport_errors
    from umig_tui.sources.failures import is_transport_error, quotes_a_header

    ours = getattr(transport_errors, name)(message)
    theirs = getattr(httpx, name)(message)
    ours.__cause__ = theirs.__cause__ = cause
    assert is_transport_error(ours)
    assert classify_exception(ours, 2.0, proxy=proxy) == classify_exception(
        theirs, 2.0, proxy=proxy
    )
    assert quotes_a_header(ours) == quotes_a_header(theirs)
