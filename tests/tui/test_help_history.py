"""Help (focus, how to close, search), History (tab keys, search) and the snapshot's honesty."""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import Input, Static, TabbedContent

from tests.tui.conftest import AppFactory, row_texts, wait_for, wait_for_shown
from umig_tui.tui.screens.help import HelpScreen, HelpScroll
from umig_tui.tui.screens.history import HistoryScreen
from umig_tui.tui.screens.snapshot import SnapshotScreen
from umig_tui.tui.widgets.table import SyncTable


def help_text(screen: HelpScreen) -> str:
    content = screen.query_one("#help-text", Static).content
    return str(getattr(content, "plain", content))


class TestHelp:
    async def test_opens_focused_so_keys_scroll_at_once(self, make_app: AppFactory) -> None:
        app = make_app(use_store=False, poll=False)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("question_mark")
            screen = app.screen
            assert isinstance(screen, HelpScreen)
            scroll = screen.query_one(HelpScroll)
            assert app.focused is scroll
            assert scroll.max_scroll_y > 0  # at 80x24 the keys do not fit
            await pilot.press("down", "down")
            await wait_for(pilot, lambda: scroll.scroll_y == 2, what="two lines down")
            await pilot.press("j")
            await wait_for(pilot, lambda: scroll.scroll_y == 3, what="j scrolls down")
            await pilot.press("k")
            await wait_for(pilot, lambda: scroll.scroll_y == 2, what="k scrolls up")
            await pilot.press("pagedown")
            await wait_for(pilot, lambda: scroll.scroll_y > 3, what="PgDn scrolls a page")
            await pilot.press("G")
            await wait_for(pilot, lambda: scroll.scroll_y == scroll.max_scroll_y, what="G: end")
            await pilot.press("g")
            await wait_for(pilot, lambda: scroll.scroll_y == 0, what="g: top")

    async def test_says_how_to_close_and_every_way_closes(self, make_app: AppFactory) -> None:
        app = make_app(use_store=False, poll=False)
        async with app.run_test(size=(80, 24)) as pilot:
            main = app.screen
            for key in ("escape", "question_mark", "q"):
                await pilot.press("question_mark")
                screen = app.screen
                assert isinstance(screen, HelpScreen)
                await wait_for_shown(
                    pilot,
                    screen.query_one("#help-body"),
                    lambda shown: "esc / ? / q close" in shown,
                    what="the close hint",
                )
                await pilot.press(key)
                assert app.screen is main, key
            assert app.is_running  # q closed help, it did not quit

    async def test_slash_filters_keys_escape_clears_then_closes(self, make_app: AppFactory) -> None:
        app = make_app(use_store=False, poll=False)
        async with app.run_test(size=(80, 24)) as pilot:
            main = app.screen
            await pilot.press("question_mark")
            screen = app.screen
            assert isinstance(screen, HelpScreen)
            everything = help_text(screen)
            await pilot.press("slash")
            box = screen.query_one("#help-search-box", Input)
            assert app.focused is box
            await pilot.press(*"snapsh")
            await wait_for(pilot, lambda: help_text(screen) != everything, what="a filtered list")
            filtered = help_text(screen)
            assert "Snapshot" in filtered
            assert "Copy again" in filtered
            assert "Deploy watch dialog" not in filtered
            assert "Quit" not in filtered
            # q and ? are typed into the search, they do not close help
            await pilot.press("q")
            assert app.screen is screen
            assert box.value == "snapshq"
            await wait_for(pilot, lambda: "No key matches" in help_text(screen), what="no match")
            await pilot.press("escape")
            assert app.screen is screen
            assert box.value == ""
            assert help_text(screen) == everything
            assert isinstance(app.focused, HelpScroll)
            await pilot.press("escape")
            assert app.screen is main


