"""Where a request goes, parsed once: what the lean transport reads of an ``httpx.URL``.

Parsing a URL with httpx costs ~40 µs (it checks every character, encodes the host), and a
one-shot ``status`` of 300 environments would parse 1,200 of them, each used once. The origin
(scheme, host, port) is parsed once per environment, and a path's request target once per
process: the environments of a fleet ask for the same few paths. Both are parsed by httpx, so a
target is byte for byte what ``httpx.URL(env.endpoint_url(path))`` gives.
"""

from __future__ import annotations

import functools


class Target:
    """One request's origin and target (``raw_path``: the percent-encoded path, as sent)."""

    __slots__ = ("host", "netloc", "port", "raw_path", "scheme")

    def __init__(self, scheme: str, host: str, port: int, netloc: bytes, raw_path: bytes) -> None:
        self.scheme = scheme
        self.host = host
        self.port = port
        self.netloc = netloc
        self.raw_path = raw_path


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
        import httpx

        url = httpx.URL(base)
        after_scheme = base.index("://") + 3
        slash = base.find("/", after_scheme)
        context = base[slash:] if slash >= 0 else ""
        port = url.port or (443 if url.scheme == "https" else 80)
        return cls(url.scheme, url.host, port, url.netloc, context)

    def target(self, path: str) -> Target:
        """The target of ``path`` (starting with "/") below this origin."""
        raw = _encoded(self.context + path)
        return Target(self.scheme, self.host, self.port, self.netloc, raw)


@functools.lru_cache(maxsize=1024)
def _encoded(path: str) -> bytes:
    import httpx

    # The host plays no part in how httpx encodes and normalises a path.
    return httpx.URL(f"http://h{path}").raw_path
