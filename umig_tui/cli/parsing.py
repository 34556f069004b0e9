"""The command line's parser: every mistake is one line naming the command, never a usage dump.

argparse prints its whole usage (four lines for the top level) before the one line that says
what is wrong, and blames the top-level parser for an option a subcommand does not take. Here
an error is a :class:`ArgumentsError` (exit 2, one line) and an unknown option is blamed on the
command it was given to, with a hint: the option it resembles, or where it belongs.
"""

from __future__ import annotations

import argparse
import difflib
import re
from collections.abc import Sequence
from typing import Any, NoReturn

from umig_tui.cli.common import UsageError

PARSER = "_umig_parser"  # the namespace attribute naming the innermost parser that ran


class ArgumentsError(UsageError):
    """Arguments the parser refused; the message is the whole line, command name included."""


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line; its subcommands are Parsers too."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.complete = True  # every command registered (cli.main.build_parser)
        # Subparsers' defaults override their parents': after parsing, this names the
        # innermost command, the one an unknown option was meant for.
        self.set_defaults(**{PARSER: self})

    def error(self, message: str) -> NoReturn:
        raise ArgumentsError(f"{self.prog}: {_plain(message)}")

    def long_options(self) -> list[str]:
        return [s for action in self._actions for s in action.option_strings if s.startswith("--")]

    def choices_of(self, option: str) -> Sequence[Any] | None:
        for action in self._actions:
            if option in action.option_strings and action.choices is not None:
                return list(action.choices)
        return None


_INVALID_CHOICE = re.compile(r"argument (\S+): invalid choice: (.*) \(choose from (.*)\)")


def _plain(message: str) -> str:
    """argparse's wording, shortened: ``argument --x: …`` → ``--x: …``; unknown commands."""
    found = _INVALID_CHOICE.fullmatch(message)
    if found is not None and found.group(1).isupper():  # COMMAND, ACTION, FORMAT
        what, given, choices = found.groups()
        names = [c.strip(" '") for c in choices.split(",")]
        close = difflib.get_close_matches(given.strip("'"), names, n=1)
        hint = f"did you mean {close[0]}? " if close else ""
        return f"unknown {what.lower()} {given}; {hint}(one of: {', '.join(names)})"
    return message.removeprefix("argument ")


def parse(parser: Parser, argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse ``argv``; anything left over is one :class:`ArgumentsError` about the command."""
    args, extras = parser.parse_known_args(argv)
    if extras:
        command = getattr(args, PARSER, parser)
        raise ArgumentsError(unrecognized(parser, command, extras))
    return args


def unrecognized(root: Parser, command: Parser, extras: Sequence[str]) -> str:
    """One line for arguments ``command`` does not take, with the likeliest fix."""
    options = [e for e in extras if e.startswith("-") and e != "-"]
    if not options:
        return f"{command.prog}: unexpected argument {extras[0]!r} (see {command.prog} --help)"
    given = options[0]
    name = given.split("=", 1)[0]
    if command is not root and name in command.long_options():
        # Given before the command's name: the top level does not know it.
        return f"{command.prog}: {name} goes after the command: {command.prog} {name} …"
    if command is not root and name in root.long_options():
        return (
            f"{command.prog}: {name} is an option of the dashboard ({root.prog} {name} …), "
            "not of this command"
        )
    hint = _hint(command, name)
    return f"{command.prog}: {name} is not supported here ({hint})"


_FORMAT_NAMES = {"md": "Markdown", "text": "plain text", "json": "JSON"}


def _hint(command: Parser, name: str) -> str:
    close = difflib.get_close_matches(name, command.long_options(), n=1, cutoff=0.75)
    if close:
        return f"did you mean {close[0]}?"
    formats = command.choices_of("--format")
    if name == "--json" and formats is not None:
        if "json" in formats:
            return "try --format json"
        names = ", ".join(_FORMAT_NAMES.get(str(f), str(f)) for f in formats)
        return f"it prints {names} only; see {command.prog} --help"
    if name == "--json":
        return f"this command prints text only; see {command.prog} --help"
    return f"see {command.prog} --help"
