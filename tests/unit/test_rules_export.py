"""`umig-tui rules export`: the built-in rules as a Prometheus rules file — promtool accepts it,
and ``promtool test rules`` runs each rule over series named as serve exposes them: it fires
when the built-in would (after the same ``for``), with the same labels umig-tui sends
Alertmanager, and stays quiet when it would not.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.integration.conftest import run_cli
from tests.unit.test_export_prometheus import promtool
from umig_tui.analysis.alert_rules import builtin_rules
from umig_tui.config import Config, Thresholds
from umig_tui.export.rules import NOT_EXPRESSIBLE, prometheus_rules, render_rules

S = 'instance="serve:9464",job="umig-tui"'


def labels(rule: str, env: str, severity: str) -> str:
    return f"{{alertname: {rule}, environment: {env}, severity: {severity}, source: umig-tui}}"


def alert(rule: str, env: str, severity: str, value: str, description: str) -> str:
    summary = f"{env}: {rule} (value {value})"
    return (
        f"              - exp_labels: {labels(rule, env, severity)}\n"
        f"                exp_annotations:\n"
        f'                  summary: "{summary}"\n'
        f'                  description: "{description}"\n'
    )


def case(at: str, rule: str, *alerts: str) -> str:
    body = "".join(alerts)
    head = f"          - eval_time: {at}\n            alertname: {rule}\n"
    return head + ("            exp_alerts:\n" + body if body else "            exp_alerts: []\n")


def promtool_tests(rules_file: Path, config: Config) -> str:
    d = {r.name: r.description.replace("×", "\\u00d7") for r in builtin_rules(config.thresholds)}
    return f"""rule_files: [{rules_file}]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'umig_health_check_failures{{environment="production",{S}}}'
        values: '0 1 2 3 3 0'
      - series: 'umig_circuit_open{{environment="uat",{S}}}'
        values: '1 1 0'
      - series: 'umig_probe_success{{environment="uat",signal="health",{S}}}'
        values: '0 0 0'
      - series: 'umig_version_drift{{environment="uat",component="umig",severity="HIGH"}}'
        values: '1 1'
      - series: 'umig_version_drift{{environment="development",component="backend",severity="MEDIUM"}}'
        values: '1 1'
      - series: 'umig_component_health_score{{environment="uat",{S}}}'
        values: '0.5x10'
      - series: 'umig_component_health_score{{environment="production",{S}}}'
        values: '1x10'
      - series: 'umig_api_error_rate{{environment="uat",{S}}}'
        values: '0.1x5'
      - series: 'umig_api_error_rate{{environment="production",{S}}}'
        values: '0.01x5'
      - series: 'umig_deploy_watch_stage{{environment="production",stage="failed",{S}}}'
        values: '0 1 1'
      - series: 'umig_deploy_watch_stage{{environment="uat",stage="failed",{S}}}'
        values: '0 0 0'
      - series: 'umig_deploy_watch_stage{{environment="uat",stage="inconclusive",{S}}}'
        values: '0 1 1'
    alert_rule_test:
{case("1m", "umig-health-check-failed", alert("umig-health-check-failed", "uat", "critical", "1", d["umig-health-check-failed"]))}
{case("2m", "umig-health-check-failed")}
{case("3m", "umig-health-check-failed", alert("umig-health-check-failed", "production", "critical", "3", d["umig-health-check-failed"]))}
{case("5m", "umig-health-check-failed")}
{case("1m", "umig-version-drift-detected", alert("umig-version-drift-detected", "uat", "high", "1", d["umig-version-drift-detected"]))}
{case("4m", "umig-component-degraded")}
{case("6m", "umig-component-degraded", alert("umig-component-degraded", "uat", "medium", "0.5", d["umig-component-degraded"]))}
{case("1m", "umig-api-error-rate-high")}
{case("3m", "umig-api-error-rate-high", alert("umig-api-error-rate-high", "uat", "high", "0.1", d["umig-api-error-rate-high"]))}
{case("0m", "umig-deployment-failed")}
{case("2m", "umig-deployment-failed", alert("umig-deployment-failed", "production", "critical", "1", d["umig-deployment-failed"]))}
{case("0m", "umig-deployment-inconclusive")}
{case("2m", "umig-deployment-inconclusive", alert("umig-deployment-inconclusive", "uat", "medium", "1", d["umig-deployment-inconclusive"]))}
  - interval: 1m
    input_series:
      - series: 'umig_health_status{{environment="production",{S}}}'
        values: '0x400'
      - series: 'umig_health_status{{environment="uat",{S}}}'
        values: '1x400'
      - series: 'umig_health_status{{environment="hotfix",{S}}}'
        values: '1x399 0'
    alert_rule_test:
{case("12m", "umig-slo-budget-burn")}
{case("20m", "umig-slo-budget-burn", alert("umig-slo-budget-burn", "production", "high", "1000", d["umig-slo-budget-burn"]))}
"""


def write_rules(tmp_path: Path, config: Config) -> Path:
    path = tmp_path / "umig-rules.yml"
    path.write_text(render_rules(prometheus_rules(config)), encoding="utf-8")
    return path


def test_every_built_in_rule_is_exported_or_said_why_not() -> None:
    config = Config(environments=())
    exported = {r.name for r in prometheus_rules(config)}
    built_in = {r.name for r in builtin_rules(config.thresholds)}
    assert exported | set(NOT_EXPRESSIBLE) == built_in
    assert not exported & set(NOT_EXPRESSIBLE)
    by_name = {r.name: r for r in builtin_rules(config.thresholds)}
    for rule in prometheus_rules(config):
        assert rule.for_s == by_name[rule.name].for_s
        assert rule.severity == str(by_name[rule.name].severity).lower()


def test_thresholds_come_from_the_config() -> None:
    config = Config(environments=(), thresholds=Thresholds(error_rate=0.2, consecutive_failures=5))
    exprs = {r.name: r.expr for r in prometheus_rules(config)}
    assert "umig_api_error_rate > 0.2" in exprs["umig-api-error-rate-high"]
    assert "umig_health_check_failures >= 5" in exprs["umig-health-check-failed"]


def test_promtool_checks_the_rules_file(tmp_path: Path) -> None:
    path = write_rules(tmp_path, Config(environments=()))
    proc = subprocess.run(
        [promtool(), "check", "rules", str(path)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"SUCCESS: {len(prometheus_rules(Config(environments=())))} rules found" in proc.stdout


def test_promtool_unit_tests_every_exported_rule(tmp_path: Path) -> None:
    config = Config(environments=())
    rules = write_rules(tmp_path, config)
    tests = tmp_path / "rules_test.yml"
    tests.write_text(promtool_tests(rules, config), encoding="utf-8")
    proc = subprocess.run(
        [promtool(), "test", "rules", str(tests)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "SUCCESS" in proc.stdout


def test_rules_export_prints_the_file_from_the_cli(tmp_path: Path) -> None:
    proc = run_cli("rules", "export", "--demo")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == render_rules(prometheus_rules(_demo_config()))
    assert "# Not here: umig-performance-degraded" in proc.stdout


def _demo_config() -> Config:
    from umig_tui.service.setup import load_fleet

    return load_fleet(None, demo=True)


@pytest.mark.parametrize(
    "args", [["rules"], ["rules", "export", "--source", "prometheus=http://p:9090"]]
)
def test_rules_misuse_is_one_line_exit_2(args: list[str]) -> None:
    proc = run_cli(*args)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1, proc.stderr


def test_notify_pushgateway_is_read_and_a_bad_one_names_file_and_line(tmp_path: Path) -> None:
    from umig_tui.config import ConfigError, load_config

    env = '[[environments]]\nname = "production"\nurl = "https://c.example.com"\n'
    good = tmp_path / "good.toml"
    good.write_text(env + '[notify]\npushgateway = "http://pushgateway:9091"\n', encoding="utf-8")
    assert load_config(str(good)).notify.pushgateway == "http://pushgateway:9091"
    bad = tmp_path / "bad.toml"
    bad.write_text(env + '[notify]\npushgateway = "pushgateway:9091"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(str(bad))
    assert str(caught.value) == (
        f"{bad}:5: notify.pushgateway 'pushgateway:9091' is not an http(s) URL with a host"
    )
