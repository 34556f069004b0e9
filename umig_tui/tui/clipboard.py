"""Copy text out of the dashboard: OSC 52 to the terminal *and* a file, with an honest message.

A terminal never answers an OSC 52, so nothing here can know that text reached the clipboard.
What can be known: tmux drops it unless ``set-clipboard`` is ``on``, GNU screen does not pass it
on. The file is the copy that always works; the message says where it is and never "copied".
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from textual.app import App

from umig_tui.util.ui_state import save_text

TMUX_HINT = "in tmux, OSC 52 reaches your clipboard only with `set -g set-clipboard on`"
SCREEN_HINT = "GNU screen does not pass OSC 52 on to your terminal"
NOT_SAVED = "not saved (no writable state directory)"

TmuxProbe = Callable[[Mapping[str, str]], str | None]


def tmux_set_clipboard(environ: Mapping[str, str], timeout: float = 0.5) -> str | None:
    """tmux's ``set-clipboard`` option (``on``, ``external``, ``off``) for the server named by
    ``$TMUX``; None when it cannot be read (no tmux binary, a hung server, a nested oddity)."""
    try:
        done = subprocess.run(
            ["tmux", "show-options", "-gv", "set-clipboard"],
            env=dict(environ),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    value = done.stdout.strip()
    return value if done.returncode == 0 and value else None


def describe(
    saved: Path | None,
    environ: Mapping[str, str],
    probe: TmuxProbe = tmux_set_clipboard,
) -> str:
    """What happened to a copy sent as OSC 52 and saved to ``saved``, in one honest sentence."""
    where = f"saved to {saved}" if saved is not None else NOT_SAVED
    if environ.get("TMUX"):
        setting = probe(environ)
        if setting == "on":
            return f"sent to the terminal clipboard (OSC 52, tmux set-clipboard on) and {where}"
        if setting is None:
            return (
                f"{where}; tmux's set-clipboard could not be read, and {TMUX_HINT} "
                "(sent as OSC 52 anyway)"
            )
        return f"{where}; {TMUX_HINT} (it is {setting})"
    if environ.get("STY"):
        return f"{where}; {SCREEN_HINT} (sent as OSC 52 anyway)"
    return f"sent to the terminal clipboard (OSC 52) and {where}"


def copy_out(
    app: App[Any],
    text: str,
    *,
    name: str,
    folder: str = "copies",
    suffix: str = ".txt",
    now: float | None = None,
    environ: Mapping[str, str] | None = None,
    probe: TmuxProbe = tmux_set_clipboard,
) -> str:
    """Send ``text`` to the terminal's clipboard (OSC 52), keep it as a file named after
    ``name`` under the state dir, and return a sentence saying what is known to have happened.

    Runs on the event loop: a small file and at most a half-second ``tmux`` probe.
    """
    return copy_and_save(
        app, text, name=name, folder=folder, suffix=suffix, now=now, environ=environ, probe=probe
    )[1]


def copy_and_save(
    app: App[Any],
    text: str,
    *,
    name: str,
    folder: str = "copies",
    suffix: str = ".txt",
    now: float | None = None,
    environ: Mapping[str, str] | None = None,
    probe: TmuxProbe = tmux_set_clipboard,
) -> tuple[Path | None, str]:
    """:func:`copy_out`, also returning the file it saved (None when it could not)."""
    app.copy_to_clipboard(text)
    saved = save_text(
        text, time.time() if now is None else now, folder=folder, stem=name, suffix=suffix
    )
    return saved, describe(saved, os.environ if environ is None else environ, probe)


def sentence(message: str) -> str:
    """``message`` as a sentence on its own: a capital first letter and a full stop."""
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")
