"""One client per environment: fetch a signal through the environment's profile, end in a
document or a FetchError; find the profile on first contact when the config says ``auto``."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import ssl
import time
from collections.abc import AsyncIterator, Callable, Sequence
from typing import TYPE_CHECKING

from umig_tui import __version__
from umig_tui.config import Environment, Polling
from umig_tui.models import Endpoint, ErrorKind, FetchError, NotOffered, PollResult
from umig_tui.sources.answered import Answered, Credential, DirectAnswer
from umig_tui.sources.body import BodyTooLarge, read_capped
from umig_tui.sources.errors import ParseError
from umig_tui.sources.failures import (
    REQUEST_NOT_SENT,
    FetchFailed,
    classify_exception,
    cut_mid_body,
    decode_body,
    html_error,
    human_size,
    is_transport_error,
    looks_like_html,
    quotes_a_header,
    status_error,
)
from umig_tui.sources.login_guard import LoginGuard
from umig_tui.sources.profiles import Speaks
from umig_tui.sources.profiles.base import Answer, Profile, Request, encode_answers
from umig_tui.sources.profiles.detect import Candidate, Detected, candidates_for, classify
from umig_tui.sources.proxies import shown
from umig_tui.sources.target import IDLE_PER_ORIGIN, Origin, Target
from umig_tui.sources.unchanged import LastDocuments
from umig_tui.util.sanitize import clean_text

# h11, httptools and the lean transport load with the first request, not on the way to the dashboard's
# first frame; httpx (~30 ms of imports) only for a client that sends through it (a proxy, the
# in-process demo): every use below imports them where it needs them.
if TYPE_CHECKING:
    import httpx

    from umig_tui.sources.transport import StreamTransport

USER_AGENT = f"umig-tui/{__version__}"
log = logging.getLogger(__name__)

# After a detection found nothing, fetches within this many seconds get the same answer: the
# four signals of one poll must not send four rounds of probes.
DETECT_FAILURE_HOLD = 5.0
# A detected profile whose paths start answering 404 is detected again, at most this often.
REDETECT_EVERY = 60.0

ProfileListener = Callable[[str, Profile], None]


class Lean:
    """The lean transport for a client (sources/transport.py), built with its first request."""

    __slots__ = ("connect", "verify")

    def __init__(self, verify: ssl.SSLContext | None, connect: float) -> None:
        self.verify = verify
        self.connect = connect


class UmigClient:
    """Fetches one environment's signals over a keep-alive connection pool."""

    def __init__(
        self,
        env: Environment,
        polling: Polling,
        *,
        secret: tuple[str, str] | str | None = None,
        verify: ssl.SSLContext | bool = True,
        transport: httpx.AsyncBaseTransport | Lean | None = None,
        proxy: str | None = None,
        speaks: Speaks | None = None,
    ) -> None:
        self.env = env
        self.timeout = polling.timeout
        self.max_body = polling.max_body_bytes
        self.speaks = speaks or Speaks("auto", None)
        self.profile: Profile | None = self.speaks.profile
        self.detected_at: float | None = None  # wall time the profile was found (auto only)
        self.on_profile: ProfileListener | None = None
        self._detect_lock = asyncio.Lock()
        self._detect_failure: tuple[float, FetchError] | None = None
        self._tentative_at: float | None = None  # a profile guessed from broken answers
        headers = {
            "User-Agent": USER_AGENT,
            "Accept": "application/json, text/plain;q=0.9",
            # Compressed bodies are read under the cap too, but none is asked for.
            "Accept-Encoding": "identity",
        }
        if isinstance(secret, str):
            headers["Authorization"] = f"Bearer {secret}"
        self._has_auth = secret is not None
        self.login = LoginGuard(active=self._has_auth)
        self._targets: dict[str, Target] = {}
        self._origin: Origin | None = None
        self._last = LastDocuments()  # a body that comes back unchanged is not parsed again
        # The lean transport is called directly (httpx's client layer costs a third of a poll):
        # no httpx client is built for it. Other transports (proxies, the in-process demo) go
        # through httpx.
        self._direct: StreamTransport | None = None
        # False when the open-file limit leaves no room for connections kept between polls
        # (polling/open_files.py): each request then closes its own. Set before the first one.
        self.keep_idle = True
        self._raw_headers = [
            (k.lower().encode(), Credential(v.encode()) if k == "Authorization" else v.encode())
            for k, v in headers.items()
        ]
        if isinstance(secret, tuple):
            token = base64.b64encode(f"{secret[0]}:{secret[1]}".encode()).decode()
            self._raw_headers.append((b"authorization", Credential(f"Basic {token}".encode())))
        # The proxy comes from the environment the client was built with, not from whatever
        # the process has (trust_env off): one source of truth for which path a request takes.
        self.proxy = proxy
        # No secret kept here in the clear: the httpx client's headers come from _raw_headers.
        self._options = (verify, transport, polling.timeout)
        self._http: httpx.AsyncClient | None = None

    def _lean(self) -> StreamTransport | None:
        """The lean transport, built on first use; None when requests go through httpx."""
        if self._direct is None and self._http is None:
            from umig_tui.sources.transport import StreamTransport

            _verify, transport, _timeout = self._options
            if isinstance(transport, Lean):
                self._direct = StreamTransport(
                    transport.verify,
                    connect_timeout=transport.connect,
                    max_idle=IDLE_PER_ORIGIN if self.keep_idle else 0,
                )
        return self._direct

    @property
    def _client(self) -> httpx.AsyncClient:
        """The httpx client for the requests the lean transport does not carry, built on first
        use."""
        if self._http is None:
            import httpx

            verify, transport, timeout = self._options
            assert not isinstance(transport, Lean), "the lean transport is called directly"
            self._http = httpx.AsyncClient(
                # The same headers as the lean path sends, the credential's among them (httpx
                # masks it in its own reprs).
                headers=[(name, bytes(value)) for name, value in self._raw_headers],
                verify=verify,
                transport=transport,
                proxy=self.proxy,
                trust_env=False,
                timeout=httpx.Timeout(timeout),
                follow_redirects=False,  # credentials never follow a redirect to another host
                limits=httpx.Limits(
                    max_connections=4,
                    # None kept when the open-file limit leaves no room (polling/open_files.py).
                    max_keepalive_connections=IDLE_PER_ORIGIN if self.keep_idle else 0,
                    keepalive_expiry=90,
                ),
            )
        return self._http

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()  # closes its transport too
        elif self._direct is not None:
            await self._direct.aclose()

    @property
    def detects(self) -> bool:
        """True when the profile is found on first contact rather than fixed by the config."""
        return self.speaks.profile is None

    def retry(self) -> None:
        """Asked again (``r``): credentials refused before are tried once more, and a profile
        that could not be found is looked for at once."""
        self.login.retry()
        self._detect_failure = None

    def adopt(self, profile: Profile, detected_at: float) -> None:
        """Take a profile found earlier (the store's choice), so no probe is sent."""
        if self.detects:
            self.profile = profile
            self.detected_at = detected_at

    def where(self, path: str) -> str:
        """``…/custom/adminHealth``: the path as a person recognises it in a reason."""
        tail = self.env.api_prefix.rstrip("/").rpartition("/")[2]
        return f"…/{tail}/{path}" if tail else f"/{path}"

    # -- signals ------------------------------------------------------------------------------

    async def fetch(self, endpoint: Endpoint) -> PollResult:
        """Fetch and parse ``endpoint``; every outcome is a PollResult, never an exception."""
        started = time.perf_counter()
        wall = time.time()
        try:
            if self.profile is None or self._tentative_at is not None:
                # First contact: finding the profile has a timeout of its own, so the signal
                # still gets its full one after it, and its time is when its own request went.
                async with asyncio.timeout(self.timeout):
                    await self.resolve()
                started = time.perf_counter()
                wall = time.time()
            async with asyncio.timeout(self.timeout):
                return await self._fetch_signal(endpoint, wall, started)
        except FetchFailed as failed:
            return self._result(endpoint, wall, started, error=failed.error, raw=failed.raw)
        except TimeoutError:
            error = FetchError(ErrorKind.TIMEOUT, f"no complete response within {self.timeout:g}s")
            return self._result(endpoint, wall, started, error=error)
        except Exception as exc:  # a response nothing above foresaw must not stop the monitor
            if quotes_a_header(exc):
                log.error(
                    "fetching %s %s: request not sent (header refused)", self.env.name, endpoint
                )
                return self._result(endpoint, wall, started, error=REQUEST_NOT_SENT)
            log.exception("unexpected failure fetching %s %s", self.env.name, endpoint)
            error = FetchError(
                ErrorKind.INVALID_RESPONSE,
                f"could not process the response ({type(exc).__name__}: {clean_text(str(exc), 60)})",
            )
            return self._result(endpoint, wall, started, error=error)

    async def _fetch_signal(self, endpoint: Endpoint, wall: float, started: float) -> PollResult:
        profile = await self.resolve()
        requests = profile.requests(endpoint)
        if not requests:
            return PollResult(self.env.name, endpoint, wall, None, value=NotOffered(profile.label))
        answers = await self._answers(requests)
        first = answers[0]
        if (
            first.error is not None
            and first.error.kind is ErrorKind.NOT_FOUND
            and self._may_redetect()
        ):
            # The environment answered before and now does not serve the path: it was
            # upgraded (or rolled back) to another API. Detect again, then ask again.
            self.profile = None
            profile = await self.resolve()
            requests = profile.requests(endpoint)
            if not requests:
                return PollResult(
                    self.env.name, endpoint, wall, None, value=NotOffered(profile.label)
                )
            answers = await self._answers(requests)
        raw = encode_answers(answers)
        value = self._last.find(endpoint, profile, requests, answers)
        if value is None:
            try:
                value = profile.parse(endpoint, answers)
            except ParseError as exc:
                raise FetchFailed(exc.as_fetch_error(), raw=raw[:4096]) from None
            self._last.keep(endpoint, profile, answers, value)
        return PollResult(
            env=self.env.name,
            endpoint=endpoint,
            ts=wall,
            latency_ms=(time.perf_counter() - started) * 1000,
            value=value,
            raw=raw,
        )

    def _may_redetect(self) -> bool:
        return (
            self.detects
            and self.detected_at is not None
            and time.time() - self.detected_at >= REDETECT_EVERY
        )

    async def _answers(self, requests: Sequence[Request]) -> list[Answer]:
        """Every request of a signal, at once; fallbacks only when all the others failed.
        A failed request that is not optional fails the signal with its error."""
        main = [r for r in requests if not r.fallback]
        if len(main) == 1:  # the common case: no task per request
            answers = [await self._answer(main[0])]
        else:
            answers = list(await asyncio.gather(*(self._answer(r) for r in main)))
        for request, answer in zip(main, answers, strict=True):
            if answer.error is not None and not request.optional:
                raise FetchFailed(answer.error)
        if all(a.error is not None for a in answers):
            backups = [r for r in requests if r.fallback]
            extra = list(await asyncio.gather(*(self._answer(r) for r in backups)))
            if all(a.error is not None for a in extra):
                first = answers[0].error if answers else extra[0].error
                assert first is not None
                raise FetchFailed(first)
            answers += extra
        return answers

    async def _answer(self, request: Request) -> Answer:
        started = time.perf_counter()
        try:
            return await self.login.send(lambda: self.get(request))
        except FetchFailed as failed:
            error = failed.error
        except Exception as exc:
            if not is_transport_error(exc):
                raise
            error = classify_exception(exc, self.timeout, proxy=self.proxy)
        return Answer(
            request.path, None, latency_ms=(time.perf_counter() - started) * 1000, error=error
        )

    # -- profile detection --------------------------------------------------------------------

    async def resolve(self) -> Profile:
        """The environment's profile, detected on first contact; raises FetchFailed when no
        profile answers (the reason says what each candidate said)."""
        tentative = self._tentative_at
        if tentative is not None and time.monotonic() - tentative >= REDETECT_EVERY:
            self.profile = None  # a guess from broken answers: look again
        if self.profile is not None:
            return self.profile
        async with self._detect_lock:  # the signals of one poll wait for one detection
            found = self._found()  # by the detection this fetch waited for
            if found is not None:
                return found
            held = self._detect_failure
            if held is not None and time.monotonic() - held[0] < DETECT_FAILURE_HOLD:
                raise FetchFailed(held[1])
            outcome = await self.detect()
            if outcome.profile is None:
                assert outcome.error is not None
                self._detect_failure = (time.monotonic(), outcome.error)
                raise FetchFailed(outcome.error)
            self._detect_failure = None
            self.profile = outcome.profile
            if outcome.tentative:
                self._tentative_at = time.monotonic()
                return outcome.profile
            self._tentative_at = None
            self.detected_at = time.time()
            if self.on_profile is not None:
                try:
                    self.on_profile(self.env.name, outcome.profile)
                except Exception:  # a listener's bug must not fail the fetch
                    log.exception("profile listener failed for %s", self.env.name)
            return outcome.profile

    def _found(self) -> Profile | None:
        return self.profile

    async def detect(self) -> Detected:
        """Ask the candidates in order until one answer names a profile."""
        tried: list[str] = []
        misses: list[FetchError] = []
        likely: Profile | None = None
        candidates = candidates_for(self.speaks.family)
        for candidate in candidates:
            tried.append(candidate.path)
            try:
                # A path that hangs must not hold up the next candidate for the whole timeout.
                async with asyncio.timeout(self.timeout / 2):
                    answer = await self.ask(candidate)
            except TimeoutError:
                reason = f"{self.where(candidate.path)}: no response within {self.timeout / 2:g}s"
                answer = Answer(candidate.path, None, error=FetchError(ErrorKind.TIMEOUT, reason))
            if answer.error is not None:
                if answer.error.kind in (ErrorKind.CONNECT_ERROR, ErrorKind.AUTH_REQUIRED):
                    # Down, or the credentials are refused: more probes only add failed logins.
                    return Detected(None, answer.error, tuple(tried))
                if answer.error.kind not in (ErrorKind.NOT_FOUND, ErrorKind.TIMEOUT):
                    likely = likely or candidate.only
                misses.append(answer.error)
                continue
            verdict = classify(candidate.path, answer.status or 0, answer.body)
            family = self.speaks.family
            if verdict.profile is not None and family not in (None, verdict.profile.name):
                # Configured as one profile, answering as another: say which, at once.
                return Detected(
                    None,
                    FetchError(
                        ErrorKind.NOT_FOUND,
                        f"configured as {family}, but {self.where(candidate.path)} answers as "
                        f'{verdict.profile.name}: set profile = "{verdict.profile.name}" or '
                        '"auto" (see `umig-tui probe`)',
                    ),
                    tuple(tried),
                )
            if verdict.profile is not None:
                return Detected(verdict.profile, None, tuple(tried))
            likely = likely or candidate.only
            misses.append(
                FetchError(
                    ErrorKind.INVALID_RESPONSE, f"{self.where(candidate.path)}: {verdict.note}"
                )
            )
        if likely is not None:
            # Nothing readable, but a path only one profile serves is there: poll with it, so
            # each signal shows its own error, and look again later.
            return Detected(likely, None, tuple(tried), tentative=True)
        return Detected(None, self._no_profile(tried, misses), tuple(tried))

    async def ask(self, candidate: Candidate) -> Answer:
        """One detection request (``umig-tui probe`` asks every candidate this way)."""
        return await self._answer(Request(candidate.path, accept=candidate.accept))

    def _no_profile(self, tried: list[str], misses: list[FetchError]) -> FetchError:
        paths = ", ".join(self.where(p) for p in tried)
        kinds = {m.kind for m in misses}
        if len(kinds) == 1 and ErrorKind.NOT_FOUND not in kinds:
            return misses[0]  # every path fails alike: that failure is the answer
        if kinds == {ErrorKind.NOT_FOUND}:
            return FetchError(
                ErrorKind.NOT_FOUND,
                f"HTTP 404 for every known endpoint ({paths}): not a UMIG this tool knows, or "
                "a wrong URL or api_prefix; see `umig-tui probe`",
                404,
            )
        telling = next(m for m in misses if m.kind is not ErrorKind.NOT_FOUND)
        return FetchError(
            telling.kind,
            f"no known profile answers ({telling.reason}); see `umig-tui probe`",
            telling.http_status,
        )

    # -- one request --------------------------------------------------------------------------

    def _target(self, path: str) -> Target:
        """Where a request for ``path`` goes: the environment's origin, parsed once per client,
        and the path's request target, percent-encoded once per process (sources/target.py)."""
        target = self._targets.get(path)
        if target is None:
            origin = self._origin
            if origin is None:
                origin = self._origin = Origin.of(self.env.url)
            target = self._targets[path] = origin.target(f"{self.env.api_prefix}/{path}")
        return target

    async def get(self, request: Request) -> Answer:
        """One GET; raises FetchFailed (or a transport error) for anything but an accepted
        answer."""
        started = time.perf_counter()
        received_headers = False
        try:
            async with self._get(request.path) as response:
                received_headers = True
                status = response.status_code
                if not request.body:
                    if not 200 <= status < 300:
                        raise FetchFailed(self._status_error(response, request.path))
                    # Timed to the last byte, as a user waits for it; the size does not matter.
                    with contextlib.suppress(BodyTooLarge):
                        await self._read_capped(response)
                    return Answer(request.path, status, "", _since(started))
                if status not in request.accept:
                    raise FetchFailed(self._status_error(response, request.path))
                try:
                    body = await self._read_capped(response)
                except BodyTooLarge as big:
                    raise FetchFailed(self._too_large(big)) from None
                content_type = response.headers.get("content-type", "")
        except Exception as exc:
            if received_headers and cut_mid_body(exc):
                raise FetchFailed(
                    FetchError(
                        ErrorKind.INVALID_RESPONSE,
                        "truncated response: the connection closed mid-body",
                    )
                ) from None
            raise
        text = decode_body(body)
        if looks_like_html(text, content_type):
            raise FetchFailed(html_error(text, status), raw=None)
        return Answer(request.path, status, text, _since(started))

    def _too_large(self, big: BodyTooLarge) -> FetchError:
        cap = human_size(self.max_body)
        size = human_size(big.size) if big.size else ""
        if size == cap:  # rounded alike: say the exact byte counts
            size, cap = f"{big.size} bytes", f"{self.max_body} bytes"
        reason = f"body is {size}; the cap is {cap}" if size else f"body exceeds the {cap} cap"
        return FetchError(ErrorKind.TOO_LARGE, reason)

    @contextlib.asynccontextmanager
    async def _get(self, path: str) -> AsyncIterator[Answered]:
        direct = self._lean()  # built on the first request
        if direct is None:
            async with self._client.stream("GET", self.env.endpoint_url(path)) as response:
                yield response
            return
        target = self._target(path)
        headers = [(b"host", target.origin.netloc), *self._raw_headers]
        event, stream = await direct.open(
            "GET", target, headers, connect_timeout=self.timeout * 0.9
        )
        try:
            yield DirectAnswer(
                event.status_code, event.reason.decode("latin-1"), event.headers, stream
            )
        finally:
            await stream.aclose()

    async def _read_capped(self, response: Answered) -> bytes:
        return await read_capped(response, self.max_body)

    def _status_error(self, response: Answered, path: str) -> FetchError:
        error = status_error(
            response.status_code,
            response.reason_phrase,
            response.headers,
            has_auth=self._has_auth,
            where=self.where(path),
        )
        if self.proxy is not None and response.status_code in (502, 503, 504):
            # A gateway error through a proxy may be the proxy's own: say which path it took.
            via = f" (through the proxy {shown(self.proxy)})"
            error = FetchError(error.kind, error.reason + via, error.http_status)
        return error

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
            latency_ms=_since(started),
            error=error,
            raw=raw,
        )


def _since(started: float) -> float:
    return (time.perf_counter() - started) * 1000


__all__ = ["Credential", "FetchFailed", "UmigClient", "classify_exception"]
