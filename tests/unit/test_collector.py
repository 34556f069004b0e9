"""The cyclic garbage collector is paused while the command line starts and comes back once the
start is over: a one-shot command after COLLECT_AFTER seconds, the dashboard after its first
frame (umig_tui/util/collector.py)."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator

import pytest

from umig_tui.cli import main as cli_main
from umig_tui.util import collector


@pytest.fixture(autouse=True)
def collecting() -> Iterator[None]:
    """Whatever a test does, the test process collects again afterwards, nothing frozen."""
    assert gc.isenabled()
    thresholds = gc.get_threshold()
    yield
    collector.resume()
    gc.enable()
    gc.unfreeze()
    gc.set_threshold(*thresholds)


def test_resume_freezes_what_exists_and_collects_again_only_after_a_pause() -> None:
    collector.resume()  # not paused: nothing happens
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0
    collector.pause()
    assert not gc.isenabled()
    collector.resume()
    assert gc.isenabled()
    assert gc.get_freeze_count() > 0  # the start's objects are never walked again
    gc.unfreeze()
    collector.resume()  # twice: nothing more
    assert gc.get_freeze_count() == 0


def test_once_resumed_the_young_generation_is_collected_less_often() -> None:
    young, *older = gc.get_threshold()
    collector.resume()  # not paused: Python's thresholds stay
    assert gc.get_threshold() == (young, *older)
    collector.pause()
    collector.resume()
    assert gc.get_threshold() == (collector.YOUNG_THRESHOLD, *older)
    assert young < collector.YOUNG_THRESHOLD


def test_a_collector_someone_else_turned_off_stays_off() -> None:
    gc.disable()
    collector.pause()
    collector.resume()
    assert not gc.isenabled()


def test_main_called_with_arguments_leaves_the_collector_alone(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli_main.main(["--version"]) == 0
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0
    assert capsys.readouterr().out.startswith("umig-tui")


async def test_a_one_shot_command_collects_again_after_collect_after(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(cli_main, "COLLECT_AFTER", 0.05)
    seen: list[bool] = []

    async def command() -> int:
        seen.append(gc.isenabled())  # at once: still paused
        for _ in range(500):  # within 5 s
            if gc.isenabled():
                break
            await asyncio.sleep(0.01)
        seen.append(gc.isenabled())
        return 0

    collector.pause()
    assert await cli_main.collecting_later(command()) == 0
    assert seen == [False, True]


async def test_a_short_command_ends_before_the_collector_is_back() -> None:
    collector.pause()
    assert await cli_main.collecting_later(asyncio.sleep(0, result=7)) == 7
    await asyncio.sleep(0.01)
    assert not gc.isenabled()  # main() resumes it on the way out (or the process ends)


def test_the_real_command_line_pauses_it_and_resumes_it_on_the_way_out(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    paused: list[bool] = []
    build_parser = cli_main.build_parser

    def recording(argv: object = None) -> object:
        paused.append(not gc.isenabled())
        return build_parser(argv)  # type: ignore[arg-type]

    monkeypatch.setattr(cli_main, "build_parser", recording)
    monkeypatch.setattr("sys.argv", ["umig-tui", "--version"])
    assert cli_main.main() == 0
    assert paused == [True]
    assert gc.isenabled()
    assert gc.get_freeze_count() > 0
