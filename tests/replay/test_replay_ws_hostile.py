"""``replay`` of a ws capture against hostile servers and with careless input: one line, the right code, bounded."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import hostile_ws_server

from wiretool.capture.file import CaptureWriter
from wiretool.codec.wsbuild import build_frame

REQUEST = (b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")


@pytest.fixture
def capture(tmp_path: Path) -> str:
    path = tmp_path / "s.wtcap"
    with CaptureWriter(path, proto="ws", url="ws://127.0.0.1:9/") as w:
        w.chunk("send", 0.0, REQUEST)
        w.chunk("send", 0.01, build_frame(1, b"hi", mask=True))
    return str(path)


def hostile(script: Callable[[socket.socket], None]) -> str:
    """A one-connection server on 127.0.0.1 that reads the request head, then runs ``script``."""
    url, _thread = hostile_ws_server(lambda conn, _request: script(conn))
    return url


@pytest.mark.parametrize("url", ["ws://127.0.0.1:99999/", "ws://127.0.0.1:abc/"])
def test_bad_port_is_a_usage_error(wiretool, capture: str, url: str) -> None:
    r = wiretool(["replay", capture, url])
    assert r.exit_code == 2, r.stderr
    assert "invalid port" in r.stderr and "internal error" not in r.stderr


def test_capture_line_with_bad_fields_is_skipped_with_a_warning(wiretool, tmp_path: Path) -> None:
    bad = tmp_path / "bad.wtcap"
    bad.write_text('{"capture":"wiretool","format":1,"proto":"ws"}\n'
                   '{"kind":"bytes","dir":"send","t":"abc","conn":"x","b64":"AA=="}\n')
    for args in (["replay", str(bad)], ["frame", "decode", "--capture", str(bad)]):
        r = wiretool(args)
        assert r.exit_code != 1 and "internal error" not in r.stderr, r.stderr
        assert "invalid t or conn" in r.stdout + r.stderr


def test_non_http_banner_is_refused_at_once(wiretool, capture: str) -> None:
    def script(conn: socket.socket) -> None:
        conn.sendall(b"SSH-2.0-OpenSSH_9.0\r\n")
        conn.recv(10)  # hold the connection open: the client must not wait for a head that never ends

    r = wiretool(["replay", capture, hostile(script), "--timeout", "20"], timeout=30)
    assert r.exit_code == 4, r.stderr
    assert "not an HTTP response: 'SSH-2.0-OpenSSH_9.0'" in r.stderr


def test_endless_header_line_is_refused_bounded(wiretool, capture: str) -> None:
    def script(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 101 Switching Protocols\r\nX-Long: ")
        for _ in range(2048):  # 128 MiB at most
            conn.sendall(b"a" * 65536)

    r = wiretool(["replay", capture, hostile(script), "--timeout", "20"], timeout=30)
    assert r.exit_code == 4, r.stderr
    assert "response head longer than" in r.stderr


def test_frame_that_never_ends_stops_the_replay(wiretool, capture: str) -> None:
    def script(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
                     + b"\x82\x7f" + (2**62).to_bytes(8, "big"))
        for _ in range(2048):
            conn.sendall(b"\0" * 65536)

    r = wiretool(["replay", capture, hostile(script), "--timeout", "20", "--json"], timeout=30)
    assert r.exit_code == 5, r.stderr
    assert "without finishing a message" in r.stderr
    assert [rec["type"] for rec in r.json_lines()[-2:]] == ["error", "summary"]


def test_ctrl_c_ends_the_ndjson_with_error_and_summary(tmp_path: Path) -> None:
    """SIGINT while the replay waits for the server: exit 130, and the NDJSON still ends error, summary."""
    import json
    import signal
    import subprocess

    from conftest import WIRETOOL

    path = tmp_path / "wait.wtcap"
    with CaptureWriter(path, proto="ws", url="ws://127.0.0.1:9/") as w:
        w.chunk("send", 0.0, REQUEST)
        w.chunk("recv", 0.01, b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
                + build_frame(1, b"hello"))
        w.chunk("send", 0.02, build_frame(1, b"hi", mask=True))  # sent after that frame: the replay waits for it
    asked = threading.Event()

    def script(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
        asked.set()
        conn.recv(10)  # never sends the frame the replay waits for

    url = hostile(script)
    proc = subprocess.Popen([WIRETOOL, "replay", str(path), url, "--json", "--idle-timeout", "60", "--timeout", "60"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert asked.wait(20)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    records = [json.loads(line) for line in out.decode().splitlines()]
    assert [r["type"] for r in records[-2:]] == ["error", "summary"]
    assert records[-1]["exit_code"] == 130


@pytest.mark.parametrize("userinfo", ["alice:pa55word@", "alice:<redacted>@"])
def test_the_urls_userinfo_never_reaches_the_host_header(wiretool, capture: str, userinfo: str) -> None:
    """``Host`` is the URL's host and port only: a password given in the URL (or one the capture redacted)
    is no part of it (RFC 9110 §7.2)."""
    got: list[bytes] = []
    url, thread = hostile_ws_server(lambda conn, request: got.append(request))
    r = wiretool(["replay", capture, url.replace("ws://", "ws://" + userinfo), "--timeout", "5"], timeout=30)
    thread.join(10)
    assert got, r.stderr
    host = [line for line in got[0].split(b"\r\n") if line.lower().startswith(b"host:")]
    assert host == [b"Host: " + url.removeprefix("ws://").rstrip("/").encode()]
    assert b"pa55word" not in got[0] and b"redacted" not in got[0]
