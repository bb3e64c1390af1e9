"""``ws connect`` as a :class:`~wiretool.session.Session`: connect, play the script, end when asked.

The connection itself is :class:`~wiretool.transport.ws.WsClient`; this module is what happens around
it: TCP (through a proxy) and TLS within ``--connect-timeout``, then the script of ``--send``/``--raw``,
stdin lines and slash commands, ``--wait`` and the pinger. What the run waits for (``--count``,
``--expect``, ``--expect-close``) is :class:`~wiretool.run.ws.WsGoals`; timeouts, Ctrl-C, the error and
summary records and the capture are the run layer's (:func:`wiretool.run.run`).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any

from websockets.exceptions import ProtocolError

from wiretool.errors import ConnectError, UsageError
from wiretool.exitcodes import ExitCode
from wiretool.records import Note
from wiretool.run.ws import close_outcome
from wiretool.secrets import redact_url
from wiretool.session import Outcome, Sink
from wiretool.transport.ws import ClientOptions, WsClient, _HandshakeFailed
from wiretool.transport.ws_input import Command, parse_command, read_stdin

if TYPE_CHECKING:
    from websockets.uri import WebSocketURI

    from wiretool.capture.file import CaptureWriter


@dataclass
class ConnectPlan:
    """Everything ``ws connect`` was asked to do, independent of click."""

    client: ClientOptions
    sends: list[tuple[str, bytes]] = field(default_factory=list)  # ("text"|"binary"|"ping"|"raw", payload)
    count: int | None = None
    expects: list[str] = field(default_factory=list)
    expect_close: int | None = None
    wait: float | None = None
    ping_interval: float | None = None
    timeout: float | None = None
    idle_timeout: float | None = None
    connect_timeout: float | None = 10.0
    insecure: bool = False
    cacert: str | None = None
    cert: str | None = None
    key: str | None = None
    proxy: str | None = None
    stdin: str = "lines"  # lines | binary | none
    commands: bool | None = None  # slash commands; None = only on a terminal
    stdin_stream: IO[Any] | None = None
    interactive: bool = False
    """stdin is a terminal: say how to use it, and Ctrl-D ends the session cleanly."""
    record: str | None = None
    """``--record FILE``: the capture (see :func:`open_capture`)."""
    view: Any = None
    """``--view NAME``: the payload view forced on every message (None: picked per connection)."""
    views: bool = True
    """Payload views at all (``--view raw``: off)."""
    socketio: list[Any] = field(default_factory=list)
    """``--socketio-emit``: :class:`~wiretool.transport.socketio_script.Emit` s sent after the Socket.IO connect."""
    record_pcapng: str | None = None
    """``--record-pcapng FILE``: the plaintext as pcapng."""
    har: str | None = None
    """``--har FILE``: the session as HAR 1.2."""
    graphql: Any = None
    """``--graphql-subscribe``: a :class:`~wiretool.transport.ws_graphql.GraphqlPlan`, run after the handshake."""


def parse_url(url: str, show_secrets: bool = False) -> WebSocketURI:
    """The ws:// or wss:// URL as websockets sees it; a usage error (exit 2) when it is not one (the line
    names the URL with its password redacted)."""
    from websockets.exceptions import InvalidURI
    from websockets.uri import parse_uri

    try:
        return parse_uri(url)
    except (InvalidURI, ValueError) as exc:  # ValueError: a port out of range, "[::1" (urllib's checks)
        raise UsageError(f"invalid WebSocket URL {redact_url(url, show_secrets)!r}: "
                         f"{str(exc).replace(url, redact_url(url, show_secrets))}") from None


def open_capture(plan: ConnectPlan) -> CaptureWriter | None:
    """``--record FILE``: a capture of every chunk both ways plus every record, with the request's options."""
    if not (plan.record or plan.record_pcapng or plan.har):
        return None
    from wiretool.capture.file import CaptureWriter

    c = plan.client
    return CaptureWriter(plan.record, proto="ws", url=c.url, request_headers=c.headers, show_secrets=c.show_secrets,
                         pcapng=plan.record_pcapng, har=plan.har,
                         extra={"method": "GET", "subprotocols": c.subprotocols, "origin": c.origin,
                                "extensions": ["permessage-deflate"] if c.compression == "deflate" else []})


