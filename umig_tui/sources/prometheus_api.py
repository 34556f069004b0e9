"""A thin async client of Prometheus's HTTP API (Thanos Query and VictoriaMetrics speak it too):
instant queries, range queries with a step that keeps a series near 600 points, and every
failure as the same FetchError an environment's fetch ends in."""

from __future__ import annotations

import json
import math
import ssl
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx
import msgspec

from umig_tui import __version__
from umig_tui.config import Environment
from umig_tui.models import ErrorKind, FetchError
from umig_tui.sources.body import BodyTooLarge, read_capped
from umig_tui.sources.failures import (
    FetchFailed,
    classify_exception,
    decode_body,
    html_error,
    looks_like_html,
    status_error,
)
from umig_tui.util.sanitize import clean_text

# Prometheus refuses a range query that would return more than 11,000 points per series.
MAX_POINTS = 11_000
TARGET_POINTS = 600
# Steps a person reads on a chart: the chosen step is rounded up to the next of these.
_NICE_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1200, 1800, 3600, 7200, 10800)
MAX_BODY = 64 * 1024 * 1024  # a whole fleet's range answer, well above any real one


def choose_step(start: float, end: float, *, points: int = TARGET_POINTS) -> float:
    """A step (seconds) giving about ``points`` points from ``start`` to ``end``, never over
    Prometheus's 11,000-point limit and never under a second."""
    span = max(0.0, end - start)
    wanted = span / max(1, points)
    step = next((nice for nice in _NICE_STEPS if nice >= wanted), math.ceil(wanted / 3600) * 3600)
    while span / step + 1 > MAX_POINTS:  # only for ``points`` near the limit
        step += 1
    return float(max(1, step))


class Sample(msgspec.Struct, frozen=True):
    """One series of an instant vector: its labels, the value and when it was scraped."""

    labels: Mapping[str, str]
    value: float
    ts: float

    @property
    def name(self) -> str:
        return self.labels.get("__name__", "")


class Series(msgspec.Struct, frozen=True):
    """One series of a range answer: (time, value) points, oldest first."""

    labels: Mapping[str, str]
    points: tuple[tuple[float, float], ...]

    @property
    def name(self) -> str:
        return self.labels.get("__name__", "")


