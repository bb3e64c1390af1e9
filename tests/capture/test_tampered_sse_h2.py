"""Tampered SSE and HTTP/2 captures (issue 12 #16, #17): replay goes only to the header's (or the user's) origin,
and every malformed piece is one line with exit 2 or a warning, never an internal error.

The servers are real loopback sockets; a second listener stands for the host a tampered target would name, and
the tests assert it never sees a connection.
"""

from __future__ import annotations

import base64
import json
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import h2.config
import h2.connection
from capture_lines import text as capture_text
from conftest import canned_server, run_wiretool

EVENT_ANSWER = (b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: 9\r\nConnection: close\r\n"
                b"\r\ndata: x\n\n")


@contextmanager
def listener() -> Iterator[tuple[int, list[bytes]]]:
    """A loopback server answering each request with one event; yields its port and the requests it got."""
    got: list[bytes] = []

    def answer(conn: socket.socket) -> None:
        got.append(conn.recv(65536))
        conn.sendall(EVENT_ANSWER)

    with canned_server(answer, conn_timeout=5) as port:
        yield port, got


def capture(path: Path, proto: str, url: str, chunks: list[tuple[str, bytes]], **header: object) -> Path:
    lines = [json.dumps({"capture": "wiretool", "format": 1, "proto": proto, "url": url, "request_headers": [],
                         **header})]
    lines += [json.dumps({"kind": "bytes", "dir": d, "t": 0.0, "b64": base64.b64encode(b).decode()})
              for d, b in chunks]
    path.write_text("\n".join(lines) + "\n")
    return path


def sse_capture(path: Path, port: int, target: bytes, dirs: tuple[str, str] = ("send", "recv")) -> Path:
    return capture(path, "sse", f"http://127.0.0.1:{port}/", [
        (dirs[0], b"GET " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n"),
        (dirs[1], EVENT_ANSWER)])


def h2_request(path: str) -> bytes:
    c = h2.connection.H2Connection()
    c.initiate_connection()
    c.send_headers(1, [(":method", "GET"), (":path", path), (":scheme", "http"), (":authority", "a")],
                   end_stream=True)
    return c.data_to_send()


def h2_answer(request: bytes) -> bytes:
    s = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False))
    s.initiate_connection()
    s.receive_data(request)
    s.send_headers(1, [(":status", "200")], end_stream=True)
    return s.data_to_send()


def test_a_target_that_names_another_host_is_refused_and_nothing_is_sent(tmp_path: Path) -> None:
    with listener() as (port_a, got_a), listener() as (port_b, got_b):
        for target in (b"@127.0.0.1:%d/x" % port_b, b"http://127.0.0.1:%d/x" % port_b, b"//x", b"*"):
            cap = sse_capture(tmp_path / "t.wtcap", port_a, target)
            res = run_wiretool(["replay", str(cap), "--no-delay", "--check"])
            assert res.exit_code == 2, res.stdout + res.stderr
            assert "is not an origin-form path" in res.stderr and "internal error" not in res.stderr
        assert got_a == [] and got_b == []


def test_an_origin_form_target_goes_to_the_header_origin_without_its_userinfo(tmp_path: Path) -> None:
    with listener() as (port, got):
        cap = sse_capture(tmp_path / "t.wtcap", port, b"/events?a=1")
        text = capture_text(cap).replace(f"http://127.0.0.1:{port}/", f"http://alice:<redacted>@127.0.0.1:{port}/")
        cap.write_text(text)
        res = run_wiretool(["replay", str(cap), "--no-delay", "--check"])
    assert res.exit_code == 0, res.stdout + res.stderr
    assert len(got) == 1 and got[0].startswith(b"GET /events?a=1 HTTP/1.1\r\n")
    assert b"authorization" not in got[0].lower()


def test_a_proxy_capture_c2s_s2c_replays_like_send_recv(tmp_path: Path) -> None:
    with listener() as (port, got):
        cap = sse_capture(tmp_path / "p.wtcap", port, b"/ev", dirs=("c2s", "s2c"))
        res = run_wiretool(["replay", str(cap), "--no-delay", "--check"])
    assert res.exit_code == 0, res.stdout + res.stderr
    assert len(got) == 1


