"""Hostile captures: truncated files, corrupted block lengths, a 4 GiB sequence jump, 100k connections, garbage.

Each is named in one line on stderr, memory stays bounded, and there is never a traceback.
"""

from __future__ import annotations

import json
import random
import struct
from pathlib import Path

import pytest

from tests.conftest import run_cli, run_measured
from tests.pcap.craft import (
    ACK,
    FIN,
    PSH,
    SWITCHING,
    SYN,
    UPGRADE,
    Capture,
    Conversation,
    tcp_packet,
    ws_frame,
)


def _session() -> Capture:
    cap = Capture()
    conv = Conversation(cap)
    conv.handshake()
    conv.send("c2s", UPGRADE)
    conv.send("s2c", SWITCHING)
    for i in range(20):
        conv.send("s2c", ws_frame(f"event {i}".encode() * 20))
    conv.close()
    return cap


def _run(path: Path) -> tuple[int, list[dict], str]:
    result = run_cli(["frame", "decode", "--pcap", str(path), "--json"])
    assert "Traceback" not in result.stderr
    return result.exit_code, [json.loads(line) for line in result.stdout.splitlines()], result.stderr


def _messages(records: list[dict]) -> int:
    return sum(1 for r in records if r["type"] == "message")


def test_a_truncated_pcap_shows_what_precedes_the_cut(tmp_path: Path) -> None:
    data = _session().pcap()
    path = tmp_path / "cut.pcap"
    path.write_bytes(data[:len(data) * 2 // 3])
    code, records, err = _run(path)
    assert code == 0
    assert "the capture was cut short" in err or "truncated capture" in err
    assert 5 < _messages(records) < 20
    assert records[-1]["type"] == "summary" and records[-1]["warnings"] >= 1


def test_a_pcap_cut_inside_a_record_header(tmp_path: Path) -> None:
    data = _session().pcap()
    path = tmp_path / "cut.pcap"
    path.write_bytes(data[:24 + 16 + 54 + 7])  # the first packet, then 7 bytes of the next header
    code, _, err = _run(path)
    assert code == 0 and "the file ends inside the header of packet 2" in err


@pytest.mark.parametrize("where", ["length", "trailer", "huge"])
def test_a_corrupted_pcapng_block_length_is_named(tmp_path: Path, where: str) -> None:
    data = bytearray(_session().pcapng())
    pos = 0
    for _ in range(10):  # the tenth block: section header, interface, then packets
        pos += struct.unpack_from("<I", data, pos + 4)[0]
    blen = struct.unpack_from("<I", data, pos + 4)[0]
    if where == "length":
        struct.pack_into("<I", data, pos + 4, blen + 3)
    elif where == "trailer":
        struct.pack_into("<I", data, pos + blen - 4, blen + 8)
    else:
        struct.pack_into("<I", data, pos + 4, 0xFFFFFFF0)
    path = tmp_path / "bad.pcapng"
    path.write_bytes(bytes(data))
    code, records, err = _run(path)
    assert code == 0 and f"the block at offset {pos}" in err
    assert records[-1]["packets"] == 8


def test_a_pcap_record_claiming_a_huge_length(tmp_path: Path) -> None:
    data = bytearray(_session().pcap())
    struct.pack_into("<I", data, 24 + 8, 1 << 30)
    path = tmp_path / "huge.pcap"
    path.write_bytes(bytes(data))
    code, _, err = _run(path)
    assert code == 0 and "packet 1 at offset 24 claims 1073741824 bytes" in err


@pytest.mark.parametrize("content", [b"", b"hello world, not a capture", b"\xd4\xc3\xb2\xa1\x02\x00"])
def test_what_is_no_pcap_is_a_usage_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "x.pcap"
    path.write_bytes(content)
    result = run_cli(["frame", "decode", "--pcap", str(path)])
    if len(content) == 6:  # the magic of a pcap, then nothing: read as an empty capture, said so
        assert result.exit_code == 0 and "header" in result.stderr
    else:
        assert result.exit_code == 2 and result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_a_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli(["frame", "decode", "--pcap", str(tmp_path / "nope.pcap")])
    assert result.exit_code == 2 and "cannot read" in result.stderr


def test_a_4_gib_sequence_jump_is_a_gap_not_an_allocation(tmp_path: Path) -> None:
    cap = Capture()
    conv = Conversation(cap)
    conv.handshake()
    conv.send("c2s", UPGRADE)
    conv.send("s2c", SWITCHING)
    conv.send("s2c", ws_frame(b"before"))
    at = conv.seq["s2c"]
    for k in range(1, 9):  # jumps of half the sequence space, eight times: 4 GiB past the stream's start
        conv.packet("s2c", PSH | ACK, ws_frame(b"lost"), seq=(at + k * (1 << 31) - 1) & 0xFFFFFFFF)
    conv.close()
    path = tmp_path / "jump.pcap"
    path.write_bytes(cap.pcap())
    code, out, err, rss = run_measured(["frame", "decode", "--pcap", str(path), "--json"])
    assert code == 0 and "Traceback" not in err
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["text"] for r in records if r["type"] == "message"] == ["before"] + ["lost"] * 8  # resynchronised
    assert records[0]["gaps"] and "a gap in the capture" in err
    assert rss < 200_000  # kB


@pytest.mark.slow
def test_100k_connections_stay_bounded(tmp_path: Path) -> None:
    cap = Capture()
    hello = ws_frame(b"hi")
    for i in range(100_000):
        client = (f"10.0.{i >> 8 & 255}.{i & 255}", 1024 + i % 60000)
        server = ("10.1.0.1", 80)
        t = 1_700_000_000 + i * 1e-4
        cap.packets.append((t, b"\0" * 12 + b"\x08\x00" + tcp_packet(client, server, 1, SYN), 54))
        cap.packets.append((t, b"\0" * 12 + b"\x08\x00" + tcp_packet(client, server, 2, PSH | ACK, hello), 60))
        if i % 2:  # half end with a FIN each way, half stay open to the end of the file
            for src, dst in ((client, server), (server, client)):
                cap.packets.append((t, b"\0" * 12 + b"\x08\x00" + tcp_packet(src, dst, 8, FIN | ACK), 54))
    path = tmp_path / "many.pcap"
    path.write_bytes(cap.pcap())
    code, out, err, rss = run_measured(["frame", "decode", "--pcap", str(path), "--json"], timeout=300, tail=2000)
    assert code == 0 and "Traceback" not in err
    summary = json.loads(out.splitlines()[-1])
    assert summary["connections"] == 100_000
    assert "connections open at once" in err
    assert rss < 400_000  # kB


def test_random_damage_never_raises(tmp_path: Path) -> None:
    rng = random.Random(14)
    good = _session().pcapng()
    path = tmp_path / "fuzz.pcapng"
    for _ in range(40):
        data = bytearray(good)
        for _ in range(rng.randint(1, 30)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        path.write_bytes(bytes(data[:rng.randint(1, len(data))]))
        result = run_cli(["frame", "decode", "--pcap", str(path), "--json"])
        assert result.exit_code in (0, 2, 5), result.stderr
        assert "Traceback" not in result.stderr and "internal error" not in result.stderr
