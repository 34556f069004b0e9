"""Reading the fleet from a real Prometheus (``--source prometheus=URL``) that scrapes
``export prometheus --serve`` against the demo-server: the same environments, statuses and
versions as polling directly; a deploy seen within a scrape and a refresh; Prometheus down said
in one line. Skips, saying why, when the ``prometheus`` binary is not installed."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import by_name, run_cli
from tests.integration.test_prometheus_scrape import (
    api,
    free_port,
    prometheus,
    prometheus_binary,
    serving,
    wait_for,
)
from umig_tui.demo.server import ServerThread

DEMO_ENVS = ("development", "uat", "production", "hotfix")
SKIP = "Prometheus is not installed (no `prometheus` on PATH); `apt-get install prometheus`"


@contextlib.contextmanager
def scraped(fleet_config: Path, tmp_path: Path) -> Iterator[str]:
    """serve + a Prometheus scraping it every second, holding every environment's version."""
    if prometheus_binary() is None:
        pytest.skip(SKIP)
    with (
        serving(fleet_config, tmp_path, "--no-store") as exporter,
        prometheus(exporter.url.removeprefix("http://"), tmp_path) as url,
    ):

        def held() -> bool:
            found = api(url, "/api/v1/query", query="umig_version_info")["result"]
            return {r["metric"]["environment"] for r in found} == set(DEMO_ENVS)

        wait_for(held, timeout=15, what="every environment's version in Prometheus")
        yield url


def json_of(*args: str | Path) -> tuple[int, dict[str, Any]]:
    proc = run_cli(*args, "--json", "--no-store")
    assert proc.stdout, proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def source_only(tmp_path: Path, url: str) -> Path:
    """A config that names no environment: they are whatever Prometheus holds."""
    path = tmp_path / "team.toml"
    path.write_text(f'[source]\nprometheus = "{url}"\n', encoding="utf-8")
    return path


def summary(document: dict[str, Any]) -> dict[str, tuple[str, str | None, str]]:
    return {
        name: (env["status"], env["version"], env["tier"])
        for name, env in by_name(document).items()
    }


def test_status_and_drift_through_prometheus_match_direct_polling(
    demo_server: ServerThread, fleet_config: Path, tmp_path: Path
) -> None:
    with scraped(fleet_config, tmp_path) as url:
        direct_code, direct = json_of("status", "--config", fleet_config)
        # Discovered from Prometheus (a config holding only [source]) …
        code, read = json_of("status", "--config", source_only(tmp_path, url))
        # … and the team's config with --source on the command line.
        flag_code, flagged = json_of(
            "status", "--config", fleet_config, "--source", f"prometheus={url}"
        )
        _, direct_drift = json_of("drift", "--config", fleet_config)
        _, drift = json_of("drift", "--config", fleet_config, "--source", f"prometheus={url}")
    assert set(summary(direct)) == set(DEMO_ENVS)
    assert summary(read) == summary(direct)
    assert summary(flagged) == summary(direct)
    assert code == flag_code == direct_code
    for name, env in by_name(read).items():
        assert env["health_source"] == by_name(direct)[name]["health_source"]
        assert env["components"] == by_name(direct)[name]["components"]
        assert env["profile"] == by_name(direct)[name]["profile"]
        assert env["metrics"]["error_rate"] is not None
    assert drift["matrix"] == direct_drift["matrix"]
    assert drift["compared"] == direct_drift["compared"] == len(DEMO_ENVS)
    assert sorted(f["kind"] for f in drift["findings"]) == sorted(
        f["kind"] for f in direct_drift["findings"]
    )


def test_a_deploy_shows_through_prometheus_within_a_scrape_and_a_refresh(
    demo_server: ServerThread, fleet_config: Path, tmp_path: Path
) -> None:
    with scraped(fleet_config, tmp_path) as url:
        config = source_only(tmp_path, url)
        _, before = json_of("status", "--config", config, "--env", "production")
        assert list(by_name(before)) == ["production"]
        assert by_name(before)["production"]["version"] != "9.1.0"
        demo_server.control("production", version="9.1.0")
        changed = time.monotonic()

        def seen() -> bool:
            _, now = json_of("status", "--config", config, "--env", "production")
            return by_name(now)["production"]["version"] == "9.1.0"

        # serve polls every 2 s, Prometheus scrapes every 1 s, a one-shot reads at once.
        wait_for(seen, timeout=10, what="9.1.0 through Prometheus")
        assert time.monotonic() - changed < 2 + 1 + 3  # poll + scrape + one CLI run


def test_prometheus_down_is_one_line_and_exit_2_when_it_must_name_the_fleet(
    tmp_path: Path,
) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    proc = run_cli("status", "--config", source_only(tmp_path, closed), "--no-store")
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr == (
        f"umig-tui: cannot read the fleet: Prometheus at {closed}: connection refused\n"
    )


def test_prometheus_down_leaves_configured_environments_unknown_never_polled(
    demo_server: ServerThread, fleet_config: Path
) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    before = len(demo_server.requests())
    code, document = json_of("status", "--config", fleet_config, "--source", f"prometheus={closed}")
    assert code == 1
    for env in document["environments"]:
        assert env["status"] == "unknown"
        assert env["reason"] == f"Prometheus at {closed}: connection refused"
    # Never a silent fall back to polling the environments themselves.
    assert len(demo_server.requests()) == before


def test_source_is_checked_before_anything_runs(tmp_path: Path) -> None:
    proc = run_cli("status", "--source", "graphite=http://x")
    assert proc.returncode == 2
    assert "write prometheus=URL" in proc.stderr
    proc = run_cli("status", "--demo", "--source", "prometheus=http://127.0.0.1:9")
    assert proc.returncode == 2
    assert proc.stderr == (
        "umig-tui: --demo polls the embedded demo fleet; it cannot read --source too\n"
    )
    bad = tmp_path / "bad.toml"
    bad.write_text('[source]\nprometheus = "ftp://x"\n', encoding="utf-8")
    proc = run_cli("status", "--config", bad)
    assert proc.returncode == 2
    assert proc.stderr == (
        f"umig-tui: {bad}:2: source.prometheus 'ftp://x' is not an http(s) URL with a host\n"
    )
