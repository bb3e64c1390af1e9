"""RFC 6455 §5.7 examples byte for byte, plus the frame fields and the builder on them."""

from __future__ import annotations

import pytest

from wiretool.codec.wsframe import WsFrameParser, build_frame, fragment_frames, parse_bytes
from wiretool.codec.wsmask import HAVE_C_MASK, apply_mask, apply_mask_py
from wiretool.records.ws import WsFrame, WsMessage

KEY = bytes.fromhex("37fa213d")

# RFC 6455 §5.7, verbatim
UNMASKED_HELLO = bytes([0x81, 0x05, 0x48, 0x65, 0x6C, 0x6C, 0x6F])
MASKED_HELLO = bytes([0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58])
FRAGMENTED = [bytes([0x01, 0x03, 0x48, 0x65, 0x6C]), bytes([0x80, 0x02, 0x6C, 0x6F])]
PING = bytes([0x89, 0x05, 0x48, 0x65, 0x6C, 0x6C, 0x6F])
MASKED_PONG = bytes([0x8A, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58])
BINARY_256_HEAD = bytes([0x82, 0x7E, 0x01, 0x00])
BINARY_64K_HEAD = bytes([0x82, 0x7F, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00])


def frames(records: list) -> list[WsFrame]:
    return [r for r in records if isinstance(r, WsFrame)]


def messages(records: list) -> list[WsMessage]:
    return [r for r in records if isinstance(r, WsMessage)]


def test_unmasked_text_hello_parses_and_builds_byte_for_byte() -> None:
    records = parse_bytes(UNMASKED_HELLO, sender="server")
    (f,) = frames(records)
    assert (f.fin, f.opcode, f.opcode_name, f.masked, f.length, f.length_bits, f.header_length) == \
        (True, 1, "TEXT", False, 5, 7, 2)
    assert f.payload == b"Hello" and f.payload_text == "Hello" and f.mask_key is None and f.violations == ()
    assert build_frame(1, b"Hello") == UNMASKED_HELLO


def test_masked_text_hello_parses_and_builds_byte_for_byte() -> None:
    (f,) = frames(parse_bytes(MASKED_HELLO, sender="client"))
    assert f.masked and f.mask_key == "37fa213d" and f.header_length == 6
    assert f.payload == b"Hello" and f.violations == ()
    assert build_frame(1, b"Hello", mask_key=KEY) == MASKED_HELLO


def test_fragmented_text_message_reassembles_and_fragment_frames_builds_it() -> None:
    records = parse_bytes(b"".join(FRAGMENTED), sender="server")
    f1, f2 = frames(records)
    assert (f1.fin, f1.opcode_name, f1.payload) == (False, "TEXT", b"Hel")
    assert (f2.fin, f2.opcode_name, f2.payload, f2.offset) == (True, "CONT", b"lo", 5)
    (m,) = messages(records)
    assert (m.text, m.frames, m.complete, m.opcode_name) == ("Hello", 2, True, "TEXT")
    assert records[-1] is m  # the message follows its last frame
    assert fragment_frames(1, b"Hello", 3) == FRAGMENTED


def test_ping_and_masked_pong() -> None:
    (ping,) = frames(parse_bytes(PING, sender="server"))
    (pong,) = frames(parse_bytes(MASKED_PONG, sender="client"))
    assert (ping.opcode_name, ping.payload, ping.violations) == ("PING", b"Hello", ())
    assert (pong.opcode_name, pong.payload, pong.mask_key, pong.violations) == ("PONG", b"Hello", "37fa213d", ())
    assert build_frame(9, b"Hello") == PING
    assert build_frame(10, b"Hello", mask_key=KEY) == MASKED_PONG


def test_256_byte_binary_uses_16_bit_length() -> None:
    body = bytes(range(256))
    wire = BINARY_256_HEAD + body
    (f,) = frames(parse_bytes(wire))
    assert (f.opcode_name, f.length, f.length_bits, f.header_length, f.payload) == ("BINARY", 256, 16, 4, body)
    assert f.payload_text is None
    assert build_frame(2, body) == wire


def test_64k_binary_uses_64_bit_length() -> None:
    body = bytes(65536)
    wire = BINARY_64K_HEAD + body
    (f,) = frames(parse_bytes(wire))
    assert (f.length, f.length_bits, f.header_length, f.violations) == (65536, 64, 10, ())
    assert build_frame(2, body) == wire


def test_close_frame_fields() -> None:
    wire = build_frame(8, (1001).to_bytes(2, "big") + b"going away")
    (f,) = frames(parse_bytes(wire))
    assert (f.close_code, f.close_code_name, f.close_reason) == (1001, "GOING_AWAY", "going away")
    j = f.to_json()
    assert (j["close_code"], j["close_reason"], j["close_code_name"]) == (1001, "going away", "GOING_AWAY")


