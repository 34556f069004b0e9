"""An HTTP/1.1 request head, validated and written by h11's rules without loading h11.

The lean transport sends a handful of heads (one per method, target and headers) and keeps
each as bytes; h11 wrote them, but its import (~10 ms: its grammar compiled at load) came with
every one-shot command's first request. The rules are h11 0.16's (``_abnf``, ``_headers``,
``Request``): a method that is a token, a target of visible characters, header names that are
tokens, values without NUL, line breaks or edge whitespace, one Host, one Content-Length,
Transfer-Encoding only ``chunked``; Host is written first. ``tests/unit/test_request_head.py``
compares the bytes, and the refusals, with h11's own on ordinary and hostile heads.

A refused value is never quoted in the error: it may be a credential.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from umig_tui.sources.transport_errors import LocalProtocolError

_TOKEN = re.compile(rb"[-!#$%&'*+.^_`|~0-9a-zA-Z]+")
_TARGET = re.compile(rb"[\x21-\x7e]+")
_FIELD_VCHAR = rb"[^\x00\s]"
_VALUE = re.compile(rb"(%s+(?:[ \t]+%s+)*)?" % (_FIELD_VCHAR, _FIELD_VCHAR))
_LENGTH = re.compile(rb"[0-9]+")
_MAX_LENGTH_DIGITS = 20


def request_head(method: bytes, target: bytes, headers: Sequence[tuple[bytes, bytes]]) -> bytes:
    """``GET /x HTTP/1.1`` and its headers as sent; raises LocalProtocolError when h11 would."""
    if _TOKEN.fullmatch(method) is None:
        raise LocalProtocolError(f"Illegal method {method!r}")
    if _TARGET.fullmatch(target) is None:
        raise LocalProtocolError(f"Illegal target characters in {target!r}")
    lines: list[bytes] = []
    hosts: list[bytes] = []
    length: bytes | None = None
    chunked = False
    for raw_name, raw_value in headers:
        if _TOKEN.fullmatch(raw_name) is None:
            raise LocalProtocolError(f"Illegal header name {raw_name!r}")
        if _VALUE.fullmatch(raw_value) is None:
            raise LocalProtocolError(f"Illegal header value (header {raw_name!r})")
        name = raw_name.lower()
        value = raw_value
        if name == b"content-length":
            lengths = {part.strip() for part in value.split(b",")}
            if len(lengths) != 1:
                raise LocalProtocolError("conflicting Content-Length headers")
            value = lengths.pop()
            if _LENGTH.fullmatch(value) is None or len(value) > _MAX_LENGTH_DIGITS:
                raise LocalProtocolError("bad Content-Length")
            if length is not None:
                if length != value:
                    raise LocalProtocolError("conflicting Content-Length headers")
                continue  # the same length twice is written once
            length = value
        elif name == b"transfer-encoding":
            if chunked:
                raise LocalProtocolError("multiple Transfer-Encoding headers")
            value = value.lower()
            if value != b"chunked":
                raise LocalProtocolError("Only Transfer-Encoding: chunked is supported")
            chunked = True
        line = b"%s: %s\r\n" % (raw_name, value)
        if name == b"host":
            hosts.append(line)
        else:
            lines.append(line)
    if not hosts:
        raise LocalProtocolError("Missing mandatory Host: header")
    if len(hosts) > 1:
        raise LocalProtocolError("Found multiple Host: headers")
    return b"%s %s HTTP/1.1\r\n%s%s\r\n" % (method, target, hosts[0], b"".join(lines))
