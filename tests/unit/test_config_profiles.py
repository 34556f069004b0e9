"""[profiles.NAME] in the config: jq compiled once, every mistake one message at its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from umig_tui.config import (
    BUILTIN_PROFILES,
    Config,
    ConfigError,
    CustomProfileSpec,
    ProfileSignal,
    parse_config_text,
)
from umig_tui.config.custom_profiles import (
    HEALTH_METRICS,
    METRICS_FIELDS,
    OPTIONAL,
    REQUIRED,
    clean_compile_error,
)
from umig_tui.models import Endpoint

ENV = '[[environments]]\nname = "production"\nurl = "https://confluence.example.com"\n'

GOOD = """\
[[environments]]
name = "production"
url = "https://confluence.example.com"
profile = "mysite"

[[environments]]
name = "uat"
url = "https://uat.example.com"
profile = "umig-admin-v2"

[[environments]]
name = "development"
url = "https://dev.example.com"

[profiles.mysite.health]
path = "admin/health"
accept = [200, 206, 503]
status = '.umig.status'
version = '.umig.version // "unknown"'
uptime = '.umig.uptime'
components = '.components | map_values(.status)'
error_rate = '.metrics.errorRate'

[profiles.mysite.version]
path = "admin/version?includeMetrics=false"
version = '.umig.version // "unknown"'
database = '.components.database.schema'
changesets = '.components.database.changesets'

[profiles.mysite.components]
path = "admin/components"
parts = '.services | map_values(.status)'

[profiles.mysite.metrics]
path = "admin/metrics/prometheus"
format = "prometheus"

[profiles.mysite.smoke]
path = "teams"

