"""``wiretool replay`` of a WebSocket capture: a new connection, the recorded handshake, the client's frames again.

The connection is the one WebSocket client (:class:`~wiretool.transport.ws.WsClient`: websockets' state
machine, the taps, the records) and the run is the one run layer; this module is only the script. By
default the client's messages are re-sent as messages (one frame each, fresh masks, pings answered);
``--exact`` re-sends every recorded frame byte for byte (fragmentation and invalid frames kept) with new
masking keys, or the recorded ones with ``--same-mask``, and nothing else (no pong, no close echo). Sends
keep the recorded timing (``--speed``, ``--no-delay``) and wait, within limits, until the server has sent as
many messages and control frames as it had before each send in the recording, so a fast replay stays in
step with the server. Every byte both ways is kept for ``--check`` (and for ``--record``, by the run layer).
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from wiretool.capture.file import Capture, Chunk
from wiretool.codec.wsmask import apply_mask
from wiretool.errors import ConnectError, UsageError
from wiretool.exitcodes import ExitCode
from wiretool.records import Note, Record
from wiretool.records.replay import ReplayCheck
from wiretool.records.ws import WsFrame, WsMessage
from wiretool.records.ws_session import WsProtocolError
from wiretool.replay.compare import Rules, compare
from wiretool.replay.options import ReplayOptions
from wiretool.replay.ws_session import (
    OP_CLOSE,
    AnswerStream,
    Step,
    WsRecording,
    answers,
    counts,
    read_recording,
)
from wiretool.secrets import redact_url
from wiretool.session import RECV, Outcome, Sink

if TYPE_CHECKING:
    from websockets.http11 import Request

    from wiretool.transport.ws import WsClient

MAX_PENDING = 16 * 2**20
"""Most bytes received towards one unfinished message (a frame or fragments that never end: exit 5)."""

STEP_WAIT = 5.0
"""Longest wait for the server frames a send followed in the recording, then it is sent anyway
(``--idle-timeout`` changes it)."""

CLOSE_WAIT = 3.0
"""After the last step and our close, how long the server may take to end the connection."""


def remask(step: Step, same_mask: bool) -> bytes:
    """A recorded frame's bytes for ``--exact``: the same header and payload under a new masking key."""
    f = step.frame
    if same_mask or f is None or f.missing or not f.masked or f.mask_key_bytes is None:
        return step.raw
    key = os.urandom(4)
    return f.head[:-4] + key + apply_mask(f.payload, key) + step.raw[len(f.head) + len(f.payload):]


def close_args(payload: bytes) -> tuple[int | None, str]:
    """A recorded close frame's payload as (code, reason); (None, "") for an empty one."""
    if len(payload) < 2:
        return None, ""
    return int.from_bytes(payload[:2], "big"), payload[2:].decode("utf-8", "replace")


class ReplayTarget:
    """Where and what to send: the recorded request head pointed at the new URL, -H applied.

    ``headers`` keep the recorded order; ``Host`` follows the URL, ``Sec-WebSocket-Key`` is replaced by
    the new connection's key, and values redacted in the capture are left out (with a warning).
    """

    def __init__(self, cap: Capture, rec: WsRecording, opts: ReplayOptions) -> None:
        if rec.request is None:
            raise UsageError("the capture holds no WebSocket handshake request")
        url = opts.url or str(cap.header.get("url", ""))
        parts = urlsplit(url)
        if parts.scheme not in ("ws", "wss") or not parts.hostname:
            raise UsageError(f"expected a ws:// or wss:// URL, got {redact_url(url, opts.show_secrets)!r}")
        try:
            self.port = parts.port or (443 if parts.scheme == "wss" else 80)
        except ValueError as exc:  # ws://host:99999/ or ws://host:abc/
            raise UsageError(f"invalid port in {redact_url(url, opts.show_secrets)!r}: {exc}") from None
        self.url = url
        self.host = parts.hostname
        self.secure = parts.scheme == "wss"
        self.target = ((parts.path or "/") + (f"?{parts.query}" if parts.query else "") if opts.url
                       else rec.request.target)
        self.warnings: list[str] = []
        overrides: dict[str, tuple[str, str] | None] = {n.lower(): (n, v) for n, v in opts.headers}
        headers: list[tuple[str, str]] = []
        for name, value in rec.request.headers:
            low = name.lower()
            if low in overrides:
                pair = overrides[low]
                if pair is not None:
                    headers.append(pair)
                    overrides[low] = None
                continue
            if low == "host":
                value = parts.netloc.rpartition("@")[2]  # never the userinfo (RFC 9110 §7.2)
            elif value == "<redacted>":
                self.warnings.append(f"{name} was redacted in the capture and is not sent (give it with -H)")
                continue
            headers.append((name, value))
        headers += [pair for pair in overrides.values() if pair is not None]
        _check_sendable(headers)
        self.headers = headers

    def header_values(self, name: str) -> list[str]:
        return [v for n, v in self.headers if n.lower() == name]

    def request(self, key: str) -> Request:
        """The request to send, with the new connection's ``Sec-WebSocket-Key``."""
        from websockets.datastructures import Headers
        from websockets.http11 import Request

        headers = Headers()
        for name, value in self.headers:
            headers[name] = key if name.lower() == "sec-websocket-key" else value
        return Request(self.target, headers)


