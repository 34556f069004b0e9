"""The demo fleet's environments, starting from the seeds' versions (seed 000 §1.1)."""

from __future__ import annotations

from pathlib import Path

import msgspec
from msgspec.structs import replace

from umig_tui.config import Config, Environment
from umig_tui.models import Tier

DEMO_HOST = "http://demo.umig.invalid"


class DemoRelease(msgspec.Struct, frozen=True):
    version: str
    build: str
    codename: str
    database: str
    database_semantic: str
    api: str
    ui: str
    backend: str
    deployed_at: str
    deployed_by: str


# Seed 000 §1.1 / seed 001 "Current Environment Status", plus a hotfix environment whose UI was
# not rebuilt (component drift for the demo).
SEED_RELEASES: dict[Tier, DemoRelease] = {
    Tier.DEVELOPMENT: DemoRelease(
        "1.3.0-dev+ci.1245",
        "ci.1245",
        "Horizon",
        "032-dev",
        "1.3.0-dev",
        "2.4.0-dev",
        "1.3.0-dev",
        "1.3.0-dev",
        "2024-10-25T10:15:30Z",
        "automation",
    ),
    Tier.UAT: DemoRelease(
        "1.2.0-rc.2",
        "rc.2",
        "Granite",
        "031",
        "1.2.0",
        "2.3.1",
        "1.2.0",
        "1.2.0",
        "2024-10-24T14:30:00Z",
        "lucas.challamel",
    ),
    Tier.PRODUCTION: DemoRelease(
        "1.1.2",
        "1.1.2",
        "Foundry",
        "030",
        "1.1.2",
        "2.3.0",
        "1.1.2",
        "1.1.2",
        "2024-10-20T09:00:00Z",
        "deployment-automation",
    ),
    Tier.HOTFIX: DemoRelease(
        "1.1.3+hotfix",
        "hotfix.1",
        "Foundry",
        "030",
        "1.1.3",
        "2.3.0",
        "1.1.2",
        "1.1.3+hotfix",
        "2024-10-26T18:05:00Z",
        "on-call",
    ),
}

# What production is due to run: the demo's deploy scenario lands it (DESIGN [expected]).
DEMO_EXPECTED = {"production": {"umig": "1.2.0", "database": "031", "api": "2.3.1"}}

_BASE = (
    ("development", Tier.DEVELOPMENT),
    ("uat", Tier.UAT),
    ("production", Tier.PRODUCTION),
    ("hotfix", Tier.HOTFIX),
)
_SHORT = {Tier.DEVELOPMENT: "dev", Tier.UAT: "uat", Tier.PRODUCTION: "prod", Tier.HOTFIX: "hotfix"}


def demo_fleet(count: int = 4) -> list[tuple[str, Tier]]:
    """Names and tiers: the four seed environments, then ``dev-05``, ``uat-06``, … as needed."""
    envs = list(_BASE[: max(1, count)])
    tiers = [tier for _, tier in _BASE]
    for index in range(len(envs), count):
        tier = tiers[index % len(tiers)]
        envs.append((f"{_SHORT[tier]}-{index + 1:02d}", tier))
    return envs


def fleet_size_for(names: list[str]) -> int:
    """How big a demo fleet must be to contain every one of ``names`` (``prod-07`` → 7)."""
    size = 4
    for name in names:
        tail = name.rsplit("-", 1)[-1]
        if tail.isdigit():
            size = max(size, int(tail))
    return size


def demo_config(config: Config, count: int = 4) -> Config:
    """``config`` with its environments replaced by the in-process demo fleet."""
    envs = tuple(
        Environment(name, f"{DEMO_HOST}/{name}", tier, origin="demo")
        for name, tier in demo_fleet(count)
    )
    names = {env.name for env in envs}
    # A fleet smaller than three has no production: expect nothing of it.
    expected = {name: row for name, row in DEMO_EXPECTED.items() if name in names}
    history = config.history_file
    if history is None:  # a month of deployments for the history screen and the reports
        import contextlib
        import time

        import platformdirs

        path = Path(platformdirs.user_state_dir("umig-tui")) / "demo-deployment-history.jsonl"
        with contextlib.suppress(OSError, ValueError):
            history = ensure_demo_history(path, time.time())
    return replace(config, environments=envs, expected=expected, demo=True, history_file=history)


def ensure_demo_history(path: Path, now: float) -> Path:
    """The demo's deployment history: the sample month, moved so that it ends two hours ago.

    Moved again once it ends more than a day ago (what the demo appended since goes with it):
    a demo started a week later would show no deployments in its last 24 hours otherwise.
    """
    import json
    import re
    from datetime import UTC, datetime

    from umig_tui.util.resources import data_dir
    from umig_tui.util.timefmt import iso

    sample = data_dir("sample_data") / "deployment-history.jsonl"
    records = [
        json.loads(line) for line in sample.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    stamps = [datetime.fromisoformat(r["timestamp"]).timestamp() for r in records]
    if path.exists():
        with path.open(encoding="utf-8") as existing:
            first = json.loads(existing.readline() or "{}").get("timestamp")
        start = datetime.fromisoformat(first).timestamp() if isinstance(first, str) else None
        if start is not None and start + (max(stamps) - min(stamps)) >= now - 7200 - 86400:
            return path
    shift = (now - 7200) - max(stamps)
    pattern = re.compile(r"^(deploy|rollback)-(.+)-(\d{8}-\d{6})$")
    lines = []
    for record, ts in zip(records, stamps, strict=True):
        record["timestamp"] = iso(ts + shift)
        match = pattern.match(str(record.get("id", "")))
        if match:
            moved = (
                datetime.strptime(match.group(3), "%Y%m%d-%H%M%S").replace(tzinfo=UTC).timestamp()
                + shift
            )
            stamp = datetime.fromtimestamp(moved, UTC).strftime("%Y%m%d-%H%M%S")
            record["id"] = f"{match.group(1)}-{match.group(2)}-{stamp}"
        lines.append(json.dumps(record, separators=(",", ": ")))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