class TestHistoryKeys:
    async def test_brackets_switch_tabs(self, make_app: AppFactory) -> None:
        app = make_app(poll=False)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("h")
            screen = app.screen
            assert isinstance(screen, HistoryScreen)
            tabs = screen.query_one(TabbedContent)
            names = [env.name for env in app.config.environments]
            assert tabs.active == "history-all"
            await pilot.press("right_square_bracket")
            await wait_for(pilot, lambda: tabs.active == f"history-{names[0]}", what="next tab")
            await pilot.press("left_square_bracket", "left_square_bracket")
            await wait_for(pilot, lambda: tabs.active == f"history-{names[-1]}", what="wraps back")

    async def test_slash_filters_rows_as_you_type(self, make_app: AppFactory) -> None:
        app = make_app(poll=False)
        async with app.run_test(size=(120, 40)) as pilot:
            main = app.screen
            await pilot.press("h")
            screen = app.screen
            assert isinstance(screen, HistoryScreen)
            table = screen.query_one("#timeline-all", SyncTable)
            await wait_for(pilot, lambda: table.row_count > 3, what="the seeded history")
            rows = row_texts(table)
            envs = {row[1] for row in rows}
            assert len(envs) > 1
            await pilot.press("slash")
            box = screen.query_one("#history-search-box", Input)
            assert app.focused is box
            await pilot.press(*"PRODUCTION")  # case does not matter
            await wait_for(
                pilot,
                lambda: {row[1] for row in row_texts(table)} == {"production"},
                what="only production rows",
            )
            await pilot.press(*"zzz-nothing")
            await wait_for(
                pilot,
                lambda: "nothing matches" in " ".join(row_texts(table)[0]),
                what="a row saying nothing matches",
            )
            await pilot.press("escape")
            await wait_for(pilot, lambda: row_texts(table) == rows, what="every row again")
            assert box.value == ""
            assert app.screen is screen
            await pilot.press("escape")
            assert app.screen is main


@pytest.fixture
def tmux_without_clipboard(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A real private tmux server with set-clipboard external (its default); $TMUX points at it."""
    folder = tempfile.TemporaryDirectory(prefix="umig-tmux-")
    socket = str(Path(folder.name) / "s")
    env = {k: v for k, v in os.environ.items() if k not in ("TMUX", "STY")}
    try:
        subprocess.run(
            ["tmux", "-S", socket, "-f", "/dev/null", "new-session", "-d"],
            env=env,
            check=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        folder.cleanup()
        pytest.skip("tmux cannot run here")
    subprocess.run(
        ["tmux", "-S", socket, "set-option", "-g", "set-clipboard", "external"],
        env=env,
        check=True,
        timeout=10,
    )
    monkeypatch.setenv("TMUX", f"{socket},1,0")
    monkeypatch.delenv("STY", raising=False)
    try:
        yield socket
    finally:
        subprocess.run(["tmux", "-S", socket, "kill-server"], env=env, timeout=10, check=False)
        folder.cleanup()


class TestSnapshotClipboard:
    async def test_in_tmux_without_set_clipboard_it_says_how_never_copied(
        self, make_app: AppFactory, tmux_without_clipboard: str, private_dirs: Path
    ) -> None:
        app = make_app(poll=False)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("s")
            await wait_for(pilot, lambda: isinstance(app.screen, SnapshotScreen), what="snapshot")
            screen = app.screen
            assert isinstance(screen, SnapshotScreen)
            status = screen.query_one("#snapshot-status", Static)
            await wait_for(pilot, lambda: "set-clipboard" in str(status.content), what="status")
            said = str(status.content)
            assert "copied" not in said.lower()
            assert "set -g set-clipboard on" in said
            saved = next((private_dirs / "state" / "umig-tui" / "snapshots").glob("*.md"))
            assert str(saved) in said
            assert app.clipboard.startswith("#")  # OSC 52 was still sent
            await pilot.press("c")
            assert "copied" not in app.notices[-1][2].lower()
            assert "set -g set-clipboard on" in app.notices[-1][2]
