"""Durations as written in config and on the command line, and the seeds' uptime strings."""

from __future__ import annotations

import pytest

from umig_tui.util.durations import DurationError, format_duration, parse_duration, parse_uptime


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("500ms", 0.5),
        ("30s", 30.0),
        ("5m", 300.0),
        ("1h", 3600.0),
        ("90d", 90 * 86400.0),
        ("1h30m", 5400.0),
        ("1h 30m", 5400.0),
        ("2w", 2 * 604800.0),
        ("1.5s", 1.5),
        (" 10s ", 10.0),
    ],
)
def test_parse_duration_reads_number_and_unit(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "5", "5x", "-1s", "s", "1h30", "30 seconds", "1e3s"])
def test_unreadable_duration_names_the_text_and_the_units(text: str) -> None:
    with pytest.raises(DurationError) as info:
        parse_duration(text)
    message = str(info.value)
    assert repr(text) in message
    assert "ms, s, m, h, d, w" in message


@pytest.mark.parametrize("text", ["0s", "0ms", "0h0m"])
def test_zero_duration_is_rejected_as_not_positive(text: str) -> None:
    with pytest.raises(DurationError, match="greater than zero"):
        parse_duration(text)


def test_duration_that_is_not_a_string_is_an_error_not_a_crash() -> None:
    with pytest.raises(DurationError):
        parse_duration(30)  # type: ignore[arg-type]


def test_duration_error_is_a_value_error() -> None:
    # Callers that catch ValueError (argparse types) see it.
    assert issubclass(DurationError, ValueError)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.25, "250ms"),
        (0, "0s"),
        (-5, "0s"),  # clamped, never negative
        (45, "45s"),
        (90, "1m 30s"),
        (3600, "1h"),
        (9900, "2h 45m"),
        (94500, "1d 2h"),
        (459900, "5d 7h"),
        (45.9, "45s"),
    ],
)
def test_format_duration_uses_two_units_at_most(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("2h 45m", 2 * 3600 + 45 * 60),
        ("1d 2h 15m", 86400 + 2 * 3600 + 15 * 60),
        ("5d 7h 45m", 5 * 86400 + 7 * 3600 + 45 * 60),
        ("4m 32s", 4 * 60 + 32),
        ("3m 18s", 3 * 60 + 18),
    ],
)
def test_parse_uptime_reads_the_seeds_uptimes(text: str, seconds: float) -> None:
    assert parse_uptime(text) == seconds


@pytest.mark.parametrize("text", ["", "unknown", "connection_failed", "45ms"])
def test_uptime_without_any_part_is_none(text: str) -> None:
    assert parse_uptime(text) is None


def test_format_then_parse_uptime_round_trips_whole_units() -> None:
    assert parse_uptime(format_duration(9900)) == 9900
