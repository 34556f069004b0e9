"""The promotion board: per environment in promotion order, what runs there, since when it
differs from the next environment, its last deploy verdict and soak, and whether it can move on.

Pure: environments, landings (when an environment got a version) and verdicts in, a board out.
Collecting them (a poll, the store, the history JSONL, git) is ``service.promotion``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

import msgspec

from umig_tui.analysis.versions import DiffLevel, compare_versions, version_difference
from umig_tui.deploy.git_commits import CommitRange
from umig_tui.models import Tier, VersionRow
from umig_tui.util.durations import format_duration

# Promotion order. Hotfix is aside: it branches from production, it does not feed it.
PROMOTION_TIERS: tuple[Tier, ...] = (Tier.DEVELOPMENT, Tier.UAT, Tier.PRODUCTION)


class EnvInput(msgspec.Struct, frozen=True):
    """One environment as the poll left it."""

    name: str
    tier: Tier
    versions: VersionRow = msgspec.field(default_factory=VersionRow)
    deployed_at: float | None = None  # the environment's own word, when it gives one
    deployed_by: str | None = None
    build_tag: str | None = None
    git_commit: str | None = None
    build_number: str | None = None
    unreadable: str | None = None  # why its version is unknown

    @property
    def version(self) -> str | None:
        return self.versions.umig


class Landing(msgspec.Struct, frozen=True):
    """An environment got a version at ``ts`` (a deployment or a rollback to it)."""

    env: str
    version: str
    ts: float
    by: str | None = None


class VerdictState(msgspec.Struct, frozen=True):
    """The last deploy verdict recorded for a version in an environment, and its soak."""

    verdict: str  # pass | fail | inconclusive
    detail: str | None = None
    recorded_at: float | None = None
    soak_state: str | None = None  # soaking | passed | failed; None: no soak was asked
    soak_until: float | None = None


class Column(msgspec.Struct, frozen=True):
    """One environment on the board."""

    name: str
    tier: Tier
    aside: bool
    versions: VersionRow
    deployed_at: float | None
    deployed_by: str | None
    deployed_source: str | None  # "environment" | "history" | None
    build_tag: str | None
    git_commit: str | None
    build_number: str | None
    unreadable: str | None
    verdict: VerdictState | None

    @property
    def version(self) -> str | None:
        return self.versions.umig


class Step(msgspec.Struct, frozen=True):
    """From one environment to the next in promotion order."""

    lower: str
    upper: str
    lower_version: str | None
    upper_version: str | None
    relation: str  # same | ahead | behind | differs | unknown
    since: float | None  # since when the two run different versions
    since_exact: bool  # False: "for at least" (no record of them ever being the same)
    promotable: bool
    why: str
    commits: CommitRange | None = None

    def headline(self, now: float) -> str:
        """``uat ahead of production for 3d 4h`` and the like."""
        if self.relation == "unknown":
            return f"{self.lower} → {self.upper}: cannot compare (a version is unknown)"
        if self.relation == "same":
            return f"{self.lower} and {self.upper} run the same version"
        word = {"ahead": "ahead of", "behind": "behind", "differs": "differs from"}[self.relation]
        text = f"{self.lower} {word} {self.upper}"
        if self.since is None:
            return f"{text} (since when: no deployment record)"
        span = format_duration(max(0.0, now - self.since))
        return f"{text} for {span}" if self.since_exact else f"{text} for at least {span}"


class Board(msgspec.Struct, frozen=True):
    columns: tuple[Column, ...]  # promotion order, then the environments aside
    steps: tuple[Step, ...]
    now: float
    repository: str | None = None  # the configured clone, when there is one
    repository_error: str | None = None  # why it could not be read

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def same_version(a: str | None, b: str | None) -> bool:
    if a is None or b is None:
        return False
    return a.strip() == b.strip() or version_difference(a, b) is DiffLevel.NONE


def promotion_order(envs: Sequence[EnvInput]) -> tuple[list[EnvInput], list[EnvInput]]:
    """(the chain development → uat → production in config order within a tier, the rest)."""
    rank = {tier: i for i, tier in enumerate(PROMOTION_TIERS)}
    chain = sorted((e for e in envs if e.tier in rank), key=lambda e: rank[e.tier])
    aside = [e for e in envs if e.tier not in rank]
    return chain, aside


def _next_of(env: EnvInput, chain: Sequence[EnvInput]) -> EnvInput | None:
    """The environment ``env`` promotes into: the first of the next tier present (the one named
    like its tier when there are several)."""
    later = [
        t for t in PROMOTION_TIERS if PROMOTION_TIERS.index(t) > PROMOTION_TIERS.index(env.tier)
    ]
    for tier in later:
        members = [e for e in chain if e.tier is tier]
        if members:
            return next((e for e in members if e.name == str(tier)), members[0])
    return None


def timeline(env: EnvInput, landings: Iterable[Landing]) -> list[tuple[float, str]]:
    """(when, version) for ``env``, oldest first; its own deployed-at for what it runs now."""
    points = sorted((x.ts, x.version) for x in landings if x.env == env.name)
    if env.version is not None and env.deployed_at is not None:
        known = any(
            same_version(v, env.version) and abs(t - env.deployed_at) < 600 for t, v in points
        )
        if not known:
            points.append((env.deployed_at, env.version))
            points.sort()
    return points


def differs_since(
    lower: EnvInput, upper: EnvInput, landings: Sequence[Landing]
) -> tuple[float | None, bool]:
    """Since when ``lower`` and ``upper`` run different versions: (when, exact). Exact when the
    records show them the same before; (first time both are known, False) when they never were;
    (None, False) when the records do not end with what they run now."""
    a_points, b_points = timeline(lower, landings), timeline(upper, landings)
    if not a_points or not b_points:
        return None, False
    if not same_version(a_points[-1][1], lower.version) or not same_version(
        b_points[-1][1], upper.version
    ):
        return None, False
    merged = sorted([(t, 0, v) for t, v in a_points] + [(t, 1, v) for t, v in b_points])
    current: list[str | None] = [None, None]
    start: float | None = None
    exact = False
    for ts, side, version in merged:
        before = current[0], current[1]
        current[side] = version
        if current[0] is None or current[1] is None:
            continue
        if same_version(current[0], current[1]):
            start, exact = None, False
        elif start is None:
            start = ts
            exact = before[0] is not None and before[1] is not None
    return start, exact


def relation_of(lower: str | None, upper: str | None) -> str:
    if lower is None or upper is None:
        return "unknown"
    if same_version(lower, upper):
        return "same"
    order = compare_versions(lower, upper)
    return {1: "ahead", -1: "behind"}.get(order if order is not None else 2, "differs")


def find_verdict(
    env: str, version: str | None, verdicts: Mapping[tuple[str, str], VerdictState]
) -> VerdictState | None:
    """The newest verdict recorded for ``version`` in ``env`` (``UMIG-v1.2.0`` is 1.2.0)."""
    if version is None:
        return None
    found = [v for (e, ver), v in verdicts.items() if e == env and same_version(ver, version)]
    found.sort(key=lambda v: v.recorded_at or 0.0)
    return found[-1] if found else None


def promotability(
    lower: Column, relation: str, now: float, *, clock_text: str | None = None
) -> tuple[bool, str]:
    """(promotable, why): the lower environment's version passed its verdict and soaked."""
    name, version = lower.name, lower.version
    if relation == "unknown":
        return False, "a version is unknown: nothing to decide"
    if relation == "same":
        return False, "nothing to promote"
    if relation == "behind":
        return False, f"{name} runs an older version: promotion order violated"
    verdict = lower.verdict
    if verdict is None:
        return False, f"no deploy verdict recorded for {name} {version}"
    if verdict.verdict != "pass":
        detail = f": {verdict.detail}" if verdict.detail else ""
        return False, f"{name} {version} verdict {verdict.verdict}{detail}"
    if verdict.soak_state is None:
        return True, f"{name} {version} passed (no soak was asked)"
    until = f" until {clock_text}" if clock_text else ""
    if verdict.soak_state == "passed":
        return True, f"{name} {version} passed and soaked{until}"
    if verdict.soak_state == "failed":
        return False, f"{name} {version} passed, then failed its soak"
    if verdict.soak_until is not None and verdict.soak_until <= now:
        return False, f"{name} {version} was soaking{until}; no result recorded since"
    left = (
        f" ({format_duration(verdict.soak_until - now)} left)"
        if verdict.soak_until is not None
        else ""
    )
    return False, f"{name} {version} passed, soaking{until}{left}"


