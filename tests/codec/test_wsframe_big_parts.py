"""Frames of 64 KiB and more, fed in any chunking: their payload is joined once from the reads kept as they came
(``_take_big``); the records equal those of one feed, ``pending``/``fed`` count every byte kept, and a stream cut
inside a big frame is reported with what it lacked."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from wiretool.codec.wsbuild import build_frame
from wiretool.codec.wsframe import WsFrameParser


@settings(deadline=None, max_examples=40)
@given(st.lists(st.tuples(st.sampled_from([1, 2]), st.sampled_from([10, 70_000, 1 << 17]), st.booleans()),
                min_size=1, max_size=4),
       st.lists(st.integers(1, 90_000), min_size=1, max_size=30), st.integers(0, 200_000))
def test_any_chunking_gives_the_records_of_one_feed(frames: list[tuple[int, int, bool]], cuts: list[int],
                                                    drop: int) -> None:
    wire = b"".join(build_frame(op, bytes([65 + i % 26]) * size, mask=mask)
                    for i, (op, size, mask) in enumerate(frames))
    wire = wire[:max(1, len(wire) - drop)]
    whole = WsFrameParser(sender=None, dir="recv")
    expected = whole.feed(wire, 1.0) + whole.finish(1.0)
    parser = WsFrameParser(sender=None, dir="recv")
    got: list = []
    pos = 0
    k = 0
    while pos < len(wire):
        step = cuts[k % len(cuts)]
        k += 1
        got += parser.feed(memoryview(wire)[pos:pos + step], 1.0)
        pos += step
        assert parser.fed == min(pos, len(wire))
        assert parser.pending == parser.fed - sum(len(r.head) + len(r.payload) for r in got if r.type == "frame")
    got += parser.finish(1.0)
    assert got == expected
