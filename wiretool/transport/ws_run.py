"""``ws connect`` as a run: connect, send what was asked, watch for what was expected, end with an exit code.

The connection itself is :class:`~wiretool.transport.ws.WsClient`; this module is the script around
it: ``--send``/``--raw``, stdin lines and slash commands, ``--count``/``--expect``/``--expect-close``/
``--wait``, ping interval, ``--timeout``/``--idle-timeout``, Ctrl-C. Every way a run can end goes
through :meth:`Run.finish` (first outcome wins) and is mapped onto the documented exit codes.
"""

from __future__ import annotations

import asyncio
import re
import signal
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from websockets.exceptions import ProtocolError

from wiretool.errors import ConnectError, UsageError
from wiretool.exitcodes import ExitCode
from wiretool.transport.ws import ClientOptions, Outcome, WsClient, _HandshakeFailed
from wiretool.transport.ws_input import Command, parse_command, read_stdin

if TYPE_CHECKING:
    from wiretool.output.sink import Output
    from wiretool.records.ws_session import WsClose


@dataclass
class ConnectPlan:
    """Everything ``ws connect`` was asked to do, independent of click."""

    client: ClientOptions
    sends: list[tuple[str, bytes]] = field(default_factory=list)  # ("text"|"binary"|"raw", payload)
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


