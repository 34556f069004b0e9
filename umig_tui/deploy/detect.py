"""A version change nobody announced is a deployment, or a rollback when the version went back.

Pure: the versions before and after and what the environment says about them in, an event (or
none) out. The Monitor keeps the last readable version per environment and calls this.
"""

from __future__ import annotations

from umig_tui.analysis.versions import compare_versions, parse_version
from umig_tui.deploy.history_jsonl import deployment_id
from umig_tui.events import POLLER, Deployment, Event, EventKind
from umig_tui.models import HealthSnapshot, VersionInfo


def readable(version: str | None) -> str | None:
    """``version`` when it reads as a version: an error text or a hostile document in its place
    is neither a deployment nor the reference for one."""
    return version if version is not None and parse_version(version) is not None else None


def detect_deployment(
    env: str,
    previous: str | None,
    current: str,
    *,
    now: float,
    version_doc: VersionInfo | None = None,
    health_doc: HealthSnapshot | None = None,
) -> Event | None:
    """The event for ``env`` going from ``previous`` to ``current`` (both readable), if it moved.

    Who deployed and when come from the version document only when it already describes
    ``current`` (the health document often tells first; the version document then still
    describes the version before, whose deployer is not this deployment's).
    """
    if previous is None or previous == current:
        return None
    order = compare_versions(current, previous)
    if order == 0:
        return None
    back = order == -1
    document = version_doc if version_doc is not None and version_doc.version == current else None
    deployed_at = document.deployed_at if document is not None else None
    if deployed_at is None and health_doc is not None and health_doc.version == current:
        deployed_at = health_doc.deployed_at
    kind = EventKind.ROLLBACK if back else EventKind.DEPLOYMENT
    summary = (
        f"{env}: rolled back from {previous} to {current}"
        if back
        else f"{env}: {previous} → {current} (seen by the poller)"
    )
    return Event(
        ts=now,
        env=env,
        kind=kind,
        summary=summary,
        severity="high" if back else "info",
        payload=Deployment(
            source=POLLER,
            deployment_id=deployment_id("rollback" if back else "deploy", env, now),
            from_version=previous,
            to_version=current,
            deployed_by=document.deployed_by if document is not None else None,
            deployed_at=deployed_at,
        ),
    )
