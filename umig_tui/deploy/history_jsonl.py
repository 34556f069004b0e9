"""The seed's deployment-history JSONL (001 log-deployment-event / query-deployment-history).

One JSON object per line; types deployment_start, deployment_success, deployment_failure and
rollback with the seed's fields. Appends are locked and flushed so several writers interleave
whole lines; a malformed line is counted and skipped, never fatal.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec

from umig_tui.events import Event, EventKind
from umig_tui.util.durations import format_duration
from umig_tui.util.sanitize import clean_text
from umig_tui.util.timefmt import iso

# The seed's four; deployment_ended: a watch that ended without a deployment to judge
# (interrupted, or the version never appeared), so no start stays "in progress" for ever;
# deployment_inconclusive: a deployment the watch could not judge (too few samples, no traffic,
# no baseline); deployment_soak: the end of a --soak after a pass (verdict_record.py).
TYPES = (
    "deployment_start",
    "deployment_success",
    "deployment_failure",
    "rollback",
    "deployment_ended",
    "deployment_inconclusive",
    "deployment_soak",
)


class HistoryEntry(msgspec.Struct, frozen=True):
    """One line of the history, with the seed's field names kept in ``record``."""

    id: str
    type: str
    timestamp: str
    ts: float
    environment: str
    version: str | None
    status: str | None
    record: dict[str, Any] = msgspec.field(default_factory=dict)


class HistorySummary(msgspec.Struct, frozen=True):
    """The seed's summary: starts, successes, failures, rollbacks and the success rate."""

    total: int
    successful: int
    failed: int
    rollbacks: int

    @property
    def success_rate(self) -> float | None:
        return self.successful / self.total if self.total else None

    def to_json(self) -> dict[str, Any]:
        rate = self.success_rate
        return {
            "total": self.total,
            "successful": self.successful,
            "failed": self.failed,
            "rollbacks": self.rollbacks,
            "success_rate": round(rate * 100) if rate is not None else None,
        }


def deployment_id(prefix: str, environment: str, ts: float) -> str:
    """``deploy-production-20240925-143055`` as the seed names them."""
    return f"{prefix}-{environment}-{datetime.fromtimestamp(ts, UTC).strftime('%Y%m%d-%H%M%S')}"