def test_to_json_has_every_contract_field() -> None:
    (f,) = frames(parse_bytes(MASKED_HELLO, sender="client", dir="recv"))
    j = f.to_json()
    for name in ("proto", "type", "t", "dir", "fin", "rsv1", "rsv2", "rsv3", "opcode", "opcode_name", "masked",
                 "mask_key", "length", "length_bits", "header_length", "payload_hex", "payload_text", "close_code",
                 "close_reason", "violations", "offset"):
        assert name in j, name
    assert (j["proto"], j["type"], j["dir"], j["payload_hex"], j["payload_text"]) == \
        ("ws", "frame", "recv", "48656c6c6f", "Hello")
    m = messages(parse_bytes(MASKED_HELLO))[0].to_json()
    assert (m["type"], m["opcode_name"], m["length"], m["text"]) == ("message", "TEXT", 5, "Hello")
    assert "hex" in messages(parse_bytes(BINARY_256_HEAD + bytes(256)))[0].to_json()


def test_offsets_count_from_the_start_of_the_stream() -> None:
    wire = UNMASKED_HELLO + PING + b"".join(FRAGMENTED)
    p = WsFrameParser()
    records = []
    for i in range(0, len(wire), 3):
        records += p.feed(wire[i : i + 3])
    assert [f.offset for f in frames(records)] == [0, 7, 14, 19]


def test_truncated_frame_reports_missing_bytes() -> None:
    p = WsFrameParser()
    assert p.feed(MASKED_HELLO[:8]) == []
    assert p.pending == 8
    (f,) = frames(p.finish())
    assert f.truncated and f.missing == 3 and f.payload == b"He" and f.length == 5
    assert [v.code for v in f.violations] == ["truncated-frame"]


def test_truncated_inside_header() -> None:
    (f,) = frames(parse_bytes(b"\x82"))
    assert f.truncated and f.missing == 1 and f.masked is None and f.length is None
    (g,) = frames(parse_bytes(b"\x82\x7f\x00\x00"))
    assert g.truncated and g.length_bits == 64 and g.length is None and g.missing == 6


def test_unfinished_message_is_reported_incomplete_at_finish() -> None:
    records = parse_bytes(FRAGMENTED[0])
    (m,) = messages(records)
    assert (m.complete, m.payload, m.frames) == (False, b"Hel", 1)


def test_messages_false_gives_frames_only() -> None:
    records = parse_bytes(UNMASKED_HELLO + b"".join(FRAGMENTED), messages=False)
    assert all(isinstance(r, WsFrame) for r in records) and len(records) == 3


@pytest.mark.parametrize("size", [0, 1, 3, 4, 5, 1000])
def test_c_and_pure_apply_mask_agree(size: int) -> None:
    data = bytes((i * 7) & 0xFF for i in range(size))
    assert apply_mask(data, KEY) == apply_mask_py(data, KEY)
    assert apply_mask_py(apply_mask_py(data, KEY), KEY) == data


def test_c_apply_mask_loaded_without_importing_websockets() -> None:
    import subprocess
    import sys

    code = ("import sys; from wiretool.codec.wsmask import HAVE_C_MASK; "
            "print(HAVE_C_MASK, 'websockets' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == [str(HAVE_C_MASK), "False"]
    assert HAVE_C_MASK  # websockets ships its C speedups on this platform


def test_builder_refuses_what_no_header_can_hold() -> None:
    with pytest.raises(ValueError):
        build_frame(16)
    with pytest.raises(ValueError):
        build_frame(1, b"x" * 200, length_bits=7)
    with pytest.raises(ValueError):
        build_frame(1, b"x", length=70000, length_bits=16)
    with pytest.raises(ValueError):
        build_frame(1, b"x", mask_key=b"abc")


def test_builder_length_lie_and_forced_encodings() -> None:
    wire = build_frame(2, b"abc", length=10)
    assert wire == b"\x82\x0aabc"
    assert build_frame(2, b"abc", length_bits=16) == b"\x82\x7e\x00\x03abc"
    assert build_frame(2, b"abc", length_bits=64)[:10] == b"\x82\x7f" + (3).to_bytes(8, "big")
    masked = build_frame(1, b"hi", mask=True)
    assert masked[1] & 0x80 and len(masked) == 8


def test_bulk_feed_matches_chunked_feed_and_leaves_gc_enabled() -> None:
    import gc

    from wiretool.codec.wsframe import BULK

    wire = (UNMASKED_HELLO + MASKED_HELLO + b"".join(FRAGMENTED) + PING) * (BULK // 30 + 1)
    assert len(wire) > BULK
    bulk = WsFrameParser()
    whole = bulk.feed(wire) + bulk.finish()
    assert gc.isenabled()
    chunked = WsFrameParser()
    records = []
    for i in range(0, len(wire), 4096):
        records += chunked.feed(wire[i : i + 4096])
    assert records + chunked.finish() == whole
    assert len(frames(whole)) == 5 * (BULK // 30 + 1)
