"""Why a fetch failed, in one line a person can act on: status codes, bodies, transport errors."""

from __future__ import annotations

import errno
import re
import ssl
import sys
from collections.abc import Mapping
from types import ModuleType

from umig_tui.models import ErrorKind, FetchError
from umig_tui.sources import transport_errors
from umig_tui.sources.proxies import shown
from umig_tui.util.sanitize import clean_text

_LOGIN_URL = re.compile(r"login|signin|sign-in|dologin|/sso/|saml|oauth|authenticate", re.I)
_LOGIN_PAGE = re.compile(
    r"os_username|os_password|type=[\"']?password|<form[^>]+login|log ?in to|sign ?in|login\.action",
    re.I,
)
_HTML_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.I | re.S)


# Our own request could not be written (an HTTP library refuses a header): its message quotes
# the header, and a header may be a credential, so it is never shown, stored or logged.
REQUEST_NOT_SENT = FetchError(
    ErrorKind.CONNECT_ERROR,
    "the request could not be sent: a header value is not valid (check the credential variable)",
)


def _httpx() -> ModuleType | None:
    """httpx, if loaded: only a client that sends through it (a proxy, the in-process demo)
    meets its errors, and the lean transport never loads it."""
    return sys.modules.get("httpx")


def quotes_a_header(exc: BaseException) -> bool:
    """An exception whose message may carry a request header (and so a secret)."""
    if isinstance(exc, transport_errors.LocalProtocolError):
        return True
    h11 = sys.modules.get("h11")  # httpx's transport raises h11's own; not loaded, none was
    if h11 is not None and isinstance(exc, h11.LocalProtocolError):
        return True
    httpx = _httpx()
    return httpx is not None and isinstance(exc, httpx.LocalProtocolError)


def is_transport_error(exc: BaseException) -> bool:
    """A request that got no whole response (the lean transport's errors, or httpx's)."""
    if isinstance(exc, transport_errors.TransportError):
        return True
    httpx = _httpx()
    return httpx is not None and isinstance(exc, httpx.HTTPError)


def cut_mid_body(exc: BaseException) -> bool:
    """An error that, after the response's head, means the body was cut short."""
    return _kind(exc) in ("read", "remote_protocol")


class FetchFailed(Exception):
    def __init__(self, error: FetchError, raw: str | None = None) -> None:
        super().__init__(error.reason)
        self.error = error
        self.raw = raw


def status_error(
    status: int,
    reason_phrase: str,
    headers: Mapping[str, str],
    *,
    has_auth: bool,
    where: str,
) -> FetchError:
    """The FetchError for an HTTP status the request does not accept; ``where`` names the
    path (``…/custom/adminHealth``) for the 404 a wrong profile or spelling gives."""
    if status in (401, 403):
        denied = headers.get("x-authentication-denied-reason", "") or ""
        seraph = (headers.get("x-seraph-loginreason", "") or "").upper()
        if "CAPTCHA" in denied.upper() or "CAPTCHA" in seraph:
            reason = (
                f"HTTP {status}: Confluence asks for a CAPTCHA after failed logins; log in once "
                "in a browser with this account, then press r"
            )
        elif "AUTHENTICATION_DENIED" in seraph or "AUTHENTICATED_FAILED" in seraph:
            reason = f"HTTP {status}: login denied for this account (Confluence: {clean_text(seraph, 40)})"
        elif status == 401:
            reason = (
                "HTTP 401: credentials rejected"
                if has_auth
                else "HTTP 401: authentication required; configure auth for this environment"
            )
        else:
            reason = (
                "HTTP 403: the account may not use this endpoint (shipped UMIG: "
                "confluence-users; the seeds' adminHealth: confluence-administrators)"
            )
        return FetchError(ErrorKind.AUTH_REQUIRED, reason, status)
    if status == 404:
        return FetchError(
            ErrorKind.NOT_FOUND,
            f"HTTP 404: this environment does not serve {where} (see `umig-tui probe`)",
            status,
        )
    if 300 <= status < 400:
        location = clean_text(headers.get("location", ""), 80)
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
    phrase = clean_text(reason_phrase or "", 40)
    return FetchError(ErrorKind.HTTP_ERROR, f"HTTP {status} {phrase}".rstrip(), status)