def make_record(
    kind: str,
    *,
    environment: str,
    ts: float,
    version: str | None = None,
    deployment: str | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """A line in the seed's shape; ``fields`` adds initiatedBy, duration, error, … as given."""
    if kind not in TYPES:
        raise ValueError(f"unknown history type {kind!r}")
    record: dict[str, Any] = {
        "id": deployment
        or deployment_id("rollback" if kind == "rollback" else "deploy", environment, ts),
        "type": kind,
        "timestamp": iso(ts),
        "environment": environment,
    }
    if kind != "rollback":
        record["version"] = version
    record.update({k: v for k, v in fields.items() if v is not None})
    return record


_WATCH_LINES = {  # a watch's stage → (line type, status); other stages write no line
    "waiting": ("deployment_start", "in_progress"),
    "succeeded": ("deployment_success", "completed"),
    "soaking": ("deployment_success", "completed"),  # passed; the soak's end is its own line
    "inconclusive": ("deployment_inconclusive", "inconclusive"),
    "failed": ("deployment_failure", "failed"),
    "timed_out": ("deployment_ended", "not_seen"),
    "interrupted": ("deployment_ended", "interrupted"),
}


def record_for(event: Event) -> dict[str, Any] | None:
    """The seed's history line for a deployment or rollback event, None for anything else:
    what a deploy watch records and what the poller saw, built the same way."""
    deployment = event.deployment
    if deployment is None or event.env is None:
        return None
    common: dict[str, Any] = {
        "environment": event.env,
        "ts": event.ts,
        "deployment": deployment.deployment_id,
    }
    if event.kind is EventKind.ROLLBACK:
        return make_record(
            "rollback",
            **common,
            fromVersion=deployment.from_version,
            toVersion=deployment.to_version,
            status="rollback_detected",
        )
    if not deployment.watched:
        return make_record(
            "deployment_success",
            **common,
            version=deployment.to_version,
            status="completed",
            fromVersion=deployment.from_version,
            initiatedBy=deployment.deployed_by,
            detectedBy="umig-tui poller",
        )
    line = _WATCH_LINES.get(deployment.stage or "")
    if line is None:
        return None
    kind, status = line
    verdict = deployment.verdict_json or {}
    soak = verdict.get("soak")
    if (
        deployment.stage in ("succeeded", "failed")
        and isinstance(soak, dict)
        and soak.get("state") in ("passed", "failed")
    ):
        # The end of a soak after a pass: the pass was its own line (deployment_success).
        kind, status = "deployment_soak", f"soak_{soak['state']}"
    fields: dict[str, Any] = {"status": status, "fromVersion": deployment.from_version}
    if kind == "deployment_start":
        fields["initiatedBy"] = deployment.initiated_by
    elif kind == "deployment_success" and deployment.elapsed_s is not None:
        fields["duration"] = format_duration(deployment.elapsed_s)
    elif kind != "deployment_start" and kind != "deployment_success":
        fields["error"] = deployment.reason  # failed, ended, inconclusive, a soak's end
    # The verdict's keys (verdict, verdict_reason, verdict_detail, soak): anyone reading the
    # line later sees what each metric was, against what baseline, and the test.
    fields.update({k: v for k, v in verdict.items() if k not in fields})
    return make_record(kind, **common, version=deployment.to_version, **fields)


def append_record(path: Path, record: dict[str, Any]) -> None:
    """Append one line under an exclusive lock; raises OSError with the OS's reason."""
    path = path.expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(record, ensure_ascii=False, separators=(",", ": ")) + "\n"
    with open(path, "a", encoding="utf-8") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _parse_ts(text: str) -> float | None:
    with contextlib.suppress(ValueError):
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.timestamp()
    return None


def parse_lines(lines: Iterable[str]) -> tuple[list[HistoryEntry], int]:
    """Entries from JSONL text and the number of lines that could not be used."""
    entries: list[HistoryEntry] = []
    malformed = 0
    for raw in lines:
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except ValueError:
            malformed += 1
            continue
        if not isinstance(record, dict):
            malformed += 1
            continue
        kind = record.get("type")
        env = record.get("environment")
        stamp = record.get("timestamp")
        ts = _parse_ts(stamp) if isinstance(stamp, str) else None
        if kind not in TYPES or not isinstance(env, str) or ts is None:
            malformed += 1
            continue
        version = record.get("version") if kind != "rollback" else record.get("fromVersion")
        entries.append(
            HistoryEntry(
                id=clean_text(str(record.get("id", "")), 80),
                type=kind,
                timestamp=stamp if isinstance(stamp, str) else "",
                ts=ts,
                environment=clean_text(env, 64),
                version=clean_text(str(version), 80) if version is not None else None,
                status=clean_text(str(record["status"]), 40) if "status" in record else None,
                record=record,
            )
        )
    return entries, malformed


def read_history(path: Path) -> tuple[list[HistoryEntry], int]:
    """Entries of the file (missing file: none); OSError when it exists but cannot be read."""
    path = path.expanduser()
    if not path.exists():
        return [], 0
    with open(path, encoding="utf-8", errors="replace") as handle:
        return parse_lines(handle)


def summarize(entries: Iterable[HistoryEntry]) -> HistorySummary:
    counts = {kind: 0 for kind in TYPES}
    for entry in entries:
        counts[entry.type] += 1
    # The seed counts starts; a deployment seen only by the poller has no start line, so a
    # total below successes + failures would claim a success rate above 100 %.
    # A watch that ended with nothing to judge (deployment_ended) is no deployment at all.
    return HistorySummary(
        total=max(
            counts["deployment_start"] - counts["deployment_ended"],
            counts["deployment_success"] + counts["deployment_failure"],
        ),
        successful=counts["deployment_success"],
        failed=counts["deployment_failure"],
        rollbacks=counts["rollback"],
    )
