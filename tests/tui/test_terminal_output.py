"""compact_sgr: the same screen in fewer bytes.

The oracle is pyte, a terminal emulator: the original stream and the compacted one are played on
two screens and every cell must hold the same character in the same colours and attributes.
The recorded stream is the dashboard's own output (120×40, four environments, the first six
seconds, Textual's driver before compaction).
"""

from __future__ import annotations

import gzip
import os
import re
from pathlib import Path

import pyte
import pytest

from umig_tui.service.setup import load_fleet
from umig_tui.tui.app import UmigApp
from umig_tui.tui.terminal_output import (
    DEFAULT,
    CompactLinuxDriver,
    SgrCompactor,
    Style,
    apply_sgr,
    compact_sgr,
    compacting,
)

RECORDED = Path(__file__).parent.parent / "golden" / "terminal" / "dashboard_120x40_first_6s.bin.gz"


def screen_of(data: str, columns: int = 120, lines: int = 40) -> list[list[tuple[object, ...]]]:
    screen = pyte.Screen(columns, lines)
    pyte.Stream(screen).feed(data)
    return [
        [
            (
                c.data,
                c.fg,
                c.bg,
                c.bold,
                c.italics,
                c.underscore,
                c.strikethrough,
                c.reverse,
                c.blink,
            )
            for c in (screen.buffer[y][x] for x in range(columns))
        ]
        for y in range(lines)
    ]


def same_screen(data: str) -> str:
    compacted = compact_sgr(data)
    assert screen_of(compacted) == screen_of(data)
    return compacted


@pytest.mark.parametrize(
    ("writes", "at_most"),
    [("one", 0.6), ("per_cursor_move", 0.65), ("per_cursor_move_each_alone", 0.75)],
)
def test_the_dashboards_own_output_looks_the_same_in_fewer_bytes(
    writes: str, at_most: float
) -> None:
    data = gzip.decompress(RECORDED.read_bytes()).decode("utf-8")
    # As one write, or as many writes each starting at a cursor move, through one compactor
    # (as the driver does: it knows the style the last write left) or each through its own
    # (the style unknown at the start of each): played in order on the same screen.
    chunks = [data] if writes == "one" else re.split(r"(?=\x1b\[\d+;\d+H)", data)
    assert len(chunks) > (0 if writes == "one" else 100)
    screen, compacted_screen = pyte.Screen(120, 40), pyte.Screen(120, 40)
    stream, compacted_stream = pyte.Stream(screen), pyte.Stream(compacted_screen)
    written = 0
    compactor = SgrCompactor()
    for chunk in chunks:
        compacted = compact_sgr(chunk) if writes.endswith("alone") else compactor.compact(chunk)
        written += len(compacted.encode())
        stream.feed(chunk)
        compacted_stream.feed(compacted)
    assert compacted_screen.display == screen.display
    assert compacted_screen.buffer == screen.buffer
    assert written < at_most * len(data.encode()), (written, len(data.encode()))


@pytest.mark.parametrize(
    "data",
    [
        # the pattern Textual writes: full style, text, reset, for every segment
        "\x1b[38;5;188;48;5;16m a\x1b[0m\x1b[38;5;188;48;5;16m b\x1b[0m\x1b[1;38;5;188;48;5;16mc\x1b[0m",
        # bold off, dim kept (22 turns both off: the one that stays must come back)
        "\x1b[1;2;31mab\x1b[0m\x1b[2;31mcd\x1b[0m",
        # attributes on and off, colours back to default, truecolour, bright colours
        "\x1b[3;4;7;9;38;2;1;2;3;48;5;200mx\x1b[0m\x1b[4;91;102my\x1b[0mz\x1b[0m",
        # styles only between cursor moves: nothing written for them needs to go out
        "\x1b[31m\x1b[0m\x1b[5;5H\x1b[32mgreen\x1b[0m\x1b[6;1H\x1b[32mgreen\x1b[0m",
        # an erase and a line feed use the current background: the style before them holds
        "\x1b[44mblue\x1b[0m\x1b[K\r\n\x1b[44m\x1b[2Kx\x1b[0m",
        # the state before the first reset is unknown: the first style goes out as it was
        "\x1b[1mbold\x1b[31m red bold\x1b[0m plain",
        # sequences it does not parse pass through and make it forget the state
        "\x1b[38:2::1:2:3mcolon\x1b[0m\x1b[21mdouble\x1b[0m\x1b[6mrapid\x1b[0m\x1b[1mb\x1b[0m",
        "\x1b[m\x1b[31mempty reset\x1b[m\x1b[31mx\x1b[;1my",
        "no escapes at all",
        "\x1b[31mends styled",
    ],
)
def test_every_cell_keeps_its_character_colours_and_attributes(data: str) -> None:
    same_screen(data)


