"""An HTTP/2 client connection: ``h2.H2Connection`` driven over asyncio, every byte also fed to the frame view.

h2 keeps the protocol state (streams, flow control, HPACK encoding); this module only moves bytes and
reacts to h2's events. Every chunk written or read is handed to :class:`H2FrameView` *before* h2
acts on it, so the frames appear in the order they crossed the socket and a frame h2 rejects is
still shown. :class:`H2Client` is a :class:`~wiretool.session.Session`: records go to the run's sink, the
bytes of each direction through a :class:`~wiretool.session.Tap` (the capture, then the frame view), and
what the run saw (:class:`Outcome`) is mapped onto the exit codes by the pure :func:`exit_code` (or the
``decide`` function of a gRPC call).

TLS agrees on ``h2`` with ALPN; plain http uses h2c with prior knowledge, or with ``upgrade`` the
HTTP/1.1 ``Upgrade: h2c`` dance (RFC 7540 §3.2), the first request then travelling as HTTP/1.1.
"""

from __future__ import annotations

import asyncio
import base64
import os
import ssl
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

import h2.config
import h2.connection
import h2.errors
import h2.events
import h2.exceptions
import h2.settings
from hyperframe.frame import SettingsFrame

from wiretool import __version__
from wiretool.codec.h2frame import H2FrameView
from wiretool.codec.h2names import BENIGN_ERRORS, error_name
from wiretool.codec.http1 import is_digits
from wiretool.errors import ConnectError, TimeoutExpired
from wiretool.exitcodes import ExitCode
from wiretool.records import Note, Record
from wiretool.records.grpc import GrpcMessage, GrpcStatus
from wiretool.records.h2 import H2Bytes, H2Connect, H2Ping, H2Stream, H2Upgrade
from wiretool.secrets import SECRET_HEADERS as SECRET_HEADER_NAMES
from wiretool.secrets import redact
from wiretool.session import Outcome as End
from wiretool.session import Sink, Tap
from wiretool.transport.h2_errors import EXCERPT, excerpt
from wiretool.transport.h2_errors import describe as describe_h2_error
from wiretool.transport.h2_outcome import ClientConfig, Outcome, RequestSpec, StreamState, exit_code
from wiretool.transport.tls import describe_ssl_error

USER_AGENT = f"wiretool/{__version__}"
_MAX_HTTP1_HEAD = 64 * 1024

__all__ = ["ClientConfig", "H2Client", "Outcome", "RequestSpec", "StreamState", "exit_code", "h2_exit"]


PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
_SC = h2.settings.SettingCodes
_SETTING_DEFAULTS: dict[int, int] = {_SC.HEADER_TABLE_SIZE: 4096, _SC.ENABLE_PUSH: 1, _SC.INITIAL_WINDOW_SIZE: 65535,
                                     _SC.MAX_FRAME_SIZE: 16384, _SC.ENABLE_CONNECT_PROTOCOL: 0}
"""RFC 9113 §6.5.2 (and RFC 8441 §3) initial values: a setting at its default is not announced."""


class _Connection(h2.connection.H2Connection):
    """h2's client connection, kept open after the server's GOAWAY so the streams it covers can still end.

    h2 closes its state machine on any GOAWAY, and then rejects the HEADERS and DATA the server still owes
    for streams up to ``last_stream_id`` ("Invalid input ConnectionInputs.RECV_HEADERS in state CLOSED").
    RFC 9113 §6.8 says those streams complete; the client opens no new ones (see ``H2Client._goaway``).
    """

    goaway_last_stream_id: int | None = None
    """The lowest ``last_stream_id`` of the server's GOAWAYs so far."""

    def announced(self) -> SettingsFrame:
        """Our SETTINGS as sent: only the values that differ from RFC 9113's defaults (as nghttp does).

        h2 sends every setting it knows; announcing HEADER_TABLE_SIZE=4096 and the like changes nothing but
        provokes races in some servers' HPACK table-size handling (issue 11 #5). The settings not sent are
        at their defaults, which is what h2's ``local_settings`` hold for them.
        """
        frame = SettingsFrame(0)
        for setting, value in self.local_settings.items():
            if _SETTING_DEFAULTS.get(setting) != value:
                frame.settings[setting] = value
        return frame

    def initiate_connection(self) -> None:
        self.state_machine.process_input(h2.connection.ConnectionInputs.SEND_SETTINGS)
        self._data_to_send += PREFACE + self.announced().serialize()

    def initiate_upgrade_connection(self, settings_header: bytes | None = None) -> bytes | None:
        super().initiate_upgrade_connection(settings_header)  # calls initiate_connection: the preface
        return base64.urlsafe_b64encode(self.announced().serialize_body())

    def _receive_goaway_frame(self, frame: Any) -> tuple[list[Any], list[h2.events.Event]]:
        before = self.state_machine.state
        frames, events = super()._receive_goaway_frame(frame)
        last = frame.last_stream_id
        self.goaway_last_stream_id = last if self.goaway_last_stream_id is None else min(last, self.goaway_last_stream_id)
        if before is not h2.connection.ConnectionState.CLOSED:
            self.state_machine.state = before
        return frames, events


