"""A WebSocket client that shows the exact wire: websockets' sans-I/O ``ClientProtocol`` driven over asyncio.

Each received byte is parsed once. websockets does the opening handshake (it builds the request and checks
the 101) and everything we send (framing, masking, permessage-deflate). After the 101, the bytes read go
through a :class:`~wiretool.session.Tap` to wiretool's own frame codec (:mod:`wiretool.codec.wsframe`),
which decides what the view shows and which rules were broken; this module then drives websockets' state
machine with what the protocol needs of those frames: each PING, PONG and CLOSE frame is handed to it
whole (it answers the pong, echoes the close and follows the closing handshake), data frames never are.
A violation the codec names, a message past ``--max-size`` (checked on the header, before its payload
is buffered) or one of too many frames fails the connection through websockets (``fail`` with 1002,
1007 or 1009). docs/design.md says where this line runs and why.

The client writes nowhere itself: records go to its :class:`~wiretool.session.Sink`, those of one socket
read together (``emit_many``), which is what keeps a flood of small frames fast under ``--json``. With
``show="messages"`` the codec makes no frame record for a plain whole data frame, only its message.
"""

from __future__ import annotations

import asyncio
import gc
import time
from dataclasses import dataclass, field
from typing import Any

from websockets.client import ClientProtocol
from websockets.exceptions import (
    InvalidHandshake,
    InvalidHeader,
    InvalidHeaderValue,
    InvalidStatus,
    InvalidUpgrade,
    ProtocolError,
)
from websockets.frames import Opcode
from websockets.http11 import Request, Response
from websockets.protocol import CLOSED, OPEN
from websockets.uri import WebSocketURI
from websockets.utils import accept_key

from wiretool.codec.wsrules import MAX_MESSAGE_FRAMES, too_many_frames
from wiretool.exitcodes import ExitCode
from wiretool.records import Note, Record, Violation
from wiretool.records.ws import WsFrame, WsMessage
from wiretool.records.ws_session import WsClose, WsHandshake, WsProtocolError, WsRtt, close_name
from wiretool.secrets import redact
from wiretool.session import RECV, SEND, Outcome, Sink, Tap
from wiretool.transport.heap import BIG_FRAME, keep_heap
from wiretool.transport.ws_errors import describe_handshake_error, violation_from_exception
from wiretool.transport.ws_tap import WsView, close_code_for, frame_parser

_BULK = 16384
"""A read at least this big pauses the cyclic GC while its records are made and handed on."""

TEXT, BINARY, CONT, PING, PONG, CLOSE = (Opcode.TEXT, Opcode.BINARY, Opcode.CONT, Opcode.PING, Opcode.PONG,
                                         Opcode.CLOSE)


@dataclass
class ClientOptions:
    """What the user asked of the connection itself (the session holds what to send and when to stop)."""

    url: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    origin: str | None = None
    subprotocols: list[str] = field(default_factory=list)
    compression: str = "none"
    max_size: int | None = 16 * 2**20
    show: str = "frames"
    show_secrets: bool = False
    close_timeout: float = 3.0
    recv_messages: bool = False
    """Also show the reassembled messages received beside the frames (``replay`` does)."""
    lenient_handshake: bool = False
    """Go on after a 101 that websockets finds wrong (no or a bad ``Sec-WebSocket-Accept``, a missing
    ``Upgrade``): ``replay`` talks to whatever answered before; the handshake record still shows what is wrong."""


