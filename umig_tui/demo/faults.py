"""Fault injection: every way an environment can misbehave, and what the monitor must call it."""

from __future__ import annotations

import json

import msgspec

from umig_tui.models import ErrorKind


class SimResponse(msgspec.Struct, frozen=True):
    """What the simulator answers. ``action`` asks the transport to misbehave at the socket."""

    status: int = 200
    headers: tuple[tuple[str, str], ...] = (("content-type", "application/json"),)
    body: bytes = b""
    delay: float = 0.0
    # None | "refused" | "reset" | "hang" | "truncate" (declare the full length, send half, close)
    action: str | None = None
    chunked: bool = False  # stream without a content-length (the cap must work while streaming)
    extra: dict[str, str] = msgspec.field(default_factory=dict)


_LOGIN_HTML = b"""<!DOCTYPE html>
<html><head><title>Log In - Confluence</title></head>
<body><form id="loginform" method="post" action="/dologin.action">
<input type="text" name="os_username" id="os_username"/>
<input type="password" name="os_password" id="os_password"/>
<input type="submit" value="Log in"/></form></body></html>
"""

_ERROR_HTML = b"""<!DOCTYPE html>
<html><head><title>Internal Server Error</title></head>
<body><h1>HTTP Status 500</h1><pre>java.lang.NullPointerException
    at com.onresolve.scriptrunner.runner.rest.common.CustomEndpointDelegate</pre></body></html>
"""

HOSTILE_TEXT = "[bold red]PWNED[/bold red] \x1b[31;1mred\x1b[0m \x1b]0;owned-title\x07 [link=http://evil]x[/link]\r\x08"

# Fault name → the error kind the monitor must report for it (None: parsed, but sanitized).
FAULTS: dict[str, ErrorKind | None] = {
    "refused": ErrorKind.CONNECT_ERROR,
    "reset": ErrorKind.CONNECT_ERROR,
    "hang": ErrorKind.TIMEOUT,
    "slow": ErrorKind.TIMEOUT,
    "http500": ErrorKind.HTTP_ERROR,
    "http503": ErrorKind.HTTP_ERROR,
    "redirect_login": ErrorKind.AUTH_REQUIRED,
    "login_page": ErrorKind.AUTH_REQUIRED,
    "http401": ErrorKind.AUTH_REQUIRED,
    "http403": ErrorKind.AUTH_REQUIRED,
    "captcha": ErrorKind.AUTH_REQUIRED,  # Confluence's lock-out after failed logins
    "malformed_json": ErrorKind.INVALID_RESPONSE,
    "truncated": ErrorKind.INVALID_RESPONSE,
    "cut_json": ErrorKind.INVALID_RESPONSE,
    "empty": ErrorKind.INVALID_RESPONSE,
    "huge": ErrorKind.TOO_LARGE,
    "not_object": ErrorKind.INVALID_RESPONSE,
    "not_utf8": ErrorKind.INVALID_RESPONSE,
    "wrong_types": ErrorKind.INVALID_RESPONSE,
    "nulls": ErrorKind.INVALID_RESPONSE,
    "hostile": None,
}


def fault_response(
    kind: str, good_body: bytes, *, timeout_hint: float = 10.0, api_path: str = ""
) -> SimResponse:
    """The misbehaving answer for fault ``kind``; ``good_body`` is what would have been sent."""
    json_type = (("content-type", "application/json"),)
    html_type = (("content-type", "text/html; charset=utf-8"),)
    if kind in ("refused", "reset", "hang"):
        return SimResponse(action=kind)
    if kind == "slow":
        return SimResponse(body=good_body, delay=timeout_hint + 1.0)
    if kind == "http500":
        return SimResponse(status=500, headers=html_type, body=_ERROR_HTML)
    if kind == "http503":
        return SimResponse(
            status=503, headers=(("content-type", "text/plain"),), body=b"Service Unavailable"
        )
    if kind == "redirect_login":
        location = f"/login.action?os_destination={api_path.replace('/', '%2F')}"
        return SimResponse(status=302, headers=(("location", location),), body=b"")
    if kind == "login_page":
        return SimResponse(status=200, headers=html_type, body=_LOGIN_HTML)
    if kind == "http401":
        return SimResponse(
            status=401,
            headers=(*json_type, ("www-authenticate", 'Basic realm="Confluence"')),
            body=b'{"message":"Client must be authenticated to access this resource."}',
        )
    if kind == "captcha":
        return SimResponse(
            status=403,
            headers=(
                *json_type,
                ("x-seraph-loginreason", "AUTHENTICATION_DENIED"),
                ("x-authentication-denied-reason", "CAPTCHA_CHALLENGE; login-url=/login.action"),
            ),
            body=b'{"message":"Forbidden"}',
        )
    if kind == "http403":
        return SimResponse(status=403, headers=json_type, body=b'{"message":"Forbidden"}')
    if kind == "malformed_json":
        return SimResponse(body=b'{"umig": {"status": "healthy",, "version": }')
    if kind == "truncated":
        return SimResponse(body=good_body, action="truncate")
    if kind == "cut_json":
        return SimResponse(body=good_body[: max(1, len(good_body) // 2)])
    if kind == "empty":
        return SimResponse(body=b"")
    if kind == "huge":
        filler = json.dumps({"padding": "x" * 1024}).encode()
        return SimResponse(body=b"[" + b",".join([filler] * 3 * 1024) + b"]", chunked=True)
    if kind == "not_object":
        return SimResponse(body=b'["healthy", 1, 2, 3]')
    if kind == "not_utf8":
        return SimResponse(body=b'{"umig": {"status": "healthy", "version": "1.2.\xff\xfe"}}')
    if kind == "wrong_types":
        return SimResponse(
            body=json.dumps(
                {
                    "umig": {"version": 12, "status": ["healthy"], "uptime": {}, "deployedAt": 5},
                    "components": "database",
                    "metrics": [1, 2],
                    "orchestrator": [],
                    "entityManagers": 3,
                }
            ).encode()
        )
    if kind == "nulls":
        return SimResponse(
            body=b'{"umig": null, "components": null, "system": null, "metrics": null, '
            b'"orchestrator": null, "entityManagers": null, "services": null, "repositories": null}'
        )
    if kind == "hostile":
        return SimResponse(body=_hostile(good_body))
    raise ValueError(f"unknown fault {kind!r}; known: {', '.join(FAULTS)}")


def _hostile(good_body: bytes) -> bytes:
    """The good document with every string replaced by markup and terminal escapes."""
    try:
        doc = json.loads(good_body)
    except ValueError:  # the Prometheus text: hostile label values
        return good_body.replace(b'version="', b'version="\x1b[31m[bold]PWNED[/bold] ')

    def poison(value: object) -> object:
        if isinstance(value, dict):
            return {k: poison(v) if k != "status" else v for k, v in value.items()}
        if isinstance(value, list):
            return [poison(v) for v in value]
        if isinstance(value, str):
            return f"{value} {HOSTILE_TEXT}"
        return value

    return json.dumps(poison(doc)).encode()
