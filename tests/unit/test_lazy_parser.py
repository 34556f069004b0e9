"""The command line's parser registers only the commands a command line names (cli/main.py):
the same parse, the same mistakes told, and the dashboard loads no command module."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from umig_tui.cli.main import COMMAND_MODULES, build_parser, parse_command_line
from umig_tui.cli.parsing import PARSER, ArgumentsError, parse

VALID = [
    [],
    ["--config", "fleet.toml", "--store", "s.db", "--no-bell"],
    ["--theme", "status"],  # a value that is a command's name
    ["--theme", "status", "drift", "--json"],
    ["status"],
    ["status", "--json", "--env", "production"],
    ["--config", "x.toml", "drift", "--json"],
    ["deploy", "watch", "--env", "uat", "--expect", "1.2.3"],
    ["export", "prometheus"],
    ["rules", "export"],
    ["snapshot"],
    ["slo", "--env", "production"],
    ["report", "--format", "json"],
    ["demo-server", "--port", "0", "--envs", "3"],
    ["history", "--env", "uat"],
]
INVALID = [
    ["statsu"],
    ["status", "--jsno"],
    ["--json", "status"],  # an option of status, given before it
    ["status", "extra"],
    ["deploy"],
    ["export", "csv"],
    ["--store"],
    ["--metrics-port", "x"],
]


def fields(args: argparse.Namespace) -> dict[str, object]:
    return {k: v for k, v in vars(args).items() if k != PARSER}


def test_every_command_is_named_in_the_table_in_the_order_help_lists_them() -> None:
    parser = build_parser()
    (commands,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    assert list(commands.choices) == list(COMMAND_MODULES)
    assert parser.complete


@pytest.mark.parametrize("argv", VALID, ids=" ".join)
def test_a_command_line_parses_as_the_whole_parser_parses_it(argv: list[str]) -> None:
    assert fields(parse_command_line(argv)) == fields(parse(build_parser(), argv))


@pytest.mark.parametrize("argv", INVALID, ids=" ".join)
def test_a_mistake_is_told_as_the_whole_parser_tells_it(argv: list[str]) -> None:
    with pytest.raises(ArgumentsError) as whole:
        parse(build_parser(), argv)
    with pytest.raises(ArgumentsError) as lazy:
        parse_command_line(argv)
    assert str(lazy.value) == str(whole.value)


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parse_command_line(["--help"])
    out = capsys.readouterr().out
    for name in COMMAND_MODULES:
        assert name in out


def test_the_dashboard_and_one_command_load_only_their_command_modules() -> None:
    code = (
        "import sys; from umig_tui.cli.main import parse_command_line;"
        "parse_command_line(sys.argv[1:]);"
        "print(sorted(m for m in sys.modules if m.startswith('umig_tui.cli.')))"
    )
    dashboard = subprocess.run(
        [sys.executable, "-c", code, "--no-bell"], capture_output=True, text=True, check=True
    ).stdout
    drift = subprocess.run(
        [sys.executable, "-c", code, "drift", "--json"], capture_output=True, text=True, check=True
    ).stdout
    for module in set(COMMAND_MODULES.values()):
        assert f"umig_tui.cli.{module}'" not in dashboard
        assert (f"umig_tui.cli.{module}'" in drift) == (module == "drift")
