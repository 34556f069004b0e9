"""Request targets parsed once (sources/target.py): byte for byte what httpx would send."""

from __future__ import annotations

import asyncio
import contextlib

import httpx
import pytest

from umig_tui.config import Environment, Polling
from umig_tui.models import Endpoint, Tier
from umig_tui.sources.factory import ClientFactory
from umig_tui.sources.target import Origin

BASES = [
    "http://127.0.0.1:43385",
    "https://confluence.example.com",
    "https://Confluence.Example.COM:8443/confluence",
    "http://example.com:80/wiki/",
    "https://example.com:443",
    "http://10.0.0.7:8090/confluence",
    "https://[::1]:8443",
    "https://[::1]",
    "https://bücher.example/ctx",
]
PATHS = [
    "/rest/scriptrunner/latest/custom/admin/health",
    "/rest/scriptrunner/latest/custom/adminVersion",
    "/rest/scriptrunner/latest/custom/dashboard/health?window=24h&x=a b",
    "/custom/stats/ä ö",
    "/custom/100%25/done",
    "/custom/a/./b/../c",
    "/custom/..",
    "/custom/q?a=1&b=x/y?z",
    "/custom/`{braces}`",
    "/custom/~user/!$&'()*+,;=:@",
]


@pytest.mark.parametrize("base", BASES)
@pytest.mark.parametrize("path", PATHS)
def test_a_target_is_what_httpx_makes_of_the_whole_url(base: str, path: str) -> None:
    target = Origin.of(base).target(path)
    url = httpx.URL(base + path)
    default = 443 if url.scheme == "https" else 80
    origin = target.origin
    assert (origin.scheme, origin.host, origin.port, origin.netloc, target.raw_path) == (
        url.scheme,
        url.host,
        url.port or default,
        url.netloc,
        url.raw_path,
    )


async def test_the_lean_client_sends_the_target_and_host_of_its_url_and_builds_no_httpx_client() -> (
    None
):
    heads: list[bytes] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            while True:
                heads.append(await reader.readuntil(b"\r\n\r\n"))
                body = b'{"status": "healthy", "umig": {"version": "1.2.0", "status": "healthy"}}'
                writer.write(
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                    b"content-length: %d\r\n\r\n%s" % (len(body), body)
                )
                await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    env = Environment("uat", f"http://127.0.0.1:{port}/confluence", Tier.UAT, profile="us088")
    client = ClientFactory(Polling(timeout=2.0), {}).build(env)
    try:
        await client.fetch(Endpoint.HEALTH)
        await client.fetch(Endpoint.HEALTH)
        assert client._http is None  # the lean path needs no httpx client
    finally:
        await client.aclose()
        server.close()
    assert len(heads) == 3  # the detection's probe, then the health signal twice
    for head in heads:
        line, *fields = head.decode("latin-1").split("\r\n")
        assert line.startswith("GET /confluence/rest/scriptrunner/latest/custom/admin")
        assert line.endswith(" HTTP/1.1")
        assert f"host: 127.0.0.1:{port}" in fields
