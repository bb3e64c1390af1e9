"""SSE and HTTP/2 through ``wiretool proxy``: npm eventsource, curl, nghttp, hypercorn, nghttpd, bytes exact."""

from __future__ import annotations

import json
import subprocess

from conftest import ServeProcess
from proxyhelp import ProxyProcess, Recorder, hypercorn_app, nghttpd, no_traceback, node, of

__all__ = ["hypercorn_app", "nghttpd"]  # fixtures


def test_eventsource_reconnects_with_last_event_id_through_proxy() -> None:
    server = ServeProcess("sse", "--interval", "0.02", "--drop-every", "3", "--retry", "50")
    proxy = ProxyProcess(server.url)
    try:
        done = node("sse_client.js", f"http://127.0.0.1:{proxy.port}/events", "7")
        assert done.returncode == 0, done.stderr
    finally:
        records = proxy.stop()
        server.stop()
    no_traceback(proxy.err)
    got = [json.loads(x) for x in done.stdout.splitlines()]
    data = [g["data"] for g in got if "data" in g]
    assert len(data) == 7 and len(set(data)) == 7  # nothing lost, nothing repeated across reconnections
    # the proxy saw each response as an SSE stream, and each reconnection asked with Last-Event-ID
    connects = of(records, "sse", "connect")
    assert len(connects) >= 3
    assert connects[0]["last_event_id"] is None
    assert all(c["last_event_id"] for c in connects[1:])
    events = of(records, "sse", "event")
    assert [e["data"] for e in events][:7] == data
    assert all(e["dir"] == "s2c" and "conn" in e for e in events)
    # the second connection resumed from the last id the first one delivered
    before = records[:records.index(connects[1])]
    assert connects[1]["last_event_id"] == of(before, "sse", "event")[-1]["id"]
    assert all(e["protocol"] == "sse" for e in of(records, "proxy", "end"))


def _curl(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["curl", "-sS", "--max-time", "10", *args], capture_output=True, timeout=20)


def test_curl_http2_prior_knowledge_to_nghttpd_byte_exact(nghttpd: int) -> None:
    back = Recorder(nghttpd)
    proxy = ProxyProcess(f"http://127.0.0.1:{back.port}", "--show-secrets")
    front = Recorder(proxy.port)
    try:
        done = _curl("--http2-prior-knowledge", f"http://127.0.0.1:{front.port}/big.bin",
                     "-H", "Authorization: Bearer hunter2")
        assert done.returncode == 0, done.stderr
        assert done.stdout == bytes(range(256)) * 4096
    finally:
        records = proxy.stop()
        front.close()
        back.close()
    no_traceback(proxy.err)
    assert bytes(front.c2s) == bytes(back.c2s) and bytes(front.s2c) == bytes(back.s2c)
    frames = of(records, "h2", "frame")
    heads = [f for f in frames if f["frame_type"] == "HEADERS"]
    assert heads[0]["dir"] == "c2s" and [":path", "/big.bin"] in heads[0]["headers"]
    assert ["authorization", "Bearer hunter2"] in heads[0]["headers"]  # --show-secrets
    assert heads[1]["dir"] == "s2c" and [":status", "200"] in heads[1]["headers"]
    data = sum(f["length"] for f in frames if f["frame_type"] == "DATA" and f["dir"] == "s2c")
    assert data == 256 * 4096
    assert all(f["violations"] == [] for f in frames)
    end = of(records, "proxy", "end")[0]
    assert end["protocol"] == "h2" and end["status"] == 200 and end["error"] is None


def test_secrets_redacted_in_h2_headers(nghttpd: int) -> None:
    proxy = ProxyProcess(f"http://127.0.0.1:{nghttpd}")
    try:
        assert _curl("--http2-prior-knowledge", f"http://127.0.0.1:{proxy.port}/",
                     "-H", "Authorization: Bearer hunter2").returncode == 0
    finally:
        records = proxy.stop()
    assert "hunter2" not in proxy.out
    heads = [f for f in of(records, "h2", "frame") if f["frame_type"] == "HEADERS" and f["dir"] == "c2s"]
    assert any(h[0] == "authorization" for h in heads[0]["headers"])


def test_nghttp_to_nghttpd(nghttpd: int) -> None:
    proxy = ProxyProcess(f"http://127.0.0.1:{nghttpd}", "--show", "messages")
    try:
        done = subprocess.run(["nghttp", "-n", f"http://127.0.0.1:{proxy.port}/index.html",
                               f"http://127.0.0.1:{proxy.port}/big.bin"], capture_output=True, timeout=20)
        assert done.returncode == 0, done.stderr
    finally:
        records = proxy.stop()
    frames = of(records, "h2", "frame")
    assert frames and all(f.get("headers") or f["frame_type"] in ("RST_STREAM", "GOAWAY") for f in frames)
    statuses = [h for f in frames if f["dir"] == "s2c" for h in f.get("headers", []) if h[0] == ":status"]
    assert statuses == [[":status", "200"], [":status", "200"]]
    assert of(records, "proxy", "end")[0]["messages"] == 2


def test_curl_h2c_upgrade_and_http1_and_prior_knowledge_to_hypercorn(hypercorn_app: int) -> None:
    proxy = ProxyProcess(f"http://127.0.0.1:{hypercorn_app}")
    try:
        h2c = _curl("--http2", f"http://127.0.0.1:{proxy.port}/")
        h1 = _curl("--http1.1", f"http://127.0.0.1:{proxy.port}/")
        pk = _curl("--http2-prior-knowledge", f"http://127.0.0.1:{proxy.port}/")
        sse = _curl("--http1.1", "-N", f"http://127.0.0.1:{proxy.port}/stream")
    finally:
        records = proxy.stop()
    no_traceback(proxy.err)
    assert h2c.stdout == b"hello over HTTP/2\n", h2c.stderr
    assert h1.stdout == b"hello over HTTP/1.1\n"
    assert pk.stdout == b"hello over HTTP/2\n"
    assert b"tick 2" in sse.stdout
    ends = {e["conn"]: e for e in of(records, "proxy", "end")}
    assert [ends[c]["protocol"] for c in sorted(ends)] == ["h2", "http", "h2", "sse"]
    upgrade = of(records, "h2", "upgrade", conn=1)
    assert [u["dir"] for u in upgrade] == ["c2s", "s2c"] and upgrade[1]["status"] == 101
    h2c_frames = of(records, "h2", "frame", conn=1)
    assert any(f["dir"] == "s2c" and f["frame_type"] == "DATA" for f in h2c_frames)
    assert all(f["violations"] == [] for f in h2c_frames)
    req = of(records, "http", "request", conn=2)[0]
    assert req["method"] == "GET" and req["target"] == "/" and req["version"] == "1.1"
    assert of(records, "http", "response", conn=2)[0]["status"] == 200
    assert [e["data"] for e in of(records, "sse", "event", conn=4)] == ["tick 0", "tick 1", "tick 2"]
