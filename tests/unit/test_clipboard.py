"""Copying out: OSC 52 plus a file, and a message that never claims what cannot be known."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.app import App

from umig_tui.tui.clipboard import TMUX_HINT, copy_out, describe, tmux_set_clipboard
from umig_tui.util.ui_state import save_snapshot, save_text


@pytest.fixture
def tmux_server() -> Iterator[tuple[Path, dict[str, str]]]:
    """A real, private tmux server; yields its socket and an environment that is "inside" it."""
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed")
    folder = tempfile.TemporaryDirectory(prefix="umig-tmux-")  # a socket path fits in 108 bytes
    socket = Path(folder.name) / "s"
    env = {k: v for k, v in os.environ.items() if k not in ("TMUX", "STY")}
    subprocess.run(
        ["tmux", "-S", str(socket), "-f", "/dev/null", "new-session", "-d", "-x", "80", "-y", "24"],
        env=env,
        check=True,
        timeout=10,
    )
    pid = subprocess.run(
        ["tmux", "-S", str(socket), "display-message", "-p", "#{pid}"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=10,
    ).stdout.strip()
    try:
        yield socket, {**env, "TMUX": f"{socket},{pid},0"}
    finally:
        subprocess.run(["tmux", "-S", str(socket), "kill-server"], env=env, timeout=10, check=False)
        folder.cleanup()


def set_clipboard(socket: Path, value: str) -> None:
    subprocess.run(
        ["tmux", "-S", str(socket), "set-option", "-g", "set-clipboard", value],
        check=True,
        timeout=10,
    )


def plain_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("TMUX", "STY")}


class TestDescribe:
    def test_inside_tmux_without_set_clipboard_on_says_how_to_enable_it(
        self, tmux_server: tuple[Path, dict[str, str]], tmp_path: Path
    ) -> None:
        socket, env = tmux_server
        set_clipboard(socket, "external")
        assert tmux_set_clipboard(env) == "external"
        message = describe(tmp_path / "row.txt", env)
        assert message.startswith(f"saved to {tmp_path / 'row.txt'}; ")
        assert "set -g set-clipboard on" in message
        assert "copied" not in message.lower()
        assert "sent to the terminal clipboard" not in message

    def test_inside_tmux_with_set_clipboard_on_says_it_was_sent(
        self, tmux_server: tuple[Path, dict[str, str]], tmp_path: Path
    ) -> None:
        socket, env = tmux_server
        set_clipboard(socket, "on")
        message = describe(tmp_path / "row.txt", env)
        assert message.startswith("sent to the terminal clipboard (OSC 52")
        assert message.endswith(f"saved to {tmp_path / 'row.txt'}")

    def test_tmux_that_does_not_answer_cannot_be_verified(self, tmp_path: Path) -> None:
        env = {**plain_env(), "TMUX": f"{tmp_path / 'no-such.sock'},1,0"}
        assert tmux_set_clipboard(env) is None
        message = describe(tmp_path / "row.txt", env)
        assert "could not be read" in message
        assert TMUX_HINT in message
        assert "copied" not in message.lower()

    def test_gnu_screen_is_said_to_drop_osc52(self, tmp_path: Path) -> None:
        message = describe(tmp_path / "row.txt", {**plain_env(), "STY": "1234.pts-0.host"})
        assert message.startswith(f"saved to {tmp_path / 'row.txt'}; GNU screen")

    def test_plain_terminal_is_sent_never_claimed_copied(self, tmp_path: Path) -> None:
        message = describe(tmp_path / "row.txt", plain_env())
        assert (
            message
            == f"sent to the terminal clipboard (OSC 52) and saved to {tmp_path / 'row.txt'}"
        )

    def test_nothing_saved_is_said(self) -> None:
        assert describe(None, plain_env()).endswith("not saved (no writable state directory)")


class TestSaveText:
    def test_two_copies_in_one_second_are_both_kept(self, private_dirs: Path) -> None:
        first = save_text("one", 1_700_000_000.0, folder="copies", stem="production")
        second = save_text("two", 1_700_000_000.0, folder="copies", stem="production")
        assert first is not None
        assert second is not None
        assert first != second
        assert first.read_text() == "one"
        assert second.read_text() == "two"
        assert first.parent == private_dirs / "state" / "umig-tui" / "copies"

    def test_a_hostile_name_stays_inside_the_folder(self, private_dirs: Path) -> None:
        path = save_text("x", 1_700_000_000.0, folder="copies", stem="../../etc/passwd")
        assert path is not None
        assert path.parent == private_dirs / "state" / "umig-tui" / "copies"
        assert path.name.startswith("etc-passwd-")

    def test_unwritable_state_dir_is_none(
        self, private_dirs: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        blocker = private_dirs / "blocker"
        blocker.write_text("a file where a folder should be")
        monkeypatch.setenv("XDG_STATE_HOME", str(blocker))
        assert save_snapshot("# snapshot", 1_700_000_000.0) is None


class TestCopyOut:
    async def test_sends_osc52_saves_a_file_and_says_both(
        self, private_dirs: Path, tmux_server: tuple[Path, dict[str, str]]
    ) -> None:
        socket, env = tmux_server
        set_clipboard(socket, "external")
        app: App[None] = App()
        async with app.run_test():
            message = copy_out(
                app, "production  unreachable  connect_error", name="production", environ=env
            )
            assert app.clipboard == "production  unreachable  connect_error"
        saved = next((private_dirs / "state" / "umig-tui" / "copies").glob("production-*.txt"))
        assert saved.read_text() == "production  unreachable  connect_error"
        assert message == f"saved to {saved}; {TMUX_HINT} (it is external)"
