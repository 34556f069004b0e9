"""Every fault of the demo-server, over real HTTP on loopback, ends in the right FetchError kind.

Each fault hits one environment while three healthy ones are polled in the same concurrent cycle.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import socket
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import write_config
from tests.integration.conftest import (
    CONTROL_CHARS,
    FAST_POLLING,
    ForwardProxy,
    RawServer,
    assert_clean_line,
    poll_config,
    small_cap_polling,
    strings_in,
)
from umig_tui import __version__
from umig_tui.config import Environment, Polling
from umig_tui.demo.faults import FAULTS
from umig_tui.demo.server import ServerThread
from umig_tui.demo.simulator import Simulator
from umig_tui.models import Endpoint, ErrorKind, MetricsSnapshot, PollResult, Tier
from umig_tui.sources.client import UmigClient
from umig_tui.sources.factory import ClientFactory

FAULTY = "uat"
BOTH = (Endpoint.HEALTH, Endpoint.METRICS)

# What each reason must mention so that a human knows what happened: (health, metrics).
REASON_HINTS: dict[str, tuple[str, str]] = {
    "refused": ("refused", "refused"),
    "reset": ("reset", "reset"),
    "hang": ("within 1s", "within 1s"),
    "slow": ("within 1s", "within 1s"),
    "http500": ("HTTP 500", "HTTP 500"),
    "http503": ("HTTP 503", "HTTP 503"),
    "redirect_login": ("login page", "login page"),
    "login_page": ("login page", "login page"),
    "http401": ("401", "401"),
    "http403": ("403", "403"),
    "captcha": ("CAPTCHA", "CAPTCHA"),
    "malformed_json": ("malformed JSON", "Prometheus text format, got JSON"),
    "truncated": ("truncated", "truncated"),
    "cut_json": ("truncated JSON", "malformed Prometheus text"),
    "empty": ("empty", "empty"),
    "huge": ("2 MiB cap", "2 MiB cap"),
    "not_object": ("got an array", "got JSON"),
    "not_utf8": ("not valid UTF-8", "not valid UTF-8"),
    "wrong_types": ("umig.status", "got JSON"),
    "nulls": ("no 'umig' object", "got JSON"),
}
HTTP_STATUS = {
    "http500": 500,
    "http503": 503,
    "http401": 401,
    "http403": 403,
    "captcha": 403,
    "redirect_login": 302,
    "login_page": 200,
}


def test_every_fault_has_a_reason_hint() -> None:
    assert set(REASON_HINTS) | {"hostile"} == set(FAULTS)


def _port(url: str) -> int:
    port = urlsplit(url).port
    assert port is not None
    return port


def _check_fault(fault: str, result: PollResult) -> None:
    expected = FAULTS[fault]
    if expected is None:  # hostile: parsed, and nothing from the wire can drive a terminal
        assert result.ok, result.error
        strings = list(strings_in(result.value))
        assert strings
        assert not [s for s in strings if "\x1b" in s or CONTROL_CHARS.search(s)]
        return
    assert result.error is not None, f"{fault} on {result.endpoint} was parsed: {result.value}"
    assert result.error.kind is expected, result.error
    assert_clean_line(result.error.reason)
    hint = REASON_HINTS[fault][result.endpoint is Endpoint.METRICS]
    assert hint in result.error.reason
    if expected is ErrorKind.HTTP_ERROR or fault in HTTP_STATUS:
        assert result.error.http_status == HTTP_STATUS[fault]


def _check_poll(
    fault: str, results: dict[tuple[str, Endpoint], PollResult], elapsed: float
) -> None:
    """The faulty environment as FAULTS says; its three neighbours untouched and on time."""
    results = dict(results)
    for endpoint in BOTH:
        _check_fault(fault, results.pop((FAULTY, endpoint)))
    assert len(results) == 6
    for key, result in results.items():
        assert result.ok, (key, result.error)
        # A hanging neighbour does not hold the others back.
        assert result.latency_ms is not None
        assert result.latency_ms < 500, key
    assert elapsed < 1.8  # the 1 s timeout, not the 2 s the slow server takes


async def _poll_with_fault(
    server: ServerThread, config: Path, fault: str, environ: dict[str, str] | None = None
) -> tuple[dict[tuple[str, Endpoint], PollResult], float]:
    server.call(server.simulator.set_fault, FAULTY, fault)
    started = time.perf_counter()
    results = await poll_config(config, BOTH, environ=environ)
    return results, time.perf_counter() - started


TIMEOUT_FAULTS = [f for f, kind in FAULTS.items() if kind is ErrorKind.TIMEOUT]


@pytest.mark.parametrize("fault", [f for f in FAULTS if f not in TIMEOUT_FAULTS])
async def test_fault_is_classified_and_the_other_environments_are_untouched(
    fault: str, demo_server: ServerThread, fleet_config: Path
) -> None:
    _check_poll(fault, *await _poll_with_fault(demo_server, fleet_config, fault))


# Through a proxy a dead host is the proxy's 502, not a refused connection: those faults are
# the proxy's to report. Every fault of the answer itself must read the same on both paths.
ANSWER_FAULTS = [f for f in FAULTS if f not in (*TIMEOUT_FAULTS, "refused", "reset")]


@pytest.mark.parametrize("fault", ANSWER_FAULTS)
async def test_the_same_fault_reads_the_same_through_a_proxy(
    fault: str, demo_server: ServerThread, fleet_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A proxy setting sends every request through httpx's own transport instead of the lean
    one: both paths must classify alike (the proxy makes the second one real)."""
    async with ForwardProxy() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)  # httpx reads the process environment
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        environ = {"HTTP_PROXY": proxy.url}
        _check_poll(fault, *await _poll_with_fault(demo_server, fleet_config, fault, environ))
    assert proxy.forwarded >= 8  # every request of the poll went through it