def test_an_h2_capture_absolute_target_unknown_dir_and_bad_headers(tmp_path: Path) -> None:
    req = h2_request("http://127.0.0.1:9/x")
    cap = capture(tmp_path / "a.wtcap", "h2", "http://127.0.0.1:9/", [("send", req), ("recv", h2_answer(req))])
    res = run_wiretool(["replay", str(cap), "--no-delay"])
    assert res.exit_code == 2 and "is not an origin-form path" in res.stderr, res.stderr
    ok = h2_request("/")
    odd = capture(tmp_path / "d.wtcap", "h2", "http://127.0.0.1:9/", [("send", ok), ("sideways", b"x")])
    for args in (["replay", str(odd), "--no-delay"], ["frame", "decode", "--capture", str(odd)]):
        res = run_wiretool(args)
        assert "internal error" not in res.stderr and res.exit_code in (0, 3), res.stderr
        assert "unknown dir 'sideways'" in res.stdout + res.stderr
    for bad in ([["a"]], "x", [[1, 2]]):
        cap = capture(tmp_path / "h.wtcap", "h2", "http://127.0.0.1:9/", [("send", ok)], request_headers=bad)
        for args in (["replay", str(cap), "--no-delay"], ["frame", "decode", "--capture", str(cap)]):
            res = run_wiretool(args)
            assert res.exit_code == 2 and "unreadable capture" in res.stderr, res.stderr


def test_an_sse_capture_with_an_absolute_target_decodes_and_a_huge_retry_replays(tmp_path: Path) -> None:
    cap = sse_capture(tmp_path / "abs.wtcap", 9, b"http://127.0.0.1:9/x")
    res = run_wiretool(["--json", "frame", "decode", "--capture", str(cap)])
    assert res.exit_code == 0, res.stderr
    body = b"retry: " + b"9" * 5000 + b"\n\ndata: x\n\n"
    with listener() as (port, _got):
        cap = capture(tmp_path / "r.wtcap", "sse", f"http://127.0.0.1:{port}/", [
            ("send", b"GET /x HTTP/1.1\r\nHost: a\r\n\r\n"),
            ("recv", b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n" + body)])
        res = run_wiretool(["replay", str(cap), "--no-delay"])
        decoded = run_wiretool(["--json", "frame", "decode", "--capture", str(cap)])
    assert res.exit_code == 0 and "internal error" not in res.stderr, res.stderr
    assert decoded.exit_code == 0, decoded.stderr
    assert [r["retry"] for r in decoded.json_lines() if r.get("type") == "event"] == [10**15 - 1]


def test_frame_decode_of_proxy_legs_c2s_s2c_in_every_protocol(tmp_path: Path) -> None:
    req = h2_request("/")
    cap = capture(tmp_path / "h2.wtcap", "h2", "http://127.0.0.1:9/", [("c2s", req), ("s2c", h2_answer(req))])
    res = run_wiretool(["--json", "frame", "decode", "--capture", str(cap)])
    assert res.exit_code == 0, res.stderr
    assert {r["dir"] for r in res.json_lines() if r.get("type") == "frame"} == {"send", "recv"}
    cap = sse_capture(tmp_path / "sse.wtcap", 9, b"/ev", dirs=("c2s", "s2c"))
    res = run_wiretool(["--json", "frame", "decode", "--capture", str(cap)])
    assert res.exit_code == 0 and [r["data"] for r in res.json_lines() if r.get("type") == "event"] == ["x"]
    ws = capture(tmp_path / "ws.wtcap", "ws", "ws://127.0.0.1:9/", [
        ("c2s", b"GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"),
        ("s2c", b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n\x81\x02hi")])
    res = run_wiretool(["--json", "frame", "decode", "--capture", str(ws)])
    assert res.exit_code == 0, res.stderr
    assert [r["payload_text"] for r in res.json_lines() if r.get("type") == "frame"] == ["hi"]


def test_replay_errors_never_show_the_password_of_a_url(tmp_path: Path) -> None:
    req = h2_request("/")
    h2cap = capture(tmp_path / "h2.wtcap", "h2", "http://127.0.0.1:9/", [("send", req), ("recv", h2_answer(req))])
    ssecap = sse_capture(tmp_path / "sse.wtcap", 9, b"/ev")
    for cap in (h2cap, ssecap):
        res = run_wiretool(["replay", str(cap), "http://alice:SECRET@127.0.0.1:99999/", "--no-delay"])
        assert res.exit_code == 2 and "alice:<redacted>@" in res.stderr, res.stderr
        assert "SECRET" not in res.stdout + res.stderr
    absolute = sse_capture(tmp_path / "abs.wtcap", 9, b"http://127.0.0.1:2/x")
    res = run_wiretool(["--json", "frame", "decode", "--capture", str(absolute)])
    assert next(r for r in res.json_lines() if r["type"] == "connect")["url"] == "http://127.0.0.1:2/x"
