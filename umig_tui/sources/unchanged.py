"""The last document read per signal, so a body that comes back byte for byte is not parsed again
(a version or components document rarely changes between polls)."""

from __future__ import annotations

from collections.abc import Sequence

from umig_tui.models import Document, Endpoint
from umig_tui.sources.profiles.base import Answer, Profile, Request

# A body up to this size is remembered; a larger one would be compared in full each time and
# kept twice: not worth it.
REMEMBER_BODIES_UP_TO = 256 * 1024


def _read_from(answers: Sequence[Answer]) -> tuple[object, ...]:
    """What a document is read from: every answer's path, status, body and error."""
    return tuple((a.path, a.status, a.body, a.error) for a in answers)


class LastDocuments:
    """Per signal: the profile, what was answered and the document read from it."""

    def __init__(self) -> None:
        self._last: dict[Endpoint, tuple[Profile, tuple[object, ...], Document]] = {}

    def find(
        self,
        signal: Endpoint,
        profile: Profile,
        requests: Sequence[Request],
        answers: Sequence[Answer],
    ) -> Document | None:
        """The document read from the same answers last time, if these are the same. Never for
        a signal whose document holds request times (timed probes): those change every poll."""
        last = self._last.get(signal)
        if last is None or last[0] is not profile or any(not r.body for r in requests):
            return None
        return last[2] if last[1] == _read_from(answers) else None

    def keep(
        self, signal: Endpoint, profile: Profile, answers: Sequence[Answer], document: Document
    ) -> None:
        if sum(len(a.body) for a in answers) <= REMEMBER_BODIES_UP_TO:
            self._last[signal] = (profile, _read_from(answers), document)
        else:
            self._last.pop(signal, None)
