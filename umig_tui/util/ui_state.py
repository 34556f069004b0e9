"""Small UI preferences remembered between runs (the last theme), never secrets."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from umig_tui import APP_NAME

# A file name from a row or an environment name: nothing that walks out of the folder.
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


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
    return save_text(markdown, now, folder="snapshots", stem="snapshot", suffix=".md")


def save_text(
    text: str, now: float, *, folder: str, stem: str, suffix: str = ".txt"
) -> Path | None:
    """Keep ``text`` as ``<state dir>/<folder>/<stem>-<local time><suffix>``; None when that is
    not possible. A second file in the same second gets ``-2``, ``-3``…: never overwritten."""
    from datetime import datetime

    import platformdirs

    safe = _SAFE_NAME.sub("-", stem).strip("-.")[:60] or "copy"
    base = f"{safe}-{datetime.fromtimestamp(now).strftime('%Y%m%d-%H%M%S')}"
    directory = Path(platformdirs.user_state_dir(APP_NAME)) / folder
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for attempt in range(1, 100):
            path = directory / (f"{base}{suffix}" if attempt == 1 else f"{base}-{attempt}{suffix}")
            try:
                out = path.open("x", encoding="utf-8")
            except FileExistsError:
                continue
            try:
                with out:
                    out.write(text)
            except OSError:
                path.unlink(missing_ok=True)  # a full disk leaves no half a copy behind
                raise
            return path
    except OSError:
        return None
    return None
