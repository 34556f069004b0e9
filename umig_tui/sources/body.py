"""Reading a body under a size cap, compressed ones included: the cap counts decompressed
bytes and decompression stops at it (a small gzip bomb must not become hundreds of MB)."""

from __future__ import annotations

import zlib
from typing import Any

from umig_tui.models import ErrorKind, FetchError
from umig_tui.sources.answered import Answered
from umig_tui.sources.failures import FetchFailed
from umig_tui.util.sanitize import clean_text

# What zlib reads for each Content-Encoding (47: gzip or zlib, told apart by the header).
_WBITS = {"gzip": 47, "x-gzip": 47, "deflate": 15}


class BodyTooLarge(Exception):
    def __init__(self, size: int | None) -> None:
        self.size = size


def _decoder(encoding: str) -> Any:
    if encoding in ("", "identity"):
        return None
    if encoding in _WBITS:
        return zlib.decompressobj(_WBITS[encoding])
    raise FetchFailed(
        FetchError(
            ErrorKind.INVALID_RESPONSE,
            f"body is compressed with {clean_text(encoding, 20)}, which was not asked for",
        )
    )


async def read_capped(response: Answered, cap: int) -> bytes:
    """The whole body (decompressed), or BodyTooLarge past ``cap`` bytes."""
    encoding = (response.headers.get("content-encoding") or "").strip().lower()
    decoder = _decoder(encoding)
    declared = response.headers.get("content-length")
    if decoder is None and declared and declared.isdigit() and int(declared) > cap:
        raise BodyTooLarge(int(declared))
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_raw():
        if decoder is None:
            pieces = [chunk]
        else:
            pieces = []
            data = chunk
            while data:
                try:
                    piece = decoder.decompress(data, cap - size + 1)
                except zlib.error:
                    raise FetchFailed(
                        FetchError(ErrorKind.INVALID_RESPONSE, f"body is not valid {encoding}")
                    ) from None
                pieces.append(piece)
                size_now = size + sum(len(p) for p in pieces)
                if size_now > cap:
                    raise BodyTooLarge(None)
                data = decoder.unconsumed_tail
                if not piece and not data:
                    break
        for piece in pieces:
            size += len(piece)
            if size > cap:
                raise BodyTooLarge(None)
            chunks.append(piece)
    return b"".join(chunks)
