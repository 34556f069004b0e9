"""A body that comes back byte for byte as last time is not parsed again (over real HTTP on
loopback): the same document, a new time and latency; a changed body is read afresh."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import h11
import pytest

from umig_tui.config import Config, Environment, Polling
from umig_tui.models import Endpoint, Tier, VersionInfo
from umig_tui.service.runtime import build_clients
from umig_tui.sources.client import UmigClient
from umig_tui.sources.profiles.base import Answer, Profile
from umig_tui.sources.profiles.us088 import US088_SLASH
from umig_tui.sources.unchanged import REMEMBER_BODIES_UP_TO
from umig_tui.util.httpserve import read_request, send_response

PREFIX = "/rest/scriptrunner/latest/custom"
BODIES = Path(__file__).resolve().parents[2] / "sample_data" / "bodies"
VERSION_PATH = US088_SLASH.requests(Endpoint.VERSION)[0].path


SEED_VERSION = json.loads((BODIES / "production-version.json").read_text())


def version_body(version: str) -> bytes:
    """The seeds' version document, naming ``version``."""
    return json.dumps(
        {**SEED_VERSION, "umig": {**SEED_VERSION["umig"], "version": version}}
    ).encode()


class Bodies:
    """A keep-alive HTTP/1.1 server answering each path with the body the test set."""

    def __init__(self) -> None:
        self.bodies: dict[str, bytes] = {}
        self.served = 0
        self.handlers: set[asyncio.Task[None]] = set()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = h11.Connection(h11.SERVER)
        task = asyncio.current_task()
        assert task is not None
        self.handlers.add(task)
        try:
            while True:
                request, _ = await read_request(conn, reader)
                if request is None:
                    return
                path = request.target.decode()
                body = self.bodies.get(path.removeprefix(PREFIX + "/"))
                status = 200 if body is not None else 404
                headers = [("content-type", "application/json")]
                await send_response(conn, writer, status, headers, body or b"{}")
                self.served += 1
                if conn.our_state is h11.MUST_CLOSE:
                    return
                conn.start_next_cycle()
        except (ConnectionError, h11.ProtocolError):
            return
        finally:
            writer.close()


@pytest.fixture
async def served() -> AsyncIterator[tuple[Bodies, UmigClient]]:
    bodies = Bodies()
    server = await asyncio.start_server(bodies.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    env = Environment("uat", f"http://127.0.0.1:{port}", Tier.UAT, profile="us088")
    config = Config(environments=(env,), polling=Polling(timeout=5.0))
    client = build_clients(config, {})["uat"]
    client.adopt(US088_SLASH, time.time())  # the seeds' paths, no probe first
    try:
        yield bodies, client
    finally:
        await client.aclose()
        server.close()
        for task in bodies.handlers:  # kept-alive connections the client left open
            task.cancel()
        await asyncio.gather(*bodies.handlers, return_exceptions=True)
        await server.wait_closed()


def count_parses(monkeypatch: pytest.MonkeyPatch, profile: Profile) -> list[Endpoint]:
    parsed: list[Endpoint] = []
    original = type(profile).parse

    def counting(self: Profile, signal: Endpoint, answers: Sequence[Answer]) -> object:
        parsed.append(signal)
        return original(self, signal, answers)

    monkeypatch.setattr(type(profile), "parse", counting)
    return parsed


async def test_the_same_body_again_is_not_parsed_again(
    served: tuple[Bodies, UmigClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    bodies, client = served
    assert client.profile is not None
    parsed = count_parses(monkeypatch, client.profile)
    bodies.bodies[VERSION_PATH] = version_body("1.2.0")

    first = await client.fetch(Endpoint.VERSION)
    second = await client.fetch(Endpoint.VERSION)

    assert bodies.served == 2  # both were asked over HTTP
    assert parsed == [Endpoint.VERSION]  # but read once
    assert first.ok
    assert second.ok
    assert second.value is first.value
    assert second.ts >= first.ts
    assert second.latency_ms is not None
    assert isinstance(second.value, VersionInfo)
    assert second.value.version == "1.2.0"


async def test_a_changed_body_is_parsed_again(
    served: tuple[Bodies, UmigClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    bodies, client = served
    assert client.profile is not None
    parsed = count_parses(monkeypatch, client.profile)
    bodies.bodies[VERSION_PATH] = version_body("1.2.0")
    await client.fetch(Endpoint.VERSION)

    bodies.bodies[VERSION_PATH] = version_body("1.3.0")
    changed = await client.fetch(Endpoint.VERSION)

    assert parsed == [Endpoint.VERSION, Endpoint.VERSION]
    assert isinstance(changed.value, VersionInfo)
    assert changed.value.version == "1.3.0"


async def test_a_body_that_failed_to_parse_is_an_error_again_and_a_good_one_after_is_read(
    served: tuple[Bodies, UmigClient],
) -> None:
    bodies, client = served
    bodies.bodies[VERSION_PATH] = b"[1, 2]"  # JSON, but not a version document
    assert not (await client.fetch(Endpoint.VERSION)).ok
    assert not (await client.fetch(Endpoint.VERSION)).ok
    bodies.bodies[VERSION_PATH] = version_body("1.2.0")
    good = await client.fetch(Endpoint.VERSION)
    assert isinstance(good.value, VersionInfo)
    assert good.value.version == "1.2.0"


async def test_each_signal_keeps_its_own_last_body(
    served: tuple[Bodies, UmigClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    bodies, client = served
    assert client.profile is not None
    parsed = count_parses(monkeypatch, client.profile)
    paths = {
        r.path for s in (Endpoint.VERSION, Endpoint.COMPONENTS) for r in client.profile.requests(s)
    }
    for path in paths:  # the same bytes at two paths: two documents of different kinds
        bodies.bodies[path] = version_body("1.2.0")
    await client.fetch(Endpoint.VERSION)
    await client.fetch(Endpoint.COMPONENTS)
    assert parsed == [Endpoint.VERSION, Endpoint.COMPONENTS]


async def test_a_large_body_is_not_remembered_and_is_parsed_each_time(
    served: tuple[Bodies, UmigClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    bodies, client = served
    assert client.profile is not None
    parsed = count_parses(monkeypatch, client.profile)
    document = json.loads(version_body("1.2.0"))
    document["padding"] = "x" * (REMEMBER_BODIES_UP_TO + 1)
    bodies.bodies[VERSION_PATH] = json.dumps(document).encode()
    await client.fetch(Endpoint.VERSION)
    second = await client.fetch(Endpoint.VERSION)
    assert parsed == [Endpoint.VERSION, Endpoint.VERSION]
    assert isinstance(second.value, VersionInfo)
