"""``deploy watch --source prometheus=URL``: the watch reads the deploy from Prometheus (serve
polls, a real Prometheus scrapes it), never from the environment: the environments' URLs in the
reader's config lead nowhere. Its gates are what serve reads (health, orchestrator); the smoke
check, which serve does not run, is not a gate here. Skips, saying why, without ``prometheus``."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import write_config
from tests.integration.test_deploy_watch import (
    EXPECT,
    PREVIOUS,
    Deploy,
    once_old_version_seen,
)
from tests.integration.test_prometheus_scrape import free_port, prometheus, prometheus_binary
from tests.integration.test_prometheus_source import SKIP
from tests.integration.test_serve_team import serve
from umig_tui.demo.server import ServerThread

FAST_POLLING = (
    '[polling]\ntimeout = "1s"\nhealth = "2s"\nmetrics = "2s"\ncomponents = "2s"\nversion = "2s"\n'
)


def test_a_deploy_watched_through_prometheus_succeeds_without_polling_the_fleet(
    demo_server: ServerThread, fleet_config: Path, tmp_path: Path
) -> None:
    if prometheus_binary() is None:
        pytest.skip(SKIP)
    with (
        serve(fleet_config, tmp_path, "--no-store") as exporter,
        prometheus(exporter.url.removeprefix("http://"), tmp_path) as url,
    ):
        # The same environment names, at addresses nothing listens on: a direct poll would
        # never see the version land.
        nowhere = {name: f"http://127.0.0.1:{free_port()}" for name in demo_server.env_urls()}
        reader = write_config(
            tmp_path / "reader.toml",
            nowhere,
            FAST_POLLING + f'[source]\nprometheus = "{url}"\n',
        )
        deploy = Deploy(
            demo_server,
            reader,
            tmp_path / "log" / "deployment-history.jsonl",
            tmp_path / "state" / "watch.db",
        )
        watch = deploy.watch(
            on_state=once_old_version_seen(deploy, version=EXPECT, after="0.5s"), timeout="30s"
        )
    # The verdict's sample count is the deploy engineer's policy (3 s of monitoring may be too
    # few to judge): what is pinned here is that the deploy was followed through Prometheus.
    assert watch.final["stage"] in ("succeeded", "inconclusive"), watch.stderr
    assert watch.stages[-4:-1] == ["confirmed", "validating", "monitoring"]
    confirmed = watch.states[watch.stages.index("confirmed")]
    assert confirmed["message"] == f"{EXPECT} is live (was {PREVIOUS})"
    assert watch.final["previous_version"] == PREVIOUS
    monitoring = watch.states[watch.stages.index("monitoring")]
    assert [(g["name"], g["status"]) for g in monitoring["gates"]] == [
        ("health", "passed"),
        ("orchestrator", "passed"),
    ]
    lines = deploy.lines()
    assert len(lines) == 2
    assert (lines[0]["type"], lines[0]["version"]) == ("deployment_start", EXPECT)
