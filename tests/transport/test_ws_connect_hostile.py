"""Hostile servers against ``ws connect`` (issues 11 and 12): each test runs the installed entry point against a
hostile server on 127.0.0.1 that does one thing wrong."""

from __future__ import annotations

import json
import socket
import time

import pytest
from conftest import hostile_ws_server, run_measured, run_wiretool, ws_switching


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


def _switch_then_close(conn: socket.socket, request: bytes) -> None:
    conn.sendall(ws_switching(request) + b"\x88\x02\x03\xe8")
    conn.recv(1024)


@pytest.mark.parametrize("json_out", [True, False])
def test_url_password_never_shown(tmp_path, json_out: bool) -> None:  # type: ignore[no-untyped-def]
    """Issue 12 #1: the password of ``ws://alice:PASSWORD@host`` is sent as (redacted) Basic auth; it never
    appears in clear in the ``connect`` record, the pretty view, the capture, or with --show-secrets hidden."""
    url, thread = hostile_ws_server(_switch_then_close)
    url = url.replace("ws://", "ws://alice:S3CRETPW@")
    capture = tmp_path / "c.wtcap"
    r = run_wiretool([*(["--json"] if json_out else []), "ws", "connect", url, "--no-stdin", "--record",
                      str(capture)])
    thread.join(20)
    assert r.exit_code == 0, (r.stdout, r.stderr)
    assert "S3CRETPW" not in r.stdout + r.stderr
    assert b"S3CRETPW" not in capture.read_bytes()
    if json_out:
        connect = next(rec for rec in r.json_lines() if rec["type"] == "connect")
        assert connect["url"].startswith("ws://alice:<redacted>@127.0.0.1:")


def test_url_password_shown_with_show_secrets() -> None:
    url, thread = hostile_ws_server(_switch_then_close)
    url = url.replace("ws://", "ws://alice:S3CRETPW@")
    r = run_wiretool(["--json", "ws", "connect", url, "--no-stdin", "--show-secrets"])
    thread.join(20)
    assert next(rec for rec in r.json_lines() if rec["type"] == "connect")["url"] == url


def test_proxy_password_never_shown() -> None:
    """Issue 12 #1: ``--proxy http://bob:PASSWORD@proxy``: the ``connect`` record's proxy and every error line
    name the proxy with its password redacted."""
    def proxy(conn: socket.socket, request: bytes) -> None:
        assert request.startswith(b"CONNECT ")
        conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        upgrade = b""
        while b"\r\n\r\n" not in upgrade:
            upgrade += conn.recv(4096)
        _switch_then_close(conn, upgrade)

    url, thread = hostile_ws_server(proxy)
    proxy_url = url.replace("ws://", "http://bob:PR0XYPW@").rstrip("/")
    r = run_wiretool(["--json", "ws", "connect", "ws://127.0.0.1:9/", "--proxy", proxy_url, "--no-stdin"])
    thread.join(20)
    assert r.exit_code == 0, (r.stdout, r.stderr)
    assert "PR0XYPW" not in r.stdout + r.stderr
    connect = next(rec for rec in r.json_lines() if rec["type"] == "connect")
    assert connect["proxy"].startswith("http://bob:<redacted>@127.0.0.1:")
    bad = run_wiretool(["--json", "ws", "connect", "ws://127.0.0.1:9/", "--proxy", "socks5://bob:PR0XYPW@127.0.0.1:9",
                        "--no-stdin"])
    assert bad.exit_code != 0 and "unsupported proxy" in bad.stderr
    assert "PR0XYPW" not in bad.stdout + bad.stderr


@pytest.mark.parametrize("url", ["http://alice:S3CRETPW@127.0.0.1:9/", "ws://alice:S3CRETPW@127.0.0.1:99999/"])
def test_url_password_not_in_usage_errors(url: str) -> None:
    r = run_wiretool(["--json", "ws", "connect", url, "--no-stdin"])
    assert r.exit_code == 2, (r.stdout, r.stderr)
    assert "S3CRETPW" not in r.stdout + r.stderr


