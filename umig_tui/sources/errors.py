"""The one error every body reader raises: the body is not a document of the expected shape."""

from __future__ import annotations

from umig_tui.models import ErrorKind, FetchError


class ParseError(Exception):
    """The body is not a document of the expected shape."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    def as_fetch_error(self) -> FetchError:
        return FetchError(ErrorKind.INVALID_RESPONSE, self.reason)
