"""Crafted captures: every link type and IP version, TCP segments out of order, retransmitted, overlapping,
cut by a snaplen, a capture that starts mid-connection; decoded in-process through the real entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.pcap.craft import ACK, PSH, RST, SWITCHING, UPGRADE, Capture, Conversation, ws_frame
from wiretool.pcap.tcp import WINDOW, Direction

MASK = b"\x37\xfa\x21\x3d"
H2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


def _h2_frame(ftype: int, flags: int, stream: int, payload: bytes) -> bytes:
    return len(payload).to_bytes(3, "big") + bytes([ftype, flags]) + stream.to_bytes(4, "big") + payload


def _records(path: Path, *extra: str) -> tuple[int, list[dict], str]:
    result = run_cli(["frame", "decode", "--pcap", str(path), "--json", *extra])
    return result.exit_code, [json.loads(line) for line in result.stdout.splitlines()], result.stderr


def _ws_session(cap: Capture, **kw: object) -> Conversation:
    conv = Conversation(cap, **kw)  # type: ignore[arg-type]
    conv.handshake()
    conv.send("c2s", UPGRADE)
    conv.send("s2c", SWITCHING)
    conv.send("c2s", ws_frame(b"hello", mask=MASK))
    conv.send("s2c", ws_frame(b"x" * 5000))
    conv.close()
    return conv


def _texts(records: list[dict]) -> list[tuple[str, str]]:
    return [(r["dir"], r.get("text") or r.get("hex")) for r in records if r["type"] == "message"]


@pytest.mark.parametrize("linktype", [1, 0, 113, 276, 101])
@pytest.mark.parametrize("fmt", ["pcap", "pcapng"])
@pytest.mark.parametrize("ip", ["127.0.0.1", "::1"])
def test_every_link_type_and_ip_version(tmp_path: Path, linktype: int, fmt: str, ip: str) -> None:
    cap = Capture(linktype)
    _ws_session(cap, client=(ip, 40000), server=(ip, 8080))
    path = tmp_path / f"s.{fmt}"
    path.write_bytes(cap.pcap() if fmt == "pcap" else cap.pcapng())
    code, records, err = _records(path)
    assert code == 0, err
    conn = records[0]
    assert conn["type"] == "connection" and conn["protocol"] == "ws"
    assert (conn["client_addr"], conn["client_port"], conn["server_addr"], conn["server_port"]) == (ip, 40000, ip, 8080)
    assert conn["end"] == "fin" and conn["gaps"] == []
    assert _texts(records) == [("c2s", "hello"), ("s2c", "x" * 5000)]
    hs = [r for r in records if r["type"] == "handshake"]
    assert [h["dir"] for h in hs] == ["c2s", "s2c"] and hs[1]["accept_ok"] is True
    assert records[-1]["type"] == "summary" and records[-1]["connections"] == 1


def test_out_of_order_retransmitted_and_overlapping_segments(tmp_path: Path) -> None:
    cap = Capture()
    conv = Conversation(cap)
    conv.handshake()
    conv.send("c2s", UPGRADE)
    conv.send("s2c", SWITCHING)
    body = b"".join(ws_frame(f"message {i}".encode() * 100) for i in range(6))
    base = conv.seq["s2c"]
    parts = [(0, 700), (1400, 2100), (700, 1400), (1800, 2600), (2100, len(body)), (0, 300)]  # 3rd fills the hole
    for start, end in parts:
        conv.packet("s2c", PSH | ACK, body[start:end], seq=base + start)
    conv.seq["s2c"] = base + len(body)
    conv.close()
    path = tmp_path / "ooo.pcap"
    path.write_bytes(cap.pcap())
    code, records, err = _records(path)
    assert code == 0, err
    assert [t for _, t in _texts(records)] == [f"message {i}" * 100 for i in range(6)]
    conn = records[0]
    assert conn["out_of_order"] >= 1 and conn["retransmitted"] >= 1 and conn["overlapping"] >= 1
    assert conn["gaps"] == []


def test_a_snaplen_that_cut_packets_is_a_named_gap(tmp_path: Path) -> None:
    cap = Capture()
    conv = Conversation(cap)
    conv.handshake()
    conv.send("c2s", UPGRADE)
    conv.send("s2c", SWITCHING)
    conv.send("s2c", ws_frame(b"short"))
    frame = ws_frame(b"y" * 3000)
    conv.packet("s2c", PSH | ACK, frame, snaplen=14 + 20 + 20 + 100, advance=True)  # 100 payload bytes kept
    conv.close()
    path = tmp_path / "snap.pcap"
    path.write_bytes(cap.pcap())
    code, records, err = _records(path)
    assert code == 0, err
    assert records[0]["gaps"] == [{"dir": "s2c", "offset": len(SWITCHING) + 7 + 100, "missing": len(frame) - 100}]
    assert _texts(records) == [("s2c", "short")]
    assert "a gap in the capture" in err and "Traceback" not in err


def test_a_capture_that_starts_mid_connection_resynchronises_on_ws_frames(tmp_path: Path) -> None:
    cap = Capture()
    conv = Conversation(cap)  # no handshake, no HTTP head: the middle of a session, inside a frame
    conv.send("s2c", ws_frame(b"q" * 300)[150:] + ws_frame(b"late") + ws_frame(b"later") + ws_frame(b"last"))
    conv.send("c2s", ws_frame(b"too", mask=MASK) + ws_frame(b"two", mask=MASK))
    path = tmp_path / "mid.pcap"
    path.write_bytes(cap.pcap())
    code, records, err = _records(path)
    assert code == 0, err
    conn = records[0]
    assert conn["started_mid"] is True and conn["end"] == "capture end" and conn["protocol"] == "ws"
    assert (conn["client_port"], conn["server_port"]) == (40000, 8080)  # the lower port is the server's
    assert "mid-connection" in conn["detected"]
    assert _texts(records) == [("s2c", "late"), ("s2c", "later"), ("s2c", "last"), ("c2s", "too"), ("c2s", "two")]
    assert "s2c: the capture starts mid-connection; 154 byte(s) before the first ws frame boundary" in err


def test_a_capture_that_starts_mid_connection_resynchronises_on_h2_frames(tmp_path: Path) -> None:
    cap = Capture()
    conv = Conversation(cap)
    conv.send("s2c", _h2_frame(0, 0, 1, b"d" * 500)[200:] + _h2_frame(0, 0, 1, b"e" * 40) + _h2_frame(6, 1, 0, b"8" * 8)
              + _h2_frame(0, 1, 1, b"f"))
    conv.send("c2s", _h2_frame(8, 0, 0, b"\0\0\1\0") + _h2_frame(6, 0, 0, b"8" * 8) + _h2_frame(3, 0, 1, b"\0" * 4))
    path = tmp_path / "mid.pcap"
    path.write_bytes(cap.pcap())
    _, records, err = _records(path)
    assert records[0]["protocol"] == "h2" and records[0]["started_mid"]
    frames = [(r["dir"], r["frame_type"], r["length"]) for r in records if r["type"] == "frame"]
    assert frames == [("s2c", "DATA", 40), ("s2c", "PING", 8), ("s2c", "DATA", 1), ("c2s", "WINDOW_UPDATE", 4),
                      ("c2s", "PING", 8), ("c2s", "RST_STREAM", 4)]
    assert "resynchronised" in err and "Traceback" not in err


def test_a_reset_ends_the_connection_and_ports_reused_start_a_new_one(tmp_path: Path) -> None:
    cap = Capture()
    first = _ws_session(cap)
    first.packet("c2s", RST, b"")
    second = Conversation(cap, t=first.t + 1, seq={"c2s": 777, "s2c": 999})
    second.handshake()
    second.send("c2s", UPGRADE)
    second.send("s2c", SWITCHING)
    second.packet("c2s", RST, b"")
    path = tmp_path / "two.pcap"
    path.write_bytes(cap.pcap())
    code, records, err = _records(path)
    assert code == 0, err
    conns = [r for r in records if r["type"] == "connection"]
    assert [c["conn"] for c in conns] == [1, 2] and conns[1]["end"] == "rst"


def test_reassembly_bounds_and_wraps() -> None:
    d = Direction()
    d.syn(0xFFFFFFF0)  # the stream's sequence numbers wrap past 2**32 after 15 bytes
    out = d.segment(0xFFFFFFF1, b"a" * 20, 0.0)
    out += d.segment((0xFFFFFFF1 + 20) & 0xFFFFFFFF, b"b" * 5, 0.0)
    assert b"".join(p.data for p in out) == b"a" * 20 + b"b" * 5
    far = d.segment((0xFFFFFFF1 + 25 + (1 << 31) - 1) & 0xFFFFFFFF, b"c", 0.0)  # ~2 GiB ahead: a gap, at once
    assert [p.gap_before for p in far] == [(1 << 31) - 1, 0] and d.held_bytes == 0
    d2 = Direction()
    d2.syn(0)
    for i in range(1, 200):  # never the first bytes: everything waits, up to the window
        d2.segment(1 + i * 65536, b"z" * 65536, 0.0)
        assert d2.held_bytes <= WINDOW
    assert d2.gaps



def test_a_frame_cut_by_the_end_of_the_capture_is_a_warning_not_a_violation(tmp_path: Path) -> None:
    cap = Capture()
    conv = Conversation(cap)
    conv.handshake()
    conv.send("c2s", H2_PREFACE + _h2_frame(4, 0, 0, b""))
    conv.send("s2c", _h2_frame(4, 0, 0, b"") + _h2_frame(6, 0, 0, b"12345678")[:13])  # a PING cut short, no FIN
    path = tmp_path / "cut.pcap"
    path.write_bytes(cap.pcap())
    code, records, err = _records(path)
    assert records[0]["end"] == "capture end"
    assert code == 0, err
    assert "the capture ends inside a frame" in err
    cut = [r for r in records if r["type"] == "frame" and r["dir"] == "s2c"][-1]
    assert cut["violations"] == []


def test_websocket_frames_after_a_gap_are_resynchronised(tmp_path: Path) -> None:
    cap = Capture()
    conv = Conversation(cap)
    conv.handshake()
    conv.send("c2s", UPGRADE)
    conv.send("s2c", SWITCHING)
    conv.send("s2c", ws_frame(b"one"))
    lost = ws_frame(b"L" * 3000)
    conv.seq["s2c"] += 1000  # the capture lost 1000 bytes: the rest of that frame, then whole frames again
    conv.send("s2c", lost[1000:] + ws_frame(b"two") + ws_frame(b"three") + ws_frame(b"four"))
    conv.send("c2s", ws_frame(b"still", mask=MASK))
    conv.close()
    path = tmp_path / "gap.pcap"
    path.write_bytes(cap.pcap())
    code, records, err = _records(path)
    assert code == 0, err
    assert records[0]["gaps"] == [{"dir": "s2c", "offset": len(SWITCHING) + 5, "missing": 1000}]
    assert sorted(_texts(records)) == sorted([("s2c", "one"), ("c2s", "still"), ("s2c", "two"), ("s2c", "three"),
                                              ("s2c", "four")])
    assert "resynchronised" in err and "after the gap; 2004 byte(s)" in err


def test_the_pretty_view_names_directions_as_the_ndjson_does(tmp_path: Path) -> None:
    cap = Capture()
    _ws_session(cap)
    h2 = Conversation(cap, client=("127.0.0.1", 40002))
    h2.handshake()
    h2.send("c2s", H2_PREFACE + _h2_frame(4, 0, 0, b"") + _h2_frame(1, 5, 1, bytes([0x82, 0x86, 0x84, 0x41, 1, 0x61])))
    h2.send("s2c", _h2_frame(4, 0, 0, b"") + _h2_frame(1, 5, 1, bytes([0x88])))
    h2.close()
    path = tmp_path / "both.pcap"
    path.write_bytes(cap.pcap())
    result = run_cli(["frame", "decode", "--pcap", str(path)])
    assert result.exit_code == 0, result.stderr
    shown = result.stdout
    assert "c2s" in shown and "s2c" in shown, shown
    assert " send " not in shown and " recv " not in shown, shown
    assert "accept check" in shown  # the handshake's answer is still recognised as the server's


def test_http2_frames_after_a_gap_are_resynchronised_with_the_lost_hpack_table_named(tmp_path: Path) -> None:
    from hpack import Encoder

    enc_c, enc_s = Encoder(), Encoder()
    cap = Capture()
    conv = Conversation(cap)
    conv.handshake()
    conv.send("c2s", H2_PREFACE + _h2_frame(4, 0, 0, b"") + _h2_frame(1, 5, 1, enc_c.encode(
        [(":method", "GET"), (":scheme", "http"), (":path", "/a"), (":authority", "h")])))
    conv.send("s2c", _h2_frame(4, 0, 0, b"") + _h2_frame(4, 1, 0, b"") + _h2_frame(1, 4, 1, enc_s.encode(
        [(":status", "200"), ("x-session", "kept-in-the-table")])) + _h2_frame(0, 1, 1, b"first"))
    lost = _h2_frame(1, 4, 3, enc_s.encode([(":status", "200"), ("x-session", "kept-in-the-table"),
                                             ("x-lost", "added-in-the-gap")])) + _h2_frame(0, 0, 3, b"L" * 3000)
    conv.seq["s2c"] += 100 + len(lost)  # the capture lost 100 bytes of a DATA frame, and the frames above
    conv.send("s2c", b"L" * 400 + _h2_frame(1, 4, 5, enc_s.encode(
        [(":status", "404"), ("x-session", "kept-in-the-table"), ("x-lost", "added-in-the-gap"), ("x-new", "n")]))
        + _h2_frame(0, 1, 5, b"second") + _h2_frame(6, 0, 0, b"8" * 8) + _h2_frame(1, 5, 7, enc_s.encode(
            [(":status", "200"), ("x-new", "n")])))
    conv.send("c2s", _h2_frame(6, 1, 0, b"8" * 8))
    conv.close()
    path = tmp_path / "h2gap.pcap"
    path.write_bytes(cap.pcap())
    code, records, err = _records(path)
    assert code == 0, err
    assert records[0]["protocol"] == "h2" and len(records[0]["gaps"]) == 1
    frames = [r for r in records if r["type"] == "frame"]
    s2c = [(r["frame_type"], r["stream_id"]) for r in frames if r["dir"] == "s2c"]
    assert s2c == [("SETTINGS", 0), ("SETTINGS", 0), ("HEADERS", 1), ("DATA", 1), ("HEADERS", 5), ("DATA", 5),
                   ("PING", 0), ("HEADERS", 7)]
    after = [r for r in frames if r["dir"] == "s2c" and r["frame_type"] == "HEADERS"][1:]
    lost62 = "<lost: dynamic table entry 62 (added before what the capture holds)>"
    lost63 = "<lost: dynamic table entry 63 (added before what the capture holds)>"
    assert [tuple(h) for h in after[0]["headers"]] == [(":status", "404"), (lost63, "<lost>"), (lost62, "<lost>"),
                                                       ("x-new", "n")]
    assert [tuple(h) for h in after[1]["headers"]] == [(":status", "200"), ("x-new", "n")]  # learnt after the gap
    assert not any(v["code"].startswith("hpack") for r in frames for v in r.get("violations", []))
    assert [r["frame_type"] for r in frames if r["dir"] == "c2s"] == ["SETTINGS", "HEADERS", "PING"]
    assert "s2c: bytes missing at stream offset" in err and "resynchronised" in err
    assert err.count("dynamic table entries lost with the gap") == 1 and "Traceback" not in err


def test_a_mid_connection_h2_capture_names_the_hpack_entries_it_never_saw(tmp_path: Path) -> None:
    cap = Capture()
    conv = Conversation(cap)  # no handshake: the peers built their tables before the capture began
    conv.send("s2c", _h2_frame(0, 0, 1, b"d" * 500)[200:] + _h2_frame(1, 4, 3, bytes([0x88, 0xbf, 0x40, 1, 0x61, 1, 0x62]))
              + _h2_frame(6, 1, 0, b"8" * 8) + _h2_frame(1, 4, 5, bytes([0x88, 0xbe])))
    conv.send("c2s", _h2_frame(6, 0, 0, b"8" * 8) + _h2_frame(8, 0, 0, b"\0\0\1\0") + _h2_frame(3, 0, 1, b"\0" * 4))
    path = tmp_path / "mid.pcap"
    path.write_bytes(cap.pcap())
    code, records, err = _records(path)
    assert code == 0, err
    headers = [[tuple(h) for h in r["headers"]] for r in records if r["type"] == "frame" and r["frame_type"] == "HEADERS"]
    lost = "<lost: dynamic table entry 63 (added before what the capture holds)>"
    assert headers == [[(":status", "200"), (lost, "<lost>"), ("a", "b")], [(":status", "200"), ("a", "b")]]
    assert "s2c: 1 header field(s) refer to HPACK dynamic table entries lost before the capture began" in err
