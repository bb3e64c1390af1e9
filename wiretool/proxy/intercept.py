"""TLS interception of a CONNECT tunnel: TLS to the server first, then TLS to the client with a local leaf.

Order matters (RFC 7301 §3.2: the server picks the protocol). The proxy

1. reads the client's ClientHello (:mod:`wiretool.proxy.clienthello`) for its SNI and ALPN list;
2. starts TLS to the server on the already-open TCP connection, offering that same ALPN list, verifying the
   server's certificate as every client of wiretool does (``--insecure``, ``--cacert``, ``--cert/--key``);
3. starts TLS with the client, presenting a leaf for the name asked for (the SNI, else the CONNECT host)
   signed by the local CA, and offering the client only the protocol the server chose (none if it chose
   none), so both legs speak the same protocol and the relay can sniff it.

Step 3 hands the ClientHello bytes that step 1 already read to the TLS layer. asyncio's ``start_tls`` cannot
take bytes that were read before it, so :func:`upgrade` does what it does (an ``asyncio.sslproto``
``SSLProtocol`` set on the transport) and feeds those bytes first. The result is a fresh
(``StreamReader``, ``StreamWriter``) pair; the old pair must not be used again.
"""

from __future__ import annotations

import asyncio
import ssl
from asyncio import sslproto
from collections.abc import Callable
from dataclasses import dataclass

from wiretool.proxy import clienthello

STREAM_LIMIT = 1 << 20

LeafContexts = Callable[[str, tuple[str, ...]], ssl.SSLContext]
"""(host, ALPN to offer) -> a server context with a leaf for host: :meth:`wiretool.proxy.ca.LocalCA.server_context`."""
UpstreamContexts = Callable[[tuple[str, ...]], ssl.SSLContext]
"""ALPN the client offered -> a client context with the shared TLS options, offering that list."""


class _AppProtocol(asyncio.StreamReaderProtocol):
    """A StreamReaderProtocol that keeps the TLS transport it is given, to build its StreamWriter."""

    app_transport: asyncio.Transport | None = None
    replaced: asyncio.BaseProtocol | None = None
    """The protocol TLS replaced on the transport. Kept alive: asyncio's ``start_server`` holds the task of its
    client callback only from that protocol, and a task nobody references is garbage-collected mid-run."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.app_transport = transport  # type: ignore[assignment]
        super().connection_made(transport)


async def upgrade(writer: asyncio.StreamWriter, ctx: ssl.SSLContext, *, server_side: bool,
                  server_hostname: str | None = None, prefix: bytes = b"",
                  timeout: float | None = None) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Start TLS on ``writer``'s connection; ``prefix`` = bytes of the peer's first flight read beforehand.

    Raises ``ssl.SSLError``/``OSError``/``asyncio.TimeoutError`` when the handshake fails (the caller names it).
    """
    loop = asyncio.get_running_loop()
    transport = writer.transport
    reader = asyncio.StreamReader(limit=STREAM_LIMIT, loop=loop)
    app = _AppProtocol(reader, loop=loop)
    app.replaced = transport.get_protocol()
    waiter = loop.create_future()
    tls = sslproto.SSLProtocol(loop, app, ctx, waiter, server_side=server_side,
                               server_hostname=None if server_side else server_hostname,
                               ssl_handshake_timeout=timeout)
    transport.pause_reading()
    transport.set_protocol(tls)
    tls.connection_made(transport)
    if prefix:
        view = memoryview(prefix)
        while view:
            buf = tls.get_buffer(len(view))
            n = min(len(buf), len(view))
            buf[:n] = view[:n]
            tls.buffer_updated(n)
            view = view[n:]
    transport.resume_reading()
    try:
        await waiter
    except BaseException:
        transport.close()
        raise
    assert app.app_transport is not None
    return reader, asyncio.StreamWriter(app.app_transport, app, reader, loop)


async def read_client_hello(reader: asyncio.StreamReader, first: bytes,
                            timeout: float | None) -> tuple[clienthello.ClientHello, bytes]:
    """Read until ``first`` + more holds a whole ClientHello; return it and every byte read (for :func:`upgrade`).

    Raises :class:`clienthello.NotTls` for bytes that are not one, ``asyncio.IncompleteReadError`` on EOF.
    """
    data = bytearray(first)

    async def more() -> tuple[clienthello.ClientHello, bytes]:
        while True:
            hello = clienthello.parse(bytes(data))
            if hello is not None:
                return hello, bytes(data)
            chunk = await reader.read(STREAM_LIMIT)
            if not chunk:
                raise asyncio.IncompleteReadError(bytes(data), None)
            data.extend(chunk)

    return await asyncio.wait_for(more(), timeout)


@dataclass(frozen=True)
class Intercepted:
    """The two decrypted legs and what was agreed on them."""

    client: tuple[asyncio.StreamReader, asyncio.StreamWriter]
    upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter]
    alpn: str | None
    sni: str | None


class UpstreamTlsError(Exception):
    """TLS to the server failed (certificate, handshake): the message is the one line to show."""


class ClientTlsError(Exception):
    """TLS with the client failed (it does not trust the CA, it hung up): the message is the line to show."""


async def intercept(client: tuple[asyncio.StreamReader, asyncio.StreamWriter],
                    upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter], *, host: str, first: bytes,
                    leaf_context: LeafContexts, upstream_context: UpstreamContexts,
                    timeout: float | None) -> Intercepted:
    """Steps 1-3 of the module docstring on a tunnel whose client sent ``first`` (a TLS record start)."""
    try:
        hello, flight = await read_client_hello(client[0], first, timeout)
    except clienthello.NotTls as exc:
        raise ClientTlsError(f"the client's TLS ClientHello is unreadable: {exc}") from None
    except (asyncio.IncompleteReadError, ConnectionError):
        raise ClientTlsError("the client closed the tunnel before its TLS ClientHello ended") from None
    except asyncio.TimeoutError:
        raise ClientTlsError("the client sent no complete TLS ClientHello in time") from None
    name = hello.sni or host
    try:
        up = await upgrade(upstream[1], upstream_context(hello.alpn), server_side=False,
                           server_hostname=name, timeout=timeout)
    except ssl.SSLCertVerificationError as exc:
        raise UpstreamTlsError(f"{name}: TLS certificate verification failed: "
                               f"{exc.verify_message or exc.reason} (use --cacert or --insecure)") from None
    except ssl.SSLError as exc:
        raise UpstreamTlsError(f"{name}: TLS handshake with the server failed: {exc.reason or exc}") from None
    except (OSError, asyncio.TimeoutError) as exc:
        raise UpstreamTlsError(f"{name}: TLS handshake with the server failed: "
                               f"{exc.strerror if isinstance(exc, OSError) and exc.strerror else 'timed out'}"
                               ) from None
    tls_obj = up[1].get_extra_info("ssl_object")
    chosen = tls_obj.selected_alpn_protocol() if tls_obj is not None else None
    try:
        down = await upgrade(client[1], leaf_context(name, (chosen,) if chosen else ()), server_side=True,
                             prefix=flight, timeout=timeout)
    except ssl.SSLError as exc:
        up[1].close()
        raise ClientTlsError(f"{name}: TLS handshake with the client failed: {exc.reason or exc} "
                             "(does it trust the proxy CA? see 'wiretool proxy ca')") from None
    except (OSError, asyncio.TimeoutError):
        up[1].close()
        raise ClientTlsError(f"{name}: the client hung up during the TLS handshake "
                             "(does it trust the proxy CA? see 'wiretool proxy ca')") from None
    return Intercepted(down, up, chosen, hello.sni)
