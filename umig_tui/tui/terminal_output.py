"""Fewer bytes to the terminal: each style change written as what changes, once.

Textual writes every segment of a frame as ``SGR text RESET``: the segment's whole style, its
text, then ``\\x1b[0m``. A row of cells in one style repeats ``\\x1b[38;5;188;48;5;16m`` and a
reset for every cell and every padding space, and on the dashboard colour codes were 64 % of
the bytes sent to the terminal, which on a jump host go over SSH. ``compact_sgr`` rewrites a
frame so that a style is only written when the text that follows needs it, as the difference
from the style the terminal is in (or a reset and the whole style, whichever is shorter): the
same characters in the same colours and attributes in fewer bytes.

It is conservative: a style sequence it does not fully understand (colon sub-parameters,
double underline, rapid blink, …) passes through unchanged and makes it forget the terminal's
state until the next reset, as does any escape sequence that is not known to leave the style
alone (a cursor restore, a terminal reset, …); anything but a style or a cursor-position
sequence (text, erase, line feed, other escapes) is written after the styles before it, as it
was. The driver keeps what it knows of the terminal's style from one frame to the next (it is
the only writer), and forgets it when the application mode starts, stops or is suspended.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from textual.driver import Driver
from textual.drivers.linux_driver import LinuxDriver

_SGR = re.compile(r"\x1b\[([0-9;]*)m")
# Content the style does not affect: cursor positioning only (an erase or a line feed would
# fill with the current background, so they wait for the style before them).
_CURSOR_ONLY = re.compile(r"(?:\x1b\[\d*(?:;\d*)?H)+")
# Escape sequences known to leave the style alone: cursor moves, erases, private modes other
# than the alternate screen's (which saves and restores the cursor with its style), OSC strings
# (title, clipboard, hyperlinks) and sync-mode queries. Any other escape makes the state unknown.
_HARMLESS = re.compile(
    r"\x1b\[[0-9;]*[ABCDEFGHJKdf]"  # cursor moves, erases
    r"|\x1b\[\?(?![0-9;]*104[789])[0-9;]*[hl]"  # private modes, not the alternate screen's
    r"|\x1b\[[?>=<][0-9;]*\$?[pu]"  # mode queries, the keyboard protocol
    r"|\x1b\[[0-9;]*\$p|\x1b\[[0-9;]*n"  # mode and status reports
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"  # OSC strings: title, clipboard, hyperlinks
)
_ESCAPE = re.compile(r"\x1b")

_ON = frozenset(
    {1, 2, 3, 4, 5, 7, 8, 9, 53}
)  # bold dim italic underline blink reverse conceal strike overline
_OFF = {23: 3, 24: 4, 25: 5, 27: 7, 28: 8, 29: 9, 55: 53}
_OFF_CODE = {flag: str(code) for code, flag in _OFF.items()}


class Style(NamedTuple):
    flags: frozenset[int] = frozenset()
    fg: str | None = None  # the colour's parameters as written ("31", "38;5;75"); None: default
    bg: str | None = None


DEFAULT = Style()


@lru_cache(maxsize=4096)  # a dashboard uses a few dozen styles: parsed once each
def apply_sgr(state: Style | None, params: str) -> Style | None:
    """The style after ``ESC [ params m`` in ``state``; None when it is not known."""
    codes = params.split(";") if params else ["0"]
    if state is None:
        if codes[0] not in ("0", ""):
            return None
        state = DEFAULT
    flags = set(state.flags)
    fg, bg = state.fg, state.bg
    i = 0
    while i < len(codes):
        code = codes[i]
        if not code.isdigit():
            return None
        n = int(code)
        if n == 0:
            flags.clear()
            fg = bg = None
        elif n in _ON:
            flags.add(n)
        elif n == 22:
            flags.difference_update((1, 2))
        elif n in _OFF:
            flags.discard(_OFF[n])
        elif 30 <= n <= 37 or 90 <= n <= 97:
            fg = code
        elif n == 39:
            fg = None
        elif 40 <= n <= 47 or 100 <= n <= 107:
            bg = code
        elif n == 49:
            bg = None
        elif n in (38, 48):
            kind = codes[i + 1] if i + 1 < len(codes) else ""
            size = {"5": 1, "2": 3}.get(kind)
            values = codes[i + 2 : i + 2 + size] if size else []
            if not size or len(values) != size or not all(v.isdigit() for v in values):
                return None
            colour = ";".join(codes[i : i + 2 + size])
            i += 1 + size
            if n == 38:
                fg = colour
            else:
                bg = colour
        else:  # 21, 6, 26, 50+… : not tracked
            return None
        i += 1
    return Style(frozenset(flags), fg, bg)


def _full(style: Style) -> str:
    codes = ["0", *(str(f) for f in sorted(style.flags))]
    codes += [c for c in (style.fg, style.bg) if c is not None]
    return "\x1b[" + ";".join(codes) + "m" if len(codes) > 1 else "\x1b[0m"


@lru_cache(maxsize=4096)
def transition(current: Style, wanted: Style) -> str:
    """The shortest sequence that takes the terminal from ``current`` to ``wanted``."""
    if current == wanted:
        return ""
    codes: list[str] = []
    off = current.flags - wanted.flags
    on = wanted.flags - current.flags
    if off & {1, 2}:
        codes.append("22")  # bold and dim go together: the one that stays comes back
        on |= wanted.flags & {1, 2}
    codes += [_OFF_CODE[f] for f in sorted(off - {1, 2})]
    codes += [str(f) for f in sorted(on)]
    if current.fg != wanted.fg:
        codes.append(wanted.fg or "39")
    if current.bg != wanted.bg:
        codes.append(wanted.bg or "49")
    delta = "\x1b[" + ";".join(codes) + "m"
    full = _full(wanted)
    return delta if len(delta) <= len(full) else full


class SgrCompactor:
    """Compacts one write after another, knowing the style the last one left the terminal in."""

    def __init__(self) -> None:
        self.terminal: Style | None = None  # the terminal's style, as far as we know

    def forget(self) -> None:
        self.terminal = None

    def compact(self, data: str) -> str:
        """``data`` as the terminal shows it, with each style change written once and minimal."""
        if "\x1b[" not in data:
            return data
        out: list[str] = []
        terminal = self.terminal
        wanted = terminal  # what the original stream has set by now
        pending: list[str] = []  # the original style sequences not written yet

        def settle() -> None:
            nonlocal terminal
            if not pending:
                return
            if terminal is not None and wanted is not None:
                out.append(transition(terminal, wanted))
            else:
                out.extend(pending)
            terminal = wanted
            pending.clear()

        def content(text: str) -> None:
            nonlocal terminal, wanted
            if not text:
                return
            if not _CURSOR_ONLY.fullmatch(text):
                settle()
            out.append(text)
            if "\x1b" in text and _ESCAPE.search(_HARMLESS.sub("", text)):
                settle()  # a sequence that may change the style went out as it was
                terminal = wanted = None

        position = 0
        for match in _SGR.finditer(data):
            content(data[position : match.start()])
            position = match.end()
            pending.append(match.group())
            wanted = apply_sgr(wanted, match.group(1))
        content(data[position:])
        settle()
        self.terminal = terminal
        return "".join(out)


def compact_sgr(data: str) -> str:
    """One write compacted, the terminal's style unknown before it."""
    return SgrCompactor().compact(data)


class CompactLinuxDriver(LinuxDriver):
    """Textual's Linux driver, writing every frame through one ``SgrCompactor``."""

    _compactor: SgrCompactor | None = None

    def write(self, data: str) -> None:
        if self._compactor is None:
            self._compactor = SgrCompactor()
        super().write(self._compactor.compact(data))

    def _forget(self) -> None:
        if self._compactor is not None:
            self._compactor.forget()

    def start_application_mode(self) -> None:
        self._forget()
        super().start_application_mode()  # type: ignore[no-untyped-call]

    def stop_application_mode(self) -> None:
        self._forget()
        super().stop_application_mode()

    def suspend_application_mode(self) -> None:
        self._forget()
        super().suspend_application_mode()

    def resume_application_mode(self) -> None:
        self._forget()
        super().resume_application_mode()


def compacting(driver_class: type[Driver]) -> type[Driver]:
    """The compacting driver in place of Textual's own Linux driver; any other as it is."""
    return CompactLinuxDriver if driver_class is LinuxDriver else driver_class