class PrometheusAPI:
    """Queries one Prometheus (``url`` may carry a path prefix: ``https://host/prometheus``)."""

    def __init__(
        self,
        target: Environment,
        *,
        timeout: float,
        secret: tuple[str, str] | str | None = None,
        verify: ssl.SSLContext | bool = True,
        proxy: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.target = target
        self.timeout = timeout
        self.proxy = proxy
        self.base = target.url.rstrip("/") + target.api_prefix.rstrip("/")
        parts = urlsplit(self.base)
        # Named in every reason, without any path a token might hide in.
        self.where = f"Prometheus at {parts.scheme}://{parts.netloc}"
        headers = {"User-Agent": f"umig-tui/{__version__}", "Accept": "application/json"}
        auth: httpx.Auth | None = None
        if isinstance(secret, tuple):
            auth = httpx.BasicAuth(secret[0], secret[1])
        elif isinstance(secret, str):
            headers["Authorization"] = f"Bearer {secret}"
        self._has_auth = secret is not None
        self._client = httpx.AsyncClient(
            headers=headers,
            auth=auth,
            verify=verify,
            proxy=proxy,
            transport=transport,
            trust_env=False,
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,  # credentials never follow a redirect to another host
        )
        self.requests = 0  # sent, for the benchmark and the tests
        self.last_latency_ms: float | None = None

    async def aclose(self) -> None:
        await self._client.aclose()

    async def query(self, promql: str, *, at: float | None = None) -> list[Sample]:
        """An instant query; raises FetchFailed. A scalar answer is one sample with no labels."""
        params = {"query": promql}
        if at is not None:
            params["time"] = f"{at:.3f}"
        data = await self._get("/api/v1/query", params)
        kind, result = data.get("resultType"), data.get("result")
        if kind == "vector" and isinstance(result, list):
            return [s for item in result if (s := _sample(item)) is not None]
        if kind == "scalar" and isinstance(result, list) and len(result) == 2:
            value = _number(result[1])
            return [Sample({}, value, float(result[0]))] if value is not None else []
        raise FetchFailed(self._invalid(f"an instant query answered {clean_text(str(kind), 20)}"))

    async def query_range(
        self, promql: str, start: float, end: float, step: float | None = None
    ) -> list[Series]:
        """A range query, ``step`` chosen by :func:`choose_step` unless given; raises FetchFailed."""
        step = choose_step(start, end) if step is None else step
        if (end - start) / step + 1 > MAX_POINTS:
            raise ValueError(f"step {step:g}s gives more than {MAX_POINTS} points")
        params = {
            "query": promql,
            "start": f"{start:.3f}",
            "end": f"{end:.3f}",
            "step": f"{step:g}",
        }
        data = await self._get("/api/v1/query_range", params)
        result = data.get("result")
        if data.get("resultType") != "matrix" or not isinstance(result, list):
            raise FetchFailed(self._invalid("a range query did not answer a matrix"))
        out: list[Series] = []
        for item in result:
            if not isinstance(item, dict) or not isinstance(item.get("values"), list):
                continue
            points = [
                (float(pair[0]), value)
                for pair in item["values"]
                if isinstance(pair, list)
                and len(pair) == 2
                and (value := _number(pair[1])) is not None
            ]
            out.append(Series(_labels(item.get("metric")), tuple(points)))
        return out

    async def ready(self) -> None:
        """One cheap query (``vector(1)``): raises FetchFailed when Prometheus cannot answer."""
        await self.query("vector(1)")

    # -- one request --------------------------------------------------------------------------

    async def _get(self, path: str, params: Mapping[str, str]) -> dict[str, Any]:
        self.requests += 1
        started = time.perf_counter()
        try:
            async with self._client.stream("GET", self.base + path, params=params) as response:
                body = await read_capped(response, MAX_BODY)
        except httpx.HTTPError as exc:
            error = classify_exception(exc, self.timeout, proxy=self.proxy)
            raise FetchFailed(self._named(error)) from None
        except BodyTooLarge:
            too_large = FetchError(ErrorKind.TOO_LARGE, f"answer over {MAX_BODY >> 20} MiB")
            raise FetchFailed(self._named(too_large)) from None
        except FetchFailed as failed:
            raise FetchFailed(self._named(failed.error)) from None
        try:
            text = decode_body(body)
        except FetchFailed as failed:
            raise FetchFailed(self._named(failed.error)) from None
        status = response.status_code
        content_type = response.headers.get("content-type", "")
        try:
            document = json.loads(text)
        except ValueError:
            document = None
        if not isinstance(document, dict):
            if not 200 <= status < 300:
                raise FetchFailed(self._named(self._status(response)))
            if looks_like_html(text, content_type):
                raise FetchFailed(self._named(html_error(text, status)))
            raise FetchFailed(self._invalid("the answer is not a JSON object"))
        if document.get("status") != "success":
            raise FetchFailed(self._named(self._refused(status, document, response)))
        data = document.get("data")
        if not isinstance(data, dict):
            raise FetchFailed(self._invalid("the answer has no data object"))
        self.last_latency_ms = (time.perf_counter() - started) * 1000
        return data

    def _status(self, response: httpx.Response) -> FetchError:
        return status_error(
            response.status_code,
            response.reason_phrase,
            response.headers,
            has_auth=self._has_auth,
            where=f"{self.target.api_prefix or ''}/api/v1",
        )

    def _refused(
        self, status: int, document: dict[str, Any], response: httpx.Response
    ) -> FetchError:
        """Prometheus's own error: ``bad_data`` (400), ``execution`` (422), ``unavailable`` (503)…"""
        if status in (401, 403) or 300 <= status < 400:
            return self._status(response)
        kind = clean_text(str(document.get("errorType") or "error"), 30)
        said = clean_text(str(document.get("error") or ""), 160)
        if status == 503:
            return FetchError(ErrorKind.HTTP_ERROR, f"HTTP 503: not ready ({kind}: {said})", 503)
        return FetchError(
            ErrorKind.HTTP_ERROR, f"HTTP {status}: query refused ({kind}: {said})", status
        )

    def _invalid(self, why: str) -> FetchError:
        return self._named(FetchError(ErrorKind.INVALID_RESPONSE, why))

    def _named(self, error: FetchError) -> FetchError:
        return FetchError(error.kind, f"{self.where}: {error.reason}", error.http_status)


def _labels(raw: object) -> dict[str, str]:
    if not isinstance(raw, dict):
        return {}
    return {str(k): str(v) for k, v in raw.items()}


def _number(raw: object) -> float | None:
    """A sample value as Prometheus writes it (a string; "NaN" and "+Inf" included)."""
    try:
        value = float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _sample(item: object) -> Sample | None:
    if not isinstance(item, dict):
        return None
    pair = item.get("value")
    if not isinstance(pair, list) or len(pair) != 2:
        return None
    value = _number(pair[1])
    if value is None:
        return None
    try:
        ts = float(pair[0])
    except (TypeError, ValueError):
        return None
    return Sample(_labels(item.get("metric")), value, ts)


def connect(target: Environment, timeout: float, environ: Mapping[str, str]) -> PrometheusAPI:
    """A client for ``target`` with the environments' own credentials, trust and proxy rules;
    raises ConfigError when its secret variable is unset."""
    from umig_tui.config import Polling, resolve_secret
    from umig_tui.sources.factory import ClientFactory
    from umig_tui.sources.proxies import proxy_for

    secret = resolve_secret(target, environ)
    verify = ClientFactory(Polling(timeout=timeout), environ)._verify(target)
    return PrometheusAPI(
        target,
        timeout=timeout,
        secret=secret,
        verify=verify,
        proxy=proxy_for(target.url, environ),
    )
