"""Panel 3: sparklines of response time, error rate, active users and DB connections, with
the change against the baseline (or an hour ago): ▲ worse, ▼ better, in colour past the limit."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult

from umig_tui.analysis.trends import MetricTrend, arrow
from umig_tui.metrics import ACTIVE_USERS, DB_CONNECTIONS, ERROR_RATE, RESPONSE_TIME
from umig_tui.state.fleet import EnvView
from umig_tui.tui.colors import severity_style, spark, variable
from umig_tui.tui.widgets.panel import Panel
from umig_tui.tui.widgets.table import Cell, SyncTable
from umig_tui.views.dashboard import DashboardData

METRICS: tuple[tuple[str, str, str], ...] = (
    (RESPONSE_TIME, "Response", "{:.0f}ms"),
    (ERROR_RATE, "Errors", "{:.1%}"),
    (ACTIVE_USERS, "Users", "{:.0f}"),
    (DB_CONNECTIONS, "DB conns", "{:.0f}"),
)


def trend_mark(trends: tuple[MetricTrend, ...], metric: str) -> tuple[str, bool]:
    """The average's change against the baseline if there is one, else against an hour ago."""
    for trend in trends:
        if trend.metric != metric or trend.stat != "avg":
            continue
        references = sorted(trend.references, key=lambda r: not r.label.startswith("baseline"))
        for reference in references:
            usable = reference.label.startswith("baseline") or reference.label == "1h ago"
            if usable and reference.change is not None:
                return arrow(reference.change), reference.degraded
    return "", False


class PerformancePanel(Panel):
    number = 3
    title = "Performance"
    help = (
        "Recent trend (from the store at start, then live), the current value, and the change "
        "against the baseline or an hour ago (▲ up, ▼ down; coloured when worse than allowed)."
    )

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._rows: dict[str, tuple[object, list[Cell]]] = {}  # env → (what it shows, cells)

    def compose(self) -> ComposeResult:
        yield SyncTable(id="perf-table")

    def _cells(
        self,
        view: EnvView,
        figures: tuple[tuple[tuple[float | None, ...], float | None, tuple[str, bool] | None], ...],
        width: int,
        digits: int,
    ) -> list[Cell]:
        style = Style(color=variable(self.app, "spark-color"))
        # From an earlier answer (the environment is failing now): dimmed, not live.
        old = Style(dim=True) if view.shows_old_values else Style()
        cells: list[Cell] = [Text(view.name, style="bold")]
        for (_, _, fmt), (values, latest, trend) in zip(METRICS, figures, strict=True):
            text = Text(spark(list(values)), style=style)
            value = (fmt.format(latest) if latest is not None else "-").rjust(digits)
            text.append(" " + value, style=old)
            if trend is not None and trend[0]:
                mark, worse = trend
                high = severity_style(self.app, "HIGH")
                text.append(f" {mark}", style=high if worse else Style(dim=True))
            cells.append(text)
        return cells

    def extent(self, data: DashboardData) -> object:
        return len(data.views)  # one row each (the subtitle is in the border)

    def show(self, data: DashboardData) -> None:
        width, digits = (12, 6) if self.wide else (4, 5)
        rows: list[tuple[str, list[Cell]]] = []
        theme = self.app.theme
        for view in data.views:
            trends = data.trends.get(view.name, ())
            figures = tuple(
                (
                    tuple(data.sparks.get((view.name, metric), [])[-width:]),
                    data.latest.get((view.name, metric)),
                    trend_mark(trends, metric) if metric in (RESPONSE_TIME, ERROR_RATE) else None,
                )
                for metric, _, _ in METRICS
            )
            # Most rows show what they showed a second ago: their cells are kept.
            key = (theme, width, view.shows_old_values, figures)
            cached = self._rows.get(view.name)
            if cached is None or cached[0] != key:
                cached = self._rows[view.name] = (key, self._cells(view, figures, width, digits))
            rows.append((view.name, list(cached[1])))
        failing = [v.name for v in data.views if v.shows_old_values]
        self.set_subtitle(f"dimmed: last values read ({', '.join(failing)})" if failing else "")
        self.query_one(SyncTable).sync(("Environment", *(label for _, label, _ in METRICS)), rows)