def test_same_style_segments_are_written_as_one() -> None:
    segment = "\x1b[38;5;188;48;5;16m{}\x1b[0m"
    data = "".join(segment.format(c) for c in "abcdef")
    assert same_screen(data) == "\x1b[38;5;188;48;5;16ma\x1b[0m\x1b[38;5;188;48;5;16mbcdef\x1b[0m"
    # (until the first reset the terminal's state is not known: the first style is as it was)


def test_a_change_is_written_as_the_difference() -> None:
    data = "\x1b[0m\x1b[38;5;188;48;5;16ma\x1b[0m\x1b[1;38;5;188;48;5;16mb\x1b[0m\x1b[38;5;75;48;5;16mc\x1b[0m"
    assert same_screen(data) == "\x1b[0m\x1b[38;5;188;48;5;16ma\x1b[1mb\x1b[22;38;5;75mc\x1b[0m"


def test_dim_and_overline_are_tracked_though_pyte_does_not_show_them() -> None:
    assert apply_sgr(DEFAULT, "2;53") == Style(frozenset({2, 53}))
    assert apply_sgr(Style(frozenset({1, 2, 53})), "22;55") == DEFAULT
    # dim on, then bold on with dim kept: only the new attribute goes out
    assert (
        compact_sgr("\x1b[0m\x1b[2mx\x1b[0m\x1b[1;2my\x1b[0m") == "\x1b[0m\x1b[2mx\x1b[1my\x1b[0m"
    )
    # bold and dim, then dim alone: a reset and dim is shorter than 22 (both off) and dim again
    assert (
        compact_sgr("\x1b[0m\x1b[1;2mx\x1b[0m\x1b[2my\x1b[0m")
        == "\x1b[0m\x1b[1;2mx\x1b[0;2my\x1b[0m"
    )
    # bold, dim and red, then dim and red: the difference is shorter
    assert (
        compact_sgr("\x1b[0m\x1b[1;2;31mx\x1b[0m\x1b[2;31my\x1b[0m")
        == "\x1b[0m\x1b[1;2;31mx\x1b[22;2my\x1b[0m"
    )


def test_unknown_codes_leave_the_state_unknown() -> None:
    assert apply_sgr(DEFAULT, "21") is None
    assert apply_sgr(DEFAULT, "38;5") is None
    assert apply_sgr(None, "1") is None
    assert apply_sgr(None, "0;1") == Style(frozenset({1}))


def test_the_dashboard_writes_through_the_compacting_driver_on_linux(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from textual.drivers.headless_driver import HeadlessDriver
    from textual.drivers.linux_driver import LinuxDriver

    monkeypatch.delenv("TEXTUAL_DRIVER", raising=False)
    assert compacting(LinuxDriver) is CompactLinuxDriver
    assert compacting(HeadlessDriver) is HeadlessDriver
    if os.name == "posix":
        assert UmigApp(load_fleet(demo=True)).driver_class is CompactLinuxDriver


def test_the_style_a_write_left_is_known_to_the_next() -> None:
    compactor = SgrCompactor()
    first = compactor.compact("\x1b[0m\x1b[31mred\x1b[0m")
    second = compactor.compact("\x1b[1;1H\x1b[31ma\x1b[0m\x1b[31mb\x1b[0m")
    assert second == "\x1b[1;1H\x1b[31mab\x1b[0m"
    assert screen_of(first + second) == screen_of(
        "\x1b[0m\x1b[31mred\x1b[0m\x1b[1;1H\x1b[31ma\x1b[0m\x1b[31mb\x1b[0m"
    )
    compactor.forget()  # the application mode started, stopped or was suspended
    assert compactor.compact("\x1b[31ma\x1b[0m") == "\x1b[31ma\x1b[0m"


@pytest.mark.parametrize(
    "restore",
    ["\x1b8", "\x1b[?1049l\x1b[?1049h", "\x1bc", "\x1b[!p", "\x1b[?1048l"],
)
def test_a_sequence_that_may_restore_a_style_makes_it_unknown(restore: str) -> None:
    # saved in red, reset, restored (red again, on a terminal): the reset after it must go out
    data = "\x1b[0m\x1b[31m\x1b7\x1b[?1048h\x1b[0mx" + restore + "\x1b[0mw\x1b[0m"
    compacted = compact_sgr(data)
    assert compacted.endswith(restore + "\x1b[0mw")
    if restore == "\x1b8":
        assert screen_of(compacted) == screen_of(data)
