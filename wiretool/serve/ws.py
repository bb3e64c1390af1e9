"""``wiretool serve ws``: a local WebSocket server (echo, flood, script) that shows its side of the wire.

Built on websockets' sans-I/O ``ServerProtocol`` (handshake checks, negotiation of subprotocols and
permessage-deflate, pong and close rules) driven over an asyncio server, with the same taps as the
client (:class:`wiretool.session.Tap`, one per direction): the frames it reads (client frames, masked,
keys shown) and writes are fed to the frame codec. Driving the protocol directly rather than through websockets' high-level server lets the view
see every byte, and lets flood mode write pre-built frames at memory speed for the benchmarks
(flood frames are not shown one by one).
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import signal
import ssl
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from websockets.frames import CloseCode, Frame, Opcode
from websockets.http11 import Request
from websockets.protocol import OPEN
from websockets.server import ServerProtocol

from wiretool.records import Listening, Record, Violation
from wiretool.records.ws_session import WsAccept, WsDisconnect, WsHandshake
from wiretool.serve.ws_script import Step
from wiretool.session import RECV, SEND, Tap
from wiretool.transport.ws_tap import WsView, close_code_for, frame_parser

if TYPE_CHECKING:
    from wiretool.output.sink import Output

DEFAULT_PORT = 8765


@dataclass
class ServeOptions:
    """How ``serve ws`` was asked to run."""

    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    mode: str = "echo"  # echo | flood | script
    messages: int = 100_000
    size: int = 16
    binary: bool = False
    script: list[Step] = field(default_factory=list)
    ssl_context: ssl.SSLContext | None = None
    cacert: str | None = None
    subprotocols: list[str] = field(default_factory=list)
    compression: str = "deflate"
    max_size: int | None = 16 * 2**20
    show: str = "frames"  # frames | messages | none
    show_secrets: bool = False


_UTF8 = codecs.getincrementaldecoder("utf-8")


class _ServerProtocol(ServerProtocol):
    """websockets' ServerProtocol with a hook called for each data frame as it is parsed.

    Echo must answer a data frame before websockets answers a close frame that came in the same read
    (it does that inside ``receive_data``); answering from the events list afterwards would be too late.
    """

    on_data_frame: Callable[[Frame], None] | None = None

    def recv_frame(self, frame: Frame) -> None:
        super().recv_frame(frame)
        hook = self.on_data_frame
        if hook is not None and frame.opcode in (Opcode.TEXT, Opcode.BINARY, Opcode.CONT):
            hook(frame)


class ServerConn(asyncio.Protocol):
    """One accepted connection: websockets' ServerProtocol, the taps, and the mode's behaviour."""

    def __init__(self, server: WsServer, conn_id: int) -> None:
        self.server = server
        self.out = server.out
        self.opts = server.opts
        self.conn_id = conn_id
        extensions = None
        if self.opts.compression == "deflate":
            from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory

            extensions = [ServerPerMessageDeflateFactory()]
        self.proto = _ServerProtocol(extensions=extensions, subprotocols=self.opts.subprotocols or None,  # type: ignore[arg-type]
                                    max_size=self.opts.max_size)
        self.transport: asyncio.Transport | None = None
        self.peer = ""
        self.pre = bytearray()
        self.send_tap: Tap | None = None
        self.recv_tap: Tap | None = None
        self.send_view = WsView(dir=SEND, show=self.opts.show)
        self.recv_view = WsView(dir=RECV, show=self.opts.show)
        self._found: list[Violation] = []
        self.task: asyncio.Task[None] | None = None
        self.received: asyncio.Queue[bytes] = asyncio.Queue()
        self.fragments: list[bytes] | None = None
        self.can_write = asyncio.Event()
        self.can_write.set()
        self.frames_out = 0
        self._utf8: codecs.IncrementalDecoder | None = None
        """The text message being echoed, decoded as it arrives (None outside a text message)."""
        if self.opts.mode == "echo":
            self.proto.on_data_frame = self._echo

    # -- asyncio.Protocol --------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        peer = transport.get_extra_info("peername")
        self.peer = f"{peer[0]}:{peer[1]}" if peer else ""
        self.server.conns.add(self)
        self.out.emit(WsAccept(t=self.out.now(), conn=self.conn_id, peer=self.peer))

    def data_received(self, data: bytes) -> None:
        proto = self.proto
        if self.send_tap is None:
            self.pre += data
        elif self.recv_tap is not None:
            self.recv_tap.feed(data)
            found, self._found = self._found, []
            if found and proto.state is OPEN:
                proto.receive_data(data)
                self._events()
                if proto.state is OPEN:
                    proto.fail(close_code_for(found), "protocol violation")
                self._flush()
                return
        proto.receive_data(data)
        self._events()
        self._flush()

    def eof_received(self) -> bool | None:
        self.proto.receive_eof()
        self._flush()
        return None

    def pause_writing(self) -> None:
        """The write buffer is over its high-water mark: stop our sends, and stop reading too, since every ping
        read is answered with a pong; a client that floods pings and never reads cannot grow the buffer."""
        self.can_write.clear()
        if self.transport is not None:
            self.transport.pause_reading()

    def resume_writing(self) -> None:
        self.can_write.set()
        if self.transport is not None and not self.transport.is_closing():
            self.transport.resume_reading()

    def connection_lost(self, exc: Exception | None) -> None:
        self.can_write.set()
        self.server.conns.discard(self)
        if self.task is not None:
            self.task.cancel()
        if self.recv_tap is not None:
            self.recv_tap.finish()
        self.out.emit(WsDisconnect(t=self.out.now(), conn=self.conn_id, peer=self.peer,
                                   frames_in=self.recv_view.frames,
                                   frames_out=self.frames_out))

    # -- the protocol ------------------------------------------------------------------------------
    def _events(self) -> None:
        for event in self.proto.events_received():
            if isinstance(event, Frame):
                self._on_frame(event)
            elif isinstance(event, Request):
                self._on_request(event)

    def _on_request(self, request: Request) -> None:
        proto = self.proto
        redact = _redactor(self.opts.show_secrets)
        self.out.emit(WsHandshake(t=self.out.now(), dir="recv", request_line=f"GET {request.path} HTTP/1.1",
                                  headers=[[k, redact(k, v)] for k, v in request.headers.raw_items()]))
        response = proto.accept(request)
        proto.send_response(response)
        self.out.emit(WsHandshake(t=self.out.now(), dir="send", status=response.status_code,
                                  reason=response.reason_phrase,
                                  headers=[[k, redact(k, v)] for k, v in response.headers.raw_items()],
                                  subprotocol=proto.subprotocol,
                                  extensions=response.headers.get_all("Sec-WebSocket-Extensions"),
                                  error=str(proto.handshake_exc) if proto.handshake_exc else None))
        for data in proto.data_to_send():  # the handshake response is shown above, not as frames
            if data:
                self._transport_write(data)
            else:
                self._eof()
        if response.status_code != 101:
            return
        deflate = any(ext.name == "permessage-deflate" for ext in proto.extensions)
        now = self.out.now
        recv = frame_parser(sender="client", dir=RECV, deflate=deflate,
                            no_context_takeover=any(getattr(e, "remote_no_context_takeover", False)
                                                    for e in proto.extensions))
        send = frame_parser(sender="server", dir=SEND, deflate=deflate,
                            no_context_takeover=any(getattr(e, "local_no_context_takeover", False)
                                                    for e in proto.extensions))
        self.recv_tap = Tap(recv, dir=RECV, clock=now, on_records=self._recv_records)
        self.send_tap = Tap(send, dir=SEND, clock=now, on_records=self._send_records)
        end = self.pre.find(b"\r\n\r\n")
        if end >= 0 and end + 4 < len(self.pre):  # frames in the same read as the request
            self.recv_tap.feed(self.pre, skip=end + 4)
            self._found = []
        self.task = asyncio.ensure_future(self._run_mode())

    def _recv_records(self, records: list[Record]) -> None:
        shown, found = self.recv_view.select(records)
        if shown:
            self.out.emit_many(shown)
        self._found = found

    def _send_records(self, records: list[Record]) -> None:
        shown, _ = self.send_view.select(records)
        if shown:
            self.out.emit_many(shown)

    def _echo(self, frame: Frame) -> None:
        """Send a data frame back as it came (fragmentation kept), while the connection is open.

        websockets' protocol layer leaves UTF-8 to whoever reads a text message; echoing frame by frame, we
        are that reader, so each text frame is checked as it arrives (fail fast, RFC 6455 §8.1: 1007) and
        invalid text is never echoed.
        """
        if self.proto.state is not OPEN:
            return
        if frame.opcode is Opcode.TEXT:
            self._utf8 = _UTF8()
        if self._utf8 is not None and frame.opcode in (Opcode.TEXT, Opcode.CONT):
            try:
                self._utf8.decode(frame.data, frame.fin)
            except UnicodeDecodeError:
                self._utf8 = None
                self.proto.fail(CloseCode.INVALID_DATA, "invalid UTF-8 in a text message")
                return
            if frame.fin:
                self._utf8 = None
        elif frame.opcode is Opcode.BINARY:
            self._utf8 = None
        if frame.opcode is Opcode.CONT:
            self.proto.send_continuation(frame.data, frame.fin)
        elif frame.opcode is Opcode.TEXT:
            self.proto.send_text(frame.data, frame.fin)
        else:
            self.proto.send_binary(frame.data, frame.fin)

    def _on_frame(self, frame: Frame) -> None:
        opcode = frame.opcode
        if opcode is not Opcode.TEXT and opcode is not Opcode.BINARY and opcode is not Opcode.CONT:
            return
        if opcode is not Opcode.CONT:
            self.fragments = []
        if self.fragments is not None:
            self.fragments.append(bytes(frame.data))
            if frame.fin:
                self.received.put_nowait(b"".join(self.fragments))
                self.fragments = None

    def _flush(self) -> None:
        for data in self.proto.data_to_send():
            if data:
                self._write(data)
            else:
                self._eof()

    def _write(self, data: bytes) -> None:
        self._transport_write(data)
        if self.send_tap is not None:
            before = self.send_view.frames
            self.send_tap.feed(data)
            self.frames_out += self.send_view.frames - before

    def _transport_write(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def _eof(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()  # a server closes TCP right after the close handshake

    # -- modes -------------------------------------------------------------------------------------
    async def _run_mode(self) -> None:
        try:
            if self.opts.mode == "flood":
                await self._flood()
            elif self.opts.mode == "script":
                await self._script(self.opts.script)
        except (ConnectionError, asyncio.CancelledError):
            pass
        except Exception as exc:  # a script step the state machine refused: say so, keep serving
            self.out.note(f"conn {self.conn_id}: {type(exc).__name__}: {exc}", level="warn")

    async def _flood(self) -> None:
        opts = self.opts
        count, size = opts.messages, opts.size
        self.out.note(f"conn {self.conn_id}: flood of {count} {'binary' if opts.binary else 'text'} messages "
                      f"of {size} bytes (frames not shown)")
        payload = b"x" * size
        if self.proto.extensions:  # compressed: each message goes through the extension
            for i in range(count):
                if opts.binary:
                    self.proto.send_binary(payload)
                else:
                    self.proto.send_text(payload)
                for data in self.proto.data_to_send():
                    self._transport_write(data)
                if i % 64 == 0:
                    await self.can_write.wait()
        else:
            frame = Frame(Opcode.BINARY if opts.binary else Opcode.TEXT, payload).serialize(mask=False, extensions=[])
            per_chunk = max(1, (256 * 1024) // len(frame))
            chunk = frame * per_chunk
            left = count
            while left > 0 and self.transport is not None and not self.transport.is_closing():
                n = min(left, per_chunk)
                self._transport_write(chunk if n == per_chunk else frame * n)
                left -= n
                if not self.can_write.is_set():
                    await self.can_write.wait()
        self.frames_out += count
        if self.proto.state is OPEN:
            self.proto.send_close(1000, "flood done")
            self._flush()

    async def _script(self, steps: list[Step]) -> None:
        proto = self.proto
        for step in steps:
            verb = step.verb
            if verb == "send":
                proto.send_text(step.text.encode())
            elif verb == "send-hex":
                proto.send_binary(step.data)
            elif verb == "ping":
                proto.send_ping(step.data)
            elif verb == "pong":
                proto.send_pong(step.data)
            elif verb == "raw":
                self._write(step.data)
            elif verb == "recv":
                await self.received.get()
            elif verb == "sleep":
                await asyncio.sleep(step.seconds)
            elif verb == "close":
                if proto.state is OPEN:
                    proto.send_close(step.code, step.text)
            self._flush()
            await asyncio.sleep(0)


def _redactor(show_secrets: bool):  # type: ignore[no-untyped-def]
    from wiretool.secrets import redact

    return lambda name, value: redact(name, value, show_secrets)


class WsServer:
    """The listening server: accepts connections and gives each a :class:`ServerConn`."""

    def __init__(self, out: Output, opts: ServeOptions) -> None:
        self.out = out
        self.opts = opts
        self.conns: set[ServerConn] = set()
        self.server: asyncio.Server | None = None
        self.url = ""
        self._next_id = 0

    def _factory(self) -> ServerConn:
        self._next_id += 1
        return ServerConn(self, self._next_id)

    async def start(self) -> str:
        """Bind and listen; returns the URL (``ws://host:port``) with the real port when ``--port 0``."""
        loop = asyncio.get_running_loop()
        self.server = await loop.create_server(self._factory, self.opts.host, self.opts.port,
                                               ssl=self.opts.ssl_context)
        port = self.server.sockets[0].getsockname()[1]
        host = self.opts.host
        shown = f"[{host}]" if ":" in host else host
        self.url = f"{'wss' if self.opts.ssl_context else 'ws'}://{shown}:{port}"
        return self.url

    async def stop(self) -> None:
        """Stop listening and drop every connection."""
        if self.server is not None:
            self.server.close()
        for conn in list(self.conns):
            if conn.transport is not None:
                conn.transport.abort()
        if self.server is not None:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.server.wait_closed(), 2)


@contextlib.asynccontextmanager
async def running_server(out: Output, opts: ServeOptions) -> AsyncIterator[WsServer]:
    """``async with running_server(out, opts) as server: ... server.url``: a server for demos and tests."""
    server = WsServer(out, opts)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def serve(out: Output, opts: ServeOptions) -> int:
    """Run ``serve ws`` until SIGINT/SIGTERM; print ``listening on URL`` first; return 0."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    broken: list[BaseException] = []

    def on_loop_error(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        if isinstance(exc, BrokenPipeError):  # stdout closed (| head): stop serving, quietly
            broken.append(exc)
            stop.set()
        elif out.env.debug:
            loop.default_exception_handler(context)
        else:
            out.note(f"internal error: {type(exc).__name__}: {exc}", level="error")

    loop.set_exception_handler(on_loop_error)
    installed = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)
        except (ValueError, RuntimeError, NotImplementedError):
            pass
    try:
        async with running_server(out, opts) as server:
            out.emit(Listening(t=out.now(), proto_name="ws", url=server.url, cacert=opts.cacert))
            await stop.wait()
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
    if broken:
        raise BrokenPipeError
    out.summary(0)
    return 0
