"""Small UI preferences remembered between runs (the last theme), never secrets."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from umig_tui.config import APP_NAME


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
