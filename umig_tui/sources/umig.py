"""One httpx.AsyncClient per environment: fetch an endpoint, end in a document or a FetchError."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import errno
import logging
import re
import ssl
import time
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any, Protocol

import httpx

from umig_tui import __version__
from umig_tui.config import ConfigError, Environment, Polling, resolve_secret
from umig_tui.models import Document, Endpoint, ErrorKind, FetchError, PollResult, TeamsCheck
from umig_tui.sanitize import clean_text
from umig_tui.sources.parse import ParseError, parse_document
from umig_tui.sources.transport import ResponseBody, StreamTransport

USER_AGENT = f"umig-tui/{__version__}"
log = logging.getLogger(__name__)

_LOGIN_URL = re.compile(r"login|signin|sign-in|dologin|/sso/|saml|oauth|authenticate", re.I)
_LOGIN_PAGE = re.compile(
    r"os_username|os_password|type=[\"']?password|<form[^>]+login|log ?in to|sign ?in|login\.action",
    re.I,
)
_HTML_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.I | re.S)


class Credential(bytes):
    """An Authorization header value: sent as is, but its repr never shows it (a crash dump
    with locals, as Textual prints, or a debugger would otherwise print the secret)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "b'[secure]'"


class _BodyTooLarge(Exception):
    def __init__(self, size: int | None) -> None:
        self.size = size


