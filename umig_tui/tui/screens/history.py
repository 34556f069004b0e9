"""`h`: the timeline per environment (deploys, rollbacks, status flips, alerts) and the summary."""

from __future__ import annotations

from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Input, Static, TabbedContent, TabPane

from umig_tui.deploy.timeline import History, load_history
from umig_tui.events import Event, EventKind
from umig_tui.service.monitor import Monitor
from umig_tui.tui.colors import severity_style, status_style
from umig_tui.tui.widgets.footer import KeyFooter
from umig_tui.tui.widgets.search import SearchBox, matching_rows
from umig_tui.tui.widgets.table import Cell, SyncTable
from umig_tui.tui.widgets.tabs import cycle_tab
from umig_tui.tui.workers import WorkerScreen
from umig_tui.util.timefmt import stamp

DAYS = 30


class HistoryScreen(WorkerScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back (clears a search first)", id="history-back"),
        Binding("r", "reload", "Reload", id="history-reload"),
        Binding("slash", "search", "Search", id="history-search", key_display="/"),
        Binding(
            "right_square_bracket", "next_tab", "Next tab", id="history-next-tab", key_display="]"
        ),
        Binding(
            "left_square_bracket",
            "previous_tab",
            "Prev tab",
            id="history-prev-tab",
            key_display="[",
        ),
    ]

    def __init__(self, monitor: Monitor, now: float) -> None:
        super().__init__()
        self.monitor = monitor
        self.now = now
        # Every table's rows before the search, so typing filters without reloading.
        self.rows: dict[str, list[tuple[str, list[Cell]]]] = {}

    def compose(self) -> ComposeResult:
        yield Static("loading history…", id="history-summary")
        yield SearchBox("search: type to filter every tab, esc clears", id="history-search-box")
        with TabbedContent(id="history-tabs"):
            with TabPane("All", id="history-all"):
                yield SyncTable(id="timeline-all")
            for env in self.monitor.config.environments:
                with TabPane(env.name, id=f"history-{env.name}"):
                    yield SyncTable(id=f"timeline-{env.name}")
        yield KeyFooter(compact=True)

    def on_mount(self) -> None:
        self.action_reload()

    def action_reload(self) -> None:
        self.load()

    # -- tabs and search ----------------------------------------------------------------------

    def action_next_tab(self) -> None:
        cycle_tab(self.query_one(TabbedContent), 1)

    def action_previous_tab(self) -> None:
        cycle_tab(self.query_one(TabbedContent), -1)

    def action_search(self) -> None:
        self.query_one(SearchBox).open()

    def action_back(self) -> None:
        """Escape: first out of the search (clearing it), then back to the dashboard."""
        if self.query_one(SearchBox).close():
            self._focus_table()
            return
        self.app.pop_screen()

    def _focus_table(self) -> None:
        tabs = self.query_one(TabbedContent)
        if tabs.active:
            for table in tabs.get_pane(tabs.active).query(SyncTable):
                table.focus()

    @on(Input.Changed, "#history-search-box")
    def search_changed(self) -> None:
        self.show_rows()

    @on(Input.Submitted, "#history-search-box")
    def search_done(self) -> None:
        """Enter: keep the search and go back to the rows (escape clears it)."""
        self._focus_table()

    def show_rows(self) -> None:
        """Every table, with only the rows whose text holds the search (any case)."""
        needle = self.query_one(SearchBox).needle
        for name, rows in self.rows.items():
            shown = matching_rows(rows, needle, 4)
            self.query_one(f"#timeline-{name}", SyncTable).sync(
                ("When", "Environment", "What", "Detail"), shown
            )

    @work(exclusive=True, group="history", exit_on_error=False, description="load the timeline")
    async def load(self) -> None:
        since = self.now - DAYS * 86400
        store = self.monitor.store
        events = await store.events(since=since, limit=5000) if store is not None else []
        file = self.monitor.config.history_file
        try:
            deployments = await load_history(store, file, since=since)
        except OSError as exc:
            self.notify(f"cannot read {file}: {exc}", severity="warning")
            deployments = await load_history(store, None, since=since)
        self.show(deployments, events)

    def show(self, history: History, events: list[Event]) -> None:
        summary = history.summary
        text = Text(
            f"Last {DAYS} days — deployments {summary.total}, successful {summary.successful}, "
            f"failed {summary.failed}, rollbacks {summary.rollbacks}"
        )
        if summary.success_rate is not None:
            text.append(f", success rate {summary.success_rate:.0%}")
        if history.malformed:
            text.append(
                f"  ({history.malformed} malformed history lines skipped)", style=Style(dim=True)
            )
        if self.monitor.store is None:
            text.append(
                "  — no store: " + (self.monitor.store_notice or "history disabled"),
                style=Style(dim=True),
            )
        self.query_one("#history-summary", Static).update(text)
        rows: list[tuple[float, str, str, Text, str]] = []
        for entry in history.entries:
            label = f"{entry.type} {entry.version or ''} {entry.status or ''}".strip()
            style = (
                severity_style(self.app, "HIGH")
                if entry.type in ("deployment_failure", "rollback")
                else Style()
            )
            rows.append(
                (
                    entry.ts,
                    entry.environment,
                    entry.type.replace("deployment_", "deploy "),
                    Text(label, style=style),
                    entry.id,
                )
            )
        for event in events:
            if event.kind in (EventKind.DEPLOYMENT, EventKind.ROLLBACK):
                continue
            style = (
                status_style(self.app, event.status_change.after)
                if event.status_change is not None
                else Style()
            )
            rows.append(
                (
                    event.ts,
                    event.env or "-",
                    str(event.kind).replace("_", " "),
                    Text(event.summary, style=style),
                    f"e{event.id}",
                )
            )
        rows.sort(key=lambda row: row[0], reverse=True)
        tables = {"all": rows}
        for env in self.monitor.config.environments:
            tables[env.name] = [row for row in rows if row[1] == env.name]
        for name, selected in tables.items():
            cells: list[tuple[str, list[Cell]]] = [
                (f"{key}:{index}", [stamp(ts), env, kind, what])
                for index, (ts, env, kind, what, key) in enumerate(selected)
            ] or [("none", ["-", "-", "-", Text("nothing recorded yet")])]
            self.rows[name] = cells
        self.show_rows()
