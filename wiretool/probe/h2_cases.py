"""The ``probe h2`` cases: h2spec's groups (generic, http2, hpack) by h2spec's ids, as data, with the RFC 9113
section beside the RFC 7540 one h2spec was written against, plus what RFC 9113 changed.

A case is a list of frames to send once the connection is up (each built by a small function of the
connection's context, so header blocks carry the server's own :authority and :scheme), and the outcomes
that satisfy the RFC: a connection error (GOAWAY with a code, or the connection closed), a stream error
(RST_STREAM with a code, or a connection error), or an answer (a response, a PING ACK, a SETTINGS ACK).
The player (probe/h2_run.py) sends and watches; nothing here touches a socket.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = range(10)
END_STREAM, ACK, END_HEADERS, PADDED, PRIORITY_FLAG = 0x1, 0x1, 0x4, 0x8, 0x20


class Ctx(Protocol):
    """What a case's frames may use: a valid request header block for this server, and the encoder."""

    def block(self, extra: list[tuple[str, str]] | None = None, *, method: str = "GET", path: str | None = None,
              drop: tuple[str, ...] = (), first: list[tuple[str, str]] | None = None) -> bytes: ...

    def block_trailers(self, fields: list[tuple[str, str]]) -> bytes: ...

    max_frame_size: int
    max_streams: int | None


def frame(typ: int, flags: int, stream: int, payload: bytes = b"", *, length: int | None = None) -> bytes:
    """One frame's bytes; ``length`` writes a length field that lies about the payload."""
    n = len(payload) if length is None else length
    return struct.pack(">I", n)[1:] + bytes((typ, flags)) + struct.pack(">I", stream & 0xFFFFFFFF) + payload


def settings(*pairs: tuple[int, int]) -> bytes:
    return b"".join(struct.pack(">HI", k, v) for k, v in pairs)


Frames = Callable[[Ctx], list[bytes]]


@dataclass(frozen=True)
class Expect:
    """What satisfies the RFC.

    ``kind``: ``conn`` (GOAWAY with one of ``codes``, or the connection closed), ``stream`` (RST_STREAM on
    ``stream`` with one of ``codes``, or a connection error with one of them), ``response`` (a response on
    ``stream`` ends), ``ping_ack`` (a PING ACK with ``data``), ``settings_ack``, ``no_error`` (the connection
    stays up and answers a PING afterwards: the frame was ignored, as the RFC says it must be).
    """

    kind: str
    codes: tuple[str, ...] = ()
    stream: int = 1
    data: bytes = b""


def conn(*codes: str) -> Expect:
    return Expect("conn", codes)


def stream(*codes: str, sid: int = 1) -> Expect:
    return Expect("stream", codes, sid)


RESPONSE = Expect("response")
RESPONSE_OR_RESET = Expect("response_or_reset")
IGNORED = Expect("no_error")


@dataclass(frozen=True)
class H2Case:
    """One conformance case."""

    id: str
    rfc7540: str
    rfc9113: str
    description: str
    expectation: str
    frames: Frames
    expect: Expect
    handshake: bool = True
    """Send the preface and SETTINGS (and ACK the server's) first; False for the preface cases."""
    informational: bool = False
    limits: bool = False
    needs: str = ""
    """A server setting the case depends on: ``connect-protocol`` (it sent SETTINGS_ENABLE_CONNECT_PROTOCOL = 1),
    ``no-connect-protocol`` (it did not), ``max-streams`` (it set a SETTINGS_MAX_CONCURRENT_STREAMS limit)."""
    flood: int = 0
    """Resource cases: how many times the last frame is repeated (sent in batches, bounded)."""

    @property
    def family(self) -> str:
        return self.id.split("/")[0]


def _get(c: Ctx) -> bytes:
    return frame(HEADERS, END_STREAM | END_HEADERS, 1, c.block())


