"""Forward mode inside the proxy session: :func:`wiretool.proxy.forward.handle` as the session's ``forward`` hook.

The session accepts and numbers clients; this hook routes each one (:mod:`wiretool.proxy.forward`), then
gives the two legs to the same :func:`~wiretool.proxy.relay.relay` reverse mode uses, so a browser's
intercepted h2, a WebSocket through CONNECT and an absolute-form request are sniffed as in reverse mode.
What forward mode refuses (a closed port: 502; a request it cannot route: 400; a TLS failure on either leg)
is that connection's one ``end`` line with its ``error``; the other connections go on.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from wiretool.proxy import forward
from wiretool.proxy.relay import ProxyConn
from wiretool.proxy.session import Forward, ProxySession
from wiretool.session import Sink

if TYPE_CHECKING:
    from wiretool.cli.net_options import NetOptions
    from wiretool.output.env import Environment


def forward_mode(net: NetOptions, *, no_intercept: tuple[str, ...], connect_timeout: float | None,
                 env: Environment) -> Forward:
    """Load (or make, saying where) the CA, check the upstream TLS options now, and return the hook."""
    from wiretool.proxy.ca import LocalCA, ensure_ca
    from wiretool.transport.tls import client_context

    files = ensure_ca()
    if files.created:
        env.stderr.write(f"wiretool: created the proxy CA {files.cert} (key 0600 beside it); trust it in your "
                         "client to see TLS traffic: wiretool proxy ca\n")
        env.stderr.flush()
    options = forward.ForwardOptions(ca=LocalCA(files), no_intercept=no_intercept, insecure=net.insecure,
                                     cacert=net.cacert, cert=net.cert, key=net.key,
                                     connect_timeout=connect_timeout)
    client_context(insecure=net.insecure, cacert=net.cacert, cert=net.cert, key=net.key)  # a bad file: exit 2 now
    return hook(options)


def hook(options: forward.ForwardOptions) -> Forward:
    """The ``forward`` callable of :class:`~wiretool.proxy.session.ProxySession` for these options."""

    async def serve(session: ProxySession, conn: ProxyConn, reader: asyncio.StreamReader,
                    writer: asyncio.StreamWriter, sink: Sink) -> None:
        async def relay_tunnel(tunnel: forward.Tunnel) -> None:
            host = f"[{tunnel.host}]" if ":" in tunnel.host else tunnel.host
            conn.upstream = f"{host}:{tunnel.port}"
            intercepted = tunnel.mode == "tls"
            conn.tls = conn.upstream_tls = intercepted
            conn.alpn = tunnel.alpn
            conn.sni = tunnel.host if intercepted else None
            await session.relay_to(conn, tunnel.client, tunnel.upstream, sink, first_c2s=tunnel.client_prefix)

        def report(_conn: int, message: str) -> None:
            session.refused(conn, sink, message)

        await forward.handle((reader, writer), conn=conn.id, options=options, relay=relay_tunnel, report=report)

    return serve
