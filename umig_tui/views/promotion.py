"""The promotion board as lines of styled text (the CLI paints them, the screen makes rich Text of
them) and as the JSON of ``promote --json``. No Textual, no Rich: the same words everywhere."""

from __future__ import annotations

from typing import Any

from umig_tui.deploy.git_commits import CommitRange
from umig_tui.deploy.promotion import Board, Column, Step, VerdictState
from umig_tui.util.timefmt import iso, stamp

# A piece of a line and its style: a status word (healthy = good, degraded = waiting, unhealthy =
# wrong, unknown = quiet) that both faces already know how to colour, or None.
Piece = tuple[str, str | None]
Line = tuple[Piece, ...]

GOOD, WAIT, BAD, QUIET = "healthy", "degraded", "unhealthy", "unknown"
COMPONENTS = ("database", "api", "ui", "backend")


def _line(*pieces: Piece | str) -> Line:
    return tuple(p if isinstance(p, tuple) else (p, None) for p in pieces)


def verdict_text(verdict: VerdictState | None) -> Line:
    if verdict is None:
        return _line(("none recorded", QUIET))
    style = {"pass": GOOD, "fail": BAD}.get(verdict.verdict, WAIT)
    pieces: list[Piece] = [(verdict.verdict, style)]
    if verdict.recorded_at is not None:
        pieces.append((f" ({stamp(verdict.recorded_at)})", QUIET))
    if verdict.detail and verdict.verdict != "pass":
        pieces.append((f": {verdict.detail}", None))
    if verdict.soak_state is not None:
        until = f" until {stamp(verdict.soak_until)}" if verdict.soak_until is not None else ""
        soak_style = {"passed": GOOD, "failed": BAD}.get(verdict.soak_state, WAIT)
        pieces.append((" · soak ", None))
        pieces.append((f"{verdict.soak_state}{until}", soak_style))
    return tuple(pieces)


def column_lines(column: Column) -> list[Line]:
    lines: list[Line] = []
    version = column.version
    tier = f" ({column.tier})" if str(column.tier) != column.name else ""
    head: list[Piece] = [(column.name, None), (f"{tier}  ", QUIET)]
    if version is None:
        head.append(("version unknown", BAD))
        if column.unreadable:
            head.append((f" ({column.unreadable})", QUIET))
    else:
        head.append((version, None))
    lines.append(tuple(head))
    parts = [f"{c} {v}" for c in COMPONENTS if (v := column.versions.get(c)) is not None]
    if parts:
        lines.append(_line("    components  ", " · ".join(parts)))
    if column.deployed_at is not None or column.deployed_by:
        when = stamp(column.deployed_at) if column.deployed_at is not None else "when unknown"
        who = f" by {column.deployed_by}" if column.deployed_by else " (by whom not reported)"
        source = " (from the deployment history)" if column.deployed_source == "history" else ""
        lines.append(_line("    deployed    ", f"{when}{who}", (source, QUIET)))
    build = [
        f"{label} {value}"
        for label, value in (
            ("tag", column.build_tag),
            ("commit", column.git_commit),
            ("build", column.build_number),
        )
        if value
    ]
    if build:
        lines.append(_line("    build       ", " · ".join(build)))
    lines.append(_line("    verdict     ", *verdict_text(column.verdict)))
    return lines


def step_lines(step: Step, now: float, *, repository: bool) -> list[Line]:
    style = BAD if step.relation == "behind" else QUIET if step.relation == "same" else None
    lines: list[Line] = [_line("  ↓ ", (step.headline(now), style))]
    if step.promotable:
        lines.append(_line("    ", ("promotable", GOOD), f": {step.why}"))
    elif step.relation not in ("same", "unknown"):
        lines.append(_line("    ", ("not promotable", WAIT), f": {step.why}"))
    if step.commits is not None:
        lines += commit_lines(step, step.commits)
    elif repository and step.relation not in ("same", "unknown"):
        lines.append(_line("    ", ("no commits listed", QUIET)))
    return lines


