"""The demo's deployment history: the sample month ending two hours before the demo runs."""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path

from umig_tui.demo.fleet import ensure_demo_history

DAY = 86400


def last_timestamp(path: Path) -> float:
    record = json.loads(path.read_text(encoding="utf-8").splitlines()[-1])
    return datetime.fromisoformat(record["timestamp"]).timestamp()


def test_the_sample_month_ends_two_hours_ago_and_moves_when_it_goes_stale(tmp_path: Path) -> None:
    path = tmp_path / "state" / "deployment-history.jsonl"
    then = time.time() - 10 * DAY
    ensure_demo_history(path, then)
    assert abs(last_timestamp(path) - (then - 7200)) < 1
    # Later the same day: kept as it is (with whatever the demo appended to it).
    with path.open("a", encoding="utf-8") as file:
        file.write(
            json.dumps({"type": "deployment_start", "timestamp": "2026-01-01T00:00:00+00:00"})
            + "\n"
        )
    ensure_demo_history(path, then + 3600)
    assert "2026-01-01T00:00:00" in path.read_text(encoding="utf-8")
    # Ten days on: the month is moved again, so the last 24 hours show deployments.
    now = time.time()
    ensure_demo_history(path, now)
    assert abs(last_timestamp(path) - (now - 7200)) < 1
