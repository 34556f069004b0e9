"""The commits between what two environments run, from a local clone of the application.

A version becomes a git ref by the build's commit when the environment reports one, else by its
build tag, else by a tag named like the version (``v1.2.0``, ``1.2.0``). A commit the clone does
not hold is said, never replaced by a guess. Everything git prints is data: commit subjects and
author names are cleaned of escape sequences and control characters before anyone sees them.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
from pathlib import Path

import msgspec

from umig_tui.util.sanitize import clean_text

# The product before the number in the shipped application's "UMIG-v1.31.0".
_PRODUCT_PREFIX = re.compile(r"^[A-Za-z][A-Za-z0-9]*[-_ ](?=[vV]?\d)")
_COMMIT = re.compile(r"[0-9a-fA-F]{7,64}")
# What a tag name may hold here: enough for every version spelling, nothing git reads as an
# option, a range or a revision expression.
_TAG = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+/-]{0,127}")
_FIELD, _RECORD = "\x1f", "\x1e"
DEFAULT_TIMEOUT = 10.0
SHOWN = 20  # commit subjects listed per step; the count covers them all


class GitError(Exception):
    """git cannot answer: not installed, not a repository, too slow, or an error (one line)."""


class Ref(msgspec.Struct, frozen=True):
    """What a version resolved to: a full commit id and how it was found, or why not."""

    sha: str | None
    how: str  # "commit 1a2b3c4", "tag v1.2.0"
    problem: str | None = None


class Commit(msgspec.Struct, frozen=True):
    sha: str
    author: str
    ts: float | None
    subject: str


class CommitRange(msgspec.Struct, frozen=True):
    """The commits ``head`` has that ``base`` lacks (``git log base..head``), and back."""

    base: Ref
    head: Ref
    count: int | None = None  # commits in head not in base
    behind: int | None = None  # commits in base not in head
    commits: tuple[Commit, ...] = ()  # newest first, at most SHOWN
    error: str | None = None

    @property
    def truncated(self) -> int:
        return max(0, (self.count or 0) - len(self.commits))


def tag_candidates(version: str | None, build_tag: str | None = None) -> list[str]:
    """Tags to try for a version, in order: the build's tag, the version as written, with and
    without a ``v`` (``UMIG-v1.31.0`` → UMIG-v1.31.0, v1.31.0, 1.31.0)."""
    names: list[str] = []
    if build_tag:
        names.append(build_tag.strip())
    if version:
        raw = version.strip()
        bare = _PRODUCT_PREFIX.sub("", raw, count=1)
        number = bare[1:] if bare[:1] in ("v", "V") else bare
        names += [raw, bare, f"v{number}", number]
    seen: list[str] = []
    for name in names:
        if name and name not in seen and _TAG.fullmatch(name) and ".." not in name:
            seen.append(name)
    return seen


class Repository:
    """A local clone, read with ``git`` in a subprocess (no shell, a timeout on every call)."""

    def __init__(
        self, path: Path, *, timeout: float = DEFAULT_TIMEOUT, git: str | None = None
    ) -> None:
        self.path = path
        self.timeout = timeout
        self.git = git if git is not None else shutil.which("git")

    async def _run(self, *args: str, check: bool = True) -> tuple[int, str]:
        if self.git is None:
            raise GitError("git is not installed (needed to read [repository])")
        env = dict(os.environ)
        env.update(
            GIT_TERMINAL_PROMPT="0",  # never ask for credentials on the terminal
            GIT_OPTIONAL_LOCKS="0",  # a read must not take the index lock from someone working
            GIT_PAGER="cat",
            LC_ALL="C",
        )
        try:
            proc = await asyncio.create_subprocess_exec(
                self.git,
                "-C",
                str(self.path),
                "-c",
                "log.showSignature=false",
                *args,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env=env,
            )
        except OSError as exc:
            raise GitError(f"cannot run git: {exc.strerror or exc}") from None
        try:
            out, err = await asyncio.wait_for(proc.communicate(), self.timeout)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
            raise GitError(
                f"git {args[0]} in {self.path} took longer than {self.timeout:g}s"
            ) from None
        code = proc.returncode if proc.returncode is not None else -1
        if check and code != 0:
            first = err.decode("utf-8", "replace").strip().splitlines()
            raise GitError(clean_text(first[0] if first else f"git {args[0]} exited {code}", 200))
        return code, out.decode("utf-8", "replace")

    async def check(self) -> None:
        """Raises GitError saying plainly why this path cannot be read as a repository."""
        if self.git is None:
            raise GitError("git is not installed (needed to read [repository])")
        if not self.path.exists():
            raise GitError(f"repository path {self.path} does not exist")
        if not self.path.is_dir():
            raise GitError(f"repository path {self.path} is not a directory")
        code, _ = await self._run("rev-parse", "--is-inside-work-tree", check=False)
        if code != 0:
            code, _ = await self._run("rev-parse", "--is-bare-repository", check=False)
            if code != 0:
                raise GitError(f"{self.path} is not a git repository")

    async def _commit(self, name: str) -> str | None:
        code, out = await self._run(
            "rev-parse", "--verify", "--quiet", f"{name}^{{commit}}", check=False
        )
        sha = out.strip()
        return sha if code == 0 and re.fullmatch(r"[0-9a-f]{40,64}", sha) else None

    async def resolve(
        self, env: str, version: str | None, commit: str | None = None, build_tag: str | None = None
    ) -> Ref:
        """The commit ``env`` runs: by its build's commit, else a tag; or why it is unknown."""
        if commit:
            short = commit[:12]
            if not _COMMIT.fullmatch(commit):
                return Ref(None, "commit", f"{env} reports a build commit that is not a commit id")
            sha = await self._commit(commit)
            if sha is None:
                return Ref(
                    None,
                    f"commit {short}",
                    f"{env}'s build commit {short} is not in {self.path} (git fetch?)",
                )
            return Ref(sha, f"commit {short}")
        tags = tag_candidates(version, build_tag)
        for tag in tags:
            sha = await self._commit(f"refs/tags/{tag}")
            if sha is not None:
                return Ref(sha, f"tag {tag}")
        if not tags:
            return Ref(None, "tag", f"{env}: no version to look up")
        tried = ", ".join(tags[:4])
        return Ref(
            None, "tag", f"{env}: no build commit reported and no tag {tried} in {self.path}"
        )

    async def between(self, base: Ref, head: Ref, *, limit: int = SHOWN) -> CommitRange:
        """``git log base..head``: how many commits, the newest ``limit`` of them, and how many
        ``base`` has that ``head`` lacks."""
        if base.sha is None or head.sha is None:
            why = base.problem or head.problem or "a version could not be resolved"
            return CommitRange(base, head, error=why)
        try:
            _, counts = await self._run(
                "rev-list", "--left-right", "--count", f"{base.sha}...{head.sha}"
            )
            behind_text, _, ahead_text = counts.strip().partition("\t")
            _, text = await self._run(
                "log",
                "--no-color",
                "--no-decorate",
                f"--max-count={limit}",
                f"--format=%H{_FIELD}%an{_FIELD}%at{_FIELD}%s{_RECORD}",
                f"{base.sha}..{head.sha}",
            )
        except GitError as exc:
            return CommitRange(base, head, error=str(exc))
        return CommitRange(
            base,
            head,
            count=_int(ahead_text),
            behind=_int(behind_text),
            commits=tuple(parse_log(text)),
        )


def _int(text: str) -> int | None:
    try:
        return int(text.strip())
    except ValueError:
        return None


def parse_log(text: str) -> list[Commit]:
    """Commits from ``git log --format=%H<US>%an<US>%at<US>%s<RS>``; subjects are data."""
    commits: list[Commit] = []
    for record in text.split(_RECORD):
        parts = record.strip("\n").split(_FIELD)
        if len(parts) != 4:
            continue
        sha, author, when, subject = parts
        if not re.fullmatch(r"[0-9a-f]{40,64}", sha):
            continue
        ts = float(when) if when.isdigit() else None
        commits.append(Commit(sha, clean_text(author, 80), ts, clean_text(subject, 200)))
    return commits
