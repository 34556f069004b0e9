"""The daily status report (seed 001 daily-status-report) with real figures from the store.

``gather_report`` collects (I/O); ``render_report`` is pure, so golden files pin its output.
"""

from __future__ import annotations

import json
from typing import Any

import msgspec

from umig_tui.analysis.alert_rules import AlertState
from umig_tui.analysis.stats import WindowStats
from umig_tui.deploy.timeline import History
from umig_tui.events import Event
from umig_tui.state.fleet import EnvView
from umig_tui.util.timefmt import day, stamp, stamp_text, zone


class HealthCounts(msgspec.Struct, frozen=True):
    checks: int
    healthy: int

    @property
    def unhealthy(self) -> int:
        return self.checks - self.healthy


class ReportData(msgspec.Struct, frozen=True):
    generated_at: float
    since: float
    environments: tuple[EnvView, ...]
    history: History
    health: dict[str, HealthCounts]
    performance: dict[str, WindowStats]
    firing: tuple[AlertState, ...]
    alert_events: tuple[Event, ...]
    demo: bool = False
    notice: str | None = None


def md(text: object) -> str:
    """Endpoint text inside Markdown: no table-breaking pipes, no code spans, no HTML, one line."""
    value = str(text).replace("\\", "\\\\").replace("|", "\\|").replace("`", "'")
    value = value.replace("<", "&lt;").replace(">", "&gt;")
    # CR is a line ending to Markdown as much as LF: either would end the table row.
    return value.replace("\r\n", " ").replace("\r", " ").replace("\n", " ")


def code(text: object) -> str:
    return f"`{md(text)}`"


def _pct(part: int, whole: int) -> str:
    return f"{part * 100 // whole}%" if whole else "-"


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}ms"


def _date(ts: float) -> str:
    return day(ts)


def _time(ts: float) -> str:
    return stamp(ts)


def _period(data: ReportData) -> str:
    hours = (data.generated_at - data.since) / 3600
    if hours < 48:
        return "last hour" if round(hours) == 1 else f"last {hours:.0f} hours"
    return f"last {hours / 24:.0f} days"


def render_report(data: ReportData, fmt: str = "text") -> str:
    if fmt == "json":
        return json.dumps(report_json(data), indent=2) + "\n"  # a line, as text and md end
    if fmt == "md":
        return _markdown(data)
    return _text(data)


def report_json(data: ReportData) -> dict[str, Any]:
    return {
        "date": _date(data.generated_at),
        "generated_at": data.generated_at,
        "since": data.since,
        "demo": data.demo,
        "environments": [
            {"name": v.name, "version": v.version, "health": str(v.status), "uptime": v.uptime}
            for v in data.environments
        ],
        "deployments": [e.record for e in data.history.entries],
        "deployment_summary": data.history.summary.to_json(),
        "health": {
            env: {"checks": c.checks, "healthy": c.healthy, "unhealthy": c.unhealthy}
            for env, c in data.health.items()
        },
        "performance": {
            env: {"avg_ms": s.avg, "p95_ms": s.p95, "samples": s.count}
            for env, s in data.performance.items()
        },
        "alerts_firing": [a.to_json() for a in data.firing],
        "alerts_in_period": len(data.alert_events),
        "notice": data.notice,
    }


