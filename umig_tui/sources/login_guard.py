"""Failed logins lock Confluence accounts (it asks for a CAPTCHA after three): with credentials,
one request goes first and the others wait for its answer; once the credentials are refused,
nothing more is sent for that environment until someone asks again (``r``, or a restart with
a new config)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from umig_tui.models import ErrorKind, FetchError
from umig_tui.sources.failures import FetchFailed

T = TypeVar("T")

REFUSED = "credentials rejected — not retrying until r or a config reload"


def is_refused_login(error: FetchError) -> bool:
    """The credentials themselves were refused (not a missing group membership, which is a
    403 about one endpoint and costs no failed login)."""
    if error.kind is not ErrorKind.AUTH_REQUIRED:
        return False
    return error.http_status != 403 or "CAPTCHA" in error.reason or "login denied" in error.reason


class LoginGuard:
    def __init__(self, *, active: bool) -> None:
        self.active = active  # credentials are configured
        self.refused: FetchError | None = None
        self._proven = False  # a request with these credentials got past authentication
        self._first = asyncio.Lock()

    def retry(self) -> None:
        """Someone asked again: the next request may try the credentials once more."""
        self.refused = None
        self._proven = False

    async def send(self, request: Callable[[], Awaitable[T]]) -> T:
        if not self.active:
            return await request()
        self._check()
        if self._proven:
            return await self._watch(request)
        async with self._first:
            self._check()
            return await self._watch(request)

    def _check(self) -> None:
        if self.refused is not None:
            raise FetchFailed(self.refused)

    async def _watch(self, request: Callable[[], Awaitable[T]]) -> T:
        try:
            answer = await request()
        except FetchFailed as failed:
            if is_refused_login(failed.error):
                self.refused = FetchError(
                    ErrorKind.AUTH_REQUIRED,
                    f"{REFUSED} ({failed.error.reason})",
                    failed.error.http_status,
                )
                raise FetchFailed(self.refused) from None
            raise
        self._proven = True
        return answer
