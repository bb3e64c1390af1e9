"""``wiretool replay`` of a WebSocket capture: a new connection, the recorded handshake, the client's frames again.

By default the client's messages are re-sent as messages (one frame each, fresh masks); ``--exact`` re-sends
every recorded frame byte for byte (fragmentation and invalid frames kept) with new masking keys, or the
recorded ones with ``--same-mask``. Sends keep the recorded timing (``--speed``, ``--no-delay``) and wait,
within limits, until the server has sent as many frames as it had before each send in the recording, so a
fast replay stays in step with the server. Every byte both ways is kept for ``--check`` and ``--record``.
"""

from __future__ import annotations

import asyncio
import base64
import os
import time
from typing import Any
from urllib.parse import urlsplit

from wiretool.capture.file import Capture, Chunk
from wiretool.codec.http1 import build_head, split_head
from wiretool.codec.wsbuild import build_frame
from wiretool.codec.wsframe import WsFrameParser
from wiretool.codec.wsmask import apply_mask
from wiretool.errors import ConnectError, TimeoutExpired, UsageError, WiretoolError
from wiretool.exitcodes import ExitCode
from wiretool.output.sink import Output
from wiretool.records.ws import WsFrame
from wiretool.replay.options import ReplayOptions
from wiretool.replay.ws_session import OP_CLOSE, OP_PING, OP_PONG, Step, counts, read_recording

MAX_HEAD = 256 * 1024
"""Longest handshake response head read (a peer that never ends its header lines is refused, exit 4)."""

MAX_PENDING = 16 * 2**20
"""Most bytes received towards one unfinished message (a frame or fragments that never end: exit 5)."""

STEP_WAIT = 5.0
"""Longest wait for the server frames a send followed in the recording, then it is sent anyway
(``--idle-timeout`` changes it)."""


def remask(step: Step, same_mask: bool) -> bytes:
    """A recorded frame's bytes for ``--exact``: the same header and payload under a new masking key."""
    f = step.frame
    if same_mask or f is None or f.missing or not f.masked or f.mask_key_bytes is None:
        return step.raw
    key = os.urandom(4)
    return f.head[:-4] + key + apply_mask(f.payload, key) + step.raw[len(f.head) + len(f.payload):]


def rebuild(step: Step) -> bytes:
    """A message-mode step as one masked frame with a fresh key."""
    return build_frame(step.opcode, step.payload, mask=True)


def request_head(cap: Capture, opts: ReplayOptions, out: Output) -> tuple[bytes, str, str, int, bool]:
    """The handshake to send: the recorded one, pointed at the new URL, with a fresh key and -H applied."""
    rec = read_recording(cap.chunks)
    if rec.request is None:
        raise UsageError("the capture holds no WebSocket handshake request")
    url = opts.url or str(cap.header.get("url", ""))
    parts = urlsplit(url)
    if parts.scheme not in ("ws", "wss") or not parts.hostname:
        raise UsageError(f"expected a ws:// or wss:// URL, got {url!r}")
    secure = parts.scheme == "wss"
    try:
        port = parts.port or (443 if secure else 80)
    except ValueError as exc:  # ws://host:99999/ or ws://host:abc/
        raise UsageError(f"invalid port in {url!r}: {exc}") from None
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "") if opts.url else rec.request.target
    overrides = {n.lower(): (n, v) for n, v in opts.headers}
    headers = []
    for name, value in rec.request.headers:
        low = name.lower()
        if low in overrides:
            if overrides[low] is not None:
                headers.append(overrides[low])
                overrides[low] = None  # type: ignore[assignment]
            continue
        if low == "host":
            value = parts.netloc
        elif low == "sec-websocket-key":
            value = base64.b64encode(os.urandom(16)).decode()
        elif value == "<redacted>":
            out.note(f"{name} was redacted in the capture and is not sent (give it with -H)", level="warn")
            continue
        headers.append((name, value))
    headers += [pair for pair in overrides.values() if pair is not None]
    return build_head(f"GET {target} HTTP/1.1", headers), url, parts.hostname, port, secure


