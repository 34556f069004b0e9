"""The simulator in-process: an httpx transport, so ``--demo`` needs no ports."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from urllib.parse import unquote

import httpx

from umig_tui.demo.simulator import Simulator


class _Body(httpx.AsyncByteStream):
    def __init__(self, body: bytes, *, truncate: bool, chunk: int = 65536) -> None:
        self.body = body
        self.truncate = truncate
        self.chunk = chunk

    async def __aiter__(self) -> AsyncIterator[bytes]:
        data = self.body[: len(self.body) // 2] if self.truncate else self.body
        for start in range(0, len(data), self.chunk):
            yield data[start : start + self.chunk]
        if self.truncate:
            raise httpx.RemoteProtocolError(
                "peer closed connection without sending complete message body"
            )


class SimulatorTransport(httpx.AsyncBaseTransport):
    """Answers ``http://<anything>/<env>/<api path>`` from a Simulator."""

    def __init__(self, simulator: Simulator) -> None:
        self.simulator = simulator

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        path = unquote(request.url.path)
        env, _, rest = path.lstrip("/").partition("/")
        answer = self.simulator.respond(env, "/" + rest)
        if answer.action == "refused":
            raise httpx.ConnectError("[Errno 111] Connection refused", request=request)
        if answer.action == "reset":
            raise httpx.ReadError("[Errno 104] Connection reset by peer", request=request)
        if answer.action == "hang":
            await asyncio.sleep(3600)
        if answer.delay:
            await asyncio.sleep(answer.delay)
        headers = list(answer.headers)
        truncate = answer.action == "truncate"
        if not answer.chunked:
            headers.append(("content-length", str(len(answer.body))))
        return httpx.Response(
            answer.status,
            headers=headers,
            stream=_Body(answer.body, truncate=truncate),
            request=request,
        )