def commit_lines(step: Step, commits: CommitRange) -> list[Line]:
    if commits.error is not None:
        return [_line("    commits: ", (commits.error, WAIT))]
    base, head = commits.base, commits.head
    count = commits.count if commits.count is not None else "?"
    lines = [
        _line(
            f"    {count} commit{'s' if count != 1 else ''} in {step.lower} not in {step.upper} ",
            (f"({step.upper} = {base.how}, {step.lower} = {head.how})", QUIET),
        )
    ]
    if commits.behind:
        lines.append(_line("    ", (f"{commits.behind} in {step.upper} not in {step.lower}", WAIT)))
    for commit in commits.commits:
        lines.append(
            _line(f"      {commit.sha[:10]}  ", commit.subject, (f"  {commit.author}", QUIET))
        )
    if commits.truncated and base.sha and head.sha:
        lines.append(
            _line(
                (
                    f"      …and {commits.truncated} more: git log {base.sha[:10]}..{head.sha[:10]}",
                    QUIET,
                )
            )
        )
    return lines


def board_lines(board: Board) -> list[Line]:
    """The whole board: a heading, each environment in promotion order with the step to the
    next under it, then the environments aside (hotfix)."""
    lines: list[Line] = [_line(("Promotion board", None), (f"  {stamp(board.now)}", QUIET))]
    if board.repository is None:
        lines.append(_line(("repository: none configured ([repository] path): no commits", QUIET)))
    elif board.repository_error is not None:
        lines.append(_line("repository: ", (board.repository_error, BAD)))
    else:
        lines.append(_line(("repository: ", QUIET), board.repository))
    steps = {s.lower: s for s in board.steps}
    chain = [c for c in board.columns if not c.aside]
    aside = [c for c in board.columns if c.aside]
    if not board.columns:
        lines.append(_line(("no environments", QUIET)))
    for column in chain:
        lines.append(())
        lines += column_lines(column)
        if column.name in steps:
            lines += step_lines(
                steps[column.name], board.now, repository=board.repository is not None
            )
    if aside:
        lines.append(())
        lines.append(_line(("aside (not in the promotion order):", QUIET)))
        for column in aside:
            lines += column_lines(column)
    return lines


def plain(line: Line) -> str:
    return "".join(text for text, _ in line)


def _time(ts: float | None) -> str | None:
    return iso(ts) if ts is not None else None


def _commits_json(commits: CommitRange | None) -> dict[str, Any] | None:
    if commits is None:
        return None

    def ref(r: Any) -> dict[str, Any]:
        return {"sha": r.sha, "how": r.how, "problem": r.problem}

    return {
        "count": commits.count,
        "behind": commits.behind,
        "base": ref(commits.base),
        "head": ref(commits.head),
        "list": [
            {"sha": c.sha, "author": c.author, "at": _time(c.ts), "subject": c.subject}
            for c in commits.commits
        ],
        "error": commits.error,
    }


def board_json(board: Board) -> dict[str, Any]:
    """``promote --json`` (README documents the keys; new keys may be added)."""

    def verdict(v: VerdictState | None) -> dict[str, Any] | None:
        if v is None:
            return None
        soak = None
        if v.soak_state is not None:
            soak = {"state": v.soak_state, "until": _time(v.soak_until)}
        return {
            "verdict": v.verdict,
            "detail": v.detail,
            "recorded_at": _time(v.recorded_at),
            "soak": soak,
        }

    return {
        "environments": [
            {
                "name": c.name,
                "tier": str(c.tier),
                "aside": c.aside,
                "version": c.version,
                "components": c.versions.as_dict(),
                "deployed_at": _time(c.deployed_at),
                "deployed_by": c.deployed_by,
                "build_tag": c.build_tag,
                "git_commit": c.git_commit,
                "build_number": c.build_number,
                "unreadable": c.unreadable,
                "verdict": verdict(c.verdict),
            }
            for c in board.columns
        ],
        "steps": [
            {
                "from": s.lower,
                "to": s.upper,
                "from_version": s.lower_version,
                "to_version": s.upper_version,
                "relation": s.relation,
                "differs_since": _time(s.since),
                "since_exact": s.since_exact,
                "differs_for_s": round(board.now - s.since) if s.since is not None else None,
                "summary": s.headline(board.now),
                "promotable": s.promotable,
                "why": s.why,
                "commits": _commits_json(s.commits),
            }
            for s in board.steps
        ],
        "repository": (
            {"path": board.repository, "error": board.repository_error}
            if board.repository is not None
            else None
        ),
        "generated_at": iso(board.now),
    }
