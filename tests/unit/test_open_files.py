"""The sockets a fleet needs (requests in flight, connections kept between polls) fit the
open-file limit: raised towards the hard limit when allowed, fewer sockets when not. Each case runs in a child process whose limits it sets, so the test
run's own limit is never touched."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

resource = pytest.importorskip("resource", reason="no RLIMIT_NOFILE on this platform")

CHILD = textwrap.dedent(
    """
    import json, logging, resource, sys
    soft, hard, wanted, idle = (int(a) for a in sys.argv[1:5])
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    records = []
    logging.basicConfig(level=logging.DEBUG, handlers=[logging.Handler()])
    logging.getLogger().handlers[0].emit = lambda r: records.append(r.getMessage())
    from umig_tui.polling.open_files import socket_budget
    budget = socket_budget(wanted, idle)
    assert budget.notice == (records[0] if records else None)  # what the log said, kept
    print(json.dumps({"in_flight": budget.in_flight, "keep_idle": budget.keep_idle,
                      "after": resource.getrlimit(resource.RLIMIT_NOFILE)[0], "log": records}))
    """
)


def budget_in_child(soft: int, hard: int, wanted: int, idle: int) -> dict[str, object]:
    _, current_hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if current_hard != resource.RLIM_INFINITY and current_hard < hard:
        pytest.skip(f"the hard open-file limit here is {current_hard}, under {hard}")
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(soft), str(hard), str(wanted), str(idle)],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    result: dict[str, object] = json.loads(proc.stdout)
    return result


def test_the_soft_limit_is_raised_to_fit_the_fleet_when_the_hard_one_allows() -> None:
    out = budget_in_child(soft=256, hard=8192, wanted=2048, idle=1200)
    assert out == {"in_flight": 2048, "keep_idle": True, "after": 2048 + 1200 + 128, "log": []}


def test_short_of_room_no_connection_is_kept_and_the_requests_fit_what_is_left() -> None:
    out = budget_in_child(soft=256, hard=600, wanted=2048, idle=1200)
    assert out == {
        "in_flight": 600 - 128,
        "keep_idle": False,
        "after": 600,
        "log": [
            "the open-file limit (ulimit -n 600) leaves room for 472 sockets: at most 472 "
            "requests in flight, and no connection kept open between polls"
        ],
    }


def test_a_tiny_limit_leaves_half_of_it_for_requests() -> None:
    out = budget_in_child(soft=100, hard=100, wanted=2048, idle=40)
    assert (out["in_flight"], out["keep_idle"], out["after"]) == (50, False, 100)


def test_a_cap_lower_than_the_room_is_kept_when_only_the_idle_connections_do_not_fit() -> None:
    out = budget_in_child(soft=300, hard=300, wanted=16, idle=400)
    assert (out["in_flight"], out["keep_idle"]) == (16, False)


def test_a_limit_that_already_fits_is_left_alone() -> None:
    out = budget_in_child(soft=3000, hard=4096, wanted=256, idle=200)
    assert out == {"in_flight": 256, "keep_idle": True, "after": 3000, "log": []}
