"""The lean transport's request heads are h11's: the same bytes, refused where h11 refuses."""

from __future__ import annotations

import random

import h11
import pytest

from umig_tui.sources.request_head import request_head
from umig_tui.sources.transport_errors import LocalProtocolError

Headers = list[tuple[bytes, bytes]]


def h11_head(method: bytes, target: bytes, headers: Headers) -> bytes | None:
    """What h11 writes, or None when it refuses."""
    try:
        return h11.Connection(h11.CLIENT).send(
            h11.Request(method=method, target=target, headers=headers)
        )
    except h11.LocalProtocolError:
        return None


def ours(method: bytes, target: bytes, headers: Headers) -> bytes | None:
    try:
        return request_head(method, target, headers)
    except LocalProtocolError:
        return None


HOST = (b"Host", b"umig.example:8443")
CASES: list[tuple[bytes, bytes, Headers]] = [
    (b"GET", b"/rest/scriptrunner/latest/custom/adminHealth", [HOST]),
    (b"GET", b"/x?a=1&b=%20", [(b"accept", b"application/json"), HOST, (b"User-Agent", b"u/1")]),
    (b"POST", b"/login", [HOST, (b"Content-Length", b"12"), (b"content-type", b"text/plain")]),
    (b"GET", b"/", [HOST, (b"Content-Length", b"3, 3"), (b"content-length", b"3")]),
    (b"GET", b"/", [HOST, (b"Transfer-Encoding", b"CHUNKED")]),
    (b"GET", b"/", [HOST, (b"Authorization", b"Bearer t\x80\xffk")]),  # obs-text
    (b"GET", b"/", [HOST, (b"X-Empty", b"")]),
    (b"GET", b"/", [HOST, (b"X-Inner", b"a \t b")]),
    (b"GET", b"/", [HOST, (b"X-Ctl", b"a\x01b")]),  # h11 lets other controls through
    # refused
    (b"GET", b"/", []),
    (b"GET", b"/", [HOST, HOST]),
    (b"G T", b"/", [HOST]),
    (b"GET", b"/a b", [HOST]),
    (b"GET", b"", [HOST]),
    (b"GET", b"/\x7f", [HOST]),
    (b"GET", b"/", [HOST, (b"Bad Name", b"x")]),
    (b"GET", b"/", [HOST, (b"", b"x")]),
    (b"GET", b"/", [HOST, (b"Authorization", b"Bearer s3cret ")]),
    (b"GET", b"/", [HOST, (b"Authorization", b" Bearer")]),
    (b"GET", b"/", [HOST, (b"Authorization", b"Bearer\r\nX-Injected: 1")]),
    (b"GET", b"/", [HOST, (b"Authorization", b"a\x00b")]),
    (b"GET", b"/", [HOST, (b"Content-Length", b"1, 2")]),
    (b"GET", b"/", [HOST, (b"Content-Length", b"1"), (b"Content-Length", b"2")]),
    (b"GET", b"/", [HOST, (b"Content-Length", b"-1")]),
    (b"GET", b"/", [HOST, (b"Content-Length", b"1" * 21)]),
    (b"GET", b"/", [HOST, (b"Transfer-Encoding", b"gzip")]),
    (b"GET", b"/", [HOST, (b"Transfer-Encoding", b"chunked"), (b"Transfer-Encoding", b"chunked")]),
]


@pytest.mark.parametrize(("method", "target", "headers"), CASES)
def test_each_head_is_written_or_refused_as_h11_does(
    method: bytes, target: bytes, headers: Headers
) -> None:
    assert ours(method, target, headers) == h11_head(method, target, headers)


def test_random_heads_agree_with_h11() -> None:
    rng = random.Random(17)
    alphabet = b"aZ09-_ :\t\r\n\x00\x01\x7f\x80,;=/\"'"
    for _ in range(3000):
        headers: Headers = [HOST] if rng.random() < 0.9 else []
        for _ in range(rng.randint(0, 3)):
            name = bytes(rng.choice(alphabet) for _ in range(rng.randint(0, 6)))
            value = bytes(rng.choice(alphabet) for _ in range(rng.randint(0, 8)))
            if rng.random() < 0.2:
                name = rng.choice([b"content-length", b"Transfer-Encoding", b"host"])
            headers.insert(rng.randint(0, len(headers)), (name, value))
        target = bytes(rng.choice(alphabet) for _ in range(rng.randint(0, 5))) or b"/"
        assert ours(b"GET", target, headers) == h11_head(b"GET", target, headers), (
            target,
            headers,
        )


def test_a_refused_value_is_never_quoted() -> None:
    with pytest.raises(LocalProtocolError) as refused:
        request_head(b"GET", b"/", [HOST, (b"Authorization", b"Bearer s3cret ")])
    assert "s3cret" not in str(refused.value)
    assert "Authorization" in str(refused.value)
