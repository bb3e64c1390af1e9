"""The fast ``to_json()`` of plain frames and messages is the field-by-field one, and the messages-mode codec (no frame record
for a plain whole message) finds the same messages and violations in any chunking."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from wiretool.codec.wsbuild import build_frame
from wiretool.codec.wsframe import WsFrameParser
from wiretool.records.ws import WsMessage

payloads = st.one_of(st.binary(max_size=300), st.text(max_size=100).map(str.encode))


@settings(deadline=None, max_examples=150)
@given(opcode=st.sampled_from([0, 1, 2, 3, 8, 9, 10, 11]), payload=payloads, fin=st.booleans(),
       rsv1=st.booleans(), key=st.one_of(st.none(), st.binary(min_size=4, max_size=4)),
       sender=st.sampled_from([None, "client", "server"]))
def test_frame_line_equals_to_json(opcode: int, payload: bytes, fin: bool, rsv1: bool, key: bytes | None,
                                   sender: str | None) -> None:
    wire = build_frame(opcode, payload, fin=fin, rsv1=rsv1, mask_key=key)
    parser = WsFrameParser(sender=sender, dir="recv")
    for rec in parser.feed(wire, 1.25) + parser.finish(2.5):
        if rec.type == "frame":
            assert list(rec.to_json().items()) == list(rec._to_json().items())
            assert list(rec.to_json().items()) == list(rec._to_json().items())  # the cached template, twice


@settings(deadline=None, max_examples=100)
@given(payload=payloads, binary=st.booleans(), frames=st.integers(1, 5))
def test_message_line_equals_to_json(payload: bytes, binary: bool, frames: int) -> None:
    record = WsMessage(t=0.5, dir="recv", opcode=2 if binary else 1, payload=payload, frames=frames)
    assert list(record.to_json().items()) == list(record._to_json().items())


@settings(deadline=None, max_examples=100)
@given(cuts=st.lists(st.integers(0, 400), max_size=6), bits=st.sampled_from([7, 16, 64]))
def test_messages_mode_codec_any_chunking(cuts: list[int], bits: int) -> None:
    """``frames=False`` drops only the frame records of plain whole messages: the messages, the other frames
    and every violation (a non-minimal length among them) are those of the full codec."""
    frames = [build_frame(1, b"a" * 130), build_frame(2, b"b" * 3, length_bits=bits), build_frame(9, b"p"),
              build_frame(1, b"xy"), build_frame(1, b"z", fin=False), build_frame(0, b"w")]
    wire = b"".join(frames)
    full = WsFrameParser(sender="server", dir="recv").feed(wire, 1.0)
    quiet = WsFrameParser(sender="server", dir="recv", frames=False)
    points = sorted({c % (len(wire) + 1) for c in cuts} | {0, len(wire)})
    got = [r for a, b in itertools.pairwise(points) for r in quiet.feed(wire[a:b], 1.0)] + quiet.finish(1.0)
    assert [r for r in got if r.type == "message"] == [r for r in full if r.type == "message"]
    kept = [r for r in full if r.type != "frame" or r.violations or len(r.payload) >= 126 or r.opcode in (0, 9)
            or not r.fin]
    assert [r for r in got if r.type == "frame"] == [r for r in kept if r.type == "frame"]
    assert any(v.code == "non-minimal-length" for r in got for v in r.violations) == (bits != 7)
    assert quiet.skipped == len([r for r in full if r.type == "frame"]) - len([r for r in kept if r.type == "frame"])


def test_session_tap_records_every_byte_and_decodes_after_skip() -> None:
    from wiretool.session import ListSink, Tap
    from wiretool.transport.ws_tap import WsView, frame_parser

    sink = ListSink(clock=lambda: 2.0)
    view = WsView(dir="recv", show="frames")
    shown: list = []
    tap = Tap(frame_parser(sender="server", dir="recv"), dir="recv", clock=sink.now,
              on_records=lambda recs: shown.extend(view.select(recs)[0]), on_bytes=sink.chunk)
    head = b"HTTP/1.1 101 Switching Protocols\r\n\r\n"
    wire = head + build_frame(1, b"hi") + build_frame(8, b"\x03\xe8")
    tap.feed(wire[:-3], skip=len(head))
    tap.feed(wire[-3:])
    assert b"".join(c.data for c in sink.chunks) == wire and tap.bytes == len(wire)
    assert [r.opcode_name for r in shown] == ["TEXT", "CLOSE"] and view.close_seen == (1000, "")
    assert view.frames == 2 and all(r.t == 2.0 for r in shown)


def test_messages_mode_codec_frames_after_close_are_named() -> None:
    """After a CLOSE, the messages-mode short path is left: a data frame after it carries its violation."""
    wire = build_frame(1, b"a") + build_frame(8, b"\x03\xe8") + build_frame(1, b"late")
    got = WsFrameParser(sender="server", dir="recv", frames=False).feed(wire, 1.0)
    late = [r for r in got if r.type == "frame" and r.payload == b"late"]
    assert late and any(v.code == "frame-after-close" for v in late[0].violations)
