"""Files shipped with the package: themes/ and sample_data/ (in the wheel or the source tree)."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parents[1]  # umig_tui/


def data_dir(name: str) -> Path:
    """``themes`` or ``sample_data``: the wheel's copy, else the source checkout's."""
    installed = _PACKAGE / "_data" / name
    if installed.is_dir():
        return installed
    return _PACKAGE.parent / name