class WsClientSession:
    """One ``ws connect`` run as a session: :meth:`run` connects and plays the script until TCP is gone."""

    proto = "ws"

    def __init__(self, plan: ConnectPlan) -> None:
        self.plan = plan
        self.uri = parse_url(plan.client.url, plan.client.show_secrets)
        self.ssl_context = None
        if self.uri.secure:  # a bad --cacert/--cert is a usage error before anything runs
            from wiretool.transport.tls import client_context

            self.ssl_context = client_context(insecure=plan.insecure, cacert=plan.cacert, cert=plan.cert,
                                              key=plan.key, alpn=("http/1.1",))
        self.client: WsClient | None = None
        """The connection once its handshake succeeded (before that, :attr:`pending`)."""
        self.pending: WsClient | None = None
        self.sink: Sink | None = None
        self._connecting: asyncio.Future[WsClient] | None = None
        self._stopping: Outcome | None = None
        self._tasks: list[asyncio.Future[Any]] = []
        self.script: Any = None
        """The GraphQL client steps (``--graphql-subscribe``), a sink in front of the run's."""
        self.awaiting: Any = None
        """What the run's goals still wait for, in words, or None (``WsGoals.pending``): a script that is done
        ends the run with it as exit 7 rather than closing as if all were met."""

    # -- the Session contract ----------------------------------------------------------------------
    async def run(self, sink: Sink) -> Outcome:
        self.sink = sink
        plan = self.plan
        self._connecting = asyncio.ensure_future(asyncio.wait_for(self._connect(sink), plan.connect_timeout))
        try:
            client = await asyncio.shield(self._connecting)
        except asyncio.CancelledError:
            if self._connecting.cancelled():  # stop() before the handshake was over
                if self.pending is not None:
                    self.pending.abort()
                return self._stopping or Outcome(ExitCode.INTERRUPTED, "interrupted")
            self._connecting.cancel()
            raise
        except asyncio.TimeoutError:
            return Outcome(ExitCode.TIMEOUT, f"--connect-timeout {plan.connect_timeout:g}s passed while connecting")
        except ConnectError as exc:
            return Outcome(exc.exit_code, exc.message)
        except _HandshakeFailed as exc:
            return exc.outcome
        self.client = client
        if self._stopping is not None:
            self._close(client, self._stopping)
        else:
            if self.script is not None:
                self.script.start(client.send_text, lambda: client.close(1000, ""), client.proto.subprotocol,
                                  awaiting=self.awaiting)
            self._tasks.append(asyncio.ensure_future(self._send_all(client)))
            if plan.ping_interval:
                self._tasks.append(asyncio.ensure_future(self._pinger(client, plan.ping_interval)))
        try:
            record = await asyncio.shield(client.done)
        finally:
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
        return client.violation or close_outcome(record, expect_close=None, pending=None)

    def stop(self, outcome: Outcome) -> None:
        """End the connection: close 1000 (the handshake bounded in time), or give up connecting."""
        if self._stopping is None:
            self._stopping = outcome
        if self.client is not None:
            self._close(self.client, outcome)
            return
        pending = self.pending
        if pending is not None and pending.opened.done():
            return  # the handshake is over: let the connect step finish, run() then closes
        if self._connecting is not None and not self._connecting.done():
            self._connecting.cancel()

    def abort(self) -> None:
        for client in (self.client, self.pending):
            if client is not None:
                client.abort()

    def counts(self) -> dict[str, Any]:
        return self.client.counts() if self.client is not None else {}

    # -- connecting --------------------------------------------------------------------------------
    async def _connect(self, sink: Sink) -> WsClient:
        from wiretool.records.ws_session import WsConnect
        from wiretool.transport.conninfo import describe
        from wiretool.transport.ws_proxy import open_transport, parse_proxy, proxy_from_env

        plan, uri, ssl_context = self.plan, self.uri, self.ssl_context
        proxy_url = plan.proxy if plan.proxy is not None else proxy_from_env(uri.host, uri.port, uri.secure)
        show_secrets = plan.client.show_secrets
        proxy = parse_proxy(proxy_url, show_secrets) if proxy_url else None
        script: Any = None
        if plan.socketio:
            from wiretool.transport.socketio_script import SocketIOScript

            script = SocketIOScript(sink, plan.socketio)
        elif plan.graphql is not None:
            from wiretool.transport.ws_graphql import GraphqlScript

            script = self.script = GraphqlScript(sink, plan.graphql)
        client = WsClient(script or sink, plan.client, uri)
        if plan.socketio:
            script.send = client.send_text
        self.pending = client
        transport = await open_transport(client, uri.host, uri.port, ssl_context=ssl_context,
                                         server_hostname=uri.host, proxy=proxy)
        peer = transport.get_extra_info("peername")
        ssl_obj = transport.get_extra_info("ssl_object")
        cipher = ssl_obj.cipher() if ssl_obj is not None else None
        describe(sink, 0, transport.get_extra_info, proto="ws", sni=uri.host if uri.secure else None)
        sink.emit(WsConnect(t=sink.now(), url=redact_url(plan.client.url, show_secrets),
                            peer=f"{peer[0]}:{peer[1]}" if peer else "",
                            proxy=redact_url(proxy.url, show_secrets) if proxy else None,
                            tls_version=ssl_obj.version() if ssl_obj is not None else None,
                            tls_cipher=cipher[0] if cipher else None,
                            alpn=ssl_obj.selected_alpn_protocol() if ssl_obj is not None else None))
        client.start()
        try:
            await client.opened
        except BaseException:
            client.abort()
            raise
        return client

    def _close(self, client: WsClient, outcome: Outcome) -> None:
        """Close 1000 when we are the ones ending it; after a timeout or Ctrl-C wait only briefly for the peer."""
        if client.done.done():
            return
        client.close(1000, "")
        wait = 1.0 if outcome.code in (ExitCode.TIMEOUT, ExitCode.INTERRUPTED) else client.opts.close_timeout + 0.5
        timer = asyncio.get_running_loop().call_later(wait, client.abort)
        client.done.add_done_callback(lambda _: timer.cancel())

    # -- the script --------------------------------------------------------------------------------
    def _note(self, text: str, level: str = "info") -> None:
        assert self.sink is not None
        self.sink.emit(Note(t=self.sink.now(), proto_name="ws", text=text, level=level))

    async def _send_all(self, client: WsClient) -> None:
        plan, sink = self.plan, self.sink
        assert sink is not None
        try:
            for kind, payload in plan.sends:
                _send(client, kind, payload)
                await asyncio.sleep(0)
            if plan.wait is not None:
                asyncio.get_running_loop().call_later(plan.wait, sink.finish, Outcome(ExitCode.OK))
            if plan.stdin != "none" and plan.stdin_stream is not None:
                interactive = plan.interactive
                commands = plan.commands if plan.commands is not None else interactive
                if interactive:
                    self._note("type a line to send it as a text message; /help for commands; "
                               "Ctrl-D or /close to end, Ctrl-C to interrupt")
                async for item in read_stdin(plan.stdin_stream, binary=plan.stdin == "binary"):
                    if isinstance(item, bytes):
                        _send(client, "binary", item)
                    elif commands and item.startswith("/"):
                        try:
                            self._command(client, parse_command(item))
                        except UsageError as exc:  # a typo: say so and keep reading
                            self._note(exc.message, level="warn")
                        except ProtocolError as exc:  # e.g. /ping with more than 125 bytes: not sent
                            self._note(f"{item.split(' ', 1)[0]}: not sent: {exc}", level="warn")
                    else:
                        _send(client, "text", item.encode("utf-8", "surrogateescape"))
                    await asyncio.sleep(0)
                if interactive:
                    sink.finish(Outcome(ExitCode.OK))  # Ctrl-D at the terminal ends the session cleanly
        except ConnectionError:
            pass  # the connection went away; its close decides the outcome

    def _command(self, client: WsClient, cmd: Command) -> None:
        if cmd.name == "help":
            self._note(cmd.help_text())
        elif cmd.name == "close":
            client.close(cmd.code or 1000, cmd.reason)
        else:
            _send(client, cmd.name, cmd.data)

    async def _pinger(self, client: WsClient, interval: float) -> None:
        n = 0
        while True:
            await asyncio.sleep(interval)
            n += 1
            try:
                client.send_ping(str(n).encode())
            except ConnectionError:
                return


