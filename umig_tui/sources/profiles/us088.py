"""``us088``: the seeds' endpoints and JSON (seed 000 §2, §8.1), at either spelling.

The seed scripts call ``…/custom/admin/health``; ScriptRunner serves the seeds' own Groovy
closure ``adminHealth(httpMethod: "GET", …)`` at ``…/custom/adminHealth``. Both answer the same
documents; which one an environment serves is found on first contact.
"""

from __future__ import annotations

from collections.abc import Sequence

from msgspec.structs import replace

from umig_tui.models import ComponentsStatus, Document, Endpoint, HealthSnapshot
from umig_tui.sources.parse import parse_document
from umig_tui.sources.profiles.base import Answer, Profile, Request, first_body, smoke_check

SLASH = "admin/health"
FLAT = "adminHealth"

_PATHS: dict[Endpoint, tuple[str, str]] = {  # (the seed scripts' URL, ScriptRunner's name)
    Endpoint.HEALTH: ("admin/health", "adminHealth"),
    Endpoint.VERSION: ("admin/version", "adminVersion"),
    Endpoint.COMPONENTS: ("admin/components", "adminComponents"),
    Endpoint.METRICS: ("admin/metrics/prometheus", "adminMetricsPrometheus"),
}


class Us088Profile(Profile):
    name = "us088"

    def __init__(self, *, flat: bool) -> None:
        self.flat = flat
        self.variant = FLAT if flat else SLASH
        self._requests = {
            signal: (Request(paths[1] if flat else paths[0]),) for signal, paths in _PATHS.items()
        }
        self._requests[Endpoint.TEAMS] = (Request("teams", body=False),)

    def requests(self, signal: Endpoint) -> tuple[Request, ...]:
        return self._requests.get(signal, ())

    def parse(self, signal: Endpoint, answers: Sequence[Answer]) -> Document:
        if signal is Endpoint.TEAMS:
            return smoke_check(answers)
        document = parse_document(signal, first_body(answers))
        if isinstance(document, HealthSnapshot | ComponentsStatus):
            # Where it was read, as this environment spells it.
            return replace(document, source=self._requests[signal][0].path)
        return document


US088_SLASH = Us088Profile(flat=False)
US088_FLAT = Us088Profile(flat=True)
