"""Forward mode: the proxy a browser or an app is configured to use (``--listen`` with no ``--upstream``).

A client of a forward proxy says where it wants to go in its first request (RFC 9110 §9.3.6, RFC 9112 §3.2):

- ``CONNECT host:port``: the proxy opens TCP to host:port, answers ``200`` and the connection becomes a
  tunnel. When the client then starts TLS, the tunnel is intercepted (:mod:`wiretool.proxy.intercept`) so
  the relay sees the decrypted bytes, unless the host matches ``--no-intercept GLOB`` (or interception is
  off): then the TLS bytes cross as an opaque tunnel. A tunnel whose client does not start TLS (``ws://``
  or h2c through CONNECT) is relayed as it is.
- an absolute-form request (``GET http://host:port/path HTTP/1.1``): the proxy connects to host:port and
  sends the request with its target in origin-form (``GET /path HTTP/1.1``), every other byte unchanged.
  The connection then belongs to that host: later requests on it are relayed as they are (RFC 9112 §3.2.2:
  a server accepts absolute-form too).

Whatever it cannot do is answered to the client as an HTTP error (``400`` for a request a forward proxy
cannot route, ``502`` when the server cannot be reached) and named in one line by ``report``; the other
connections go on. When the two legs are ready, :func:`handle` gives them to ``relay`` (the proxy core's
sniffing relay, see :mod:`wiretool.proxy.forward_session`) as a :class:`Tunnel`.
"""

from __future__ import annotations

import asyncio
import fnmatch
import os
import socket
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from wiretool.codec.http1 import is_digits
from wiretool.proxy import clienthello, intercept

if TYPE_CHECKING:
    from wiretool.proxy.ca import LocalCA

Stream = tuple[asyncio.StreamReader, asyncio.StreamWriter]

CLIENT_FIRST_WAIT = 1.0
"""How long a tunnel waits for the client's first bytes (a ClientHello?) before relaying it as plain bytes."""
MAX_HEAD = 64 * 1024
"""The longest first request head read from a client (the StreamReader's limit: no unbounded buffer)."""


@dataclass(frozen=True)
class Tunnel:
    """Two connected legs for the relay, and what forward mode learnt while making them."""

    conn: int
    host: str
    port: int
    client: Stream
    upstream: Stream
    client_prefix: bytes = b""
    """Bytes from the client that the relay must send upstream (and sniff) before any it reads itself."""
    mode: str = "http"
    """``http`` (absolute-form), ``tunnel`` (CONNECT, plain bytes), ``tls`` (CONNECT, intercepted),
    ``opaque`` (CONNECT, TLS passed through with --no-intercept: the bytes are ciphertext)."""
    alpn: str | None = None
    """The protocol agreed on both legs of an intercepted tunnel (``h2``, ``http/1.1``), else None."""


Relay = Callable[[Tunnel], Awaitable[None]]
Report = Callable[[int, str], None]


@dataclass
class ForwardOptions:
    """What forward mode needs from the command line."""

    ca: LocalCA | None = None
    """The CA that signs the leaves (None: no interception, every TLS tunnel is opaque)."""
    no_intercept: tuple[str, ...] = ()
    insecure: bool = False
    cacert: str | None = None
    cert: str | None = None
    key: str | None = None
    connect_timeout: float | None = 10.0
    _upstream_contexts: dict[tuple[str, ...], ssl.SSLContext] = field(default_factory=dict)

    def intercepts(self, host: str) -> bool:
        """Whether a TLS tunnel to ``host`` is decrypted: a CA is loaded and no --no-intercept glob matches."""
        low = host.lower().rstrip(".")
        return self.ca is not None and not any(fnmatch.fnmatchcase(low, g.lower()) for g in self.no_intercept)

    def upstream_context(self, alpn: tuple[str, ...]) -> ssl.SSLContext:
        """The shared TLS client options, offering ``alpn``; cached (loading the system CAs costs ~10 ms)."""
        ctx = self._upstream_contexts.get(alpn)
        if ctx is None:
            from wiretool.transport.tls import client_context

            ctx = client_context(insecure=self.insecure, cacert=self.cacert, cert=self.cert, key=self.key,
                                 alpn=alpn)
            self._upstream_contexts[alpn] = ctx
        return ctx


