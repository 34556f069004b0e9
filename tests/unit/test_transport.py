"""The lean httpx transport: keep-alive, stale-connection retry, TLS, httpx-compatible errors."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import ssl
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest

from umig_tui.sources.client import classify_exception
from umig_tui.sources.transport import StreamTransport

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


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=StreamTransport()) as c:
        yield c


async def test_sequential_requests_reuse_one_keep_alive_connection(
    client: httpx.AsyncClient,
) -> None:
    async with TinyServer(lambda conn, n: ok()) as server:
        for _ in range(5):
            response = await client.get(f"http://127.0.0.1:{server.port}/x")
            assert response.json() == {"ok": True}
    assert server.connections == 1


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
        async with httpx.AsyncClient(transport=transport) as client:
            for path, token in sent:
                response = await client.get(
                    f"http://127.0.0.1:{port}{path}", headers={"authorization": token}
                )
                assert response.json() == {"ok": True}
    finally:
        server.close()
    assert len(heads) == 4
    for head, (path, token) in zip(heads, sent, strict=True):
        assert head.startswith(f"GET {path} HTTP/1.1\r\n".encode())
        assert f"authorization: {token}\r\n".encode() in head.lower().replace(b"bearer", b"Bearer")
    assert len(transport._heads) == 3  # the second request's head was the first's


async def test_connection_close_is_honoured(client: httpx.AsyncClient) -> None:
    async with TinyServer(lambda conn, n: ok(close=True)) as server:
        for _ in range(3):
            assert (await client.get(f"http://127.0.0.1:{server.port}/x")).status_code == 200
    assert server.connections == 3


async def test_a_connection_closed_while_idle_is_retried_once_on_a_fresh_one(
    client: httpx.AsyncClient,
) -> None:
    # Connection 1 answers once and then closes silently when the next request comes (as a
    # server with a short keep-alive timeout does); the retry on connection 2 must succeed.
    async with TinyServer(lambda conn, n: ok() if n == 1 else None) as server:
        first = await client.get(f"http://127.0.0.1:{server.port}/a")
        second = await client.get(f"http://127.0.0.1:{server.port}/b")
    assert (first.status_code, second.status_code) == (200, 200)
    assert server.connections == 2


async def test_a_fresh_connection_closed_before_answering_is_an_error_not_a_retry(
    client: httpx.AsyncClient,
) -> None:
    async with TinyServer(lambda conn, n: None) as server:
        with pytest.raises(httpx.RemoteProtocolError) as caught:
            await client.get(f"http://127.0.0.1:{server.port}/x")
    assert server.connections == 1
    assert classify_exception(caught.value, 1.0).kind == "connect_error"


async def test_a_body_cut_short_is_a_protocol_error(client: httpx.AsyncClient) -> None:
    cut = b'HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n{"partial":'
    async with (
        TinyServer(lambda conn, n: cut, close_after_reply=True) as server,
        client.stream("GET", f"http://127.0.0.1:{server.port}/x") as response,
    ):
        with pytest.raises(httpx.RemoteProtocolError):
            await response.aread()


async def test_refused_is_a_connect_error_that_keeps_its_errno(client: httpx.AsyncClient) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nothing listens there
    with pytest.raises(httpx.ConnectError) as caught:
        await client.get(f"http://127.0.0.1:{port}/x")
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
    async with (
        TinyServer(lambda conn, n: ok(), ssl_context=server_context) as server,
        httpx.AsyncClient(transport=StreamTransport(client_context)) as c,
    ):
        for _ in range(2):
            assert (await c.get(f"https://127.0.0.1:{server.port}/x")).json() == {"ok": True}
    assert server.connections == 1


async def test_https_with_an_untrusted_certificate_is_a_tls_error(
    certificate: tuple[Path, Path],
) -> None:
    cert, key = certificate
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    async with (
        TinyServer(lambda conn, n: ok(), ssl_context=server_context) as server,
        httpx.AsyncClient(transport=StreamTransport(ssl.create_default_context())) as c,
    ):
        with pytest.raises(httpx.ConnectError) as caught:
            await c.get(f"https://127.0.0.1:{server.port}/x")
    assert "TLS certificate verification failed" in classify_exception(caught.value, 1.0).reason
