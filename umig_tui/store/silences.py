"""Silences kept in the store: every instance on the same file sees the same ones."""

from __future__ import annotations

from umig_tui.analysis.silences import Silence, SilenceError, SilenceSource
from umig_tui.store.store import Store

_COLUMNS = "id, env, rule, author, comment, starts_at, ends_at, created_at"


async def add_silence(store: Store, silence: Silence) -> None:
    """Keep ``silence``; SilenceError saying why when the store cannot be written."""
    if silence.env is None or silence.rule is None:
        raise SilenceError("a silence in the store names one rule on one environment")
    done = await store.execute(
        [
            (
                f"INSERT INTO silences ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        silence.id,
                        silence.env,
                        silence.rule,
                        silence.author,
                        silence.comment,
                        silence.starts_at,
                        silence.ends_at,
                        silence.created_at,
                    )
                ],
            )
        ]
    )
    if not done:
        raise SilenceError(_unwritable(store))


async def active_silences(store: Store, now: float) -> list[Silence]:
    """Silences in force at ``now``, the one ending last first; expired ones are not listed."""
    # A store an older version wrote, opened read-only, was never migrated: no table, none.
    if not await store.query("SELECT 1 FROM sqlite_master WHERE name = 'silences'"):
        return []
    rows = await store.query(
        f"SELECT {_COLUMNS} FROM silences WHERE starts_at <= ? AND ends_at > ? "
        "ORDER BY ends_at DESC, id",
        (now, now),
    )
    return [
        Silence.for_rule(
            row[0],
            rule=row[2],
            env=row[1],
            author=row[3],
            comment=row[4],
            starts_at=row[5],
            ends_at=row[6],
            created_at=row[7],
            source=SilenceSource.STORE,
        )
        for row in rows
    ]


async def expire_silence(store: Store, silence_id: str, now: float, *, by: str) -> None:
    """End the silence now; SilenceError when it is not active (any more) or cannot be written."""
    found = await store.query(
        "SELECT 1 FROM silences WHERE id = ? AND ends_at > ?", (silence_id, now)
    )
    if not found:
        raise SilenceError(f"silence {silence_id} is not active (expired or never kept here)")
    done = await store.execute(
        [
            (
                "UPDATE silences SET ends_at = ?, expired_by = ? WHERE id = ? AND ends_at > ?",
                [(now, by, silence_id, now)],
            )
        ]
    )
    if not done:
        raise SilenceError(_unwritable(store))


def _unwritable(store: Store) -> str:
    why = store.notice or "it is open read-only"
    return f"the silence could not be kept in the store: {why}"