def _text(data: ReportData) -> str:
    """The seed's layout: underlined sections, pipe-separated environment rows."""
    out: list[str] = []
    rule = "=" * 34
    out += [
        rule,
        "UMIG Daily Status Report" + (" (DEMO)" if data.demo else ""),
        f"Date: {_date(data.generated_at)} (times in {zone(data.generated_at)})",
        rule,
        "",
    ]
    out += ["Environment Status Summary:", "-" * 26]
    name_w = max([12, *(len(v.name) for v in data.environments)])
    version_w = max([10, *(len(v.version or "unknown") for v in data.environments)])
    status_w = max([8, *(len(v.status) for v in data.environments)])  # "unreachable" is 11
    for view in data.environments:  # the seed's printf "%-12s | %-10s | %-8s | %s", widened to fit
        out.append(
            f"{view.name:<{name_w}} | {view.version or 'unknown':<{version_w}} | "
            f"{view.status!s:<{status_w}} | {view.uptime or 'unknown'}"
        )
    out += ["", f"Deployment Activity ({_period(data).capitalize()}):", "-" * 35]
    if data.history.entries:
        for entry in data.history.entries:
            out.append(
                f"{stamp_text(entry.timestamp)} | {entry.environment} | {entry.version or '-'} | {entry.type} | {entry.status or '-'}"
            )
    else:
        out.append("No deployments in this period")
    summary = data.history.summary
    out += [
        f"Total deployments: {summary.total}",
        f"Successful: {summary.successful}",
        f"Failed: {summary.failed}",
        f"Rollbacks: {summary.rollbacks}",
    ]
    if summary.success_rate is not None:
        out.append(f"Success rate: {summary.success_rate:.0%}")
    out += ["", "Health Status Summary:", "-" * 20]
    total = HealthCounts(
        sum(c.checks for c in data.health.values()), sum(c.healthy for c in data.health.values())
    )
    out += [
        f"Total health checks: {total.checks}",
        f"Healthy: {total.healthy} ({_pct(total.healthy, total.checks)})",
        f"Unhealthy: {total.unhealthy} ({_pct(total.unhealthy, total.checks)})",
    ]
    for env, counts in data.health.items():
        out.append(
            f"- {env}: {counts.checks} checks, {_pct(counts.healthy, counts.checks)} healthy"
        )
    out += ["", "Performance Summary:", "-" * 18, "Average API response times (P95):"]
    for env, stats in data.performance.items():
        out.append(f"- {env}: {_ms(stats.avg)} (P95 {_ms(stats.p95)}, {stats.count} samples)")
    out += ["", "Issues and Alerts:", "-" * 17, f"Alerts in period: {len(data.alert_events)}"]
    if data.firing:
        out.append("Firing now:")
        out += [f"- [{a.severity}] {a.summary}" for a in data.firing]
    if data.alert_events:
        out.append("Recent alerts:")
        out += [f"- {_time(e.ts)} {e.summary}" for e in data.alert_events[:5]]
    elif not data.firing:
        out.append("No alerts in this period")
    if data.notice:
        out += ["", f"Note: {data.notice}"]
    return "\n".join(out) + "\n"


def _markdown(data: ReportData) -> str:
    out: list[str] = [
        f"# UMIG daily status report — {_date(data.generated_at)}"
        + (" (DEMO)" if data.demo else ""),
        "",
    ]
    out += [
        "## Environments",
        "",
        "| Environment | Version | Health | Uptime |",
        "| --- | --- | --- | --- |",
    ]
    out += [
        f"| {md(v.name)} | {code(v.version or 'unknown')} | {v.status} | {md(v.uptime or 'unknown')} |"
        for v in data.environments
    ]
    out += ["", f"## Deployments ({_period(data)})", ""]
    if data.history.entries:
        out += [
            "| Time | Environment | Version | Type | Status |",
            "| --- | --- | --- | --- | --- |",
        ]
        out += [
            f"| {md(stamp_text(e.timestamp))} | {md(e.environment)} | {code(e.version or '-')} | {e.type} | {md(e.status or '-')} |"
            for e in data.history.entries
        ]
    else:
        out.append("No deployments in this period.")
    summary = data.history.summary
    rate = f", success rate {summary.success_rate:.0%}" if summary.success_rate is not None else ""
    out += [
        "",
        f"{summary.total} deployments: {summary.successful} successful, {summary.failed} failed, "
        f"{summary.rollbacks} rollback{'' if summary.rollbacks == 1 else 's'}{rate}.",
        "",
    ]
    out += [
        "## Health",
        "",
        "| Environment | Checks | Healthy | Unhealthy |",
        "| --- | ---: | ---: | ---: |",
    ]
    out += [
        f"| {env} | {c.checks} | {_pct(c.healthy, c.checks)} | {_pct(c.unhealthy, c.checks)} |"
        for env, c in data.health.items()
    ]
    out += [
        "",
        "## Performance",
        "",
        "| Environment | Average | P95 | Samples |",
        "| --- | ---: | ---: | ---: |",
    ]
    out += [
        f"| {env} | {_ms(s.avg)} | {_ms(s.p95)} | {s.count} |"
        for env, s in data.performance.items()
    ]
    out += ["", "## Issues and alerts", ""]
    if data.firing:
        out += [f"- **{a.severity}** {md(a.summary)}" for a in data.firing]
    out.append(f"- {len(data.alert_events)} alert events in the period")
    out += [f"  - {_time(e.ts)} {md(e.summary)}" for e in data.alert_events[:5]]
    if data.notice:
        out += ["", f"> Note: {data.notice}"]
    return "\n".join(out) + "\n"