class WsReplaySession:
    """One replay connection as a :class:`~wiretool.session.Session`; the verdict (``--check``) is its outcome."""

    proto = "ws"

    def __init__(self, cap: Capture, opts: ReplayOptions, *, check: bool = False, rules: Rules | None = None) -> None:
        self.cap = cap
        self.opts = opts
        self.check = check
        self.rules = rules or Rules()
        self.rec = read_recording(cap.chunks)
        self.client: WsClient | None = None
        self.recorded = answers(cap.chunks) if check else []
        self.replayed = AnswerStream(keep=sum(1 for a in self.recorded if a.what.startswith("message ")) + 1
                                     if check else 0)
        """What the server answers, decoded as it comes: only what --check compares is kept."""
        self.recv_frames = 0
        self.unfinished = 0
        """Bytes received since the last whole message or control frame."""
        self.sent_close = False
        self.got_close: bytes | None = None
        self.progress = asyncio.Event()
        self._counts: dict[str, Any] = {}
        self._sink: Sink | None = None
        self._stopped = False

    # -- the Session contract ----------------------------------------------------------------------
    async def run(self, sink: Sink) -> Outcome:
        self._sink = sink
        target = ReplayTarget(self.cap, self.rec, self.opts)
        for warning in target.warnings:
            self._note(warning, "warn")
        if self.rec.skipped and not self.opts.exact:
            self._note(f"{self.rec.skipped} recorded frame(s) are not re-sent as messages (pongs, invalid or "
                       "unfinished ones); --exact sends every frame", "info")
        try:
            client = await self._connect(target, _ReplaySink(sink, self))
        except ConnectError as exc:
            return Outcome(exc.exit_code, exc.message)
        outcome = await self._exchange(client, target)
        if self._stopped:  # a timeout, Ctrl-C or a bound: the run's outcome stands, no verdict
            return Outcome(ExitCode.INTERRUPTED, "interrupted")
        return outcome or self._verdict()

    def stop(self, outcome: Outcome) -> None:
        self._stopped = True
        if self.client is not None:
            self.client.abort()

    def abort(self) -> None:
        if self.client is not None:
            self.client.abort()

    def counts(self) -> dict[str, Any]:
        return self._counts

    # -- connecting and the handshake --------------------------------------------------------------
    async def _connect(self, target: ReplayTarget, sink: _ReplaySink) -> WsClient:
        from wiretool.transport.ws import ClientOptions, WsClient
        from wiretool.transport.ws_session import parse_url

        opts = self.opts
        offered = ",".join(target.header_values("sec-websocket-extensions")).lower()
        subprotocols = [p.strip() for v in target.header_values("sec-websocket-protocol") for p in v.split(",")]
        client_opts = ClientOptions(url=target.url, compression="deflate" if "permessage-deflate" in offered else "none",
                                    subprotocols=[p for p in subprotocols if p], max_size=None,
                                    show_secrets=opts.show_secrets, recv_messages=True,
                                    lenient_handshake=True)
        client = WsClient(sink, client_opts, parse_url(target.url, opts.show_secrets))
        client.auto_replies = not opts.exact
        ssl_ctx = None
        if target.secure:
            from wiretool.transport.tls import client_context

            ssl_ctx = client_context(insecure=opts.insecure, cacert=opts.cacert, cert=opts.cert, key=opts.key,
                                     alpn=("http/1.1",))
        loop = asyncio.get_running_loop()
        try:
            await asyncio.wait_for(loop.create_connection(lambda: client, target.host, target.port, ssl=ssl_ctx,
                                                          server_hostname=target.host if target.secure else None),
                                   opts.connect_timeout)
        except asyncio.TimeoutError:
            raise ConnectError(f"could not connect to {redact_url(target.url, opts.show_secrets)} "
                               f"within {opts.connect_timeout} s") from None
        except OSError as exc:
            import ssl

            from wiretool.transport.tls import describe_ssl_error

            msg = describe_ssl_error(exc) if isinstance(exc, ssl.SSLError) else f"{exc.strerror or exc}"
            raise ConnectError(f"cannot connect to {redact_url(target.url, opts.show_secrets)}: {msg}") from None
        self.client = client
        return client

    async def _exchange(self, client: WsClient, target: ReplayTarget) -> Outcome | None:
        """Handshake, steps, close; an outcome when the replay failed, None when it went through."""
        from wiretool.transport.ws import _HandshakeFailed

        client.start(target.request(client.proto.key))
        try:
            await asyncio.wait_for(asyncio.shield(client.opened), self.opts.connect_timeout)
        except asyncio.TimeoutError:
            client.abort()
            return Outcome(ExitCode.TIMEOUT, f"no handshake response within {self.opts.connect_timeout} s")
        except _HandshakeFailed as exc:
            client.abort()
            if client.proto.handshake_exc is not None and _answered_status(client):
                return None  # a refused upgrade is an answer: 4, or compared under --check
            return exc.outcome
        try:
            await self._send_steps(client)
            await self._finish(client)
        except ConnectionError:
            pass
        finally:
            if client.transport is not None:
                client.transport.close()  # what is still buffered (our close frame) goes out first
        return None

    # -- sending -------------------------------------------------------------------------------------
    async def _send_steps(self, client: WsClient) -> None:
        opts = self.opts
        steps = self.rec.frames if opts.exact else self.rec.messages
        start = time.monotonic()
        for step in steps:
            await self._wait_for(client, step.after_recv)
            if not opts.no_delay:
                delay = step.t / opts.speed - (time.monotonic() - start)
                if delay > 0:
                    await self._pause(delay)
            if client.done.done():
                if not self._stopped:
                    self._note("the server closed the connection before every step was sent", "warn")
                return
            if step.opcode == OP_CLOSE:
                if self.sent_close:
                    continue
                self.sent_close = True
            self._send(client, step)
            # a late send (a slow server, a busy machine) moves the schedule, so no pause gets shorter
            start = max(start, time.monotonic() - step.t / opts.speed)

    async def _pause(self, seconds: float) -> None:
        """Sleep as the recording did, but end at once when the run stops."""
        try:
            if self.client is not None:
                await asyncio.wait_for(asyncio.shield(self.client.done), seconds)
        except asyncio.TimeoutError:
            pass

    def _send(self, client: WsClient, step: Step) -> None:
        if self.opts.exact:
            client.send_raw(remask(step, self.opts.same_mask))
        elif step.kind == "ping":
            client.send_ping(step.payload)
        elif step.kind == "close":
            client.close(*close_args(step.payload))
        elif step.opcode == 1:
            client.send_text(step.payload.decode("utf-8", "surrogateescape"))
        else:
            client.send_binary(step.payload)

    async def _wait_for(self, client: WsClient, frames: int) -> None:
        deadline = time.monotonic() + (self.opts.idle_timeout or STEP_WAIT)
        while self.recv_frames < frames and not client.done.done():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            self.progress.clear()
            try:
                await asyncio.wait_for(self.progress.wait(), left)
            except asyncio.TimeoutError:
                return

    async def _finish(self, client: WsClient) -> None:
        """After the last step: let the server answer what it answered, then close as the recording did."""
        await self._wait_for(client, self.rec.recv_frames)
        if not self.sent_close and not client.done.done():
            code = int.from_bytes(self.got_close[:2], "big") if self.got_close and len(self.got_close) >= 2 else 1000
            if self.opts.exact:
                from wiretool.codec.wsbuild import build_frame

                client.send_raw(build_frame(OP_CLOSE, code.to_bytes(2, "big"), mask=True))
            else:
                client.close(code, "")
            self.sent_close = True
        try:
            await asyncio.wait_for(asyncio.shield(client.done), CLOSE_WAIT)
        except asyncio.TimeoutError:
            pass

    # -- what the server said ----------------------------------------------------------------------
    def on_records(self, records: Sequence[Record]) -> None:
        """Progress: each whole message or control frame from the server lets the next step go."""
        client = self.client
        for r in records:
            if getattr(r, "dir", None) != RECV:
                continue
            if not isinstance(r, WsFrame) or (not r.missing and r.opcode >= 8):
                codec = client.recv_tap.codec if client is not None else None
                self.unfinished = codec.pending if codec is not None else 0  # type: ignore[attr-defined]
            if counts(r):
                self.recv_frames += 1
            if isinstance(r, WsFrame) and not r.missing and r.opcode == OP_CLOSE and self.got_close is None:
                self.got_close = r.payload
        self.progress.set()

    def on_chunk(self, chunk: Chunk) -> Outcome | None:
        """Keep every chunk; a server that sends more than :data:`MAX_PENDING` bytes without finishing a
        message stops the replay (checked on the bytes before this read: a read may finish it)."""
        self.replayed.feed(chunk.dir, chunk.data)
        if chunk.dir != RECV or (self.client is not None and self.client.send_view is None):
            return None
        over = self.unfinished > MAX_PENDING
        self.unfinished += len(chunk.data)
        if over:
            if self.client is not None:
                self.client.recv_tap.codec = None  # the unfinished frame is not shown: it may be huge
                self.client.abort()
            return Outcome(ExitCode.PROTOCOL, f"protocol violation: the server sent more than {MAX_PENDING} bytes "
                                              "without finishing a message; replay stopped")
        return None

    def _verdict(self) -> Outcome:
        """Without --check: 4 when the upgrade was refused, else 0. With it: 0, or 7 at the first difference."""
        stream = self.replayed
        sent, got = stream.bytes_out, stream.bytes_in
        replayed = stream.result()
        if not self.check:
            self._counts = {"bytes_out": sent, "bytes_in": got, "answers": stream.count()}
            status = replayed[0].value if replayed else None
            return Outcome(ExitCode.OK if status == 101 else ExitCode.REFUSED)
        result = compare(self.recorded, replayed, self.rules)
        self._counts = {"compared": result.compared, "bytes_out": sent, "bytes_in": got}
        diff = result.difference
        assert self._sink is not None
        self._sink.emit(ReplayCheck(t=self._sink.now(), proto_name="ws", ok=result.ok, compared=result.compared,
                                    difference=diff.to_json() if diff else None, diff=diff.lines() if diff else []))
        if diff is None:
            return Outcome(ExitCode.OK)
        return Outcome(ExitCode.EXPECTATION, f"replay check failed: {diff.what} differs"
                                             + (f" at {diff.path}" if diff.path else ""))

    def _note(self, text: str, level: str) -> None:
        assert self._sink is not None
        self._sink.emit(Note(t=self._sink.now(), proto_name="ws", text=text, level=level))


