"""Hostile bytes to the HTTP/2 frame view: never an exception, memory bounded (hypothesis)."""

from __future__ import annotations

import tracemalloc

from hpack import Encoder
from hyperframe.frame import ContinuationFrame, HeadersFrame
from hypothesis import given, settings
from hypothesis import strategies as st

from wiretool.codec.h2frame import PREFACE, H2FrameView

# Frame headers with arbitrary type/flags/stream and a body close to the declared length, so that
# hypothesis reaches the body parsers rather than waiting forever for bytes.
_frame = st.builds(
    lambda typ, flags, sid, body, cut: (len(body).to_bytes(3, "big") + bytes([typ, flags])
                                        + sid.to_bytes(4, "big") + body)[: None if cut else -1],
    st.integers(0, 12), st.integers(0, 255), st.sampled_from([0, 1, 2, 3, 0x80000001]),
    st.binary(max_size=64), st.booleans())
_stream = st.lists(st.one_of(_frame, st.binary(max_size=40)), max_size=12).map(b"".join)
# HEADERS / PUSH_PROMISE / CONTINUATION whose blocks start like real HPACK (a valid block, a huge table
# size update, an integer that never ends, a truncated literal) and go on with garbage.
_block = st.builds(
    lambda pre, junk, typ, flags: (len(pre + junk).to_bytes(3, "big") + bytes([typ, flags]) + b"\x00\x00\x00\x01"
                                   + pre + junk),
    st.sampled_from([Encoder().encode([(":status", "200"), ("x", "y" * 30)]), b"\x3f\xe1\x1f",
                     b"\x7f\xff\xff\xff\xff\x0f", b"\x40\x85", b""]),
    st.binary(max_size=30), st.sampled_from([1, 5, 9]), st.integers(0, 255))


@settings(deadline=None, max_examples=300)
@given(st.one_of(_stream, _stream.map(lambda b: PREFACE + b), st.lists(_block, max_size=8).map(b"".join)),
       st.integers(1, 50))
def test_any_bytes_give_records_never_an_exception(data: bytes, chunk: int):
    view = H2FrameView(preface={"send": "auto", "recv": "auto"}, keep_data=True, hpack_entries=True)
    for direction in ("send", "recv"):
        recs = []
        for i in range(0, len(data), chunk):
            recs += view.feed(direction, data[i:i + chunk])
        recs += view.finish(direction)
        for rec in recs:
            rec.to_json()


@settings(deadline=None, max_examples=20)
@given(st.integers(1, 4096), st.integers(200, 400))
def test_continuation_flood_memory_is_bounded(size: int, count: int):
    view = H2FrameView(preface={"send": "none"})
    flood = ContinuationFrame(1, data=b"\x40" * size).serialize()
    tracemalloc.start()
    try:
        view.feed("recv", HeadersFrame(1, data=b"\x40").serialize())
        base = tracemalloc.get_traced_memory()[0]
        for _ in range(count):
            view.feed("recv", flood)  # records dropped, as a streaming consumer does
        grown = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    assert grown < 256 * 1024, grown  # at most the 64 KiB block cap plus one frame, not size * count
