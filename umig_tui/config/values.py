"""Small readers of config values shared by the config modules: key paths, names, URLs."""

from __future__ import annotations

import difflib
from typing import Any
from urllib.parse import urlsplit


def dotted(path: tuple[str | int, ...]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def suggest(key: str, allowed: set[str]) -> str:

    close = difflib.get_close_matches(key, sorted(allowed), n=1)
    if close:
        return f" (did you mean {close[0]!r}?)"
    if allowed:
        return f" (known keys: {', '.join(sorted(allowed))})"
    return ""


def has_credentials(value: Any) -> bool:
    """True when a URL string has a ``user[:password]@`` part (a secret written in place)."""
    if not isinstance(value, str):
        return False
    try:
        return "@" in urlsplit(value.strip()).netloc
    except ValueError:
        return False


def check_url(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        parts = urlsplit(text)
        _ = parts.port  # raises on a bad port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname or " " in text:
        return None
    if parts.query or parts.fragment:
        return None
    return text.rstrip("/")
