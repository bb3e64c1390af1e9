"""Every violation the issue lists: named with its RFC section, and parsing goes on after it."""

from __future__ import annotations

import pytest

from wiretool.codec.wsclose import close_code_allowed
from wiretool.codec.wsframe import build_frame, parse_bytes
from wiretool.records.ws import WsFrame, WsMessage

KEY = b"\x01\x02\x03\x04"
GOOD = build_frame(1, b"after")  # appended to every broken input: parsing must go on


def codes_of(wire: bytes, **kw) -> list[list[str]]:
    """Violation codes per frame; the last frame must be the good one."""
    good = build_frame(1, b"after", mask_key=KEY) if kw.get("sender") == "client" else GOOD
    records = parse_bytes(wire + good, **kw)
    fs = [r for r in records if isinstance(r, WsFrame)]
    # after a CLOSE frame, the good data frame breaks RFC 6455 §5.5.1 itself, and says so (nothing else)
    after_close = ["frame-after-close"] if any(f.opcode == 8 for f in fs[:-1]) else []
    assert fs[-1].payload == b"after" and [v.code for v in fs[-1].violations] == after_close
    return [[v.code for v in f.violations] for f in fs[:-1]]


def rfc_of(wire: bytes, code: str, **kw) -> str:
    for r in parse_bytes(wire, **kw):
        for v in getattr(r, "violations", ()):
            if v.code == code:
                return v.rfc
    raise AssertionError(f"{code} not reported")


@pytest.mark.parametrize("opcode", [3, 4, 5, 6, 7, 11, 12, 13, 14, 15])
def test_reserved_opcode(opcode: int) -> None:
    wire = build_frame(opcode, b"x")
    assert codes_of(wire) == [["reserved-opcode"]]
    assert rfc_of(wire, "reserved-opcode") == "RFC 6455 §5.2"
    assert parse_bytes(wire)[0].opcode_name == f"RESERVED_{opcode}"


@pytest.mark.parametrize("bit", ["rsv1", "rsv2", "rsv3"])
def test_rsv_bit_without_extension(bit: str) -> None:
    wire = build_frame(2, b"x", **{bit: True})
    assert codes_of(wire) == [["rsv-without-extension"]]
    assert bit.upper() in parse_bytes(wire)[0].violations[0].message


def test_rsv1_allowed_when_deflate_negotiated_but_not_on_control_or_continuation() -> None:
    assert codes_of(build_frame(2, b"x", rsv1=True), rsv1_allowed=True) == [[]]
    assert codes_of(build_frame(9, b"", rsv1=True), rsv1_allowed=True) == [["rsv1-on-control"]]
    wire = build_frame(2, b"a", fin=False, rsv1=True) + build_frame(0, b"b", rsv1=True)
    assert codes_of(wire, rsv1_allowed=True) == [[], ["rsv1-on-continuation"]]


def test_control_frame_payload_over_125() -> None:
    wire = build_frame(9, b"x" * 126)
    assert codes_of(wire) == [["control-too-long"]]
    assert rfc_of(wire, "control-too-long") == "RFC 6455 §5.5"
    assert codes_of(build_frame(9, b"x" * 125)) == [[]]


def test_fragmented_control_frame() -> None:
    assert codes_of(build_frame(10, b"x", fin=False)) == [["control-fragmented"]]


@pytest.mark.parametrize(("size", "bits", "minimal"), [(5, 16, 7), (125, 16, 7), (5, 64, 7), (300, 64, 16)])
def test_length_not_minimally_encoded(size: int, bits: int, minimal: int) -> None:
    wire = build_frame(2, b"x" * size, length_bits=bits)
    assert codes_of(wire) == [["non-minimal-length"]]
    assert f"minimal encoding is {minimal} bits" in parse_bytes(wire)[0].violations[0].message


def test_minimal_encodings_are_clean() -> None:
    assert codes_of(build_frame(2, b"x" * 126) + build_frame(2, b"x" * 65536)) == [[], []]


def test_64_bit_length_with_msb_set_is_reported_and_truncated() -> None:
    wire = b"\x82\x7f" + (1 << 63 | 5).to_bytes(8, "big") + b"abc"
    (f,) = [r for r in parse_bytes(wire) if isinstance(r, WsFrame)]
    assert [v.code for v in f.violations] == ["length-msb-set", "truncated-frame"]
    assert f.length == 1 << 63 | 5 and f.missing == (1 << 63 | 5) - 3


def test_client_frame_unmasked_and_server_frame_masked() -> None:
    assert codes_of(build_frame(1, b"x"), sender="client") == [["client-unmasked"]]
    assert codes_of(build_frame(1, b"x", mask_key=KEY), sender="server") == [["server-masked"]]
    assert rfc_of(build_frame(1, b"x"), "client-unmasked", sender="client") == "RFC 6455 §5.1"
    # direction unknown: no masking rule applies
    assert [r.violations for r in parse_bytes(build_frame(1, b"x", mask_key=KEY) + build_frame(1, b"y"))
            if isinstance(r, WsFrame)] == [(), ()]


