"""Round 2 hardening of ``ws connect`` (issues 11 and 12): each test runs the installed entry point against a
hostile server on 127.0.0.1 that does one thing wrong."""

from __future__ import annotations

import socket
import time

import pytest
from conftest import hostile_ws_server, run_wiretool, ws_switching


@pytest.mark.parametrize("show", ["frames", "messages"])
@pytest.mark.parametrize("goal", [["--count", "1"], ["--expect", "."]])
def test_invalid_utf8_text_never_counts(show: str, goal: list[str]) -> None:
    """Issue 11 #6: a TEXT message that is not UTF-8 is a violation (1007, exit 5): it satisfies no --count or
    --expect, and the summary does not count it as a message received."""
    def script(conn: socket.socket, request: bytes) -> None:
        conn.sendall(ws_switching(request) + b"\x81\x02\xff\xfe")
        time.sleep(0.5)

    url, thread = hostile_ws_server(script)
    r = run_wiretool(["--json", "ws", "connect", url, "--show", show, "--no-stdin", *goal])
    thread.join(20)
    assert r.exit_code == 5, (r.stdout, r.stderr)
    records = r.json_lines()
    assert records[-1]["type"] == "summary" and records[-1]["exit_code"] == 5
    assert records[-1]["messages_in"] == 0, records[-1]
    assert not [rec for rec in records if rec["type"] == "message" and rec.get("dir") == "recv"]
    assert next(rec for rec in records if rec["type"] == "close")["sent_code"] == 1007


def test_accept_header_twice_is_named_exit_4() -> None:
    """Issue 12 #18: a 101 with ``Sec-WebSocket-Accept`` twice (both right) is a named handshake failure (exit 4),
    not an internal error from a multi-valued header."""
    def script(conn: socket.socket, request: bytes) -> None:
        head = ws_switching(request)
        accept = next(line for line in head.split(b"\r\n") if line.startswith(b"Sec-WebSocket-Accept"))
        conn.sendall(head.replace(b"\r\n\r\n", b"\r\n" + accept + b"\r\n\r\n"))
        time.sleep(0.5)

    url, thread = hostile_ws_server(script)
    r = run_wiretool(["--json", "ws", "connect", url, "--no-stdin"])
    thread.join(20)
    assert r.exit_code == 4, (r.stdout, r.stderr)
    assert "internal error" not in r.stderr
    assert "Sec-WebSocket-Accept sent 2 times" in r.stderr
    shake = [rec for rec in r.json_lines() if rec["type"] == "handshake" and rec["dir"] == "recv"]
    assert shake and shake[0]["accept_ok"] is False
