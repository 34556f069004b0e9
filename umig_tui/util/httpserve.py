"""Small HTTP/1.1 serving pieces on asyncio + h11, shared by the demo server and /metrics."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator, Sequence
from http import HTTPStatus
from typing import Any

import h11

CHUNK = 65536


async def read_request(
    conn: h11.Connection, reader: asyncio.StreamReader, *, max_body: int = 64 * 1024
) -> tuple[Any, bytes]:
    """The next request and its body; (None, b"") when the peer is gone or sent too much."""
    request = None
    body = b""
    while True:
        event = conn.next_event()
        if event is h11.NEED_DATA:
            data = await reader.read(CHUNK)
            conn.receive_data(data)
            if not data and request is None:
                return None, b""
            continue
        if isinstance(event, h11.Request):
            request = event
        elif isinstance(event, h11.Data):
            body += event.data
            if len(body) > max_body:
                return None, b""
        elif isinstance(event, h11.EndOfMessage):
            return request, body
        elif isinstance(event, h11.ConnectionClosed) or event is h11.PAUSED:
            return None, b""


def pieces(body: bytes) -> Iterator[bytes]:
    for start in range(0, len(body), CHUNK):
        yield body[start : start + CHUNK]


async def send_response(
    conn: h11.Connection,
    writer: asyncio.StreamWriter,
    status: int,
    headers: Sequence[tuple[str, str]],
    body: bytes,
    *,
    chunked: bool = False,
    head: bool = False,
) -> None:
    """One response; small ones in a single write (no Nagle / delayed-ACK stall).
    ``head``: the answer to a HEAD request, whose headers describe a body that is not sent."""
    reason = HTTPStatus(status).phrase.encode() if status in HTTPStatus._value2member_map_ else b""
    header_list = [(k, v) for k, v in headers if k.lower() != "content-length"]
    if not chunked:
        header_list.append(("content-length", str(len(body))))
    out = [conn.send(h11.Response(status_code=status, headers=header_list, reason=reason))]
    for piece in () if head else pieces(body):
        out.append(conn.send(h11.Data(data=piece)))
        if len(out) > 4:  # big bodies go out as they are produced
            writer.write(b"".join(b for b in out if b))
            out = []
            await writer.drain()
    out.append(conn.send(h11.EndOfMessage()))
    writer.write(b"".join(b for b in out if b))
    await writer.drain()


Handler = Callable[[str, str], tuple[int, Sequence[tuple[str, str]], bytes]]


async def serve_simple(host: str, port: int, handler: Handler) -> asyncio.Server:
    """A keep-alive server calling ``handler(method, target) -> (status, headers, body)``."""

    async def client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = h11.Connection(h11.SERVER)
        try:
            while True:
                request, _body = await read_request(conn, reader)
                if request is None:
                    return
                method = request.method.decode()
                status, headers, body = handler(method, request.target.decode("latin-1"))
                # h11 refuses body bytes after a HEAD request's response: the connection would
                # drop with no answer at all.
                await send_response(conn, writer, status, headers, body, head=method == "HEAD")
                if conn.our_state is h11.MUST_CLOSE:
                    return
                conn.start_next_cycle()
        except (ConnectionError, h11.ProtocolError, asyncio.IncompleteReadError):
            pass
        except asyncio.CancelledError:  # shutting down; finish normally (see demo.server)
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    return await asyncio.start_server(client, host, port)