class UmigClient:
    """Fetches one environment's admin endpoints over a keep-alive connection pool."""

    def __init__(
        self,
        env: Environment,
        polling: Polling,
        *,
        secret: tuple[str, str] | str | None = None,
        verify: ssl.SSLContext | bool = True,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.env = env
        self.timeout = polling.timeout
        self.max_body = polling.max_body_bytes
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json, text/plain;q=0.9"}
        auth: httpx.Auth | None = None
        if isinstance(secret, tuple):
            auth = httpx.BasicAuth(secret[0], secret[1])
        elif isinstance(secret, str):
            headers["Authorization"] = f"Bearer {secret}"
        self._has_auth = secret is not None
        self._urls: dict[Endpoint, httpx.URL] = {}
        # The lean transport is called directly (httpx's client layer costs a third of a poll);
        # other transports (proxies, the in-process demo) go through httpx.
        self._direct = transport if isinstance(transport, StreamTransport) else None
        self._raw_headers = [
            (k.lower().encode(), Credential(v.encode()) if k == "Authorization" else v.encode())
            for k, v in headers.items()
        ]
        self._raw_headers.append((b"accept-encoding", b"identity"))
        if isinstance(secret, tuple):
            token = base64.b64encode(f"{secret[0]}:{secret[1]}".encode()).decode()
            self._raw_headers.append((b"authorization", Credential(f"Basic {token}".encode())))
        self._client = httpx.AsyncClient(
            headers=headers,
            auth=auth,
            verify=verify,
            transport=transport,
            timeout=httpx.Timeout(polling.timeout),
            follow_redirects=False,  # credentials never follow a redirect to another host
            limits=httpx.Limits(
                max_connections=4, max_keepalive_connections=4, keepalive_expiry=90
            ),
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def fetch(self, endpoint: Endpoint) -> PollResult:
        """Fetch and parse ``endpoint``; every outcome is a PollResult, never an exception."""
        started = time.perf_counter()
        wall = time.time()
        raw: str | None = None
        try:
            async with asyncio.timeout(self.timeout):
                value, raw = await self._fetch(endpoint)
        except FetchFailed as failed:
            return self._result(endpoint, wall, started, error=failed.error, raw=failed.raw)
        except TimeoutError:
            error = FetchError(ErrorKind.TIMEOUT, f"no complete response within {self.timeout:g}s")
            return self._result(endpoint, wall, started, error=error)
        except httpx.HTTPError as exc:
            return self._result(
                endpoint, wall, started, error=classify_exception(exc, self.timeout)
            )
        except Exception as exc:  # a response nothing above foresaw must not stop the monitor
            log.exception("unexpected failure fetching %s %s", self.env.name, endpoint)
            error = FetchError(
                ErrorKind.INVALID_RESPONSE,
                f"could not process the response ({type(exc).__name__}: {clean_text(str(exc), 60)})",
            )
            return self._result(endpoint, wall, started, error=error)
        return PollResult(
            env=self.env.name,
            endpoint=endpoint,
            ts=wall,
            latency_ms=(time.perf_counter() - started) * 1000,
            value=value,
            raw=raw,
        )

    def _result(
        self,
        endpoint: Endpoint,
        wall: float,
        started: float,
        *,
        error: FetchError,
        raw: str | None = None,
    ) -> PollResult:
        return PollResult(
            env=self.env.name,
            endpoint=endpoint,
            ts=wall,
            latency_ms=(time.perf_counter() - started) * 1000,
            error=error,
            raw=raw,
        )

    async def _fetch(self, endpoint: Endpoint) -> tuple[Document, str | None]:
        url = self._urls.get(endpoint)
        if url is None:  # parsed once per endpoint, not on every request
            url = self._urls[endpoint] = httpx.URL(self.env.endpoint_url(endpoint))
        received_headers = False
        try:
            async with self._get(url) as response:
                received_headers = True
                if endpoint is Endpoint.TEAMS:
                    if 200 <= response.status_code < 300:
                        return TeamsCheck(response.status_code), None
                    raise FetchFailed(self._status_error(response))
                if not 200 <= response.status_code < 300:
                    raise FetchFailed(self._status_error(response))
                try:
                    body = await self._read_capped(response)
                except _BodyTooLarge as big:
                    cap = human_size(self.max_body)
                    size = human_size(big.size) if big.size else ""
                    if size == cap:  # rounded alike: say the exact byte counts
                        size, cap = f"{big.size} bytes", f"{self.max_body} bytes"
                    reason = (
                        f"body is {size}; the cap is {cap}"
                        if size
                        else f"body exceeds the {cap} cap"
                    )
                    raise FetchFailed(FetchError(ErrorKind.TOO_LARGE, reason)) from None
        except (httpx.ReadError, httpx.RemoteProtocolError):
            if received_headers:
                raise FetchFailed(
                    FetchError(
                        ErrorKind.INVALID_RESPONSE,
                        "truncated response: the connection closed mid-body",
                    )
                ) from None
            raise
        text = decode_body(body)
        if looks_like_html(text, response.headers.get("content-type", "")):
            raise FetchFailed(html_error(text, 200), raw=None)
        try:
            return parse_document(endpoint, text), text
        except ParseError as exc:
            raise FetchFailed(exc.as_fetch_error(), raw=text[:4096]) from None

    @contextlib.asynccontextmanager
    async def _get(self, url: httpx.URL) -> AsyncIterator[Answer]:
        if self._direct is None:
            async with self._client.stream("GET", url) as response:
                yield response
            return
        headers = [(b"host", url.netloc), *self._raw_headers]
        event, stream = await self._direct.open("GET", url, headers, connect_timeout=self.timeout)
        try:
            yield DirectAnswer(
                event.status_code, event.reason.decode("latin-1"), event.headers, stream
            )
        finally:
            await stream.aclose()

    async def _read_capped(self, response: Answer) -> bytes:
        declared = response.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self.max_body:
            raise _BodyTooLarge(int(declared))
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > self.max_body:
                raise _BodyTooLarge(None)
            chunks.append(chunk)
        return b"".join(chunks)

    def _status_error(self, response: Answer) -> FetchError:
        status = response.status_code
        if status in (401, 403):
            if status == 401:
                reason = (
                    "HTTP 401: credentials rejected"
                    if self._has_auth
                    else "HTTP 401: authentication required; configure auth for this environment"
                )
            else:
                reason = "HTTP 403: the account lacks permission (admin endpoints need confluence-administrators)"
            return FetchError(ErrorKind.AUTH_REQUIRED, reason, status)
        if 300 <= status < 400:
            location = clean_text(response.headers.get("location", ""), 80)
            if _LOGIN_URL.search(location):
                return FetchError(
                    ErrorKind.AUTH_REQUIRED, f"redirected to a login page ({location})", status
                )
            target = f" to {location}" if location else ""
            return FetchError(
                ErrorKind.HTTP_ERROR,
                f"HTTP {status}: unexpected redirect{target}; check the environment URL",
                status,
            )
        phrase = clean_text(response.reason_phrase or "", 40)
        return FetchError(ErrorKind.HTTP_ERROR, f"HTTP {status} {phrase}".rstrip(), status)


class Answer(Protocol):
    """What a fetch reads of a response (an httpx.Response, or a DirectAnswer)."""

    @property
    def status_code(self) -> int: ...

    @property
    def reason_phrase(self) -> str: ...

    @property
    def headers(self) -> Any: ...

    def aiter_bytes(self) -> AsyncIterator[bytes]: ...


class DirectAnswer:
    """A response straight from the lean transport: the head, and the body as it streams."""

    def __init__(self, status: int, reason: str, raw_headers: Any, stream: ResponseBody) -> None:
        self.status_code = status
        self.reason_phrase = reason
        self.headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in raw_headers}
        self._stream = stream

    def aiter_bytes(self) -> AsyncIterator[bytes]:
        return self._stream.__aiter__()


class FetchFailed(Exception):
    def __init__(self, error: FetchError, raw: str | None = None) -> None:
        super().__init__(error.reason)
        self.error = error
        self.raw = raw


def decode_body(body: bytes) -> str:
    """UTF-8 text (JSON and the Prometheus text format are UTF-8); not UTF-8 is invalid_response."""
    try:
        return body.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        bad = body[exc.start : exc.start + 1].hex()
        raise FetchFailed(
            FetchError(
                ErrorKind.INVALID_RESPONSE,
                f"body is not valid UTF-8 (byte 0x{bad} at offset {exc.start})",
            )
        ) from None


def human_size(size: int) -> str:
    """``2097152`` → ``2 MiB``, ``1536`` → ``1.5 KiB``: readable for small test caps too."""
    for unit, factor in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= factor:
            return f"{size / factor:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size} B"


def looks_like_html(text: str, content_type: str) -> bool:
    head = text[:512].lstrip().lower()
    return "html" in content_type.lower() or head.startswith(
        ("<!doctype html", "<html", "<head", "<body")
    )


def html_error(text: str, status: int) -> FetchError:
    """An HTML body where JSON was expected: a login page means auth, anything else is invalid."""
    if _LOGIN_PAGE.search(text[:65536]):
        return FetchError(
            ErrorKind.AUTH_REQUIRED,
            "got an HTML login page instead of JSON (session or credentials missing)",
            status,
        )
    title = _HTML_TITLE.search(text[:65536])
    label = (
        f" ({clean_text(title.group(1), 60)})" if title and clean_text(title.group(1), 60) else ""
    )
    return FetchError(ErrorKind.INVALID_RESPONSE, f"got an HTML page instead of JSON{label}")


_ERRNO_REASONS = {
    errno.ECONNREFUSED: "connection refused",
    errno.ECONNRESET: "connection reset by peer",
    errno.EHOSTUNREACH: "host unreachable",
    errno.ENETUNREACH: "network unreachable",
    errno.ETIMEDOUT: "connection timed out",
}


def classify_exception(exc: httpx.HTTPError, timeout: float) -> FetchError:
    """Map an httpx/transport exception to a FetchError with a one-line human reason."""
    if isinstance(exc, httpx.ConnectTimeout):
        return FetchError(ErrorKind.TIMEOUT, f"connect timed out after {timeout:g}s")
    if isinstance(exc, httpx.TimeoutException):
        return FetchError(ErrorKind.TIMEOUT, f"no response within {timeout:g}s")
    if isinstance(exc, httpx.DecodingError):
        return FetchError(
            ErrorKind.INVALID_RESPONSE, "body could not be decoded (bad content-encoding)"
        )
    if isinstance(exc, httpx.RemoteProtocolError):
        message = str(exc).lower()
        if "without sending" in message or "disconnected" in message:
            return FetchError(
                ErrorKind.CONNECT_ERROR, "server closed the connection without a response"
            )
        return FetchError(
            ErrorKind.INVALID_RESPONSE, f"broken HTTP response: {clean_text(str(exc), 80)}"
        )
    if isinstance(
        exc, httpx.ConnectError | httpx.ReadError | httpx.WriteError | httpx.NetworkError
    ):
        return FetchError(ErrorKind.CONNECT_ERROR, _network_reason(exc))
    return FetchError(ErrorKind.CONNECT_ERROR, f"{type(exc).__name__}: {clean_text(str(exc), 80)}")


def _network_reason(exc: BaseException) -> str:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ssl.SSLCertVerificationError):
            return f"TLS certificate verification failed: {clean_text(current.verify_message or '', 60)}"
        if isinstance(current, ssl.SSLError):
            return f"TLS handshake failed: {clean_text(current.reason or str(current), 60)}"
        if isinstance(current, OSError) and current.errno in _ERRNO_REASONS:
            return _ERRNO_REASONS[current.errno]
        current = current.__cause__ or current.__context__
    message = str(exc).lower()
    for needle, reason in (
        ("refused", "connection refused"),
        ("reset", "connection reset by peer"),
        ("name or service not known", "host name not found (DNS)"),
        ("nodename nor servname", "host name not found (DNS)"),
        ("temporary failure in name resolution", "host name lookup failed (DNS)"),
        ("unreachable", "network unreachable"),
        ("certificate", "TLS certificate verification failed"),
    ):
        if needle in message:
            return reason
    if isinstance(exc, httpx.ReadError):
        return "connection reset while waiting for the response"
    return clean_text(str(exc), 80) or type(exc).__name__


