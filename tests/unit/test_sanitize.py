"""Strings from endpoints are data: no terminal escapes, no controls, no bidi tricks."""

from __future__ import annotations

import pytest

from umig_tui.util.sanitize import MAX_TEXT, clean_block, clean_text


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("\x1b[31mred\x1b[0m", "red"),  # CSI SGR
        ("\x1b[2J\x1b[Hcleared", "cleared"),  # CSI erase + home
        ("a\x1b[?1049hb", "ab"),  # CSI private mode (alternate screen)
        ("\x1b]0;pwned title\x07ok", "ok"),  # OSC set title, BEL-terminated
        ("\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\", "link"),  # OSC 8 hyperlink
        ("\x1bP+q544e\x1b\\after", "after"),  # DCS
        ("\x1b_apc payload\x1b\\x", "x"),  # APC
        ("\x9b31mC1 CSI", "C1 CSI"),  # 8-bit CSI
        ("\x1bcreset", "creset"),  # lone ESC dropped, the letter is harmless text
    ],
)
def test_clean_text_strips_escape_sequences(raw: str, clean: str) -> None:
    assert clean_text(raw) == clean


def test_unterminated_osc_swallows_the_rest_rather_than_leaking_it() -> None:
    assert clean_text("ok\x1b]52;c;Y2xpcGJvYXJk") == "ok"


@pytest.mark.parametrize(
    "control",
    ["\x00", "\x07", "\x08", "\r", "\n", "\t", "\x7f", "\x85", "\x9d"],
)
def test_c0_and_c1_controls_become_spaces(control: str) -> None:
    assert clean_text(f"up{control}time") == "up time"


@pytest.mark.parametrize(
    "mark",
    [
        "\u202e",  # RIGHT-TO-LEFT OVERRIDE
        "\u202d",  # LEFT-TO-RIGHT OVERRIDE
        "\u2066",  # LEFT-TO-RIGHT ISOLATE
        "\u2069",  # POP DIRECTIONAL ISOLATE
        "\u200f",  # RIGHT-TO-LEFT MARK
        "\u061c",  # ARABIC LETTER MARK
        "\u200b",  # ZERO WIDTH SPACE
        "\ufeff",  # BOM / ZERO WIDTH NO-BREAK SPACE
        "\u2028",  # LINE SEPARATOR (a line break to str.splitlines)
    ],
)
def test_bidi_and_invisible_marks_are_removed(mark: str) -> None:
    cleaned = clean_text(f"1.2.0{mark}-evil")
    assert mark not in cleaned
    assert cleaned.replace(" ", "") == "1.2.0-evil"


def test_rich_markup_is_kept_as_literal_text() -> None:
    # Rendering goes through rich.text.Text, so brackets are data and must survive unchanged.
    assert clean_text("[bold red]healthy[/]") == "[bold red]healthy[/]"
    assert clean_text("[link=https://x]y[/link]") == "[link=https://x]y[/link]"


def test_runs_of_whitespace_collapse_and_ends_are_trimmed() -> None:
    assert clean_text("  2h    45m \n") == "2h 45m"


def test_plain_unicode_text_is_untouched() -> None:
    assert clean_text("Équipe 日本 ✓") == "Équipe 日本 ✓"


def test_clean_text_caps_length_with_an_ellipsis() -> None:
    cleaned = clean_text("x" * 500)
    assert len(cleaned) == MAX_TEXT
    assert cleaned.endswith("…")
    assert clean_text("abcdef", max_len=4) == "abc…"
    assert clean_text("abcd", max_len=4) == "abcd"


def test_cap_applies_after_escapes_are_removed() -> None:
    assert clean_text("\x1b[31m" * 50 + "short", max_len=10) == "short"


def test_clean_block_keeps_newlines_and_tabs() -> None:
    assert clean_block('{\n\t"a": 1\n}') == '{\n\t"a": 1\n}'


def test_clean_block_drops_escapes_and_other_controls() -> None:
    raw = "line1\x1b[31m red\x1b[0m\r\nline2\x07\x00\u202e"
    assert clean_block(raw) == "line1 red\nline2"


def test_clean_block_truncates_long_bodies_with_a_notice() -> None:
    cleaned = clean_block("y" * 100, max_len=10)
    assert cleaned == "y" * 10 + "\n… (truncated)"
