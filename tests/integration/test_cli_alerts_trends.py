"""``umig-tui alerts``, ``trends``, ``slo`` and ``baseline set`` as a user runs them: exit codes,
JSON, state kept in the store between runs, bad input → exit 2 with one line, never a traceback."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import write_config
from tests.generated_store import HOUR, EnvHistory, Stretch, build
from tests.integration.conftest import FAST_POLLING, run_cli
from umig_tui.cli.main import main
from umig_tui.config import StoreSettings
from umig_tui.demo.server import ServerThread

USER_RULE = """
[[alerts.rules]]
name = "uat-errors"
metric = "error_rate"
comparison = ">"
threshold = 0.1
severity = "critical"
environments = ["uat"]
"""


def cli(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    """The command in this process (the same ``main`` as the console script, minus the start-up
    of an interpreter); the subprocess runs below cover what only a new process shows."""
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert "internal error" not in err
    return code, out, err


def alerts_json(config: Path) -> tuple[int, dict[str, dict[str, Any]]]:
    proc = run_cli("alerts", "--config", config, "--json")
    assert proc.stdout, proc.stderr
    document = json.loads(proc.stdout)
    return proc.returncode, {a["rule"] + "@" + a["environment"]: a for a in document["alerts"]}


# -- alerts ----------------------------------------------------------------------------------------


def test_alerts_exit_0_when_every_rule_is_quiet(
    fleet_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = cli(capsys, "alerts", "--config", fleet_config, "--json")
    assert code == 0, err
    assert json.loads(out) == {"alerts": [], "sinks": {}}
    code, out, _ = cli(capsys, "alerts", "--config", fleet_config)
    assert (code, out.strip()) == (0, "no alerts: every rule is quiet")


def test_a_rule_without_for_fires_at_once_and_exits_1(
    demo_server: ServerThread, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path / "rules.toml", demo_server.env_urls(), FAST_POLLING + USER_RULE)
    demo_server.control("uat", error_rate=0.3)
    code, alerts = alerts_json(config)
    assert code == 1
    firing = alerts["uat-errors@uat"]
    assert (firing["state"], firing["severity"], firing["value"], firing["threshold"]) == (
        "firing",
        "CRITICAL",
        0.3,
        0.1,
    )
    # the built-in error-rate rule holds too, but waits its 2 minutes
    assert alerts["umig-api-error-rate-high@uat"]["state"] == "pending"
    code, out, _ = cli(capsys, "alerts", "--config", config)
    assert code == 1
    assert "uat-errors" in out
    assert "0.3 / 0.1" in out
    # another environment asked for alone: uat's alert is neither listed nor counted
    code, out, _ = cli(capsys, "alerts", "--config", config, "--env", "production", "--json")
    assert (code, json.loads(out)["alerts"]) == (0, [])


def test_pending_becomes_firing_on_a_later_run_then_resolves(
    demo_server: ServerThread, tmp_path: Path
) -> None:
    rule = USER_RULE + 'for = "1s"\n'
    config = write_config(tmp_path / "rules.toml", demo_server.env_urls(), FAST_POLLING + rule)
    demo_server.control("uat", error_rate=0.3)
    code, alerts = alerts_json(config)
    assert (code, alerts["uat-errors@uat"]["state"]) == (0, "pending")
    since = alerts["uat-errors@uat"]["since"]
    time.sleep(1.1)
    code, alerts = alerts_json(config)  # the state was kept in the store
    assert (code, alerts["uat-errors@uat"]["state"]) == (1, "firing")
    assert alerts["uat-errors@uat"]["since"] == since
    assert alerts["uat-errors@uat"]["fired_at"] >= since + 1
    demo_server.control("uat", error_rate=None)
    code, alerts = alerts_json(config)
    assert (code, alerts["uat-errors@uat"]["state"]) == (0, "resolved")
    assert "umig-api-error-rate-high@uat" not in alerts  # pending, cleared: forgotten


# -- trends, slo, baseline: from a generated store -----------------------------------------------


@pytest.fixture(scope="module")
def built_history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A week and a bit of 30-second health polls ending now (development has none): uat 30 %
    slower in the last 15 minutes, hotfix with 12 failed polls in the last 24 hours."""
    now = int(time.time()) // 30 * 30
    fleet = {
        "uat": EnvHistory(response=(Stretch(now - 900, now, 130.0),)),
        "production": EnvHistory(),
        "hotfix": EnvHistory(
            failures=frozenset(now - 10 * HOUR + 30 * k for k in range(12)),
        ),
    }
    path = tmp_path_factory.mktemp("history") / "history.db"
    return build(path, fleet, now=now, days=7.1, settings=StoreSettings())


