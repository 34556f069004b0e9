"""Small UI preferences remembered between runs (the last theme), never secrets."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from umig_tui import APP_NAME


def state_file() -> Path:
    import platformdirs

    return Path(platformdirs.user_state_dir(APP_NAME)) / "ui.json"


def load_ui_state() -> dict[str, Any]:
    try:
        data = json.loads(state_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def save_ui_state(**values: Any) -> None:
    """Merge ``values`` into the state file; failures are silent (a preference, not data)."""
    path = state_file()
    data = load_ui_state()
    data.update(values)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass


def save_snapshot(markdown: str, now: float) -> Path | None:
    """Keep an incident snapshot as a file in the state dir; None when that is not possible."""
    from datetime import datetime

    import platformdirs

    folder = Path(platformdirs.user_state_dir(APP_NAME)) / "snapshots"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"snapshot-{datetime.fromtimestamp(now).strftime('%Y%m%d-%H%M%S')}.md"
        path.write_text(markdown, encoding="utf-8")
    except OSError:
        return None
    return path
