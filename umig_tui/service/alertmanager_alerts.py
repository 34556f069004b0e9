"""Alerts read from Alertmanager when the fleet is read from Prometheus (``--source``).

In that mode the rules run once for the team — in ``umig-tui serve`` and, with ``rules export``,
in Prometheus — and both send Alertmanager the same labels (``alertname``, ``environment``,
``severity``, ``source="umig-tui"``). A dashboard or a one-shot command then shows what
Alertmanager holds for its environments instead of evaluating the rules a twenty-first time.
Alertmanager has no pending phase and forgets resolved alerts: what it lists is firing (or
silenced, which the silences say); an alert that leaves the list has resolved.
"""

from __future__ import annotations

import json
import logging
import ssl
import time
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any

from msgspec.structs import replace

from umig_tui import __version__
from umig_tui.analysis.alert_rules import AlertPhase, AlertState, Transition
from umig_tui.models import Severity
from umig_tui.util.sanitize import clean_text
from umig_tui.util.timefmt import parse_iso

if TYPE_CHECKING:  # httpx loads when a request is sent, not before the first frame
    import httpx

log = logging.getLogger(__name__)

PATH = "/api/v2/alerts"
# Only umig-tui's alerts (serve's and the exported rules'), silenced and inhibited included:
# the dashboard shows a silenced alert as silenced, not as gone.
QUERY = {
    "filter": 'source="umig-tui"',
    "active": "true",
    "silenced": "true",
    "inhibited": "true",
    "unprocessed": "true",
}
# Seconds between two reads at most once: the alert loop wakes every half second while an
# environment is failing, and twenty dashboards in an incident must not poll Alertmanager 40
# times a second for a list that changes when serve (or Prometheus) evaluates.
READ_AT_MOST_EVERY = 5.0
_SEVERITIES = {
    "critical": Severity.CRITICAL,
    "high": Severity.HIGH,
    "error": Severity.HIGH,
    "medium": Severity.MEDIUM,
    "warning": Severity.MEDIUM,
    "low": Severity.LOW,
    "info": Severity.LOW,
}


class AlertsUnavailable(Exception):
    """Alertmanager could not be read; the message is one line for a person."""


def parse_alert(data: Any, envs: Collection[str]) -> AlertState | None:
    """One element of ``GET /api/v2/alerts`` as an alert of one of ``envs``; None when it is
    not one (another environment, no alertname, not an object). Every string is cleaned."""
    if not isinstance(data, dict):
        return None
    labels = data.get("labels")
    if not isinstance(labels, dict):
        return None
    env, rule = labels.get("environment"), labels.get("alertname")
    if not isinstance(env, str) or env not in envs or not isinstance(rule, str) or not rule:
        return None
    annotations = data.get("annotations")
    notes = annotations if isinstance(annotations, dict) else {}
    severity = labels.get("severity")
    started = parse_iso(data.get("startsAt") if isinstance(data.get("startsAt"), str) else None)
    since = started if started is not None else time.time()
    return AlertState(
        rule=clean_text(rule, 100),
        env=env,
        phase=AlertPhase.FIRING,
        severity=_SEVERITIES.get(severity.lower(), Severity.MEDIUM)
        if isinstance(severity, str)
        else Severity.MEDIUM,
        since=since,
        fired_at=since,
        summary=_text(notes.get("summary")),
        description=_text(notes.get("description")),
    )


def _text(value: Any) -> str:
    return clean_text(value, 300) if isinstance(value, str) else ""