def _answered_status(client: WsClient) -> bool:
    """The server answered with an HTTP status (other than 101, or a 101 websockets refused)."""
    from websockets.exceptions import InvalidStatus

    return isinstance(client.proto.handshake_exc, InvalidStatus)


SHOWN = frozenset({WsFrame, WsMessage, WsProtocolError, Note})
"""What a replay shows of its client's records: the frames both ways and the messages received, as it
always has. The handshake, rtt and close records are left out so that its NDJSON stays what it was
(showing them is a one-line change here)."""


class _ReplaySink:
    """The run's sink, seen by the replay's client: records and chunks pass through, the replay watching them.

    The client's own verdicts (a violation, an abnormal close) are not the replay's: a replay ends on
    its script, its bounds and its ``--check``, as before it drove the one client.
    """

    def __init__(self, sink: Sink, replay: WsReplaySession) -> None:
        self._sink = sink
        self._replay = replay
        self.now = sink.now

    def emit(self, record: Record) -> None:
        if type(record) in SHOWN:
            self._sink.emit(record)
        self._replay.on_records((record,))

    def emit_many(self, records: Sequence[Record]) -> None:
        self._sink.emit_many([r for r in records if type(r) in SHOWN])
        self._replay.on_records(records)

    def chunk(self, chunk: Chunk) -> None:
        self._sink.chunk(chunk)
        stop = self._replay.on_chunk(chunk)
        if stop is not None:
            self._sink.finish(stop)

    def finish(self, outcome: Outcome) -> None:
        pass



def _check_sendable(headers: Sequence[tuple[str, str]]) -> None:
    """Every header (recorded or ``-H``) as websockets will write it, or a usage error (exit 2) naming it: a byte
    that was not UTF-8 in argv, a character past U+00FF or a control character cannot go on the wire."""
    from websockets.datastructures import Headers
    from websockets.exceptions import InvalidHeaderValue

    for name, value in headers:
        try:
            Headers()[name] = value
            name.encode("iso-8859-1")
        except (InvalidHeaderValue, UnicodeEncodeError):
            shown = repr(name.encode("utf-8", "surrogateescape"))[1:]
            raise UsageError(f"header {shown} cannot be sent: its name or value holds bytes that are not "
                             f"UTF-8 or characters a header line cannot carry") from None
