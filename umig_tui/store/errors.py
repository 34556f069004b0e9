"""What a store failure is called, in words an on-call engineer can act on."""

from __future__ import annotations

import shutil
from pathlib import Path

# Below this much free space an I/O error is taken for a full disk (see _disk_full).
_NEARLY_FULL = 1 << 20


class StoreUnavailable(Exception):
    """The store cannot be used at all; ``str()`` is the notice to show."""


def describe_sqlite_error(path: Path, exc: BaseException) -> str:
    """A one-line notice for a SQLite failure (what happened and what the user can do)."""
    message = str(exc).lower()
    if "not a database" in message or "malformed" in message or "corrupt" in message:
        return f"store {path} is corrupt ({exc}); move it aside to start a fresh one"
    if "locked" in message or "busy" in message:
        return f"store {path} is locked by another process; history is paused"
    if "readonly" in message or "read-only" in message:
        return f"store {path} is read-only; new samples are not saved"
    if (
        "disk is full" in message
        or "database or disk is full" in message
        or ("disk i/o error" in message and _disk_full(path))
    ):
        return f"disk full: store {path} cannot grow; new samples are not saved"
    if "unable to open" in message:
        return f"cannot open store {path} (missing directory or no permission)"
    return f"store {path}: {exc}"


def _disk_full(path: Path) -> bool:
    """SQLite reports a full disk as a plain I/O error when it cannot size its -shm file."""
    try:
        return shutil.disk_usage(path.parent).free < _NEARLY_FULL
    except OSError:
        return False
