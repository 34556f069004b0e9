"""Opening SQLite: connections (writer, read-only reader), migrations, the recording lock."""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
from pathlib import Path
from typing import IO
from urllib.parse import quote

import aiosqlite

from umig_tui.store.schema import MIGRATIONS, SCHEMA_VERSION

BUSY_TIMEOUT_MS = 2000


async def connect(
    path: Path, *, read_only: bool = False, immutable: bool = False
) -> aiosqlite.Connection:
    if read_only:
        # Quoted: a "?", "#" or "%" in the path would otherwise end or alter the file name.
        uri = f"file:{quote(str(path))}?mode=ro" + ("&immutable=1" if immutable else "")
        connection = await aiosqlite.connect(uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    else:
        connection = await aiosqlite.connect(
            str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None
        )
    try:
        await connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    except BaseException:
        await close_quietly(connection)
        raise
    return connection


async def open_reader(path: Path) -> aiosqlite.Connection:
    """The read-only connection, checked by a first read."""
    try:
        return await checked_reader(path, immutable=False)
    except sqlite3.OperationalError:
        # A WAL database in a read-only directory cannot create its -shm file.
        return await checked_reader(path, immutable=True)


async def checked_reader(path: Path, *, immutable: bool) -> aiosqlite.Connection:
    connection = await connect(path, read_only=True, immutable=immutable)
    try:
        await (await connection.execute("SELECT count(*) FROM sqlite_master")).fetchall()
    except BaseException:
        await close_quietly(connection)
        raise
    return connection


async def close_quietly(connection: aiosqlite.Connection) -> None:
    with contextlib.suppress(Exception):
        await connection.close()


async def prepare_writer(writer: aiosqlite.Connection) -> None:
    # "file is not a database" surfaces here; fetch so no statement keeps a read transaction open.
    await (await writer.execute("SELECT count(*) FROM sqlite_master")).fetchall()
    # A newer umig-tui's store is refused before anything (even the journal mode) is changed.
    cursor = await writer.execute("PRAGMA user_version")
    row = await cursor.fetchone()
    version = int(row[0]) if row else 0
    if version > SCHEMA_VERSION:
        raise sqlite3.DatabaseError(
            f"schema version {version} is newer than this umig-tui understands ({SCHEMA_VERSION})"
        )
    await (await writer.execute("PRAGMA journal_mode = WAL")).fetchall()
    await writer.execute("PRAGMA synchronous = NORMAL")
    for number in range(version, SCHEMA_VERSION):
        await writer.execute("BEGIN")
        try:
            for statement in statements(MIGRATIONS[number]):
                await writer.execute(statement)
            await writer.execute(f"PRAGMA user_version = {number + 1}")
            await writer.commit()
        except BaseException:
            await writer.rollback()
            raise


def statements(script: str) -> list[str]:
    lines = [line for line in script.splitlines() if not line.strip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


def take_lock(path: Path) -> tuple[IO[str] | None, str | None]:
    """An exclusive advisory lock beside the DB: one recording instance per store.

    Returns (handle, None) when taken, (None, pid) when another instance holds it, and
    (None, None) when no lock file can be made (a read-only directory: the writer will say).
    """
    lock_path = path.with_name(path.name + ".lock")
    try:
        handle = open(lock_path, "a+")  # noqa: SIM115 - held for the store's lifetime
    except OSError:
        return None, None
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.seek(0)
        holder = handle.read().strip() or "unknown"
        handle.close()
        return None, holder
    # The pid only names the holder to others; a full disk must not stop the start.
    with contextlib.suppress(OSError):
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
    return handle, None


def release_lock(handle: IO[str]) -> None:
    with contextlib.suppress(OSError):
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    # close() flushes the pid take_lock() wrote; on a full disk that fails again (ENOSPC), and
    # a pid nobody will read is no reason to crash on the way out.
    with contextlib.suppress(OSError):
        handle.close()
