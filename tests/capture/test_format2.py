"""The compact capture (format 2, issue 14): the bytes and only what they cannot rebuild, about their size on
disk; cut short it reads as far as it goes; corrupt it is one line, exit 2; format 1 still reads as before."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_cli, run_wiretool

from wiretool.capture.blocks import chunk_block, read_blocks, varint
from wiretool.capture.file import FORMAT, CaptureWriter, read_capture

DATA = Path(__file__).parent / "data"
CUT = "the capture ends inside a frame: the recording was cut short"
WS_HEAD = (b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
WS_101 = (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n")


def _ws_capture(path: Path, frames: int = 3) -> None:
    with CaptureWriter(path, proto="ws", url="ws://127.0.0.1:9/") as w:
        w.chunk("send", 0.001, WS_HEAD)
        w.chunk("recv", 0.002, WS_101)
        for i in range(frames):
            w.chunk("recv", 0.003 + i / 1000, b"\x81\x05hello")


def test_chunks_round_trip_with_microsecond_times_and_no_records(tmp_path: Path) -> None:
    path = tmp_path / "a.wtcap"
    with CaptureWriter(path, proto="ws", url="ws://127.0.0.1:9/") as w:
        w.chunk("send", 0.0012346, b"\x00\xffbinary")
        w.record({"proto": "ws", "type": "frame", "t": 0.002, "dir": "recv"})  # rebuilt from bytes: not kept
        w.chunk("recv", 0.5, b"x" * 70000, conn=3)
        w.chunk("s2c", 0.4, b"back in time")  # a clock that goes back is written as no time
    cap = read_capture(path)
    assert cap.header["format"] == FORMAT == 2
    assert [(c.dir, c.t, c.data, c.conn) for c in cap.chunks] == [
        ("send", 0.001235, b"\x00\xffbinary", 0), ("recv", 0.5, b"x" * 70000, 3), ("s2c", 0.5, b"back in time", 0)]
    assert cap.records == [] and cap.warnings == []
    assert path.read_bytes().split(b"\n", 1)[0].startswith(b'{"capture":"wiretool","format":2')  # head -1 reads it


def test_a_capture_is_at_most_1_3_times_the_bytes_on_the_wire(tmp_path: Path) -> None:
    """Small frames one chunk each (the worst case for overhead) and larger reads."""
    path = tmp_path / "size.wtcap"
    wire = 0
    with CaptureWriter(path, proto="ws", url="ws://127.0.0.1:9/") as w:
        w.chunk("send", 0.0, WS_HEAD)
        w.chunk("recv", 0.001, WS_101)
        wire += len(WS_HEAD) + len(WS_101)
        for i in range(5000):
            frame = b"\x81\x10" + b"m" * 16
            w.chunk("recv", 0.002 + i * 1e-5, frame)
            wire += len(frame)
    assert path.stat().st_size <= 1.3 * wire, (path.stat().st_size, wire)


def test_connection_metadata_reads_back_merged(tmp_path: Path) -> None:
    path = tmp_path / "m.wtcap"
    with CaptureWriter(path, proto="h2", url="http://127.0.0.1:9/") as w:
        w.connection(1, proto="ws", client=("127.0.0.1", 50000), server=("127.0.0.1", 8765), url="ws://127.0.0.1:8765/")
        w.connection(2, proto="h2", client=("::1", 50001), server=("::1", 8080), tls=True, alpn="h2", sni="example")
        w.connection(1, proto="ws", tls=False)
        w.chunk("c2s", 0.1, b"GET", conn=1)
    cap = read_capture(path)
    one, two = cap.connections[1], cap.connections[2]
    assert (one.proto, one.client, one.server, one.meta) == (
        "ws", ("127.0.0.1", 50000), ("127.0.0.1", 8765), {"url": "ws://127.0.0.1:8765/", "tls": False})
    assert (two.proto, two.server, two.meta["alpn"], two.meta["sni"]) == ("h2", ("::1", 8080), "h2", "example")
    assert cap.proto_of(2) == "h2" and cap.proto_of(7) == "h2" and cap.conns() == [1, 2]


def test_each_connection_is_decoded_with_its_own_decoder_and_records_carry_conn(tmp_path: Path) -> None:
    ws = read_capture(DATA / "format1-ws.wtcap")
    h2 = read_capture(DATA / "format1-h2.wtcap")
    path = tmp_path / "many.wtcap"
    with CaptureWriter(path, proto="ws", url="ws://127.0.0.1:9/", show_secrets=True) as w:
        w.connection(5, proto="h2", client=("127.0.0.1", 40001), server=("127.0.0.1", 8080))
        w.connection(9, proto="ws", client=("127.0.0.1", 40002), server=("127.0.0.1", 8765))
        for c in sorted([*((c, 5) for c in h2.chunks), *((c, 9) for c in ws.chunks)], key=lambda x: x[0].t):
            w.chunk(c[0].dir, c[0].t, c[0].data, conn=c[1])
    res = run_cli(["frame", "decode", "--capture", str(path), "--json"])
    assert res.exit_code == 0, res.stderr
    lines = res.json_lines()
    by_conn = {(r.get("conn"), r["proto"]) for r in lines if r["type"] != "summary"}
    assert by_conn == {(1, "h2"), (2, "ws")}
    assert lines[-1]["connections"] == 2
    alone = [json.loads(x) for x in (DATA / "format1-h2.decoded.json").read_text().splitlines()][:-1]
    mine = [{k: v for k, v in r.items() if k != "conn"} for r in lines if r.get("conn") == 1]
    assert mine == alone  # the same records as the h2 capture decoded alone
    pretty = run_cli(["frame", "decode", "--capture", str(path)])
    assert "connection 1 (h2, 127.0.0.1:40001 -> 127.0.0.1:8080)" in pretty.stdout


@pytest.mark.parametrize("name", ["ws", "sse", "h2"])
def test_a_format_1_capture_made_by_the_previous_wiretool_decodes_as_it_did(name: str) -> None:
    res = run_wiretool(["frame", "decode", "--capture", str(DATA / f"format1-{name}.wtcap"), "--json"])
    want = [json.loads(x) for x in (DATA / f"format1-{name}.decoded.json").read_text().splitlines()]
    got = res.json_lines()
    assert res.exit_code == 0, res.stderr
    for line in (got[-1], want[-1]):
        line.pop("t")
    assert got == want


def test_a_capture_cut_inside_a_chunk_reads_as_far_as_it_goes_and_decodes_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "cut.wtcap"
    _ws_capture(path)
    whole = path.read_bytes()
    path.write_bytes(whole[:-3])  # the last frame's last three bytes never reached the disk
    cap = read_capture(path)
    assert cap.cut_short and cap.chunks[-1].data == b"\x81\x05he" and "cut short" in cap.warnings[0]
    res = run_wiretool(["frame", "decode", "--capture", str(path), "--json"])
    assert res.exit_code == 0, res.stderr
    frames = [r for r in res.json_lines() if r["type"] == "frame"]
    assert len(frames) == 3 and frames[-1]["missing"] == 3 and frames[-1]["violations"] == []
    assert CUT in res.stderr and "Traceback" not in res.stderr


def test_a_capture_cut_inside_a_block_header_drops_only_that_block(tmp_path: Path) -> None:
    path = tmp_path / "cut.wtcap"
    _ws_capture(path)
    whole = path.read_bytes()
    path.write_bytes(whole[:-8])  # inside the last chunk's varints
    cap = read_capture(path)
    assert len(cap.chunks) == 4 and cap.warnings
    assert run_wiretool(["frame", "decode", "--capture", str(path)]).exit_code == 0


@pytest.mark.parametrize("tail, why", [
    (b"\x7f\x00\x00", "unknown block 0x7f at byte"),
    (bytes([0x02]) + b"\xff" * 11 + b"\x01", "a number longer than 10 bytes"),
    (b"\x10\x03{x}", "meta block at byte"),
])
def test_a_corrupt_capture_is_named_in_one_line_exit_2(tmp_path: Path, tail: bytes, why: str) -> None:
    path = tmp_path / "bad.wtcap"
    _ws_capture(path, frames=1)
    path.write_bytes(path.read_bytes() + tail + chunk_block("recv", 0, 0, b"\x81\x00"))
    res = run_wiretool(["frame", "decode", "--capture", str(path)])
    assert res.exit_code == 2 and why in res.stderr and "Traceback" not in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


def test_a_length_past_the_end_is_read_as_cut_short_without_holding_it(tmp_path: Path) -> None:
    path = tmp_path / "huge.wtcap"
    _ws_capture(path, frames=1)
    path.write_bytes(path.read_bytes() + bytes([0x02]) + varint(0) + varint(0) + varint(1 << 62) + b"\x81")
    cap = read_capture(path)
    assert cap.cut_short and cap.chunks[-1].data == b"\x81"


def test_varints_and_blocks_round_trip() -> None:
    for n in (0, 1, 127, 128, 300, 1 << 32, (1 << 64) - 1):
        block = chunk_block("c2s", n, n, b"")
        (b,) = list(read_blocks(block, 0))
        assert (b.dir, b.conn, b.dt_us, b.data, b.short) == ("c2s", n, n, b"", 0)


def test_twenty_thousand_connections_decode_each_with_conn_in_bounded_time(tmp_path: Path) -> None:
    import time

    path = tmp_path / "many.wtcap"
    n = 20_000
    with CaptureWriter(path, proto="ws", url="ws://127.0.0.1:9/", show_secrets=True) as w:
        for conn in range(n):
            w.connection(conn, proto="ws", client=("127.0.0.1", 1024 + conn % 60000), server=("127.0.0.1", 80))
            w.chunk("s2c", conn * 1e-4, b"\x81\x02hi", conn=conn)  # no handshake: a frame cut short mid-capture
    start = time.monotonic()
    res = run_cli(["frame", "decode", "--capture", str(path), "--json"])
    assert res.exit_code == 0, res.stderr[-500:]
    assert time.monotonic() - start < 60
    summary = res.json_lines()[-1]
    assert summary["connections"] == n and summary["chunks"] == n


def test_an_h2_capture_cut_inside_a_frame_decodes_with_the_warning_exit_0(tmp_path: Path) -> None:
    h2 = read_capture(DATA / "format1-h2.wtcap")
    path = tmp_path / "h2.wtcap"
    with CaptureWriter(path, proto="h2", url="http://127.0.0.1:9/", show_secrets=True) as w:
        for c in h2.chunks:
            w.chunk(c.dir, c.t, c.data)
    path.write_bytes(path.read_bytes()[:-3])
    res = run_wiretool(["frame", "decode", "--capture", str(path), "--json"])
    assert res.exit_code == 0, res.stdout[-800:] + res.stderr
    frames = [r for r in res.json_lines() if r["type"] == "frame"]
    assert frames[-1]["violations"] == [] and CUT in res.stderr and res.json_lines()[-1]["warnings"] == 2
