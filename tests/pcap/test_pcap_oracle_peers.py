"""tcpdump captures of other implementations' sessions on loopback: node ``ws``, nghttp/nghttpd (prior knowledge
and h2c upgrade), curl, grpcio. What ``frame decode --pcap`` shows agrees field for field with ``tshark -T json``."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from tests.conftest import free_port
from tests.pcap.oracle import (
    tcpdump,
    tshark_h2_frames,
    tshark_ws_frames,
    tshark_ws_texts,
    wiretool_h2_frames,
    wiretool_pcap,
    wiretool_ws_frames,
    wiretool_ws_texts,
)

NPM = Path(__file__).resolve().parent.parent / "peers" / "npm" / "pcap"


def test_node_ws_session_agrees_with_tshark(tmp_path: Path) -> None:
    port = free_port()
    with tcpdump(tmp_path / "node.pcap", port) as pcap:
        out = subprocess.run(["node", str(NPM / "ws_session.js"), str(port)], cwd=NPM, capture_output=True,
                             text=True, timeout=60)
    assert out.stdout.strip() == "done", out.stderr
    records = wiretool_pcap(pcap)
    ours = wiretool_ws_frames(records)
    assert ours == tshark_ws_frames(pcap, port)
    assert wiretool_ws_texts(records) == tshark_ws_texts(pcap, port)
    texts = [r.get("text") for r in records if r["type"] == "message" and r["dir"] == "c2s"]
    assert texts == ["hello from node", None, "z" * 70000, "frag-ment"]
    pings = [r for r in records if r["type"] == "frame" and r["opcode_name"] == "PING"]
    assert pings and pings[0]["payload_text"] == "p1"
    closes = [r for r in records if r["type"] == "frame" and r["opcode_name"] == "CLOSE"]
    assert closes[0]["close_code"] == 4001 and closes[0]["close_reason"] == "bye now"


def _nghttpd(tmp_path: Path, port: int) -> subprocess.Popen[bytes]:
    docs = tmp_path / "htdocs"
    docs.mkdir()
    (docs / "index.html").write_text("<p>hello</p>\n" * 50)
    (docs / "big.bin").write_bytes(bytes(range(256)) * 300)
    proc = subprocess.Popen(["nghttpd", "--no-tls", "-d", str(docs), "-a", "127.0.0.1", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):  # until it accepts
        if subprocess.run(["curl", "-s", "-o", "/dev/null", "--http2-prior-knowledge",
                           f"http://127.0.0.1:{port}/"], timeout=10).returncode == 0:
            return proc
        time.sleep(0.05)
    proc.kill()
    raise AssertionError("nghttpd did not start")


def test_nghttp_nghttpd_and_curl_agree_with_tshark(tmp_path: Path) -> None:
    port = free_port()
    server = _nghttpd(tmp_path, port)
    try:
        with tcpdump(tmp_path / "h2.pcap", port) as pcap:
            for args in (["nghttp", "-n", f"http://127.0.0.1:{port}/", f"http://127.0.0.1:{port}/big.bin"],
                         ["curl", "-s", "-o", "/dev/null", "--http2-prior-knowledge", "-H", "x-test: pcap",
                          f"http://127.0.0.1:{port}/big.bin"]):
                assert subprocess.run(args, capture_output=True, timeout=30).returncode == 0, args
    finally:
        server.terminate()
        server.wait(timeout=10)
    records = wiretool_pcap(pcap)
    conns = [r for r in records if r["type"] == "connection"]
    assert [c["protocol"] for c in conns] == ["h2", "h2"]
    theirs = tshark_h2_frames(pcap, port)
    ours = wiretool_h2_frames(records)
    assert ours == theirs
    sent = [h for r in records if r["type"] == "frame" and r["frame_type"] == "HEADERS" for h in r["headers"]]
    assert ["x-test", "pcap"] in sent


def test_nghttp_h2c_upgrade_to_serve_h2_agrees_with_tshark(tmp_path: Path) -> None:
    from tests.conftest import ServeProcess

    server = ServeProcess("h2")
    port = int(server.url.rsplit(":", 1)[1])
    try:
        with tcpdump(tmp_path / "h2c.pcap", port) as pcap:
            done = subprocess.run(["nghttp", "-nu", f"{server.url}/", f"{server.url}/bytes/3000"],
                                  capture_output=True, timeout=30)
            assert done.returncode == 0, done.stderr
    finally:
        server.stop()
    records = wiretool_pcap(pcap)
    conns = [r for r in records if r["type"] == "connection"]
    assert [c["protocol"] for c in conns] == ["h2"] and "h2c" in conns[0]["detected"]
    ours = wiretool_h2_frames(records)
    assert ours == tshark_h2_frames(pcap, port, decode_as=f"tcp.port=={port},http")  # tshark follows the 101
    assert any(f["type"] == 0 and f["stream_id"] == 1 for f in ours["s2c"])  # the upgraded request's answer


def test_grpcio_call_agrees_with_tshark(tmp_path: Path) -> None:
    import grpc
    from grpc_greeter import greeter_server

    with greeter_server(tmp_path) as (port, _protoset, pb2), tcpdump(tmp_path / "grpc.pcap", port) as pcap:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            call = channel.unary_stream("/demo.Greeter/StreamHellos",
                                        request_serializer=pb2.HelloRequest.SerializeToString,
                                        response_deserializer=pb2.HelloReply.FromString)
            replies = list(call(pb2.HelloRequest(name="pcap", times=3)))
    assert len(replies) == 3
    records = wiretool_pcap(pcap)
    assert wiretool_h2_frames(records) == tshark_h2_frames(pcap, port)
    messages = [r for r in records if r["proto"] == "grpc" and r["type"] == "message"]
    assert [m["dir"] for m in messages] == ["c2s", "s2c", "s2c", "s2c"]
    status = [r for r in records if r["proto"] == "grpc" and r["type"] == "status"]
    assert status and status[0]["code"] == 0