async def test_timeout_faults_cost_one_timeout_and_spare_the_others(tmp_path: Path) -> None:
    """``hang`` and ``slow``, each on its own fleet, side by side: one second for both."""
    with contextlib.ExitStack() as stack:
        fleets = []
        for fault in TIMEOUT_FAULTS:
            server = stack.enter_context(
                ServerThread(Simulator(4, scenario="static", timeout_hint=1.0), port_per_env=True)
            )
            config = write_config(tmp_path / f"{fault}.toml", server.env_urls(), FAST_POLLING)
            fleets.append((fault, server, config))
        polls = await asyncio.gather(*(_poll_with_fault(s, c, f) for f, s, c in fleets))
    assert TIMEOUT_FAULTS == ["hang", "slow"]
    for (fault, _, _), (results, elapsed) in zip(fleets, polls, strict=True):
        _check_poll(fault, results, elapsed)


async def test_refused_closes_the_port_and_clearing_reopens_it(
    demo_server: ServerThread, fleet_config: Path
) -> None:
    port = _port(demo_server.env_urls()[FAULTY])
    demo_server.call(demo_server.simulator.set_fault, FAULTY, "refused")
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    results = await poll_config(fleet_config, (Endpoint.HEALTH,))
    error = results[(FAULTY, Endpoint.HEALTH)].error
    assert error is not None
    assert (error.kind, error.reason) == (ErrorKind.CONNECT_ERROR, "connection refused")

    demo_server.call(demo_server.simulator.set_fault, FAULTY, None)
    deadline = time.monotonic() + 3
    while True:  # the port reopens on the server's loop, a moment later
        results = await poll_config(fleet_config, (Endpoint.HEALTH,))
        if results[(FAULTY, Endpoint.HEALTH)].ok or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.05)
    assert results[(FAULTY, Endpoint.HEALTH)].ok
    assert demo_server.env_urls()[FAULTY].endswith(f":{port}")


