"""Panel 2: the env × component version matrix, cells coloured by the worst finding."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult

from umig_tui.analysis.drift import DriftFinding, DriftKind, worst_by_cell
from umig_tui.analysis.versions import DiffLevel, version_difference
from umig_tui.models import COMPONENT_KEYS, EnvStatus
from umig_tui.tui.colors import severity_style
from umig_tui.tui.widgets.panel import Panel
from umig_tui.tui.widgets.table import Cell, SyncTable
from umig_tui.views.dashboard import DashboardData

_REFERENCE = {
    DriftKind.EXPECTED_MISMATCH: "expected {}",
    DriftKind.COMPONENT_DRIFT: "app {}",
    DriftKind.MAJOR_MISMATCH: "fleet major {}",
    DriftKind.BEHIND_PRODUCTION: "behind production {}",
    DriftKind.PROMOTION_ORDER: "production ahead at {}",
    DriftKind.PRODUCTION_MISMATCH: "production {}",
    DriftKind.SCHEMA_DRIFT: "{}",
}


def reference(finding: DriftFinding) -> str:
    """What the actual version is compared with, short enough for 80 columns."""
    return _REFERENCE.get(finding.kind, "{}").format(finding.expected or "?")


class DriftPanel(Panel):
    number = 2
    title = "Version drift"
    help = "Versions per environment and component; coloured cells have findings (listed below)."

    def compose(self) -> ComposeResult:
        yield SyncTable(id="drift-matrix")
        yield SyncTable(id="drift-findings")

    _shown: object = None

    def show(self, data: DashboardData) -> None:
        # Versions change at deploys; comparing them costs far less than laying them out.
        down = tuple(v.name for v in data.views if v.status is EnvStatus.UNREACHABLE)
        key = (
            data.matrix,
            data.findings,
            data.hidden_findings,
            data.unreadable,
            down,
            self.app.theme,
            self.size.width,
        )
        if key == self._shown:
            return
        self._shown = key
        cells = worst_by_cell(data.findings)
        rows: list[tuple[str, list[Cell]]] = []
        for env, row in data.matrix.items():
            line: list[Cell] = [Text(env, style="bold")]
            for component in COMPONENT_KEYS:
                severity = cells.get((env, component))
                style = severity_style(self.app, str(severity)) if severity else ""
                value = row.get(component)
                # UI and backend normally carry the app's version: "=" says so and keeps drift visible.
                same = (
                    component in ("ui", "backend")
                    and version_difference(value, row.get("umig")) is DiffLevel.NONE
                )
                line.append(Text("=" if same and severity is None else (value or "-"), style=style))
            rows.append((env, line))
        self.query_one("#drift-matrix", SyncTable).sync(("Environment", *COMPONENT_KEYS), rows)
        findings: list[tuple[str, list[Cell]]] = [
            (
                f"{i}",
                [
                    Text(str(f.severity), style=severity_style(self.app, str(f.severity))),
                    f.environment,
                    f.component,
                    Text(f.actual or "-"),
                    Text(reference(f)),
                ],
            )
            for i, f in enumerate(data.findings)
        ]
        readable = len(data.matrix) - len(data.unreadable)
        for env, why in data.unreadable.items():
            # Drift cannot see what it could not read: say so, never "every environment agrees".
            findings.append((f"unreadable:{env}", [Text("?"), env, "umig", Text("-"), Text(why)]))
        if not findings and data.hidden_findings:
            # The filter hides them: agreement among the rows shown says nothing of the fleet.
            note = f"none among those shown; {data.hidden_findings} hidden by the filter"
            findings = [("hidden", [Text("-"), "", "", Text("-"), Text(note)])]
        elif not findings and down:
            # Their versions are the last ones read: agreement now is not known.
            note = f"no drift in the last known versions; unreachable now: {', '.join(down)}"
            findings = [("none", [Text("-"), "", "", Text("-"), Text(note)])]
        elif not findings:
            findings = [
                ("none", [Text("-"), "", "", Text("-"), Text("no drift: every environment agrees")])
            ]
        elif not data.findings and readable < 2:
            findings.insert(
                0,
                (
                    "cannot",
                    [Text("?"), "", "", Text("-"), Text("cannot compare: fewer than two readable")],
                ),
            )
        self.query_one("#drift-findings", SyncTable).sync(
            ("Severity", "Environment", "Component", "Actual", "Against"), findings
        )
        worst = data.findings[0].severity if data.findings else None
        self.set_subtitle(f"{len(data.findings)} findings, worst {worst}" if worst else "")
