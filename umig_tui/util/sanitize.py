"""Every string from an endpoint is data: strip terminal control and escape sequences."""

from __future__ import annotations

import re

# CSI, OSC, DCS/SOS/PM/APC strings and two-byte escapes, then any remaining C0/C1 control
# character and the Unicode bidi overrides that can visually reorder text on a terminal.
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"
    r"|\x1b[@-Z\\-_]?"
    r"|\x9b[0-?]*[ -/]*[@-~]"
)
# U+061C is a bidi mark like U+200E/F; U+2028/9 are line breaks to str.splitlines() and others.
_CONTROL = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]"
)
_SPACES = re.compile(r"\s{2,}")

MAX_TEXT = 200


def clean_text(value: str, max_len: int = MAX_TEXT) -> str:
    """``value`` with escape sequences removed, controls turned to spaces, capped at ``max_len``."""
    # Nearly every string is already clean. isprintable() is False for every character the
    # patterns below remove (C0/C1 controls, ESC, bidi and zero-width marks, line separators,
    # every space but ASCII's), so such a string comes back as it is.
    if (
        value.isprintable()
        and len(value) <= max_len
        and "  " not in value
        and value == value.strip()
    ):
        return value
    text = _ESCAPES.sub("", value)
    text = _CONTROL.sub(" ", text)
    text = _SPACES.sub(" ", text).strip()
    if len(text) > max_len:
        text = text[: max_len - 1] + "…"
    return text


def clean_block(value: str, max_len: int = 64 * 1024) -> str:
    """Multi-line text (raw bodies for display): keeps newlines and tabs, drops other controls."""
    text = _ESCAPES.sub("", value)
    text = re.sub(
        r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]",
        "",
        text,
    )
    if len(text) > max_len:
        text = text[:max_len] + "\n… (truncated)"
    return text
