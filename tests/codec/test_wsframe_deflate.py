"""permessage-deflate (RFC 7692): messages compressed by websockets' own extension are inflated back."""

from __future__ import annotations

import pytest
from websockets.extensions.permessage_deflate import PerMessageDeflate
from websockets.frames import Frame, Opcode

from wiretool.codec.wsdeflate import deflate_message
from wiretool.codec.wsframe import build_frame, fragment_frames, parse_bytes
from wiretool.records.ws import WsFrame, WsMessage

TEXTS = ["Hello, Hello, Hello, compression!", "Hello again, Hello again", "é" * 50, ""]


def compressed_stream(no_context_takeover: bool) -> bytes:
    """What a websockets peer sends for TEXTS with permessage-deflate negotiated (server side, unmasked)."""
    ext = PerMessageDeflate(remote_no_context_takeover=no_context_takeover,
                            local_no_context_takeover=no_context_takeover,
                            remote_max_window_bits=15, local_max_window_bits=15)
    return b"".join(Frame(Opcode.TEXT, t.encode()).serialize(mask=False, extensions=[ext]) for t in TEXTS)


@pytest.mark.parametrize("no_context_takeover", [False, True])
def test_inflates_messages_from_a_real_peer(no_context_takeover: bool) -> None:
    wire = compressed_stream(no_context_takeover)
    records = parse_bytes(wire, sender="server", rsv1_allowed=True, deflate=True,
                          no_context_takeover=no_context_takeover)
    msgs = [r for r in records if isinstance(r, WsMessage)]
    assert [m.text for m in msgs] == TEXTS
    assert all(m.compressed and not m.violations for m in msgs)
    assert all(f.rsv1 and not f.violations for f in records if isinstance(f, WsFrame))


def test_context_takeover_stream_needs_the_shared_window() -> None:
    wire = compressed_stream(no_context_takeover=False)
    records = parse_bytes(wire, rsv1_allowed=True, deflate=True, no_context_takeover=True)
    assert any(v.code == "inflate-failed" for r in records for v in getattr(r, "violations", ()))


def test_without_deflate_the_compressed_bytes_are_kept_and_flagged() -> None:
    records = parse_bytes(compressed_stream(True), rsv1_allowed=True)
    msgs = [r for r in records if isinstance(r, WsMessage)]
    assert all(m.compressed and m.text is None and not m.violations for m in msgs)
    plain = parse_bytes(compressed_stream(True))
    assert {v.code for f in plain if isinstance(f, WsFrame) for v in f.violations} == {"rsv-without-extension"}


def test_fragmented_compressed_message_is_inflated_across_frames() -> None:
    body = ("fragmented and compressed " * 20).encode()
    wire = b"".join(fragment_frames(1, deflate_message(body), 7, rsv1=True))
    records = parse_bytes(wire, rsv1_allowed=True, deflate=True)
    (m,) = [r for r in records if isinstance(r, WsMessage)]
    assert m.payload == body and m.frames > 1 and not m.violations


def test_garbage_compressed_data_is_a_violation_not_an_exception() -> None:
    wire = build_frame(2, b"\xff\xff\xff\xff", rsv1=True) + build_frame(1, deflate_message(b"fine"), rsv1=True)
    records = parse_bytes(wire, rsv1_allowed=True, deflate=True)
    fs = [r for r in records if isinstance(r, WsFrame)]
    assert fs[0].violations[0].code == "inflate-failed" and fs[0].violations[0].rfc == "RFC 7692 §7.2.2"
    assert [m.text for m in records if isinstance(m, WsMessage)][1] == "fine"


def test_invalid_utf8_inside_compressed_text_is_found_after_inflation() -> None:
    wire = build_frame(1, deflate_message(b"ok \xff"), rsv1=True)
    records = parse_bytes(wire, rsv1_allowed=True, deflate=True)
    assert [v.code for v in records[0].violations] == ["invalid-utf8"]
