"""What a deploy watch compares the new version with, read from the store, each labelled.

In order (the first with enough samples decides, the others are shown for context):

1. the previous version in the same environment, the hour before the deploy (before the watch
   started, or before the poller saw the version land when the watch started late);
2. the previous version's stored baseline in the same environment (``BaselineCapture`` or
   ``baseline set``) — what decides when the hour before is unknown;
3. the same version where it was accepted: its stored baseline one tier down (UAT for
   production, development for UAT);
4. the same hour a week before the deploy.

Never the new version itself. Samples are raw where the store keeps them (7 days by default),
else 1-minute averages — said in the label — else none (the reference has too few samples).
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from umig_tui.analysis.versions import compare_versions
from umig_tui.deploy.verdict import Reference
from umig_tui.events import EventKind
from umig_tui.metrics import ERROR_RATE, RESPONSE_TIME, poll_ok
from umig_tui.models import Tier
from umig_tui.store.queries import series_points
from umig_tui.store.state import Baseline, load_baselines
from umig_tui.store.store import Store
from umig_tui.store.windows import source_for

HOUR = 3600.0
WEEK = 7 * 86400.0
# Where a version was accepted before it reached this tier.
ACCEPTED_IN = {Tier.PRODUCTION: Tier.UAT, Tier.UAT: Tier.DEVELOPMENT, Tier.HOTFIX: Tier.UAT}


HEALTH_OK = poll_ok("health")  # 1 per health check answered, 0 per failed one


class Before(msgspec.Struct, frozen=True):
    """The previous version's hour before the deploy (the watch adds what it sees waiting)."""

    previous: str | None
    response: tuple[float, ...] = ()
    errors: tuple[float, ...] = ()
    window: tuple[float, float] | None = None
    landed_at: float | None = None  # when the expected version landed, if it already had
    availability: tuple[float, ...] = ()  # health checks: 1 answered, 0 failed


def same(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and (a == b or compare_versions(a, b) == 0)


async def _samples(
    store: Store, env: str, metric: str, since: float, until: float, now: float
) -> tuple[list[float], str]:
    """Values in [since, until] and how they were kept: ``raw``, ``1m`` averages or ``gone``."""
    source = source_for(store, since, now)
    if source == "1h":
        return [], "gone"
    points = await series_points(store, env, metric, since=since, until=until, resolution=source)
    # [since, until): a sample at the very moment of the landing is the new version's.
    # Compared in the store's milliseconds: a sample written at ``until`` reads back a hair
    # before it.
    end_ms = int(until * 1000)
    return [p.value for p in points if round(p.ts * 1000) < end_ms], source


async def _window(
    store: Store, env: str, label: str, since: float, until: float, now: float
) -> Reference:
    response, how = await _samples(store, env, RESPONSE_TIME, since, until, now)
    errors, _ = await _samples(store, env, ERROR_RATE, since, until, now)
    checks, checks_how = await _samples(store, env, HEALTH_OK, since, until, now)
    if how == "1m":
        label += " (1-minute averages: raw samples no longer kept)"
    elif how == "gone":
        label += " (samples no longer kept)"
    availability = tuple(checks) if checks_how == "raw" else ()  # averages of 0/1 are no checks
    return Reference(label, tuple(response), tuple(errors), (since, until), availability)


async def _landing(store: Store, env: str, version: str) -> float | None:
    """When ``version`` last landed in ``env``: the poller's sighting or a watch's
    confirmation, whichever came first (the earlier end keeps the new version out)."""
    events = await store.events(env=env, kinds=[str(EventKind.DEPLOYMENT)], limit=200)
    seen = [
        e.ts
        for e in events
        if e.deployment is not None
        and same(e.deployment.to_version, version)
        and (not e.deployment.watched or e.deployment.stage == "confirmed")
    ]
    if not seen:
        return None
    latest = max(seen)
    return min(ts for ts in seen if ts >= latest - 600.0)


async def _from_version(store: Store, env: str, version: str) -> str | None:
    events = await store.events(env=env, kinds=[str(EventKind.DEPLOYMENT)], limit=200)
    for event in sorted(events, key=lambda e: e.ts, reverse=True):
        d = event.deployment
        if (
            d is not None
            and d.from_version
            and same(d.to_version, version)
            and not same(d.from_version, version)
        ):
            return d.from_version
    return None


async def before_deploy(
    store: Store, env: str, running: str | None, expected: str, *, now: float
) -> Before:
    """The previous version's samples, the hour before the deploy.

    Before it lands that is the hour before now (from when the running version landed, if that
    was later). When the expected version already runs, the hour before it landed — if the
    store knows when; if not, nothing (never the new version's own samples).
    """
    previous = running
    until = now
    landed_at = None
    if same(running, expected):
        landed_at = await _landing(store, env, expected)
        previous = await _from_version(store, env, expected)
        if previous is None:  # no record of the landing: the newest other version measured
            stored = _stored(await load_baselines(store, env), env, None, expected)
            previous = stored.version if stored is not None else None
        if landed_at is None:
            return Before(previous)
        until = landed_at
    since = until - HOUR
    if previous is not None:
        previous_landed = await _landing(store, env, previous)
        if previous_landed is not None and since < previous_landed < until:
            since = previous_landed  # only the previous version's own samples
    response, _ = await _samples(store, env, RESPONSE_TIME, since, until, now)
    errors, _ = await _samples(store, env, ERROR_RATE, since, until, now)
    checks, how = await _samples(store, env, HEALTH_OK, since, until, now)
    return Before(
        previous,
        tuple(response),
        tuple(errors),
        (since, until),
        landed_at,
        tuple(checks) if how == "raw" else (),  # averages of 0/1 are no checks
    )


def _stored(
    baselines: Sequence[Baseline], env: str, version: str | None, expected: str
) -> Baseline | None:
    """The response-time baseline of ``version`` in ``env`` (or, unknown, the newest of any
    version but the expected one)."""
    rows = [
        b
        for b in baselines
        if b.env == env and b.metric == RESPONSE_TIME and not same(b.version, expected)
    ]
    if version is not None:
        rows = [b for b in rows if same(b.version, version)]
    return max(rows, key=lambda b: b.set_at) if rows else None


async def other_references(
    store: Store,
    env: str,
    expected: str,
    before: Before,
    *,
    accepted_envs: Sequence[str],
    now: float,
) -> list[Reference]:
    """References 2–4 (the hour before the deploy is the watch's own, it grows while waiting)."""
    out: list[Reference] = []
    baselines = await load_baselines(store)
    stored = _stored(baselines, env, before.previous, expected)
    if stored is not None:
        label = f"{stored.version} on {env}, its stored baseline ({stored.source})"
        out.append(await _window(store, env, label, stored.window_start, stored.window_end, now))
    for other in accepted_envs:
        accepted = [
            b
            for b in baselines
            if b.env == other and b.metric == RESPONSE_TIME and same(b.version, expected)
        ]
        if accepted:
            b = max(accepted, key=lambda b: b.set_at)
            label = f"{expected} on {other}, where it was accepted ({b.source} baseline)"
            out.append(await _window(store, other, label, b.window_start, b.window_end, now))
            break
    deploy_at = before.landed_at if before.landed_at is not None else now
    week = await _window(
        store,
        env,
        f"{env} a week earlier, the same hour",
        deploy_at - WEEK - HOUR,
        deploy_at - WEEK,
        now,
    )
    if week.response or week.errors:
        out.append(week)
    return out
