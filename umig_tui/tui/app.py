"""The dashboard: wiring only. Panels live in widgets/, screens in screens/, logic in the core."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from msgspec.structs import replace
from rich.text import Text
from textual import events, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.driver import Driver
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widgets import Input
from textual.worker import Worker

from umig_tui.analysis.alert_rules import AlertPhase
from umig_tui.config import Config
from umig_tui.models import EnvStatus
from umig_tui.service.monitor import Change, Monitor
from umig_tui.service.runtime import open_monitor
from umig_tui.tui.alert_notices import AlertNotices
from umig_tui.tui.commands import FleetCommands
from umig_tui.tui.deploy_watches import DeployWatches
from umig_tui.tui.messages import FleetChanged
from umig_tui.tui.panels import PANELS
from umig_tui.tui.terminal import exit_on_hangup, no_resume_after_hangup
from umig_tui.tui.theme_switcher import ThemeSwitcher
from umig_tui.tui.widgets.deployments import DeploymentsPanel
from umig_tui.tui.widgets.environments import EnvironmentsPanel, EnvTable
from umig_tui.tui.widgets.events import alert_key
from umig_tui.tui.widgets.filterbar import FilterBar
from umig_tui.tui.widgets.footer import KeyFooter
from umig_tui.tui.widgets.header import FleetHeader
from umig_tui.tui.widgets.panel import Panel
from umig_tui.tui.widgets.table import ROW_KEYS, SyncTable
from umig_tui.tui.workers import report_worker_error
from umig_tui.util import collector
from umig_tui.util.timefmt import toggle_utc, zone
from umig_tui.views.dashboard import DashboardData
from umig_tui.views.feed import DashboardFeed
from umig_tui.views.reasons import reason_line
from umig_tui.views.sorting import next_sort, sort_views

if TYPE_CHECKING:
    from umig_tui.service.engine import Engine, Extra

# Seconds: updates arriving faster are coalesced into one repaint. Once a second, like the
# header's clock: every repaint costs CPU and bytes on the link, whatever the fleet's size.
RENDER_EVERY = 1.0
# Seconds: a change after a quiet spell waits this long for the rest of its polling wave (the
# environments' polls fall on one grid), so one wave is one frame, not two.
RENDER_SETTLE = 0.2
# Columns: below this the bottom panels stack and the tables drop their wide columns.
NARROW_BELOW = 110
# Keys that act on the dashboard's panels: off while another screen is on top.
MAIN_SCREEN_ACTIONS = frozenset({"filter", "focus_panel", "clear_filter", "sort", "problem"})


class UmigApp(App[int]):
    CSS_PATH = "app.tcss"
    TITLE = "umig-tui"
    AUTO_FOCUS = "#env-table"
    COMMANDS = App.COMMANDS | {FleetCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark", "help", "Help", id="help", key_display="?"),
        # Quit and the next problem early: at 80 columns the footer cuts the last keys off.
        Binding("q", "quit", "Quit", id="quit"),
        Binding("n", "problem(1)", "Next problem", id="next-problem"),
        Binding("slash", "filter", "Filter", id="filter", key_display="/"),
        Binding("r", "refresh", "Refresh", id="refresh"),
        Binding("p", "pause", "Pause", id="pause"),
        Binding("d", "deploy", "Deploy watch", id="deploy"),
        Binding("a", "alerts", "Alerts", id="alerts"),
        Binding("h", "history", "History", id="history"),
        Binding("s", "snapshot", "Snapshot", id="snapshot"),
        Binding("o", "sort", "Sort", id="sort"),
        Binding("P", "promotion", "Promotion board", id="promotion", show=False),
        Binding("t", "cycle_theme", "Theme", id="theme"),
        Binding("N", "problem(-1)", "Previous problem", id="previous-problem", show=False),
        Binding("o", "sort", "Sort", id="sort"),
        Binding("c", "copy_row", "Copy row", id="copy-row", show=False),
        Binding("z", "toggle_utc", "UTC / local time", id="toggle-utc", show=False),
        Binding("escape", "clear_filter", "Clear filter", id="clear-filter", show=False),
        *[
            Binding(
                str(panel.number),
                f"focus_panel({panel.number})",
                panel.title,
                id=f"panel-{panel.number}",
                show=False,
            )
            for panel in PANELS
        ],
    ]

    def __init__(
        self,
        config: Config,
        *,
        environ: Mapping[str, str] | None = None,
        theme: str | None = None,
        use_store: bool = True,
        store_path: Path | None = None,
        simulator: object | None = None,
        clock: Callable[[], float] = time.time,
        poll: bool = True,
        keymap: Mapping[str, str] | None = None,
        bell: bool = True,
        metrics_port: int | None = None,
        demo_history: bool = True,
    ) -> None:
        super().__init__()
        self.config = config
        self.environ = environ
        self.use_store = use_store
        self.store_path = store_path
        self.simulator = simulator
        self.clock = clock
        self.poll = poll
        self.keymap_overrides = dict(keymap or {})
        self.monitor: Monitor | None = None
        self.feed: DashboardFeed | None = None
        self.filter_text = ""
        self.data: DashboardData | None = None
        self._panel_list: tuple[Panel, ...] = ()
        self._header_widget: FleetHeader | None = None
        self._last_render = 0.0
        self._render_pending = False
        self.themes = ThemeSwitcher(self)
        self.watches = DeployWatches(self, lambda: self.monitor, clock)
        self.bell_on_critical = bell and config.alerts.bell
        self.metrics_port = metrics_port
        self.demo_history = demo_history  # a demo store gets a week of history at first start
        self.engine: Engine | None = None
        self._source_notice: str | None = None
        self._change_posted = False  # a FleetChanged is on its way: the next result needs none
        self._alerts_notice: str | None = None
        # Said once the screen is up: what starting found (title, severity, seconds shown).
        self._start_notices: list[tuple[str, str, SeverityLevel, float]] = []
        # Before any CSS is read: the first parse uses the theme (tui/theme_switcher.py).
        for problem in self.themes.install(theme):
            self._start_notices.append((problem, "Theme", "warning", 8))

    def get_driver_class(self) -> type[Driver]:
        """Textual's driver for this terminal; on Linux one that writes each style change once
        (tui/terminal_output.py: about half the bytes over an SSH link)."""
        from umig_tui.tui.terminal_output import compacting

        return compacting(super().get_driver_class())

    def get_default_screen(self) -> Screen[None]:
        from umig_tui.tui.screens.main import MainScreen

        return MainScreen(id="_default")

    def compose(self) -> ComposeResult:
        yield FleetHeader(id="fleet-header")
        yield FilterBar()
        with VerticalScroll(id="main"):
            *full_width, left, right = PANELS
            for panel in full_width:
                yield panel(id=f"panel-{panel.number}")
            with Horizontal(classes="row"):
                yield left(id=f"panel-{left.number}")
                yield right(id=f"panel-{right.number}")
        yield KeyFooter(compact=True)

    def on_resize(self, event: events.Resize) -> None:
        # The event's size: self.size is still the old one while this runs, which left the
        # layout one resize behind. The main screen, even under a detail screen.
        if self.screen_stack:
            self.screen_stack[0].set_class(event.size.width < NARROW_BELOW, "-narrow")

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Every notification is plain text: messages carry alert summaries, deploy reasons and
        errors quoting what an endpoint said, and one stray ``[/]`` in them would be a crash
        (or a ``[@click=…]`` an action). Screens and widgets notify through here as well."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The filter and the panel keys act on the main screen: elsewhere they are off."""
        return not (action in MAIN_SCREEN_ACTIONS and len(self.screen_stack) > 1)

    # -- start and stop -------------------------------------------------------------------------

    async def on_load(self) -> None:
        """Open the monitor and read what the store holds before the screen is composed: the
        first frame then shows the fleet, instead of an empty layout drawn and drawn again."""
        self.monitor = await open_monitor(
            self.config,
            environ=self.environ,
            use_store=self.use_store,
            store_path=self.store_path,
            simulator=self.simulator,
            restore=True,
            clock=self.clock,  # one "now" everywhere: staleness agrees with the header's clock
        )
        self.feed = DashboardFeed(self.monitor)
        self.monitor.subscribe(self._on_change)
        await self.feed.load(self.clock())
        from umig_tui.service.engine import Engine

        self.engine = Engine(self.monitor, environ=self.environ, extras=self._extras())
        for notice in await self.engine.start():
            self._start_notices.append((notice, "Not running", "warning", 10))

    async def on_mount(self) -> None:
        # The collector (paused by the command line while the app is built) runs again once the
        # first frame is out: asked first, so nothing below can keep it off.
        self.call_after_refresh(collector.resume)
        self.screen.set_class(self.size.width < NARROW_BELOW, "-narrow")
        self.theme_changed_signal.subscribe(self, self._theme_changed)
        self.call_after_refresh(self.themes.remember)  # a --theme is the next start's too
        if self.keymap_overrides:
            known = {b.id for b in self.all_bindings() if b.id}
            unknown = sorted(set(self.keymap_overrides) - known)
            if unknown:
                self.notify(
                    f"[keys]: no binding with id {', '.join(unknown)}",
                    title="Config",
                    severity="warning",
                )
            self.set_keymap(self.keymap_overrides)
        assert self.monitor is not None
        assert self.engine is not None
        for message, title, severity, timeout in self._start_notices:
            self.notify(message, title=title, severity=severity, timeout=timeout)
        self._alerts_notice = self.engine.alerts.notice  # said above, if at all: not twice
        self.engine.alerts.subscribe(AlertNotices(self, bell=self.bell_on_critical))
        self.redraw()
        if self.config.demo:
            self._say_demo_scenario()
        if self.monitor.store_notice:
            self.notify(
                self.monitor.store_notice, title="No history", severity="warning", timeout=10
            )
        if self.monitor.limit_notice:
            self.notify(
                self.monitor.limit_notice, title="Open files", severity="warning", timeout=10
            )
        if self.poll:
            # After the first frame: the first request loads the HTTP stack (httpx, h11, the
            # lean transport: ~40 ms), which the first frame does not need.
            self.call_after_refresh(self._start_loops)
        if self.config.demo and self.demo_history and self.monitor.store is not None:
            self._seed_demo_history()
        self.set_interval(1.0, self._tick)
        # A panel scrolled into view shows what it kept while out of it (tui/widgets/panel.py).
        self.watch(self.query_one("#main"), "scroll_y", self._scrolled, init=False)
        exit_on_hangup(self.exit)
        if not self.is_headless:
            no_resume_after_hangup()

    def _say_demo_scenario(self) -> None:
        """What the demo fleet plays (its drift and alerts are meant): the DEMO badge's help
        (hover) and a note at start, so nobody takes the story for a bug in the monitor."""
        from umig_tui.demo.scenarios import SCENARIOS

        scenario = SCENARIOS.get(str(getattr(self.simulator, "scenario", "default")))
        if scenario is not None:
            self.query_one(FleetHeader).tooltip = f"DEMO ({scenario.name}): {scenario.description}"
            self.notify(scenario.description, title=f"Demo fleet: {scenario.name}", timeout=12)

    def _seed_demo_history(self) -> None:
        """A week of metric history in a new demo store, so trends, arrows and SLO windows have
        something to show: once per store, after the first frame (it takes a second or two)."""
        from umig_tui.demo.history import ensure_demo_metric_history

        assert self.monitor is not None
        assert self.monitor.store is not None
        self.run_worker(
            ensure_demo_metric_history(
                self.monitor.store,
                [env.name for env in self.config.environments],
                now=self.clock(),
                recent_step=self.config.polling.health,
            ),
            group="demo-history",
            description="demo: a week of metric history",
            exit_on_error=False,
        )

    def _extras(self) -> list[Extra]:
        if self.metrics_port is None:
            return []
        from umig_tui.export.metrics_server import MetricsEndpoint

        endpoint = MetricsEndpoint("127.0.0.1", self.metrics_port)
        self._start_notices.append((f"serving {endpoint.url}", "Metrics", "information", 4))
        return [endpoint]

    def _start_loops(self) -> None:
        if self.engine is not None and self.is_running:
            for name in self.engine.loop_names():
                self._start_loop(name)

    def _start_loop(self, name: str) -> None:
        from umig_tui.service.engine import POLL

        assert self.engine is not None
        self.run_worker(
            self.engine.loop(name),
            name=name,
            group="engine",
            description=f"polling {name.removeprefix(POLL)}" if name.startswith(POLL) else name,
            exit_on_error=False,
        )

    async def on_unmount(self) -> None:
        if self.engine is not None:
            await self.engine.close()
        if self.monitor is not None:
            await self.monitor.aclose()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one error handler: a crashed worker becomes a notification, never an exit; a
        polling loop that crashed starts again after five seconds."""
        if report_worker_error(self, event) and event.worker.group == "engine":
            self.set_timer(5.0, partial(self._start_loop, event.worker.name))

    # -- updates --------------------------------------------------------------------------------

    def _on_change(self, change: Change) -> None:
        """Called for every applied result (in the polling worker): record, then coalesce."""
        if self.feed is not None:
            self.feed.on_change(change)
        if not self._change_posted:  # one message until it is handled, not one per result
            self._change_posted = True
            self.post_message(FleetChanged())

    def on_fleet_changed(self, message: FleetChanged) -> None:
        self._change_posted = False
        if message.urgent:
            self.redraw()
        elif not self._render_pending:
            elapsed = time.monotonic() - self._last_render
            self._render_pending = True
            self.set_timer(max(RENDER_SETTLE, RENDER_EVERY - elapsed), self.redraw)

    @property
    def repaint_pending(self) -> bool:
        """A coalesced repaint is due (changes arrived since the last frame)."""
        return self._render_pending

    def redraw(self) -> None:
        """Draw every panel from the fleet now (updates otherwise coalesce to one a second)."""
        self._render_pending = False
        self._last_render = time.monotonic()
        # Not while shutting down: a coalesced render due then finds the widgets already gone.
        if self.feed is None or not self.is_running:
            return
        alerts = self.engine.alerts if self.engine is not None else None
        data = self.feed.build(
            now=self.clock(),
            filter_text=self.filter_text,
            watches=self.watches.states,
            alerts=alerts.alerts() if alerts is not None else (),
            trends=alerts.trends() if alerts is not None else None,
            silenced=alerts.silenced() if alerts is not None else None,
        )
        self.data = data
        if data.source_notice and data.source_notice != self._source_notice:
            self.notify(data.source_notice, title="Prometheus", severity="error", timeout=15)
        self._source_notice = data.source_notice
        alerts_notice = alerts.notice if alerts is not None else None
        if alerts_notice and alerts_notice != self._alerts_notice:  # Alertmanager went away
            self.notify(alerts_notice, title="Alertmanager", severity="warning", timeout=15)
        self._alerts_notice = alerts_notice
        self._header().data = data
        for panel in self._panels():
            panel.data = data
        # This frame's layout may bring a panel into view (a filter shrank panel 1).
        self.call_after_refresh(self._catch_up_panels)
        # Not before it is mounted: a repaint due as Enter pushed it finds no widgets yet.
        refresh_data = getattr(self.screen, "refresh_data", None)  # an environment's detail
        if refresh_data is not None and self.screen.is_mounted:
            refresh_data()

    def _tick(self) -> None:
        # A coalesced render is due within the second and redraws the header with it.
        if self.data is not None and self.is_running and not self._render_pending:
            self._header().data = replace(self.data, now=self.clock())
            self._catch_up_panels()  # in view by any other way (a resize, a maximize)

    def _scrolled(self) -> None:
        self.call_after_refresh(self._catch_up_panels)  # once the layout has the new offset

    def _catch_up_panels(self) -> None:
        if self.is_running:
            for panel in self._panels():
                panel.catch_up()

    def _header(self) -> FleetHeader:
        """The header, found once (``query_one`` walks the tree, and the clock asks every
        second)."""
        header = self._header_widget
        if header is None or not header.is_attached:
            header = self._header_widget = self.query_one(FleetHeader)
        return header

    def _panels(self) -> tuple[Panel, ...]:
        """The dashboard's panels while its screen is the one shown (as ``self.query(Panel)``
        finds them, without walking the whole tree each second: they are composed once)."""
        main = self.screen_stack[0] if self.screen_stack else None
        if main is None or self.screen is not main:
            return ()
        if not self._panel_list:
            self._panel_list = tuple(main.query(Panel))
        return self._panel_list

    # -- actions --------------------------------------------------------------------------------

    def help_sections(self) -> list[tuple[str, list[BindingType]]]:
        """Every key of the app, its panels and screens, grouped where they apply."""
        # The screens load when first needed, not before the first frame.
        from umig_tui.tui.screens.alert_detail import AlertDetailScreen
        from umig_tui.tui.screens.alerts import AlertLogScreen
        from umig_tui.tui.screens.confirm import ConfirmQuit
        from umig_tui.tui.screens.deploy_dialog import DeployDialog
        from umig_tui.tui.screens.detail import EnvDetailScreen
        from umig_tui.tui.screens.help import HelpScreen
        from umig_tui.tui.screens.history import HistoryScreen
        from umig_tui.tui.screens.promotion import PromotionScreen
        from umig_tui.tui.screens.silence_dialog import SilenceDialog
        from umig_tui.tui.screens.snapshot import SnapshotScreen
        from umig_tui.tui.screens.watch_detail import WatchDetailScreen

        return [
            (
                "Everywhere",
                [
                    *self.BINDINGS,
                    Binding("ctrl+p", "command_palette", "Command palette", id="palette"),
                ],
            ),
            ("Environments table", list(EnvTable.BINDINGS)),
            ("Every table and list", list(ROW_KEYS)),
            ("Deployments panel", list(DeploymentsPanel.BINDINGS)),
            ("Deploy watch detail", list(WatchDetailScreen.BINDINGS)),
            ("Quit with a watch running", list(ConfirmQuit.BINDINGS)),
            ("Filter", list(FilterBar.BINDINGS)),
            ("Environment detail", list(EnvDetailScreen.BINDINGS)),
            ("History", list(HistoryScreen.BINDINGS)),
            ("Alert log", list(AlertLogScreen.BINDINGS)),
            ("Snapshot", list(SnapshotScreen.BINDINGS)),
            ("Help", list(HelpScreen.ALL_BINDINGS)),
            ("Promotion board", list(PromotionScreen.BINDINGS)),
            ("Alert detail", list(AlertDetailScreen.BINDINGS)),
            ("Silence an alert", list(SilenceDialog.BINDINGS)),
            ("Deploy watch dialog", list(DeployDialog.BINDINGS)),
        ]

    def all_bindings(self) -> list[Binding]:
        return [b for _, items in self.help_sections() for b in items if isinstance(b, Binding)]

    def action_help(self) -> None:
        from umig_tui.tui.screens.help import HelpScreen

        self.push_screen(
            HelpScreen(self.help_sections(), [(p.number, p.title, p.help) for p in PANELS])
        )

    def action_deploy(self) -> None:
        if self.monitor is None:
            return
        from umig_tui.deploy.suggest import suggest_expected
        from umig_tui.tui.screens.deploy_dialog import DeployDialog

        env = self.selected_env() or self.config.environments[0].name
        suggestion = suggest_expected(self.config, self.monitor.fleet, env)
        self.push_screen(DeployDialog(env, suggestion), self.watches.start)

    def action_promotion(self) -> None:
        from umig_tui.tui.screens.promotion import PromotionScreen

        if self.monitor is not None:
            self.push_screen(PromotionScreen(self.monitor, self.clock))

    def action_history(self) -> None:
        from umig_tui.tui.screens.history import HistoryScreen

        if self.monitor is not None:
            self.push_screen(HistoryScreen(self.monitor, self.clock()))

    def action_alerts(self) -> None:
        from umig_tui.tui.screens.alerts import AlertLogScreen

        if self.monitor is not None:
            alerts = self.engine.alerts if self.engine is not None else None
            self.push_screen(AlertLogScreen(self.monitor, alerts, self.clock))

    @work(exclusive=True, group="snapshot", exit_on_error=False, description="incident snapshot")
    async def action_snapshot(self) -> None:
        from umig_tui.export.collect import gather_snapshot
        from umig_tui.export.snapshot import render_snapshot
        from umig_tui.tui.screens.snapshot import SnapshotScreen
        from umig_tui.util.ui_state import save_snapshot

        if self.monitor is None:
            return
        now = self.clock()
        markdown = render_snapshot(
            await gather_snapshot(
                self.monitor, self.engine.alerts if self.engine else None, now=now
            )
        )
        self.copy_to_clipboard(markdown)
        saved = await asyncio.to_thread(save_snapshot, markdown, now)
        self.push_screen(SnapshotScreen(markdown, saved))

    def action_filter(self) -> None:
        self.query_one(FilterBar).open()

    def on_input_changed(self, event: Input.Changed) -> None:
        if isinstance(event.input, FilterBar):
            self.filter_text = event.value.strip()
            self.redraw()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if isinstance(event.input, FilterBar):
            self.query_one(EnvTable).focus()

    def action_refresh(self) -> None:
        if self.monitor is None:
            return
        env = self.selected_env() if isinstance(self.focused, EnvTable) else None
        self.monitor.refresh(env)
        self.notify(f"Refreshing {env or 'every environment'}", timeout=2)

    def action_pause(self) -> None:
        if self.monitor is None:
            return
        if self.monitor.paused:
            self.monitor.resume()
            self.notify("Polling resumed", timeout=2)
        else:
            self.monitor.pause()
            self.notify("Polling paused: data will go stale until you press p again", timeout=4)
        self.redraw()

    def action_copy_row(self) -> None:
        """``c``: the focused table's selected row as text; for an environment, its whole
        reason too (OSC 52 and a file: the message says which arrived)."""
        from umig_tui.tui.clipboard import copy_out, sentence

        table = self.focused if isinstance(self.focused, SyncTable) else self.query_one(EnvTable)
        key = table.selected_key
        if key is None or self.data is None:
            self.notify("Nothing selected to copy", timeout=3)
            return
        cells = table.get_row(key)
        text = "\t".join(c.plain if isinstance(c, Text) else str(c) for c in cells)
        view = next((v for v in self.data.views if v.name == key), None)
        if table.id == "env-table" and view is not None:
            text += "\n" + reason_line(view, self.data.now)
        self.notify(sentence(copy_out(self, text, name=f"row-{key}")), title="Copy", timeout=8)

    async def action_quit(self) -> None:
        """``q`` (and ctrl+q): with a deploy watch running, ask first; the watches then end
        recorded as interrupted, as Ctrl-C does in ``deploy watch``."""
        from umig_tui.tui.screens.confirm import ConfirmQuit

        if isinstance(self.screen, ConfirmQuit):
            return  # already asking: a second `q` is no answer
        running = self.watches.running()
        if not running:
            self.exit()
            return

        async def answered(quit_: bool | None) -> None:
            if quit_:
                await self.watches.stop_all("watch interrupted (dashboard quit)")
                self.exit()

        self.push_screen(ConfirmQuit(running), answered)

    def on_deployments_panel_open_watch(self, message: DeploymentsPanel.OpenWatch) -> None:
        """Enter on a watch in panel 4: its detail (stages, outage, gates), live."""
        from umig_tui.tui.screens.watch_detail import WatchDetailScreen

        self.push_screen(WatchDetailScreen(message.env, self.watches))

    def action_help_quit(self) -> None:
        """Ctrl+C: Textual's own message is markup, which notify shows as it is."""
        keys = [b.key_display or b.key for b in self.all_bindings() if b.action == "quit"]
        self.notify(f"Press {' or '.join(keys) or 'q'} to quit", title="Do you want to quit?")

    def action_clear_filter(self) -> None:
        """Esc on the dashboard: a kept filter goes (the filter bar's own Esc does it while open)."""
        if self.filter_text:
            self.query_one(FilterBar).action_close()
            self.filter_text = ""
            self.redraw()

    def action_sort(self) -> None:
        panel = self.query_one(EnvironmentsPanel)
        panel.row_order = next_sort(panel.row_order)
        if self.data is not None:
            panel.show(self.data)
        self.notify(f"Environments sorted by {panel.row_order}", timeout=2)

    def action_problem(self, step: int) -> None:
        """``n`` / ``N``: the next / previous problem: an environment not healthy (or stale),
        then a firing or pending alert, in the order the panels show them."""
        if self._render_pending:
            self.redraw()  # jump to what is true now, not to the frame a second ago
        if self.data is None:
            return
        panel = self.query_one(EnvironmentsPanel)
        views = sort_views(self.data.views, panel.row_order, self.data.now)
        # Worst first: environments in trouble, then alerts, then environments only stale.
        problems = [("#env-table", v.name) for v in views if v.status is not EnvStatus.HEALTHY]
        problems += [
            ("#events-table", alert_key(a))
            for a in self.data.alerts
            if a.phase is not AlertPhase.RESOLVED
        ]
        problems += [
            ("#env-table", v.name) for v in views if v.status is EnvStatus.HEALTHY and v.stale
        ]
        if not problems:
            self.notify("No problem: every environment healthy, no alert firing", timeout=3)
            return
        focused = self.focused
        here = (
            ("#" + focused.id, focused.selected_key)
            if isinstance(focused, SyncTable) and focused.id
            else None
        )
        index = problems.index(here) + step if here in problems else (0 if step > 0 else -1)
        table_id, key = problems[index % len(problems)]
        table = self.query_one(table_id, SyncTable)
        table.focus()
        table.select_key(key)
        table.scroll_visible()

    def action_focus_panel(self, number: int) -> None:
        for panel in self.query(Panel):
            if panel.number == number:
                panel.focus_content()

    def selected_env(self) -> str | None:
        return self.query_one(EnvironmentsPanel).selected

    def on_data_table_row_selected(self, event: EnvTable.RowSelected) -> None:
        key = event.row_key.value
        if isinstance(event.data_table, EnvTable) and key:
            self.open_detail(key)
        elif event.data_table.id == "events-table" and key:
            self.open_alert(key)

    def open_alert(self, row_key: str) -> None:
        """Enter on an alert of panel 5: its detail (rule, value against threshold, since,
        transitions) where it can be silenced. Looked up by row key: names may hold ':'."""
        from umig_tui.tui.screens.alert_detail import AlertDetailScreen

        if self.engine is None:
            return
        for alert in self.engine.alerts.alerts():
            if alert_key(alert) == row_key:
                self.push_screen(
                    AlertDetailScreen(self.engine.alerts, alert.rule, alert.env, clock=self.clock)
                )
                return

    def action_toggle_utc(self) -> None:
        utc = toggle_utc()
        zone_name = "UTC" if utc else f"local time ({zone(self.clock())})"
        self.notify(f"Times in {zone_name}", timeout=3)
        self.redraw()

    def open_detail(self, env: str) -> None:
        from umig_tui.tui.screens.detail import EnvDetailScreen

        if self.monitor is not None:
            self.push_screen(EnvDetailScreen(env, self.monitor, clock=self.clock))

    # -- themes ---------------------------------------------------------------------------------

    def _theme_changed(self, _theme: object) -> None:
        self.themes.remember()
        self.redraw()

    def action_cycle_theme(self) -> None:
        self.notify(f"Theme: {self.themes.cycle()}", timeout=2)

    def refresh_env(self, env: str | None) -> None:
        if self.monitor is not None:
            self.monitor.refresh(env)
