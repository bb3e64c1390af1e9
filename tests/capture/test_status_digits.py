"""A status line whose code is not three ASCII digits (``HTTP/1.1 ²01``: byte 0xB2, '²' in latin-1, for which
``str.isdigit()`` is true) is named as a bad answer, never an internal error (issue 12 item 19)."""

from __future__ import annotations

import base64
import json
import socket
from pathlib import Path

from capture_lines import to_format1
from conftest import ServeProcess, hostile_ws_server, run_wiretool

from wiretool.codec.http1 import parse_head

BAD = b"HTTP/1.1 \xb201 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"


def test_head_status_takes_ascii_digits_only() -> None:
    assert parse_head(BAD[:-4]).status is None
    assert parse_head(b"HTTP/1.1 101 OK").status == 101
    assert parse_head(b"HTTP/1.1 1011 OK").status is None


def test_ws_replay_and_capture_decode_name_a_superscript_status(tmp_path: Path) -> None:
    server = ServeProcess("ws")
    try:
        cap = tmp_path / "s.wtcap"
        assert run_wiretool(["ws", "connect", server.url, "--send", "x", "--count", "1", "--record",
                             str(cap)]).exit_code == 0
    finally:
        server.stop()

    def script(conn: socket.socket, request: bytes) -> None:
        conn.sendall(BAD)
        conn.recv(100)

    url, thread = hostile_ws_server(script)
    result = run_wiretool(["replay", str(cap), url, "--timeout", "20"])
    thread.join(5)
    assert result.exit_code == 4, result
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr

    to_format1(cap)  # tampered as a format-1 capture (an older wiretool's)
    lines = cap.read_text().splitlines()
    for i, line in enumerate(lines):  # the capture now holds the bad answer as what was received first
        if '"kind":"bytes"' in line and '"dir":"recv"' in line:
            obj = json.loads(line)
            obj["b64"] = base64.b64encode(BAD).decode()
            lines[i] = json.dumps(obj)
            break
    cap.write_text("\n".join(lines) + "\n")
    decoded = run_wiretool(["frame", "decode", "--capture", str(cap)])
    assert decoded.exit_code in (0, 4, 5), decoded
    assert "internal error" not in decoded.stderr and "Traceback" not in decoded.stderr
