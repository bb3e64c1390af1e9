"""A hostile side cannot grow the proxy's memory: a frame declaring a terabyte, 300 MB of it relayed and sniffed."""

from __future__ import annotations

import socket
import threading
import time

import pytest
from conftest import canned_server, free_port, read_head, run_measured, ws_switching
from proxyhelp import wait_port

TOTAL = 300 * 1024 * 1024


@pytest.mark.slow
def test_huge_frame_flood_keeps_peak_rss_bounded() -> None:
    block = b"\x00" * (1 << 20)

    def flood(conn: socket.socket) -> None:
        conn.sendall(ws_switching(read_head(conn)) + b"\x82\x7f" + (1 << 40).to_bytes(8, "big"))
        for _ in range(TOTAL // len(block)):
            conn.sendall(block)

    received = 0
    listen = free_port()
    with canned_server(flood) as up:
        box: dict = {}

        def proxy() -> None:
            box["run"] = run_measured(["--json", "proxy", "--listen", f"127.0.0.1:{listen}", "--upstream",
                                       f"http://127.0.0.1:{up}", "--idle-timeout", "1", "--timeout", "30", "--max-size", "1000000"],
                                      timeout=60, tail=4000)

        t = threading.Thread(target=proxy)
        t.start()
        wait_port(listen)
        started = time.monotonic()
        with socket.create_connection(("127.0.0.1", listen), timeout=20) as c:
            c.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
            while received < TOTAL and time.monotonic() - started < 40:
                data = c.recv(1 << 20)
                if not data:
                    break
                received += len(data)
        t.join(60)
    code, out, err, rss_kb = box["run"]
    assert received >= TOTAL, (received, err)
    assert code == 6, err  # --idle-timeout ended it once the flood was over
    assert "larger than --max-size 1000000" in out
    assert "Traceback" not in err
    assert rss_kb < 100 * 1024, f"peak RSS {rss_kb} kB"
