"""Build one client per environment: credentials, TLS contexts, transport and profile."""

from __future__ import annotations

import ssl
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from umig_tui.config import ConfigError, Environment, Polling, resolve_secret
from umig_tui.sources.client import Lean, UmigClient
from umig_tui.sources.profiles import speaks
from umig_tui.sources.profiles.base import Profile
from umig_tui.sources.proxies import proxy_for
from umig_tui.util.sanitize import clean_text

if TYPE_CHECKING:
    import httpx


class ClientFactory:
    """Builds one client per environment, sharing TLS contexts (building one costs ~15 ms)."""

    def __init__(
        self,
        polling: Polling,
        environ: Mapping[str, str],
        transport_for: Callable[[Environment], httpx.AsyncBaseTransport | None] | None = None,
        profiles: Mapping[str, Profile] | None = None,
    ) -> None:
        self.polling = polling
        self.environ = environ
        self.transport_for = transport_for
        self.profiles = dict(profiles or {})  # the config's [profiles.NAME], built
        self._contexts: dict[tuple[bool, str | None], ssl.SSLContext] = {}
        self._plain: ssl.SSLContext | None = None

    def _unverified(self) -> ssl.SSLContext:
        # One shared context: given False, httpx would build a new one per client (~0.6 ms each).
        if self._plain is None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            self._plain = context
        return self._plain

    def _verify(self, env: Environment) -> ssl.SSLContext | bool:
        if not env.url.startswith("https:") or not env.verify_tls:
            return self._unverified()  # plain HTTP never uses it; verify_tls = false means this
        key = (env.verify_tls, env.ca_bundle)
        if key not in self._contexts:
            if env.ca_bundle:
                try:
                    self._contexts[key] = ssl.create_default_context(cafile=env.ca_bundle)
                except (ssl.SSLError, OSError) as exc:
                    # A file that exists but holds no PEM certificate: a config error, not a crash.
                    file, _, line = env.origin.rpartition(":")
                    raise ConfigError(
                        f"environment {env.name!r}: ca_bundle {env.ca_bundle!r} holds no usable "
                        f"CA certificate ({clean_text(getattr(exc, 'reason', None) or str(exc), 60)})",
                        file or None,
                        int(line) if file and line.isdigit() else None,
                    ) from None
            else:
                # The system's trust store, as curl uses it (SSL_CERT_FILE honoured), not
                # certifi's bundle: a corporate CA installed on the jump host just works.
                import truststore

                self._contexts[key] = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        return self._contexts[key]

    def build(self, env: Environment) -> UmigClient:
        """A client for ``env``; raises ConfigError when its secret variable is unset."""
        secret = resolve_secret(env, self.environ)
        verify = self._verify(env)
        transport = self.transport_for(env) if self.transport_for else None
        proxy = proxy_for(env.url, self.environ) if transport is None else None
        lean = None
        if transport is None and proxy is None:
            # Proxies need httpx's own transport; everyone else gets the lean one (built with
            # the client's first request).
            lean = Lean(
                verify if isinstance(verify, ssl.SSLContext) else None,
                # A little under the whole fetch's: a connection or TLS handshake that hangs
                # is named as such, not as "no complete response".
                connect=self.polling.timeout * 0.9,
            )
        return UmigClient(
            env,
            self.polling,
            secret=secret,
            verify=verify,
            transport=lean or transport,
            proxy=proxy,
            speaks=speaks(env.profile, self.profiles),
        )
