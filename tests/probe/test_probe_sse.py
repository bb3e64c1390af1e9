"""``wiretool probe sse`` against ``serve sse`` (plain and TLS with HTTP/2), sse-starlette, and servers that
buffer, ignore Last-Event-ID, send the wrong type or cannot be reached."""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ServeProcess, answer_http1, canned_server, free_port, read_head, run_wiretool

HERE = Path(__file__).resolve().parent


def _probe(url: str, *args: str) -> tuple[int, dict[str, dict], str]:
    result = run_wiretool(["probe", "sse", url, "--json", "--wait", "3", "--observe", "1.5", *args], timeout=60)
    records = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    return result.exit_code, {r["id"]: r for r in records if r.get("type") == "case"}, result.stderr


def _verdicts(cases: dict[str, dict]) -> dict[str, str]:
    return {cid: c["verdict"] for cid, c in cases.items()}


@contextlib.contextmanager
def _starlette(mode: str) -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, str(HERE / "servers" / "sse_starlette_app.py"), str(port), mode],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while True:
            assert proc.poll() is None
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                break
            assert time.monotonic() < deadline
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/events"
    finally:
        proc.kill()
        proc.wait(5)


def test_serve_sse_passes() -> None:
    server = ServeProcess("sse", "--retry", "1000", "--heartbeat", "0.2")
    try:
        code, cases, _ = _probe(f"{server.url}/events?interval=0.1", "--keepalive", "1")
    finally:
        server.stop()
    assert _verdicts(cases) == {"sse/1": "OK", "sse/2": "OK", "sse/3": "OK", "sse/4": "OK", "sse/5": "OK",
                                "sse/6": "OK", "sse/7": "OK", "sse/8": "OK", "sse/9": "OK",
                                "sse/10": "UNIMPLEMENTED"}
    assert cases["sse/9"]["reason"].startswith("resumed after")
    assert code == 0


def test_serve_sse_over_tls_and_http2() -> None:
    server = ServeProcess("sse", "--self-signed")
    try:
        code, cases, _ = _probe(f"{server.url}/events?interval=0.1", "--cacert", str(server.cacert))
    finally:
        server.stop()
    assert cases["sse/10"]["verdict"] == "OK" and cases["sse/10"]["reason"].endswith("events over h2")
    assert cases["sse/1"]["observed"]["http_version"] == "HTTP/1.1" and code == 0


@pytest.mark.slow
def test_sse_starlette_with_ids_resumes() -> None:
    with _starlette("ids") as url:
        code, cases, _ = _probe(url)
    assert cases["sse/9"]["verdict"] == "OK" and cases["sse/7"]["reason"] == "retry 1500 ms"
    assert code == 0


@pytest.mark.slow
def test_sse_starlette_without_ids_cannot_resume() -> None:
    with _starlette("plain") as url:
        code, cases, _ = _probe(url)
    assert cases["sse/6"]["verdict"] == "INFORMATIONAL" and cases["sse/9"]["verdict"] == "INFORMATIONAL"
    assert code == 0


def _stream(events: bytes, *, ctype: bytes = b"text/event-stream", delay: float = 0.0):  # type: ignore[no-untyped-def]
    def answer(conn: socket.socket) -> None:
        read_head(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: " + ctype + b"\r\ncache-control: no-cache\r\n\r\n")
        if delay:
            time.sleep(delay)
        conn.sendall(events)
        time.sleep(0.5)
    return answer


def test_a_server_that_ignores_last_event_id_fails_sse_9() -> None:
    body = b"".join(b"id: %d\ndata: n\n\n" % i for i in range(1, 4))
    with canned_server(_stream(body)) as port:
        code, cases, _ = _probe(f"http://127.0.0.1:{port}/")
    assert cases["sse/9"]["verdict"] == "FAILED"
    assert "ignored Last-Event-ID '3'" in cases["sse/9"]["reason"]
    assert cases["sse/3"]["verdict"] == "NON-STRICT"  # all three events in one write
    assert code == 5


def test_a_buffering_server_fails_sse_2() -> None:
    with canned_server(_stream(b"id: 1\ndata: late\n\n", delay=2.5), conn_timeout=10) as port:
        code, cases, _ = _probe(f"http://127.0.0.1:{port}/", "--wait", "1")
    assert cases["sse/2"]["verdict"] == "FAILED" and cases["sse/2"]["reason"].startswith("no event within 1 s")
    assert code == 5


def test_invalid_utf8_fails_sse_5() -> None:
    with canned_server(_stream(b"data: \xff\xfe\n\n")) as port:
        _, cases, _ = _probe(f"http://127.0.0.1:{port}/")
    assert cases["sse/5"]["verdict"] == "FAILED" and "invalid UTF-8 at byte 6" in cases["sse/5"]["reason"]


def test_wrong_content_type_is_exit_4_and_refused_is_exit_3() -> None:
    with canned_server(answer_http1(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")) as port:
        code, _, err = _probe(f"http://127.0.0.1:{port}/")
    assert code == 4 and "status 404" in err and "Traceback" not in err
    code, _, err = _probe(f"http://127.0.0.1:{free_port()}/")
    assert code == 3 and "cannot connect" in err and err.count("\n") == 1