@pytest.fixture
def store(built_history: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "history.db"
    shutil.copyfile(built_history, copy)
    return copy


@pytest.fixture
def config(fleet_config: Path) -> Path:
    return fleet_config


def test_trends_json_compares_now_with_1h_24h_and_7d_ago(
    config: Path, store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    proc = run_cli("trends", "--config", config, "--store", store, "--json")
    assert proc.returncode == 1, proc.stderr  # uat is degraded
    document = json.loads(proc.stdout)
    assert document["window_s"] == 900
    rows = {(t["environment"], t["metric"], t["stat"]): t for t in document["trends"]}
    assert len(rows) == 12
    assert rows[("development", "response_time_ms", "avg")]["current"] is None
    uat = rows[("uat", "response_time_ms", "avg")]
    assert uat["current"] == 130.0
    assert uat["degraded"] is True
    assert [(r["label"], r["value"], r["degraded"]) for r in uat["references"]] == [
        ("1h ago", 100.0, True),
        ("24h ago", 100.0, True),
        ("7d ago", 100.0, True),
    ]
    assert [r["change"] for r in uat["references"]] == [pytest.approx(0.3)] * 3
    production = rows[("production", "response_time_ms", "p95")]
    assert [(r["change"], r["degraded"]) for r in production["references"]] == [(0.0, False)] * 3

    code, out, _ = cli(capsys, "trends", "--config", config, "--store", store, "--env", "uat")
    assert code == 1
    assert "▲30%" in out
    assert "1H AGO" in out.upper()


def test_slo_json_over_24h_has_the_budget_left(
    config: Path, store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = cli(
        capsys, "slo", "--config", config, "--store", store, "--json", "--window", "24h"
    )
    assert code == 1, err  # hotfix missed its availability
    document = json.loads(out)
    assert document["window"] == "24h"
    reports = {r["environment"]: r for r in document["slo"]}
    hotfix = reports["hotfix"]
    polls = hotfix["health_polls"]
    assert 2870 <= polls <= 2880  # the window ends when the command runs
    # Availability is weighed by time: 12 failed 30-second polls are 6 minutes of the day down.
    down = 12 * 30 / 86400
    assert hotfix["availability"] == pytest.approx(1 - down)
    assert hotfix["burn_rate"] == pytest.approx(down / 0.001)
    assert hotfix["error_budget_left"] == pytest.approx(1 - down / 0.001)
    assert hotfix["met"] == {"availability": False, "response_time_p95": True, "error_rate": True}
    assert hotfix["verdict"]["availability"] == "missed"
    assert (hotfix["coverage"], hotfix["enough_data"]) == (1.0, True)
    production = reports["production"]
    assert (production["availability"], production["error_budget_left"]) == (1.0, 1.0)
    assert production["response_time_p95_ms"] == 100.0
    assert production["availability_target"] == 0.999

    code, out, _ = cli(capsys, "slo", "--config", config, "--store", store, "--window", "24h")
    assert code == 1
    assert "exhausted" in out
    assert "MISSED" in out


def test_baseline_set_then_trends_show_the_baseline(
    config: Path, store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = cli(
        capsys, "baseline", "set", "--config", config, "--store", store, "--env", "uat"
    )
    assert code == 2
    assert "uat: no version known yet" in err
    assert cli(capsys, "status", "--config", config, "--store", store)[0] == 0
    code, out, err = cli(
        capsys, "baseline", "set", "--config", config, "--store", store, "--env", "uat"
    )
    assert code == 0, err
    assert out.startswith("uat 1.2.0-rc.2 response_time_ms: ")
    assert "(last 1h)" in out

    _, out, _ = cli(
        capsys, "trends", "--config", config, "--store", store, "--env", "uat", "--json"
    )
    document = json.loads(out)
    [response] = [
        t for t in document["trends"] if (t["metric"], t["stat"]) == ("response_time_ms", "avg")
    ]
    [baseline] = [r for r in response["references"] if r["label"] == "baseline"]
    assert 100 < baseline["value"] < 130  # the last hour: mostly 100 ms, the last 15 minutes 130
    _, out, _ = cli(capsys, "trends", "--config", config, "--store", store, "--env", "uat")
    assert out.splitlines()[1].split()[-1] == "BASELINE"


# -- bad input: exit 2, one clear line, no traceback ------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("trends", "--window", "soon"), "--window: invalid duration 'soon'"),
        (("trends", "--window", "0s"), "must be greater than zero"),
        (("slo", "--window", "2d"), "invalid choice: '2d'"),
        (("baseline", "set", "--env", "nowhere"), "unknown environment 'nowhere'"),
        (("baseline", "set"), "the following arguments are required: --env"),
        (("baseline", "set", "--env", "uat", "--window", "x"), "--window: invalid duration"),
    ],
)
def test_bad_arguments_exit_2_with_a_message(
    config: Path,
    tmp_path: Path,
    args: tuple[str, ...],
    message: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = cli(capsys, *args, "--config", config, "--store", tmp_path / "empty.db")
    assert code == 2
    assert message in err
    assert out == ""


def test_an_unknown_metric_in_a_rule_is_a_config_error_with_its_line(
    demo_server: ServerThread, tmp_path: Path
) -> None:
    config = write_config(
        tmp_path / "bad.toml",
        demo_server.env_urls(),
        USER_RULE.replace('"error_rate"', '"error_rat"'),
    )
    line = config.read_text(encoding="utf-8").splitlines().index('metric = "error_rat"') + 1
    proc = run_cli("alerts", "--config", config)
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"umig-tui: {config}:{line}: alert rule 'uat-errors': unknown")
    assert len(proc.stderr.strip().splitlines()) == 1