class WsClient(asyncio.Protocol):
    """One client connection: an asyncio protocol around websockets' ClientProtocol, with the taps.

    Everything it sees goes to ``sink``: raw bytes through one :class:`~wiretool.session.Tap` per
    direction, records with ``sink.emit`` (those of one socket read together, ``sink.emit_many``), and a
    violation or an abnormal end as ``sink.finish(outcome)`` the moment it is known.

    Life cycle: :meth:`start` after the transport is connected sends the request; ``opened`` resolves
    with the handshake response (or fails with an :class:`Outcome`); ``done`` resolves when TCP is gone,
    after the ``close`` record.
    """

    def __init__(self, sink: Sink, opts: ClientOptions, uri: WebSocketURI) -> None:
        loop = asyncio.get_running_loop()
        self.sink = sink
        self.opts = opts
        extensions = None
        if opts.compression == "deflate":
            from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory

            extensions = [ClientPerMessageDeflateFactory(client_max_window_bits=True)]
        protocol = _LenientClientProtocol if opts.lenient_handshake else ClientProtocol
        self.proto = protocol(uri, origin=opts.origin, extensions=extensions,  # type: ignore[arg-type]
                              subprotocols=opts.subprotocols or None,  # type: ignore[arg-type]
                              max_size=opts.max_size)
        self.transport: asyncio.Transport | None = None
        self.opened: asyncio.Future[Response] = loop.create_future()
        self.done: asyncio.Future[WsClose] = loop.create_future()
        self.handshake_bytes = bytearray()
        self.send_tap = Tap(None, dir=SEND, clock=sink.now, on_records=self._send_records, on_bytes=sink.chunk)
        """Every byte written; its frame codec is attached once the handshake is over."""
        self.recv_tap = Tap(None, dir=RECV, clock=sink.now, on_records=self._recv_records, on_bytes=sink.chunk)
        """Every byte read; decoded by a frame codec after the handshake unless ``--show messages``."""
        self.send_view: WsView | None = None
        self.recv_view: WsView | None = None
        self.violation: Outcome | None = None
        self.pings: dict[bytes, float] = {}
        self.initiator: str | None = None
        self.messages_in = 0
        self.messages_out = 0
        self.auto_replies = True
        """Write what websockets answers by itself (pongs, the close echo, a failing close). ``replay --exact``
        turns it off: only the recorded frames go out, written with :meth:`send_raw`."""
        self._recv_codec: Any = None
        """The receive side's frame codec (kept when the tap stops decoding, for its counts)."""
        self._skipped_seen = 0
        """The codec's :attr:`skipped` count when its records were last handed on."""
        self._plain_seen = 0
        """The codec's :attr:`plain` count when its records were last handed on."""
        self._frames_only = False
        """The receive codec makes no message record for a plain whole frame (the frames view)."""
        self._in_fragment = False
        """A fragmented data message is open on the frames handed on so far (a CLOSE inside it is an error)."""
        self._cur_size: int | None = None
        """Bytes of the fragmented message received so far (for --max-size), None outside one."""
        self._close_timer: asyncio.TimerHandle | None = None
        self._batch: list[Record] | None = None
        """The records of the socket read being handled, handed to the sink together at its end."""
        self._after_close = 0
        """Bytes received since our close frame went out: the view stops decoding past a bound (see
        :meth:`_tap_budget`), because websockets then discards them and a hostile peer may stream forever."""
        self._tap_stopped = False
        self._heap_kept = False
        """A large frame was announced and :func:`~wiretool.transport.heap.keep_heap` called."""
        self._close_at: int | None = None
        """Offset in the received stream (after the handshake) when our close frame went out."""

    # -- counts ------------------------------------------------------------------------------------
    @property
    def bytes_in(self) -> int:
        return self.recv_tap.bytes

    @property
    def bytes_out(self) -> int:
        return self.send_tap.bytes

    def counts(self) -> dict[str, int]:
        """The summary's figures for this connection."""
        return {"messages_in": self.messages_in, "messages_out": self.messages_out,
                "frames_in": (self.recv_view.frames + self._recv_codec.skipped) if self.recv_view else 0,
                "frames_out": self.send_view.frames if self.send_view else 0,
                "bytes_in": self.bytes_in, "bytes_out": self.bytes_out}

    # -- asyncio.Protocol --------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def start(self, request: Request | None = None) -> None:
        """Send the opening handshake request and show it.

        Without ``request``, websockets builds it and the extra -H headers are applied; a replay passes
        the recorded request instead (its ``Sec-WebSocket-Key`` must be ``self.proto.key``).
        """
        if request is None:
            request = self.proto.connect()
            for name, value in self.opts.headers:
                if name.lower() in ("host", "user-agent") and name in request.headers:
                    del request.headers[name]
                request.headers[name] = value
            if "User-Agent" not in request.headers:
                from wiretool import __version__

                request.headers["User-Agent"] = f"wiretool/{__version__}"
        self.proto.send_request(request)
        self._emit(WsHandshake(t=self.sink.now(), dir="send", request_line=f"GET {request.path} HTTP/1.1",
                               headers=self._headers(request.headers.raw_items())))
        for data in self.proto.data_to_send():
            assert self.transport is not None
            self.transport.write(data)
            self.send_tap.feed(data)

    def data_received(self, data: bytes) -> None:
        self._batch = batch = []
        # A big read makes a record per few bytes; the cyclic GC would rescan that growing batch again and
        # again (records hold no cycles), so it is paused for this read, as the frame codec does.
        paused = len(data) >= _BULK and gc.isenabled()
        if paused:
            gc.disable()
        try:
            self._received(data)
        finally:
            self._batch = None
            try:
                if batch:
                    self.sink.emit_many(batch)
            finally:
                if paused:
                    gc.enable()

    def _received(self, data: bytes) -> None:
        proto = self.proto
        recv_tap = self.recv_tap
        if self.send_view is None:  # still in the HTTP handshake: recorded, not decoded
            recv_tap.feed(data)
            self.handshake_bytes += data
            self._handshake_data(data)
            return
        codec = recv_tap.codec
        if codec is not None:
            if proto.close_sent is not None:
                if self._close_at is None:  # what the codec had before this read came before our close
                    self._close_at = codec.fed
                self._after_close += len(data)
            if self._after_close > self._tap_budget():
                self._stop_tap()
        recv_tap.feed(data)  # the codec's records reach _recv_records, which drives websockets
        if recv_tap.codec is not None and self.violation is None:
            self._check_pending(recv_tap.codec)
        self._after_receive()

    def _handshake_data(self, data: bytes) -> None:
        """Hand websockets the bytes of the response head, and only those once a 101 head is whole: frames in
        the same read are the codec's (see :meth:`_on_response`), so websockets' reader stays empty."""
        raw = self.handshake_bytes
        end = raw.find(b"\r\n\r\n")
        if end >= 0:
            status = raw[:raw.find(b"\r\n")].split(b" ", 2)
            extra = len(raw) - (end + 4)
            if len(status) > 1 and status[1] == b"101" and 0 < extra <= len(data):
                data = data[:len(data) - extra]
        try:
            self.proto.receive_data(data)
        except EOFError:
            return
        for event in self.proto.events_received():
            if isinstance(event, Response):
                self._on_response(event)
        self._after_receive()

    def pause_writing(self) -> None:
        """The transport's write buffer is over its high-water mark: stop reading until it drains. websockets
        answers every ping (and a close) by itself, so a peer that floods pings and never reads would otherwise
        grow the buffer without bound; paused, the peer's own sends block instead (TCP backpressure)."""
        if self.transport is not None:
            self.transport.pause_reading()

    def resume_writing(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.resume_reading()

    def eof_received(self) -> bool | None:
        self.proto.receive_eof()
        for event in self.proto.events_received():
            if isinstance(event, Response):
                self._on_response(event)
        self._flush()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        if self._close_timer is not None:
            self._close_timer.cancel()
        if self.proto.state is not CLOSED:
            try:
                self.proto.receive_eof()
            except EOFError:
                pass
        if not self.opened.done():
            import ssl

            if isinstance(exc, ssl.SSLError):  # e.g. TLS 1.3: a required client certificate refused late
                from wiretool.transport.tls import describe_ssl_error

                self._fail_open(Outcome(ExitCode.CONNECT, describe_ssl_error(exc)))
            else:
                self._fail_open(Outcome(ExitCode.ABNORMAL_CLOSE, "connection closed before the handshake completed"))
        else:
            codec = self.recv_tap.codec
            if (codec is not None and codec.message_in_progress is not None and self.violation is None
                    and self.proto.close_rcvd is None):
                self.violation = Outcome(ExitCode.ABNORMAL_CLOSE, "connection closed in the middle of a message")
                self.sink.finish(self.violation)
            if self.recv_view is not None and not self._tap_stopped and self.recv_view.show != "messages":
                self.recv_tap.finish()  # (--show messages never showed a frame cut short: the 1006 says it)
            if self.send_view is not None:
                self.send_tap.finish()
        rcvd, sent = self.proto.close_rcvd, self.proto.close_sent
        code, reason = (rcvd.code, rcvd.reason) if rcvd else (1006, "")
        if rcvd is None and self.recv_view is not None and self.recv_view.close_seen is not None:
            code, reason = self.recv_view.close_seen  # after failing, websockets stops reading; the view did not
        record = WsClose(t=self.sink.now(), code=code, reason=reason, clean=code != 1006 and sent is not None,
                         code_name=close_name(code),
                         sent_code=sent.code if sent else None, sent_reason=sent.reason if sent else None,
                         initiator=self.initiator or ("client" if sent is not None else None))
        opened = self.opened
        if opened.done() and not opened.cancelled() and opened.exception() is None:
            self._emit(record)
        if not self.done.done():
            self.done.set_result(record)

    # -- sending -----------------------------------------------------------------------------------
    def send_text(self, text: str) -> None:
        """Send a TEXT message; bytes that were not UTF-8 where they came from (argv, stdin) go out as they were."""
        self._guard()
        self.proto.send_text(text.encode("utf-8", "surrogateescape"))
        self.messages_out += 1
        self._flush()

    def send_binary(self, data: bytes) -> None:
        self._guard()
        self.proto.send_binary(data)
        self.messages_out += 1
        self._flush()

    def send_ping(self, data: bytes = b"") -> None:
        self._guard(closing_ok=True)
        self.pings[bytes(data)] = time.monotonic()
        self.proto.send_ping(data)
        self._flush()

    def send_pong(self, data: bytes = b"") -> None:
        self._guard(closing_ok=True)
        self.proto.send_pong(data)
        self._flush()

    def send_raw(self, data: bytes) -> None:
        """Write bytes as they are, bypassing the state machine (crafted or broken frames); still shown."""
        if self.transport is None or self.transport.is_closing():
            raise ConnectionError("connection is closed")
        self._write(data)

    def close(self, code: int | None = 1000, reason: str = "") -> None:
        """Start the closing handshake (no-op if it already started) and arm the close timeout.

        ``code`` None sends a close frame without a payload (as a recording may hold)."""
        if self.proto.state is OPEN:
            self.initiator = self.initiator or "client"
            try:
                self.proto.send_close(code, reason)
            except ProtocolError:
                self.proto.send_close(1000, reason)
            self._flush()
        elif self.transport is not None and not self.transport.is_closing() and self.proto.state is not CLOSED:
            self._arm_close_timer()

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()

    @property
    def is_open(self) -> bool:
        return self.proto.state is OPEN

    # -- internals ---------------------------------------------------------------------------------
    def _emit(self, record: Record) -> None:
        """A record, in wire order: into the current read's batch, or straight to the sink."""
        batch = self._batch
        if batch is not None:
            batch.append(record)
        else:
            self.sink.emit(record)

    def _note(self, text: str, level: str = "info") -> None:
        self._emit(Note(t=self.sink.now(), proto_name="ws", text=text, level=level))

    def _send_records(self, records: list[Record]) -> None:
        assert self.send_view is not None
        shown, _ = self.send_view.select(records)
        self._emit_all(shown)

    def _recv_records(self, records: list[Record]) -> None:
        assert self.recv_view is not None
        codec = self._recv_codec
        plain = codec.skipped - self._skipped_seen
        self._skipped_seen = codec.skipped
        if plain == len(records) and self.recv_view.show == "messages":
            # every record is a plain whole message of the codec's short path (--show messages, a flood):
            # shown as they are, valid, nothing for websockets to see
            self.recv_view.count += plain
            self.messages_in += plain
            self._emit_all(records)
            return
        plain = codec.plain - self._plain_seen
        self._plain_seen = codec.plain
        if plain == len(records) and self._frames_only:
            # the frames view of a flood: every record is a plain whole frame of the short path (a whole valid
            # message, below --max-size, no control frame): shown as it is, nothing for websockets to see
            view = self.recv_view
            view.frames += plain
            view.count += plain
            self.messages_in += plain
            self._in_fragment = False
            self._cur_size = None
            self._emit_all(records)
            return
        shown, found = self.recv_view.select(records)
        self._emit_all(shown)
        if self.violation is None:
            self._drive(records)
        if found and self.violation is None:
            self._violated(found)

    def _drive(self, records: list[Record]) -> None:
        """What the protocol needs of the frames the codec parsed, in wire order, up to the first broken one:
        control frames go to websockets whole (the pong, the close echo, the closing handshake), data frames
        are sized against --max-size, and whole valid messages counted. A broken frame fails the connection
        through the view's violations (:meth:`_violated`), so nothing after it is handed on."""
        proto = self.proto
        max_size = self.opts.max_size
        frames_only = self._frames_only
        counted = 0
        for rec in records:
            kind = type(rec)
            if kind is WsMessage:
                if rec.complete and not rec.violations:  # type: ignore[attr-defined]
                    counted += 1
                continue
            if kind is not WsFrame:
                continue
            if rec.violations or rec.missing:  # type: ignore[attr-defined]
                break
            head = rec.head  # type: ignore[attr-defined]
            op = head[0] & 0x0F
            if op >= 8:
                payload = rec.payload  # type: ignore[attr-defined]
                if op == 10:
                    sent = self.pings.pop(payload, None)
                    if sent is not None:
                        self._emit(WsRtt(t=self.sink.now(), payload_hex=payload.hex(),
                                         rtt_ms=round((time.monotonic() - sent) * 1000, 3)))
                elif op == 8:
                    if self._in_fragment:  # websockets' rule: no close inside a fragmented message
                        self._violated_by_websockets(ProtocolError("incomplete fragmented message"))
                        break
                    if self.initiator is None:
                        self.initiator = "server"
                try:
                    proto.receive_data(head + payload)  # a server's frame is unmasked: these are its wire bytes
                except EOFError:
                    break
                if proto.parser_exc is not None:
                    break
                proto.events_received()
                continue
            fin = head[0] & 0x80
            size = len(rec.payload)  # type: ignore[attr-defined]
            if op == 0 and self._cur_size is not None:
                size += self._cur_size
            if max_size is not None and size > max_size:
                self._too_big(size)
                break
            self._in_fragment = not fin
            self._cur_size = None if fin else size
            if frames_only and fin and len(head) == 2 and (head[0] == 0x82 or (head[0] == 0x81 and  # type: ignore[attr-defined]
                                                                              rec.payload.isascii())):
                counted += 1  # a plain whole frame of the codec's short path: its message has no record
        self.messages_in += counted
        codec = self.recv_tap.codec
        if self.violation is None and codec is not None:
            progress = codec.message_in_progress
            if progress is not None and progress[1] >= MAX_MESSAGE_FRAMES:
                self._too_many_frames(MAX_MESSAGE_FRAMES)  # (this read may have brought a few more)

    def _check_pending(self, codec: Any) -> None:
        """A data frame whose header is in but whose payload is not: past --max-size, fail now (websockets
        would have refused it on its header), rather than buffer what a hostile peer announces."""
        max_size = self.opts.max_size
        header = codec.pending_header()
        if header is not None and header[1] >= BIG_FRAME and not self._heap_kept:
            self._heap_kept = True
            keep_heap()  # large frames ahead: their buffers reuse the heap instead of faulting in fresh pages
        if max_size is None or header is None or header[0] & 0x08:
            return
        size = header[1] + ((self._cur_size or 0) if header[0] & 0x0F == 0 else 0)
        if size > max_size:
            self._too_big(size)

    def _too_big(self, size: int) -> None:
        violation = Violation("message-too-big", "RFC 6455 §10.4",
                              f"message larger than --max-size: {size} bytes, the limit is {self.opts.max_size}")
        self._emit(WsProtocolError(t=self.sink.now(), violations=[violation], close_code=1009))
        self._violated([violation])

    def _emit_all(self, records: list[Record]) -> None:
        if not records:
            return
        batch = self._batch
        if batch is not None:
            batch.extend(records)
        else:
            self.sink.emit_many(records)

    def _fail_open(self, outcome: Outcome) -> None:
        """Fail ``opened``; mark the exception as seen so that nobody awaiting it is not a logged error."""
        self.opened.set_exception(_HandshakeFailed(outcome))
        self.opened.exception()

    def _guard(self, closing_ok: bool = False) -> None:
        state = self.proto.state
        if state is not OPEN and not (closing_ok and state.name == "CLOSING"):
            raise ConnectionError(f"connection is {state.name.lower()}")

    def _write(self, data: bytes) -> None:
        assert self.transport is not None
        self.transport.write(data)
        self.send_tap.feed(data)

    def _flush(self) -> None:
        for data in self.proto.data_to_send():
            if data:
                if self.auto_replies:
                    self._write(data)
            elif self.transport is not None and not self.transport.is_closing():
                if self.transport.can_write_eof():
                    self.transport.write_eof()
                else:
                    self.transport.close()
        if self.proto.close_expected():
            self._arm_close_timer()

    def _arm_close_timer(self) -> None:
        if self._close_timer is None and self.transport is not None:
            self._close_timer = asyncio.get_running_loop().call_later(self.opts.close_timeout,
                                                                      self.transport.abort)

    def _tap_budget(self) -> int:
        """How many bytes after our close frame are still decoded for the view: --max-size (16 MiB when
        unlimited), enough for the peer's close frame after what it had in flight."""
        return self.opts.max_size or 16 * 2**20

    def _stop_tap(self) -> None:
        """The peer goes on sending after our close: stop decoding (and drop what the view buffered)."""
        codec = self.recv_tap.codec
        assert codec is not None
        self._tap_stopped = True
        self.recv_tap.codec = None
        frame = codec.frame_in_progress()  # type: ignore[attr-defined]
        if frame is not None and self._close_at is not None and frame[0] < self._close_at:
            # not new data: the rest of a frame that was already on its way when we closed
            self._note(f"the rest of a {frame[1]}-byte frame the server had sent before our close frame: more "
                       f"than {self._tap_budget()} bytes after our close; not decoded ({codec.pending} "  # type: ignore[attr-defined]
                       "buffered bytes dropped)", level="warn")
        else:
            self._note(f"the server kept sending after our close frame: more than {self._tap_budget()} bytes; "
                       f"not decoded ({codec.pending} buffered bytes dropped)", level="warn")  # type: ignore[attr-defined]

    def _after_receive(self) -> None:
        proto = self.proto
        if proto.handshake_exc is not None and not self.opened.done():  # not even an HTTP response
            why = describe_handshake_error(proto.handshake_exc, bytes(self.handshake_bytes[:256]))
            self._fail_open(Outcome(ExitCode.REFUSED, f"handshake failed: {why}"))
        if proto.parser_exc is not None and self.violation is None:
            self._violated_by_websockets(proto.parser_exc)
        if self.violation is not None and self.violation.code == ExitCode.PROTOCOL and proto.state is OPEN:
            proto.fail(self._fail_code, "protocol violation")
        self._flush()

    _fail_code = 1002

    def _violated(self, found: list[Violation]) -> None:
        first = found[0]
        self._fail_code = close_code_for(found)
        self.violation = Outcome(ExitCode.PROTOCOL, f"protocol violation: {first.message} ({first.rfc})")
        self.sink.finish(self.violation)

    def _violated_by_websockets(self, exc: BaseException) -> None:
        if isinstance(exc, EOFError):
            return
        violation = violation_from_exception(exc)
        self._emit(WsProtocolError(t=self.sink.now(), violations=[violation],
                                   close_code=self.proto.close_sent.code if self.proto.close_sent else None))
        self._violated([violation])

    def _on_response(self, response: Response) -> None:
        exc = getattr(response, "_exception", None) or self.proto.handshake_exc
        raw = bytes(self.handshake_bytes)
        end = raw.find(b"\r\n\r\n")
        rest = len(raw) - (end + 4) if end >= 0 and response.status_code == 101 else 0
        headers = response.headers
        # get_all, never get(): the peer may send a header twice (get() raises MultipleValuesError then)
        accepts = headers.get_all("Sec-WebSocket-Accept")
        received = ", ".join(accepts) if accepts else None
        expected = accept_key(self.proto.key)
        body = bytes(response.body or b"")
        head = body[:1024]
        try:
            body_text: str | None = head.decode()
        except UnicodeDecodeError:
            body_text = None
        record = WsHandshake(
            t=self.sink.now(), dir="recv", status=response.status_code, reason=response.reason_phrase,
            headers=self._headers(headers.raw_items()), accept_ok=received == expected,
            accept_expected=expected, accept_received=received,
            subprotocol=self.proto.subprotocol if exc is None else None,
            extensions=headers.get_all("Sec-WebSocket-Extensions") if exc is None else [],
            body_length=len(body) if response.status_code != 101 else None,
            body_text=body_text if response.status_code != 101 else None,
            body_hex=head.hex() if response.status_code != 101 else None,
            error=describe_handshake_error(exc) if exc is not None else None)
        self._emit(record)
        if exc is not None:
            if isinstance(exc, InvalidStatus):
                outcome = Outcome(ExitCode.REFUSED, f"upgrade refused: HTTP {response.status_code} "
                                                    f"{response.reason_phrase}")
            elif isinstance(exc, InvalidHeader) and exc.name == "Sec-WebSocket-Accept" and len(accepts) > 1:
                outcome = Outcome(ExitCode.REFUSED, f"handshake failed: Sec-WebSocket-Accept sent {len(accepts)} "
                                                    "times; RFC 6455 §4.1 allows one")
            elif isinstance(exc, InvalidHeaderValue) and exc.name == "Sec-WebSocket-Accept":
                outcome = Outcome(ExitCode.PROTOCOL, "protocol violation: Sec-WebSocket-Accept does not match "
                                                     "the key (RFC 6455 §4.2.2)")
            else:
                outcome = Outcome(ExitCode.REFUSED, f"handshake failed: {describe_handshake_error(exc)}")
            if not self.opened.done():
                self._fail_open(outcome)
            return
        self._open_taps()
        if not self.opened.done():
            self.opened.set_result(response)
        if rest:  # frames in the same read as the 101: recorded already, decoded now
            codec = self.recv_tap.codec
            records = codec.feed(bytes(raw[len(raw) - rest:]), self.sink.now())
            if records:
                self._recv_records(records)
            if self.violation is None:
                self._check_pending(codec)

    def _open_taps(self) -> None:
        deflate = any(ext.name == "permessage-deflate" for ext in self.proto.extensions)
        server_nct = client_nct = False
        for ext in self.proto.extensions:
            if ext.name == "permessage-deflate":
                server_nct = bool(getattr(ext, "remote_no_context_takeover", False))
                client_nct = bool(getattr(ext, "local_no_context_takeover", False))
        show = self.opts.show
        self.send_view = WsView(dir=SEND, show=show)
        self.send_tap.codec = frame_parser(sender="client", dir=SEND, deflate=deflate,
                                           no_context_takeover=client_nct)
        self.recv_view = WsView(dir=RECV, show="frames+messages" if self.opts.recv_messages else show)
        max_size = self.opts.max_size
        # --show messages: no frame record for a plain whole message, unless --max-size is below what the
        # codec's short path takes (125 bytes), since the size is checked on the frame records
        small_ok = max_size is None or max_size >= 125
        quiet = show == "messages" and not self.opts.recv_messages and small_ok
        # the frames view: no message record for a plain whole frame either (it would be dropped unseen); such
        # frames are counted as messages from the frames themselves (see _recv_records and _drive)
        self._frames_only = show == "frames" and not self.opts.recv_messages and small_ok
        self._recv_codec = self.recv_tap.codec = frame_parser(
            sender="server", dir=RECV, deflate=deflate, no_context_takeover=server_nct, max_size=max_size,
            frames=not quiet, whole_messages=not self._frames_only)

    def _too_many_frames(self, frames: int) -> None:
        """A message still not over after MAX_MESSAGE_FRAMES frames (empty CONTINUATIONs forever, say): the local
        limit, named; the connection is failed with 1009 as for --max-size and the run exits 5."""
        violation = too_many_frames(frames)
        self._emit(WsProtocolError(t=self.sink.now(), violations=[violation], close_code=1009))
        self._violated([violation])

    def _headers(self, items: Any) -> list[list[str]]:
        return [[name, redact(name, value, self.opts.show_secrets)] for name, value in items]


class _LenientClientProtocol(ClientProtocol):
    """websockets' client that takes a 101 with a missing or wrong accept key or extension answer as the start
    of the WebSocket (see ``lenient_handshake``). A 101 without ``Upgrade: websocket``/``Connection: Upgrade``
    is refused still: that server is not switching to WebSocket at all, and a replay would only wait for
    frames that never come."""

    def process_response(self, response: Response) -> None:
        try:
            super().process_response(response)
        except InvalidUpgrade:
            raise
        except InvalidHandshake:
            if response.status_code != 101:
                raise


class _HandshakeFailed(Exception):
    def __init__(self, outcome: Outcome) -> None:
        super().__init__(outcome.message)
        self.outcome = outcome
