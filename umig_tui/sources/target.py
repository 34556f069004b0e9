"""Where a request goes, parsed once: what the lean transport reads of an ``httpx.URL``.

Parsing a URL with httpx costs ~40 µs (it checks every character, encodes the host), and a
one-shot ``status`` of 300 environments would parse 1,200 of them, each used once; importing
httpx costs ~30 ms. The origin (scheme, host, port) is parsed once per environment, and a
path's request target once per process: the environments of a fleet ask for the same few paths.
What needs no encoding (an ASCII host name or IP address; a path of characters sent as they are,
with no ``.`` or ``..`` segment) is read with the standard library; anything else (a non-ASCII
host, characters to percent-encode, dot segments) is parsed by httpx. Either way a target is
byte for byte what ``httpx.URL(env.endpoint_url(path))`` gives (tests/unit/test_target.py).
"""

from __future__ import annotations

import functools
import re
from urllib.parse import urlsplit

# Connections kept open between polls, per origin (sources/transport.py; polling/open_files.py
# counts them against the open-file limit).
IDLE_PER_ORIGIN = 4

# Characters httpx sends as they are in a path and in a query (unreserved, sub-delims, ":@/").
_PLAIN_PATH = re.compile(r"[A-Za-z0-9\-._~!$&'()*+,;=:@/]*(?:\?[A-Za-z0-9\-._~!$&'()*+,;=:@/?]*)?")
_PLAIN_HOST = re.compile(r"[a-z0-9\-.]+|\[[0-9a-f:.]+\]")
_DEFAULT_PORTS = {"http": 80, "https": 443}


class Origin:
    """An environment's base URL (``scheme://host[:port][/context]``), parsed once."""

    __slots__ = ("context", "host", "netloc", "port", "scheme")

    def __init__(self, scheme: str, host: str, port: int, netloc: bytes, context: str) -> None:
        self.scheme = scheme
        self.host = host
        self.port = port
        self.netloc = netloc
        self.context = context  # the base URL's own path as written: "" or "/confluence"

    @classmethod
    def of(cls, base: str) -> Origin:
        """``base`` as the config checked it (http or https, a host, no query, no fragment)."""
        after_scheme = base.index("://") + 3
        slash = base.find("/", after_scheme)
        context = base[slash:] if slash >= 0 else ""
        parts = urlsplit(base)
        scheme = parts.scheme.lower()
        netloc = parts.netloc.lower()
        host = parts.hostname or ""
        if (
            base.isascii()
            and scheme in _DEFAULT_PORTS
            and "@" not in netloc
            and _PLAIN_HOST.fullmatch(netloc.rpartition(":")[0] if parts.port else netloc)
        ):
            port = parts.port or _DEFAULT_PORTS[scheme]
            shown = f"[{host}]" if ":" in host else host
            if port != _DEFAULT_PORTS[scheme]:
                shown += f":{port}"
            return cls(scheme, host, port, shown.encode("ascii"), context)
        import httpx

        url = httpx.URL(base)
        port = url.port or (443 if url.scheme == "https" else 80)
        return cls(url.scheme, url.host, port, url.netloc, context)

    def target(self, path: str) -> Target:
        """The target of ``path`` (starting with "/") below this origin."""
        return Target(self, _encoded(self.context + path))


class Target:
    """One request: its origin, and its target (``raw_path``: the percent-encoded path, as
    sent)."""

    __slots__ = ("origin", "raw_path")

    def __init__(self, origin: Origin, raw_path: bytes) -> None:
        self.origin = origin
        self.raw_path = raw_path


@functools.lru_cache(maxsize=1024)
def _encoded(path: str) -> bytes:
    if _PLAIN_PATH.fullmatch(path) and not _has_dot_segment(path):
        return path.encode("ascii")
    import httpx

    # The host plays no part in how httpx encodes and normalises a path.
    return httpx.URL(f"http://h{path}").raw_path


def _has_dot_segment(path: str) -> bool:
    segments = path.partition("?")[0].split("/")
    return "." in segments or ".." in segments
