"""``umig-tui --demo`` in its first minutes: what the default scenario plays is what it means.

The in-process demo fleet on a clock the test moves (5-second health polls, as the dashboard
polls the demo), into a real SQLite store; the drift findings, the burn-rate signal and the SLO
windows read from that store as the dashboard reads them.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.integration.conftest import FakeClock
from umig_tui.analysis.alert_rules import EnvSignals, budget_burn_check
from umig_tui.config import SloSettings
from umig_tui.demo.history import MAX_ENVS, SEEDED_KEY, ensure_demo_metric_history
from umig_tui.demo.scenarios import SCENARIOS
from umig_tui.demo.simulator import Simulator
from umig_tui.metrics import RESPONSE_TIME, poll_ok
from umig_tui.models import Severity
from umig_tui.service.monitor import Monitor
from umig_tui.service.runtime import open_monitor
from umig_tui.service.setup import load_fleet
from umig_tui.store.slo import SLO_WINDOWS, burn_signal, env_slo
from umig_tui.store.store import Store

STEP = 5.0  # the dashboard's demo health interval
ENVS = ["development", "uat", "production", "hotfix"]


@pytest.fixture
async def story(tmp_path: Path) -> AsyncIterator[tuple[FakeClock, Monitor, Store]]:
    """The default scenario from its first second, recorded into a fresh store."""
    clock = FakeClock(time.time())
    simulator = Simulator(4, scenario="default", clock=clock, timeout_hint=1.0)
    monitor = await open_monitor(
        load_fleet(demo=True, environ={}),
        environ={},
        store_path=tmp_path / "demo.db",
        simulator=simulator,
        clock=clock,
    )
    assert monitor.store is not None
    yield clock, monitor, monitor.store
    await monitor.aclose()


async def play(clock: FakeClock, monitor: Monitor, seconds: float) -> None:
    for _ in range(int(seconds / STEP)):
        await monitor.poll_once()
        clock.advance(STEP)
    assert monitor.store is not None
    await monitor.store.flush()


def high_drift(monitor: Monitor) -> set[tuple[str, str]]:
    return {
        (f.environment, str(f.kind))
        for f in monitor.fleet.drift()
        if f.severity.rank >= Severity.HIGH.rank
    }


async def test_the_first_minutes_show_only_the_drift_the_scenario_plays(
    story: tuple[FakeClock, Monitor, Store],
) -> None:
    clock, monitor, _ = story
    seen: set[tuple[str, str]] = set()
    for _ in range(int(150 / STEP)):
        await monitor.poll_once()
        seen |= high_drift(monitor)
        clock.advance(STEP)
    # Production is due to run 1.2.0 (the expected matrix) until the deploy lands: meant, and
    # the scenario's description says so. Hotfix was left on 1.1.x behind production's 1.2.0.
    assert seen == {("production", "expected_mismatch")}
    assert "expected matrix" in SCENARIOS["default"].description
    assert monitor.fleet.versions("production").umig == "1.2.0"
    assert high_drift(monitor) == set()


async def test_the_deploy_outage_on_two_minutes_of_data_is_no_budget_burn(
    story: tuple[FakeClock, Monitor, Store],
) -> None:
    clock, monitor, store = story
    rates = []
    for _ in range(int(150 / STEP)):
        await play(clock, monitor, STEP)
        signal = await burn_signal(store, "production", 0.999, now=clock())
        check = budget_burn_check(
            EnvSignals("production", budget_burn=signal.rate, budget_coverage=signal.coverage)
        )
        assert not check.holds, (signal, check)
        rates.append(signal.rate or 0.0)
    # The outage is a fifth of what the store holds: fast burning, on 1 % of the 6 h window.
    assert max(rates) > 6
    assert signal.coverage < 0.01
    report = await env_slo(
        store, "production", SloSettings(), window=SLO_WINDOWS["24h"], now=clock()
    )
    assert report.verdicts()["availability"] == "not_enough_data"
    assert report.budget_text() == "not enough data"
    assert report.coverage_text("24h").endswith("of 24h (0.2%)")


async def test_with_the_week_of_history_the_deploy_outage_burns_under_the_limit(
    story: tuple[FakeClock, Monitor, Store],
) -> None:
    clock, monitor, store = story
    seeded = await ensure_demo_metric_history(store, ENVS, now=clock(), recent_step=STEP)
    assert seeded.samples > 0
    await play(clock, monitor, 150)
    signal = await burn_signal(store, "production", 0.999, now=clock())
    assert signal.coverage == 1.0
    assert signal.rate is not None
    assert 0.5 < signal.rate < 6  # 20 s down in 6 h: just under the budget's pace
    assert not budget_burn_check(
        EnvSignals("production", budget_burn=signal.rate, budget_coverage=signal.coverage)
    ).holds
    reports = {
        label: await env_slo(store, "production", SloSettings(), window=window, now=clock())
        for label, window in SLO_WINDOWS.items()
    }
    assert reports["24h"].coverage_text("24h") == "24h of 24h (100%)"
    assert reports["24h"].verdicts()["availability"] == "ok"
    assert reports["7d"].verdicts()["availability"] == "ok"
    assert reports["30d"].coverage_text("30d").startswith("7d ")
    assert reports["30d"].enough_data
    # The last hour holds the deploy's 20 s outage: 99.4 % misses 99.9 %, and says so.
    assert reports["1h"].verdicts()["availability"] == "missed"


async def test_the_week_is_written_once_and_never_over_what_was_recorded(
    story: tuple[FakeClock, Monitor, Store],
) -> None:
    clock, monitor, store = story
    await play(clock, monitor, 30)  # the demo polled before the history was written
    first_live = await store.query(
        "SELECT min(s.ts) FROM samples s JOIN series x ON x.id = s.series_id WHERE x.env = ?",
        ("uat",),
    )
    seeded = await ensure_demo_metric_history(store, ENVS, now=clock(), recent_step=STEP)
    assert seeded.samples > 4 * 7 * 1440  # a week of minutes per environment, several series
    again = await ensure_demo_metric_history(store, ENVS, now=clock() + 60, recent_step=STEP)
    assert again.samples == 0
    assert await store.query("SELECT 1 FROM meta WHERE key = ?", (SEEDED_KEY,))
    # Nothing seeded at or after the first live sample; rollups agree with the samples.
    rows = await store.query(
        "SELECT count(*), min(s.ts), max(s.ts) FROM samples s JOIN series x "
        "ON x.id = s.series_id WHERE x.env = ? AND x.metric = ? AND s.ts < ?",
        ("uat", poll_ok("health"), first_live[0][0]),
    )
    seeded_polls, oldest, newest = rows[0]
    assert newest < first_live[0][0]
    assert oldest / 1000 < clock() - 6.9 * 86400
    [(rolled,)] = await store.query(
        "SELECT sum(r.n) FROM rollup_1m r JOIN series x ON x.id = r.series_id "
        "WHERE x.env = ? AND x.metric = ?",
        ("uat", poll_ok("health")),
    )
    [(raw,)] = await store.query(
        "SELECT count(*) FROM samples s JOIN series x ON x.id = s.series_id "
        "WHERE x.env = ? AND x.metric = ?",
        ("uat", poll_ok("health")),
    )
    assert rolled == raw > seeded_polls
    # The history is the simulator's own load: UAT answers around its 195 ms base.
    [(average,)] = await store.query(
        "SELECT avg(s.value) FROM samples s JOIN series x ON x.id = s.series_id "
        "WHERE x.env = ? AND x.metric = ? AND s.ts < ?",
        ("uat", str(RESPONSE_TIME), first_live[0][0]),
    )
    assert 185 < average < 205


async def test_a_big_demo_fleet_gets_history_for_its_first_environments_only(
    tmp_path: Path,
) -> None:
    from umig_tui.config import StoreSettings
    from umig_tui.demo.fleet import demo_fleet

    store = await Store.open(tmp_path / "big.db", StoreSettings())
    try:
        names = [name for name, _ in demo_fleet(12)]
        await ensure_demo_metric_history(store, names, now=time.time(), days=0.1)
        rows = await store.query(
            "SELECT DISTINCT x.env FROM series x JOIN samples s ON s.series_id = x.id"
        )
        assert sorted(r[0] for r in rows) == sorted(names[:MAX_ENVS])
    finally:
        await store.close()


def test_every_scenario_says_what_it_plays_in_one_line() -> None:
    assert set(SCENARIOS) == {"default", "static"}
    for name, scenario in SCENARIOS.items():
        assert scenario.name == name
        assert scenario.description
        assert "\n" not in scenario.description
    with pytest.raises(ValueError, match="use default or static"):
        Simulator(4, scenario="chaos")
