"""What replay reads from a capture's bytes: HTTP/1.1 messages on a keep-alive connection, ws client steps."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from wiretool.capture.file import Chunk
from wiretool.codec.http1 import MessageStream
from wiretool.codec.wsbuild import build_frame
from wiretool.replay.ws_session import answers, read_recording

RESPONSES = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n3;x=1\r\nabc\r\n0\r\nT: 1\r\n\r\n"
             b"HTTP/1.1 204 No Content\r\n\r\n"
             b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"
             b"HTTP/1.1 200 OK\r\n\r\nto the end")


@settings(deadline=None, max_examples=80)
@given(st.lists(st.integers(min_value=1, max_value=9), min_size=1, max_size=40))
def test_keep_alive_responses_parse_the_same_whatever_the_chunking(sizes: list[int]) -> None:
    stream = MessageStream()
    events = []
    pos, i = 0, 0
    while pos < len(RESPONSES):
        events += stream.feed(RESPONSES[pos:pos + sizes[i % len(sizes)]])
        pos += sizes[i % len(sizes)]
        i += 1
    events += stream.close()
    heads = [v.status for k, v in events if k == "head"]  # type: ignore[attr-defined]
    assert heads == [200, 204, 200, 200]
    assert b"".join(v for k, v in events if k == "body") == b"helloabchito the end"  # type: ignore[misc]
    assert [k for k, _ in events].count("end") == 4


def _capture() -> list[Chunk]:
    req = (b"GET /x HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
    resp = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nDate: x\r\n\r\n"
    key = b"\x00\x00\x00\x00"
    return [
        Chunk("send", 0.0, req),
        Chunk("recv", 0.1, resp + build_frame(1, b"welcome")),
        Chunk("send", 0.5, build_frame(1, b"he", fin=False, mask_key=key) + build_frame(0, b"llo", mask_key=key)),
        Chunk("recv", 0.6, build_frame(1, b"he", fin=False) + build_frame(0, b"llo")),
        Chunk("recv", 0.7, build_frame(9, b"p")),
        Chunk("send", 0.8, build_frame(10, b"p", mask_key=key)),
        Chunk("send", 1.0, build_frame(8, b"\x03\xe8bye", mask_key=key)),
        Chunk("recv", 1.1, build_frame(8, b"\x03\xe8bye")),
    ]


def test_recording_gives_exact_frames_and_messages_with_times_and_causes() -> None:
    rec = read_recording(_capture())
    assert rec.request is not None and rec.request.target == "/x"
    assert [(s.opcode, s.raw[:1]) for s in rec.frames] == [(1, b"\x01"), (0, b"\x80"), (10, b"\x8a"), (8, b"\x88")]
    assert [round(s.t, 3) for s in rec.frames] == [0.4, 0.4, 0.7, 0.9]  # since the 101 arrived
    assert [s.after_recv for s in rec.frames] == [1, 1, 3, 3]  # welcome; then the echo and the ping
    assert [(s.kind, s.payload) for s in rec.messages] == [("message", b"hello"), ("close", b"\x03\xe8bye")]
    assert rec.skipped == 1  # the pong answers a ping: the replaying client answers by itself
    assert rec.recv_frames == 4


def test_answers_are_status_headers_messages_and_close() -> None:
    got = answers(_capture())
    assert [(a.what, a.value) for a in got] == [
        ("handshake status", 101),
        ("handshake headers", {"upgrade": "websocket", "connection": "Upgrade"}),
        ("message 1 (TEXT)", "welcome"), ("message 2 (TEXT)", "hello"),
        ("close", {"code": 1000, "reason": "bye"})]
