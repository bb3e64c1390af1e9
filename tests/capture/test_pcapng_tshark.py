"""Oracle: tshark reads the pcapng wiretool writes (``--record-pcapng``, ``capture export --pcapng``) and shows
the same WebSocket frames and HTTP/2 frames and headers as wiretool's own ``--json``, field for field, with
every IPv4/IPv6 and TCP checksum right; a TLS session is dissected from its plaintext."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from conftest import ServeProcess, run_wiretool

pytestmark = pytest.mark.slow  # tshark takes seconds to start on a loaded machine

H2_FLAGS = {"END_STREAM": 0x1, "ACK": 0x1, "END_HEADERS": 0x4, "PADDED": 0x8, "PRIORITY": 0x20}


def tshark(pcapng: Path, port: int, proto: str) -> list[dict[str, Any]]:
    """``tshark -T json`` of the file, the server's port decoded as ``proto``, checksums checked."""
    out = subprocess.run(["tshark", "-r", str(pcapng), "-d", f"tcp.port=={port},{proto}", "-T", "json",
                          "--no-duplicate-keys", "-o", "tcp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE"],
                         capture_output=True, timeout=60, check=True)
    return json.loads(out.stdout)


def layers(packets: list[dict[str, Any]], name: str, port: int) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """Every ``name`` layer in wire order, as ``(dir, layer, packet's layers)`` (``recv``: from the server)."""
    found = []
    for p in packets:
        layer = p["_source"]["layers"]
        for key in ("ip", "ipv6"):
            if key in layer:
                assert layer[key].get(f"{key}.checksum.status", "1") == "1"
        assert layer["tcp"]["tcp.checksum.status"] == "1"
        if name not in layer:
            continue
        d = "recv" if layer["tcp"]["tcp.srcport"] == str(port) else "send"
        items = layer[name] if isinstance(layer[name], list) else [layer[name]]
        found += [(d, item, layer) for item in items]
    return found


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def port_of(url: str) -> int:
    return urlsplit(url).port or 0


@pytest.mark.parametrize("host", ["127.0.0.1", "::1"])
def test_ws_frames_in_the_pcapng_match_wiretool_field_for_field(tmp_path: Path, host: str) -> None:
    server = ServeProcess("ws", "--host", host, "--show", "none", "--compression", "none")
    try:
        pcap = tmp_path / "ws.pcapng"
        res = run_wiretool(["ws", "connect", server.url, "--send", "hello", "--send-hex", "00ff10", "--count", "2",
                            "--record-pcapng", str(pcap), "--json"])
        assert res.exit_code == 0, res.stderr
    finally:
        server.stop()
    ours = [r for r in res.json_lines() if r["type"] == "frame"]
    port = port_of(server.url)
    theirs = layers(tshark(pcap, port, "http"), "websocket", port)
    assert len(ours) == len(theirs) >= 6
    for mine, (d, ws, packet) in zip(ours, theirs, strict=True):
        assert mine["dir"] == d
        assert (mine["fin"], mine["opcode"], mine["masked"], mine["length"]) == (
            ws["websocket.fin"] == "1", int(ws["websocket.opcode"]), ws["websocket.mask"] == "1",
            int(ws["websocket.payload_length"]))
        if mine["masked"]:
            assert ws["websocket.masking_key"].replace(":", "") == mine["mask_key"]
        payload = ws.get("websocket.payload", {})
        if mine["opcode"] == 1:
            assert payload["websocket.payload.text"] == mine["payload_text"]
        elif mine["opcode"] == 2:
            assert packet["data"]["data.data"].replace(":", "") == mine["payload_hex"]  # tshark's data layer
        elif mine["opcode"] == 8:
            assert int(payload["websocket.payload.close"]["websocket.payload.close.status_code"]) == mine["close_code"]


def _h2_frames(pcap: Path, port: int) -> list[tuple[str, dict[str, Any]]]:
    frames = []
    for d, http2, _ in layers(tshark(pcap, port, "http2"), "http2", port):
        frames += [(d, s) for s in as_list(http2.get("http2.stream", [])) if "http2.type" in s]
    return frames


def _compare_h2(ours: list[dict[str, Any]], theirs: list[tuple[str, dict[str, Any]]]) -> None:
    assert len(ours) == len(theirs) >= 6
    for mine, (d, s) in zip(ours, theirs, strict=True):
        bits = sum(H2_FLAGS.get(f, 0) for f in mine["flags"])
        assert (mine["dir"], mine["type_code"], mine["stream_id"], mine["length"], bits) == (
            d, int(s["http2.type"]), int(s["http2.streamid"]), int(s["http2.length"]), int(s["http2.flags"], 16))
        if mine["frame_type"] == "HEADERS":
            got = [[h["http2.header.name"], h.get("http2.header.value", "")] for h in as_list(s["http2.header"])]
            assert got == mine["headers"]


def test_h2_frames_and_headers_in_the_pcapng_match_wiretool(tmp_path: Path) -> None:
    server = ServeProcess("h2")
    try:
        pcap = tmp_path / "h2.pcapng"
        res = run_wiretool(["h2", "get", f"{server.url}/", f"{server.url}/trailers", "-H", "x-test: 1",
                            "--record-pcapng", str(pcap), "--json"])
        assert res.exit_code == 0, res.stderr
    finally:
        server.stop()
    _compare_h2([r for r in res.json_lines() if r["type"] == "frame"], _h2_frames(pcap, port_of(server.url)))


