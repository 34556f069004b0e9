"""DESIGN rule: nothing outside umig_tui/tui/ imports Textual; one-shot commands stay light."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "umig_tui"
TUI_ONLY = frozenset({"textual", "textual_plotext", "plotext"})


def imported_roots(source: str) -> set[str]:
    """Top-level module names a source imports anywhere (module level or inside functions)."""
    roots: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
        elif (
            isinstance(node, ast.Call)
            and (
                (isinstance(node.func, ast.Name) and node.func.id == "__import__")
                or (isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")
            )
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            roots.add(node.args[0].value.split(".")[0])
    return roots


def core_modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if p.relative_to(PACKAGE).parts[0] != "tui")


@pytest.mark.parametrize(
    "source",
    [
        "import textual",
        "from textual.app import App",
        "import textual_plotext as tp",
        "def f():\n    from plotext import plot\n",
        "import importlib\nimportlib.import_module('textual.widgets')",
        "__import__('textual')",
    ],
)
def test_the_checker_sees_every_form_of_import(source: str) -> None:
    assert imported_roots(source) & TUI_ONLY


def test_the_checker_ignores_relative_and_other_imports() -> None:
    assert not imported_roots("from . import textual_helpers\nimport rich.text\n") & TUI_ONLY


def test_the_walk_covers_the_core() -> None:
    names = {p.relative_to(PACKAGE).as_posix() for p in core_modules()}
    assert {"config.py", "fleet.py", "analysis/drift.py", "sources/parse.py"} <= names
    assert not any(name.startswith("tui/") for name in names)


def test_nothing_outside_tui_imports_textual() -> None:
    offenders = {
        p.relative_to(PACKAGE).as_posix(): sorted(roots & TUI_ONLY)
        for p in core_modules()
        if (roots := imported_roots(p.read_text(encoding="utf-8"))) & TUI_ONLY
    }
    assert offenders == {}


def test_one_shot_cli_does_not_load_textual_or_rich() -> None:
    script = (
        "import json, sys\n"
        # httpx imports its own CLI (click, rich, pygments) when click is installed: the test
        # extras bring click (import-linter); an install of umig-tui alone has none.
        "sys.modules['click'] = None\n"
        "import umig_tui.cli.status, umig_tui.cli.drift\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        cwd=PACKAGE.parent,
        timeout=60,
    )
    loaded = json.loads(done.stdout)
    assert "umig_tui.cli.status" in loaded
    heavy = sorted(m for m in loaded if m.split(".")[0] in TUI_ONLY | {"rich"})
    assert heavy == []
