"""A verdict in words: the same cells for the live view, the dashboard and the CI log.

Plain strings only (no markup): the faces put them in rich ``Text``, since a baseline label
carries a version an endpoint reported.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import msgspec

from umig_tui.deploy.verdict_record import MetricResult, is_ratio
from umig_tui.util.durations import format_duration
from umig_tui.util.timefmt import clock

COLUMNS = ("metric", "now", "baseline", "threshold", "test", "p", "n", "result")


class Row(msgspec.Struct, frozen=True):
    metric: str
    value: str
    baseline: str
    threshold: str
    test: str
    p: str
    n: str  # "30 / 118": after the deploy / baseline
    outcome: str  # pass | fail | inconclusive
    why: str  # why inconclusive, or what a gate saw

    def cells(self) -> tuple[str, ...]:
        return (
            self.metric,
            self.value,
            self.baseline,
            self.threshold,
            self.test,
            self.p,
            self.n,
            self.outcome,
        )


def fmt(metric: str, value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.2%}" if is_ratio(metric) else f"{value:.0f}ms"


def row(m: MetricResult) -> Row:
    if m.test == "gate":
        return Row(m.metric, m.why or "-", "", m.threshold, "gate", "", "", m.outcome, "")
    effect = ""
    if m.effect is not None and m.metric != "error rate limit":
        effect = f" ({m.effect * 100:+.2f} pt)" if is_ratio(m.metric) else f" ({m.effect:+.0%})"
    n = f"{m.n_post}" if m.test == "limit" else f"{m.n_post} / {m.n_base}"
    return Row(
        m.metric,
        fmt(m.metric, m.value) + effect,
        fmt(m.metric, m.baseline) if m.test != "limit" else "",
        m.threshold,
        m.test,
        f"{m.p_value:.3g}" if m.p_value is not None else "-",
        n,
        m.outcome,
        m.why,
    )


def window_text(window: tuple[float, float] | None) -> str:
    """``14:02–14:07 (5m)`` in the reader's zone."""
    if window is None:
        return "-"
    start, end = window
    return f"{clock(start)}–{clock(end, label=True)} ({format_duration(max(0.0, end - start))})"


def baselines(detail: Iterable[MetricResult]) -> list[tuple[str, str, str]]:
    """(role, label, window) per baseline the verdict names, deciding one first."""
    seen: dict[str, tuple[str, str, str]] = {}
    for m in detail:
        if m.baseline_label and m.baseline_label not in seen:
            seen[m.baseline_label] = (m.role, m.baseline_label, window_text(m.baseline_window))
    return sorted(seen.values(), key=lambda item: item[0] != "decides")


def post_window(detail: Sequence[MetricResult]) -> tuple[float, float] | None:
    return next((m.window for m in detail if m.window is not None), None)


def summary_lines(detail: Sequence[MetricResult]) -> list[str]:
    """The verdict as indented lines for a log: the window, each baseline, each row."""
    lines: list[str] = []
    window = post_window(detail)
    if window is not None:
        lines.append(f"  after the deploy: {window_text(window)}")
    for role, label, span in baselines(detail):
        word = "baseline" if role == "decides" else "also vs"
        lines.append(f"  {word}: {label}" + (f" ({span})" if span != "-" else ""))
    for m in detail:
        r = row(m)
        if m.test == "gate":
            lines.append(f"  {r.outcome:<12} {r.metric}: {r.value} (wants {r.threshold})")
            continue
        if m.role == "context":
            continue
        text = f"  {r.outcome:<12} {r.metric}: {r.value}"
        if r.baseline:
            text += f" vs {r.baseline}"
        text += f", {r.threshold}, {r.test}"
        if r.p != "-":
            text += f" p={r.p}"
        text += f", n={r.n}"
        if r.why:
            text += f" — {r.why}"
        lines.append(text)
    return lines
