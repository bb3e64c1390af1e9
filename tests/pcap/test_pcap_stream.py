"""Connections decoded as they are reassembled: memory bounded by what one frame needs, not by a connection's
length; records in the order they are decoded; the push decoders give what the whole-capture decoders give."""

from __future__ import annotations

import gzip
import json
import random
import struct
import tracemalloc
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.pcap.craft import SWITCHING, UPGRADE, Capture, Conversation, ws_frame
from wiretool.capture.decode_sse import decode_sse
from wiretool.capture.file import Capture as WtCapture
from wiretool.pcap import flows, survey
from wiretool.pcap.decode import PcapDecoder
from wiretool.pcap.sse_stream import SseStream
from wiretool.session import Chunk

MSS = 65483


class _Writer:
    """A pcap of one connection written straight to a file (a test's 50 MB never sit in memory)."""

    def __init__(self, path: Path) -> None:
        self.f = path.open("wb")
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        self.t = 1_700_000_000.0
        self.seq = {"c2s": 1000, "s2c": 5000}
        self.put("c2s", 0x02, b"")
        self.put("s2c", 0x12, b"")
        self.seq = {"c2s": 1001, "s2c": 5001}

    def put(self, d: str, flags: int, payload: bytes) -> None:
        src, dst = (43210, 8080) if d == "c2s" else (8080, 43210)
        tcp = struct.pack(">HHIIBBHHH", src, dst, self.seq[d] & 0xFFFFFFFF, 0, 0x50, flags, 65535, 0, 0)
        ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 40 + len(payload), 0, 0x4000, 64, 6, 0, b"\x7f\0\0\1", b"\x7f\0\0\1")
        pkt = b"\0" * 12 + b"\x08\x00" + ip + tcp + payload
        self.t += 1e-5
        self.f.write(struct.pack("<IIII", int(self.t), int(self.t % 1 * 1e6), len(pkt), len(pkt)) + pkt)
        self.seq[d] += len(payload)

    def send(self, d: str, data: bytes) -> None:
        for i in range(0, len(data), MSS):
            self.put(d, 0x18, data[i:i + MSS])

    def close(self) -> None:
        for d in ("c2s", "s2c"):
            self.put(d, 0x11, b"")
        self.f.close()