@pytest.mark.parametrize(("fault", "kind"), [("http500", ErrorKind.HTTP_ERROR), ("hostile", None)])
async def test_metrics_only_fault_leaves_health_readable(
    fault: str, kind: ErrorKind | None, demo_server: ServerThread, fleet_config: Path
) -> None:
    demo_server.call(demo_server.simulator.set_fault, FAULTY, fault, "metrics")
    results = await poll_config(fleet_config, BOTH)
    assert results[(FAULTY, Endpoint.HEALTH)].ok
    metrics = results[(FAULTY, Endpoint.METRICS)]
    _check_fault(fault, metrics)
    if kind is None:
        assert isinstance(metrics.value, MetricsSnapshot)
        assert metrics.value.version is not None
        assert "1.2.0-rc.2" in metrics.value.version  # the label survived, cleaned
        assert "\x1b" not in metrics.value.version


# --- body cap ------------------------------------------------------------------------------


def _env(url: str, name: str = "uat", **kwargs: object) -> Environment:
    return Environment(name, url, Tier.UAT, **kwargs)  # type: ignore[arg-type]


async def test_declared_length_over_the_cap_is_too_large(demo_server: ServerThread) -> None:
    client = UmigClient(_env(demo_server.env_urls()["uat"]), small_cap_polling(512))
    try:
        result = await client.fetch(Endpoint.HEALTH)
    finally:
        await client.aclose()
    assert result.error is not None
    assert result.error.kind is ErrorKind.TOO_LARGE
    assert_clean_line(result.error.reason)
    assert result.error.reason.startswith("body is ")
    assert result.error.reason.endswith("the cap is 512 B")


async def test_chunked_body_over_the_cap_is_too_large(demo_server: ServerThread) -> None:
    demo_server.call(demo_server.simulator.set_fault, "uat", "huge")
    client = UmigClient(_env(demo_server.env_urls()["uat"]), small_cap_polling(64 * 1024))
    try:
        result = await client.fetch(Endpoint.HEALTH)
    finally:
        await client.aclose()
    assert result.error is not None
    assert result.error.kind is ErrorKind.TOO_LARGE
    assert result.error.reason == "body exceeds the 64 KiB cap"


async def _endless(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n"
    )
    chunk = b"%x\r\n%s\r\n" % (16384, b" " * 16384)
    while True:
        writer.write(chunk)
        await writer.drain()


