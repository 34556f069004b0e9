"""Durations as people write them in config and on the command line: ``500ms``, ``30s``, ``5m``."""

from __future__ import annotations

import re

_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)")
_WHOLE = re.compile(r"^(?:\s*\d+(?:\.\d+)?\s*(?:ms|s|m|h|d|w))+\s*$")


# Longer than anything the monitor keeps or waits for: a typo with many digits is an error, not
# an overflow three screens later.
MAX_DURATION = 3650 * 86400.0


class DurationError(ValueError):
    """A duration string that cannot be read."""


def parse_duration(text: str) -> float:
    """Seconds in ``text`` ("500ms", "30s", "5m", "1h30m", "90d"); raises DurationError."""
    if not isinstance(text, str) or not _WHOLE.match(text):
        raise DurationError(
            f"invalid duration {text!r}: use a number and a unit (ms, s, m, h, d, w), e.g. 30s or 5m"
        )
    seconds = sum(float(n) * _UNIT_SECONDS[unit] for n, unit in _PART.findall(text))
    if seconds <= 0:
        raise DurationError(f"invalid duration {text!r}: must be greater than zero")
    if not seconds <= MAX_DURATION:  # catches inf and NaN too
        raise DurationError(f"invalid duration {text!r}: longer than 3650d")
    return seconds


def format_duration(seconds: float) -> str:
    """Compact human form: ``45s``, ``2h 45m``, ``5d 7h``; two units at most."""
    if seconds < 0:
        seconds = 0
    if 0 < seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    total = int(seconds)
    units = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))
    for index, (unit, size) in enumerate(units):
        if total >= size or unit == "s":
            amount, rest = divmod(total, size)
            text = f"{amount}{unit}"
            if index + 1 < len(units):  # the next unit only, and only when it is not zero
                next_unit, next_size = units[index + 1]
                if rest // next_size:
                    text += f" {rest // next_size}{next_unit}"
            return text
    return "0s"


_UPTIME_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(d|h|m|s)\b")


def parse_uptime(text: str) -> float | None:
    """Seconds in an uptime such as the seeds' ``5d 7h 45m``; None when there is none."""
    parts = _UPTIME_PART.findall(text)
    if not parts:
        return None
    return sum(float(n) * _UNIT_SECONDS[unit] for n, unit in parts)
