"""A response as the client reads it: httpx's, or the lean transport's head and body stream;
and the credential header that never shows itself."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # the lean transport loads with the first request
    from umig_tui.sources.transport import ResponseBody


class Credential(bytes):
    """An Authorization header value: sent as is, but its repr never shows it (a crash dump
    with locals, as Textual prints, or a debugger would otherwise print the secret)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "b'[secure]'"


class Answered(Protocol):
    """What a fetch reads of a response (an httpx.Response, or a DirectAnswer)."""

    @property
    def status_code(self) -> int: ...

    @property
    def reason_phrase(self) -> str: ...

    @property
    def headers(self) -> Any: ...

    def aiter_raw(self) -> AsyncIterator[bytes]: ...


class DirectAnswer:
    """A response straight from the lean transport: the head, and the body as it streams."""

    def __init__(self, status: int, reason: str, raw_headers: Any, stream: ResponseBody) -> None:
        self.status_code = status
        self.reason_phrase = reason
        self.headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in raw_headers}
        self._stream = stream

    def aiter_raw(self) -> AsyncIterator[bytes]:
        return self._stream.__aiter__()
