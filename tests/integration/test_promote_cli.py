"""``umig-tui promote`` against the demo-server on loopback, a history JSONL with a watch's verdict,
and a git repository made here: the commits between what production and UAT run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import cli_env, write_config
from tests.integration.conftest import CONTROL_CHARS, FAST_POLLING, run_cli
from umig_tui.demo.server import ServerThread
from umig_tui.util.durations import format_duration
from umig_tui.util.timefmt import iso, parse_iso

GIT = shutil.which("git")
needs_git = pytest.mark.skipif(GIT is None, reason="git is not installed")
HOSTILE = "\x1b[31mred\x1b]0;pwned\x07 subject"


def git(repo: Path, *args: str) -> str:
    assert GIT is not None
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Ada",
        "GIT_AUTHOR_EMAIL": "ada@example.com",
        "GIT_COMMITTER_NAME": "Ada",
        "GIT_COMMITTER_EMAIL": "ada@example.com",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    done = subprocess.run(
        [GIT, "-C", str(repo), *args], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def make_repository(path: Path) -> dict[str, str]:
    """production's 1.1.2 (tagged ``1.1.2``), then three commits up to uat's ``v1.2.0-rc.2``."""
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    subjects = [
        "initial",
        "release 1.1.2",
        "Add the promotion board",
        HOSTILE,
        "release 1.2.0-rc.2",
    ]
    shas: dict[str, str] = {}
    for subject in subjects:
        git(path, "commit", "-q", "--allow-empty", "-m", subject)
        shas[subject] = git(path, "rev-parse", "HEAD")
        if subject == "release 1.1.2":
            git(path, "tag", "1.1.2")
    git(path, "tag", "v1.2.0-rc.2")
    return shas


def promote(config: Path, *extra: str, env: dict[str, str] | None = None) -> tuple[int, Any, str]:
    proc = run_cli("promote", "--config", config, "--json", *extra, env=env)
    assert proc.stdout, proc.stderr
    return proc.returncode, json.loads(proc.stdout), proc.stderr


def first_board(config: Path) -> dict[str, Any]:
    code, document, _ = promote(config, "--no-store")
    assert code == 0
    return document


def environments(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["name"]: e for e in document["environments"]}


def history_with_verdict(path: Path, uat_landed: float) -> Path:
    """production on 1.1.2 for a month, uat on it too, then uat got 1.2.0-rc.2 — watched: pass,
    soaked."""
    lines = [
        {"type": "deployment_success", "environment": "production", "version": "1.1.2",
         "ts": uat_landed - 30 * 86400},
        {"type": "deployment_success", "environment": "uat", "version": "1.1.2",
         "ts": uat_landed - 20 * 86400},
        {"type": "deployment_success", "environment": "uat", "version": "1.2.0-rc.2",
         "ts": uat_landed, "initiatedBy": "jenkins", "verdict": "pass", "verdict_reason": "",
         "verdict_detail": []},
        {"type": "deployment_soak", "environment": "uat", "version": "1.2.0-rc.2",
         "ts": uat_landed + 3600, "verdict": "pass",
         "soak": {"until": iso(uat_landed + 3600), "state": "passed"}},
    ]  # fmt: skip
    with path.open("w", encoding="utf-8") as handle:
        for n, line in enumerate(lines):
            ts = line.pop("ts")
            record = {"id": f"deploy-{n}", "timestamp": iso(ts), **line}
            handle.write(json.dumps(record) + "\n")
    return path


@pytest.fixture
def urls(demo_server: ServerThread) -> dict[str, str]:
    return demo_server.env_urls()


@needs_git
def test_board_lists_the_commits_between_production_and_uat(
    urls: dict[str, str], tmp_path: Path
) -> None:
    shas = make_repository(tmp_path / "app")
    plain_config = write_config(tmp_path / "plain.toml", urls, FAST_POLLING)
    uat_landed = parse_iso(environments(first_board(plain_config))["uat"]["deployed_at"])
    assert uat_landed is not None
    history = history_with_verdict(tmp_path / "history.jsonl", uat_landed)
    extra = f'{FAST_POLLING}\n[history]\nfile = "{history}"\n[repository]\npath = "app"\n'
    config = write_config(tmp_path / "umig-tui.toml", urls, extra)  # path relative to the file

    code, document, stderr = promote(config, "--no-store")

    assert code == 0, stderr
    assert document["repository"] == {"path": str(tmp_path / "app"), "error": None}
    dev_step, uat_step = document["steps"]
    assert (uat_step["from"], uat_step["to"]) == ("uat", "production")
    assert uat_step["relation"] == "ahead"
    assert uat_step["differs_since"] == iso(uat_landed)
    assert uat_step["since_exact"] is True
    assert uat_step["promotable"] is True, uat_step["why"]
    assert "passed and soaked" in uat_step["why"]
    commits = uat_step["commits"]
    assert commits["count"] == 3
    assert commits["behind"] == 0
    assert commits["error"] is None
    assert commits["base"] == {"sha": shas["release 1.1.2"], "how": "tag 1.1.2", "problem": None}
    assert commits["head"]["how"] == "tag v1.2.0-rc.2"
    subjects = [c["subject"] for c in commits["list"]]
    assert subjects[0] == "release 1.2.0-rc.2"
    assert subjects[2] == "Add the promotion board"
    assert not CONTROL_CHARS.search(subjects[1])
    assert "subject" in subjects[1]
    assert {c["author"] for c in commits["list"]} == {"Ada"}
    # development runs a build no tag names: said, nothing guessed.
    assert dev_step["commits"]["count"] is None
    assert "no build commit reported and no tag" in dev_step["commits"]["error"]
    assert environments(document)["uat"]["verdict"]["soak"]["state"] == "passed"

    text = run_cli("promote", "--config", config, "--no-store")
    assert text.returncode == 0
    assert (
        "uat ahead of production for "
        + format_duration(
            parse_iso(document["generated_at"]) - uat_landed  # type: ignore[operator]
        )
        in text.stdout
    )
    assert "promotable: uat 1.2.0-rc.2 passed and soaked" in text.stdout
    assert "3 commits in uat not in production" in text.stdout
    assert "Add the promotion board" in text.stdout
    assert "\x1b" not in text.stdout


def test_without_a_repository_nothing_is_guessed(urls: dict[str, str], tmp_path: Path) -> None:
    document = first_board(write_config(tmp_path / "c.toml", urls, FAST_POLLING))
    assert document["repository"] is None
    assert all(step["commits"] is None for step in document["steps"])
    names = [e["name"] for e in document["environments"]]
    assert names == ["development", "uat", "production", "hotfix"]
    assert [e["aside"] for e in document["environments"]] == [False, False, False, True]
    uat = environments(document)["uat"]
    assert uat["version"] == "1.2.0-rc.2"
    assert uat["verdict"] is None
    assert document["steps"][1]["promotable"] is False
    assert document["steps"][1]["why"] == "no deploy verdict recorded for uat 1.2.0-rc.2"


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("missing", "does not exist"),
        ("plain-dir", "is not a git repository"),
    ],
)
def test_a_repository_that_cannot_be_read_is_said(
    urls: dict[str, str], tmp_path: Path, setup: str, message: str
) -> None:
    target = tmp_path / "not-here"
    if setup == "plain-dir":
        target.mkdir()
    extra = f'{FAST_POLLING}\n[repository]\npath = "{target}"\n'
    code, document, stderr = promote(write_config(tmp_path / "c.toml", urls, extra), "--no-store")
    assert code == 0
    assert message in document["repository"]["error"]
    assert message in stderr
    assert "Traceback" not in stderr


def test_no_git_binary_is_said(urls: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    extra = f'{FAST_POLLING}\n[repository]\npath = "app"\n'
    config = write_config(tmp_path / "c.toml", urls, extra)
    code, document, stderr = promote(config, "--no-store", env=cli_env(PATH=str(tmp_path / "bin")))
    assert code == 0
    assert document["repository"]["error"] == "git is not installed (needed to read [repository])"
    assert "git is not installed" in stderr


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("[repository]\npath = 5\n", "repository.path must be a non-empty string"),
        ('[repository]\npath = "x"\nbranch = "main"\n', "unknown key 'branch'"),
        ('[repository]\npath = "x"\ntimeout = "1h"\n', "repository.timeout must be between"),
    ],
)
def test_bad_repository_config_is_exit_2_naming_the_line(
    tmp_path: Path, table: str, message: str
) -> None:
    config = write_config(tmp_path / "c.toml", {"uat": "http://127.0.0.1:9"}, table)
    proc = run_cli("promote", "--config", config, "--no-store")
    assert proc.returncode == 2
    assert message in proc.stderr
    assert "c.toml:" in proc.stderr
    assert proc.stderr.count("\n") == 1
