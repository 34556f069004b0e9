"""Which proxy a URL goes through, from the environment it was given (as curl reads it):
``https_proxy`` / ``http_proxy`` by scheme, then ``all_proxy`` (SOCKS included), unless
``no_proxy`` covers the host."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit


def _get(environ: Mapping[str, str], name: str) -> str:
    return environ.get(name.lower()) or environ.get(name.upper()) or ""


def _bypassed(host: str, no_proxy: str) -> bool:
    for entry in (e.strip().lower() for e in no_proxy.split(",")):
        if not entry:
            continue
        if entry == "*":
            return True
        entry = entry.lstrip(".").split(":")[0]
        if host == entry or host.endswith("." + entry):
            return True
    return False


def proxy_for(url: str, environ: Mapping[str, str]) -> str | None:
    """The proxy URL requests to ``url`` go through, or None for a direct connection."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if _bypassed(host, _get(environ, "no_proxy")):
        return None
    proxy = _get(environ, f"{parts.scheme}_proxy") or _get(environ, "all_proxy")
    return proxy or None


def shown(proxy: str) -> str:
    """The proxy without any credentials in it: ``socks5h://127.0.0.1:1080``."""
    parts = urlsplit(proxy)
    netloc = parts.hostname or ""
    if parts.port:
        netloc += f":{parts.port}"
    return f"{parts.scheme}://{netloc}"
