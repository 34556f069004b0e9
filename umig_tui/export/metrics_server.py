"""``/metrics`` over HTTP on the event loop (the fleet's state is read where it lives)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from umig_tui.export.prometheus import CONTENT_TYPE, ExportState, render
from umig_tui.export.prometheus_source import ExportSource
from umig_tui.service.engine import Engine
from umig_tui.util.httpserve import serve_simple

log = logging.getLogger(__name__)

# Seconds between reads of the store for deploy watches other processes record in it.
WATCH_REFRESH = 5.0


class MetricsEndpoint:
    """``/metrics`` beside an Engine: started with it, closed with it."""

    def __init__(self, host: str, port: int, *, base_units: bool = False) -> None:
        self.host = host
        self.port = port
        self.base_units = base_units
        self.listening = False
        self.problem: str | None = None  # why it does not listen
        self._server: asyncio.Server | None = None
        self._refresh: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/metrics"

    async def start(self, engine: Engine) -> None:
        source = ExportSource(engine.monitor, engine.alerts, base_units=self.base_units)
        await source.load()
        if all(view.updated_at is None for view in engine.monitor.fleet.views()):
            # One cycle before /metrics opens: the first scrape sees the fleet, not an empty
            # page (which Prometheus would read as every series gone).
            await engine.monitor.poll_once()
        try:
            self._server = await start_metrics_server(self.host, self.port, source.state)
        except OSError as exc:
            self.problem = exc.strerror or str(exc)
            raise OSError(
                f"cannot serve /metrics on {self.host}:{self.port}: {exc.strerror}"
            ) from None
        self.listening = True
        self._refresh = asyncio.get_running_loop().create_task(self._refresh_loop(source))

    async def _refresh_loop(self, source: ExportSource) -> None:
        while True:
            await asyncio.sleep(WATCH_REFRESH)
            try:
                await source.refresh()
            except Exception:  # a store gone bad: /metrics keeps serving what it has
                log.warning("cannot read deploy watches from the store", exc_info=True)

    async def close(self) -> None:
        if self._refresh is not None:
            self._refresh.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._refresh
        if self._server is not None:
            self._server.close()


async def start_metrics_server(
    host: str, port: int, state: Callable[[], ExportState]
) -> asyncio.Server:
    def handle(method: str, target: str) -> tuple[int, list[tuple[str, str]], bytes]:
        path = target.split("?", 1)[0]
        if method not in ("GET", "HEAD"):
            return 405, [("content-type", "text/plain")], b"method not allowed\n"
        if path == "/metrics":
            return 200, [("content-type", CONTENT_TYPE)], render(state())
        if path == "/":
            return 200, [("content-type", "text/plain")], b"umig-tui: the fleet is at /metrics\n"
        return 404, [("content-type", "text/plain")], b"not found: try /metrics\n"

    return await serve_simple(host, port, handle)
