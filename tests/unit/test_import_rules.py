"""One-shot commands stay light: they never load the dashboard's libraries.

(Who may import what is the import-linter contract in pyproject.toml, run by `make lint`.)
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "umig_tui"
TUI_ONLY = frozenset({"textual", "textual_plotext", "plotext"})


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