class AlertmanagerAlerts:
    """A small client of one Alertmanager's alert list (one connection kept: the dashboard asks
    at every alert interval)."""

    def __init__(
        self, url: str, *, timeout: float = 5.0, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.transport = transport
        self._client: httpx.AsyncClient | None = None

    def _http(self) -> httpx.AsyncClient:
        import httpx

        if self._client is None:
            import truststore  # the system's trust store, as for the environments

            self._client = httpx.AsyncClient(
                timeout=self.timeout,
                transport=self.transport,
                headers={"User-Agent": f"umig-tui/{__version__}"},
                follow_redirects=False,
                verify=truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT),
            )
        return self._client

    async def current(self, envs: Collection[str]) -> dict[tuple[str, str], AlertState]:
        """The alerts Alertmanager holds for ``envs``, by (rule, environment); raises
        AlertsUnavailable saying why it could not tell."""
        import httpx

        what = f"Alertmanager at {self.url}"
        try:
            response = await self._http().get(self.url + PATH, params=QUERY)
        except httpx.TimeoutException:
            raise AlertsUnavailable(f"{what} did not answer within {self.timeout:g}s") from None
        except httpx.ConnectError as exc:
            raise AlertsUnavailable(f"{what} is unreachable ({_reason(exc)})") from None
        except httpx.HTTPError as exc:
            raise AlertsUnavailable(f"{what}: {_reason(exc)}") from None
        if response.status_code != 200:
            raise AlertsUnavailable(f"{what} refused GET {PATH}: HTTP {response.status_code}")
        try:
            answer = json.loads(response.content)
        except (ValueError, UnicodeDecodeError):
            raise AlertsUnavailable(f"{what} answered {PATH} with something not JSON") from None
        if not isinstance(answer, list):
            raise AlertsUnavailable(f"{what} answered {PATH} with no list")
        found: dict[tuple[str, str], AlertState] = {}
        for item in answer:
            alert = parse_alert(item, envs)
            if alert is None:
                continue
            kept = found.get(alert.key)  # one alert per rule × environment, the oldest start
            if kept is None or alert.since < kept.since:
                found[alert.key] = alert
        return found

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None


def _reason(exc: httpx.HTTPError) -> str:
    return clean_text(str(exc) or type(exc).__name__, 120)


class RemoteAlerts:
    """The alerts of a run that reads Prometheus: Alertmanager's, refreshed by the alert loop;
    the last list is kept while Alertmanager does not answer, and ``notice`` says so."""

    def __init__(
        self,
        alertmanager: str | None,
        envs: Collection[str],
        *,
        timeout: float = 5.0,
        clock: Callable[[], float] = time.time,
        transport: httpx.AsyncBaseTransport | None = None,
        every: float = READ_AT_MOST_EVERY,
    ) -> None:
        self.every = every
        self.client = (
            AlertmanagerAlerts(alertmanager, timeout=timeout, transport=transport)
            if alertmanager
            else None
        )
        self.envs = frozenset(envs)
        self.clock = clock
        self.error: str | None = None  # why the last read failed; None once it answers
        self.failed_since: float | None = None
        self.read_at: float | None = None
        self._alerts: dict[tuple[str, str], AlertState] = {}

    @property
    def where(self) -> str:
        return f"Alertmanager at {self.client.url}" if self.client is not None else "nowhere"

    @property
    def notice(self) -> str | None:
        """What a person must know about the alerts shown: none can be, or they may be old."""
        if self.client is None:
            return (
                "no alerts shown: reading from Prometheus, the alert rules run in `umig-tui "
                "serve`, not here; set [notify] alertmanager to show the alerts it holds"
            )
        if self.error is None:
            return None
        since = ""
        if self.failed_since is not None:
            from umig_tui.util.timefmt import clock

            since = f" since {clock(self.failed_since)}"
        kept = "showing the last known alerts" if self.read_at is not None else "no alerts known"
        return f"alerts: {self.error}{since}; {kept}"

    def alerts(self) -> list[AlertState]:
        return sorted(self._alerts.values(), key=lambda a: (-a.severity.rank, a.env, a.rule))

    async def refresh(self) -> list[Transition]:
        """Read Alertmanager again; what changed since the last read (none on the first: the
        alerts already firing are no news), never raises."""
        if self.client is None:
            return []
        if (
            self.read_at is not None
            and self.error is None
            and self.clock() - self.read_at < self.every
        ):
            return []  # read moments ago
        try:
            found = await self.client.current(self.envs)
        except AlertsUnavailable as exc:
            if self.error is None:
                log.warning("alerts not read: %s", exc)
                self.failed_since = self.clock()
            self.error = str(exc)
            return []
        now = self.clock()
        transitions: list[Transition] = []
        if self.read_at is not None:
            transitions += [
                Transition(alert, None) for key, alert in found.items() if key not in self._alerts
            ]
            transitions += [
                Transition(replace(alert, phase=AlertPhase.RESOLVED, resolved_at=now), alert.phase)
                for key, alert in self._alerts.items()
                if key not in found
            ]
        self._alerts = found
        self.read_at = now
        self.error = None
        self.failed_since = None
        return transitions

    async def aclose(self) -> None:
        if self.client is not None:
            await self.client.aclose()