[profiles.jsonmetrics.metrics]
path = "stats"
active_users = '.users.active'
[profiles.jsonmetrics.metrics.extra]
queue_depth = '.queue.depth'
"""


def parse(tmp_path: Path, text: str) -> Config:
    path = tmp_path / "umig-tui.toml"
    path.write_text(text, encoding="utf-8")
    return parse_config_text(text, path)


def test_a_good_profile_round_trips(tmp_path: Path) -> None:
    config = parse(tmp_path, GOOD)
    assert [e.profile for e in config.environments] == ["mysite", "umig-admin-v2", "auto"]
    assert set(config.profiles) == {"mysite", "jsonmetrics"}
    spec = config.profiles["mysite"]
    assert isinstance(spec, CustomProfileSpec)
    assert spec.name == "mysite"
    assert spec.origin == f"{tmp_path / 'umig-tui.toml'}:15"
    assert set(spec.signals) == set(Endpoint)  # smoke is the teams signal
    health = spec.signals[Endpoint.HEALTH]
    assert health.path == "admin/health"
    assert health.accept == frozenset({200, 206, 503})
    assert {key: f.expression for key, f in health.fields.items()} == {
        "status": ".umig.status",
        "version": '.umig.version // "unknown"',
        "uptime": ".umig.uptime",
        "components": ".components | map_values(.status)",
        "error_rate": ".metrics.errorRate",
    }
    assert health.fields["status"].where == "profiles.mysite.health.status"
    version = spec.signals[Endpoint.VERSION]
    assert version.path == "admin/version?includeMetrics=false"
    assert version.accept == frozenset({200})
    assert spec.signals[Endpoint.METRICS] == ProfileSignal(
        "admin/metrics/prometheus", format="prometheus"
    )
    assert spec.signals[Endpoint.TEAMS] == ProfileSignal("teams")
    metrics = config.profiles["jsonmetrics"].signals[Endpoint.METRICS]
    assert metrics.format == "json"
    assert list(metrics.fields) == ["active_users"]
    assert {k: f.expression for k, f in metrics.extra.items()} == {"queue_depth": ".queue.depth"}
    # Compiled once, when read: the program runs.
    assert health.fields["status"].program.input_text('{"umig": {"status": "ok"}}').first() == "ok"
    # Parsing again gives an equal config (programs are not compared, expressions are).
    assert parse(tmp_path, GOOD).profiles == config.profiles


def test_a_config_without_profiles_never_imports_jq(tmp_path: Path) -> None:
    import subprocess
    import sys

    path = tmp_path / "plain.toml"
    path.write_text(ENV + 'profile = "us088"\n', encoding="utf-8")
    code = (
        "import sys; from pathlib import Path; from umig_tui.config import parse_config_text;"
        f"c = parse_config_text(Path({str(path)!r}).read_text(), None);"
        "assert c.environments[0].profile == 'us088' and not c.profiles;"
        "print('jq' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_builtin_names_agree_with_the_profiles_package() -> None:
    from umig_tui.sources.profiles import BUILTIN_NAMES

    assert set(BUILTIN_PROFILES) == set(BUILTIN_NAMES)


def test_key_tables_cover_the_documents() -> None:
    assert set(HEALTH_METRICS) <= set(METRICS_FIELDS)
    assert set(REQUIRED) == set(OPTIONAL) == set(Endpoint)


HEALTH = "[profiles.mysite.health]\n"
STATUS = "path = \"admin/health\"\nstatus = '.umig.status'\n"

BAD: dict[str, tuple[str, int, str]] = {
    "bad jq expression": (
        ENV + HEALTH + 'path = "admin/health"\n' + "status = '.umig.['\n",
        6,
        "profiles.mysite.health.status: jq cannot compile '.umig.[': "
        "syntax error, unexpected end of file (column 7)",
    ),
    "undefined jq function": (
        ENV + HEALTH + STATUS + "version = '.umig | versoin'\n",
        7,
        "profiles.mysite.health.version: jq cannot compile '.umig | versoin': "
        "versoin/0 is not defined (column 9)",
    ),
    "unknown key": (
        ENV + HEALTH + STATUS + "error_rat = '.errorRate'\n",
        7,
        "unknown key 'error_rat' in profiles.mysite.health (did you mean 'error_rate'?)",
    ),
    "unknown signal": (
        ENV + "[profiles.mysite.helth]\n" + STATUS,
        4,
        "unknown key 'helth' in profiles.mysite (did you mean 'health'?)",
    ),
    "path climbing out": (
        ENV + HEALTH + 'path = "admin/../../secret"\n' + "status = '.s'\n",
        5,
        "profiles.mysite.health.path must not climb out of the environment's api_prefix ('..')",
    ),
    "path with a leading slash": (
        ENV + HEALTH + 'path = "/admin/health"\n' + "status = '.s'\n",
        5,
        "profiles.mysite.health.path is below the environment's api_prefix: "
        "write 'admin/health', not '/admin/health'",
    ),
    "path that is a URL": (
        ENV + HEALTH + 'path = "https://evil.example.com/health"\n' + "status = '.s'\n",
        5,
        "profiles.mysite.health.path must be a path below the environment's api_prefix, not a URL",
    ),
    "missing required expression": (
        ENV + HEALTH + 'path = "admin/health"\n' + "version = '.v'\n",
        4,
        "profiles.mysite.health needs status = '<jq expression>' (the status word)",
    ),
    "missing path": (
        ENV + "\n[profiles.mysite.version]\nversion = '.v'\n",
        5,
        "profiles.mysite.version needs path = 'admin/version'",
    ),
    "profile name not defined": (
        ENV + 'profile = "mysit"\n\n' + HEALTH + STATUS,
        4,
        "environment 'production': unknown profile 'mysit'; "
        "use one of auto, us088, umig-admin-v2, mysite",
    ),
    "built-in name reused": (
        ENV + "[profiles.us088.health]\n" + STATUS,
        4,
        "profile name 'us088' is built in; give [profiles.us088] another name "
        "(built in: auto, us088, umig-admin-v2)",
    ),
    "no signals": (
        ENV + "\n[profiles.empty]\n",
        5,
        "profile 'empty' offers no signal: add at least one of [profiles.empty.health], "
        "[profiles.empty.version], [profiles.empty.components], [profiles.empty.metrics], "
        "[profiles.empty.smoke]",
    ),
    "number where an expression belongs": (
        ENV + HEALTH + STATUS + "error_rate = 0.5\n",
        7,
        "profiles.mysite.health.error_rate must be a jq expression in a string, "
        "such as '.umig.status' (got a number)",
    ),
    "bad accept": (
        ENV + HEALTH + STATUS + 'accept = ["200"]\n',
        7,
        "profiles.mysite.health.accept must be a list of HTTP statuses such as [200, 206, 503]",
    ),
    "expression reading the environment": (
        ENV + HEALTH + 'path = "h"\n' + "status = '$ENV.UMIG_PROD_TOKEN'\n",
        6,
        "profiles.mysite.health.status: jq expression '$ENV.UMIG_PROD_TOKEN' uses $ENV, "
        "which reaches outside the document and is not allowed here",
    ),
    "env inside a string interpolation": (
        ENV + HEALTH + 'path = "h"\n' + "status = '\"\\(env.HOME)\"'\n",
        6,
        "profiles.mysite.health.status: jq expression '\"\\(env.HOME)\"' uses env, "
        "which reaches outside the document and is not allowed here",
    ),
    "bad metrics format": (
        ENV + '[profiles.m.metrics]\npath = "m"\nformat = "xml"\n',
        6,
        'profiles.m.metrics.format must be "json" or "prometheus"',
    ),
    "json metrics reading nothing": (
        ENV + '[profiles.m.metrics]\npath = "m"\n',
        4,
        "profiles.m.metrics reads nothing: add an expression such as error_rate = '.errors.rate', "
        '[profiles.m.metrics.extra] series, or format = "prometheus"',
    ),
    "expression with prometheus format": (
        ENV + '[profiles.m.metrics]\npath = "m"\nformat = "prometheus"\nerror_rate = ".e"\n',
        7,
        'profiles.m.metrics.error_rate: expressions need format = "json"; '
        "Prometheus text is read by series name",
    ),
    "bad extra series name": (
        ENV
        + '[profiles.m.metrics]\npath = "m"\n[profiles.m.metrics.extra]\n"queue depth" = ".q"\n',
        7,
        "profiles.m.metrics.extra: series name 'queue depth' may use letters, digits, '_' and ':'",
    ),
    "smoke with an expression": (
        ENV + '[profiles.s.smoke]\npath = "teams"\nstatus = ".s"\n',
        6,
        "unknown key 'status' in profiles.s.smoke (known keys: path)",
    ),
}


@pytest.mark.parametrize(("text", "line", "message"), list(BAD.values()), ids=list(BAD))
def test_bad_profile_config_is_one_message_with_file_and_line(
    tmp_path: Path, text: str, line: int, message: str
) -> None:
    with pytest.raises(ConfigError) as info:
        parse(tmp_path, text)
    assert str(info.value) == f"{tmp_path / 'umig-tui.toml'}:{line}: {message}"
    assert info.value.line == line


def test_env_as_a_field_name_or_string_is_not_the_builtin(tmp_path: Path) -> None:
    text = ENV + HEALTH + 'path = "h"\n' + "status = '''.env.status // \"env\" # env\n'''\n"
    config = parse(tmp_path, text)
    assert config.profiles["mysite"].signals[Endpoint.HEALTH].fields["status"].expression == (
        '.env.status // "env" # env'
    )


@pytest.mark.parametrize(
    ("message", "clean"),
    [
        (
            "jq: error: syntax error, unexpected end of file at <top-level>, line 1, column 7:\n"
            "    .umig.[\n          ^\njq: 1 compile error",
            "syntax error, unexpected end of file (column 7)",
        ),
        (
            "jq: error: foo/0 is not defined at <top-level>, line 3, column 2:\n    foo\n"
            "jq: 1 compile error",
            "foo/0 is not defined (line 3, column 2)",
        ),
        (  # jq 1.6 gives no column
            "jq: error: syntax error, unexpected $end at <top-level>, line 1:\n.[\njq: 1 compile error",
            "syntax error, unexpected $end (line 1)",
        ),
        ("", "invalid expression"),
    ],
)
def test_jq_compile_errors_are_one_clean_line(message: str, clean: str) -> None:
    assert clean_compile_error(message) == clean
