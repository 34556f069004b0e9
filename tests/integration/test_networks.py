"""Issue 13, networks: a SOCKS proxy (an `ssh -D` jump host), the system's trust store with
ca_bundle still winning, and `verify_tls = false` that says so."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import ipaddress
import json
import shutil
import socket
import ssl
import struct
import subprocess
import tracemalloc
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import cli_env, write_config
from tests.integration.conftest import (
    FAST_POLLING,
    ForwardProxy,
    Handler,
    RawServer,
    by_name,
    run_cli,
)
from umig_tui.config import Environment, Polling
from umig_tui.demo.server import ServerThread
from umig_tui.models import Endpoint, ErrorKind, Tier
from umig_tui.sources.factory import ClientFactory
from umig_tui.sources.profiles.us088 import US088_SLASH

needs_openssl = pytest.mark.skipif(
    shutil.which("openssl") is None, reason="the TLS tests make their CA with openssl (not found)"
)


class Socks5:
    """A SOCKS5 server on loopback (no authentication, CONNECT only) that counts connections."""

    def __init__(self) -> None:
        self.url = ""
        self.connects: list[tuple[str, int]] = []
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> Socks5:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.url = f"socks5h://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            _version, methods = await reader.readexactly(2)
            await reader.readexactly(methods)
            writer.write(b"\x05\x00")  # no authentication
            _version, _command, _reserved, kind = await reader.readexactly(4)
            if kind == 3:  # a domain name: socks5h resolves on the proxy
                host = (await reader.readexactly((await reader.readexactly(1))[0])).decode()
            elif kind == 1:
                host = str(ipaddress.IPv4Address(await reader.readexactly(4)))
            else:
                return
            (port,) = struct.unpack("!H", await reader.readexactly(2))
            self.connects.append((host, port))
            up_reader, up_writer = await asyncio.open_connection(host, port)
            writer.write(b"\x05\x00\x00\x01" + bytes(4) + b"\x00\x00")
            await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        except (asyncio.IncompleteReadError, OSError):
            pass
        finally:
            writer.close()


async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    try:
        while chunk := await source.read(65536):
            sink.write(chunk)
            await sink.drain()
    finally:
        with contextlib.suppress(OSError):
            sink.close()


async def test_a_socks_proxy_from_all_proxy_carries_every_request(
    demo_server: ServerThread, tmp_path: Path
) -> None:
    config = write_config(tmp_path / "umig-tui.toml", demo_server.env_urls(), FAST_POLLING)
    async with Socks5() as socks:
        environ = cli_env(ALL_PROXY=socks.url)
        for var in ("NO_PROXY", "no_proxy", "HTTP_PROXY", "http_proxy"):
            environ.pop(var, None)
        proc = await asyncio.to_thread(
            run_cli, "status", "--config", config, "--no-store", "--json", env=environ
        )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert {env["status"] for env in json.loads(proc.stdout)["environments"]} == {"healthy"}
    ports = {urlsplit(url).port for url in demo_server.env_urls().values()}
    assert {port for _, port in socks.connects} == ports  # every environment went through it


# -- TLS: a local CA, a server certificate for 127.0.0.1, a TLS front of the demo-server --------


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("pki")
    ca_key, ca, key, csr, cert = (
        folder / n for n in ("ca.key", "ca.pem", "server.key", "server.csr", "server.pem")
    )
    ext = folder / "ext.cnf"
    ext.write_text("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n")

    def openssl(*args: str | Path) -> None:
        subprocess.run(["openssl", *map(str, args)], check=True, capture_output=True)

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key, "-out", ca,
            "-days", "2", "-subj", "/CN=umig-tui test corporate CA")  # fmt: skip
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr,
            "-subj", "/CN=127.0.0.1")  # fmt: skip
    openssl("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial",
            "-out", cert, "-days", "2", "-extfile", ext)  # fmt: skip
    other = folder / "other-ca.pem"
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", folder / "other.key",
            "-out", other, "-days", "2", "-subj", "/CN=somebody else")  # fmt: skip
    return {"ca": ca, "cert": cert, "key": key, "other": other}


class TlsFront:
    """TLS on 127.0.0.1 in front of one demo-server environment (plain HTTP behind it)."""

    def __init__(self, pki: dict[str, Path], upstream: str) -> None:
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.context.load_cert_chain(pki["cert"], pki["key"])
        self.upstream = urlsplit(upstream)
        self.url = ""
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> TlsFront:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0, ssl=self.context)
        self.url = f"https://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(
                self.upstream.hostname, self.upstream.port
            )
            await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        except OSError:
            writer.close()


def env_line(config: Path, line: str) -> None:
    text = config.read_text().replace('tier = "production"', f'tier = "production"\n{line}', 1)
    config.write_text(text)


async def status_through(config: Path, **environ: str) -> dict[str, object]:
    env = cli_env(**environ)
    proc = await asyncio.to_thread(
        run_cli, "status", "--config", config, "--no-store", "--json", env=env
    )
    return by_name(json.loads(proc.stdout))["production"]


@needs_openssl
async def test_the_system_trust_store_is_used_and_ca_bundle_wins(
    demo_server: ServerThread, pki: dict[str, Path], tmp_path: Path
) -> None:
    async with TlsFront(pki, demo_server.env_urls()["production"]) as front:
        config = write_config(tmp_path / "umig-tui.toml", {"production": front.url}, FAST_POLLING)
        # The corporate CA is in the system's store (SSL_CERT_FILE, as curl reads it).
        trusted = await status_through(config, SSL_CERT_FILE=str(pki["ca"]))
        assert trusted["status"] == "healthy", trusted
        # Another system store: the certificate is refused, and the reason says why.
        refused = await status_through(config, SSL_CERT_FILE=str(pki["other"]))
        assert refused["status"] == "unreachable"
        assert "TLS certificate verification failed" in str(refused["reason"])
        # ca_bundle in the config wins over the system's store.
        env_line(config, f'ca_bundle = "{pki["ca"]}"')
        bundled = await status_through(config, SSL_CERT_FILE=str(pki["other"]))
        assert bundled["status"] == "healthy", bundled
        assert bundled["tls"] == "verified"


@needs_openssl
async def test_verify_tls_false_is_said_not_silent(
    demo_server: ServerThread, pki: dict[str, Path], tmp_path: Path
) -> None:
    async with TlsFront(pki, demo_server.env_urls()["production"]) as front:
        config = write_config(tmp_path / "umig-tui.toml", {"production": front.url}, FAST_POLLING)
        env_line(config, "verify_tls = false")
        production = await status_through(config, SSL_CERT_FILE=str(pki["other"]))
        assert production["status"] == "healthy"
        assert production["tls"] == "not verified"
        proc = await asyncio.to_thread(
            run_cli, "status", "--config", config, "--no-store", env=cli_env()
        )
        assert "TLS not verified" in proc.stdout


# -- compressed bodies ----------------------------------------------------------------------------

BOMB = gzip.compress(b"0" * (64 << 20), compresslevel=9)  # 64 MiB of zeros in ~64 KiB


def compressed(body: bytes, encoding: str | None) -> Handler:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
        if encoding:
            head += f"content-encoding: {encoding}\r\n"
        writer.write(f"{head}content-length: {len(body)}\r\n\r\n".encode() + body)
        await writer.drain()

    return handler


@pytest.mark.parametrize("path", ["direct", "proxy"])
async def test_a_gzip_bomb_stops_at_the_cap_on_every_path(
    path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with RawServer(compressed(BOMB, "gzip")) as raw, ForwardProxy() as proxy:
        environ: dict[str, str] = {}
        if path == "proxy":
            monkeypatch.setenv("HTTP_PROXY", proxy.url)
            monkeypatch.delenv("NO_PROXY", raising=False)
            environ = {"HTTP_PROXY": proxy.url}
        client = ClientFactory(Polling(timeout=5.0), environ).build(
            Environment("uat", raw.url, Tier.UAT, profile="us088")
        )
        client.adopt(US088_SLASH, 0.0)
        tracemalloc.start()
        try:
            result = await client.fetch(Endpoint.HEALTH)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
            await client.aclose()
        if path == "proxy":
            assert proxy.forwarded == 1
    assert result.error is not None
    assert result.error.kind is ErrorKind.TOO_LARGE, result.error
    assert peak < 16 << 20, f"{peak / (1 << 20):.0f} MiB peak"  # the cap is 2 MiB


async def test_gzip_nobody_asked_for_is_said_as_such() -> None:
    body = gzip.compress(b'{"umig": {"status": "healthy"}}')
    async with (
        RawServer(compressed(body, None)) as unlabelled,
        RawServer(compressed(body, "br")) as brotli,
    ):
        results = []
        for server in (unlabelled, brotli):
            client = ClientFactory(Polling(timeout=5.0), {}).build(
                Environment("uat", server.url, Tier.UAT, profile="us088")
            )
            client.adopt(US088_SLASH, 0.0)
            results.append(await client.fetch(Endpoint.HEALTH))
            await client.aclose()
    first, second = (r.error for r in results)
    assert first is not None
    assert first.reason == "body is gzip-compressed without saying so (no Content-Encoding header)"
    assert second is not None
    assert second.reason == "body is compressed with br, which was not asked for"


# -- reasons that say where it failed -----------------------------------------------------------


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(("keep_idle", "connections"), [(True, 1), (False, 3)])
async def test_through_a_proxy_connections_are_kept_only_when_the_open_file_limit_allows(
    demo_server: ServerThread, keep_idle: bool, connections: int
) -> None:
    """httpx carries proxied requests: its pool follows keep_idle as the lean transport does."""
    async with Socks5() as socks:
        client = ClientFactory(Polling(timeout=5.0), {"ALL_PROXY": socks.url}).build(
            Environment("uat", demo_server.env_urls()["uat"], Tier.UAT, profile="us088")
        )
        client.adopt(US088_SLASH, 0.0)
        client.keep_idle = keep_idle  # as the poller sets it under a short limit
        try:
            results = [await client.fetch(Endpoint.HEALTH) for _ in range(3)]
        finally:
            await client.aclose()
    assert all(result.ok for result in results)
    assert len(socks.connects) == connections


async def test_a_dead_proxy_is_named_not_the_host(demo_server: ServerThread) -> None:
    proxy = f"http://127.0.0.1:{closed_port()}"
    environ = {"ALL_PROXY": proxy}
    client = ClientFactory(Polling(timeout=2.0), environ).build(
        Environment("uat", demo_server.env_urls()["uat"], Tier.UAT, profile="us088")
    )
    client.adopt(US088_SLASH, 0.0)
    try:
        result = await client.fetch(Endpoint.HEALTH)
    finally:
        await client.aclose()
    assert result.error is not None
    assert result.error.reason == f"cannot reach the proxy {proxy}: connection refused"


async def test_no_proxy_covering_the_hosts_keeps_the_direct_path(demo_server: ServerThread) -> None:
    environ = {"ALL_PROXY": f"socks5h://127.0.0.1:{closed_port()}", "NO_PROXY": "127.0.0.1"}
    client = ClientFactory(Polling(timeout=2.0), environ).build(
        Environment("uat", demo_server.env_urls()["uat"], Tier.UAT, profile="us088")
    )
    client.adopt(US088_SLASH, 0.0)
    try:
        result = await client.fetch(Endpoint.HEALTH)
    finally:
        await client.aclose()
    assert result.ok, result.error
    assert client.proxy is None


async def test_a_hung_tls_handshake_says_so() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(65536)  # the ClientHello, never answered
        await asyncio.sleep(30)

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client = ClientFactory(Polling(timeout=1.0), {}).build(
        Environment("uat", f"https://127.0.0.1:{port}", Tier.UAT, profile="us088")
    )
    client.adopt(US088_SLASH, 0.0)
    try:
        result = await client.fetch(Endpoint.HEALTH)
    finally:
        await client.aclose()
        server.close()
    assert result.error is not None
    assert result.error.kind is ErrorKind.TIMEOUT
    assert result.error.reason == "TLS handshake did not complete within 1s"
