"""Secrets stay out of a capture's bytes in every head: kept-alive connections and heads of any length.

Issue 12 items 3 and 4: the redactor used to touch only the first head of each direction, and gave up on a
head longer than 64 KiB, so a second SSE response's Set-Cookie or a Set-Cookie after 72 KB of headers in a 101
reached the capture in clear. Both are run here against real loopback servers through the installed entry point.
"""

from __future__ import annotations

import base64
import json
import random
import socket
import threading
import time
from pathlib import Path

import pytest
from capture_lines import lines
from conftest import hostile_ws_server, run_wiretool, ws_switching

from wiretool.capture.redact import MAX_LINE, Http1Redactor


def capture_bytes(path: Path) -> bytes:
    """Every byte a capture holds, both directions, plus its header and kept records as text."""
    from wiretool.capture.file import read_capture

    cap = read_capture(path)
    return b"".join(c.data for c in cap.chunks) + json.dumps([cap.header, cap.records]).encode()


def keepalive_sse_server(responses: int) -> tuple[str, threading.Thread]:
    """One kept-alive HTTP/1.1 connection answering ``responses`` requests with a chunked event stream each."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    srv.settimeout(20)

    def serve() -> None:
        with srv:
            conn, _ = srv.accept()
            with conn:
                conn.settimeout(20)
                buf = b""
                for n in range(1, responses + 1):
                    while b"\r\n\r\n" not in buf:
                        data = conn.recv(4096)
                        if not data:
                            return
                        buf += data
                    buf = buf.split(b"\r\n\r\n", 1)[1]
                    event = f"id: {n}\ndata: tick {n}\n\n".encode()
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                                 b"Set-Cookie: sid=COOKIE-" + str(n).encode() + b"\r\nTransfer-Encoding: chunked\r\n\r\n"
                                 + f"{len(event):x}\r\n".encode() + event + b"\r\n0\r\n\r\n")
                conn.recv(4096)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return f"http://127.0.0.1:{srv.getsockname()[1]}/events", thread


def test_sse_reconnect_on_a_kept_alive_connection_redacts_every_head(tmp_path: Path) -> None:
    url, thread = keepalive_sse_server(2)
    cap = tmp_path / "sse.wtcap"
    result = run_wiretool(["sse", "tail", url, "--max-events", "2", "--reconnect-delay", "0", "--timeout", "20",
                           "-H", "Authorization: Bearer sse-s3cret", "-H", "Cookie: c=jar-s3cret", "--record", str(cap)])
    assert result.exit_code == 0, result
    thread.join(5)
    held = capture_bytes(cap)
    sends = [line for line in lines(cap) if line.get("dir") == "send" and "b64" in line]
    assert b"".join(base64.b64decode(s["b64"]) for s in sends).count(b"GET /events") == 2  # both on one connection
    assert {s.get("conn", 0) for s in sends} == {0}
    for secret in (b"sse-s3cret", b"jar-s3cret", b"COOKIE-1", b"COOKIE-2"):
        assert secret not in held
    assert held.count(b"Set-Cookie: <redacted>") == 2 and held.count(b"Authorization: <redacted>") == 2


def test_ws_101_head_longer_than_64k_keeps_its_set_cookie_out_of_the_capture(tmp_path: Path) -> None:
    def script(conn: socket.socket, request: bytes) -> None:
        head = ws_switching(request)[:-2]  # without the blank line: more headers follow
        pad = b"".join(b"X-Pad-%d: %s\r\n" % (i, b"p" * 1000) for i in range(72))
        conn.sendall(head + pad)  # 72 KB of head, then a pause: the client's read ends with no blank line yet
        time.sleep(0.3)
        conn.sendall(b"Set-Cookie: leak=WS-SECRET\r\n\r\n" + b"\x81\x02hi" + b"\x88\x02\x03\xe8")
        conn.recv(4096)

    url, thread = hostile_ws_server(script)
    cap = tmp_path / "ws.wtcap"
    result = run_wiretool(["ws", "connect", url, "--count", "1", "--timeout", "20", "--record", str(cap)])
    assert result.exit_code == 0, result
    thread.join(5)
    held = capture_bytes(cap)
    assert b"WS-SECRET" not in held and b"Set-Cookie: <redacted>" in held
    decoded = run_wiretool(["frame", "decode", "--capture", str(cap), "--json"])
    assert any(r.get("payload_text") == "hi" for r in decoded.json_lines())  # the frames after the head still decode


@pytest.mark.parametrize("chunk", [1, 7, 4096, None])
def test_redactor_is_bounded_and_exact_however_the_bytes_are_split(chunk: int | None) -> None:
    secret_line = b"Cookie: " + b"s" * (4 * MAX_LINE) + b"\r\n"
    data = (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n" + secret_line + b"\r\nhello"
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nSet-Cookie: a=b\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x85Cookie: x\r\n")
    red = Http1Redactor()
    out = b""
    rng = random.Random(chunk)
    i = 0
    while i < len(data):
        n = len(data) if chunk is None else rng.randint(1, chunk)
        out += red.feed(data[i:i + n])
        assert len(red._line) <= MAX_LINE + (chunk or len(data))  # never the whole head held
        i += n
    out += red.flush()
    assert out == (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nCookie: <redacted>\r\n\r\nhello"
                   b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nSet-Cookie: <redacted>\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
                   b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x85Cookie: x\r\n")
