"""Silences: matching alerts the way Alertmanager does, and silences kept in the store (seen by
every instance on the file, kept across the migration that added them)."""

from __future__ import annotations

import re
import sqlite3
import time
from pathlib import Path

import aiosqlite
import pytest

from umig_tui.analysis.alert_rules import AlertPhase, AlertState
from umig_tui.analysis.silences import (
    Matcher,
    Silence,
    SilenceError,
    SilenceSource,
    check_comment,
    silence_for,
)
from umig_tui.config import StoreSettings
from umig_tui.models import Severity
from umig_tui.service.silences import SilenceService
from umig_tui.store import connect as sqlite_connect
from umig_tui.store.connect import statements
from umig_tui.store.schema import MIGRATIONS, SCHEMA_VERSION
from umig_tui.store.silences import active_silences, add_silence, expire_silence
from umig_tui.store.store import Store

RULE = "umig-api-error-rate-high"
NOW = 1_750_000_000.0


def alert(env: str = "uat", rule: str = RULE, phase: AlertPhase = AlertPhase.FIRING) -> AlertState:
    return AlertState(rule, env, phase, Severity.HIGH, since=NOW - 600, fired_at=NOW - 480)


def silence(
    id: str = "s1", *, env: str = "uat", rule: str = RULE, start: float = NOW, hours: float = 1
) -> Silence:
    return Silence.for_rule(
        id,
        rule=rule,
        env=env,
        author="alice",
        comment="known: fix deploying",
        starts_at=start,
        ends_at=start + hours * 3600,
        created_at=start,
        source=SilenceSource.STORE,
    )


# -- matching ---------------------------------------------------------------------------------


def test_a_silence_covers_its_rule_on_its_environment_only() -> None:
    s = silence()
    assert s.covers(alert())
    assert not s.covers(alert(env="production"))
    assert not s.covers(alert(rule="umig-health-check-failed"))
    assert s.describe() == f"alertname={RULE} environment=uat"


def test_an_expired_or_future_silence_silences_nothing() -> None:
    s = silence(start=NOW, hours=1)
    assert silence_for(alert(), [s], NOW + 10) is s
    assert silence_for(alert(), [s], NOW + 3600) is None  # ended
    assert silence_for(alert(), [s], NOW - 1) is None  # not yet started


def test_the_longest_covering_silence_is_the_one_shown() -> None:
    short, long = silence("a", hours=1), silence("b", hours=4)
    assert silence_for(alert(), [short, long], NOW + 1) is long


def test_alertmanager_matchers_negative_and_regex_match_as_there() -> None:
    wide = Silence(
        "am1",
        None,
        None,
        "bob",
        "maintenance",
        NOW,
        NOW + 60,
        NOW,
        SilenceSource.ALERTMANAGER,
        (
            Matcher("environment", "uat|hotfix", is_regex=True),
            Matcher("severity", "critical", is_equal=False),
        ),
    )
    assert wide.covers(alert("uat"))
    assert wide.covers(alert("hotfix"))
    assert not wide.covers(alert("production"))
    assert not wide.covers(replace_severity(alert("uat"), Severity.CRITICAL))
    broken = Silence(
        "am2", None, None, "x", "", NOW, NOW + 60, NOW, SilenceSource.ALERTMANAGER,
        (Matcher("environment", "(", is_regex=True),),
    )  # fmt: skip
    assert not broken.covers(alert())


def replace_severity(a: AlertState, severity: Severity) -> AlertState:
    from msgspec.structs import replace

    return replace(a, severity=severity)


def test_a_comment_is_required() -> None:
    for empty in ("", "   ", "\n\t"):
        with pytest.raises(SilenceError, match="a comment is required"):
            check_comment(empty)
    assert check_comment("  deploy\nin progress ") == "deploy in progress"
    with pytest.raises(SilenceError, match="too long"):
        check_comment("x" * 501)


def test_the_mark_says_who_and_until_when() -> None:
    s = silence(start=NOW, hours=1)
    mark = s.mark(NOW)
    assert mark.startswith("silenced by alice until ")
    # HH:MM and the zone, by the one time rule: "silenced by alice until 16:06 CET".
    assert re.fullmatch(r"\d\d:\d\d \S+", mark.removeprefix("silenced by alice until "))