def _send(client: WsClient, kind: str, payload: bytes) -> None:
    """One thing of the script: a text, binary, ping or pong message, or raw bytes."""
    if kind == "text":
        client.send_text(payload.decode("utf-8", "surrogateescape"))
    elif kind == "binary":
        client.send_binary(payload)
    elif kind == "ping":
        client.send_ping(payload)
    elif kind == "pong":
        client.send_pong(payload)
    else:
        client.send_raw(payload)


async def run_connect(out: Any, plan: ConnectPlan) -> int:
    """A ``ws connect`` plan through the one run layer (``out`` is the command's Output): its session, goals,
    limits and capture. The command and the demos both run it."""
    from wiretool.run import Limits, run
    from wiretool.run.viewing import Viewing
    from wiretool.run.ws import WsGoals

    session = WsClientSession(plan)
    goals = WsGoals(count=plan.count, expects=plan.expects, expect_close=plan.expect_close)
    session.awaiting = goals.pending
    viewing = (Viewing(proto="ws", url=plan.client.url, forced=plan.view, pretty=not out.env.json)
               if plan.views else None)
    return await run(session, out, limits=Limits(timeout=plan.timeout, idle_timeout=plan.idle_timeout), goals=goals,
                     capture=open_capture(plan), viewing=viewing)