_MAX_NAMED_STREAMS = 10
"""How many streams a one-line error names before it says "and N more"."""


class _Wire(asyncio.Protocol):
    """The asyncio side: hands every event of the socket to the client."""

    def __init__(self, client: H2Client) -> None:
        self.client = client
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Start speaking at once: a server's first bytes (nginx's SETTINGS) may be read in this same turn."""
        self.transport = transport  # type: ignore[assignment]
        try:
            self.client._made(self)
        except Exception as exc:  # e.g. a closed stdout while emitting the connect record: _connect raises it
            self.client.connect_error = exc
            transport.abort()  # type: ignore[attr-defined]

    def data_received(self, data: bytes) -> None:
        try:
            self.client._received(data)
        except Exception as exc:  # a bug met on peer bytes: end the run (internal error), never let asyncio log a traceback
            done = self.client.done
            if done is not None and not done.done():
                done.set_exception(exc)
            if self.transport is not None:
                self.transport.abort()

    def connection_lost(self, exc: Exception | None) -> None:
        self.client._lost(exc)


def h2_exit(outcome: Outcome, *, fail: bool = False) -> End:
    """``h2 get``'s pure outcome → exit status (see :func:`~wiretool.transport.h2_outcome.exit_code`)."""
    code, message = exit_code(outcome, fail=fail)
    return End(code, message or "")