def test_a_tls_session_is_dissected_from_its_plaintext_and_export_writes_the_same(tmp_path: Path) -> None:
    server = ServeProcess("h2", "--self-signed")
    try:
        pcap, cap, again = tmp_path / "tls.pcapng", tmp_path / "tls.wtcap", tmp_path / "export.pcapng"
        assert server.cacert
        res = run_wiretool(["h2", "get", f"{server.url}/", "--cacert", server.cacert, "--record-pcapng", str(pcap),
                            "--record", str(cap), "--json"])
        assert res.exit_code == 0, res.stderr
    finally:
        server.stop()
    ours = [r for r in res.json_lines() if r["type"] == "frame"]
    _compare_h2(ours, _h2_frames(pcap, port_of(server.url)))
    exported = run_wiretool(["capture", "export", str(cap), "--pcapng", str(again), "--json"])
    assert exported.exit_code == 0, exported.stderr
    assert exported.json_lines()[-1]["packets"] > 6
    _compare_h2(ours, _h2_frames(again, port_of(server.url)))


def test_a_grpc_call_in_the_pcapng_is_dissected_as_grpc_with_the_same_messages(tmp_path: Path) -> None:
    from grpc_greeter import greeter_server

    (tmp_path / "greeter").mkdir()
    with greeter_server(tmp_path / "greeter") as (port, _protoset, _pb2):
        pcap = tmp_path / "grpc.pcapng"
        res = run_wiretool(["h2", "grpc", "--json", f"http://127.0.0.1:{port}", "/demo.Greeter/StreamHellos",
                            "--data-hex", "0a03616e6e1003", "--record-pcapng", str(pcap)])  # name "ann", times 3
        assert res.exit_code == 0, res.stderr
    _compare_h2([r for r in res.json_lines() if r["type"] == "frame"], _h2_frames(pcap, port))
    packets = tshark(pcap, port, "http2")
    theirs = [g for _, g, _ in layers(packets, "grpc", port)]
    ours = [r for r in res.json_lines() if r["proto"] == "grpc" and r["type"] == "message"]
    assert len(theirs) == len(ours) == 4  # the request and three replies
    for mine, g in zip(ours, theirs, strict=True):
        assert int(g["grpc.message_length"]) == mine["length"] and (g["grpc.compressed_flag"] == "1") is mine["compressed"]


def test_an_sse_stream_in_the_pcapng_is_dissected_as_http_with_its_events(tmp_path: Path) -> None:
    server = ServeProcess("sse", "--interval", "0.01")
    try:
        pcap = tmp_path / "sse.pcapng"
        res = run_wiretool(["sse", "tail", f"{server.url}/events?count=3", "--no-reconnect", "--record-pcapng",
                            str(pcap), "--json"])
        assert res.exit_code == 0, res.stderr
    finally:
        server.stop()
    port = port_of(server.url)
    http = [h for _, h, _ in layers(tshark(pcap, port, "http"), "http", port)]
    assert any("GET /events?count=3 HTTP/1.1\\r\\n" in h for h in http)
    assert any(str(h.get("http.content_type", "")).startswith("text/event-stream") for h in http)
    events = [r["data"] for r in res.json_lines() if r["type"] == "event"]
    shown = subprocess.run(["tshark", "-r", str(pcap), "-d", f"tcp.port=={port},http", "-q", "-z",
                            "follow,tcp,ascii,0"], capture_output=True, text=True, timeout=60).stdout
    assert len(events) == 3 and all(f"data: {e}" in shown for e in events)


def test_a_capture_of_two_connections_exports_two_tcp_streams_each_dissected(tmp_path: Path) -> None:
    from wiretool.capture.file import CaptureWriter, read_capture

    data = Path(__file__).parent / "data"
    ws, h2 = read_capture(data / "format1-ws.wtcap"), read_capture(data / "format1-h2.wtcap")
    cap, out = tmp_path / "two.wtcap", tmp_path / "two.pcapng"
    with CaptureWriter(cap, proto="ws", url="ws://127.0.0.1:9/", show_secrets=True) as w:
        w.connection(1, proto="ws", client=("::1", 40001), server=("::1", 8765))
        w.connection(2, proto="h2", client=("127.0.0.1", 40002), server=("127.0.0.1", 8080))
        both = sorted([*((c, 1) for c in ws.chunks), *((c, 2) for c in h2.chunks)], key=lambda x: x[0].t)
        for c, conn in both:
            w.chunk("c2s" if c.dir == "send" else "s2c", c.t, c.data, conn=conn)
    res = run_wiretool(["capture", "export", str(cap), "--pcapng", str(out)])
    assert res.exit_code == 0, res.stderr
    packets = subprocess.run(["tshark", "-r", str(out), "-d", "tcp.port==8765,http", "-d", "tcp.port==8080,http2",
                              "-T", "json", "--no-duplicate-keys"], capture_output=True, timeout=60, check=True)
    layers_seen = [p["_source"]["layers"] for p in json.loads(packets.stdout)]
    streams = {(ly["tcp"]["tcp.stream"], "ipv6" in ly) for ly in layers_seen}
    assert {s for s, _ in streams} == {"0", "1"} and {v6 for _, v6 in streams} == {True, False} and len(streams) == 2
    assert sum(1 for ly in layers_seen if "websocket" in ly) >= 4 and any("http2" in ly for ly in layers_seen)
