"""``wiretool proxy`` as one session of the run layer: a listener, and one :func:`relay` per connection.

Reverse mode: every accepted client gets its own upstream connection (``--upstream``, TLS with the shared
options for ``https://``), and the two are relayed. Forward mode (no upstream) is the ``forward`` hook:
a coroutine that reads what the client asks for, connects it, and calls :func:`relay` itself; the
session only accepts, numbers and tracks connections.

The session never ends by itself: the run ends it (``--count``, ``--timeout``, ``--expect``, Ctrl-C).
One connection's failure is that connection's summary line, never the run's outcome.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import ssl
import weakref
from collections.abc import Awaitable, Callable
from typing import Any

from wiretool.exitcodes import ExitCode
from wiretool.proxy.relay import CHUNK, ProxyConn, RelayOptions, relay
from wiretool.records import Listening
from wiretool.records.proxy import OnConn, ProxyEnd, ProxyOpen
from wiretool.session import Outcome, Sink

Forward = Callable[["ProxySession", ProxyConn, asyncio.StreamReader, asyncio.StreamWriter, Sink], Awaitable[None]]
"""Forward mode's handler of one accepted client (``wiretool.proxy.forward``)."""


@dataclasses.dataclass
class ProxyPlan:
    """Everything the proxy needs, from the command line."""

    host: str = "127.0.0.1"
    port: int = 8080
    upstream_host: str | None = None
    upstream_port: int = 80
    upstream_tls: bool = False
    upstream_sni: str | None = None
    upstream_context: Callable[[tuple[str, ...]], ssl.SSLContext] | None = None
    """For an ``https://`` upstream: the client context offering these ALPN protocols (the one the client
    chose on a ``--tls`` listener, none for a plain client), verifying as the shared options say."""
    listen_context: ssl.SSLContext | None = None
    """``--tls``: the listener's server context (ALPN h2 and http/1.1 offered)."""
    cacert: str | None = None
    """With ``--self-signed``: the CA file clients trust."""
    connect_timeout: float | None = 10.0
    relay: RelayOptions = dataclasses.field(default_factory=RelayOptions)


