"""Environment detail: components, every metric, the last errors, raw bodies and charts."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Static, TabbedContent, TabPane

from umig_tui.metrics import ACTIVE_USERS, ERROR_RATE, RESPONSE_TIME
from umig_tui.models import (
    ComponentsStatus,
    Endpoint,
    HealthSnapshot,
    MetricsSnapshot,
    NotOffered,
    VersionInfo,
    is_bad_state,
)
from umig_tui.service.monitor import Monitor
from umig_tui.store.queries import series_points
from umig_tui.tui.colors import status_style, status_text
from umig_tui.tui.widgets.footer import KeyFooter
from umig_tui.tui.widgets.table import Cell, SyncTable
from umig_tui.tui.widgets.tabs import cycle_tab
from umig_tui.tui.workers import WorkerScreen
from umig_tui.util.sanitize import clean_block
from umig_tui.util.timefmt import ago, stamp, stamp_text

CHARTS = (
    (RESPONSE_TIME, "Response time (ms)", 1.0),
    (ERROR_RATE, "Error rate (%)", 100.0),
    (ACTIVE_USERS, "Active users", 1.0),
)
WINDOWS = (("last hour", 3600.0), ("last day", 86400.0))


class EnvDetailScreen(WorkerScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back", id="back"),
        Binding("r", "refresh_env", "Refresh", id="refresh-env"),
        Binding("w", "toggle_window", "Hour/day", id="chart-window"),
        Binding("right_square_bracket", "next_tab", "Next tab", id="next-tab", key_display="]"),
        Binding("left_square_bracket", "previous_tab", "Prev tab", id="prev-tab", key_display="["),
    ]

    def __init__(
        self, env: str, monitor: Monitor, *, clock: Callable[[], float] = time.time
    ) -> None:
        super().__init__(name=f"detail-{env}")
        self.env = env
        self.monitor = monitor
        self.clock = clock
        self.window = 0

    def compose(self) -> ComposeResult:
        # plotext is imported with the first detail screen: ~0.1 s less before the first frame.
        from textual_plotext import PlotextPlot

        yield Static(id="detail-title")
        with TabbedContent(id="detail-tabs"):
            with TabPane("Overview", id="tab-overview"), VerticalScroll():
                yield Static(id="overview")
            with TabPane("Components", id="tab-components"):
                yield SyncTable(id="components-table")
            with TabPane("Metrics", id="tab-metrics"):
                yield SyncTable(id="metrics-table")
            with TabPane("Raw", id="tab-raw"), VerticalScroll(id="raw-scroll"):
                yield Static(id="raw")
            with TabPane("Charts", id="tab-charts"), Vertical():
                yield Static(id="chart-summary")
                with Horizontal(id="charts"):
                    for metric, _, _ in CHARTS:
                        yield PlotextPlot(id=f"chart-{metric}")
            with TabPane("SLO", id="tab-slo"), Vertical():
                yield Static(id="slo-targets")
                yield SyncTable(id="slo-table")
        yield KeyFooter(compact=True)

    def on_mount(self) -> None:
        self.refresh_data()
        self.load_charts()
        self.load_slo()
        # The timers skip a tick while the last load still runs (a slow store): an exclusive
        # worker would cancel it and start over, and never finish.
        self.set_interval(30, lambda: self._unless_running("detail-charts", self.load_charts))
        self.set_interval(60, lambda: self._unless_running("detail-slo", self.load_slo))

    def _unless_running(self, group: str, load: Callable[[], object]) -> None:
        if not any(w.group == group and w.node is self and w.is_running for w in self.app.workers):
            load()

    # -- actions ------------------------------------------------------------------------------

    def action_refresh_env(self) -> None:
        self.monitor.refresh(self.env)
        self.notify(f"Refreshing {self.env}", timeout=2)

    def action_toggle_window(self) -> None:
        self.window = (self.window + 1) % len(WINDOWS)
        self.load_charts()

    def action_next_tab(self) -> None:
        cycle_tab(self.query_one(TabbedContent), 1)

    def action_previous_tab(self) -> None:
        cycle_tab(self.query_one(TabbedContent), -1)

    # -- content ------------------------------------------------------------------------------

    def refresh_data(self) -> None:
        fleet = self.monitor.fleet
        view = fleet.view(self.env)
        title = Text()
        title.append(f" {self.env} ", style=Style(bold=True, reverse=True))
        title.append(f"  {view.tier}  ")
        title.append_text(status_text(self.app, str(view.status), stale=view.stale))
        title.append(f"  {view.reason}", style=Style(dim=True))
        self.query_one("#detail-title", Static).update(title)
        self.query_one("#overview", Static).update(self._overview())
        self.query_one("#components-table", SyncTable).sync(
            ("Group", "Name", "Status", "Detail"), self._components()
        )
        self.query_one("#metrics-table", SyncTable).sync(("Metric", "Value"), self._metrics())
        self.query_one("#raw", Static).update(self._raw())

    def _overview(self) -> Text:
        fleet = self.monitor.fleet
        view = fleet.view(self.env)
        now = self.clock()
        text = Text()

        def line(label: str, value: object, style: Style | str = "") -> None:
            text.append(f"{label:<16}", style=Style(dim=True))
            text.append(f"{value if value not in (None, '') else '-'}\n", style=style)

        info = fleet.last_good(self.env, Endpoint.VERSION)
        version = (
            info.value
            if info is not None and isinstance(info.value, VersionInfo)
            else VersionInfo()
        )
        line("Status", view.status, status_style(self.app, str(view.status)))
        line("Reason", view.reason)
        line("Health from", view.health_source)
        line("Profile", view.profile or "not known yet (found on first contact)")
        line(
            "TLS",
            view.tls,
            status_style(self.app, "degraded") if view.tls == "not verified" else "",
        )
        line("Version", view.version)
        line("Build", version.build)
        line("Build tag", version.build_tag)
        line("Git commit", version.git_commit)
        line("Codename", version.codename)
        line("Reported env", version.environment)
        line("Deployed at", stamp_text(view.deployed_at))
        line("Deployed by", view.deployed_by)
        line("Artifact", version.artifact)
        line("Uptime", view.uptime)
        line(
            "Component score",
            f"{view.component_score:.0%}" if view.component_score is not None else None,
        )
        state, failures = self.monitor.circuit(self.env)
        line("Circuit", f"{state} ({failures} consecutive failures)")
        text.append("\nEndpoints\n", style=Style(bold=True))
        for endpoint in self.monitor.signals:
            result = fleet.latest(self.env, endpoint)
            if result is None:
                line(str(endpoint), "not polled yet")
                continue
            latency = f"{result.latency_ms:.0f} ms" if result.latency_ms is not None else "-"
            when = ago(result.ts, now)
            path = view.paths.get(str(endpoint))
            via = f"  ({path})" if path else ""
            if isinstance(result.value, NotOffered):
                line(str(endpoint), "not available from this environment", Style(dim=True))
            elif result.error is None:
                line(str(endpoint), f"ok  {latency}  {when}{via}")
            else:
                line(
                    str(endpoint),
                    f"{result.error.kind}: {result.error.reason}  ({when})",
                    status_style(self.app, "unreachable"),
                )
        health = fleet.last_good(self.env, Endpoint.HEALTH)
        if health is not None and isinstance(health.value, HealthSnapshot) and health.value.system:
            text.append("\nSystem\n", style=Style(bold=True))
            for key, value in health.value.system:
                line(key, value)
        return text

    def _components(self) -> list[tuple[str, list[Cell]]]:
        fleet = self.monitor.fleet
        rows: list[tuple[str, list[Cell]]] = []
        view = fleet.view(self.env)
        # The environment is failing now: these are the last answers read, dimmed and dated.
        old = view.shows_old_values
        dim = Style(dim=True) if old else Style()
        age = f" ({ago(view.last_good_at, self.clock())})" if old and view.last_good_at else ""

        def add(group: str, name: str, status: str | None, detail: str = "") -> None:
            word = status or "unknown"
            style = status_style(
                self.app,
                "unhealthy"
                if is_bad_state(word)
                else ("unknown" if word in ("unknown", "informational") else "healthy"),
            )
            rows.append(
                (
                    f"{group}:{name}",
                    [
                        Text(group, style=dim),
                        Text(name, style=dim),
                        Text(word + age, style=style + dim),
                        Text(detail, style=dim),
                    ],
                )
            )

        health = fleet.last_good(self.env, Endpoint.HEALTH)
        if health is not None and isinstance(health.value, HealthSnapshot):
            for component in health.value.components:
                details = []
                # The schema version first: at 80 columns the end of this column is cut off.
                if component.schema_version:
                    details.append(f"schema {component.schema_version}")
                if component.response_time_ms is not None:
                    details.append(f"{component.response_time_ms:.0f} ms")
                if component.connections is not None:
                    details.append(f"{component.connections:.0f} connections")
                if component.error:
                    details.append(component.error)
                if component.detail:
                    details.append(component.detail)
                add("health", component.name, component.status, ", ".join(details))
        components = fleet.last_good(self.env, Endpoint.COMPONENTS)
        if components is not None and isinstance(components.value, ComponentsStatus):
            value = components.value
            for part in value.parts:
                add(value.source, part.name, part.status, part.detail)
        if (
            components is not None
            and isinstance(components.value, ComponentsStatus)
            and not components.value.parts
        ):
            value = components.value
            loaded = (
                f"{value.orchestrator_components} components"
                if value.orchestrator_components is not None
                else ""
            )
            add("orchestrator", "ComponentOrchestrator", value.orchestrator_status, loaded)
            for item in value.entity_managers:
                add("entity manager", item.name, item.status)
            for item in value.services:
                add("service", item.name, item.status)
            detail = ", ".join(
                part
                for part in (
                    value.repositories_pattern,
                    f"{value.active_connections:.0f} connections"
                    if value.active_connections is not None
                    else "",
                )
                if part
            )
            add("repositories", "repositories", value.repositories_status, detail)
        latest = fleet.latest(self.env, Endpoint.COMPONENTS)
        if latest is not None and isinstance(latest.value, NotOffered):
            # The parts above came with health; a components endpoint there is none.
            note = latest.value.describe("component status")
            rows.append(("none", ["components", Text(note), Text(""), Text("")]))
        elif not rows:
            rows.append(("none", ["-", Text("no component data yet"), Text(""), Text("")]))
        return rows

    def _metrics(self) -> list[tuple[str, list[Cell]]]:
        fleet = self.monitor.fleet
        rows: list[tuple[str, list[Cell]]] = []
        for name, value in fleet.metrics(self.env).as_dict().items():
            rows.append((f"m:{name}", [name, "-" if value is None else f"{value:g}"]))
        prom = fleet.last_good(self.env, Endpoint.METRICS)
        if prom is not None and isinstance(prom.value, MetricsSnapshot):
            for index, sample in enumerate(prom.value.samples[:500]):
                labels = ",".join(f'{k}="{v}"' for k, v in sample.labels)
                label = f"{sample.name}{{{labels}}}" if labels else sample.name
                rows.append((f"p:{index}", [Text(label), f"{sample.value:g}"]))
        return rows

    def _raw(self) -> Text:
        text = Text()
        fleet = self.monitor.fleet
        paths = fleet.view(self.env).paths
        for endpoint in self.monitor.signals:
            result = fleet.latest(self.env, endpoint)
            good = fleet.last_good(self.env, endpoint)
            text.append(f"── {paths.get(str(endpoint), endpoint)} ", style=Style(bold=True))
            if result is None:
                text.append("(not polled yet)\n\n", style=Style(dim=True))
                continue
            shown = result if result.raw is not None else good
            if result.error is not None:
                text.append(
                    f"last error {stamp(result.ts)}: {result.error.kind}: {result.error.reason}\n",
                    style=status_style(self.app, "unreachable"),
                )
            if shown is None or shown.raw is None:
                text.append("(no body)\n\n", style=Style(dim=True))
                continue
            text.append(f"(body from {stamp(shown.ts)})\n", style=Style(dim=True))
            body = shown.raw
            with contextlib.suppress(ValueError):
                body = json.dumps(json.loads(body), indent=2, ensure_ascii=False)
            # The body is data: escapes stripped, rendered as plain Text (never as markup).
            text.append(clean_block(body, 32 * 1024) + "\n\n")
        return text

    # -- charts -------------------------------------------------------------------------------

    @work(group="detail-slo", exit_on_error=False, description="load the SLO view")
    async def load_slo(self) -> None:
        """Availability, P95 and error rate against the targets over 1 h, 24 h, 7 d and 30 d,
        each with how much of the window has data (a sliver is "not enough data", not MISSED)."""
        from umig_tui.analysis.trends import MIN_SLO_COVERAGE, VERDICT_TEXT
        from umig_tui.store.slo import SLO_WINDOWS, env_slo

        targets = self.monitor.config.slo
        self.query_one("#slo-targets", Static).update(
            Text(
                f"Targets: availability ≥ {targets.availability:.1%} · P95 ≤ {targets.response_time_p95_ms:.0f}ms"
                f" · error rate ≤ {targets.error_rate:.0%}   (error budget = 1 − availability target;"
                f" judged once {MIN_SLO_COVERAGE:.0%} of a window has data)"
            )
        )
        store = self.monitor.store
        rows: list[tuple[str, list[Cell]]] = []
        if store is None:
            rows = [
                (
                    "none",
                    [
                        Text("no history: " + (self.monitor.store_notice or "store disabled")),
                        "",
                        "",
                        "",
                        "",
                        "",
                    ],
                )
            ]
        else:
            now = self.clock()
            missed = status_style(self.app, "unhealthy")

            def cell(value: str, verdict: str) -> Text:
                if verdict == "no_data":
                    return Text(value)
                if verdict == "not_enough_data":  # the figure, without a judgement
                    return Text(value, style=Style(dim=True))
                return Text(
                    f"{value} {VERDICT_TEXT[verdict]}",
                    style=missed if verdict == "missed" else "",
                )

            for label, window in SLO_WINDOWS.items():
                report = await env_slo(store, self.env, targets, window=window, now=now)
                verdicts = report.verdicts()
                budget = report.budget_text(left=" left")
                rows.append(
                    (
                        label,
                        [
                            Text(label),
                            Text(
                                report.coverage_text(label),
                                style=Style() if report.enough_data else Style(dim=True),
                            ),
                            cell(
                                "-"
                                if report.availability is None
                                else f"{report.availability:.3%}",
                                verdicts["availability"],
                            ),
                            cell(
                                "-" if report.p95_ms is None else f"{report.p95_ms:.0f}ms",
                                verdicts["response_time_p95"],
                            ),
                            cell(
                                "-" if report.error_rate is None else f"{report.error_rate:.2%}",
                                verdicts["error_rate"],
                            ),
                            Text(budget, style=missed if budget == "exhausted" else ""),
                        ],
                    )
                )
        self.query_one("#slo-table", SyncTable).sync(
            ("Window", "Data", "Availability", "P95", "Error rate", "Error budget"), rows
        )

    @work(
        exclusive=True, group="detail-charts", exit_on_error=False, description="load chart history"
    )
    async def load_charts(self) -> None:
        from textual_plotext import PlotextPlot

        store = self.monitor.store
        label, span = WINDOWS[self.window]
        summary = Text(f"{label} — ", style=Style(bold=True))
        if store is None:
            summary.append("no history: " + (self.monitor.store_notice or "the store is disabled"))
            self.query_one("#chart-summary", Static).update(summary)
            return
        now = self.clock()
        for metric, title, scale in CHARTS:
            points = await series_points(store, self.env, metric, since=now - span, until=now)
            plot = self.query_one(f"#chart-{metric}", PlotextPlot)
            plt = plot.plt
            plt.clear_data()
            plt.clear_figure()
            plt.title(title)
            if points:
                xs = [(p.ts - now) / 60.0 for p in points]
                ys = [p.value * scale for p in points]
                plt.plot(xs, ys, marker="braille")
                plt.xlabel("minutes ago")
                values = ys
                summary.append(
                    f"{title}: min {min(values):.4g}  avg {sum(values) / len(values):.4g}  max {max(values):.4g}   "
                )
            else:
                summary.append(f"{title}: no samples   ")
            plot.refresh()
        self.query_one("#chart-summary", Static).update(summary)
