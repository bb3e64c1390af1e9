"""Issue 12 #10, #11: reading a WebSocket capture back costs linear work in its size.

``replay`` splits a recording into steps before it connects (:func:`read_recording`); ``frame decode
--capture`` looks for the end of each handshake head. The work is counted (lines executed in
read_recording, under sys.settrace), never timed: 4x the messages must cost about 4x the lines.
benchmarks/bench_replay_scale.py times the whole replay of 8,000 and 32,000 messages.
"""

from __future__ import annotations

import sys
from pathlib import Path

from wiretool.capture.decode_ws import decode_ws
from wiretool.capture.file import Capture
from wiretool.codec.wsbuild import build_frame
from wiretool.records.ws_session import WsHandshake
from wiretool.replay.ws_session import read_recording
from wiretool.session import Chunk

REQUEST = (b"GET / HTTP/1.1\r\nHost: 127.0.0.1:9\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
RESPONSE = (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n")


def recording(messages: int) -> list[Chunk]:
    """A capture of ``messages`` request/answer pairs, one chunk each, as ``ws connect --record`` writes them."""
    chunks = [Chunk("send", 0.0, REQUEST), Chunk("recv", 0.001, RESPONSE)]
    for i in range(messages):
        t = 0.01 + i * 0.001
        chunks.append(Chunk("send", t, build_frame(1, b"ask %d" % i, mask=True)))
        chunks.append(Chunk("recv", t + 0.0005, build_frame(1, b"answer %d" % i)))
    chunks.append(Chunk("send", 99.0, build_frame(8, b"\x03\xe8", mask=True)))
    chunks.append(Chunk("recv", 99.001, build_frame(8, b"\x03\xe8")))
    return chunks


def lines_run(chunks: list[Chunk]) -> int:
    """Lines executed in replay/ws_session.py while read_recording reads ``chunks``."""
    count = 0

    def tracer(frame, event, arg):  # type: ignore[no-untyped-def]
        nonlocal count
        if frame.f_code.co_filename.endswith("ws_session.py"):
            if event == "line":
                count += 1
            return tracer
        return None

    sys.settrace(tracer)
    try:
        rec = read_recording(chunks)
    finally:
        sys.settrace(None)
    assert len(rec.messages) == len(chunks) // 2 - 1  # every message and the close
    return count


def test_read_recording_is_linear() -> None:
    small = lines_run(recording(500))
    big = lines_run(recording(2000))
    assert big < 5 * small, f"{small} lines for 500 messages, {big} for 2000: not linear"


def test_read_recording_keeps_the_steps_in_step() -> None:
    """The binary searches give what the scans gave: each step waits for the answers recorded before it."""
    rec = read_recording(recording(50))
    assert [s.after_recv for s in rec.messages[:4]] == [0, 1, 2, 3]
    assert rec.messages[0].payload == b"ask 0" and rec.messages[-1].kind == "close"
    assert rec.messages[-1].after_recv == 50


def test_head_split_into_single_bytes_is_found(tmp_path: Path) -> None:
    """frame decode --capture searches only each chunk's new bytes (and the 3 before) for the end of a head:
    a head cut into 1-byte chunks, the blank line across four of them, is still found."""
    cap = Capture(header={"capture": "wiretool", "proto": "ws"})
    cap.chunks = [Chunk("send", 0.0, REQUEST)]
    cap.chunks += [Chunk("recv", 0.01, RESPONSE[i:i + 1]) for i in range(len(RESPONSE))]
    cap.chunks.append(Chunk("recv", 0.02, build_frame(1, b"hello")))
    records = list(decode_ws(cap))
    shakes = [r for r in records if isinstance(r, WsHandshake)]
    assert [s.dir for s in shakes] == ["send", "recv"] and shakes[1].status == 101
    assert any(getattr(r, "payload", None) == b"hello" for r in records)


def test_head_that_never_ends_yields_no_handshake() -> None:
    cap = Capture(header={"capture": "wiretool", "proto": "ws"})
    cap.chunks = [Chunk("send", 0.0, REQUEST), Chunk("recv", 0.01, b"HTTP/1.1 101 Switching Protocols\r\n")]
    cap.chunks += [Chunk("recv", 0.02, b"X-Long: " + b"a" * 1000 + b"\r\n") for _ in range(2000)]
    shakes = [r for r in decode_ws(cap) if isinstance(r, WsHandshake)]
    assert [s.dir for s in shakes] == ["send"]
