"""``wiretool serve h2``: the first line, signals, routes, directory, HTTP/1.1 refusal, and the in-process API."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import subprocess

import pytest
from conftest import WIRETOOL, run_cli, run_wiretool


def _serve(*args: str, json_mode: bool = True) -> tuple[subprocess.Popen, str]:
    cmd = [WIRETOOL, *(["--json"] if json_mode else []), "serve", "h2", "--port", "0", *args]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return proc, proc.stdout.readline()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_first_line_is_listening_and_a_signal_ends_with_exit_0(sig):
    proc, first = _serve()
    rec = json.loads(first)
    assert rec == {"proto": "h2", "type": "listening", "url": rec["url"]}
    assert rec["url"].startswith("http://127.0.0.1:")
    res = run_wiretool(["h2", "get", "--json", rec["url"]])
    assert res.exit_code == 0
    proc.send_signal(sig)
    out, _ = proc.communicate(timeout=10)
    assert proc.returncode == 0
    lines = [json.loads(line) for line in out.splitlines()]
    assert lines[0] == {"proto": "h2", "type": "request", "t": lines[0]["t"], "stream_id": 1, "method": "GET",
                        "path": "/", "status": 200}
    assert lines[-1]["type"] == "summary" and lines[-1]["exit_code"] == 0


def test_pretty_first_line_and_self_signed_ca_path():
    proc, first = _serve("--self-signed", json_mode=False)
    try:
        assert first.startswith("listening on https://127.0.0.1:")
        assert "--cacert" in proc.stdout.readline()
    finally:
        proc.terminate()
        assert proc.wait(10) == 0


def test_routes_through_the_client(tmp_path):
    (tmp_path / "hello.txt").write_text("from a directory\n")
    proc, first = _serve("--dir", str(tmp_path))
    url = json.loads(first)["url"]
    try:
        res = run_cli(["h2", "get", "--json", "--body", f"{url}hello.txt", f"{url}bytes/40000", f"{url}",
                       f"{url}sse?count=3&interval=0", f"{url}status/503", f"{url}nope"])
    finally:
        proc.terminate()
        proc.wait(10)
    assert res.exit_code == 0, res.stderr
    frames = [r for r in res.json_lines() if r["type"] == "frame" and r["dir"] == "recv"]
    by_stream: dict[int, list[dict]] = {}
    for f in frames:
        by_stream.setdefault(f["stream_id"], []).append(f)

    def status(sid):
        return dict(next(f for f in by_stream[sid] if f["frame_type"] == "HEADERS")["headers"])[":status"]

    def body(sid):
        return "".join(f.get("data_text", "") for f in by_stream[sid] if f["frame_type"] == "DATA")

    assert body(1) == "from a directory\n"
    assert sum(f["data_length"] for f in by_stream[3] if f["frame_type"] == "DATA") == 40000
    assert "/bytes/N" in body(5)
    assert body(7).count("data: tick") == 3
    assert dict(next(f for f in by_stream[7] if f["frame_type"] == "HEADERS")["headers"])["content-type"] \
        == "text/event-stream"
    assert (status(9), status(11)) == ("503", "404")


def test_plain_http11_without_upgrade_gets_a_clear_505():
    proc, first = _serve()
    port = int(json.loads(first)["url"].rsplit(":", 1)[1].strip("/"))
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            reply = b""
            while chunk := s.recv(4096):
                reply += chunk
    finally:
        proc.terminate()
        proc.wait(10)
    assert reply.startswith(b"HTTP/1.1 505") and b"Upgrade: h2c" in reply


def test_in_process_running_server_with_tls():
    from wiretool.output.env import Environment
    from wiretool.output.sink import Output
    from wiretool.serve.h2 import running_server
    from wiretool.session import ListSink
    from wiretool.transport.h2 import ClientConfig, H2Client, RequestSpec
    from wiretool.transport.tls import client_context

    seen: list[dict] = []

    async def main():
        async with running_server(tls=True, log=seen.append) as srv:
            port = srv.port
            cfg = ClientConfig(scheme="https", host="127.0.0.1", port=port, authority=f"127.0.0.1:{port}",
                               requests=[RequestSpec(url=srv.url, path="/trailers")],
                               ssl_context=client_context(cacert=str(srv.cacert), alpn=["h2"]))
            sink = ListSink(clock=Output(Environment(json=True)).now)
            outcome = await H2Client(cfg).exchange(sink)
            return outcome, sink.records

    outcome, records = asyncio.run(main())
    assert outcome.protocol_error is None and outcome.streams[0].status == 200
    assert any(getattr(r, "frame_type", "") == "HEADERS" and r.dir == "recv" for r in records)
    assert seen == [{"stream_id": 1, "method": "GET", "path": "/trailers", "status": 200}]


def test_directory_serving_stays_inside_the_directory(tmp_path):
    public = tmp_path / "public"
    public.mkdir()
    (public / "index.html").write_text("<h1>home</h1>")
    (tmp_path / "secret.txt").write_text("do not serve")
    proc, first = _serve("--dir", str(public))
    url = json.loads(first)["url"]
    try:
        res = run_cli(["h2", "get", "--json", "--body", url, f"{url}%2e%2e/secret.txt", f"{url}../secret.txt"])
    finally:
        proc.terminate()
        proc.wait(10)
    texts = [r.get("data_text", "") for r in res.json_lines() if r["type"] == "frame" and r["frame_type"] == "DATA"]
    assert "<h1>home</h1>" in texts
    assert not any("do not serve" in t for t in texts)
    statuses = [dict(r["headers"]).get(":status") for r in res.json_lines()
                if r["type"] == "frame" and r["dir"] == "recv" and r["frame_type"] == "HEADERS"]
    assert sorted(statuses) == ["200", "404", "404"]