def _cases() -> list[H2Case]:
    P, F, S, FC, C, R = "PROTOCOL_ERROR", "FRAME_SIZE_ERROR", "STREAM_CLOSED", "FLOW_CONTROL_ERROR", \
        "COMPRESSION_ERROR", "REFUSED_STREAM"
    out: list[H2Case] = []

    def add(cid: str, s7540: str, s9113: str, desc: str, exp: str, frames: Frames, expect: Expect,
            **kw: Any) -> None:
        out.append(H2Case(cid, s7540, s9113, desc, exp, frames, expect, **kw))

    # -- generic: what every server must do ---------------------------------------------------------------
    add("generic/1/1", "3.5", "3.4", "Sends a client connection preface.",
        "The server sends a SETTINGS frame as its first frame and answers a PING.", lambda c: [], IGNORED)
    add("generic/2/1", "5.1", "5.1", "Sends a PRIORITY frame on an idle stream.",
        "The frame is accepted (PRIORITY may be sent in any state).",
        lambda c: [frame(PRIORITY, 0, 1, struct.pack(">IB", 0, 15))], IGNORED)
    add("generic/3.1/1", "6.1", "6.1", "Sends a request, then DATA with END_STREAM.", "A response.",
        lambda c: [frame(HEADERS, END_HEADERS, 1, c.block(method="POST")), frame(DATA, END_STREAM, 1, b"test")],
        RESPONSE)
    add("generic/3.1/2", "6.1", "6.1", "Sends DATA in several frames, the last with END_STREAM.", "A response.",
        lambda c: [frame(HEADERS, END_HEADERS, 1, c.block(method="POST")), frame(DATA, 0, 1, b"te"),
                   frame(DATA, END_STREAM, 1, b"st")], RESPONSE)
    add("generic/3.1/3", "6.1", "6.1", "Sends padded DATA with END_STREAM.", "A response.",
        lambda c: [frame(HEADERS, END_HEADERS, 1, c.block(method="POST")),
                   frame(DATA, END_STREAM | PADDED, 1, b"\x04test\x00\x00\x00\x00")], RESPONSE)
    add("generic/3.2/1", "6.2", "6.2", "Sends HEADERS with END_STREAM and END_HEADERS.", "A response.",
        lambda c: [_get(c)], RESPONSE)
    add("generic/3.2/2", "6.2", "6.2", "Sends HEADERS split into HEADERS and CONTINUATION.", "A response.",
        lambda c: (lambda b: [frame(HEADERS, END_STREAM, 1, b[:2]), frame(CONTINUATION, END_HEADERS, 1, b[2:])])(
            c.block()), RESPONSE)
    add("generic/3.2/3", "6.2", "6.2", "Sends padded HEADERS.", "A response.",
        lambda c: [frame(HEADERS, END_STREAM | END_HEADERS | PADDED, 1, b"\x03" + c.block() + b"\x00" * 3)],
        RESPONSE)
    add("generic/3.3/1", "6.3", "5.3.2", "Sends a PRIORITY frame on an open stream (deprecated by RFC 9113, still "
        "to be parsed).", "A response.", lambda c: [frame(HEADERS, END_HEADERS, 1, c.block(method="POST")),
                                                     frame(PRIORITY, 0, 1, struct.pack(">IB", 0, 15)),
                                                     frame(DATA, END_STREAM, 1, b"x")], RESPONSE)
    add("generic/3.4/1", "6.4", "6.4", "Sends RST_STREAM on an open stream.",
        "The stream is closed; the connection stays up.",
        lambda c: [frame(HEADERS, END_HEADERS, 1, c.block(method="POST")),
                   frame(RST_STREAM, 0, 1, struct.pack(">I", 8))], IGNORED)
    add("generic/3.5/1", "6.5", "6.5", "Sends a SETTINGS frame with defined values.", "A SETTINGS ACK.",
        lambda c: [frame(SETTINGS, 0, 0, settings((3, 100), (4, 65535)))], Expect("settings_ack"))
    add("generic/3.6/1", "6.7", "6.7", "Sends a PING.", "A PING ACK with the same opaque data.",
        lambda c: [frame(PING, 0, 0, b"h2specxx")], Expect("ping_ack", data=b"h2specxx"))
    add("generic/3.7/1", "6.8", "6.8", "Sends GOAWAY.", "The server may close the connection (informational).",
        lambda c: [frame(GOAWAY, 0, 0, struct.pack(">II", 0, 0))], conn("NO_ERROR"), informational=True)
    add("generic/3.8/1", "6.9", "6.9", "Sends WINDOW_UPDATE on the connection.", "Accepted.",
        lambda c: [frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", 1))], IGNORED)
    add("generic/3.9/1", "6.10", "6.10", "Sends a header block in HEADERS and two CONTINUATION frames.",
        "A response.", lambda c: (lambda b: [frame(HEADERS, END_STREAM, 1, b[:1]), frame(CONTINUATION, 0, 1, b[1:2]),
                                             frame(CONTINUATION, END_HEADERS, 1, b[2:])])(c.block()), RESPONSE)
    add("generic/4/1", "8.1", "8.1", "Sends a GET request.", "A response.", lambda c: [_get(c)], RESPONSE)
    add("generic/4/2", "8.1", "8.1", "Sends a HEAD request.", "A response.",
        lambda c: [frame(HEADERS, END_STREAM | END_HEADERS, 1, c.block(method="HEAD"))], RESPONSE)
    add("generic/4/3", "8.1", "8.1", "Sends a POST request with a body and trailers.", "A response.",
        lambda c: [frame(HEADERS, END_HEADERS, 1, c.block(method="POST")), frame(DATA, 0, 1, b"test"),
                   frame(HEADERS, END_STREAM | END_HEADERS, 1, c.block_trailers([("x-trailer", "1")]))], RESPONSE)

    # -- http2: RFC 7540/9113 section by section ----------------------------------------------------------
    add("http2/3.5/1", "3.5", "3.4", "Sends a client connection preface.", "A SETTINGS frame from the server.",
        lambda c: [], IGNORED)
    add("http2/3.5/2", "3.5", "3.4", "Sends an invalid connection preface.", "A connection error (PROTOCOL_ERROR).",
        lambda c: [b"INVALID CONNECTION PREFACE\r\n\r\n"], conn(P), handshake=False)
    add("http2/4.1/1", "4.1", "4.1", "Sends a frame of an unknown type.", "The frame is ignored.",
        lambda c: [frame(0x16, 0, 0, b"unknown")], IGNORED)
    add("http2/4.1/2", "4.1", "4.1", "Sends a PING with undefined flags set.", "The flags are ignored: a PING ACK.",
        lambda c: [frame(PING, 0x16, 0, b"h2specxx")], Expect("ping_ack", data=b"h2specxx"))
    add("http2/4.1/3", "4.1", "4.1", "Sends a PING with the reserved bit of the stream identifier set.",
        "The bit is ignored: a PING ACK.", lambda c: [frame(PING, 0, 0x80000000, b"h2specxx")],
        Expect("ping_ack", data=b"h2specxx"))
    add("http2/4.2/1", "4.2", "4.2", "Sends a DATA frame of 2^14 octets.", "Accepted (a response).",
        lambda c: [frame(HEADERS, END_HEADERS, 1, c.block(method="POST")),
                   frame(DATA, END_STREAM, 1, b"x" * 16384)], RESPONSE)
    add("http2/4.2/2", "4.2", "4.2", "Sends a DATA frame larger than SETTINGS_MAX_FRAME_SIZE.",
        "A stream or connection error (FRAME_SIZE_ERROR).",
        lambda c: [frame(HEADERS, END_HEADERS, 1, c.block(method="POST")),
                   frame(DATA, END_STREAM, 1, b"x" * (c.max_frame_size + 1))], stream(F))
    add("http2/4.2/3", "4.2", "4.2", "Sends a HEADERS frame larger than SETTINGS_MAX_FRAME_SIZE.",
        "A connection error (FRAME_SIZE_ERROR).",
        lambda c: [frame(HEADERS, END_STREAM | END_HEADERS, 1,
                         c.block([("x-dummy", "x" * (2 * c.max_frame_size))]))], conn(F))
    add("http2/4.3/1", "4.3", "4.3", "Sends an invalid header block fragment.", "A connection error "
        "(COMPRESSION_ERROR).", lambda c: [frame(HEADERS, END_STREAM | END_HEADERS, 1, b"\x00\x00\x00\x00\x00")],
        conn(C))
    add("http2/4.3/2", "4.3", "4.3", "Sends a PRIORITY frame while a header block is being sent.",
        "A connection error (PROTOCOL_ERROR).",
        lambda c: [frame(HEADERS, END_STREAM, 1, c.block()), frame(PRIORITY, 0, 1, struct.pack(">IB", 0, 15)),
                   frame(CONTINUATION, END_HEADERS, 1, b"")], conn(P))
    add("http2/4.3/3", "4.3", "4.3", "Sends headers on another stream while a header block is being sent.",
        "A connection error (PROTOCOL_ERROR).",
        lambda c: [frame(HEADERS, END_STREAM, 1, c.block()), frame(HEADERS, END_STREAM | END_HEADERS, 3, c.block())],
        conn(P))
    # 5.1 stream states
    add("http2/5.1/1", "5.1", "5.1", "idle: sends a DATA frame.", "A connection error (PROTOCOL_ERROR).",
        lambda c: [frame(DATA, END_STREAM, 1, b"test")], conn(P))
    add("http2/5.1/2", "5.1", "5.1", "idle: sends a RST_STREAM frame.", "A connection error (PROTOCOL_ERROR).",
        lambda c: [frame(RST_STREAM, 0, 1, struct.pack(">I", 8))], conn(P))
    add("http2/5.1/3", "5.1", "5.1", "idle: sends a WINDOW_UPDATE frame.", "A connection error (PROTOCOL_ERROR).",
        lambda c: [frame(WINDOW_UPDATE, 0, 1, struct.pack(">I", 100))], conn(P))
    add("http2/5.1/4", "5.1", "5.1", "idle: sends a CONTINUATION frame.", "A connection error (PROTOCOL_ERROR).",
        lambda c: [frame(CONTINUATION, END_HEADERS, 1, c.block())], conn(P))
    add("http2/5.1/5", "5.1", "5.1", "half-closed (remote): sends a DATA frame.",
        "A stream or connection error (STREAM_CLOSED).",
        lambda c: [_get(c), frame(DATA, END_STREAM, 1, b"test")], stream(S))
    add("http2/5.1/6", "5.1", "5.1", "half-closed (remote): sends a HEADERS frame.",
        "A stream or connection error (STREAM_CLOSED).",
        lambda c: [_get(c), frame(HEADERS, END_STREAM | END_HEADERS, 1, c.block_trailers([("x-test", "ok")]))],
        stream(S))
    add("http2/5.1/7", "5.1", "5.1", "half-closed (remote): sends a CONTINUATION frame.",
        "A connection error (PROTOCOL_ERROR).", lambda c: [_get(c), frame(CONTINUATION, END_HEADERS, 1, c.block())],
        conn(P))
    add("http2/5.1/8", "5.1", "5.1", "closed: sends a DATA frame after sending RST_STREAM.",
        "A stream or connection error (STREAM_CLOSED).",
        lambda c: [frame(HEADERS, END_HEADERS, 1, c.block(method="POST")), frame(RST_STREAM, 0, 1, struct.pack(">I", 8)),
                   frame(DATA, END_STREAM, 1, b"test")], stream(S))
    add("http2/5.1/9", "5.1", "5.1", "closed: sends a HEADERS frame after sending RST_STREAM.",
        "A stream or connection error (STREAM_CLOSED).",
        lambda c: [frame(HEADERS, END_HEADERS, 1, c.block(method="POST")), frame(RST_STREAM, 0, 1, struct.pack(">I", 8)),
                   frame(HEADERS, END_STREAM | END_HEADERS, 1, c.block())], stream(S))
    add("http2/5.1/10", "5.1", "5.1", "closed: sends a CONTINUATION frame after sending RST_STREAM.",
        "A connection error (PROTOCOL_ERROR).",
        lambda c: [frame(HEADERS, END_HEADERS, 1, c.block(method="POST")), frame(RST_STREAM, 0, 1, struct.pack(">I", 8)),
                   frame(CONTINUATION, END_HEADERS, 1, c.block())], conn(P))
    add("http2/5.1.1/1", "5.1.1", "5.1.1", "Sends a request on an even-numbered stream.",
        "A connection error (PROTOCOL_ERROR).",
        lambda c: [frame(HEADERS, END_STREAM | END_HEADERS, 2, c.block())], conn(P))
    add("http2/5.1.1/2", "5.1.1", "5.1.1", "Sends a request on a stream lower than one already used.",
        "A connection error (PROTOCOL_ERROR).",
        lambda c: [frame(HEADERS, END_STREAM | END_HEADERS, 5, c.block()),
                   frame(HEADERS, END_STREAM | END_HEADERS, 3, c.block())], conn(P))
    add("http2/5.1.2/1", "5.1.2", "5.1.2", "Opens more streams than SETTINGS_MAX_CONCURRENT_STREAMS.",
        "A stream error (PROTOCOL_ERROR or REFUSED_STREAM) on a stream past the limit.",
        lambda c: [frame(HEADERS, END_HEADERS, 1 + 2 * i, c.block(method="POST"))
                   for i in range((c.max_streams or 0) + 1)],
        stream(P, R, sid=0), needs="max-streams")
    add("http2/5.3.1/1", "5.3.1", "5.3.1", "Sends HEADERS that make a stream depend on itself.",
        "A stream error (PROTOCOL_ERROR).",
        lambda c: [frame(HEADERS, END_STREAM | END_HEADERS | PRIORITY_FLAG, 1, struct.pack(">IB", 1, 15) + c.block())],
        stream(P))
    add("http2/5.3.1/2", "5.3.1", "5.3.1", "Sends PRIORITY that makes a stream depend on itself.",
        "A stream error (PROTOCOL_ERROR).", lambda c: [frame(PRIORITY, 0, 1, struct.pack(">IB", 1, 15))], stream(P))
    add("http2/5.4.1/1", "5.4.1", "5.4.1", "Sends an invalid PING (stream 1), a connection error.",
        "A GOAWAY, then the connection closed.", lambda c: [frame(PING, 0, 1, b"h2specxx")], conn(P))
    add("http2/5.5/1", "5.5", "5.5", "Sends an unknown extension frame.", "The frame is ignored.",
        lambda c: [frame(0xFF, 0, 0, b"\x00" * 8)], IGNORED)
    add("http2/5.5/2", "5.5", "5.5", "Sends an unknown extension frame in the middle of a header block.",
        "A connection error (PROTOCOL_ERROR).",
        lambda c: [frame(HEADERS, END_STREAM, 1, c.block()), frame(0xFF, 0, 1, b"\x00" * 8),
                   frame(CONTINUATION, END_HEADERS, 1, b"")], conn(P))
    # 6.x frame definitions
    add("http2/6.1/1", "6.1", "6.1", "Sends DATA with stream identifier 0.", "A connection error (PROTOCOL_ERROR).",
        lambda c: [frame(DATA, END_STREAM, 0, b"test")], conn(P))
    add("http2/6.1/2", "6.1", "6.1", "Sends DATA on a stream that is not open (half-closed remote).",
        "A stream or connection error (STREAM_CLOSED).", lambda c: [_get(c), frame(DATA, END_STREAM, 1, b"test")],
        stream(S))
    add("http2/6.1/3", "6.1", "6.1", "Sends DATA with a pad length at least the payload length.",
        "A connection error (PROTOCOL_ERROR).",
        lambda c: [frame(HEADERS, END_HEADERS, 1, c.block(method="POST")),
                   frame(DATA, END_STREAM | PADDED, 1, b"\x06test")], conn(P))
    add("http2/6.2/1", "6.2", "6.2", "Sends HEADERS without END_HEADERS, then a PRIORITY frame.",
        "A connection error (PROTOCOL_ERROR).",
        lambda c: [frame(HEADERS, END_STREAM, 1, c.block()), frame(PRIORITY, 0, 1, struct.pack(">IB", 0, 15))],
        conn(P))
    add("http2/6.2/2", "6.2", "6.2", "Sends HEADERS with stream identifier 0.", "A connection error (PROTOCOL_ERROR).",
        lambda c: [frame(HEADERS, END_STREAM | END_HEADERS, 0, c.block())], conn(P))
    add("http2/6.2/3", "6.2", "6.2", "Sends HEADERS with a pad length at least the payload length.",
        "A connection error (PROTOCOL_ERROR).",
        lambda c: [frame(HEADERS, END_STREAM | END_HEADERS | PADDED, 1, b"\xff" + c.block()[:4])], conn(P))
    add("http2/6.3/1", "6.3", "6.3", "Sends PRIORITY with stream identifier 0.", "A connection error (PROTOCOL_ERROR).",
        lambda c: [frame(PRIORITY, 0, 0, struct.pack(">IB", 0, 15))], conn(P))
    add("http2/6.3/2", "6.3", "6.3", "Sends PRIORITY with a length other than 5.", "A stream error (FRAME_SIZE_ERROR).",
        lambda c: [frame(PRIORITY, 0, 1, struct.pack(">IB", 0, 15) + b"\x00")], stream(F))
    add("http2/6.4/1", "6.4", "6.4", "Sends RST_STREAM with stream identifier 0.",
        "A connection error (PROTOCOL_ERROR).", lambda c: [frame(RST_STREAM, 0, 0, struct.pack(">I", 8))], conn(P))
    add("http2/6.4/2", "6.4", "6.4", "Sends RST_STREAM on an idle stream.", "A connection error (PROTOCOL_ERROR).",
        lambda c: [frame(RST_STREAM, 0, 1, struct.pack(">I", 8))], conn(P))
    add("http2/6.4/3", "6.4", "6.4", "Sends RST_STREAM with a length other than 4.",
        "A connection error (FRAME_SIZE_ERROR).",
        lambda c: [frame(HEADERS, END_HEADERS, 1, c.block(method="POST")),
                   frame(RST_STREAM, 0, 1, struct.pack(">I", 8) + b"\x00")], conn(F))
    add("http2/6.5/1", "6.5", "6.5", "Sends a SETTINGS ACK with a payload.", "A connection error (FRAME_SIZE_ERROR).",
        lambda c: [frame(SETTINGS, ACK, 0, settings((3, 100)))], conn(F))
    add("http2/6.5/2", "6.5", "6.5", "Sends SETTINGS with a stream identifier other than 0.",
        "A connection error (PROTOCOL_ERROR).", lambda c: [frame(SETTINGS, 0, 1, settings((3, 100)))], conn(P))
    add("http2/6.5/3", "6.5", "6.5", "Sends SETTINGS with a length that is not a multiple of 6.",
        "A connection error (FRAME_SIZE_ERROR).", lambda c: [frame(SETTINGS, 0, 0, b"\x00\x03\x00")], conn(F))
    add("http2/6.5.2/1", "6.5.2", "6.5.2", "SETTINGS_ENABLE_PUSH (0x2): sends a value other than 0 or 1.",
        "A connection error (PROTOCOL_ERROR).", lambda c: [frame(SETTINGS, 0, 0, settings((2, 2)))], conn(P))
    add("http2/6.5.2/2", "6.5.2", "6.5.2", "SETTINGS_INITIAL_WINDOW_SIZE (0x4): sends a value above 2^31-1.",
        "A connection error (FLOW_CONTROL_ERROR).", lambda c: [frame(SETTINGS, 0, 0, settings((4, 2**31)))], conn(FC))
    add("http2/6.5.2/3", "6.5.2", "6.5.2", "SETTINGS_MAX_FRAME_SIZE (0x5): sends a value below 16384.",
        "A connection error (PROTOCOL_ERROR).", lambda c: [frame(SETTINGS, 0, 0, settings((5, 16383)))], conn(P))
    add("http2/6.5.2/4", "6.5.2", "6.5.2", "SETTINGS_MAX_FRAME_SIZE (0x5): sends a value above 2^24-1.",
        "A connection error (PROTOCOL_ERROR).", lambda c: [frame(SETTINGS, 0, 0, settings((5, 2**24)))], conn(P))
    add("http2/6.5.2/5", "6.5.2", "6.5.2", "Sends a SETTINGS frame with an unknown identifier.",
        "The setting is ignored: a SETTINGS ACK.", lambda c: [frame(SETTINGS, 0, 0, settings((0xFF, 1)))],
        Expect("settings_ack"))
    add("http2/6.5.3/1", "6.5.3", "6.5.3", "Sends multiple values of SETTINGS_INITIAL_WINDOW_SIZE.",
        "A SETTINGS ACK.", lambda c: [frame(SETTINGS, 0, 0, settings((4, 100), (4, 1), (4, 65535)))],
        Expect("settings_ack"))
    add("http2/6.5.3/2", "6.5.3", "6.5.3", "Sends a SETTINGS frame without ACK.", "A SETTINGS ACK.",
        lambda c: [frame(SETTINGS, 0, 0, b"")], Expect("settings_ack"))
    add("http2/6.7/1", "6.7", "6.7", "Sends a PING.", "A PING ACK with the same payload.",
        lambda c: [frame(PING, 0, 0, b"h2specxx")], Expect("ping_ack", data=b"h2specxx"))
    add("http2/6.7/2", "6.7", "6.7", "Sends a PING with ACK.", "No PING ACK in answer (the next PING is answered).",
        lambda c: [frame(PING, ACK, 0, b"invalid!")], IGNORED)
    add("http2/6.7/3", "6.7", "6.7", "Sends a PING with a stream identifier other than 0.",
        "A connection error (PROTOCOL_ERROR).", lambda c: [frame(PING, 0, 1, b"h2specxx")], conn(P))
    add("http2/6.7/4", "6.7", "6.7", "Sends a PING with a length other than 8.",
        "A connection error (FRAME_SIZE_ERROR).", lambda c: [frame(PING, 0, 0, b"h2spec")], conn(F))
    add("http2/6.8/1", "6.8", "6.8", "Sends GOAWAY with a stream identifier other than 0.",
        "A connection error (PROTOCOL_ERROR).", lambda c: [frame(GOAWAY, 0, 1, struct.pack(">II", 0, 0))], conn(P))
    add("http2/6.9/1", "6.9", "6.9", "Sends WINDOW_UPDATE with an increment of 0 on the connection.",
        "A connection error (PROTOCOL_ERROR).", lambda c: [frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", 0))], conn(P))
    add("http2/6.9/2", "6.9", "6.9", "Sends WINDOW_UPDATE with an increment of 0 on a stream.",
        "A stream error (PROTOCOL_ERROR).",
        lambda c: [frame(HEADERS, END_HEADERS, 1, c.block(method="POST")),
                   frame(WINDOW_UPDATE, 0, 1, struct.pack(">I", 0))], stream(P))
    add("http2/6.9/3", "6.9", "6.9", "Sends WINDOW_UPDATE with a length other than 4.",
        "A connection error (FRAME_SIZE_ERROR).", lambda c: [frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", 1) + b"\x00")],
        conn(F))
    add("http2/6.9.1/3", "6.9.1", "6.9.1", "Sets SETTINGS_INITIAL_WINDOW_SIZE to 1, then sends a request.",
        "The server sends DATA of at most 1 octet on the stream until its window grows.",
        lambda c: [frame(SETTINGS, 0, 0, settings((4, 1))), _get(c)], Expect("data_at_most", data=b"\x01"))
    add("http2/6.9.2/1", "6.9.2", "6.9.2", "Sets SETTINGS_INITIAL_WINDOW_SIZE to 0, sends a request, then raises "
        "the window to 1 by SETTINGS.", "No DATA until the window opens; then DATA of at most 1 octet.",
        lambda c: [frame(SETTINGS, 0, 0, settings((4, 0))), _get(c), frame(SETTINGS, 0, 0, settings((4, 1)))],
        Expect("data_at_most", data=b"\x01"))
    add("http2/6.9.1/1", "6.9.1", "6.9.1", "Sends WINDOW_UPDATE that takes the connection window above 2^31-1.",
        "A connection error (FLOW_CONTROL_ERROR).",
        lambda c: [frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", 2**31 - 1)),
                   frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", 2**31 - 1))], conn(FC))
    add("http2/6.9.1/2", "6.9.1", "6.9.1", "Sends WINDOW_UPDATE that takes a stream window above 2^31-1.",
        "A stream error (FLOW_CONTROL_ERROR).",
        lambda c: [frame(HEADERS, END_HEADERS, 1, c.block(method="POST")),
                   frame(WINDOW_UPDATE, 0, 1, struct.pack(">I", 2**31 - 1)),
                   frame(WINDOW_UPDATE, 0, 1, struct.pack(">I", 2**31 - 1))], stream(FC))
    add("http2/6.10/1", "6.10", "6.10", "Sends multiple CONTINUATION frames.", "A response.",
        lambda c: (lambda b, q: [frame(HEADERS, END_STREAM, 1, b[:q]), frame(CONTINUATION, 0, 1, b[q:2 * q]),
                                 frame(CONTINUATION, 0, 1, b[2 * q:3 * q]),
                                 frame(CONTINUATION, END_HEADERS, 1, b[3 * q:])])(c.block(), max(1, len(c.block()) // 4)),
        RESPONSE)
    add("http2/6.10/2", "6.10", "6.10", "Sends a CONTINUATION frame after END_HEADERS.",
        "A connection error (PROTOCOL_ERROR).",
        lambda c: [frame(HEADERS, END_HEADERS, 1, c.block(method="POST")), frame(CONTINUATION, END_HEADERS, 1, b"")],
        conn(P))
    add("http2/6.10/3", "6.10", "6.10", "Sends a CONTINUATION frame on stream 0.",
        "A connection error (PROTOCOL_ERROR).",
        lambda c: [frame(HEADERS, END_STREAM, 1, c.block()), frame(CONTINUATION, END_HEADERS, 0, b"")], conn(P))
    add("http2/6.10/4", "6.10", "6.10", "Sends a DATA frame between HEADERS and CONTINUATION.",
        "A connection error (PROTOCOL_ERROR).",
        lambda c: [frame(HEADERS, END_STREAM, 1, c.block()), frame(DATA, 0, 1, b"x"),
                   frame(CONTINUATION, END_HEADERS, 1, b"")], conn(P))
    add("http2/6.10/5", "6.10", "6.10", "Sends a CONTINUATION on another stream than its HEADERS.",
        "A connection error (PROTOCOL_ERROR).",
        lambda c: [frame(HEADERS, END_STREAM, 1, c.block()), frame(CONTINUATION, END_HEADERS, 3, b"")], conn(P))
    # 8.x HTTP semantics (RFC 9113 §8.2-8.4)
    add("http2/8.1/1", "8.1", "8.1", "Sends a second HEADERS on a stream without END_STREAM (not trailers).",
        "A stream error (PROTOCOL_ERROR).",
        lambda c: [frame(HEADERS, END_HEADERS, 1, c.block(method="POST")),
                   frame(HEADERS, END_HEADERS, 1, c.block_trailers([("x-test", "ok")]))], stream(P))
    add("http2/8.1.2/1", "8.1.2", "8.2", "Sends a header field name in upper case.",
        "A stream error (PROTOCOL_ERROR): the request is malformed.",
        lambda c: [frame(HEADERS, END_STREAM | END_HEADERS, 1, c.block([("X-TEST", "ok")]))], stream(P))
    add("http2/8.1.2.1/1", "8.1.2.1", "8.3", "Sends an unknown pseudo-header field.",
        "A stream error (PROTOCOL_ERROR).",
        lambda c: [frame(HEADERS, END_STREAM | END_HEADERS, 1, c.block(first=[(":test", "ok")]))], stream(P))
    add("http2/8.1.2.1/2", "8.1.2.1", "8.3", "Sends a response pseudo-header field (:status) in a request.",
        "A stream error (PROTOCOL_ERROR).",
        lambda c: [frame(HEADERS, END_STREAM | END_HEADERS, 1, c.block(first=[(":status", "200")]))], stream(P))
    add("http2/8.1.2.1/3", "8.1.2.1", "8.3", "Sends a pseudo-header field after a regular field.",
        "A stream error (PROTOCOL_ERROR).",
        lambda c: [frame(HEADERS, END_STREAM | END_HEADERS, 1, c.block([("x-test", "ok"), (":path", "/")]))],
        stream(P))
    add("http2/8.1.2.2/1", "8.1.2.2", "8.2.2", "Sends a connection-specific header field (connection).",
        "A stream error (PROTOCOL_ERROR).",
        lambda c: [frame(HEADERS, END_STREAM | END_HEADERS, 1, c.block([("connection", "keep-alive")]))], stream(P))
    add("http2/8.1.2.2/2", "8.1.2.2", "8.2.2", "Sends a TE header field other than trailers.",
        "A stream error (PROTOCOL_ERROR).",
        lambda c: [frame(HEADERS, END_STREAM | END_HEADERS, 1, c.block([("te", "trailers, deflate")]))], stream(P))
    add("http2/8.1.2.3/1", "8.1.2.3", "8.3.1", "Sends an empty :path.", "A stream error (PROTOCOL_ERROR).",
        lambda c: [frame(HEADERS, END_STREAM | END_HEADERS, 1, c.block(path=""))], stream(P))
    add("http2/8.1.2.3/2", "8.1.2.3", "8.3.1", "Omits :method.", "A stream error (PROTOCOL_ERROR).",
        lambda c: [frame(HEADERS, END_STREAM | END_HEADERS, 1, c.block(drop=(":method",)))], stream(P))
    add("http2/8.1.2.3/3", "8.1.2.3", "8.3.1", "Omits :scheme.", "A stream error (PROTOCOL_ERROR).",
        lambda c: [frame(HEADERS, END_STREAM | END_HEADERS, 1, c.block(drop=(":scheme",)))], stream(P))
    add("http2/8.1.2.3/4", "8.1.2.3", "8.3.1", "Omits :path.", "A stream error (PROTOCOL_ERROR).",
        lambda c: [frame(HEADERS, END_STREAM | END_HEADERS, 1, c.block(drop=(":path",)))], stream(P))
    add("http2/8.1.2.3/5", "8.1.2.3", "8.3.1", "Sends :method twice.", "A stream error (PROTOCOL_ERROR).",
        lambda c: [frame(HEADERS, END_STREAM | END_HEADERS, 1, c.block(first=[(":method", "GET")]))], stream(P))
    add("http2/8.1.2.6/1", "8.1.2.6", "8.1.1", "Sends a content-length that the DATA does not match.",
        "A stream error (PROTOCOL_ERROR).",
        lambda c: [frame(HEADERS, END_HEADERS, 1, c.block([("content-length", "1")], method="POST")),
                   frame(DATA, END_STREAM, 1, b"test")], stream(P))
    add("http2/8.2/1", "8.2", "8.4", "Sends a PUSH_PROMISE (a client may not).", "A connection error (PROTOCOL_ERROR).",
        lambda c: [frame(PUSH_PROMISE, END_HEADERS, 1, struct.pack(">I", 2) + c.block())], conn(P))
    # RFC 9113 additions
    add("http2/9113-8.2.1/1", "-", "8.2.1", "Sends a field value with a leading space (RFC 9113 forbids it).",
        "A stream error (PROTOCOL_ERROR): RFC 9113 §8.2.1 makes such a request malformed.",
        lambda c: [frame(HEADERS, END_STREAM | END_HEADERS, 1, c.block([("x-test", " ok")]))], stream(P))
    add("http2/9113-8.2.1/2", "-", "8.2.1", "Sends a field value containing NUL.",
        "A stream error (PROTOCOL_ERROR).",
        lambda c: [frame(HEADERS, END_STREAM | END_HEADERS, 1, c.block([("x-test", "o\x00k")]))], stream(P))
    add("http2/rfc8441/1", "-", "8.5 (RFC 8441)", "Sends an extended CONNECT (:protocol websocket) to a server "
        "that advertised SETTINGS_ENABLE_CONNECT_PROTOCOL.", "A response (any status): the request is well formed.",
        lambda c: [frame(HEADERS, END_HEADERS, 1, c.block([(":protocol", "websocket")], method="CONNECT",
                                                           first=[]))], RESPONSE_OR_RESET,
        needs="connect-protocol")
    add("http2/rfc8441/2", "-", "8.5 (RFC 8441)", "Sends :protocol to a server that did not advertise "
        "SETTINGS_ENABLE_CONNECT_PROTOCOL.", "A stream error (PROTOCOL_ERROR): RFC 8441 §3 makes the request "
        "malformed.", lambda c: [frame(HEADERS, END_HEADERS, 1, c.block([(":protocol", "websocket")],
                                                                         method="CONNECT"))],
        stream(P), needs="no-connect-protocol")
    # -- resource checks (opt-in: --include-limits) -------------------------------------------------------
    add("limits/rapid-reset/1", "-", "5.4.2, 10.5", "Opens and immediately resets 1000 streams (HEADERS then "
        "RST_STREAM CANCEL each, CVE-2023-44487).", "The server survives: it answers the next PING, or defends "
        "itself with GOAWAY (ENHANCE_YOUR_CALM or another code) or by closing.",
        lambda c: [frame(HEADERS, END_STREAM | END_HEADERS, 1 + 2 * i, c.block())
                   + frame(RST_STREAM, 0, 1 + 2 * i, struct.pack(">I", 8)) for i in range(1000)],
        Expect("survives"), limits=True)
    add("limits/continuation-flood/1", "-", "6.10, 10.5", "Sends HEADERS without END_HEADERS, then 10000 "
        "CONTINUATION frames that never end the block (CVE-2024-27316 class).", "The server ends the connection "
        "(GOAWAY or close) instead of buffering header fragments without end.",
        lambda c: [frame(HEADERS, END_STREAM, 1, c.block())] + [frame(CONTINUATION, 0, 1, b"\x40\x01x\x01y")] * 10000,
        Expect("ends"), limits=True)
    add("limits/settings-flood/1", "-", "6.5, 10.5", "Sends 10000 SETTINGS frames without reading the ACKs.",
        "The server survives (answers a PING) or defends itself with GOAWAY/close.",
        lambda c: [frame(SETTINGS, 0, 0, b"")] * 10000, Expect("survives"), limits=True)
    add("limits/ping-flood/1", "-", "6.7, 10.5", "Sends 10000 PINGs without reading the ACKs.",
        "The server survives (answers a PING) or defends itself with GOAWAY/close.",
        lambda c: [frame(PING, 0, 0, b"floodxxx")] * 10000, Expect("survives"), limits=True)
    # -- hpack ----------------------------------------------------------------------------------------
    add("hpack/2.3.3/1", "RFC 7541 2.3.3", "RFC 7541 2.3.3", "Sends an indexed field beyond the dynamic table.",
        "A connection error (COMPRESSION_ERROR).",
        lambda c: [frame(HEADERS, END_STREAM | END_HEADERS, 1, c.block() + b"\xff\x80\x01")], conn(C))
    add("hpack/4.2/1", "RFC 7541 4.2", "RFC 7541 4.2", "Sends a dynamic table size update larger than "
        "SETTINGS_HEADER_TABLE_SIZE.", "A connection error (COMPRESSION_ERROR).",
        lambda c: [frame(HEADERS, END_STREAM | END_HEADERS, 1, b"\x3f\xe1\xff\x03" + c.block())], conn(C))
    add("hpack/5.2/1", "RFC 7541 5.2", "RFC 7541 5.2", "Sends a Huffman-encoded name whose EOS padding is longer "
        "than 7 bits.", "A connection error (COMPRESSION_ERROR).",
        lambda c: [frame(HEADERS, END_STREAM | END_HEADERS, 1,
                         c.block() + bytes.fromhex("0086f2b24a84ffff") + b"\x04test")], conn(C))
    add("hpack/5.2/2", "RFC 7541 5.2", "RFC 7541 5.2", "Sends a Huffman-encoded value whose padding is not the "
        "most significant bits of EOS.", "A connection error (COMPRESSION_ERROR).",
        lambda c: [frame(HEADERS, END_STREAM | END_HEADERS, 1,
                         c.block() + b"\x00\x06x-test" + bytes.fromhex("83495090"))], conn(C))
    add("hpack/6.1/1", "RFC 7541 6.1", "RFC 7541 6.1", "Sends an indexed header field with index 0.",
        "A connection error (COMPRESSION_ERROR).",
        lambda c: [frame(HEADERS, END_STREAM | END_HEADERS, 1, c.block() + b"\x80")], conn(C))
    add("hpack/6.3/1", "RFC 7541 6.3", "RFC 7541 6.3", "Sends a dynamic table size update after a field.",
        "A connection error (COMPRESSION_ERROR).",
        lambda c: [frame(HEADERS, END_STREAM | END_HEADERS, 1, c.block() + b"\x20")], conn(C))
    return out


def all_cases() -> list[H2Case]:
    """Every ``probe h2`` case, in the order h2spec runs them."""
    return _cases()


FAMILIES = {"generic": "Generic tests for HTTP/2 servers", "http2": "RFC 7540 / RFC 9113", "hpack": "RFC 7541 HPACK",
            "limits": "Resource exhaustion (--include-limits)"}
