"""Why a fetch failed, in one line a person can act on: status codes, bodies, transport errors."""

from __future__ import annotations

import errno
import re
import ssl
from collections.abc import Mapping
from typing import TYPE_CHECKING

from umig_tui.models import ErrorKind, FetchError
from umig_tui.sources.proxies import shown
from umig_tui.util.sanitize import clean_text

if TYPE_CHECKING:  # httpx loads with the first request (sources/client.py)
    import httpx

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


def quotes_a_header(exc: BaseException) -> bool:
    """An exception whose message may carry a request header (and so a secret)."""
    import h11
    import httpx

    return isinstance(exc, httpx.LocalProtocolError | h11.LocalProtocolError)


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
    exc: httpx.HTTPError, timeout: float, *, proxy: str | None = None
) -> FetchError:
    """Map an httpx/transport exception to a FetchError with a one-line human reason; through
    a proxy, the reason names it (the host itself was not even asked)."""
    import httpx

    error = _classify(exc, timeout)
    if proxy is None:
        return error
    via = shown(proxy)
    if isinstance(exc, httpx.ProxyError):
        reason = f"the proxy {via} could not reach the host ({clean_text(str(exc), 120)})"
    elif error.kind is ErrorKind.CONNECT_ERROR and isinstance(exc, httpx.ConnectError):
        reason = f"cannot reach the proxy {via}: {error.reason}"
    else:
        reason = f"{error.reason} (through the proxy {via})"
    return FetchError(error.kind, reason, error.http_status)


def _classify(exc: httpx.HTTPError, timeout: float) -> FetchError:
    import httpx

    if isinstance(exc, httpx.LocalProtocolError):
        return REQUEST_NOT_SENT
    if isinstance(exc, httpx.ConnectTimeout):
        if "TLS handshake" in str(exc):
            return FetchError(
                ErrorKind.TIMEOUT, f"TLS handshake did not complete within {timeout:g}s"
            )
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
    import httpx

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
    if isinstance(exc, httpx.ReadError):
        return "connection reset while waiting for the response"
    return clean_text(str(exc), 80) or type(exc).__name__
