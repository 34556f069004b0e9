"""A short open-file limit is said on the dashboard (Textual keeps stderr off the screen, where
a one-shot command prints it), and polling goes on within it."""

from __future__ import annotations

import pytest

from tests.tui.conftest import AppFactory, wait_for, wait_for_data
from umig_tui.polling import poller
from umig_tui.polling.open_files import SocketBudget

NOTICE = (
    "the open-file limit (ulimit -n 200) leaves room for 72 sockets: at most 72 requests in "
    "flight, and no connection kept open between polls"
)


async def test_a_short_open_file_limit_is_a_warning_and_the_fleet_is_still_polled(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The OS limit itself is the subprocess tests' (tests/unit/test_open_files.py): here the
    # budget it gives is handed to the dashboard's poller.
    asked: list[tuple[int, int]] = []

    def short(in_flight: int, idle: int) -> SocketBudget:
        asked.append((in_flight, idle))
        return SocketBudget(72, False, 200, NOTICE)

    monkeypatch.setattr(poller, "socket_budget", short)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: ("warning", "Open files", NOTICE) in app.notices)
        await wait_for_data(pilot)
        assert app.monitor is not None
        assert app.monitor.limit_notice == NOTICE
    assert asked == [(2048, 4 * 4)]  # the configured cap, 4 kept connections per environment