def decode_body(body: bytes) -> str:
    """UTF-8 text (JSON and the Prometheus text format are UTF-8); not UTF-8 is invalid_response."""
    try:
        return body.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        if body.startswith(b"\x1f\x8b"):
            raise FetchFailed(
                FetchError(
                    ErrorKind.INVALID_RESPONSE,
                    "body is gzip-compressed without saying so (no Content-Encoding header)",
                )
            ) from None
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


def classify_exception(
    exc: BaseException, timeout: float, *, proxy: str | None = None
) -> FetchError:
    """Map a transport exception (``is_transport_error``) to a FetchError with a one-line human
    reason; through a proxy, the reason names it (the host itself was not even asked)."""
    error = _classify(exc, timeout)
    if proxy is None:
        return error
    via = shown(proxy)
    httpx = _httpx()
    if httpx is not None and isinstance(exc, httpx.ProxyError):
        reason = f"the proxy {via} could not reach the host ({clean_text(str(exc), 120)})"
    elif error.kind is ErrorKind.CONNECT_ERROR and _kind(exc) == "connect":
        reason = f"cannot reach the proxy {via}: {error.reason}"
    else:
        reason = f"{error.reason} (through the proxy {via})"
    return FetchError(error.kind, reason, error.http_status)


# The lean transport's errors (and httpx's, by their names) as the kinds classified below.
_KINDS: tuple[tuple[str, str], ...] = (
    ("LocalProtocolError", "local"),
    ("ConnectTimeout", "connect_timeout"),
    ("TimeoutException", "timeout"),
    ("DecodingError", "decoding"),
    ("RemoteProtocolError", "remote_protocol"),
    ("ConnectError", "connect"),
    ("ReadError", "read"),
    ("NetworkError", "network"),
)


def _kind(exc: BaseException) -> str:
    if isinstance(exc, transport_errors.TransportError):
        module = transport_errors
    else:
        httpx = _httpx()
        if httpx is None or not isinstance(exc, httpx.HTTPError):
            return "other"
        module = httpx
    for name, kind in _KINDS:
        cls = getattr(module, name, None)
        if cls is not None and isinstance(exc, cls):
            return kind
    return "other"


def _classify(exc: BaseException, timeout: float) -> FetchError:
    kind = _kind(exc)
    if kind == "local":
        return REQUEST_NOT_SENT
    if kind == "connect_timeout":
        if "TLS handshake" in str(exc):
            return FetchError(
                ErrorKind.TIMEOUT, f"TLS handshake did not complete within {timeout:g}s"
            )
        return FetchError(ErrorKind.TIMEOUT, f"connect timed out after {timeout:g}s")
    if kind == "timeout":
        return FetchError(ErrorKind.TIMEOUT, f"no response within {timeout:g}s")
    if kind == "decoding":
        return FetchError(
            ErrorKind.INVALID_RESPONSE, "body could not be decoded (bad content-encoding)"
        )
    if kind == "remote_protocol":
        message = str(exc).lower()
        if "without sending" in message or "disconnected" in message:
            return FetchError(
                ErrorKind.CONNECT_ERROR, "server closed the connection without a response"
            )
        return FetchError(
            ErrorKind.INVALID_RESPONSE, f"broken HTTP response: {clean_text(str(exc), 80)}"
        )
    if kind in ("connect", "read", "network"):
        return FetchError(ErrorKind.CONNECT_ERROR, _network_reason(exc, kind))
    return FetchError(ErrorKind.CONNECT_ERROR, f"{type(exc).__name__}: {clean_text(str(exc), 80)}")


def _network_reason(exc: BaseException, kind: str) -> str:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ssl.SSLCertVerificationError):
            return f"TLS certificate verification failed: {clean_text(current.verify_message or '', 200)}"
        if isinstance(current, ssl.SSLError):
            return f"TLS handshake failed: {clean_text(current.reason or str(current), 200)}"
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
    if kind == "read":
        return "connection reset while waiting for the response"
    return clean_text(str(exc), 80) or type(exc).__name__
