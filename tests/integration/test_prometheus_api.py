"""The Prometheus API client over real loopback HTTP: answers read, every failure a FetchError
that names Prometheus, as an environment's errors read; the range step chosen within limits."""

from __future__ import annotations

import asyncio
import json

import pytest

from tests.integration.conftest import RawServer
from tests.integration.test_prometheus_scrape import free_port
from umig_tui.config import Environment
from umig_tui.models import ErrorKind, Tier
from umig_tui.sources.failures import FetchFailed
from umig_tui.sources.prometheus_api import MAX_POINTS, PrometheusAPI, choose_step


def answering(status: int, body: bytes, content_type: str = "application/json") -> RawServer:
    async def handler(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(
            f"HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
            + body
        )
        await writer.drain()

    return RawServer(handler)


def api_for(url: str, timeout: float = 2.0) -> PrometheusAPI:
    scheme, _, rest = url.partition("://")
    host, _, prefix = rest.partition("/")
    target = Environment(
        "prometheus", f"{scheme}://{host}", Tier.PRODUCTION, api_prefix=f"/{prefix}".rstrip("/")
    )
    return PrometheusAPI(target, timeout=timeout)


async def failure(server: RawServer, promql: str = "up") -> tuple[ErrorKind, str, int | None]:
    async with server:
        api = api_for(server.url)
        try:
            with pytest.raises(FetchFailed) as caught:
                await api.query(promql)
        finally:
            await api.aclose()
    error = caught.value.error
    assert error.reason.startswith(f"Prometheus at {server.url}: ")
    return error.kind, error.reason.removeprefix(f"Prometheus at {server.url}: "), error.http_status


def refused(status: int, kind: str, said: str) -> bytes:
    return json.dumps({"status": "error", "errorType": kind, "error": said}).encode()


async def test_an_instant_query_reads_labels_values_and_times_under_a_path_prefix() -> None:
    body = {
        "status": "success",
        "data": {
            "resultType": "vector",
            "result": [
                {
                    "metric": {"__name__": "umig_health_status", "environment": "uat"},
                    "value": [1700000000.5, "1"],
                },
                {
                    "metric": {"__name__": "umig_health_status", "environment": "dev"},
                    "value": [1700000000.5, "NaN"],
                },
            ],
        },
    }
    server = answering(200, json.dumps(body).encode())
    async with server:
        api = api_for(server.url + "/prom")
        try:
            samples = await api.query("umig_health_status")
        finally:
            await api.aclose()
    assert [(s.name, s.labels["environment"], s.value, s.ts) for s in samples] == [
        ("umig_health_status", "uat", 1.0, 1700000000.5)
    ]  # NaN is no value
    assert server.heads is not None
    assert server.heads[0].startswith(b"GET /prom/api/v1/query?query=umig_health_status ")


async def test_bad_query_400_and_execution_422_say_what_prometheus_said() -> None:
    kind, reason, status = await failure(
        answering(400, refused(400, "bad_data", "parse error: unexpected }"))
    )
    assert (kind, status) == (ErrorKind.HTTP_ERROR, 400)
    assert reason == "HTTP 400: query refused (bad_data: parse error: unexpected })"
    kind, reason, status = await failure(
        answering(422, refused(422, "execution", "query timed out"))
    )
    assert (kind, status, reason) == (
        ErrorKind.HTTP_ERROR, 422, "HTTP 422: query refused (execution: query timed out)"
    )  # fmt: skip


async def test_503_is_not_ready_and_a_login_page_is_auth() -> None:
    kind, reason, status = await failure(answering(503, refused(503, "unavailable", "starting")))
    assert (kind, status, reason) == (
        ErrorKind.HTTP_ERROR,
        503,
        "HTTP 503: not ready (unavailable: starting)",
    )
    page = b"<html><title>Log in</title><form action='login'><input type=password></form></html>"
    kind, reason, _ = await failure(answering(200, page, "text/html"))
    assert kind is ErrorKind.AUTH_REQUIRED
    kind, reason, status = await failure(answering(502, b"bad gateway", "text/plain"))
    assert (kind, status) == (ErrorKind.HTTP_ERROR, 502)


async def test_not_json_and_wrong_shapes_are_invalid_response() -> None:
    kind, reason, _ = await failure(answering(200, b"up 1\n", "text/plain"))
    assert (kind, reason) == (ErrorKind.INVALID_RESPONSE, "the answer is not a JSON object")
    matrix = json.dumps({"status": "success", "data": {"resultType": "matrix", "result": []}})
    kind, reason, _ = await failure(answering(200, matrix.encode()))
    assert (kind, reason) == (ErrorKind.INVALID_RESPONSE, "an instant query answered matrix")


async def test_a_hang_is_a_timeout_and_a_closed_port_is_refused() -> None:
    async def hang(_reader: asyncio.StreamReader, _writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(10)

    server = RawServer(hang)
    async with server:
        api = api_for(server.url, timeout=0.3)
        try:
            with pytest.raises(FetchFailed) as caught:
                await api.query("up")
        finally:
            await api.aclose()
    assert caught.value.error.kind is ErrorKind.TIMEOUT
    url = f"http://127.0.0.1:{free_port()}"
    api = api_for(url)
    try:
        with pytest.raises(FetchFailed) as caught:
            await api.ready()
    finally:
        await api.aclose()
    assert caught.value.error.kind is ErrorKind.CONNECT_ERROR
    assert caught.value.error.reason == f"Prometheus at {url}: connection refused"


def test_the_step_keeps_a_series_near_600_points_and_under_the_limit() -> None:
    day, week = 86400.0, 7 * 86400.0
    assert choose_step(0, 3600) == 10  # 1 h: 361 points
    assert choose_step(0, day) == 300  # 289 points, a 5-minute step
    assert choose_step(0, week) == 1200  # 505 points
    for span in (60, 3600, day, week, 90 * day, 3650 * day):
        step = choose_step(0, span)
        assert span / step + 1 <= MAX_POINTS
        assert span / step + 1 <= 1300  # never far past the ~600 target
    assert choose_step(0, day, points=MAX_POINTS) * (MAX_POINTS - 1) >= day


async def test_a_range_query_refuses_a_step_past_the_limit_before_asking() -> None:
    api = api_for("http://127.0.0.1:9")
    try:
        with pytest.raises(ValueError, match="more than 11000 points"):
            await api.query_range("up", 0, 86400, step=1)
    finally:
        await api.aclose()
    assert api.requests == 0


async def test_prometheus_going_down_keeps_the_last_state_and_says_why() -> None:
    from umig_tui.models import Endpoint, HealthSnapshot
    from umig_tui.service.prometheus_source import PrometheusClient, PrometheusReader

    up = {"state": True}
    vector = {
        "status": "success",
        "data": {
            "resultType": "vector",
            "result": [
                {
                    "metric": {"__name__": n, "environment": "uat", **labels},
                    "value": [1700000000, "1"],
                }
                for n, labels in (
                    ("umig_environment_status", {"status": "healthy"}),
                    ("umig_version_info", {"version": "1.2.0", "build": ""}),
                )
            ],
        },
    }

    async def handler(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        status, body = (200, json.dumps(vector).encode()) if up["state"] else (503, b"down")
        writer.write(
            f"HTTP/1.1 {status} X\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
            + body
        )
        await writer.drain()

    now = [1700000001.0]
    async with RawServer(handler) as server:
        reader = PrometheusReader(api_for(server.url), max_age=1.0, clock=lambda: now[0])
        client = PrometheusClient(Environment("uat", server.url, Tier.UAT), reader)
        first = await client.fetch(Endpoint.HEALTH)
        assert isinstance(first.value, HealthSnapshot)
        assert first.value.status == "healthy"
        assert reader.notice is None
        up["state"] = False
        now[0] += 5
        kept = await client.fetch(Endpoint.HEALTH)
        await reader.aclose()
    assert kept is first  # the same result: nothing changes, and it goes stale on its own time
    assert reader.notice is not None
    assert reader.notice.startswith(f"Prometheus at {server.url}: HTTP 503")
    assert reader.notice.endswith("; showing the last known state")
