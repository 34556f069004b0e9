"""Status and severity styles from the current theme's variables (never hard-coded)."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.app import App

from umig_tui.tui.theme_files import VARIABLE_DEFAULTS

STATUS_MARK = {
    "healthy": "●",
    "degraded": "▲",
    "unhealthy": "✖",
    "unreachable": "⊘",
    "unknown": "○",
}


def variable(app: App[object], name: str) -> str:
    return app.theme_variables.get(name) or VARIABLE_DEFAULTS.get(name, "white")


def status_style(app: App[object], status: str, *, bold: bool = False) -> Style:
    return Style(
        color=variable(app, f"status-{status}"), bold=bold or status in ("unhealthy", "unreachable")
    )


def severity_style(app: App[object], severity: str) -> Style:
    return Style(color=variable(app, f"severity-{severity.lower()}"), bold=severity == "CRITICAL")


def status_text(
    app: App[object], status: str, *, stale: bool = False, age: str | None = None
) -> Text:
    """``● healthy`` in the status colour: the word is always there (never colour alone).
    Stale, it is dimmed and says for how long nothing was read: ``● healthy (stale 3m)``."""
    style = status_style(app, status) + (Style(dim=True) if stale else Style())
    text = Text(f"{STATUS_MARK.get(status, '?')} {status}", style=style)
    if stale:
        text.append(f" (stale {age})" if age else " (stale)", style=Style(dim=True))
    return text


# A deploy watch's stage in the status colours: a verdict reads like an environment's status.
# By the stage's value (Stage is a StrEnum: its members find these), so the deploy watch loads
# with the first watch, not before the dashboard's first frame.
STAGE_STATUS: dict[str, str] = {
    "succeeded": "healthy",
    "failed": "unhealthy",
    "timed_out": "unreachable",
    "interrupted": "unknown",
    "inconclusive": "degraded",  # a warning, not a pass
    "monitoring": "degraded",
    "validating": "degraded",
    "soaking": "healthy",
}


SPARK_CHARS = "▁▂▃▄▅▆▇█"


def spark(
    values: list[float | None], *, low: float | None = None, high: float | None = None
) -> str:
    """A sparkline of block characters; gaps (no sample) are blank."""
    known = [v for v in values if v is not None]
    if not known:
        return " " * len(values)
    lo = min(known) if low is None else low
    hi = max(known) if high is None else high
    # Noise of a few percent should not look like a cliff: show at least 20% of the peak.
    if hi - lo < 0.2 * abs(hi):
        lo = max(0.0, hi - 0.2 * abs(hi)) if lo >= 0 else hi - 0.2 * abs(hi)
    span = hi - lo
    out = []
    for value in values:
        if value is None:
            out.append(" ")
        elif span <= 0:
            out.append(SPARK_CHARS[0])
        else:
            level = int((value - lo) / span * (len(SPARK_CHARS) - 1) + 0.5)
            out.append(SPARK_CHARS[max(0, min(level, len(SPARK_CHARS) - 1))])
    return "".join(out)