def test_continuation_with_nothing_to_continue() -> None:
    wire = build_frame(0, b"orphan")
    assert codes_of(wire) == [["unexpected-continuation"]]
    assert rfc_of(wire, "unexpected-continuation") == "RFC 6455 §5.4"


def test_new_data_frame_inside_fragmented_message() -> None:
    wire = build_frame(1, b"Hel", fin=False) + build_frame(2, b"new")
    records = parse_bytes(wire + GOOD)
    assert [[v.code for v in r.violations] for r in records if isinstance(r, WsFrame)] == \
        [[], ["interleaved-data-frame"], []]
    msgs = [r for r in records if isinstance(r, WsMessage)]
    assert [(m.payload, m.complete) for m in msgs] == [(b"Hel", False), (b"new", True), (b"after", True)]
    assert msgs[0].violations[0].code == "interleaved-data-frame"


def test_control_frames_interleaved_in_a_fragmented_message_are_fine() -> None:
    wire = build_frame(1, b"Hel", fin=False) + build_frame(9, b"p") + build_frame(0, b"lo")
    records = parse_bytes(wire)
    assert all(not r.violations for r in records)
    assert [r.text for r in records if isinstance(r, WsMessage)] == ["Hello"]


def test_invalid_utf8_in_text_message_single_frame() -> None:
    wire = build_frame(1, b"\xff\xfe")
    assert codes_of(wire) == [["invalid-utf8"]]
    m = next(r for r in parse_bytes(wire) if isinstance(r, WsMessage))
    assert m.text is None and m.to_json()["hex"] == "fffe" and m.violations[0].code == "invalid-utf8"


def test_utf8_checked_on_the_reassembled_message_across_fragments() -> None:
    euro = "€".encode()  # 3 bytes, split across frames: each fragment alone is invalid, the message is valid
    ok = build_frame(1, euro[:1], fin=False) + build_frame(0, euro[1:2], fin=False) + build_frame(0, euro[2:])
    assert codes_of(ok) == [[], [], []]
    assert [r.text for r in parse_bytes(ok) if isinstance(r, WsMessage)] == ["€"]
    # the message ends inside a code point: detected on the last frame
    cut = build_frame(1, b"ok", fin=False) + build_frame(0, euro[:2])
    assert codes_of(cut) == [[], ["invalid-utf8"]]
    # an invalid byte in the middle fragment is found at that fragment, reported once
    bad = build_frame(1, b"a", fin=False) + build_frame(0, b"\xc0\xaf", fin=False) + build_frame(0, b"\xff")
    assert codes_of(bad) == [[], ["invalid-utf8"], []]


def test_binary_message_is_not_checked_for_utf8() -> None:
    assert codes_of(build_frame(2, b"\xff\xfe")) == [[]]


def test_invalid_utf8_in_close_reason() -> None:
    wire = build_frame(8, (1000).to_bytes(2, "big") + b"\xff")
    assert codes_of(wire) == [["close-reason-invalid-utf8"]]
    assert rfc_of(wire, "close-reason-invalid-utf8") == "RFC 6455 §5.5.1"


def test_close_payload_of_one_byte() -> None:
    assert codes_of(build_frame(8, b"\x03")) == [["close-payload-1-byte"]]
    assert codes_of(build_frame(8, b"")) == [[]]


@pytest.mark.parametrize("code", [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535])
def test_close_code_not_allowed_on_the_wire(code: int) -> None:
    wire = build_frame(8, code.to_bytes(2, "big"))
    assert codes_of(wire) == [["close-code-invalid"]]
    assert rfc_of(wire, "close-code-invalid") == "RFC 6455 §7.4"


@pytest.mark.parametrize("code", [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4999])
def test_close_codes_allowed_on_the_wire(code: int) -> None:
    assert close_code_allowed(code)
    assert codes_of(build_frame(8, code.to_bytes(2, "big"))) == [[]]


def test_several_violations_on_one_frame_all_named() -> None:
    wire = build_frame(11, b"x" * 130, fin=False, rsv3=True, length_bits=64)
    assert codes_of(wire, sender="client") == [["reserved-opcode", "rsv-without-extension", "non-minimal-length",
                                                "client-unmasked", "control-too-long", "control-fragmented"]]


def test_every_violation_has_code_rfc_and_message() -> None:
    wire = (build_frame(3, b"") + build_frame(0, b"") + build_frame(8, b"\x00") + build_frame(1, b"\xff"))
    for r in parse_bytes(wire):
        for v in r.violations:
            assert v.code and v.rfc.startswith("RFC ") and v.message
            assert v.to_json() == {"code": v.code, "rfc": v.rfc, "message": v.message}
