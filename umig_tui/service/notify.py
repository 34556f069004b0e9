"""Alert sinks: a JSON webhook (the seed's trigger_alert shape) and Alertmanager's v2 API.

Delivery runs in the background with retries and backoff; a sink that is down is reported in
its status and never blocks polling.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import msgspec

from umig_tui import __version__
from umig_tui.analysis.alert_rules import AlertPhase, AlertState
from umig_tui.analysis.silences import alert_labels
from umig_tui.config import ConfigError, NotifySettings
from umig_tui.util.sanitize import clean_text
from umig_tui.util.timefmt import iso

if TYPE_CHECKING:  # httpx loads when a request is sent, not before the first frame
    import httpx

log = logging.getLogger(__name__)

RETRIES = 5
ALERTMANAGER_RESEND = 60.0  # Alertmanager resolves alerts that are not re-sent (resolve_timeout)


def webhook_payload(alert: AlertState) -> dict[str, Any]:
    """Seed 001 trigger_alert: {"alert", "value", "timestamp"}, plus what an on-call needs."""
    return {
        "alert": alert.rule,
        "value": "" if alert.value is None else f"{alert.value:g}",
        "timestamp": iso(time.time()),
        "environment": alert.env,
        "severity": str(alert.severity).lower(),
        "state": str(alert.phase),
        "summary": alert.summary,
        "description": alert.description,
        "since": iso(alert.since),
        "source": f"umig-tui/{__version__}",
    }


def alertmanager_alert(alert: AlertState) -> dict[str, Any]:
    """One element of ``POST /api/v2/alerts``; resolved alerts carry endsAt."""
    body: dict[str, Any] = {
        "labels": alert_labels(alert),  # what silences match, here and in Alertmanager
        "annotations": {"summary": alert.summary, "description": alert.description},
        "startsAt": iso(alert.fired_at or alert.since),
    }
    if alert.phase is AlertPhase.RESOLVED and alert.resolved_at is not None:
        body["endsAt"] = iso(alert.resolved_at)
    return body


class SinkStatus(msgspec.Struct):
    name: str
    url: str
    ok: bool | None = None  # None: nothing sent yet
    last_error: str | None = None
    sent: int = 0
    failed: int = 0

    def describe(self) -> str:
        if self.ok is None:
            return f"{self.name}: nothing sent yet"
        if self.ok:
            return f"{self.name}: ok ({self.sent} sent)"
        return f"{self.name}: failing ({self.last_error})"


class Notifier:
    """Queues alert transitions and delivers them; ``status`` says how each sink is doing."""

    def __init__(
        self,
        settings: NotifySettings,
        environ: Mapping[str, str],
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        backoff: float = 1.0,
    ) -> None:
        import httpx

        headers = {"User-Agent": f"umig-tui/{__version__}", "Content-Type": "application/json"}
        self._webhook_headers = dict(headers)
        if settings.webhook_token_env:
            token = environ.get(settings.webhook_token_env)
            if not token:
                raise ConfigError(
                    f"notify: webhook token variable ${settings.webhook_token_env} is not set"
                )
            self._webhook_headers["Authorization"] = f"Bearer {token}"
        self.settings = settings
        self.backoff = backoff
        self.status: dict[str, SinkStatus] = {}
        if settings.webhook:
            self.status["webhook"] = SinkStatus("webhook", settings.webhook)
        if settings.alertmanager:
            self.status["alertmanager"] = SinkStatus("alertmanager", settings.alertmanager)
        import truststore  # the system's trust store, as for the environments

        self._client = httpx.AsyncClient(
            timeout=settings.timeout,
            transport=transport,
            headers=headers,
            follow_redirects=False,
            verify=truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT),
        )
        # One queue and one worker per sink: a sink that is down (retrying for a while) must not
        # hold up the others.
        self._queues: dict[str, asyncio.Queue[Any]] = {
            name: asyncio.Queue(maxsize=1000) for name in self.status
        }
        self._tasks: list[asyncio.Task[None]] = []
        self._last_resend = 0.0

    @property
    def enabled(self) -> bool:
        return bool(self.status)

    def start(self) -> None:
        if not self._tasks and self.enabled:
            loop = asyncio.get_running_loop()
            self._tasks = [loop.create_task(self._deliver(name)) for name in self._queues]

    def _put(self, sink: str, body: Any) -> None:
        with contextlib.suppress(asyncio.QueueFull):  # a sink down for long: drop the newest
            self._queues[sink].put_nowait(body)

    def submit(self, alert: AlertState, *, silenced: bool = False) -> None:
        """Queue one firing or resolved alert for every sink; never blocks. A silenced alert
        goes to Alertmanager only (which holds it back under its silence), never the webhook."""
        if not self.enabled:
            return
        self.start()
        if "webhook" in self.status and not silenced:
            self._put("webhook", webhook_payload(alert))
        if "alertmanager" in self.status:
            self._put("alertmanager", [alertmanager_alert(alert)])

    def resend_firing(self, firing: Sequence[AlertState], now: float) -> None:
        """Alertmanager forgets alerts that are not repeated: re-send the firing ones each minute."""
        if (
            "alertmanager" not in self.status
            or not firing
            or now - self._last_resend < ALERTMANAGER_RESEND
        ):
            return
        self._last_resend = now
        self.start()
        self._put("alertmanager", [alertmanager_alert(a) for a in firing])

    async def flush(self) -> None:
        """Wait until the queues are delivered or given up (callers bound it with asyncio.timeout)."""
        if self._tasks:
            await asyncio.gather(*(queue.join() for queue in self._queues.values()))

    async def _deliver(self, sink: str) -> None:
        queue = self._queues[sink]
        while True:
            body = await queue.get()
            try:
                await self._send(sink, body)
            finally:
                queue.task_done()

    async def _send(self, sink: str, body: Any) -> None:
        import httpx

        status = self.status[sink]
        url = status.url.rstrip("/") + ("/api/v2/alerts" if sink == "alertmanager" else "")
        headers = self._webhook_headers if sink == "webhook" else None
        delay = self.backoff
        for attempt in range(1, RETRIES + 1):
            try:
                response = await self._client.post(url, json=body, headers=headers)
                if response.status_code < 300:
                    status.ok, status.last_error = True, None
                    status.sent += 1
                    return
                error = f"HTTP {response.status_code}"
                if 400 <= response.status_code < 500 and response.status_code not in (408, 429):
                    attempt = RETRIES  # a request the sink refuses will not improve with retries
            except httpx.HTTPError as exc:
                error = clean_text(str(exc) or type(exc).__name__, 80)
            status.ok, status.last_error = False, error
            if attempt >= RETRIES:
                break
            await asyncio.sleep(delay)
            delay *= 2
        status.failed += 1
        log.warning("alert not delivered to %s: %s", sink, status.last_error)

    async def aclose(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self._client.aclose()


def notifier_for(settings: NotifySettings, environ: Mapping[str, str]) -> Notifier | None:
    """A Notifier when a sink is configured, else None (its HTTP client loads the CA bundle,
    ~50 ms). Raises ConfigError when the webhook token variable is unset."""
    if not (settings.webhook or settings.alertmanager or settings.webhook_token_env):
        return None
    return Notifier(settings, environ)
