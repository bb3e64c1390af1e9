"""Forward mode inside the proxy session: :func:`wiretool.proxy.forward.handle` as the session's ``forward`` hook.

The session accepts and numbers clients; this hook routes each one (:mod:`wiretool.proxy.forward`), then
gives the two legs to the same :func:`~wiretool.proxy.relay.relay` reverse mode uses, so a browser's
intercepted h2, a WebSocket through CONNECT and an absolute-form request are sniffed as in reverse mode.
What forward mode refuses (a closed port: 502; a request it cannot route: 400; a TLS failure on either leg)
is that connection's one ``end`` line with its ``error``; the other connections go on.
"""

from __future__ import annotations

import asyncio

from wiretool.proxy import forward
from wiretool.proxy.relay import ProxyConn, relay
from wiretool.proxy.session import Forward, ProxySession
from wiretool.records.proxy import OnConn, ProxyOpen
from wiretool.session import Sink


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
            session.track(tunnel.upstream[1])
            try:
                sink.emit(OnConn(conn.id, ProxyOpen(  # type: ignore[arg-type]
                    t=sink.now(), client=conn.client, upstream=conn.upstream, tls=conn.tls,
                    upstream_tls=conn.upstream_tls, alpn=conn.alpn, sni=conn.sni)))
                end = await relay(conn, tunnel.client, tunnel.upstream, sink, first_c2s=tunnel.client_prefix,
                                  options=session.plan.relay)
                session.ended(end)
            finally:
                session._writers.discard(tunnel.upstream[1])

        def report(_conn: int, message: str) -> None:
            session._refused(conn, sink, message)

        await forward.handle((reader, writer), conn=conn.id, options=options, relay=relay_tunnel, report=report)

    return serve