class ProxySession:
    """Accept clients until stopped; relay each one; keep the run's counters."""

    proto = "proxy"

    def __init__(self, plan: ProxyPlan, *, forward: Forward | None = None) -> None:
        self.plan = plan
        self.forward = forward
        self._ids = itertools.count(1)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self._stop: asyncio.Future[Outcome] | None = None
        self._server: asyncio.AbstractServer | None = None
        self.port: int | None = None
        self.connections = 0
        self.failed = 0
        self.bytes_c2s = 0
        self.bytes_s2c = 0
        self.violations = 0
        self._sni: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()

    # -- the Session contract --------------------------------------------------------------------
    async def run(self, sink: Sink) -> Outcome:
        plan = self.plan
        self._stop = asyncio.get_running_loop().create_future()
        if plan.listen_context is not None and plan.listen_context.sni_callback is None:
            plan.listen_context.sni_callback = self._remember_sni
        try:
            self._server = await asyncio.start_server(
                lambda r, w: self._accept(r, w, sink), plan.host, plan.port, ssl=plan.listen_context,
                limit=65536, ssl_handshake_timeout=plan.connect_timeout if plan.listen_context else None)
        except OSError as exc:
            from wiretool.errors import ConnectError

            raise ConnectError(f"cannot listen on {plan.host}:{plan.port}: {exc.strerror or exc}") from None
        sock = self._server.sockets[0].getsockname()
        self.port = sock[1]
        scheme = "https" if plan.listen_context is not None else "http"
        host = f"[{sock[0]}]" if ":" in sock[0] else sock[0]
        sink.emit(Listening(t=sink.now(), proto_name="proxy", url=f"{scheme}://{host}:{self.port}",
                            cacert=plan.cacert))
        try:
            return await self._stop
        finally:
            self._server.close()
            await self._end_all()

    def stop(self, outcome: Outcome) -> None:
        if self._server is not None:
            self._server.close()
        for w in list(self._writers):
            try:
                w.close()
            except (OSError, RuntimeError):
                pass
        if self._stop is not None and not self._stop.done():
            self._stop.set_result(outcome)

    def abort(self) -> None:
        for w in list(self._writers):
            w.transport.abort()
        for t in list(self._tasks):
            t.cancel()
        if self._stop is not None and not self._stop.done():
            self._stop.set_result(Outcome(ExitCode.INTERRUPTED, "interrupted"))

    def counts(self) -> dict[str, Any]:
        return {"connections": self.connections, "failed": self.failed, "bytes_c2s": self.bytes_c2s,
                "bytes_s2c": self.bytes_s2c, "violations": self.violations}

    # -- connections -----------------------------------------------------------------------------
    def _remember_sni(self, obj: Any, name: str | None, ctx: ssl.SSLContext) -> None:
        """The listener's SNI callback: the server name a TLS client asked for (a server-side SSLObject
        does not keep it), for its connection's ``open`` record."""
        if name:
            self._sni[obj] = name

    async def relay_to(self, conn: ProxyConn, client: tuple[asyncio.StreamReader, asyncio.StreamWriter],
                       upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter], sink: Sink, *,
                       first_c2s: bytes = b"") -> ProxyEnd:
        """Announce ``conn`` (its ``open`` record), relay it to its end and count it: what reverse mode does
        with each client once its upstream is open, and what forward mode calls once it opened the one the
        client asked for (``first_c2s``: the bytes it already read)."""
        self._writers.add(upstream[1])
        try:
            sink.emit(OnConn(conn.id, ProxyOpen(  # type: ignore[arg-type]
                t=sink.now(), client=conn.client, upstream=conn.upstream, tls=conn.tls,
                upstream_tls=conn.upstream_tls, alpn=conn.alpn, sni=conn.sni)))
            end = await relay(conn, client, upstream, sink, first_c2s=first_c2s, options=self.plan.relay)
            self.ended(end)
            return end
        finally:
            self._writers.discard(upstream[1])

    def refused(self, conn: ProxyConn, sink: Sink, message: str) -> None:
        """A connection that could not be relayed (its upstream refused, a CONNECT to a closed port): its one
        ``end`` line with ``message``, counted as failed."""
        self._refused(conn, sink, message)

    def track(self, writer: asyncio.StreamWriter) -> None:
        """Close ``writer`` when the run stops (forward mode tracks the upstreams it opens)."""
        self._writers.add(writer)

    def ended(self, end: ProxyEnd) -> None:
        """A connection's summary: add it to the run's counters."""
        self.bytes_c2s += end.bytes_c2s
        self.bytes_s2c += end.bytes_s2c
        self.violations += end.violations
        if end.error:
            self.failed += 1

    async def _end_all(self) -> None:
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=2.0)
        for t in list(self._tasks):
            t.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, sink: Sink) -> None:
        task = asyncio.ensure_future(self._serve(reader, writer, sink))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, sink: Sink) -> None:
        if self._stop is None or self._stop.done():
            writer.transport.abort()
            return
        self.connections += 1
        self._writers.add(writer)
        peer = writer.get_extra_info("peername")
        ssl_obj = writer.get_extra_info("ssl_object")
        conn = ProxyConn(id=next(self._ids), client=_addr(peer), upstream="",
                         tls=ssl_obj is not None, alpn=ssl_obj.selected_alpn_protocol() if ssl_obj else None,
                         sni=self._sni.pop(ssl_obj, None) if ssl_obj else None)
        try:
            if self.forward is not None:
                await self.forward(self, conn, reader, writer, sink)
                return
            upstream = await self._connect(conn, sink)
            if upstream is None:
                return
            await self.relay_to(conn, (reader, writer), upstream, sink)
        finally:
            self._writers.discard(writer)
            if not writer.is_closing():
                writer.close()

    async def _connect(self, conn: ProxyConn, sink: Sink) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
        """The upstream connection of a reverse-mode client, or None (said in the connection's end line)."""
        plan = self.plan
        assert plan.upstream_host is not None
        conn.upstream = _addr((plan.upstream_host, plan.upstream_port))
        conn.upstream_tls = plan.upstream_tls
        ctx = plan.upstream_context((conn.alpn,) if conn.alpn else ()) if plan.upstream_context else None
        try:
            opened = asyncio.open_connection(plan.upstream_host, plan.upstream_port, ssl=ctx, limit=65536,
                                             server_hostname=(plan.upstream_sni or plan.upstream_host) if ctx else None)
            pair = await asyncio.wait_for(opened, plan.connect_timeout)
        except asyncio.TimeoutError:
            return self._refused(conn, sink, f"the upstream {conn.upstream} did not answer within "
                                 f"{plan.connect_timeout:g}s")
        except ssl.SSLError as exc:
            from wiretool.transport.tls import describe_ssl_error

            return self._refused(conn, sink, f"the upstream {conn.upstream}: {describe_ssl_error(exc)}")
        except ConnectionRefusedError:
            return self._refused(conn, sink, f"the upstream {conn.upstream} refused the connection")
        except OSError as exc:
            return self._refused(conn, sink, f"cannot connect to the upstream {conn.upstream}: "
                                 f"{exc.strerror or exc}")
        if ctx is not None and not conn.alpn:
            obj = pair[1].get_extra_info("ssl_object")
            conn.alpn = obj.selected_alpn_protocol() if obj is not None else None
        return pair

    def _refused(self, conn: ProxyConn, sink: Sink, message: str) -> None:
        conn.error = message
        end = ProxyEnd(t=sink.now(), error=message)
        self.ended(end)
        sink.emit(OnConn(conn.id, end))  # type: ignore[arg-type]
        return None


def _addr(peer: Any) -> str:
    if isinstance(peer, tuple) and len(peer) >= 2:
        host = str(peer[0])
        return f"[{host}]:{peer[1]}" if ":" in host else f"{host}:{peer[1]}"
    return str(peer or "?")