async def _huge_declared(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n")
    writer.write(b"content-length: 10737418240\r\n\r\n{")
    await writer.drain()
    await reader.read()  # send nothing more: only the header can tell


@pytest.mark.parametrize(
    ("handler", "reason"),
    [
        (_endless, "body exceeds the 64 KiB cap"),
        (_huge_declared, "body is 10 GiB; the cap is 64 KiB"),
    ],
    ids=["endless-chunked-stream", "declared-10GiB"],
)
async def test_the_cap_applies_while_streaming(handler: object, reason: str) -> None:
    async with RawServer(handler) as server:  # type: ignore[arg-type]
        client = UmigClient(_env(server.url), small_cap_polling(64 * 1024))
        started = time.perf_counter()
        try:
            result = await client.fetch(Endpoint.HEALTH)
        finally:
            await client.aclose()
    # Reading stops at the cap: no waiting for the end of a body that never ends.
    assert time.perf_counter() - started < 0.9
    assert result.error is not None
    assert (result.error.kind, result.error.reason) == (ErrorKind.TOO_LARGE, reason)


# --- headers and credentials ---------------------------------------------------------------

TOKEN = "prod-token-Zq81x"
PASSWORD = "uat-pa55-Wk3"
SECRETS_ENVIRON = {"UMIG_TEST_PROD_TOKEN": TOKEN, "UMIG_TEST_UAT_PASSWORD": PASSWORD}
AUTH_TOML = {
    "production": 'auth = { type = "bearer", token_env = "UMIG_TEST_PROD_TOKEN" }',
    "uat": 'auth = { type = "basic", user = "svc-uat", password_env = "UMIG_TEST_UAT_PASSWORD" }',
}


def auth_config(path: Path, urls: dict[str, str]) -> Path:
    """The demo fleet with bearer auth on production and basic auth on uat."""
    lines: list[str] = []
    for name, url in urls.items():
        lines += ["[[environments]]", f'name = "{name}"', f'url = "{url}"', f'tier = "{name}"']
        lines += [AUTH_TOML[name], ""] if name in AUTH_TOML else [""]
    path.write_text("\n".join(lines) + "\n" + FAST_POLLING, encoding="utf-8")
    return path


def check_credentials(server: ServerThread) -> None:
    """Each environment saw its own credentials and nobody else's; every request had our UA."""
    basic = "Basic " + base64.b64encode(f"svc-uat:{PASSWORD}".encode()).decode()
    expected = {"production": f"Bearer {TOKEN}", "uat": basic, "development": None, "hotfix": None}
    seen = [(r.env, r) for r in server.requests() if r.env is not None]
    assert {env for env, _ in seen} == set(expected)
    for env, request in seen:
        assert request.header("user-agent") == f"umig-tui/{__version__}"
        assert request.header("authorization") == expected[env], request
        others = " ".join(value for _, value in request.headers)
        if env != "production":
            assert TOKEN not in others
        if env != "uat":
            assert PASSWORD not in others
            assert basic.split()[1] not in others


async def test_credentials_and_user_agent_go_only_to_their_own_environment(
    demo_server: ServerThread, tmp_path: Path
) -> None:
    config = auth_config(tmp_path / "auth.toml", demo_server.env_urls())
    results = await poll_config(
        config, (Endpoint.HEALTH, Endpoint.VERSION), environ=SECRETS_ENVIRON
    )
    assert all(r.ok for r in results.values())
    check_credentials(demo_server)


def _redirect_to(target: str) -> RawServer:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(
            f"HTTP/1.1 302 Found\r\nlocation: {target}\r\ncontent-length: 0\r\n\r\n".encode()
        )
        await writer.drain()

    return RawServer(handler)


@pytest.mark.parametrize(
    ("path", "kind"),
    [("/login.action?os_destination=x", ErrorKind.AUTH_REQUIRED), ("/moved", ErrorKind.HTTP_ERROR)],
    ids=["to-a-login-page", "elsewhere"],
)
async def test_a_redirect_to_another_host_is_not_followed_with_credentials(
    path: str, kind: ErrorKind, demo_server: ServerThread
) -> None:
    other = demo_server.env_urls()["development"]
    async with _redirect_to(other + path) as server:
        client = UmigClient(_env(server.url), small_cap_polling(1 << 20), secret=TOKEN)
        try:
            result = await client.fetch(Endpoint.HEALTH)
        finally:
            await client.aclose()
        assert server.heads
        assert f"Bearer {TOKEN}".encode() in server.heads[0]
    assert result.error is not None
    assert (result.error.kind, result.error.http_status) == (kind, 302)
    assert_clean_line(result.error.reason)
    assert demo_server.requests() == []  # the other host never heard from us


# --- TLS -----------------------------------------------------------------------------------


@pytest.mark.parametrize("verify", [True, False], ids=["verified", "unverified"])
async def test_https_to_a_plain_http_port_is_a_tls_connect_error(
    verify: bool, demo_server: ServerThread
) -> None:
    url = demo_server.env_urls()["uat"].replace("http://", "https://")
    env = _env(url, verify_tls=verify)
    client = ClientFactory(Polling(timeout=1.0, health=2.0, metrics=2.0), {}).build(env)
    try:
        result = await client.fetch(Endpoint.HEALTH)
    finally:
        await client.aclose()
    assert result.error is not None
    assert result.error.kind is ErrorKind.CONNECT_ERROR
    assert "TLS" in result.error.reason
    assert_clean_line(result.error.reason)
