"""``serve h2 --misbehave CASE``: an HTTP/2 server (h2c, prior knowledge) that breaks one RFC 9113 rule, so
client authors can check that their client notices (the other side of ``probe h2``, as h2specd is of h2spec).

It reads the client preface and the first request, then writes its answer with one broken frame in it,
crafted byte by byte, and waits for the client to end the connection. Each case names the violation code
wiretool's own decoder reports (``h2 get`` exits 5 naming it).
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
from dataclasses import dataclass

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
STATUS_200 = b"\x88"  # HPACK: indexed :status 200


def frame(typ: int, flags: int, stream: int, payload: bytes = b"") -> bytes:
    return struct.pack(">I", len(payload))[1:] + bytes((typ, flags)) + struct.pack(">I", stream) + payload


SETTINGS = frame(0x4, 0, 0)
SETTINGS_ACK = frame(0x4, 0x1, 0)


@dataclass(frozen=True)
class Misbehaviour:
    name: str
    description: str
    rule: str
    violation: str
    answer: bytes
    """Everything the server writes after reading the client's preface and first request."""


def _ok_then(broken: bytes) -> bytes:
    return SETTINGS + SETTINGS_ACK + broken


CASES: dict[str, Misbehaviour] = {m.name: m for m in [
    Misbehaviour("settings-not-first", "a PING before the server's SETTINGS", "RFC 9113 §3.4", "settings_not_first",
                 frame(0x6, 0, 0, b"12345678") + SETTINGS + SETTINGS_ACK),
    Misbehaviour("data-on-stream-0", "a DATA frame on stream 0", "RFC 9113 §6.1", "stream_id_required",
                 _ok_then(frame(0x0, 0x1, 0, b"x"))),
    Misbehaviour("ping-on-stream-1", "a PING on stream 1", "RFC 9113 §6.7", "stream_id_forbidden",
                 _ok_then(frame(0x6, 0, 1, b"12345678"))),
    Misbehaviour("bad-hpack", "response headers with an HPACK index beyond the tables", "RFC 9113 §4.3",
                 "hpack_error", _ok_then(frame(0x1, 0x5, 1, b"\xff\x80\x01"))),
    Misbehaviour("short-rst-stream", "a RST_STREAM of 3 bytes", "RFC 9113 §6.4", "frame_size_error",
                 _ok_then(frame(0x3, 0, 1, b"\x00\x00\x08"))),
    Misbehaviour("window-update-zero", "a WINDOW_UPDATE with increment 0", "RFC 9113 §6.9", "window_update_zero",
                 _ok_then(frame(0x8, 0, 0, b"\x00\x00\x00\x00"))),
    Misbehaviour("bad-setting", "SETTINGS_ENABLE_PUSH = 2", "RFC 9113 §6.5.2", "bad_setting",
                 frame(0x4, 0, 0, struct.pack(">HI", 2, 2)) + SETTINGS_ACK),
    Misbehaviour("odd-push-promise", "a PUSH_PROMISE promising an odd stream", "RFC 9113 §6.6", "malformed_frame",
                 _ok_then(frame(0x5, 0x4, 1, struct.pack(">I", 3) + b"\x82\x84\x86\x41\x01x"))),
    Misbehaviour("frame-on-idle-stream", "response HEADERS on stream 3, which the client never opened",
                 "RFC 9113 §5.1.1", "stream_id_wrong_parity", _ok_then(frame(0x1, 0x5, 3, STATUS_200))),
    Misbehaviour("data-after-end-stream", "DATA after the response ended its stream", "RFC 9113 §5.1",
                 "frame_after_end_stream", _ok_then(frame(0x1, 0x5, 1, STATUS_200) + frame(0x0, 0x1, 1, b"late"))),
    Misbehaviour("continuation-expected", "HEADERS without END_HEADERS, then DATA", "RFC 9113 §6.10",
                 "continuation_expected", _ok_then(frame(0x1, 0x0, 1, STATUS_200) + frame(0x0, 0x1, 1, b"x"))),
]}


async def serve(host: str, port: int, name: str, on_listening) -> None:  # type: ignore[no-untyped-def]
    """Serve ``CASES[name]`` to every connection until cancelled; ``on_listening(port)`` once bound."""
    case = CASES[name]

    async def conn(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(Exception):
            buf = b""
            while len(buf) < len(PREFACE) + 9 and (data := await asyncio.wait_for(reader.read(65536), 10)):
                buf += data
            # the first HEADERS frame (the request) is enough: wait for it, then answer
            while b"\x01" not in buf[len(PREFACE):] and (data := await asyncio.wait_for(reader.read(65536), 10)):
                buf += data
            writer.write(case.answer)
            await writer.drain()
            with contextlib.suppress(asyncio.TimeoutError):
                while await asyncio.wait_for(reader.read(65536), 5):
                    pass
        with contextlib.suppress(Exception):
            writer.close()

    server = await asyncio.start_server(conn, host, port)
    on_listening(server.sockets[0].getsockname()[1])
    async with server:
        await server.serve_forever()