class H2Client:
    """One connection, many concurrent streams: a session whose records go to the sink as they happen.

    ``capture`` says the bytes leave the process (``--record``): secret header values are then sent as
    plain literals and masked in the copy. ``decide`` maps what the run saw onto its end (``--fail``, or a
    gRPC call's status); by default :func:`h2_exit`.
    """

    proto = "h2"
    summary_elapsed = False

    def __init__(self, cfg: ClientConfig, *, capture: bool = False,
                 decide: Callable[[Outcome], End] | None = None) -> None:
        self.cfg = cfg
        self.decide = decide or h2_exit
        self.sink: Sink | None = None
        self.frame_too_large = False
        """The server sent a frame header above our SETTINGS_MAX_FRAME_SIZE: h2 would wait for its whole body."""
        # The view stamps each frame when it is parsed (as it always has), not with its chunk's time.
        self.view = H2FrameView(clock=self.clock, keep_data=cfg.body, hpack_entries=cfg.hpack,
                                show_secrets=cfg.show_secrets, preface={"send": "expect", "recv": "none"},
                                settings_first={"recv": True}, grpc=cfg.grpc if cfg.grpc is not None else True)
        self.outcome = Outcome()
        self.conn = _Connection(h2.config.H2Configuration(client_side=True, header_encoding=None))
        self.pending: deque[RequestSpec] = deque(cfg.requests)
        self.active: dict[int, StreamState] = {}
        self.uploads: dict[int, tuple[RequestSpec, int]] = {}
        self.wire: _Wire | None = None
        self.mode = "h2"
        self.http1_buf = bytearray()
        self.upgraded: asyncio.Future[None] | None = None
        self.upgrade_preamble = b""
        self.ping_sent: float | None = None
        self.ping_done = not cfg.ping
        self.last_recv = 0.0
        self.done: asyncio.Future[None] | None = None
        self.server_settings = False
        """The server's first SETTINGS arrived (its stream limit is known)."""
        self.connect_error: Exception | None = None
        """Why the connection made by ``connection_made`` is refused (no h2 in ALPN); :meth:`_connect` raises it."""
        self.taps: dict[str, Tap] = {}
        self._task: asyncio.Task[Any] | None = None
        self.secrets = self._secrets() if (cfg.hexdump or capture) and not cfg.show_secrets else []
        if self.secrets:
            # Raw bytes leave the process (--hexdump, --record): send header values as plain literals,
            # not Huffman-coded, so the copy shown or kept can mask them and still decode (HPACK intact).
            encode = self.conn.encoder.encode
            self.conn.encoder.encode = lambda headers, huffman=True: encode(headers, huffman=False)

    def _secrets(self) -> list[bytes]:
        values = {v for spec in self.cfg.requests for n, v in (*spec.headers, *spec.trailers)
                  if n.lower() in SECRET_HEADER_NAMES and v}
        return sorted((v.encode() for v in values), key=len, reverse=True)

    def clock(self) -> float:
        assert self.sink is not None
        return self.sink.now()

    def emit(self, rec: Record) -> None:
        """Hand a record to the run's sink (a closed stdout is the run layer's to handle)."""
        assert self.sink is not None
        self.sink.emit(rec)

    def _emit_many(self, records: Sequence[Record]) -> None:
        """The records of one chunk to the sink at once; a sink without ``emit_many`` (replay's) gets each."""
        assert self.sink is not None
        emit_many = getattr(self.sink, "emit_many", None)
        if emit_many is None:
            for rec in records:
                self.sink.emit(rec)
        else:
            emit_many(records)

    # -- the Session contract ------------------------------------------------------------------------
    async def run(self, sink: Sink) -> End:
        """Connect, make every request, close with GOAWAY; the end as :attr:`decide` maps it."""
        return self.decide(await self.exchange(sink))

    def stop(self, outcome: End, *, deadline: bool = False) -> None:
        """The run is over (``--timeout``, Ctrl-C, a closed stdout): say GOAWAY and let :meth:`run` return.

        Before the connection speaks h2 (connecting, the h2c upgrade) there is nothing to close: stop waiting.
        A timeout is kept in the outcome (``deadline``: it was a gRPC call's deadline, see ``call_result``).
        """
        if outcome.code == ExitCode.TIMEOUT or deadline:
            self.outcome.timeout = self.outcome.timeout or outcome.message
            self.outcome.deadline = deadline
        if (self.wire is None or self.mode != "h2") and self._task is not None and not self._task.done():
            self._task.cancel()
        self._resolve()

    def abort(self) -> None:
        self._close()
        self._resolve()

    def counts(self) -> dict[str, Any]:
        return self.outcome.counts()

    # -- run ---------------------------------------------------------------------------------------
    async def exchange(self, sink: Sink) -> Outcome:
        """Connect, make every request, close with GOAWAY; return what the run saw.

        Raises WiretoolError for connect errors and the connect timeout.
        """
        self.sink = sink
        self.view.set_clock(sink.now)  # straight to the run's clock: one call less per frame
        self._task = asyncio.current_task()
        self.taps = {d: Tap(self.view.codec(d), dir=d, clock=sink.now, on_bytes=sink.chunk) for d in ("send", "recv")}
        loop = asyncio.get_running_loop()
        self.done = loop.create_future()
        limit = self.cfg.connect_timeout  # the whole run's --timeout is the run layer's (see run/h2.py)
        try:
            await asyncio.wait_for(self._connect(), limit)
        except asyncio.TimeoutError:
            self._close()
            raise TimeoutExpired(f"connecting to {self.cfg.authority} took longer than {limit:g}s "
                                 "(--connect-timeout)") from None
        task = asyncio.current_task()
        if task is not None and getattr(task, "cancelling", lambda: 0)():
            # Ctrl-C as connecting ended: Python 3.11's wait_for returns the result and drops the cancellation.
            self._goodbye()
            raise asyncio.CancelledError
        watchdog = asyncio.ensure_future(self._idle_watch()) if self.cfg.idle_timeout else None
        try:
            await asyncio.shield(self.done)
        finally:
            if watchdog:
                watchdog.cancel()
            self._goodbye()
        for st in list(self.active.values()):
            self._finish(st, "incomplete")
        return self.outcome

    async def _connect(self) -> None:
        cfg = self.cfg
        loop = asyncio.get_running_loop()
        tls = cfg.scheme == "https"
        try:
            await loop.create_connection(
                lambda: _Wire(self), cfg.host, cfg.port,
                ssl=cfg.ssl_context if tls else None, server_hostname=cfg.host if tls else None)
        except ssl.SSLError as exc:
            raise ConnectError(describe_ssl_error(exc)) from None
        except OSError as exc:
            raise ConnectError(f"cannot connect to {cfg.authority}: {exc.strerror or exc}") from None
        if self.connect_error is not None:
            raise self.connect_error
        if self.upgraded is not None:
            await self.upgraded

    def _made(self, wire: _Wire) -> None:
        """The connection is up (TLS agreed): the connect record, then the preface and SETTINGS, then requests.

        Called from ``connection_made``, before any ``data_received``: whatever the server sends first (nginx
        sends its SETTINGS on TLS accept), the preface is the first thing on the wire and the connect record
        the first record (issue 11). With ``--upgrade`` the HTTP/1.1 request goes out instead.
        """
        cfg = self.cfg
        self.wire = wire
        transport = wire.transport
        assert transport is not None
        tls = cfg.scheme == "https"
        peer = transport.get_extra_info("peername")
        address = f"{peer[0]}:{peer[1]}" if peer else cfg.authority
        self.last_recv = asyncio.get_running_loop().time()
        alpn = None
        if tls:
            ssl_obj = transport.get_extra_info("ssl_object")
            alpn = ssl_obj.selected_alpn_protocol() if ssl_obj else None
            if alpn != "h2":
                self.connect_error = ConnectError(
                    f"the server at {cfg.authority} did not pick h2 via ALPN "
                    f"(it chose {alpn or 'no protocol'}): it does not speak HTTP/2 over TLS")
                self.mode = "refused"
                self._close()
                return
        self._set_local_settings()
        mode = "h2" if tls else ("h2c-upgrade" if cfg.upgrade else "h2c-prior-knowledge")
        from wiretool.transport.conninfo import describe

        describe(self.sink, 0, transport.get_extra_info, proto="h2", sni=cfg.host if tls else None)
        self.emit(H2Connect(t=self.clock(), url=cfg.requests[0].url, address=address, tls=tls, alpn=alpn, mode=mode))
        if mode == "h2c-upgrade":
            self._upgrade()
        else:
            self.conn.initiate_connection()
            self._after_initiate()
            self._pump_requests()

    def _set_local_settings(self) -> None:
        sc = h2.settings.SettingCodes
        values = {sc.ENABLE_PUSH: 1 if self.cfg.push else 0, sc.MAX_CONCURRENT_STREAMS: 100,
                  sc.MAX_HEADER_LIST_SIZE: 65536}
        if self.cfg.window_bits is not None:
            values[sc.INITIAL_WINDOW_SIZE] = 2**self.cfg.window_bits - 1
        if self.cfg.max_frame_size is not None:
            values[sc.MAX_FRAME_SIZE] = self.cfg.max_frame_size
        self.conn.local_settings = h2.settings.Settings(client=True, initial_values=values)
        # h2 reads these from the settings only when they are acknowledged; ours are in force from the start.
        self.conn.max_inbound_frame_size = self.conn.local_settings.max_frame_size

    def _after_initiate(self) -> None:
        if self.cfg.window_bits is not None and 2**self.cfg.window_bits - 1 > 65535:
            self.conn.increment_flow_control_window(2**self.cfg.window_bits - 1 - 65535)
        if self.cfg.ping:
            self.ping_sent = self.clock()
            self.conn.ping(os.urandom(8))

    # -- HTTP/1.1 Upgrade --------------------------------------------------------------------------
    def _upgrade(self) -> None:
        """Send the HTTP/1.1 Upgrade request; :meth:`_connect` waits for the answer (``upgraded``)."""
        spec = self.pending.popleft()
        settings_b64 = self.conn.initiate_upgrade_connection() or b""
        self.upgrade_preamble = self.conn.data_to_send()
        headers = [("Host", self.cfg.authority), ("Connection", "Upgrade, HTTP2-Settings"), ("Upgrade", "h2c"),
                   ("HTTP2-Settings", settings_b64.decode()), ("User-Agent", USER_AGENT), ("Accept", "*/*"),
                   *spec.headers]
        start = f"{spec.method} {spec.path} HTTP/1.1"
        head = start + "\r\n" + "".join(f"{n}: {v}\r\n" for n, v in headers) + "\r\n"
        self.emit(H2Upgrade(t=self.clock(), dir="send", start_line=start,
                            headers=[(n, redact(n, v, self.cfg.show_secrets)) for n, v in headers]))
        self.mode = "http1"
        self.active[1] = StreamState(1, spec.url, spec.method, self.clock())
        self.outcome.streams.append(self.active[1])
        self.upgraded = asyncio.get_running_loop().create_future()
        self._write_raw(head.encode("latin-1", "replace"))

    def _http1_received(self, data: bytes) -> None:
        self.http1_buf += data
        end = self.http1_buf.find(b"\r\n\r\n")
        if end < 0:
            if len(self.http1_buf) > _MAX_HTTP1_HEAD:
                self._fail_upgrade("the HTTP/1.1 response head is larger than 64 KiB")
            return
        head, rest = bytes(self.http1_buf[:end]), bytes(self.http1_buf[end + 4:])
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        status = int(parts[1]) if len(parts) > 1 and is_digits(parts[1]) else None
        headers = [(n.strip(), redact(n.strip(), v.strip(), self.cfg.show_secrets))
                   for n, _, v in (line.partition(":") for line in lines[1:])]  # Set-Cookie: view, NDJSON, capture
        self.emit(H2Upgrade(t=self.clock(), dir="recv", start_line=lines[0], status=status, headers=headers))
        if status != 101:
            self._fail_upgrade(f"the server did not upgrade to h2c ({excerpt(lines[0])}): it does not speak HTTP/2 "
                               "in cleartext; try https:// or prior knowledge (without --upgrade)")
            return
        self.mode = "h2"
        self._send(self.upgrade_preamble)
        self._after_initiate()
        if self.upgraded is not None and not self.upgraded.done():
            self.upgraded.set_result(None)
        if rest:
            self._received(rest)
        self._pump_requests()

    def _fail_upgrade(self, message: str) -> None:
        if self.upgraded is not None and not self.upgraded.done():
            self.upgraded.set_exception(ConnectError(message))
        self._close()

    # -- bytes in and out --------------------------------------------------------------------------
    def _write_raw(self, data: bytes) -> None:
        self.outcome.bytes_sent += len(data)
        if self.wire and self.wire.transport and not self.wire.transport.is_closing():
            self.wire.transport.write(data)

    def _send(self, data: bytes) -> None:
        """Show then write bytes h2 produced."""
        self._observe("send", data)
        self._write_raw(data)

    def _flush(self) -> None:
        data = self.conn.data_to_send()
        if data:
            self._send(data)

    def _observe(self, direction: str, data: bytes) -> None:
        """The bytes through the direction's tap (capture, then frame view); the records to the sink.

        Secret values are masked before the tap, so the capture, the hex dump and the view see the same
        bytes (a capture decodes to what was shown live); HPACK still decodes, the values being literals.
        """
        raw = data
        if self.secrets and direction == "send":
            for secret in self.secrets:
                raw = raw.replace(secret, b"*" * len(secret))
        if self.cfg.hexdump:
            self.emit(H2Bytes(t=self.clock(), dir=direction, data=raw))
        records = self.taps[direction].feed(raw)
        if not records:
            return
        for rec in records:
            if rec.proto == "grpc":
                self._grpc_record(rec)
                continue
            if rec.violations:
                self.outcome.violations += len(rec.violations)
                if direction == "recv" and any(v.code == "frame_too_large" for v in rec.violations):
                    self.frame_too_large = True
                if direction == "recv" and not self.outcome.protocol_error:
                    v = rec.violations[0]
                    self.outcome.protocol_error = f"protocol violation from the server: {v.code} ({v.rfc}): {v.message}"
            if direction == "send":
                self.outcome.frames_sent += 1
            else:
                self.outcome.frames_received += 1
        # The records of one read (or one write) together: one NDJSON write and flush instead of one per frame.
        self._emit_many(records)

    def _grpc_record(self, rec: Record) -> None:
        """Count a gRPC message or keep a call's status (the view found them under DATA/HEADERS frames)."""
        if isinstance(rec, GrpcStatus):
            self.outcome.grpc_statuses[rec.stream_id] = rec
            return
        assert isinstance(rec, GrpcMessage)
        if rec.dir == "send":
            self.outcome.grpc_sent += 1
        else:
            self.outcome.grpc_received += 1
        if rec.violations:
            self.outcome.violations += len(rec.violations)
            if rec.dir == "recv" and not self.outcome.protocol_error:
                v = rec.violations[0]
                self.outcome.protocol_error = f"gRPC message from the server: {v.code} ({v.rfc}): {v.message}"

    def _received(self, data: bytes) -> None:
        self.last_recv = asyncio.get_running_loop().time()
        if self.mode == "refused":
            return
        if self.mode == "http1":
            self._http1_received(data)
            return
        if self.outcome.bytes_received == 0 and self.pending and len(data) > 9 and data[3] == 0x4:
            end = 9 + int.from_bytes(data[:3], "big")
            if end < len(data):
                # The server's first SETTINGS and more in one read: act on the SETTINGS first, so the requests
                # held back until its stream limit was known go out before its answers are read.
                self._received(data[:end])
                self._received(data[end:])
                return
        if self.outcome.bytes_received == 0 and data.startswith(b"HTTP/"):
            # An HTTP/1.x server read our preface as a bad request: its answer would parse as a huge frame.
            line = data.split(b"\r\n", 1)[0][:80].decode("latin-1")
            # (the sink escapes the error line, as every message, before a terminal sees it)
            self.outcome.protocol_error = (f"the server answered in HTTP/1.x ({line}), not HTTP/2: "
                                           "it does not speak h2c with prior knowledge")
        self.outcome.bytes_received += len(data)
        self._observe("recv", data)
        if self.frame_too_large:
            # Fail at the header (RFC 9113 §4.2) instead of buffering up to 16 MiB of a frame we will refuse.
            self.conn.close_connection(error_code=h2.errors.ErrorCodes.FRAME_SIZE_ERROR)
            self._flush()
            self._resolve()
            return
        try:
            events = self.conn.receive_data(data)
        except h2.exceptions.ProtocolError as exc:
            self._flush()  # h2 queued a GOAWAY: show and send it
            self._protocol_error(describe_h2_error(exc))
            return
        for event in events:
            self._event(event)
        self._pump_requests()
        self._flush()
        self._maybe_done()

    def _lost(self, exc: Exception | None) -> None:
        if self.done is not None and self.done.done():
            return  # we closed it, after the summary was decided
        if self.mode == "http1":
            self._fail_upgrade("the server closed the connection during the h2c upgrade")
        for rec in self.taps["recv"].finish():
            if rec.proto == "grpc":
                self._grpc_record(rec)
            else:
                self.outcome.violations += len(rec.violations)
            self.emit(rec)
        if self.done and not self.done.done():
            if not self.outcome.protocol_error:
                reason = f" ({exc})" if exc else ""
                self.outcome.closed_early = f"the server closed the connection before every response ended{reason}"
            self.done.set_result(None)

    # -- h2 events ---------------------------------------------------------------------------------
    def _event(self, ev: h2.events.Event) -> None:
        assert self.sink is not None
        now = self.sink.now()
        if isinstance(ev, h2.events.ResponseReceived):
            st = self.active.get(ev.stream_id)
            if st:
                st.headers_at = now
                st.status = _status(ev.headers)
        elif isinstance(ev, h2.events.DataReceived):
            st = self.active.get(ev.stream_id)
            if st:
                st.bytes += len(ev.data)
                if st.first_byte_at is None:
                    st.first_byte_at = now
            self.conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
        elif isinstance(ev, h2.events.StreamEnded):
            st = self.active.get(ev.stream_id)
            if st:
                self._finish(st, "ok" if st.status is not None else "incomplete")
        elif isinstance(ev, h2.events.StreamReset):
            self._reset(ev.stream_id, error_name(ev.error_code), remote=ev.remote_reset)
        elif isinstance(ev, h2.events.PushedStreamReceived):
            path = _header(ev.headers, b":path") or "?"
            st = StreamState(ev.pushed_stream_id, path, _header(ev.headers, b":method") or "GET", now, pushed=True)
            self.active[ev.pushed_stream_id] = st
            self.outcome.streams.append(st)
        elif isinstance(ev, h2.events.PingAckReceived):
            if self.ping_sent is not None and not self.ping_done:
                self.ping_done = True
                self.outcome.rtt_ms = round((now - self.ping_sent) * 1000, 3)
                self.emit(H2Ping(t=now, rtt_ms=self.outcome.rtt_ms, ping_data=bytes(ev.ping_data).hex()))
        elif isinstance(ev, h2.events.RemoteSettingsChanged):
            self.server_settings = True
        elif isinstance(ev, h2.events.WindowUpdated):
            for sid in list(self.uploads):
                self._upload(sid)
        elif isinstance(ev, h2.events.ConnectionTerminated):
            self._goaway(ev)

    def _reset(self, stream_id: int, code: str, *, remote: bool = True) -> None:
        """A stream reset: by the server (RST_STREAM), or by h2 on our side when the server broke a stream
        rule (``remote`` False: the view has usually named the rule already)."""
        st = self.active.get(stream_id)
        if st:
            st.error_code = code
            self._finish(st, "reset")
        if code == "REFUSED_STREAM" and not self.outcome.protocol_error:
            allowed = self.conn.remote_settings.max_concurrent_streams
            limit = ("not yet received" if not self.server_settings
                     else f"{allowed}" if allowed < 2**31 else "not set (unlimited)")
            own = (1 if st else 0) + sum(1 for other in self.active.values() if not other.pushed)
            self.outcome.protocol_error = (f"the server refused stream {stream_id} with REFUSED_STREAM (not processed: "
                                           f"{own} stream(s) were open, its SETTINGS_MAX_CONCURRENT_STREAMS "
                                           f"is {limit})")
        elif code not in BENIGN_ERRORS and not self.outcome.protocol_error:
            self.outcome.protocol_error = (f"the server reset stream {stream_id} with {code}" if remote else
                                           f"the server broke a rule on stream {stream_id}: we reset it with {code}")
        elif st and st.status is None and not st.pushed and not self.outcome.closed_early:
            self.outcome.closed_early = f"stream {stream_id} was reset with {code} before its response"

    def _goaway(self, ev: h2.events.ConnectionTerminated) -> None:
        """The server's GOAWAY: with an error code the run ends (exit 5); a graceful one (NO_ERROR) lets the
        streams up to ``last_stream_id`` finish, and the others were not processed by the server (exit 8)."""
        code = error_name(ev.error_code)
        if code not in BENIGN_ERRORS:
            if not self.outcome.protocol_error:
                self.outcome.protocol_error = f"the server sent GOAWAY with {code}{_debug_excerpt(ev.additional_data)}"
            self._resolve()
            return
        last = ev.last_stream_id if ev.last_stream_id is not None else 2**31 - 1
        refused = sorted(sid for sid, st in self.active.items() if not st.pushed and sid > last)
        for sid in refused:
            self._finish(self.active[sid], "refused")
        unsent = len(self.pending)
        self.pending.clear()
        if (refused or unsent) and not (self.outcome.protocol_error or self.outcome.closed_early):
            named = ", ".join(f"stream {sid}" for sid in refused[:_MAX_NAMED_STREAMS])
            more = f" and {len(refused) - _MAX_NAMED_STREAMS} more" if len(refused) > _MAX_NAMED_STREAMS else ""
            parts = [f"{named}{more} not processed by the server"] if refused else []
            if unsent:
                parts.append(f"{unsent} request(s) not sent")
            self.outcome.closed_early = (f"the server sent GOAWAY ({code}, last_stream_id {last}): "
                                         f"{'; '.join(parts)} (safe to retry on a new connection)")
        self._maybe_done()

    def _protocol_error(self, message: str) -> None:
        if not self.outcome.protocol_error:
            self.outcome.protocol_error = message
        self._resolve()

    # -- streams -----------------------------------------------------------------------------------
    def _pump_requests(self) -> None:
        if self.mode != "h2" or self.done is None or self.done.done():
            return
        # One stream until the server's first SETTINGS say how many it allows (issue 11 #4: 30 went to a
        # server allowing 8), then never more than that nor --max-concurrent.
        allowed = self.conn.remote_settings.max_concurrent_streams if self.server_settings else 1
        limit = min(self.cfg.max_concurrent, allowed)
        own = sum(1 for st in self.active.values() if not st.pushed)
        while self.pending and own < limit and not self.done.done():
            spec = self.pending.popleft()
            self._start(spec)
            own += 1
        self._flush()

    def _start(self, spec: RequestSpec) -> None:
        sid = self.conn.get_next_available_stream_id()
        headers = [(":method", spec.method), (":scheme", self.cfg.scheme), (":authority", self.cfg.authority),
                   (":path", spec.path)]
        extra = [(n.lower(), v) for n, v in spec.headers]
        if spec.grpc:  # gRPC: the call's own headers (te, content-type, grpc-timeout) first, as its spec asks
            headers += [*extra, ("user-agent", USER_AGENT)]
        else:
            headers += [("user-agent", USER_AGENT), ("accept", "*/*"), *extra]
        if spec.body is not None and not spec.grpc:
            headers.append(("content-length", str(len(spec.body))))
        only_headers = not spec.body and not spec.trailers
        try:
            self.conn.send_headers(sid, headers, end_stream=only_headers)
        except h2.exceptions.ProtocolError as exc:  # a header h2 will not send (checked by the CLI first)
            self.pending.clear()
            self._protocol_error(f"cannot send the request for {spec.url}: {exc}")
            return
        st = StreamState(sid, spec.url, spec.method, self.clock())
        self.active[sid] = st
        self.outcome.streams.append(st)
        if not only_headers:
            self.uploads[sid] = (spec, 0)
            self._upload(sid)

    def _upload(self, sid: int) -> None:
        """Send as much of a request body as flow control allows; then trailers or END_STREAM."""
        spec, offset = self.uploads[sid]
        body = spec.body or b""
        try:
            while offset < len(body):
                window = min(self.conn.local_flow_control_window(sid), self.conn.max_outbound_frame_size)
                if window <= 0:
                    self.uploads[sid] = (spec, offset)
                    return
                chunk = body[offset:offset + window]
                self.conn.send_data(sid, chunk)
                offset += len(chunk)
            if spec.trailers:
                self.conn.send_headers(sid, [(n.lower(), v) for n, v in spec.trailers], end_stream=True)
            else:
                self.conn.end_stream(sid)
        except h2.exceptions.StreamClosedError:
            pass
        del self.uploads[sid]

    def _finish(self, st: StreamState, outcome: str) -> None:
        if st.outcome != "open":
            return
        st.outcome = outcome
        st.end_at = self.clock()
        self.active.pop(st.stream_id, None)
        self.uploads.pop(st.stream_id, None)
        if self.cfg.stats:
            def ms(at: float | None) -> float | None:
                return None if at is None else round((at - st.start) * 1000, 3)
            self.emit(H2Stream(t=st.end_at, stream_id=st.stream_id, url=st.url, method=st.method, pushed=st.pushed,
                               status=st.status, outcome=outcome, error_code=st.error_code,
                               time_to_headers_ms=ms(st.headers_at), time_to_first_byte_ms=ms(st.first_byte_at),
                               duration_ms=ms(st.end_at), bytes=st.bytes))
        if outcome == "incomplete" and not st.pushed and not (self.outcome.protocol_error or self.outcome.timeout
                                                             or self.outcome.closed_early):
            self.outcome.closed_early = f"stream {st.stream_id} ended without a complete response"

    def _maybe_done(self) -> None:
        """End the run once every requested stream ended (issue 12): a push the server promised and has
        not finished is cancelled (RST_STREAM CANCEL), a PING it has not answered is reported, not waited for."""
        if self.pending or any(not st.pushed for st in self.active.values()):
            return
        pushes = sorted(sid for sid, st in self.active.items() if st.pushed)
        for sid in pushes:
            st = self.active[sid]
            st.error_code = "CANCEL"
            self._finish(st, "reset")
            try:
                self.conn.reset_stream(sid, h2.errors.ErrorCodes.CANCEL)
            except h2.exceptions.H2Error:
                pass  # h2 already sees it closed
        if pushes:
            self._flush()
            self.emit(Note(t=self.clock(), proto_name="h2", level="warn",
                           text=f"every response ended: cancelled the unfinished push on "
                                f"{', '.join(f'stream {sid}' for sid in pushes[:_MAX_NAMED_STREAMS])} (RST_STREAM CANCEL)"))
        if not self.ping_done:
            self.ping_done = True
            self.emit(Note(t=self.clock(), proto_name="h2", level="warn",
                           text="every response ended: the server has not answered our PING (no round-trip time)"))
        self._resolve()

    def _resolve(self) -> None:
        if self.done and not self.done.done():
            self.done.set_result(None)

    async def _idle_watch(self) -> None:
        loop = asyncio.get_running_loop()
        idle = self.cfg.idle_timeout or 0
        while True:
            left = self.last_recv + idle - loop.time()
            if left <= 0:
                self.outcome.timeout = f"nothing received for {idle:g}s (--idle-timeout)"
                self._resolve()
                return
            await asyncio.sleep(left)

    # -- closing -----------------------------------------------------------------------------------
    def _goodbye(self) -> None:
        """Say GOAWAY (NO_ERROR) if the connection is still up, show it, and close."""
        transport = self.wire.transport if self.wire else None
        if self.mode == "h2" and transport is not None and not transport.is_closing():
            try:
                self.conn.close_connection()
                self._flush()
            except h2.exceptions.ProtocolError:
                pass
        self._close()

    def _close(self) -> None:
        transport = self.wire.transport if self.wire else None
        if transport is not None and not transport.is_closing():
            transport.close()


def _debug_excerpt(data: bytes | None) -> str:
    """``: TEXT`` of a GOAWAY's debug data for the error line, a bounded excerpt (the frame record has it all)."""
    if not data:
        return ""
    text = bytes(data[:EXCERPT * 4]).decode("utf-8", "replace")
    if len(data) <= EXCERPT and len(text) <= EXCERPT:
        return f": {text}"
    return f": {excerpt(text[:EXCERPT], whole=len(data), what='bytes of debug data')}"


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> str | None:
    for n, v in headers:
        if n == name:
            return bytes(v).decode("utf-8", "replace")
    return None


def _status(headers: list[tuple[bytes, bytes]]) -> int | None:
    value = _header(headers, b":status")
    return int(value) if value and is_digits(value) else None
