"""Alertmanager's silences over its v2 API: create, list the active ones, expire.

Silences made here match the labels the notifier sends (``alertname``, ``environment``), so
Alertmanager itself holds back the alert's notifications and every engineer sees the silence,
in umig-tui and in Alertmanager's UI alike. Every failure becomes a SilenceError with a reason.
"""

from __future__ import annotations

import json
import ssl
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from umig_tui import __version__
from umig_tui.analysis.silences import Matcher, Silence, SilenceError, SilenceSource
from umig_tui.util.sanitize import clean_text
from umig_tui.util.timefmt import parse_iso

if TYPE_CHECKING:  # httpx loads when a request is sent, not before the first frame
    import httpx


def _iso(ts: float) -> str:
    """RFC 3339 in UTC with milliseconds, as Alertmanager writes it."""
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def silence_body(
    matchers: tuple[Matcher, ...], *, author: str, comment: str, starts_at: float, ends_at: float
) -> dict[str, Any]:
    """The body of ``POST /api/v2/silences``."""
    return {
        "matchers": [
            {"name": m.name, "value": m.value, "isRegex": m.is_regex, "isEqual": m.is_equal}
            for m in matchers
        ],
        "startsAt": _iso(starts_at),
        "endsAt": _iso(ends_at),
        "createdBy": author,
        "comment": comment,
    }


def parse_silence(data: Any) -> Silence | None:
    """One element of ``GET /api/v2/silences``; None when it is not a silence we can read."""
    if not isinstance(data, dict):
        return None
    starts, ends = parse_iso(_str(data.get("startsAt"))), parse_iso(_str(data.get("endsAt")))
    raw_matchers = data.get("matchers")
    if not isinstance(data.get("id"), str) or starts is None or ends is None:
        return None
    if not isinstance(raw_matchers, list):
        return None
    matchers: list[Matcher] = []
    for raw in raw_matchers:
        if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
            return None
        is_equal = raw.get("isEqual", True)
        matchers.append(
            Matcher(
                clean_text(raw["name"], 100),
                clean_text(_str(raw.get("value")), 200),
                is_regex=raw.get("isRegex") is True,
                is_equal=is_equal is not False,
            )
        )
    equal = {m.name: m.value for m in matchers if m.is_equal and not m.is_regex}
    return Silence(
        id=clean_text(data["id"], 64),
        env=equal.get("environment"),
        rule=equal.get("alertname"),
        author=clean_text(_str(data.get("createdBy")), 80) or "?",
        comment=clean_text(_str(data.get("comment"))),
        starts_at=starts,
        ends_at=ends,
        created_at=parse_iso(_str(data.get("updatedAt"))) or starts,
        source=SilenceSource.ALERTMANAGER,
        matchers=tuple(matchers),
    )


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


class AlertmanagerSilences:
    """A small client of one Alertmanager's silences (a fresh connection per call: they are
    rare, and nothing has to be closed)."""

    def __init__(
        self, url: str, *, timeout: float = 5.0, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.transport = transport
        self._verify: ssl.SSLContext | None = None

    def _client(self) -> httpx.AsyncClient:
        import httpx

        if self._verify is None:
            import truststore  # the system's trust store, as for the environments

            self._verify = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        return httpx.AsyncClient(
            timeout=self.timeout,
            transport=self.transport,
            headers={"User-Agent": f"umig-tui/{__version__}"},
            follow_redirects=False,
            verify=self._verify,
        )

    async def _request(self, method: str, path: str, body: Any = None) -> Any:
        import httpx

        what = f"Alertmanager at {self.url}"
        try:
            async with self._client() as client:
                response = await client.request(method, self.url + path, json=body)
        except httpx.TimeoutException:
            raise SilenceError(f"{what} did not answer within {self.timeout:g}s") from None
        except httpx.ConnectError as exc:
            raise SilenceError(f"{what} is unreachable ({_reason(exc)})") from None
        except httpx.HTTPError as exc:
            raise SilenceError(f"{what}: {_reason(exc)}") from None
        if response.status_code >= 300:
            detail = _error_text(response)
            raise SilenceError(
                f"{what} refused {method} {path}: HTTP {response.status_code}"
                + (f" ({detail})" if detail else "")
            )
        if not response.content:
            return None
        try:
            return response.json()
        except (ValueError, UnicodeDecodeError):
            raise SilenceError(f"{what} answered {method} {path} with something not JSON") from None

    async def create(
        self,
        matchers: tuple[Matcher, ...],
        *,
        author: str,
        comment: str,
        starts_at: float,
        ends_at: float,
    ) -> str:
        """``POST /api/v2/silences``; the new silence's id."""
        answer = await self._request(
            "POST",
            "/api/v2/silences",
            silence_body(
                matchers, author=author, comment=comment, starts_at=starts_at, ends_at=ends_at
            ),
        )
        silence_id = answer.get("silenceID") if isinstance(answer, dict) else None
        if not isinstance(silence_id, str) or not silence_id:
            raise SilenceError(f"Alertmanager at {self.url} did not say the new silence's id")
        return silence_id

    async def active(self) -> list[Silence]:
        """``GET /api/v2/silences``, only those in force (expired and pending ones are left out)."""
        answer = await self._request("GET", "/api/v2/silences")
        if not isinstance(answer, list):
            raise SilenceError(f"Alertmanager at {self.url} answered silences with no list")
        out: list[Silence] = []
        for item in answer:
            status = item.get("status") if isinstance(item, dict) else None
            if not isinstance(status, dict) or status.get("state") != "active":
                continue
            silence = parse_silence(item)
            if silence is not None:
                out.append(silence)
        return out

    async def expire(self, silence_id: str) -> None:
        """``DELETE /api/v2/silence/{id}``."""
        await self._request("DELETE", f"/api/v2/silence/{quote(silence_id, safe='')}")


def _reason(exc: httpx.HTTPError) -> str:
    return clean_text(str(exc) or type(exc).__name__, 120)


def _error_text(response: httpx.Response) -> str:
    """Alertmanager says what was wrong in the body (a JSON string or plain text)."""
    try:
        text = response.text
    except (UnicodeDecodeError, LookupError):
        return ""
    try:
        decoded = json.loads(text)
    except ValueError:
        decoded = text
    if isinstance(decoded, dict):
        decoded = decoded.get("message") or decoded.get("error") or ""
    return clean_text(decoded if isinstance(decoded, str) else "", 160)
