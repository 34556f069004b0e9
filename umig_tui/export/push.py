"""The fleet pushed to a Prometheus Pushgateway, as seed 001's export_prometheus_metrics does
(``POST /metrics/job/umig-deployment-tracking``: pushadd, the group's other series kept).

prometheus_client's push functions speak urllib (blocking): the state is taken on the event
loop, then rendered and sent on a thread, so polling never waits for the gateway.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import urllib.error
from typing import TYPE_CHECKING

from prometheus_client.exposition import pushadd_to_gateway
from prometheus_client.registry import CollectorRegistry

from umig_tui.export.prometheus import ExportState, FleetCollector
from umig_tui.export.prometheus_source import ExportSource
from umig_tui.util.sanitize import clean_text

if TYPE_CHECKING:
    from umig_tui.service.engine import Engine

log = logging.getLogger(__name__)

JOB = "umig-deployment-tracking"  # seed 001's job name


class PushError(Exception):
    """The gateway could not be reached or refused the push (one line, no secret)."""


def group_url(gateway: str) -> str:
    return f"{gateway.rstrip('/')}/metrics/job/{JOB}"


def push_state(gateway: str, state: ExportState, *, timeout: float) -> None:
    """One ``POST`` of ``state`` to ``gateway`` (blocking); PushError when it did not land."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(FleetCollector(lambda: state))
    try:
        pushadd_to_gateway(gateway, job=JOB, registry=registry, timeout=timeout)
    except urllib.error.HTTPError as exc:
        raise PushError(f"HTTP {exc.code} {clean_text(str(exc.reason), 80)}") from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        text = reason.strerror if isinstance(reason, OSError) and reason.strerror else reason
        raise PushError(clean_text(str(text), 120)) from None
    except (OSError, ValueError) as exc:  # a timeout, a reset, a URL urllib cannot use
        raise PushError(clean_text(str(exc) or type(exc).__name__, 120)) from None


class Pusher:
    """Beside an Engine (``[notify] pushgateway``): pushes the fleet every health interval and
    once more on the way out; a gateway that is down is said once, and again when it is back."""

    def __init__(self, gateway: str, *, timeout: float, base_units: bool = False) -> None:
        self.gateway = gateway
        self.timeout = timeout
        self.base_units = base_units
        self.pushed = 0
        self.problem: str | None = None  # the last push's failure; None: it landed
        self._source: ExportSource | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self, engine: Engine) -> None:
        self._source = ExportSource(engine.monitor, engine.alerts, base_units=self.base_units)
        await self._source.load()
        interval = max(1.0, engine.monitor.config.polling.health)
        self._task = asyncio.get_running_loop().create_task(self._loop(interval))

    async def push(self) -> None:
        """One push now; the outcome in ``problem`` and on stderr when it changes."""
        if self._source is None:
            return
        try:
            state = self._source.state()  # taken here, on the loop; sent on a thread
            await asyncio.to_thread(push_state, self.gateway, state, timeout=self.timeout)
        except PushError as exc:
            if self.problem is None:
                say(f"cannot push to {group_url(self.gateway)}: {exc} (retrying every cycle)")
            self.problem = str(exc)
            return
        if self.problem is not None:
            say(f"pushing to {group_url(self.gateway)} again")
        self.problem = None
        self.pushed += 1

    async def _loop(self, interval: float) -> None:
        while True:
            await self.push()
            await asyncio.sleep(interval)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            if self.pushed or self.problem:  # it ran: the last state, not an older one
                await self.push()


def say(text: str) -> None:
    print(f"umig-tui: {text}", file=sys.stderr, flush=True)