# -- the store ----------------------------------------------------------------------------------


async def test_a_silence_kept_by_one_instance_is_seen_by_another_on_the_same_store(
    tmp_path: Path,
) -> None:
    path = tmp_path / "samples.db"
    first = await Store.open(path, StoreSettings())
    second = await Store.open(path, StoreSettings())  # a second dashboard: not recording
    try:
        assert first.recording
        assert not second.recording
        clock = time.time
        mine = SilenceService(store=second, alertmanager=None, clock=clock, user=lambda: "bob")
        theirs = SilenceService(store=first, alertmanager=None, clock=clock, user=lambda: "alice")
        made = await mine.silence(alert(), 900, "known issue, fix deploying")
        assert (made.author, made.source, made.comment) == (
            "bob",
            "store",
            "known issue, fix deploying",
        )

        await theirs.refresh()
        seen = theirs.silence_for(alert())
        assert seen is not None
        assert (seen.id, seen.author, seen.env, seen.rule) == (made.id, "bob", "uat", RULE)
        assert seen.ends_at == pytest.approx(made.ends_at)
        assert theirs.silence_for(alert("production")) is None
        assert theirs.silence_for(alert(phase=AlertPhase.RESOLVED)) is None

        await theirs.expire(seen)  # the other engineer ends it
        await mine.refresh()
        assert mine.silence_for(alert()) is None
        assert await active_silences(second, time.time()) == []
        with pytest.raises(SilenceError, match="not active"):
            await expire_silence(first, made.id, time.time(), by="alice")
    finally:
        await second.close()
        await first.close()


async def test_expired_silences_are_not_listed(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "samples.db", StoreSettings())
    try:
        now = time.time()
        await add_silence(store, silence("old", start=now - 7200, hours=1))
        await add_silence(store, silence("live", start=now - 60, hours=1))
        assert [s.id for s in await active_silences(store, now)] == ["live"]
    finally:
        await store.close()


async def test_without_store_or_alertmanager_silencing_says_why() -> None:
    service = SilenceService(store=None, alertmanager=None)
    with pytest.raises(SilenceError, match="need the store or \\[notify\\] alertmanager"):
        await service.silence(alert(), 900, "why")
    with pytest.raises(SilenceError, match="a comment is required"):
        await service.silence(alert(), 900, " ")


async def test_a_store_from_before_silences_is_migrated_and_keeps_its_data(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    connection = sqlite3.connect(path)
    for number, script in enumerate(MIGRATIONS[:3]):  # the schema before silences
        for statement in statements(script):
            connection.execute(statement)
        connection.execute(f"PRAGMA user_version = {number + 1}")
    connection.execute(
        "INSERT INTO events (ts, env, kind, severity, summary, data) "
        "VALUES (1.0, 'uat', 'alert', 'high', 'kept', '{}')"
    )
    connection.commit()
    connection.close()
    store = await Store.open(path, StoreSettings())
    try:
        assert [e.summary for e in await store.events()] == ["kept"]
        await add_silence(store, silence(start=time.time()))
        assert len(await active_silences(store, time.time())) == 1
    finally:
        await store.close()
    check = sqlite3.connect(path)
    assert check.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
    check.close()


async def test_a_read_only_store_refuses_a_silence_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "ro.db"
    await (await Store.open(path, StoreSettings())).close()  # migrated, then read-only
    connect = sqlite_connect.connect

    async def read_only(
        path: Path, *, read_only: bool = False, immutable: bool = False
    ) -> aiosqlite.Connection:
        # What a file SQLite may read but not write looks like, whoever runs the test (root too).
        return await connect(path, read_only=True, immutable=immutable)

    monkeypatch.setattr(sqlite_connect, "connect", read_only)
    store = await Store.open(path, StoreSettings())
    try:
        service = SilenceService(store=store, alertmanager=None)
        with pytest.raises(SilenceError, match=r"could not be kept in the store: .*read-only"):
            await service.silence(alert(), 900, "why")
        assert service.silence_for(alert()) is None
    finally:
        await store.close()