class Run:
    """One ``ws connect`` run; :meth:`main` returns the exit code."""

    def __init__(self, out: Output, plan: ConnectPlan) -> None:
        self.out = out
        self.plan = plan
        self.loop = asyncio.get_running_loop()
        self.stop: asyncio.Future[Outcome] = self.loop.create_future()
        self.expects = [re.compile(p) for p in plan.expects]
        self.matched = 0
        self.client: WsClient | None = None
        self.client_pending: WsClient | None = None
        self.capture: Any = None
        self.sends_done = False
        self.broken_pipe = False

    # -- the outcome -------------------------------------------------------------------------------
    def finish(self, code: int, message: str = "") -> None:
        if not self.stop.done():
            self.stop.set_result(Outcome(code, message))

    def _pending(self) -> str | None:
        plan = self.plan
        if self.matched < len(self.expects):
            return f"--expect {self.expects[self.matched].pattern!r} not matched"
        client = self.client or self.client_pending
        if plan.count is not None and client is not None and client.messages_in < plan.count:
            return f"--count {plan.count}: only {client.messages_in} messages received"
        if plan.expect_close is not None:
            return f"--expect-close {plan.expect_close}: no close received"
        return None

    def _goal_reached(self) -> bool:
        plan = self.plan
        if plan.expect_close is not None:
            return False
        has_goal = plan.count is not None or bool(self.expects)
        if not has_goal:
            return False
        client = self.client or self.client_pending
        count_ok = plan.count is None or (client is not None and client.messages_in >= plan.count)
        return count_ok and self.matched >= len(self.expects)

    def on_message(self, opcode: int, data: bytes) -> None:
        if self.matched < len(self.expects):
            text = data.decode("utf-8", "replace") if opcode == 1 else data.hex()
            if self.expects[self.matched].search(text):
                self.matched += 1
        if self._goal_reached():
            self.finish(ExitCode.OK)

    def on_closed(self, record: WsClose) -> None:
        """TCP is gone: decide what that means, unless the run already ended for another reason."""
        client = self.client
        assert client is not None
        plan = self.plan
        if client.violation is not None:
            self.finish(client.violation.code, client.violation.message)
            return
        if plan.expect_close is not None:
            if record.code == plan.expect_close:
                self.finish(ExitCode.OK)
            else:
                self.finish(ExitCode.EXPECTATION, f"--expect-close {plan.expect_close}: connection closed with "
                                                  f"{record.code} {record.code_name}")
            return
        if record.code in (1002, 1007) and client.initiator == "server":
            self.finish(ExitCode.PROTOCOL, f"server closed with {record.code} {record.code_name}: "
                                           f"{record.reason or 'no reason'}")
            return
        if record.code == 1006 or not record.clean:
            self.finish(ExitCode.ABNORMAL_CLOSE, "connection closed abnormally (1006): no close handshake")
            return
        pending = self._pending()
        if pending and client.initiator == "server":
            self.finish(ExitCode.EXPECTATION, f"stream ended first: {pending}")
            return
        self.finish(ExitCode.OK)

    # -- the run -----------------------------------------------------------------------------------
    def _on_loop_error(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        """An exception escaped a callback: stdout closed (``| head``) ends the run quietly; anything else
        is a bug, reported as exit 1 (with asyncio's traceback only under --debug)."""
        exc = context.get("exception")
        if isinstance(exc, BrokenPipeError):
            self.broken_pipe = True
            self.finish(ExitCode.OK)
            if self.client is not None:
                self.client.abort()
            return
        if self.out.env.debug:
            loop.default_exception_handler(context)
        self.finish(ExitCode.INTERNAL, f"internal error: {type(exc).__name__}: {exc}" if exc else
                    f"internal error: {context.get('message')}")

    async def main(self) -> int:
        plan, out = self.plan, self.out
        started = time.monotonic()
        self.loop.set_exception_handler(self._on_loop_error)
        self._install_signals()
        if plan.timeout:
            self.loop.call_later(plan.timeout, self._on_timeout)
        try:
            connecting = asyncio.ensure_future(asyncio.wait_for(self._connect(), plan.connect_timeout))
            await asyncio.wait([connecting, self.stop], return_when=asyncio.FIRST_COMPLETED)
            pending = self.client_pending
            if not connecting.done() and pending is not None and pending.opened.done():
                await asyncio.wait([connecting])  # the handshake is over: let the connect step finish
            if not connecting.done():
                connecting.cancel()
                await asyncio.gather(connecting, return_exceptions=True)
                if pending is not None:
                    pending.abort()
            else:
                try:
                    self.client = connecting.result()
                except asyncio.TimeoutError:
                    self.finish(ExitCode.TIMEOUT, f"--connect-timeout {plan.connect_timeout:g}s passed "
                                                  "while connecting")
                except ConnectError as exc:
                    self.finish(exc.exit_code, exc.message)
                except _HandshakeFailed as exc:
                    self.finish(exc.outcome.code, exc.outcome.message)
            if self.client is not None and not self.stop.done():
                await self._session(self.client)
            outcome = await self.stop
            if self.client is not None:
                await self._close(self.client, outcome)
        finally:
            self._remove_signals()
        client = self.client
        if self.broken_pipe:
            raise BrokenPipeError  # main() ends quietly with exit 0
        counts: dict[str, object] = {"elapsed_s": round(time.monotonic() - started, 3)}
        if client is not None:
            counts.update(messages_in=client.messages_in, messages_out=client.messages_out,
                          frames_in=client.recv_tap.frames if client.recv_tap else client.frames_in,
                          frames_out=client.send_tap.frames if client.send_tap else 0,
                          bytes_in=client.bytes_in, bytes_out=client.bytes_out)
        if outcome.code and outcome.message:
            out.error(outcome.message, outcome.code)
        out.summary(outcome.code, **counts)
        if self.capture is not None:
            self.capture.close()
        return outcome.code

    async def _connect(self) -> WsClient:
        from websockets.exceptions import InvalidURI
        from websockets.uri import parse_uri

        from wiretool.records.ws_session import WsConnect
        from wiretool.transport.tls import client_context
        from wiretool.transport.ws_proxy import open_transport, parse_proxy, proxy_from_env

        plan = self.plan
        try:
            uri = parse_uri(plan.client.url)
        except (InvalidURI, ValueError) as exc:  # ValueError: a port out of range, "[::1" (urllib's checks)
            raise UsageError(f"invalid WebSocket URL {plan.client.url!r}: {exc}") from None
        ssl_context = None
        if uri.secure:
            ssl_context = client_context(insecure=plan.insecure, cacert=plan.cacert, cert=plan.cert, key=plan.key,
                                         alpn=("http/1.1",))
        proxy_url = plan.proxy if plan.proxy is not None else proxy_from_env(uri.host, uri.port, uri.secure)
        proxy = parse_proxy(proxy_url) if proxy_url else None
        client = WsClient(self.out, plan.client, uri)
        if plan.client.record:
            client.capture = self._start_capture(plan.client.record)
        self.client_pending = client
        if plan.count is not None or self.expects:  # frames may come in the same read as the 101 response
            client.on_message = self.on_message
        transport = await open_transport(client, uri.host, uri.port, ssl_context=ssl_context,
                                         server_hostname=uri.host, proxy=proxy)
        peer = transport.get_extra_info("peername")
        ssl_obj = transport.get_extra_info("ssl_object")
        cipher = ssl_obj.cipher() if ssl_obj is not None else None
        self.out.emit(WsConnect(t=self.out.now(), url=plan.client.url,
                                peer=f"{peer[0]}:{peer[1]}" if peer else "", proxy=proxy.url if proxy else None,
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

    def _start_capture(self, path: str) -> Any:
        """``--record FILE``: every chunk both ways plus every record shown (the fast paths are off)."""
        from wiretool.capture.file import CaptureWriter

        c = self.plan.client
        writer = CaptureWriter(path, proto="ws", url=c.url, request_headers=c.headers, show_secrets=c.show_secrets,
                               extra={"method": "GET", "subprotocols": c.subprotocols, "origin": c.origin,
                                      "extensions": ["permessage-deflate"] if c.compression == "deflate" else []})
        self.capture = writer
        emit = self.out.emit

        def emit_and_record(record: Any) -> None:
            writer.record(record)
            emit(record)

        self.out.emit = emit_and_record  # type: ignore[method-assign]
        return writer

    async def _session(self, client: WsClient) -> None:
        plan = self.plan
        client.on_violation = lambda outcome: self.finish(outcome.code, outcome.message)
        client.done.add_done_callback(lambda fut: self.on_closed(fut.result()))
        if client.violation is not None:
            self.finish(client.violation.code, client.violation.message)
        tasks = [asyncio.ensure_future(self._send_all(client))]
        if plan.ping_interval:
            tasks.append(asyncio.ensure_future(self._pinger(client, plan.ping_interval)))
        if plan.idle_timeout:
            tasks.append(asyncio.ensure_future(self._idle_watch(client, plan.idle_timeout)))
        try:
            await asyncio.wait([self.stop])
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _send_all(self, client: WsClient) -> None:
        plan = self.plan
        try:
            for kind, payload in plan.sends:
                self._send(client, kind, payload)
                await asyncio.sleep(0)
            self.sends_done = True
            if plan.wait is not None:
                self.loop.call_later(plan.wait, self.finish, ExitCode.OK)
            if plan.stdin != "none":
                interactive = self.out.env.stdin_isatty
                commands = plan.commands if plan.commands is not None else interactive
                if interactive:
                    self.out.note("type a line to send it as a text message; /help for commands; "
                                  "Ctrl-D or /close to end, Ctrl-C to interrupt")
                async for item in read_stdin(self.out.env.stdin, binary=plan.stdin == "binary"):
                    if isinstance(item, bytes):
                        self._send(client, "binary", item)
                    elif commands and item.startswith("/"):
                        try:
                            self._command(client, parse_command(item))
                        except UsageError as exc:  # a typo: say so and keep reading
                            self.out.note(exc.message, level="warn")
                        except ProtocolError as exc:  # e.g. /ping with more than 125 bytes: not sent
                            self.out.note(f"{item.split(' ', 1)[0]}: not sent: {exc}", level="warn")
                    else:
                        self._send(client, "text", item.encode("utf-8", "surrogateescape"))
                    await asyncio.sleep(0)
                if interactive:
                    self.finish(ExitCode.OK)  # Ctrl-D at the terminal ends the session cleanly
        except ConnectionError:
            pass  # the connection went away; on_closed decides the outcome

    def _send(self, client: WsClient, kind: str, payload: bytes) -> None:
        if kind == "text":
            client.send_text(payload.decode("utf-8", "surrogateescape"))
        elif kind == "binary":
            client.send_binary(payload)
        elif kind == "ping":
            client.send_ping(payload)
        else:
            client.send_raw(payload)

    def _command(self, client: WsClient, cmd: Command) -> None:
        if cmd.name == "help":
            self.out.note(cmd.help_text())
        elif cmd.name == "ping":
            client.send_ping(cmd.data)
        elif cmd.name == "pong":
            client.send_pong(cmd.data)
        elif cmd.name == "binary":
            client.send_binary(cmd.data)
        elif cmd.name == "raw":
            client.send_raw(cmd.data)
        elif cmd.name == "text":
            client.send_text(cmd.data.decode("utf-8", "surrogateescape"))
        elif cmd.name == "close":
            client.close(cmd.code or 1000, cmd.reason)

    async def _pinger(self, client: WsClient, interval: float) -> None:
        n = 0
        while True:
            await asyncio.sleep(interval)
            n += 1
            try:
                client.send_ping(str(n).encode())
            except ConnectionError:
                return

    async def _idle_watch(self, client: WsClient, idle: float) -> None:
        while True:
            left = client.last_recv + idle - time.monotonic()
            if left <= 0:
                self.finish(ExitCode.TIMEOUT, f"--idle-timeout {idle:g}s: nothing received")
                return
            await asyncio.sleep(left)

    def _on_timeout(self) -> None:
        pending = self._pending() if self.client is not None else None
        if pending and (self.expects or self.plan.expect_close is not None):
            self.finish(ExitCode.EXPECTATION, f"--timeout {self.plan.timeout:g}s passed: {pending}")
        else:
            self.finish(ExitCode.TIMEOUT, f"--timeout {self.plan.timeout:g}s passed")

    async def _close(self, client: WsClient, outcome: Outcome) -> None:
        """End the connection: close 1000 when we are the ones ending it, then wait (bounded) for TCP to go."""
        if not client.done.done():
            client.close(1000, "")
            # after a timeout or Ctrl-C, wait only briefly for the peer's answer
            wait = 1.0 if outcome.code in (ExitCode.TIMEOUT, ExitCode.INTERRUPTED) else client.opts.close_timeout + 0.5
            try:
                await asyncio.wait_for(asyncio.shield(client.done), wait)
            except asyncio.TimeoutError:
                client.abort()
                await asyncio.sleep(0)

    # -- Ctrl-C ------------------------------------------------------------------------------------
    def _install_signals(self) -> None:
        self._signals: list[int] = []
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                self.loop.add_signal_handler(sig, self._on_signal)
                self._signals.append(sig)
            except (ValueError, RuntimeError, NotImplementedError):
                pass

    def _on_signal(self) -> None:
        if self.stop.done() and self.client is not None:
            self.client.abort()  # a second Ctrl-C: stop waiting for the peer
        self.finish(ExitCode.INTERRUPTED, "interrupted")

    def _remove_signals(self) -> None:
        for sig in self._signals:
            self.loop.remove_signal_handler(sig)


async def run_connect(out: Output, plan: ConnectPlan) -> int:
    """Run ``ws connect`` and return its exit code."""
    return await Run(out, plan).main()