class WsReplay:
    """One replay connection: writes the steps, reads and answers the server, keeps every chunk."""

    def __init__(self, cap: Capture, opts: ReplayOptions, out: Output) -> None:
        self.cap = cap
        self.opts = opts
        self.out = out
        self.rec = read_recording(cap.chunks)
        self.chunks: list[Chunk] = []
        self.recv_frames = 0
        self.sent_close = False
        self.got_close: bytes | None = None
        self.eof = asyncio.Event()
        self.progress = asyncio.Event()
        self.writer: asyncio.StreamWriter | None = None
        self.sent = 0
        self.send_parser = WsFrameParser(sender="client", dir="send", messages=False)
        self.recv_parser = WsFrameParser(sender="server", dir="recv", messages=True)
        self.on_chunk: Any = None
        self.unfinished = 0  # bytes received since the last whole message or control frame
        self.failure: WiretoolError | None = None

    async def run(self) -> list[Chunk]:
        """Connect, handshake, send every step, end the connection; return the chunks both ways."""
        head, url, host, port, secure = request_head(self.cap, self.opts, self.out)
        ssl_ctx = None
        if secure:
            from wiretool.transport.tls import client_context

            ssl_ctx = client_context(insecure=self.opts.insecure, cacert=self.opts.cacert, cert=self.opts.cert,
                                     key=self.opts.key, alpn=("http/1.1",))
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(host, port, ssl=ssl_ctx, server_hostname=host if secure else None),
                self.opts.connect_timeout)
        except asyncio.TimeoutError:
            raise TimeoutExpired(f"could not connect to {url} within {self.opts.connect_timeout} s") from None
        except OSError as exc:
            import ssl

            from wiretool.transport.tls import describe_ssl_error

            msg = describe_ssl_error(exc) if isinstance(exc, ssl.SSLError) else f"{exc.strerror or exc}"
            raise ConnectError(f"cannot connect to {url}: {msg}") from None
        self.writer = writer
        self._write(head, frames=False)
        got = bytearray()
        try:
            end = -1
            while end < 0:
                data = await asyncio.wait_for(reader.read(65536), self.opts.connect_timeout)
                if not data:
                    break
                start = max(0, len(got) - 3)
                got += data
                end = got.find(b"\r\n\r\n", start)
                self._chunk("recv", data)
                if len(got) >= 5 and not got.startswith(b"HTTP/"):
                    writer.close()
                    first = bytes(got.split(b"\n", 1)[0][:80].rstrip(b"\r")).decode("ascii", "backslashreplace")
                    raise WiretoolError(f"handshake failed: not an HTTP response: {first!r}", ExitCode.REFUSED)
                if end < 0 and len(got) > MAX_HEAD:
                    writer.close()
                    raise WiretoolError(f"handshake failed: response head longer than {MAX_HEAD} bytes",
                                        ExitCode.REFUSED)
        except asyncio.TimeoutError:
            writer.close()
            raise TimeoutExpired(f"no handshake response within {self.opts.connect_timeout} s") from None
        response, rest = split_head(bytes(got))
        if response is None or response.status != 101:
            writer.close()
            return self.chunks
        reading = asyncio.ensure_future(self._read(reader, rest))
        try:
            await self._send_steps()
            await self._finish()
        finally:
            reading.cancel()
            writer.close()
        if self.failure is not None:
            raise self.failure
        return self.chunks

    # -- sending -------------------------------------------------------------------------------------
    async def _send_steps(self) -> None:
        steps = self.rec.frames if self.opts.exact else self.rec.messages
        start = time.monotonic()
        for step in steps:
            await self._wait_for(step.after_recv)
            if not self.opts.no_delay:
                delay = step.t / self.opts.speed - (time.monotonic() - start)
                if delay > 0:
                    await asyncio.sleep(delay)
            if self.eof.is_set():
                self.out.note("the server closed the connection before every step was sent", level="warn")
                return
            data = remask(step, self.opts.same_mask) if self.opts.exact else rebuild(step)
            if step.opcode == OP_CLOSE:
                if self.sent_close:
                    continue
                self.sent_close = True
            self._write(data)
            self.sent += 1

    async def _wait_for(self, frames: int) -> None:
        deadline = time.monotonic() + (self.opts.idle_timeout or STEP_WAIT)
        while self.recv_frames < frames and not self.eof.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            self.progress.clear()
            try:
                await asyncio.wait_for(self.progress.wait(), left)
            except asyncio.TimeoutError:
                return

    async def _finish(self) -> None:
        """After the last step: let the server answer what it answered, then close as the recording did."""
        await self._wait_for(self.rec.recv_frames)
        if not self.sent_close and not self.eof.is_set():
            code = self.got_close[:2] if self.got_close else (1000).to_bytes(2, "big")
            self._write(build_frame(OP_CLOSE, code, mask=True))
            self.sent_close = True
        try:
            await asyncio.wait_for(self.eof.wait(), 3.0)
        except asyncio.TimeoutError:
            pass

    def _write(self, data: bytes, *, frames: bool = True) -> None:
        assert self.writer is not None
        if self.writer.is_closing():
            return
        self.writer.write(data)
        self._chunk("send", data, self.send_parser if frames else None)

    # -- receiving -----------------------------------------------------------------------------------
    async def _read(self, reader: asyncio.StreamReader, first: bytes) -> None:
        if first:
            self._on_frames(self.recv_parser.feed(first, self.out.now()))
        while True:
            try:
                data = await reader.read(65536)
            except (ConnectionError, OSError):
                data = b""
            if not data:
                self.eof.set()
                self.progress.set()
                return
            self.unfinished += len(data)
            self._chunk("recv", data, self.recv_parser)
            if self.unfinished > MAX_PENDING:  # a hostile peer: a frame or a message that never ends
                self.failure = WiretoolError(f"protocol violation: the server sent more than {MAX_PENDING} bytes "
                                             "without finishing a message; replay stopped", ExitCode.PROTOCOL)
                assert self.writer is not None
                self.writer.transport.abort()
                self.eof.set()
                self.progress.set()
                return

    def _chunk(self, dir: str, data: bytes, parser: WsFrameParser | None = None) -> None:
        t = self.out.now()
        self.chunks.append(Chunk(dir, t, bytes(data)))
        if self.on_chunk is not None:
            self.on_chunk(dir, t, bytes(data))
        if parser is not None:
            recs = parser.feed(data, t)
            if dir == "recv":
                self._on_frames(recs)
            else:
                for r in recs:
                    self.out.emit(r)

    def _on_frames(self, recs: list[Any]) -> None:
        for r in recs:
            self.out.emit(r)
            if not isinstance(r, WsFrame) or (not r.missing and r.opcode >= 8):
                self.unfinished = self.recv_parser.pending
            if counts(r):
                self.recv_frames += 1
            if not isinstance(r, WsFrame) or r.missing:
                continue
            if r.opcode == OP_PING and not self.opts.exact and not self.sent_close:
                self._write(build_frame(OP_PONG, r.payload, mask=True))
            elif r.opcode == OP_CLOSE and self.got_close is None:
                self.got_close = r.payload
        self.progress.set()