class Refused(Exception):
    """The client's request cannot be routed: answer it ``status`` and name ``message`` in one line."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


_REASONS = {400: "Bad Request", 502: "Bad Gateway", 504: "Gateway Timeout"}


def split_authority(authority: str, default_port: int | None = None) -> tuple[str, int]:
    """``host:port`` (``[v6]:port``) into a pair; raises :class:`Refused` (400) when it is not one."""
    host, sep, port = authority.rpartition(":")
    if not sep or (host.startswith("[") != host.endswith("]")) or "]" in port:
        if default_port is None:
            raise Refused(400, f"CONNECT target {authority!r} is not host:port")
        host, port = authority, str(default_port)
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not host or not is_digits(port, 5) or not 0 < int(port) < 65536:
        raise Refused(400, f"target {authority!r} is not host:port")
    if any(c in host for c in " /\\@\r\n\t") or not host.isascii():
        raise Refused(400, f"target host {host!r} is not a host name")
    return host, int(port)


@dataclass(frozen=True)
class FirstRequest:
    """The first request line of a forward-mode client, routed."""

    method: str
    host: str
    port: int
    head: bytes
    """The head to send upstream (origin-form) for an absolute-form request; empty for CONNECT."""


def route(head: bytes) -> FirstRequest:
    """Where the first request head goes; raises :class:`Refused` for what a forward proxy cannot route."""
    line_end = head.find(b"\r\n")
    line = head[:line_end].decode("latin-1")
    parts = line.split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise Refused(400, f"not an HTTP/1.1 request line: {line[:80]!r}")
    method, target, version = parts
    if method == "CONNECT":
        host, port = split_authority(target)
        return FirstRequest(method, host, port, b"")
    url = urlsplit(target)
    if url.scheme.lower() != "http" or not url.netloc:
        if target.startswith("/"):
            raise Refused(400, f"{method} {target[:80]}: a forward proxy needs an absolute URL "
                               "(http://host/path) or CONNECT; use --upstream for a reverse proxy")
        raise Refused(400, f"{method} {target[:80]!r}: only http:// URLs and CONNECT are proxied")
    if "@" in url.netloc:
        raise Refused(400, f"{method}: user:password@ in the URL is not proxied")
    host, port = split_authority(url.netloc, 80)
    origin = url.path or "/"
    if url.query:
        origin += "?" + url.query
    return FirstRequest(method, host, port, f"{method} {origin} {version}".encode("latin-1") + head[line_end:])


async def _open(host: str, port: int, timeout: float | None) -> Stream:
    try:
        return await asyncio.wait_for(asyncio.open_connection(host, port, limit=intercept.STREAM_LIMIT), timeout)
    except asyncio.TimeoutError:
        raise Refused(504, f"cannot connect to {host}:{port}: timed out") from None
    except socket.gaierror as exc:
        raise Refused(502, f"cannot resolve {host}: {exc.strerror or exc}") from None
    except OSError as exc:
        # asyncio's own message ("Connect call failed (...)") says less than the errno's name
        reason = (os.strerror(exc.errno) if exc.errno and exc.errno > 0 else exc.strerror) or str(exc)
        raise Refused(502, f"cannot connect to {host}:{port}: {reason or type(exc).__name__}") from None


async def _answer(writer: asyncio.StreamWriter, status: int, message: str) -> None:
    body = f"wiretool proxy: {message}\n".encode("utf-8", "replace")
    head = (f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}\r\nContent-Type: text/plain; charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
    try:
        writer.write(head + body)
        await asyncio.wait_for(writer.drain(), 5)
    except (OSError, asyncio.TimeoutError):
        pass


def _close(stream: Stream | None) -> None:
    if stream is not None:
        try:
            stream[1].close()
        except (OSError, RuntimeError):
            pass


async def handle(client: Stream, *, conn: int, options: ForwardOptions, relay: Relay, report: Report) -> None:
    """Serve one forward-mode client: route its first request, make both legs, hand them to ``relay``.

    Never raises for what a peer does: a refusal is answered to the client and named by ``report``.
    """
    reader, writer = client
    upstream: Stream | None = None
    try:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), options.connect_timeout)
        except asyncio.LimitOverrunError:
            raise Refused(400, f"request head longer than {MAX_HEAD} bytes") from None
        except asyncio.IncompleteReadError as exc:
            if exc.partial:
                report(conn, "client closed the connection in the middle of its request head")
            return
        except asyncio.TimeoutError:
            report(conn, "client sent no complete request head in time")
            return
        if len(head) > MAX_HEAD:
            raise Refused(400, f"request head longer than {MAX_HEAD} bytes")
        first = route(head)
        upstream = await _open(first.host, first.port, options.connect_timeout)
        if first.method != "CONNECT":
            await relay(Tunnel(conn, first.host, first.port, client, upstream, client_prefix=first.head))
            return
        writer.write(b"HTTP/1.1 200 Connection Established\r\n\r\n")
        await writer.drain()
        await _tunnel(client, upstream, first, conn=conn, options=options, relay=relay, report=report)
    except Refused as exc:
        report(conn, exc.message)
        await _answer(writer, exc.status, exc.message)
        _close(upstream)
    except (intercept.UpstreamTlsError, intercept.ClientTlsError) as exc:
        report(conn, str(exc))
        _close(upstream)
    except (ConnectionError, asyncio.IncompleteReadError):
        report(conn, "client closed the connection before the tunnel was ready")
        _close(upstream)
    finally:
        _close(client)


async def _tunnel(client: Stream, upstream: Stream, first: FirstRequest, *, conn: int, options: ForwardOptions,
                  relay: Relay, report: Report) -> None:
    reader = client[0]
    try:
        start = await asyncio.wait_for(reader.read(intercept.STREAM_LIMIT), CLIENT_FIRST_WAIT)
    except asyncio.TimeoutError:
        start = b""  # a protocol where the server speaks first: relay it as it is
    if start == b"" and reader.at_eof():
        return
    if not clienthello.looks_like_tls(start):
        await relay(Tunnel(conn, first.host, first.port, client, upstream, client_prefix=start, mode="tunnel"))
        return
    if not options.intercepts(first.host):
        await relay(Tunnel(conn, first.host, first.port, client, upstream, client_prefix=start, mode="opaque"))
        return
    assert options.ca is not None  # intercepts() said so
    got = await intercept.intercept(client, upstream, host=first.host, first=start,
                                    leaf_context=options.ca.server_context,
                                    upstream_context=options.upstream_context,
                                    timeout=options.connect_timeout)
    try:
        await relay(Tunnel(conn, got.sni or first.host, first.port, got.client, got.upstream, mode="tls",
                           alpn=got.alpn))
    finally:
        _close(got.client)
        _close(got.upstream)
