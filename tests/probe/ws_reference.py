"""A strict WebSocket echo server built on wiretool's own codec, with one switchable defect at a time.

The probe's tests need a server whose every answer is known: this one fails the connection on every rule
the codec names (1002, or 1007 for bad UTF-8), echoes each message as soon as it is whole, answers each
ping, and completes the closing handshake. A ``defect`` turns exactly one of those checks off, so the test
can show that the cases aimed at that rule find it and no other case changes.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import threading

from wiretool.codec.http1 import parse_head, split_head
from wiretool.codec.wsbuild import build_frame
from wiretool.codec.wsclose import close_code_allowed
from wiretool.codec.wsframe import WsFrameParser
from wiretool.records.ws import WsFrame, WsMessage

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

DEFECTS = {
    "length-126-off-by-one": "1",     # echoes a 126- or 127-byte message one byte short
    "ping-length-unchecked": "2",     # answers a ping of 126 bytes instead of failing
    "rsv-unchecked": "3",            # ignores RSV bits
    "reserved-opcode-ignored": "4",  # skips frames with reserved opcodes
    "continuation-unchecked": "5",   # ignores continuation frames with nothing to continue
    "utf8-unchecked": "6",           # echoes text that is not UTF-8
    "close-code-unchecked": "7",     # echoes any close code, even those that must not be sent
    "deflate-rsv1-uncompressed": "12,13",  # sets RSV1 on echoes it did not compress
}
"""Each defect and the case family that should find it."""

IGNORED = {
    "ping-length-unchecked": {"control-too-long@9"},
    "rsv-unchecked": {"rsv-without-extension"},
    "reserved-opcode-ignored": {"reserved-opcode"},
    "continuation-unchecked": {"unexpected-continuation"},
    "utf8-unchecked": {"invalid-utf8"},
    "close-code-unchecked": {"close-code-invalid"},
}
HARMLESS = {"non-minimal-length"}
"""Codec notes that are not rules a server must fail on."""


class ReferenceServer:
    """Serve on 127.0.0.1 in a thread; ``url`` once started."""

    def __init__(self, defect: str | None = None) -> None:
        if defect is not None and defect not in DEFECTS:
            raise ValueError(defect)
        self.defect = defect
        self.loop = asyncio.new_event_loop()
        self.port = 0
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._server: asyncio.AbstractServer | None = None

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/"

    def __enter__(self) -> ReferenceServer:
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        async def stop() -> None:
            if self._server is not None:
                self._server.close()

        asyncio.run_coroutine_threadsafe(stop(), self.loop).result(5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
        self.loop.close()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self._server = self.loop.run_until_complete(asyncio.start_server(self._conn, "127.0.0.1", 0))
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        self.loop.run_forever()

    async def _conn(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(Exception):
            failed = await self._serve(reader, writer)
            if failed:
                # it started the close: read what the client still sends (its close, 2 s at most) before
                # closing TCP, so the reset of unread data never destroys answers still in flight
                async def linger() -> None:
                    while not self._closed_by_client(failed, await reader.read(65536)):
                        pass

                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(linger(), 2)
        with contextlib.suppress(Exception):
            writer.close()

    @staticmethod
    def _closed_by_client(parser: WsFrameParser, data: bytes) -> bool:
        return not data or any(isinstance(r, WsFrame) and r.opcode == 8 for r in parser.feed(data))

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> WsFrameParser | None:
        """Serve one connection; its parser when the server failed it (sent the first close), else None."""
        buf = b""
        while True:
            head, rest = split_head(buf)
            if head is not None:
                break
            data = await reader.read(65536)
            if not data or len(buf) > 65536:
                return None
            buf += data
        request = parse_head(buf[: len(buf) - len(rest)])
        key = request.get("sec-websocket-key") or ""
        accept = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
        offered = "permessage-deflate" in (request.get("sec-websocket-extensions") or "")
        lines = ["HTTP/1.1 101 Switching Protocols", "Upgrade: websocket", "Connection: Upgrade",
                 f"Sec-WebSocket-Accept: {accept}"]
        if offered:
            lines.append("Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; "
                         "client_no_context_takeover")
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        parser = WsFrameParser("client", "recv", rsv1_allowed=offered or self.defect == "rsv-unchecked",
                               deflate=offered, no_context_takeover=True)
        ignored = IGNORED.get(self.defect or "", set()) | HARMLESS
        data = rest
        while True:
            for rec in parser.feed(data):
                op = rec.opcode if isinstance(rec, WsFrame) else None
                bad = [v.code for v in rec.violations if v.code not in ignored and f"{v.code}@{op}" not in ignored]
                if bad:
                    code = 1007 if any("utf8" in c for c in bad) else 1002
                    writer.write(build_frame(8, code.to_bytes(2, "big")))
                    await writer.drain()
                    # the client's own (broken) close ends the handshake: no close of its to wait for
                    return None if op == 8 else parser
                if isinstance(rec, WsMessage):
                    if rec.opcode in (1, 2) and rec.complete:
                        payload = rec.payload
                        if self.defect == "length-126-off-by-one" and len(payload) in (126, 127):
                            payload = payload[:-1]
                        rsv1 = offered and self.defect == "deflate-rsv1-uncompressed"
                        writer.write(build_frame(rec.opcode, payload, rsv1=rsv1))
                elif isinstance(rec, WsFrame):
                    if rec.opcode == 9:
                        writer.write(build_frame(10, rec.payload))
                    elif rec.opcode == 8:
                        code = rec.close_code
                        if code is not None and not close_code_allowed(code) and self.defect != "close-code-unchecked":
                            echo = (1002).to_bytes(2, "big")
                        else:
                            echo = rec.payload[:2]
                        writer.write(build_frame(8, echo))
                        await writer.drain()
                        return None
            await writer.drain()
            data = await reader.read(65536)
            if not data:
                return None
