"""Collecting the promotion board: what a poll left in the fleet state, when each environment got
its version (the store's timeline and the history JSONL), the deploy verdicts recorded there, and
with ``[repository]`` the commits between environments. The board itself is ``deploy.promotion``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from umig_tui.config import Config
from umig_tui.config.model import RepositorySettings
from umig_tui.deploy.git_commits import GitError, Repository
from umig_tui.deploy.history_jsonl import HistoryEntry
from umig_tui.deploy.promotion import Board, EnvInput, Landing, VerdictState, build_board
from umig_tui.deploy.timeline import load_history
from umig_tui.events import EventKind
from umig_tui.models import Endpoint, VersionInfo
from umig_tui.service.monitor import Monitor
from umig_tui.util.sanitize import clean_text
from umig_tui.util.timefmt import parse_iso, stamp

# How far back deployments are read: far enough for a release that has waited a quarter in UAT.
LOOKBACK = 365 * 86400.0


def env_inputs(monitor: Monitor) -> list[EnvInput]:
    """Each configured environment as the fleet state holds it now."""
    fleet = monitor.fleet
    unreadable = fleet.unreadable()
    inputs: list[EnvInput] = []
    for env in monitor.config.environments:
        view = fleet.view(env.name)
        good = fleet.last_good(env.name, Endpoint.VERSION)
        info = good.value if good is not None and isinstance(good.value, VersionInfo) else None
        inputs.append(
            EnvInput(
                name=env.name,
                tier=env.tier,
                versions=fleet.versions(env.name),
                deployed_at=parse_iso(view.deployed_at),
                deployed_by=view.deployed_by,
                build_tag=info.build_tag if info else None,
                git_commit=info.git_commit if info else None,
                build_number=(info.build_number or info.build) if info else None,
                unreadable=unreadable.get(env.name),
            )
        )
    return inputs


def landings_from(entries: Iterable[HistoryEntry]) -> list[Landing]:
    """When each environment got a version: successful deployments and rollbacks (to a version)."""
    landings: list[Landing] = []
    for entry in entries:
        record = entry.record
        if entry.type == "deployment_success" and entry.version:
            by = record.get("initiatedBy")
            landings.append(Landing(entry.environment, entry.version, entry.ts, _text(by, 80)))
        elif entry.type == "rollback":
            target = _text(record.get("toVersion"), 80)
            if target:
                landings.append(Landing(entry.environment, target, entry.ts))
    return landings


def verdicts_from(entries: Iterable[HistoryEntry]) -> dict[tuple[str, str], VerdictState]:
    """The last verdict per (environment, version) in the watches' history records, read by the
    deploy watch's own reader (``deploy.verdict_record``): the one place the board reads them."""
    from umig_tui.deploy.verdict_record import last_verdicts

    found: dict[tuple[str, str], VerdictState] = {}
    for key, verdict in last_verdicts(entry.record for entry in entries).items():
        failing = [m.metric for m in verdict.detail if m.outcome != "pass"]
        why = verdict.reason or ", ".join(failing)
        found[key] = VerdictState(
            verdict=verdict.verdict,
            detail=clean_text(why, 160) if why else None,
            recorded_at=verdict.at,
            soak_state=verdict.soak.state if verdict.soak is not None else None,
            soak_until=verdict.soak.until if verdict.soak is not None else None,
        )
    return found


def _text(value: Any, limit: int) -> str | None:
    return clean_text(value, limit) if isinstance(value, str) and value.strip() else None


async def collect_board(monitor: Monitor, *, now: float | None = None) -> Board:
    """The board from what ``monitor`` holds (poll it first), its store and history file."""
    now = time.time() if now is None else now
    config: Config = monitor.config
    store = monitor.store
    file = config.history_file
    try:
        history = await load_history(store, file, since=now - LOOKBACK)
    except OSError:
        history = await load_history(store, None, since=now - LOOKBACK)
    entries = list(history.entries)
    landings = landings_from(entries)
    if store is not None:  # the poller's sightings, at the time they were seen
        kinds = [str(EventKind.DEPLOYMENT), str(EventKind.ROLLBACK)]
        for event in await store.events(since=now - LOOKBACK, kinds=kinds, limit=5000):
            deployment = event.deployment
            if deployment is None or event.env is None or deployment.watched:
                continue
            if deployment.to_version:
                at = parse_iso(deployment.deployed_at) or event.ts
                landings.append(
                    Landing(event.env, deployment.to_version, at, deployment.deployed_by)
                )
    board = build_board(
        env_inputs(monitor),
        landings,
        verdicts_from(entries),
        now=now,
        clock=stamp,
        repository=str(config.repository.path) if config.repository.path else None,
    )
    if config.repository.path is not None:
        board = await with_commits(board, config.repository)
    return board


async def with_commits(board: Board, settings: RepositorySettings) -> Board:
    """``board`` with the commits between each pair of environments that run different versions."""
    from msgspec.structs import replace

    if settings.path is None:
        return board
    repo = Repository(settings.path, timeout=settings.timeout)
    try:
        await repo.check()
    except GitError as exc:
        return replace(board, repository_error=str(exc))
    steps = []
    refs: dict[str, Any] = {}
    for step in board.steps:
        if step.relation in ("same", "unknown"):
            steps.append(step)
            continue
        try:
            for name in (step.lower, step.upper):
                if name not in refs:
                    column = board.column(name)
                    refs[name] = await repo.resolve(
                        name, column.version, column.git_commit, column.build_tag
                    )
            commits = await repo.between(refs[step.upper], refs[step.lower])
        except GitError as exc:
            return replace(
                board, steps=tuple(steps) + board.steps[len(steps) :], repository_error=str(exc)
            )
        steps.append(replace(step, commits=commits))
    return replace(board, steps=tuple(steps))
