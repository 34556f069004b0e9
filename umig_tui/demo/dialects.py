"""The dialects a simulated environment speaks: which paths it answers, and with what.

``us088`` is the seed scripts' URLs, ``us088-scriptrunner`` the same documents at the flat
closure names ScriptRunner really serves, ``umig-admin-v2`` the shipped application
(real-umig-api.md). Each path also says which monitor signals it answers, so that a fault
injected on a signal ("health") reaches every path of that signal in any dialect.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import msgspec

from umig_tui.demo import documents, documents_v2
from umig_tui.demo import documents_v2_live as live
from umig_tui.demo.documents import EnvReading
from umig_tui.demo.documents_v2 import Page
from umig_tui.models import Endpoint

Builder = Callable[[EnvReading, float], Page]
JSON = "application/json"
PROMETHEUS = "text/plain; version=0.0.4"
NOT_FOUND = b'{"message": "Not Found"}'  # what ScriptRunner answers for a closure it lacks


class Route(msgspec.Struct, frozen=True):
    """One path below the API prefix."""

    path: str
    signals: tuple[Endpoint, ...]  # the monitor signals it answers (faults by signal name)
    build: Builder
    content_type: str = JSON
    probe: bool = False  # a monitor times it: it answers after the env's response time
    smoke: bool = False  # the teams smoke check: answers ``teams_status`` when that is set


class Dialect(msgspec.Struct, frozen=True):
    name: str
    routes: tuple[Route, ...]

    def route(self, path: str) -> Route | None:
        """The route ``path`` (prefix, path, maybe a query) reaches; None is a 404."""
        clean = path.split("?", 1)[0].rstrip("/")
        # Longest first: "dashboard/health" must not be taken for a shorter name.
        for route in sorted(self.routes, key=lambda r: len(r.path), reverse=True):
            if clean.endswith("/" + route.path):
                return route
        return None

    def endpoint_names(self) -> tuple[str, ...]:
        """What ``set_fault`` accepts: the signal names, then every path this dialect serves."""
        names = [signal.value for signal in Endpoint]
        names += [r.path for r in self.routes if r.path not in names]
        return tuple(names)

    def check_endpoint(self, endpoint: object) -> None:
        if not isinstance(endpoint, str) or endpoint not in self.endpoint_names():
            raise ValueError(
                f"unknown endpoint {endpoint!r}; use one of {', '.join(self.endpoint_names())}"
            )

    def fault_for(self, route: Route, faults: Mapping[str, str]) -> str | None:
        """The fault that applies to ``route``: its own path's, then its signals', then ``*``."""
        for key in (route.path, *(s.value for s in route.signals), "*"):
            if key in faults:
                return faults[key]
        return None


def _ok(build: Callable[[EnvReading, float], bytes]) -> Builder:
    """A document that always answers 200."""

    def page(reading: EnvReading, now: float) -> Page:
        return 200, build(reading, now)

    return page


def _seed(build: Callable[[EnvReading], bytes]) -> Builder:
    """A seed document (seed 000 §2): it does not read the clock."""
    return _ok(lambda reading, _now: build(reading))


_SEED_DOCUMENTS: tuple[tuple[Endpoint, str, str, Builder, str], ...] = (
    (Endpoint.HEALTH, "admin/health", "adminHealth", _seed(documents.health), JSON),
    (Endpoint.VERSION, "admin/version", "adminVersion", _seed(documents.version), JSON),
    (Endpoint.COMPONENTS, "admin/components", "adminComponents", _seed(documents.components), JSON),
    (
        Endpoint.METRICS,
        "admin/metrics/prometheus",
        "adminMetricsPrometheus",
        _seed(documents.prometheus),
        PROMETHEUS,
    ),
)
_SEED_TEAMS = Route("teams", (Endpoint.TEAMS,), _ok(lambda _r, _now: documents.teams()), smoke=True)


def _seed_dialect(name: str, *, flat: bool) -> Dialect:
    routes = tuple(
        Route(flat_path if flat else slash_path, (signal,), build, content_type)
        for signal, slash_path, flat_path, build, content_type in _SEED_DOCUMENTS
    )
    return Dialect(name, (*routes, _SEED_TEAMS))


_H, _V, _C, _M, _T = (
    Endpoint.HEALTH,
    Endpoint.VERSION,
    Endpoint.COMPONENTS,
    Endpoint.METRICS,
    Endpoint.TEAMS,
)

UMIG_ADMIN_V2 = Dialect(
    "umig-admin-v2",
    (
        Route("adminVersion", (_V,), _ok(documents_v2.admin_version)),
        Route("databaseVersions", (_V,), live.database_versions),
        Route("databaseVersionsStatistics", (_V,), live.database_versions_statistics),
        Route("adminComponents", (_C,), _ok(documents_v2.admin_components)),
        Route("adminCompatibility", (), _ok(documents_v2.admin_compatibility)),
        Route("adminBuildInfo", (), _ok(documents_v2.admin_build_info)),
        Route("databaseVersionsHealth", (_H,), live.database_versions_health),
        Route("dashboard/health", (_H,), _ok(live.dashboard_health)),
        Route("testEndpoint", (_H,), _ok(live.probe_test_endpoint)),
        Route("healthCheck", (_H,), _ok(live.health_check)),
        Route("urlConfigurationHealth", (), _ok(live.url_configuration_health)),
        # A monitor reads this dialect's latency and its smoke check off the two list endpoints.
        Route("teams", (_M, _T), _ok(live.teams), probe=True, smoke=True),
        Route("users", (_M,), _ok(live.users), probe=True),
    ),
)

DIALECTS: dict[str, Dialect] = {
    "us088": _seed_dialect("us088", flat=False),
    "us088-scriptrunner": _seed_dialect("us088-scriptrunner", flat=True),
    "umig-admin-v2": UMIG_ADMIN_V2,
}


def dialect(name: str) -> Dialect:
    """The dialect called ``name``; ValueError names the known ones."""
    if name not in DIALECTS:
        raise ValueError(f"unknown dialect {name!r}; use one of {', '.join(DIALECTS)}")
    return DIALECTS[name]
