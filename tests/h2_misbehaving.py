"""A crafted misbehaving HTTP/2 server for the tests: a script of tests/h2_scripted.py's server.

It answers the client preface with SETTINGS (and ACKs the client's), then answers the first request on
stream 1 with exactly the frames of one *case*: each case breaks one RFC 9113 rule (``CASES``, with the
violation code wiretool must name) or does something legal but odd that must stay quiet (``QUIET``).
Every byte both ways is kept in wire order as the server saw it, so a test can decode the exchange with
``wiretool frame decode --capture`` whatever the client made of it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from h2_scripted import RESP, Conn, Wire, scripted_server
from hpack import Encoder
from hyperframe.frame import (
    ContinuationFrame,
    DataFrame,
    HeadersFrame,
    PriorityFrame,
    PushPromiseFrame,
    RstStreamFrame,
    WindowUpdateFrame,
)

MAX = 2**31 - 1
PUSHED = [(":method", "GET"), (":scheme", "http"), (":authority", "127.0.0.1"), (":path", "/pushed")]


def raw(typ: int, flags: int, sid: int, body: bytes = b"") -> bytes:
    """A frame by hand, for what hyperframe will not build (unknown types, undefined flags, reserved bit)."""
    return len(body).to_bytes(3, "big") + bytes([typ, flags]) + sid.to_bytes(4, "big") + body


def _h(enc: Encoder, sid: int, headers=RESP, end: bool = False) -> bytes:
    flags = ["END_HEADERS", "END_STREAM"] if end else ["END_HEADERS"]
    return HeadersFrame(sid, data=enc.encode(headers), flags=flags).serialize()


def _d(sid: int, data: bytes = b"ok", end: bool = False) -> bytes:
    return DataFrame(sid, data=data, flags=["END_STREAM"] if end else []).serialize()


def _pp(enc: Encoder, sid: int, promised: int) -> bytes:
    return PushPromiseFrame(sid, promised_stream_id=promised, data=enc.encode(PUSHED),
                            flags=["END_HEADERS"]).serialize()


def _many_continuations(enc: Encoder) -> bytes:
    block = enc.encode([*RESP, ("x-long", "v" * 600)])
    parts = [block[i:i + 10] for i in range(0, len(block), 10)]
    out = HeadersFrame(1, data=parts[0]).serialize()
    out += b"".join(ContinuationFrame(1, data=p).serialize() for p in parts[1:-1])
    return out + ContinuationFrame(1, data=parts[-1], flags=["END_HEADERS"]).serialize()


Answer = Callable[[Encoder], bytes]

#: case → (client options, the answer to stream 1, the violation code to name, its RFC 9113 section)
CASES: dict[str, tuple[list[str], Answer, str, str]] = {
    "data_on_idle_stream": ([], lambda e: _h(e, 1) + _d(3) + _d(1, end=True), "frame_on_idle_stream", "5.1"),
    "window_update_on_idle_stream": ([], lambda e: _h(e, 1) + WindowUpdateFrame(5, window_increment=1).serialize()
                                     + _d(1, end=True), "frame_on_idle_stream", "5.1"),
    "rst_stream_on_idle_stream": ([], lambda e: _h(e, 1) + RstStreamFrame(7, error_code=1).serialize()
                                  + _d(1, end=True), "frame_on_idle_stream", "5.1"),
    "continuation_on_idle_stream": ([], lambda e: _h(e, 1) + ContinuationFrame(3, flags=["END_HEADERS"]).serialize()
                                    + _d(1, end=True), "continuation_unexpected", "6.10"),
    "headers_on_odd_stream": ([], lambda e: _h(e, 1) + _h(e, 3) + _d(1, end=True), "stream_id_wrong_parity", "5.1.1"),
    "data_after_end_stream": ([], lambda e: _h(e, 1) + _d(1, end=True) + _d(1, b"late"),
                              "frame_after_end_stream", "5.1"),
    "headers_after_end_stream": ([], lambda e: _h(e, 1) + _d(1, end=True) + _h(e, 1, [("x-late", "1")], end=True),
                                 "frame_after_end_stream", "5.1"),
    "data_after_reset": ([], lambda e: _h(e, 1) + RstStreamFrame(1, error_code=2).serialize() + _d(1, end=True),
                         "frame_after_reset", "5.1"),
    "push_on_idle_stream": ([], lambda e: _h(e, 1) + _pp(e, 3, 2) + _d(1, end=True), "push_on_bad_stream", "6.6"),
    "push_when_disabled": (["--no-push"], lambda e: _h(e, 1) + _pp(e, 1, 2) + _d(1, end=True)
                           + _h(e, 2, end=True), "push_disabled", "6.6"),
    "promised_id_not_increasing": ([], lambda e: _h(e, 1) + _pp(e, 1, 4) + _pp(e, 1, 2) + _d(1, end=True)
                                   + _h(e, 4, end=True), "stream_id_not_increasing", "5.1.1"),
    "data_on_reserved_stream": ([], lambda e: _h(e, 1) + _pp(e, 1, 2) + _d(2) + _d(1, end=True),
                                "frame_on_reserved_stream", "5.1"),
    "connection_window_overflow": ([], lambda e: _h(e, 1) + WindowUpdateFrame(0, window_increment=MAX).serialize()
                                   + _d(1, end=True), "window_overflow", "6.9.1"),
    "stream_window_overflow": ([], lambda e: _h(e, 1) + WindowUpdateFrame(1, window_increment=MAX).serialize()
                               + _d(1, end=True), "window_overflow", "6.9.1"),
    "data_beyond_the_window": (["--window-bits", "4"], lambda e: _h(e, 1) + _d(1, b"x" * 16, end=True),
                               "flow_control_exceeded", "6.9.1"),
}

#: legal but odd: wiretool must stay quiet (case → client options, answer)
QUIET: dict[str, tuple[list[str], Answer]] = {
    "unknown_types_flags_and_reserved_bit": ([], lambda e: raw(0x42, 0xFF, 1, b"ext") + raw(0x42, 0, 9, b"")
                                             + _h(e, 1) + raw(0x0, 0x40, 0x80000001, b"hi") + _d(1, end=True)),
    "full_size_data_frame": ([], lambda e: _h(e, 1) + _d(1, b"x" * 2**14, end=True)),
    "many_continuations": ([], lambda e: _many_continuations(e) + _d(1, end=True)),
    "priority_anywhere": ([], lambda e: PriorityFrame(11, depends_on=0).serialize() + _h(e, 1)
                          + PriorityFrame(1, depends_on=0, stream_weight=200).serialize() + _d(1, end=True)
                          + PriorityFrame(1, depends_on=0).serialize()),
    "push_in_order": ([], lambda e: _h(e, 1) + _pp(e, 1, 2) + _h(e, 2) + _d(2, b"pushed", end=True)
                      + _d(1, end=True)),
}
SERVER_SETTINGS = {0x3: 100, 0x99: 1}  # an unknown setting, legal (RFC 9113 §6.5.2)


@contextmanager
def misbehaving_server(answer: Answer) -> Iterator[tuple[int, Wire]]:
    """Serve ``answer`` to the first request (stream 1) of one h2c (prior knowledge) connection on 127.0.0.1;
    yield the port and the wire."""
    answered: list[bool] = []

    def script(conn: Conn, typ: int, flags: int, sid: int, body: bytes) -> bytes:
        if typ == 0x1 and sid == 1 and not answered:
            answered.append(True)
            return answer(conn.enc)
        return b""

    with scripted_server(script, settings=SERVER_SETTINGS) as (url, wire):
        yield int(url.rsplit(":", 1)[1]), wire
