"""The quiet relay (``--only none``, transports joined by protocols): byte-exact both ways, the half-close
passed on, a reader that stops reading slows the upstream instead of growing the proxy (peak RSS bounded)."""

from __future__ import annotations

import hashlib
import json
import socket
import threading
import time

from conftest import canned_server, free_port, run_measured
from proxyhelp import ProxyProcess, no_traceback, of, wait_port

TOTAL = 200 * 1024 * 1024


def test_quiet_relay_is_exact_and_passes_the_half_close_on() -> None:
    def digest(conn: socket.socket) -> None:  # read to EOF (the client's half-close), answer the digest
        h, n = hashlib.sha256(), 0
        while data := conn.recv(1 << 16):
            h.update(data)
            n += len(data)
        conn.sendall(f"{n} {h.hexdigest()}".encode())

    payload = bytes(range(256)) * 40_000  # 10 MB, not HTTP: only counted
    with canned_server(digest) as up:
        proxy = ProxyProcess(f"http://127.0.0.1:{up}", "--only", "none")
        try:
            with socket.create_connection(("127.0.0.1", proxy.port), timeout=20) as c:
                c.sendall(payload)
                c.shutdown(socket.SHUT_WR)
                answer = b""
                while data := c.recv(4096):
                    answer += data
        finally:
            records = proxy.stop()
    no_traceback(proxy.err)
    assert answer.decode() == f"{len(payload)} {hashlib.sha256(payload).hexdigest()}"
    end = of(records, "proxy", "end")[0]
    assert (end["protocol"], end["bytes_c2s"], end["bytes_s2c"], end["error"]) == ("tcp", len(payload), len(answer), None)
    assert not of(records, "tcp") and not of(records, "proxy", "problem")


def test_quiet_relay_slow_reader_keeps_peak_rss_bounded() -> None:
    block = b"\xab" * (1 << 20)

    def flood(conn: socket.socket) -> None:
        conn.recv(16)
        for _ in range(TOTAL // len(block)):
            conn.sendall(block)

    received = 0
    listen = free_port()
    with canned_server(flood, conn_timeout=60) as up:
        box: dict = {}

        def proxy() -> None:
            box["run"] = run_measured(["--json", "proxy", "--listen", f"127.0.0.1:{listen}", "--upstream",
                                       f"http://127.0.0.1:{up}", "--only", "none", "--timeout", "10"],
                                      timeout=60, tail=4000)

        t = threading.Thread(target=proxy)
        t.start()
        wait_port(listen)
        with socket.create_connection(("127.0.0.1", listen), timeout=20) as c:
            c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 16)
            c.sendall(b"go")
            time.sleep(3)  # not reading: the proxy must stop reading the upstream, not buffer 200 MB
            while received < TOTAL:
                data = c.recv(1 << 20)
                if not data:
                    break
                received += len(data)
        t.join(60)
    _code, out, err, rss_kb = box["run"]
    assert received == TOTAL, (received, err)
    assert "Traceback" not in err
    ends = [json.loads(x) for x in out.splitlines() if '"type":"end"' in x]
    end = [e for e in ends if e["bytes_c2s"] == 2]  # (wait_port's probe was a connection too)
    assert end and end[0]["bytes_s2c"] == TOTAL and end[0]["error"] is None, out
    assert rss_kb < 100 * 1024, f"peak RSS {rss_kb} kB"