# --- building clients -----------------------------------------------------------------------


class ClientFactory:
    """Builds one client per environment, sharing TLS contexts (building one costs ~15 ms)."""

    def __init__(
        self,
        polling: Polling,
        environ: Mapping[str, str],
        transport_for: Callable[[Environment], httpx.AsyncBaseTransport | None] | None = None,
    ) -> None:
        self.polling = polling
        self.environ = environ
        self.transport_for = transport_for
        self._contexts: dict[tuple[bool, str | None], ssl.SSLContext] = {}
        self._plain: ssl.SSLContext | None = None

    def _unverified(self) -> ssl.SSLContext:
        # One shared context: given False, httpx would build a new one per client (~0.6 ms each).
        if self._plain is None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            self._plain = context
        return self._plain

    def _verify(self, env: Environment) -> ssl.SSLContext | bool:
        if not env.url.startswith("https:") or not env.verify_tls:
            return self._unverified()  # plain HTTP never uses it; verify_tls = false means this
        key = (env.verify_tls, env.ca_bundle)
        if key not in self._contexts:
            if env.ca_bundle:
                try:
                    self._contexts[key] = ssl.create_default_context(cafile=env.ca_bundle)
                except (ssl.SSLError, OSError) as exc:
                    # A file that exists but holds no PEM certificate: a config error, not a crash.
                    file, _, line = env.origin.rpartition(":")
                    raise ConfigError(
                        f"environment {env.name!r}: ca_bundle {env.ca_bundle!r} holds no usable "
                        f"CA certificate ({clean_text(getattr(exc, 'reason', None) or str(exc), 60)})",
                        file or None,
                        int(line) if file and line.isdigit() else None,
                    ) from None
            else:
                import certifi

                self._contexts[key] = ssl.create_default_context(cafile=certifi.where())
        return self._contexts[key]

    def build(self, env: Environment) -> UmigClient:
        """A client for ``env``; raises ConfigError when its secret variable is unset."""
        secret = resolve_secret(env, self.environ)
        verify = self._verify(env)
        transport = self.transport_for(env) if self.transport_for else None
        if transport is None and not _proxies_configured(self.environ):
            # Proxies need httpx's own transport; everyone else gets the lean one.
            transport = StreamTransport(
                verify if isinstance(verify, ssl.SSLContext) else None,
                connect_timeout=self.polling.timeout,
            )
        return UmigClient(env, self.polling, secret=secret, verify=verify, transport=transport)


def _proxies_configured(environ: Mapping[str, str]) -> bool:
    return any(
        environ.get(name)
        for name in (
            "HTTP_PROXY",
            "HTTPS_PROXY",
            "ALL_PROXY",
            "http_proxy",
            "https_proxy",
            "all_proxy",
        )
    )
