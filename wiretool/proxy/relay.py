"""The relay: two already-connected byte streams copied both ways, unchanged, while each chunk is sniffed.

:func:`relay` is the one entry point every mode of ``wiretool proxy`` uses. It does not care what
connected the two streams: reverse mode (``--upstream``) accepts a client and opens the upstream itself;
forward mode reads an absolute-form request or a ``CONNECT`` first, opens the upstream it names (through
TLS interception or not) and then calls :func:`relay` with the bytes it already read as ``first_c2s``
(usually through :meth:`wiretool.proxy.session.ProxySession.relay_to`, which also prints the connection's
``open`` line and counts it). For an intercepted CONNECT, pass the client's and the upstream's TLS streams
(the tunnel's plaintext) and set ``conn.tls``/``conn.alpn``/``conn.sni`` as negotiated: ``alpn="h2"``
makes the sniffer read HTTP/2 from the first byte.

Backpressure: each leg reads one chunk, hands it to the other side's writer and waits for that writer to
drain before it reads again, so the proxy reads from one side only as fast as the other side takes the
bytes; with asyncio's stream limits that bounds what a connection holds to a few chunks, whatever a
peer sends. The sniffing (:class:`~wiretool.proxy.sniff.Sniffer`) sees every byte once and is bounded
by its codecs.
"""

from __future__ import annotations

import asyncio
import dataclasses
import ssl
import time
from asyncio import StreamReader, StreamWriter

from wiretool.proxy.sniff import C2S, S2C, Sniffer, SniffOptions
from wiretool.records import Record
from wiretool.records.proxy import OnConn, ProxyEnd
from wiretool.session import Chunk, Sink

CHUNK = 256 * 1024
"""Largest read of one leg (also the most one leg holds in the proxy besides the writer's buffer)."""


@dataclasses.dataclass
class ProxyConn:
    """One proxied connection: its number, both ends, and the TLS parameters negotiated on each leg.

    ``tls``/``alpn``/``sni`` describe the client's leg as the proxy negotiated it (a ``--tls`` listener,
    or an intercepted CONNECT); ``alpn == "h2"`` makes the sniffer read HTTP/2 from the first byte.
    """

    id: int
    client: str
    """The client's address, ``host:port``."""
    upstream: str
    """The upstream's address, ``host:port``."""
    tls: bool = False
    alpn: str | None = None
    sni: str | None = None
    upstream_tls: bool = False
    started: float = dataclasses.field(default_factory=time.monotonic)
    bytes_c2s: int = 0
    bytes_s2c: int = 0
    error: str | None = None
    """The first reason the connection ended badly (a reset, a peer gone), set by the relay."""
    end: ProxyEnd | None = None
    """The summary record, once the connection ended."""


@dataclasses.dataclass(frozen=True)
class RelayOptions:
    """What the relay decodes: ``sniff=False`` is the quiet relay (``--only none``), bytes only."""

    sniff: bool = True
    sniffing: SniffOptions = dataclasses.field(default_factory=SniffOptions)


async def relay(conn: ProxyConn, client: tuple[StreamReader, StreamWriter],
                upstream: tuple[StreamReader, StreamWriter], sink: Sink, *, first_c2s: bytes = b"",
                options: RelayOptions = RelayOptions()) -> ProxyEnd:
    """Copy bytes both ways until both legs ended; every chunk and record goes to ``sink`` tagged ``conn.id``.

    ``first_c2s`` are client bytes already read by whoever connected the streams (forward mode reads the
    request line or the CONNECT first): they are sent upstream first and sniffed as the start of the
    client's leg. When a leg reaches EOF the other side is half-closed (``write_eof``) and the relay goes
    on with the other leg; a reset on either side aborts both. Returns (and emits) the :class:`ProxyEnd`
    summary of the connection; both writers are closed on return, also when the task is cancelled.
    Never raises for anything a peer does.
    """
    if not options.sniff:
        return await _quiet(conn, client, upstream, sink, first_c2s)
    sniffer = Sniffer(alpn=conn.alpn, options=options.sniffing)
    c_reader, c_writer = client
    u_reader, u_writer = upstream

    def emit(records: list[Record]) -> None:
        if records:
            sink.emit_many([OnConn(conn.id, r) for r in records])  # type: ignore[misc]

    async def pump(reader: StreamReader, writer: StreamWriter, dir: str, first: bytes) -> None:
        src, dst = ("client", "upstream") if dir == C2S else ("upstream", "client")
        data = first
        try:
            while True:
                if not data:
                    try:
                        data = await reader.read(CHUNK)
                    except (ConnectionError, ssl.SSLError, OSError) as exc:
                        _failed(conn, f"the {src} {_why(exc)}" + _silent_upstream(conn, dir))
                        raise _Abort from None
                    if not data:
                        if dir == S2C and conn.bytes_c2s and not conn.bytes_s2c and not conn.upstream_tls:
                            _failed(conn, "the upstream closed the connection" + _silent_upstream(conn, dir))
                        break
                t = sink.now()
                if dir == C2S:
                    conn.bytes_c2s += len(data)
                else:
                    conn.bytes_s2c += len(data)
                sink.chunk(Chunk(dir, t, data, conn.id))
                try:
                    writer.write(data)
                except (ConnectionError, RuntimeError, OSError) as exc:
                    _failed(conn, f"the {dst} {_why(exc)}")
                    raise _Abort from None
                if sniffer is not None:
                    emit(sniffer.feed(dir, data, t))
                data = b""
                try:
                    await writer.drain()
                except (ConnectionError, ssl.SSLError, OSError) as exc:
                    _failed(conn, f"the {dst} {_why(exc)}")
                    raise _Abort from None
        finally:
            if sniffer is not None:
                emit(sniffer.finish(dir, sink.now()))
        try:  # the source ended cleanly: pass the half-close on
            if writer.can_write_eof():
                writer.write_eof()
            else:
                writer.close()
        except (OSError, RuntimeError):
            pass

    for w in (c_writer, u_writer):  # room for a few chunks before drain() waits: fewer loop turns per MB
        try:
            w.transport.set_write_buffer_limits(high=4 * CHUNK, low=CHUNK)
        except (AttributeError, NotImplementedError, RuntimeError):
            pass
    tasks = [asyncio.ensure_future(pump(c_reader, u_writer, C2S, first_c2s)),
             asyncio.ensure_future(pump(u_reader, c_writer, S2C, b""))]
    try:
        pending = set(tasks)
        while pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            if any(t.exception() is not None for t in done if not t.cancelled()):
                for t in pending:
                    t.cancel()
                c_writer.transport.abort()
                u_writer.transport.abort()
                await asyncio.gather(*pending, return_exceptions=True)
                pending = set()
    finally:
        for t in tasks:
            if not t.done():
                t.cancel()
        for w in (c_writer, u_writer):
            try:
                w.close()
            except (OSError, RuntimeError):
                pass
    for t in tasks:
        exc = t.exception() if t.done() and not t.cancelled() else None
        if exc is not None and not isinstance(exc, _Abort):
            _failed(conn, f"internal error: {type(exc).__name__}: {exc}")
    end = summary(conn, sniffer, sink.now())
    sink.emit(OnConn(conn.id, end))  # type: ignore[arg-type]
    return end


