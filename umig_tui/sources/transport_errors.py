"""What the lean transport (sources/transport.py) raises, without loading httpx.

The classes carry httpx's names (a failure reads the same whichever path a request took), and
``failures.classify_exception`` reads them as it reads httpx's own. An error's ``__cause__``
is the OSError or SSLError underneath, when there is one.
"""

from __future__ import annotations


class TransportError(Exception):
    """A request that did not get a whole response."""


class LocalProtocolError(TransportError):
    """Our own request could not be written (h11 refused it; its message may quote a header)."""


class UnsupportedProtocol(TransportError):
    """Neither http nor https."""


class NetworkError(TransportError):
    """The connection failed: refused, reset, unreachable, TLS."""


class ConnectError(NetworkError):
    """No connection (or no TLS session) was made."""


class ReadError(NetworkError):
    """The connection failed while the response was awaited or read."""


class ConnectTimeout(TransportError):
    """The connection (or its TLS handshake) took longer than the connect timeout."""


class RemoteProtocolError(TransportError):
    """The server broke HTTP: closed without a response, or sent something httptools refuses."""
