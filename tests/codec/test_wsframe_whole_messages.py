"""``whole_messages=False`` (the frames view of ``ws connect``): the same frame records, the message record of a
plain whole frame left out and counted in ``plain``; every other message still there."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from wiretool.codec.wsbuild import build_frame
from wiretool.codec.wsframe import WsFrameParser
from wiretool.records.ws import WsFrame, WsMessage


def _plain(frame: WsFrame) -> bool:
    head = frame.head
    return (not frame.violations and not frame.missing and len(head) == 2 and head[0] in (0x81, 0x82)
            and (head[0] == 0x82 or frame.payload.isascii()))


@settings(deadline=None, max_examples=200)
@given(st.lists(st.tuples(st.sampled_from([0, 1, 2, 8, 9, 10, 3]), st.binary(max_size=140), st.booleans(),
                          st.booleans()), min_size=1, max_size=10), st.integers(1, 7))
def test_same_frames_plain_messages_left_out(frames: list[tuple[int, bytes, bool, bool]], step: int) -> None:
    wire = b"".join(build_frame(op, payload, fin=fin, mask=mask) for op, payload, fin, mask in frames)
    every, some = (WsFrameParser(sender="server", dir="recv", whole_messages=w) for w in (True, False))
    full: list = []
    part: list = []
    for i in range(0, len(wire), step):
        full += every.feed(wire[i:i + step], 1.0)
        part += some.feed(wire[i:i + step], 1.0)
    full += every.finish(2.0)
    part += some.finish(2.0)
    assert [r for r in part if type(r) is WsFrame] == [r for r in full if type(r) is WsFrame]
    expected: list = []
    left_out = 0
    for i, rec in enumerate(full):
        if (type(rec) is WsMessage and rec.frames == 1 and i > 0 and type(full[i - 1]) is WsFrame
                and _plain(full[i - 1]) and full[i - 1].payload == rec.payload and not rec.violations):
            left_out += 1
            continue
        expected.append(rec)
    assert part == expected
    assert some.plain == left_out