def build_board(
    envs: Sequence[EnvInput],
    landings: Sequence[Landing],
    verdicts: Mapping[tuple[str, str], VerdictState],
    *,
    now: float,
    clock: Callable[[float], str] | None = None,
    repository: str | None = None,
) -> Board:
    """The board for ``envs``: columns in promotion order, a step from each to the next tier."""
    chain, aside = promotion_order(envs)
    columns = [_column(e, landings, verdicts, aside=False) for e in chain]
    columns += [_column(e, landings, verdicts, aside=True) for e in aside]
    by_name = {c.name: c for c in columns}
    steps: list[Step] = []
    for env in chain:
        upper = _next_of(env, chain)
        if upper is None:
            continue
        relation = relation_of(env.version, upper.version)
        since, exact = (None, False)
        if relation not in ("same", "unknown"):
            since, exact = differs_since(env, upper, landings)
        lower_column = by_name[env.name]
        soak_until = lower_column.verdict.soak_until if lower_column.verdict else None
        text = clock(soak_until) if clock is not None and soak_until is not None else None
        promotable, why = promotability(lower_column, relation, now, clock_text=text)
        steps.append(
            Step(
                env.name,
                upper.name,
                env.version,
                upper.version,
                relation,
                since,
                exact,
                promotable,
                why,
            )
        )
    return Board(tuple(columns), tuple(steps), now, repository)


def _column(
    env: EnvInput,
    landings: Sequence[Landing],
    verdicts: Mapping[tuple[str, str], VerdictState],
    *,
    aside: bool,
) -> Column:
    at, by, source = env.deployed_at, env.deployed_by, "environment" if env.deployed_at else None
    if env.version is not None and (at is None or by is None):
        mine = [x for x in landings if x.env == env.name and same_version(x.version, env.version)]
        if mine:
            last = max(mine, key=lambda x: x.ts)
            if at is None:
                at, source = last.ts, "history"
            by = by or last.by
    return Column(
        name=env.name,
        tier=env.tier,
        aside=aside,
        versions=env.versions,
        deployed_at=at,
        deployed_by=by,
        deployed_source=source,
        build_tag=env.build_tag,
        git_commit=env.git_commit,
        build_number=env.build_number,
        unreadable=env.unreadable,
        verdict=find_verdict(env.name, env.version, verdicts),
    )
