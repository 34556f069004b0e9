"""``/metrics`` over HTTP on the event loop (the fleet's state is read where it lives)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from umig_tui.export.prometheus import CONTENT_TYPE, ExportState, render
from umig_tui.httpserve import serve_simple


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
