"""The floor under `umig-tui status`: a bare asyncio client sending the same requests.

Reads a file of ``host port target`` lines (one per request, as bench_status.py writes them from
the fleet's config and the profile's paths), opens a new connection per request, all at once,
as ``status`` does, sends a GET and reads the raw bytes until the server closes. Nothing is
parsed, checked, stored or shown: only the interpreter, asyncio and the sockets. The wall time
of this script, spawned and timed like ``status``, is what any Python asyncio client pays on
the same machine against the same fleet; ``status`` costs that plus its own work.

    .venv/bin/python bench/bare_client.py REQUESTS_FILE

Prints ``<requests> <bytes>``; exits 1 when a request failed (a floor measured against errors
would be too low).
"""

import asyncio
import sys


async def fetch(host: str, port: int, target: str) -> int:
    reader, writer = await asyncio.open_connection(host, port)
    request = f"GET {target} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n"
    writer.write(request.encode("ascii"))
    data = await reader.read()
    writer.close()
    if not data.startswith(b"HTTP/1.1 200"):
        raise RuntimeError(f"{host}:{port}{target}: {data[:60]!r}")
    return len(data)


async def main(requests: list[list[str]]) -> int:
    sizes = await asyncio.gather(*(fetch(host, int(port), path) for host, port, path in requests))
    print(len(sizes), sum(sizes))
    return 0


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as lines:
        wanted = [line.split() for line in lines if line.strip()]
    sys.exit(asyncio.run(main(wanted)))