async def _quiet(conn: ProxyConn, client: tuple[StreamReader, StreamWriter],
                 upstream: tuple[StreamReader, StreamWriter], sink: Sink, first_c2s: bytes) -> ProxyEnd:
    """``--only none``: the transports joined by :class:`~wiretool.proxy.pipe.QuietPipe`, bytes counted only."""
    from wiretool.proxy.pipe import QuietPipe

    def on_error(dir: str, exc: BaseException, reading: bool) -> None:
        src, dst = ("client", "upstream") if dir == C2S else ("upstream", "client")
        if reading:
            _failed(conn, f"the {src} {_why(exc)}" + _silent_upstream(conn, dir))
        else:
            _failed(conn, f"the {dst} {_why(exc)}")

    def on_eof(dir: str) -> None:
        conn.bytes_c2s, conn.bytes_s2c = pipe.counts[C2S], pipe.counts[S2C]
        if dir == S2C and conn.bytes_c2s and not conn.bytes_s2c and not conn.upstream_tls:
            _failed(conn, "the upstream closed the connection" + _silent_upstream(conn, dir))

    for w in (client[1], upstream[1]):
        try:
            w.transport.set_write_buffer_limits(high=4 * CHUNK, low=CHUNK)
        except (AttributeError, NotImplementedError, RuntimeError):
            pass
    pipe = QuietPipe(client, upstream, sink, conn.id, on_error, on_eof)
    try:
        await pipe.run(first_c2s)
    finally:
        conn.bytes_c2s, conn.bytes_s2c = pipe.counts[C2S], pipe.counts[S2C]
        for w in (client[1], upstream[1]):
            try:
                w.close()
            except (OSError, RuntimeError):
                pass
    end = summary(conn, None, sink.now())
    sink.emit(OnConn(conn.id, end))  # type: ignore[arg-type]
    return end


def summary(conn: ProxyConn, sniffer: Sniffer | None, t: float) -> ProxyEnd:
    """The connection's one-line summary (also kept on ``conn.end``)."""
    error = (sniffer.problem if sniffer is not None else None) or conn.error  # the first cause, not its echo
    end = ProxyEnd(t=t, protocol=sniffer.protocol if sniffer is not None else "tcp",
                   bytes_c2s=conn.bytes_c2s, bytes_s2c=conn.bytes_s2c,
                   messages=sniffer.messages if sniffer is not None else 0,
                   violations=sniffer.violations if sniffer is not None else 0,
                   close_code=sniffer.close_code if sniffer is not None else None,
                   status=sniffer.status if sniffer is not None else None,
                   duration_s=round(time.monotonic() - conn.started, 3), error=error,
                   host=sniffer.host if sniffer is not None else None)
    conn.end = end
    return end


class _Abort(Exception):
    """A leg failed (reset, gone): the other one is aborted too; the reason is on ``conn.error``."""


def _failed(conn: ProxyConn, message: str) -> None:
    if conn.error is None:
        conn.error = message


def _silent_upstream(conn: ProxyConn, dir: str) -> str:
    """A hint when a plaintext upstream hung up before sending a byte: that is how TLS servers answer plaintext."""
    if dir == S2C and conn.bytes_c2s and not conn.bytes_s2c and not conn.upstream_tls:
        return " before sending a byte (if it speaks TLS, use an https:// upstream)"
    return ""


def _why(exc: BaseException) -> str:
    if isinstance(exc, ConnectionResetError):
        return "reset the connection"
    if isinstance(exc, BrokenPipeError):
        return "went away (broken pipe)"
    if isinstance(exc, ssl.SSLError):
        return f"broke TLS: {exc.reason or exc}"
    if isinstance(exc, RuntimeError):
        return "was already closed"
    return f"failed: {getattr(exc, 'strerror', None) or exc}"