def _h2_frame(ftype: int, flags: int, stream: int, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + struct.pack(">I", stream) + payload


def _long_ws(path: Path, mb: int) -> None:
    w = _Writer(path)
    w.send("c2s", UPGRADE)
    w.send("s2c", SWITCHING)
    frame = ws_frame(b"z" * 16000, opcode=2)
    batch = frame * 64
    for _ in range(mb * (1 << 20) // len(batch)):
        w.send("s2c", batch)
    w.close()


def _long_h2(path: Path, mb: int) -> None:
    from hpack import Encoder

    w = _Writer(path)
    w.send("c2s", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + _h2_frame(4, 0, 0, struct.pack(">HI", 4, (1 << 31) - 1))
           + _h2_frame(8, 0, 0, struct.pack(">I", (1 << 31) - 1 - 65535)))
    w.send("s2c", _h2_frame(4, 0, 0, b"") + _h2_frame(4, 1, 0, b""))
    enc_c, enc_s = Encoder(), Encoder()
    w.send("c2s", _h2_frame(1, 5, 1, enc_c.encode([(":method", "GET"), (":scheme", "http"), (":path", "/big"),
                                                   (":authority", "x")])))
    w.send("s2c", _h2_frame(1, 4, 1, enc_s.encode([(":status", "200")])))
    batch = _h2_frame(0, 0, 1, b"y" * 16384) * 64
    for _ in range(mb * (1 << 20) // len(batch)):
        w.send("s2c", batch)
    w.send("s2c", _h2_frame(0, 1, 1, b""))
    w.close()


@pytest.mark.parametrize("write", [_long_ws, _long_h2], ids=["ws", "h2"])
def test_a_long_connection_decodes_in_bounded_memory(tmp_path: Path, write) -> None:
    """One 48 MB connection: what Python allocates at its peak is a few MB (it held the whole connection, more
    than 48 MB, when connections were decoded at their end). The mapped file is not Python's (and its pages
    are released as read)."""
    path = tmp_path / "long.pcap"
    write(path, 48)
    counts = {"frames": 0, "violations": 0}

    def emit(conn: int, rec) -> None:
        if rec.type == "frame":
            counts["frames"] += 1
        counts["violations"] += len(getattr(rec, "violations", ()) or ())

    tracemalloc.start()
    try:
        stats = PcapDecoder(emit).run(str(path))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert stats.connections == 1 and stats.bytes > 48_000_000
    assert counts["frames"] > 3000 and counts["violations"] == 0
    assert peak < 16 << 20, f"peak {peak >> 20} MiB"


def test_records_come_as_decoded_each_connection_after_its_record(tmp_path: Path) -> None:
    """Two connections talking at once: their records interleave as the packets complete them; each
    connection's own records are in its order, after its connection record, which says how it ended."""
    cap = Capture()
    one = Conversation(cap, client=("127.0.0.1", 40001))
    two = Conversation(cap, client=("127.0.0.1", 40002))
    for conv in (one, two):
        conv.handshake()
        conv.send("c2s", UPGRADE)
        conv.send("s2c", SWITCHING)
    two.t = one.t = max(one.t, two.t)
    for i in range(3):
        one.send("s2c", ws_frame(f"one {i}".encode()))
        two.t = one.t
        two.send("s2c", ws_frame(f"two {i}".encode()))
        one.t = two.t
    two.close()
    one.close()
    cap.packets.sort(key=lambda p: p[0])
    path = tmp_path / "two.pcap"
    path.write_bytes(cap.pcap())
    result = run_cli(["frame", "decode", "--pcap", str(path), "--json"])
    assert result.exit_code == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    texts = [(r["conn"], r["text"]) for r in records if r["type"] == "message"]
    assert texts == [(1, "one 0"), (2, "two 0"), (1, "one 1"), (2, "two 1"), (1, "one 2"), (2, "two 2")]
    for n in (1, 2):
        mine = [r for r in records if r.get("conn") == n]
        assert mine[0]["type"] == "connection" and mine[0]["end"] == "fin" and mine[0]["packets"] > 5


def _sse_chunks(rng: random.Random) -> list[Chunk]:
    """A keep-alive SSE connection: a sized response, a gzip chunked one, one that runs to the close, and a
    request never answered; each direction cut at random points (a byte at a time now and then)."""
    def req(path: str, extra: str = "") -> bytes:
        return f"GET {path} HTTP/1.1\r\nHost: h\r\nAccept: text/event-stream\r\n{extra}\r\n".encode()

    body1 = b"retry: 700\nid: 1\ndata: one\n\n: keep\ndata: two\n\n"
    zipped = gzip.compress(b"event: tick\ndata: " + b"z" * 3000 + b"\n\n" + b"data: last\n\n")
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(zipped[i:i + 700]), zipped[i:i + 700]) for i in range(0, len(zipped), 700))
    body3 = b"data: till the close\n\ndata: cut"
    exchanges = [
        (req("/a"), b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: %d\r\n\r\n" % len(body1)
         + body1),
        (req("/b", "Last-Event-ID: 1\r\n"), b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
         b"Content-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked + b"0\r\n\r\n"),
        (req("/c"), b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n" + body3),
    ]
    out: list[Chunk] = []
    t = 0.0
    for request, response in exchanges:
        for d, data in (("send", request), ("recv", response)):
            i = 0
            while i < len(data):
                n = 1 if rng.random() < 0.2 else rng.randint(1, 900)
                t += 0.001
                out.append(Chunk(d, round(t, 6), data[i:i + n], 1))
                i += n
    out.append(Chunk("send", round(t + 0.5, 6), req("/never"), 1))
    return out


@pytest.mark.parametrize("seed", range(12))
def test_the_sse_push_decoder_gives_what_decode_sse_gives(seed: int) -> None:
    chunks = _sse_chunks(random.Random(seed))
    url = "http://h:8080/a"
    whole = list(decode_sse(WtCapture(header={"proto": "sse", "url": url}, chunks=chunks)))
    push = SseStream(url)
    streamed = [rec for c in chunks for rec in push.feed(c)] + list(push.finish())
    assert [r.to_json() for r in streamed] == [r.to_json() for r in whole]
    assert sum(1 for r in whole if r.type == "event") >= 5 and sum(1 for r in whole if r.type == "connect") == 3


def _with_holes(n_conns: int, hole: int) -> Capture:
    """``n_conns`` WebSocket connections whose server sends ``hole`` bytes past a missing first segment."""
    cap = Capture()
    for i in range(n_conns):
        conv = Conversation(cap, client=("127.0.0.1", 41000 + i))
        conv.handshake()
        conv.send("c2s", UPGRADE)
        conv.send("s2c", SWITCHING)
        lost = ws_frame(b"lost")
        start = conv.seq["s2c"]
        conv.seq["s2c"] = start + len(lost)
        conv.send("s2c", ws_frame(b"w" * hole, opcode=2), mss=8000)
    return cap


def test_out_of_order_bytes_are_bounded_across_connections(tmp_path: Path, monkeypatch) -> None:
    """Each direction holds at most 4 MiB waiting for a hole; across every connection at most HELD_BUDGET
    (made small here): past it the holes become gaps early, named in a warning, and decoding goes on."""
    monkeypatch.setattr(flows, "HELD_BUDGET", 100_000)
    path = tmp_path / "holes.pcap"
    path.write_bytes(_with_holes(6, 30_000).pcap())
    warnings: list[str] = []
    records: list = []
    stats = PcapDecoder(lambda conn, rec: records.append((conn, rec)), warn=warnings.append).run(str(path))
    assert stats.connections == 6
    assert any("out-of-order segments wait across the open connections" in w for w in warnings)
    conns = [rec for _, rec in records if rec.type == "connection"]
    assert all(c.gaps for c in conns)
    assert sum(1 for _, rec in records if rec.type == "frame" and rec.dir == "recv") >= 6  # resynchronised


def test_detection_bytes_are_bounded_across_connections(tmp_path: Path, monkeypatch) -> None:
    """Detection keeps each direction's first 64 KiB at most, and at most KEPT_BUDGET across the open
    connections (made small here): past it, the rest are detected from what they kept, said once (an h2c
    upgrade whose heads were not kept is not seen as one)."""
    monkeypatch.setattr(survey, "KEPT_BUDGET", 1000)
    request = b"GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: \r\n\r\n"
    cap = Capture()
    convs = [Conversation(cap, client=("127.0.0.1", 42000 + i)) for i in range(8)]
    for conv in convs:  # each answered, all open until the end
        conv.handshake()
        conv.send("c2s", request)
        conv.send("s2c", b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n")
    for conv in convs:
        conv.close()
    path = tmp_path / "many.pcap"
    path.write_bytes(cap.pcap())
    warnings: list[str] = []
    records: list = []
    stats = PcapDecoder(lambda conn, rec: records.append(rec), warn=warnings.append).run(str(path))
    assert stats.connections == 8
    assert sum(1 for w in warnings if "first bytes kept for protocol detection" in w) == 1
    protocols = [r.protocol for r in records if r.type == "connection"]
    assert protocols[0] == "h2" and protocols[-1] != "h2"  # the first kept their heads, the last did not


def test_the_ethernet_ipv4_fast_path_reads_what_the_general_path_reads(monkeypatch) -> None:
    """Untagged Ethernet + IPv4 + TCP takes one unpack; every packet reads the same with it and without it
    (IP options, fragments, TSO's zero total length, a snaplen cut, a bad data offset, IPv6, UDP)."""
    from tests.pcap.craft import tcp_packet
    from wiretool.pcap import link

    c, s = ("10.0.0.1", 40000), ("10.0.0.2", 80)
    good = tcp_packet(c, s, 7, 0x18, b"payload" * 30)
    options = bytearray(good[:20] + b"\x01\x01\x01\x00" + good[20:])
    options[0] = 0x46
    options[2:4] = struct.pack(">H", len(options))
    frag = bytearray(good)
    frag[6:8] = b"\x20\x00"
    tso = bytearray(good)
    tso[2:4] = b"\0\0"
    bad_off = bytearray(good)
    bad_off[32] = 0x40
    udp = bytearray(good)
    udp[9] = 17
    ip6 = tcp_packet(("::1", 1), ("::2", 2), 9, 0x18, b"six")
    frames = [b"\0" * 12 + (b"\x86\xdd" if p[0] >> 4 == 6 else b"\x08\x00") + bytes(p)
              for p in (good, options, frag, tso, bad_off, udp, ip6)]
    packets = [(memoryview(f), len(f)) for f in frames] + [(memoryview(frames[0][:60]), len(frames[0])),
                                                          (memoryview(frames[0][:50]), len(frames[0]))]

    def read() -> list:
        out = []
        for data, orig in packets:
            seg = link.segment_of(link.ETHERNET, data, orig)
            out.append(seg if type(seg) is str else (seg.src, seg.dst, seg.seq, seg.flags, bytes(seg.payload),
                                                     seg.missing))
        return out

    fast = read()
    monkeypatch.setattr(link, "_eth_ip4", lambda data, pos: (0, 0, 0, 0, 0, b"", b""))
    assert fast == read()
    assert fast[0][4] == b"payload" * 30 and fast[-2][5] == len(frames[0]) - 60


def test_summaries_waiting_behind_a_long_connection_are_kept_on_disk(tmp_path: Path, monkeypatch) -> None:
    """One connection open across the file while many start and end: the survey holds their records until the
    long one ends; past MAX_READY (made small here) they wait in a temporary file, and the output is the same."""
    cap = Capture()
    long = Conversation(cap, client=("127.0.0.1", 39999))
    long.handshake()
    long.send("c2s", UPGRADE)
    long.send("s2c", SWITCHING)
    for i in range(30):
        short = Conversation(cap, client=("127.0.0.1", 41000 + i), t=long.t)
        short.handshake()
        short.send("c2s", UPGRADE)
        short.send("s2c", SWITCHING)
        short.send("s2c", ws_frame(f"short {i}".encode()))
        short.close()
        long.t = short.t
        long.send("s2c", ws_frame(f"long {i}".encode()))
    long.close()
    path = tmp_path / "backlog.pcap"
    path.write_bytes(cap.pcap())

    def decode() -> list:
        records: list = []
        PcapDecoder(lambda conn, rec: records.append((conn, rec.to_json()))).run(str(path))
        return records

    held = decode()
    monkeypatch.setattr(survey, "MAX_READY", 5)
    spilled = decode()
    assert spilled == held
    assert sum(1 for _, r in held if r["type"] == "connection") == 31
    assert [r["text"] for c, r in held if c == 1 and r["type"] == "message"] == [f"long {i}" for i in range(30)]
