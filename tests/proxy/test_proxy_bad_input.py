"""Bad input through ``wiretool proxy``: each failure named in one line, the other connections unaffected,
never a traceback (garbage client, upstream refusing / resetting / speaking TLS, a client gone mid-frame)."""

from __future__ import annotations

import asyncio
import socket
import ssl
import struct
import threading
import time

import trustme
from conftest import ServeProcess, canned_server, free_port, read_head
from proxyhelp import ProxyProcess, no_traceback, of


def _good_ws(port: int) -> str:
    import websockets

    async def main() -> str:
        async with websockets.connect(f"ws://127.0.0.1:{port}/", compression=None) as ws:
            await ws.send("still fine")
            return await ws.recv()

    return asyncio.run(main())


def _raw(port: int, data: bytes, *, read: bool = True) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(data)
        if not read:
            return b""
        s.shutdown(socket.SHUT_WR)
        got = b""
        try:
            while chunk := s.recv(65536):
                got += chunk
        except OSError:
            pass
        return got


def test_garbage_client_named_and_other_connections_unaffected() -> None:
    server = ServeProcess("ws")
    proxy = ProxyProcess(server.url.replace("ws://", "http://"))
    try:
        _raw(proxy.port, b"\x00\x07\xffgarbage that is no protocol\r\n\r\n")
        _raw(proxy.port, b"\x16\x03\x01\x00\x05hello")  # a TLS ClientHello's start on a plain listener
        assert _good_ws(proxy.port) == "still fine"
    finally:
        records = proxy.stop()
        server.stop()
    no_traceback(proxy.err)
    problems = of(records, "proxy", "problem")
    assert problems[0]["conn"] == 1 and "neither HTTP/1.1 nor HTTP/2" in problems[0]["message"]
    assert problems[1]["conn"] == 2 and "speaks TLS to a plain listener" in problems[1]["message"]
    ends = {e["conn"]: e for e in of(records, "proxy", "end")}
    assert ends[1]["protocol"] == "tcp" and "neither HTTP/1.1 nor HTTP/2" in ends[1]["error"]
    assert ends[3]["protocol"] == "ws" and ends[3]["error"] is None and ends[3]["close_code"] == 1000


def test_upstream_refusing_is_one_line_in_the_pretty_view() -> None:
    dead = free_port()
    proxy = ProxyProcess(f"http://127.0.0.1:{dead}", json_output=False)
    try:
        assert _raw(proxy.port, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n") == b""
        assert _raw(proxy.port, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n") == b""
    finally:
        proxy.stop()
    no_traceback(proxy.err)
    lines = [x for x in proxy.out.splitlines() if "refused the connection" in x]
    assert len(lines) == 2 and lines[0].startswith("#1 ") and lines[1].startswith("#2 "), proxy.out
    assert f"the upstream 127.0.0.1:{dead} refused the connection" in lines[0]


def _reset(conn: socket.socket) -> None:
    read_head(conn)
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close = RST


def test_upstream_resetting_is_named() -> None:
    with canned_server(_reset) as port:
        proxy = ProxyProcess(f"http://127.0.0.1:{port}")
        try:
            _raw(proxy.port, b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n")
        finally:
            records = proxy.stop()
    no_traceback(proxy.err)
    end = of(records, "proxy", "end")[0]
    assert end["error"].startswith("the upstream reset the connection"), end


def _tls_server() -> tuple[int, threading.Thread]:
    """A real TLS server (Python's ssl, OpenSSL): it hangs up on a plaintext client without a byte."""
    ca = trustme.CA()
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(ctx)
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)
    srv.settimeout(10)

    def serve() -> None:
        with srv:
            conn, _ = srv.accept()
            with conn:
                try:
                    ctx.wrap_socket(conn, server_side=True)
                except (ssl.SSLError, OSError):
                    pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return srv.getsockname()[1], thread


def test_upstream_speaking_tls_when_told_h2c() -> None:
    import subprocess

    port, thread = _tls_server()
    proxy = ProxyProcess(f"http://127.0.0.1:{port}")
    try:
        subprocess.run(["curl", "-sS", "--max-time", "5", "--http2-prior-knowledge", f"http://127.0.0.1:{proxy.port}/"],
                       capture_output=True, timeout=20)
        thread.join(10)
    finally:
        records = proxy.stop()
    no_traceback(proxy.err)
    end = of(records, "proxy", "end")[0]
    assert "if it speaks TLS, use an https:// upstream" in end["error"], end


def test_upstream_answering_with_tls_records_is_named() -> None:
    def alert(conn: socket.socket) -> None:
        conn.recv(4096)
        conn.sendall(b"\x15\x03\x03\x00\x02\x02\x46")  # a TLS alert record (protocol_version), as some servers send

    with canned_server(alert) as port:
        proxy = ProxyProcess(f"http://127.0.0.1:{port}")
        try:
            _raw(proxy.port, b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00")
        finally:
            records = proxy.stop()
    no_traceback(proxy.err)
    problem = of(records, "proxy", "problem")[0]
    assert problem["dir"] == "s2c" and "answered with TLS records" in problem["message"]
    assert not [f for f in of(records, "h2", "frame") if f["dir"] == "s2c"]  # not decoded as HTTP/2 noise


def test_client_disconnecting_mid_frame_is_named_and_others_unaffected() -> None:
    server = ServeProcess("ws")
    proxy = ProxyProcess(server.url.replace("ws://", "http://"))
    try:
        with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
            head = b""
            while b"\r\n\r\n" not in head:
                head += s.recv(4096)
            assert head.startswith(b"HTTP/1.1 101")
            s.sendall(b"\x81\xfe\x01\x00" + b"\x01\x02\x03\x04" + b"x" * 40)  # 256-byte frame cut at 40
            time.sleep(0.2)
        assert _good_ws(proxy.port) == "still fine"
    finally:
        records = proxy.stop()
        server.stop()
    no_traceback(proxy.err)
    cut = [f for f in of(records, "ws", "frame", conn=1) if f["dir"] == "c2s"]
    assert cut and cut[-1]["truncated"] and cut[-1]["missing"] == 216
    assert any(v["code"] for v in cut[-1]["violations"])
    ends = {e["conn"]: e for e in of(records, "proxy", "end")}
    assert ends[1]["error"] == "the client closed in the middle of a WebSocket frame"
    assert ends[2]["error"] is None and ends[2]["close_code"] == 1000
