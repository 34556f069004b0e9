"""Bad invocations and bad configs: exit 2, one clear line naming file:line, never a traceback.

The table runs ``main()`` in-process (the console script's entry point, minus interpreter start-up);
a few cases run as real subprocesses to pin the process-level behaviour.
"""

from __future__ import annotations

import json
import re
import subprocess
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import UMIG_TUI, cli_env
from tests.integration.conftest import by_name, run_cli
from umig_tui.cli.main import main
from umig_tui.demo.server import ServerThread

ENV_A = """\
[[environments]]
name = "a"
url = "http://127.0.0.1:9"
tier = "uat"
"""


@dataclass(frozen=True)
class Case:
    id: str
    args: list[str]
    message: str  # a regex the last stderr line must match in full
    config: str | None = None  # written to ./bad.toml
    environ: dict[str, str] = field(default_factory=dict)
    argparse: bool = False  # refused by the parser: the arguments are passed as they are


CASES = [
    Case(
        "unknown-key",
        ["status", "--config", "bad.toml"],
        r"umig-tui: bad\.toml:5: unknown key 'bogus' in environments\[0\] \(known keys: .*\)",
        ENV_A + "bogus = 1\n",
    ),
    Case(
        "unknown-key-suggestion",
        ["status", "--config", "bad.toml"],
        r"umig-tui: bad\.toml:3: unknown key 'helth' in polling \(did you mean 'health'\?\)",
        '[polling]\ntimeout = "1s"\nhelth = "30s"\n',
    ),
    Case(
        "unknown-top-level-table",
        ["drift", "--config", "bad.toml"],
        r"umig-tui: bad\.toml:5: unknown key 'frobnicate' in the top level .*",
        ENV_A + "[frobnicate]\nx = 1\n",
    ),
    Case(
        "bad-duration",
        ["status", "--config", "bad.toml"],
        r"umig-tui: bad\.toml:2: polling\.health: invalid duration '30x': .*",
        '[polling]\nhealth = "30x"\n',
    ),
    Case(
        "timeout-longer-than-interval",
        ["status", "--config", "bad.toml"],
        r"umig-tui: bad\.toml:2: polling\.timeout must not be longer than .*",
        '[polling]\ntimeout = "1m"\nhealth = "30s"\n',
    ),
    Case(
        "bad-url",
        ["status", "--config", "bad.toml"],
        r"umig-tui: bad\.toml:3: environment 'a': url 'ftp://x' is not an http\(s\) URL with a host",
        ENV_A.replace("http://127.0.0.1:9", "ftp://x"),
    ),
    Case(
        "duplicate-names",
        ["status", "--config", "bad.toml"],
        r"umig-tui: bad\.toml:7: duplicate environment name 'a' \(first defined in environment #1\)",
        ENV_A + "\n" + ENV_A,
    ),
    Case(
        "bad-tier",
        ["status", "--config", "bad.toml"],
        r"umig-tui: bad\.toml:4: environment 'a': tier 'staging' must be one of .*",
        ENV_A.replace('"uat"', '"staging"'),
    ),
    Case(
        "invalid-toml",
        ["status", "--config", "bad.toml"],
        r"umig-tui: bad\.toml:2: invalid TOML: .*",
        '[[environments]]\nname = "a\n',
    ),
    Case(
        "secret-in-file",
        ["status", "--config", "bad.toml"],
        r"umig-tui: bad\.toml:5: environment 'a': secrets are never written in the config; .*",
        ENV_A + 'auth = { type = "bearer", token = "s3cret" }\n',
    ),
    Case(
        "expected-unknown-env",
        ["drift", "--config", "bad.toml"],
        r"umig-tui: bad\.toml:6: expected: no environment named 'b'",
        ENV_A + '[expected]\nb = { umig = "1.0.0" }\n',
    ),
    Case(
        "ca-bundle-not-a-certificate",
        ["status", "--config", "bad.toml"],
        r"umig-tui: bad\.toml:1: environment 'a': ca_bundle '.*not-a-cert\.pem' holds no usable "
        r"CA certificate \(.*\)",
        ENV_A.replace("http://", "https://") + 'ca_bundle = "not-a-cert.pem"\n',
    ),
    Case(
        "missing-config-file",
        ["status", "--config", "nowhere.toml"],
        r"umig-tui: config file not found: nowhere\.toml",
    ),
    Case(
        "config-variable-points-nowhere",
        ["status"],
        r"umig-tui: \$UMIG_TUI_CONFIG names a file that does not exist: /nonexistent/umig\.toml",
        environ={"UMIG_TUI_CONFIG": "/nonexistent/umig.toml"},
    ),
    Case(
        "bearer-token-variable-unset",
        ["status", "--config", "bad.toml"],
        r"umig-tui: environment 'a': bearer token variable \$UMIG_TEST_UNSET_TOKEN is not set "
        r"\(defined at bad\.toml:1\)",
        ENV_A + 'auth = { type = "bearer", token_env = "UMIG_TEST_UNSET_TOKEN" }\n',
    ),
    Case(
        "basic-password-variable-unset",
        ["drift", "--config", "bad.toml"],
        r"umig-tui: environment 'a': password variable \$UMIG_TEST_UNSET_PW is not set "
        r"\(defined at bad\.toml:1\)",
        ENV_A + 'auth = { type = "basic", user = "u", password_env = "UMIG_TEST_UNSET_PW" }\n',
    ),
    Case(
        "bad-url-variable",
        ["status"],
        r"umig-tui: \$UMIG_PROD_URL='prod\.example' is not an http\(s\) URL with a host",
        environ={"UMIG_PROD_URL": "prod.example"},
    ),
    Case(
        "unknown-env",
        ["status", "--demo", "--env", "staging"],
        r"umig-tui: unknown environment 'staging'; configured: development, hotfix, production, uat",
    ),
    Case(
        "unknown-env-drift",
        ["drift", "--config", "bad.toml", "--env", "b"],
        r"umig-tui: unknown environment 'b'; configured: a",
        ENV_A,
    ),
    Case(
        "unknown-flag",
        ["status", "--bogus"],
        r"umig-tui status: --bogus is not supported here \(see umig-tui status --help\)",
        argparse=True,
    ),
    Case(
        "unknown-command",
        ["statuz"],
        r"umig-tui: unknown command 'statuz'; did you mean status\? \(one of: status, drift, .*\)",
        argparse=True,
    ),
    Case(
        "flag-missing-its-value",
        ["status", "--config"],
        r"umig-tui status: --config: expected one argument",
        argparse=True,
    ),
    Case(
        "timeline-has-no-json",
        ["timeline", "--json"],
        r"umig-tui timeline: --json is not supported here \(this command prints text only; "
        r"see umig-tui timeline --help\)",
        argparse=True,
    ),
    Case(
        "snapshot-has-no-json",
        ["snapshot", "--json"],
        r"umig-tui snapshot: --json is not supported here \(it prints Markdown only; .*\)",
        argparse=True,
    ),
    Case(
        "report-json-is-a-format",
        ["report", "--json"],
        r"umig-tui report: --json is not supported here \(try --format json\)",
        argparse=True,
    ),
    Case(
        "misspelt-flag",
        ["drift", "--jsno"],
        r"umig-tui drift: --jsno is not supported here \(did you mean --json\?\)",
        argparse=True,
    ),
    Case(
        "command-flag-before-the-command",
        ["--json", "status"],
        r"umig-tui status: --json goes after the command: umig-tui status --json …",
        argparse=True,
    ),
    Case(
        "dashboard-flag-after-a-command",
        ["alerts", "--theme", "umig-light"],
        r"umig-tui alerts: --theme is an option of the dashboard \(umig-tui --theme …\), "
        r"not of this command",
        argparse=True,
    ),
    Case(
        "nested-command-flag",
        ["deploy", "watch", "--env", "uat", "--expect", "1.2.0", "--yes"],
        r"umig-tui deploy watch: --yes is not supported here \(see umig-tui deploy watch --help\)",
        argparse=True,
    ),
    Case(
        "unknown-action",
        ["deploy", "wach"],
        r"umig-tui deploy: unknown action 'wach'; did you mean watch\? \(one of: watch\)",
        argparse=True,
    ),
    Case(
        "stray-argument",
        ["status", "production"],
        r"umig-tui status: unexpected argument 'production' \(see umig-tui status --help\)",
        argparse=True,
    ),
    Case(
        "bad-choice",
        ["slo", "--window", "2h"],
        r"umig-tui slo: --window: invalid choice: '2h' \(choose from .*\)",
        argparse=True,
    ),
    Case(
        "timeout-not-a-number",
        ["status", "--timeout", "soon"],
        r"umig-tui status: --timeout: 'soon' is not a number of seconds \(e\.g\. 5, 2\.5, 30s, 1m\)",
        argparse=True,
    ),
    Case(
        "timeout-zero",
        ["report", "--timeout", "0"],
        r"umig-tui report: --timeout: must be more than 0 and at most 3600 seconds \(got 0\)",
        argparse=True,
    ),
    Case(
        "demo-envs-out-of-range",
        ["status", "--demo", "--demo-envs", "100000"],
        r"umig-tui status: --demo-envs: must be between 1 and 500 \(got 100000\)",
        argparse=True,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_invocation_exits_2_with_one_clear_line(
    case: Case,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    if case.config is not None:
        (tmp_path / "bad.toml").write_text(case.config, encoding="utf-8")
    (tmp_path / "not-a-cert.pem").write_text("this is not PEM\n", encoding="utf-8")
    for name, value in case.environ.items():
        monkeypatch.setenv(name, value)

    code = main([*case.args, "--no-store"] if not case.argparse else case.args)

    out, err = capsys.readouterr()
    assert code == 2, err
    assert out == ""
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err  # never argparse's usage first
    assert re.fullmatch(case.message, lines[-1]), lines[-1]


# --- the same, as real processes -----------------------------------------------------------


def test_processes_exit_2_without_traceback(tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text(ENV_A + "bogus = 1\n", encoding="utf-8")
    invocations = [
        (["status", "--config", "bad.toml", "--json"], "umig-tui: bad.toml:5: unknown key 'bogus'"),
        (["status", "--bogus"], "umig-tui status: --bogus is not supported here"),
        (["demo-server", "--fault", "uat=bogus"], "umig-tui: --fault 'uat=bogus': unknown fault"),
    ]
    procs = [  # at once: each is a short-lived interpreter
        subprocess.Popen(
            [*UMIG_TUI, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=cli_env(),
        )
        for args, _ in invocations
    ]
    for (args, message), proc in zip(invocations, procs, strict=True):
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == 2, (args, err)
        assert out == ""
        assert "Traceback" not in err
        assert err.strip().splitlines()[-1].startswith(message), (args, err)


def test_url_variables_alone_define_the_fleet(demo_server: ServerThread) -> None:
    urls = demo_server.env_urls()
    env = cli_env(
        UMIG_DEV_URL=urls["development"],
        UMIG_UAT_URL=urls["uat"] + "/",
        UMIG_PROD_URL=urls["production"],
        UMIG_BASE_URL=urls["hotfix"],
    )
    proc = run_cli("status", "--json", "--no-store", env=env)
    assert proc.returncode == 0, proc.stderr
    document = json.loads(proc.stdout)
    assert document["demo"] is False
    envs = by_name(document)
    assert list(envs) == ["development", "uat", "production", "default"]
    assert [e["tier"] for e in envs.values()] == ["development", "uat", "production", "production"]
    assert envs["uat"]["version"] == "1.2.0-rc.2"
    assert envs["default"]["version"] == "1.1.3+hotfix"


def test_url_variable_repoints_a_configured_environment(
    demo_server: ServerThread, fleet_config: Path
) -> None:
    urls = demo_server.env_urls()
    env = cli_env(UMIG_PROD_URL=urls["uat"])  # production now answers with uat's documents
    proc = run_cli("status", "--config", fleet_config, "--json", "--no-store", env=env)
    assert proc.returncode == 0, proc.stderr
    assert by_name(json.loads(proc.stdout))["production"]["version"] == "1.2.0-rc.2"


INTERNAL_ERROR = textwrap.dedent(
    """
    import sys
    import umig_tui.cli.status as status

    def broken(*args, **kwargs):
        raise RuntimeError("simulated bug in the status command")

    status.status_json = broken  # a bug after the poll: nothing foresaw it
    from umig_tui.cli.main import main
    sys.exit(main(["status", "--demo", "--json", "--no-store"]))
    """
)


def test_internal_error_is_one_message_and_exit_70() -> None:
    proc = subprocess.run(
        [UMIG_TUI[0], "-c", INTERNAL_ERROR],
        capture_output=True,
        text=True,
        env=cli_env(),
        timeout=30,
        check=False,
    )
    assert proc.returncode == 70
    assert "Traceback" not in proc.stdout + proc.stderr
    assert proc.stderr.splitlines()[0] == (
        "umig-tui: internal error: RuntimeError: simulated bug in the status command"
    )
    assert "UMIG_TUI_DEBUG=1" in proc.stderr