@pytest.mark.parametrize("args", [["-H", "X-A: a\udcffb"], ["-H", "X-\udcff: ab"], ["-H", "X-B: a\u20acb"],
                                  ["-H", "X Y: a"], ["--origin", "http://a\udcff"], ["--subprotocol", "a\udcff"],
                                  ["--subprotocol", "a b"]])
def test_header_that_cannot_go_on_the_wire_is_a_usage_error(args: list[str]) -> None:
    """Issue 12 #24: a 0xFF byte in argv (a lone surrogate in Python), a character past U+00FF or a name that is
    not a token in ``-H`` is exit 2 with one line naming the header, before connecting; never an internal error."""
    url, thread = hostile_ws_server(_switch_then_close)
    r = run_wiretool(["--json", "ws", "connect", url, *args, "--no-stdin"])
    assert r.exit_code == 2, (r.stdout, r.stderr)
    assert "internal error" not in r.stderr and f"{args[0]} " in r.stderr
    port = int(url.rstrip("/").rsplit(":", 1)[1])
    socket.create_connection(("127.0.0.1", port)).close()  # the server never saw wiretool: let it go
    thread.join(20)


def test_replay_header_that_cannot_go_on_the_wire_is_a_usage_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The same class in ``replay``: a ``-H`` value with a 0xFF byte from argv is exit 2 before connecting."""
    url, thread = hostile_ws_server(_switch_then_close)
    capture = tmp_path / "c.wtcap"
    assert run_wiretool(["ws", "connect", url, "--no-stdin", "--record", str(capture)]).exit_code == 0
    thread.join(20)
    r = run_wiretool(["replay", str(capture), "ws://127.0.0.1:9/", "--no-delay", "-H", "X-A: a\udcffb"])
    assert r.exit_code == 2, (r.stdout, r.stderr)
    assert "internal error" not in r.stderr and "X-A" in r.stderr


def test_endless_empty_continuations_bounded_and_named() -> None:
    """Issue 12 #5: a message of empty CONTINUATION frames (2 bytes each) never reaches --max-size. 250,000 of
    them and a FIN: one message, exit 0; 1,000,000 (4x): the per-message frame limit is named, close 1009, exit
    5, and peak RSS stays where the 250,000-frame run was (the fragments are one buffer, not a list)."""

    def run(frames: int, end: bytes) -> tuple[int, list[dict], str, int]:
        def script(conn: socket.socket, request: bytes) -> None:
            conn.sendall(ws_switching(request) + b"\x01\x00" + b"\x00\x00" * frames + end)
            conn.recv(1024)

        url, thread = hostile_ws_server(script)
        rc, out, err, rss_kb = run_measured(["--json", "ws", "connect", url, "--show", "messages", "--count", "1",
                                             "--no-stdin"], timeout=120)
        thread.join(20)
        return rc, [json.loads(line) for line in out.splitlines()], err, rss_kb

    rc, records, err, small = run(250_000, b"\x80\x00\x88\x02\x03\xe8")
    assert rc == 0, err
    assert records[-1]["messages_in"] == 1
    rc, records, err, big = run(1_000_000, b"")
    assert rc == 5, err
    assert "message still not complete after 1000000 frames" in err and "RFC 6455 §10.4" in err
    assert next(r for r in records if r["type"] == "close")["sent_code"] == 1009
    assert any(v["code"] == "message-too-many-frames" for r in records if r["type"] == "violation"
               for v in r["violations"])
    assert big < small + 10_000, f"peak RSS {small} kB at 250k frames, {big} kB at 1M frames"


def test_ping_flood_of_a_server_that_never_reads_keeps_memory_bounded() -> None:
    """Issue 12 #6: a server floods pings and never reads. Each is answered with a pong; once the write buffer
    is over its high-water mark the client stops reading, so the pongs do not pile up: peak RSS stays put while
    the flood grows 4x (16 MB, 64 MB of pings)."""

    def run(megabytes: int) -> tuple[int, str, int]:
        def script(conn: socket.socket, request: bytes) -> None:
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            conn.sendall(ws_switching(request))
            ping = b"\x89\x7d" + b"p" * 125
            chunk = ping * 512  # 64 KiB
            conn.settimeout(2)  # the client stopped reading: give up and hang up
            for _ in range(megabytes * 16):
                conn.sendall(chunk)

        url, thread = hostile_ws_server(script)
        rc, out, err, rss_kb = run_measured(["--json", "ws", "connect", url, "--show", "messages", "--no-stdin",
                                             "--timeout", "30"], timeout=60)
        thread.join(20)
        assert json.loads(out.splitlines()[-1])["type"] == "summary"
        return rc, err, rss_kb

    rc, err, small = run(16)
    assert rc == 8 and "internal error" not in err, err
    rc, err, big = run(64)
    assert rc == 8 and "internal error" not in err, err
    assert big < small + 16_000, f"peak RSS {small} kB for 16 MB of pings, {big} kB for 64 MB"


def _deflate_switching(request: bytes) -> bytes:
    return ws_switching(request).replace(b"\r\n\r\n", b"\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n")


@pytest.mark.parametrize("split", [False, True], ids=["one-read", "header-first"])
@pytest.mark.parametrize("show", ["frames", "messages"])
def test_deflate_past_max_size_is_the_local_limit(show: str, split: bool) -> None:
    """Issue 11 #7: a compressed message that inflates past --max-size is not "could not be inflated": the local
    limit is named with how far inflation got, close 1009, exit 5. The frame is 62 KB on the wire and 139 KB
    inflated, the limit between them, so the same limit is named however the reads fall (with a limit under
    the wire size, a header read alone was refused on its announced length instead: this test's old flake)."""
    import time
    import zlib

    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    data = (comp.compress("".join(str(i) for i in range(30000)).encode()) + comp.flush(zlib.Z_SYNC_FLUSH))[:-4]
    assert len(data) < 100000

    def script(conn: socket.socket, request: bytes) -> None:
        head = _deflate_switching(request) + b"\xc1\x7e" + len(data).to_bytes(2, "big")
        if split:
            conn.sendall(head)
            time.sleep(0.3)
            conn.sendall(data)
        else:
            conn.sendall(head + data)
        conn.recv(1024)

    url, thread = hostile_ws_server(script)
    r = run_wiretool(["--json", "ws", "connect", url, "--compression", "deflate", "--max-size", "100000", "--show", show,
                      "--no-stdin"])
    thread.join(20)
    assert r.exit_code == 5, (r.stdout, r.stderr)
    assert "could not be inflated" not in r.stdout + r.stderr
    assert "local limit (100000 bytes, --max-size in ws connect) once inflated: inflation stopped at 100001 bytes" in r.stderr, r.stderr
    assert next(rec for rec in r.json_lines() if rec["type"] == "close")["sent_code"] == 1009


def test_rest_of_a_big_frame_is_not_called_sending_after_close() -> None:
    """Issue 11 #7: with --max-size, the rest of a too-big frame that was on the wire when we closed is named as
    such; bytes that are new frames after our close still say the server kept sending."""
    def rest_of_frame(conn: socket.socket, request: bytes) -> None:
        conn.sendall(ws_switching(request) + b"\x82\x7f" + (4 * 2**20).to_bytes(8, "big") + b"\0" * (4 * 2**20))
        conn.recv(1024)

    url, thread = hostile_ws_server(rest_of_frame)
    r = run_wiretool(["ws", "connect", url, "--max-size", "64k", "--no-stdin", "--timeout", "20"])
    thread.join(20)
    assert r.exit_code == 5, (r.stdout, r.stderr)
    assert "the rest of a 4194314-byte frame the server had sent before our close frame" in r.stdout
    assert "kept sending after our close" not in r.stdout

    def new_frames(conn: socket.socket, request: bytes) -> None:
        conn.sendall(ws_switching(request) + b"\x83\x00")  # reserved opcode: we close 1002
        conn.recv(1024)
        conn.sendall(b"\x82\x7e\xff\xff" + b"\0" * 65535)
        conn.sendall(b"\x82\x7e\xff\xff" + b"\0" * 65535)
        time.sleep(0.5)

    url, thread = hostile_ws_server(new_frames)
    r = run_wiretool(["ws", "connect", url, "--max-size", "64k", "--no-stdin", "--timeout", "20"])
    thread.join(20)
    assert r.exit_code == 5, (r.stdout, r.stderr)
    assert "the server kept sending after our close frame" in r.stdout


def test_compressed_frame_payload_always_hex() -> None:
    """Issue 11 #8: a compressed frame whose DEFLATE bytes happen to be valid UTF-8 (a stored block) is shown as
    hex (``payload_text`` null, a hex dump in the view); the inflated message is shown as text."""
    text = b"a" * 0x4020
    payload = b"\x00\x20\x40\xdf\xbf" + text  # a stored DEFLATE block of 0x4020 bytes: LEN 20 40, NLEN df bf
    assert payload.decode("utf-8")

    def script(conn: socket.socket, request: bytes) -> None:
        conn.sendall(_deflate_switching(request) + b"\xc1\x7e" + len(payload).to_bytes(2, "big") + payload
                     + b"\x88\x02\x03\xe8")
        conn.recv(1024)

    for json_out in (True, False):
        url, thread = hostile_ws_server(script)
        r = run_wiretool([*(["--json"] if json_out else []), "ws", "connect", url, "--compression", "deflate",
                          "--no-stdin"])
        thread.join(20)
        assert r.exit_code == 0, (r.stdout, r.stderr)
        if json_out:
            records = r.json_lines()
            frame = next(rec for rec in records if rec["type"] == "frame" and rec["dir"] == "recv")
            assert frame["rsv1"] and frame["payload_text"] is None and frame["payload_hex"] == payload.hex()
            message = next(rec for rec in records if rec["type"] == "message")
            assert message["text"] == text.decode()
        else:
            assert "00 20 40 df bf" in r.stdout


@pytest.mark.parametrize("show", ["frames", "messages"])
def test_frame_after_the_peers_close_is_flagged(show: str) -> None:
    """Issue 11 #9: a frame the server sends after its own CLOSE breaks RFC 6455 §5.5.1: named
    (``frame-after-close``), exit 5, in both show modes (websockets itself discards it unseen)."""
    def script(conn: socket.socket, request: bytes) -> None:
        conn.sendall(ws_switching(request) + b"\x88\x02\x03\xe8" + b"\x81\x05after")
        conn.recv(1024)
        time.sleep(0.3)

    url, thread = hostile_ws_server(script)
    r = run_wiretool(["--json", "ws", "connect", url, "--show", show, "--no-stdin"])
    thread.join(20)
    assert r.exit_code == 5, (r.stdout, r.stderr)
    assert "data frame sent after the sender's own CLOSE frame" in r.stderr and "RFC 6455 §5.5.1" in r.stderr
    codes = [v["code"] for rec in r.json_lines() for v in rec.get("violations") or []]
    assert "frame-after-close" in codes


@pytest.mark.parametrize("show", ["frames", "messages"])
def test_peer_close_code_reported_after_we_failed(show: str) -> None:
    """Issue 11 #9: we fail the connection (invalid UTF-8, close 1007) and the server answers with its own close
    1007: the close record reports that code, not 1006, also with --show messages."""
    def script(conn: socket.socket, request: bytes) -> None:
        conn.sendall(ws_switching(request) + b"\x81\x02\xff\xfe")
        conn.recv(1024)  # our close
        conn.sendall(b"\x88\x06\x03\xefbad!")
        time.sleep(0.3)

    url, thread = hostile_ws_server(script)
    r = run_wiretool(["--json", "ws", "connect", url, "--show", show, "--no-stdin"])
    thread.join(20)
    assert r.exit_code == 5, (r.stdout, r.stderr)
    close = next(rec for rec in r.json_lines() if rec["type"] == "close")
    assert (close["code"], close["reason"], close["sent_code"]) == (1007, "bad!", 1007), close


@pytest.mark.parametrize("head", [b"HTTP/1.1 101 Switching Protocols\r\n\r\n",
                                  b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n\r\n"])
def test_replay_refuses_a_101_that_is_not_websocket(tmp_path, head: bytes) -> None:  # type: ignore[no-untyped-def]
    """Issue 11 #9: replay against a 101 without Upgrade (and Sec-WebSocket-Accept) ends at once with exit 4 (no
    --timeout needed), naming what is missing, instead of waiting for frames that never come. (A 101 with
    Upgrade but no accept key is still replayed: tests/replay/test_replay_ws_hostile.py relies on it.)"""
    def recorded(conn: socket.socket, request: bytes) -> None:
        conn.sendall(ws_switching(request) + b"\x81\x02hi")
        conn.recv(1024)
        conn.sendall(b"\x88\x02\x03\xe8")

    url, thread = hostile_ws_server(recorded)
    capture = tmp_path / "c.wtcap"
    assert run_wiretool(["ws", "connect", url, "--send", "x", "--count", "1", "--no-stdin", "--record",
                         str(capture)]).exit_code == 0
    thread.join(20)

    def not_websocket(conn: socket.socket, request: bytes) -> None:
        conn.sendall(head)
        time.sleep(5)

    url, thread = hostile_ws_server(not_websocket)
    r = run_wiretool(["replay", str(capture), url, "--no-delay"], timeout=30)
    assert r.exit_code == 4, (r.stdout, r.stderr)
    assert "handshake failed" in r.stderr
    assert any(name in r.stderr for name in ("Connection", "Upgrade", "Sec-WebSocket-Accept"))


@pytest.mark.parametrize("check", [True, False])
def test_replay_keeps_only_what_check_compares(tmp_path, check: bool) -> None:  # type: ignore[no-untyped-def]
    """Issue 12 #9: while a replay waits out a recorded pause, the server floods 64 KiB messages. The replay
    keeps only what --check compares (the recorded message count, plus one), so peak RSS stays put while the
    flood grows 4x (8 MB, 32 MB); the verdict is the first difference as before."""

    from wiretool.capture.file import CaptureWriter
    from wiretool.codec.wsbuild import build_frame

    request = (b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
    capture = tmp_path / "pause.wtcap"
    with CaptureWriter(capture, proto="ws", url="ws://127.0.0.1:9/") as w:
        w.chunk("send", 0.0, request)
        w.chunk("recv", 0.005, b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n")
        w.chunk("send", 0.01, build_frame(1, b"go", mask=True))
        w.chunk("recv", 0.02, build_frame(2, b"\0" * 65536))
        w.chunk("send", 3.0, build_frame(8, b"\x03\xe8", mask=True))  # the pause the replay waits out
        w.chunk("recv", 3.01, build_frame(8, b"\x03\xe8"))

    def run(megabytes: int) -> tuple[int, str, str, int]:
        def script(conn: socket.socket, request: bytes) -> None:
            frame = b"\x82\x7f" + (65536).to_bytes(8, "big") + b"\0" * 65536
            conn.sendall(ws_switching(request) + frame * (megabytes * 16))
            conn.settimeout(10)
            while b"\x88" not in conn.recv(65536):
                pass
            conn.sendall(b"\x88\x02\x03\xe8")

        url, thread = hostile_ws_server(script)
        rc, out, err, rss_kb = run_measured(["replay", str(capture), url, *(["--check"] if check else [])],
                                            timeout=60)
        thread.join(20)
        return rc, out, err, rss_kb

    rc, out, err, small = run(8)
    assert rc == (7 if check else 0), (out[-500:], err)
    rc, out, err, big = run(32)
    assert rc == (7 if check else 0), (out[-500:], err)
    if check:
        assert "message 2 (BINARY)" in out  # the first answer the recording did not have
    assert big < small + 12_000, f"peak RSS {small} kB for 8 MB, {big} kB for 32 MB"
