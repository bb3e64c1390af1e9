"""Property tests: the parser never raises and does not care how bytes are chunked; craft ⇄ decode round-trips."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wiretool.codec.wsframe import WsFrameParser, build_frame, fragment_frames
from wiretool.records.ws import WsFrame, WsMessage

SETTINGS = settings(deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow])

# bytes that look like frames often enough to exercise every branch, plus pure noise
_frame_bytes = st.builds(
    lambda op, payload, fin, r1, r2, r3, key, bits: build_frame(
        op, payload, fin=fin, rsv1=r1, rsv2=r2, rsv3=r3, mask_key=key,
        length_bits=max(bits, 7 if len(payload) < 126 else 16)),
    st.sampled_from([0, 1, 2, 8, 9, 10, 3, 11]), st.binary(max_size=140),
    st.booleans(), st.booleans(), st.booleans(), st.booleans(),
    st.one_of(st.none(), st.binary(min_size=4, max_size=4)), st.sampled_from([7, 7, 7, 16, 64]),
)
streams = st.one_of(
    st.binary(max_size=300),
    st.lists(st.one_of(_frame_bytes, st.binary(max_size=12)), max_size=8).map(b"".join),
)


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    chunks, last = [], 0
    for p in [*points, len(data)]:
        chunks.append(data[last:p])
        last = p
    return chunks


def run(data: bytes, chunks: list[bytes] | None = None, **kw) -> list:
    p = WsFrameParser(**kw)
    records = []
    for chunk in chunks if chunks is not None else [data]:
        records += p.feed(chunk)
    return records + p.finish()


@SETTINGS
@given(streams, st.lists(st.integers(min_value=0, max_value=400), max_size=12),
       st.sampled_from([None, "client", "server"]), st.booleans())
def test_any_bytes_any_chunking_no_exception_same_records(data: bytes, cuts: list[int], sender, deflate) -> None:
    kw = {"sender": sender, "rsv1_allowed": deflate, "deflate": deflate}
    whole = run(data, **kw)
    assert run(data, split(data, cuts), **kw) == whole
    assert run(data, [data[i : i + 1] for i in range(len(data))], **kw) == whole
    # every byte is accounted for: whole frames plus what a truncated one lacked
    fs = [r for r in whole if isinstance(r, WsFrame)]
    assert sum(f.header_length + len(f.payload) for f in fs) == len(data)
    assert all(not v.code.startswith("parser-error") for f in fs for v in f.violations)


@SETTINGS
@given(streams, st.sampled_from([None, "client", "server"]))
def test_fast_path_and_general_path_give_identical_records(data: bytes, sender) -> None:
    fast = WsFrameParser(sender=sender)
    slow = WsFrameParser(sender=sender)
    slow.fast = False
    assert fast.feed(data) + fast.finish() == slow.feed(data) + slow.finish()


@SETTINGS
@given(st.integers(min_value=0, max_value=15), st.binary(max_size=300),
       st.booleans(), st.booleans(), st.booleans(), st.booleans(),
       st.one_of(st.none(), st.binary(min_size=4, max_size=4)), st.sampled_from([None, 16, 64]))
def test_craft_then_decode_gives_back_every_field(opcode, payload, fin, rsv1, rsv2, rsv3, key, bits) -> None:
    wire = build_frame(opcode, payload, fin=fin, rsv1=rsv1, rsv2=rsv2, rsv3=rsv3, mask_key=key, length_bits=bits)
    (f,) = [r for r in run(wire) if isinstance(r, WsFrame)]
    assert (f.opcode, f.fin, f.rsv1, f.rsv2, f.rsv3) == (opcode, fin, rsv1, rsv2, rsv3)
    assert f.payload == payload and f.length == len(payload) and not f.truncated
    assert f.masked == (key is not None) and f.mask_key == (key.hex() if key else None)
    expected_bits = bits or (7 if len(payload) < 126 else 16)
    assert f.length_bits == expected_bits
    assert f.header_length == {7: 2, 16: 4, 64: 10}[expected_bits] + (4 if key else 0)
    assert f.header_length + len(payload) == len(wire)


@SETTINGS
@given(st.sampled_from([1, 2]), st.binary(max_size=400), st.integers(min_value=1, max_value=64),
       st.one_of(st.none(), st.binary(min_size=4, max_size=4)))
def test_fragment_then_decode_reassembles_the_message(opcode, payload, size, key) -> None:
    if opcode == 1:
        payload = payload.decode("utf-8", "replace").encode("utf-8")
    wire = b"".join(fragment_frames(opcode, payload, size, mask_key=key))
    records = run(wire, sender="client" if key else "server")
    fs = [r for r in records if isinstance(r, WsFrame)]
    assert all(not f.violations for f in fs)
    assert len(fs) == max(1, -(-len(payload) // size))
    (m,) = [r for r in records if isinstance(r, WsMessage)]
    assert (m.payload, m.complete, m.frames, m.opcode) == (payload, True, len(fs), opcode)


@SETTINGS
@given(st.binary(max_size=300), st.integers(min_value=0, max_value=400))
def test_a_length_that_lies_is_decoded_as_the_header_says(payload: bytes, lie: int) -> None:
    wire = build_frame(2, payload, length=lie)
    fs = [r for r in run(wire) if isinstance(r, WsFrame)]
    assert fs[0].length == lie
    if lie > len(payload):
        assert fs[0].missing == lie - len(payload)
    else:
        assert fs[0].payload == payload[:lie]


@settings(deadline=None, max_examples=40)
@given(cuts=st.lists(st.integers(0, 300_000), max_size=8), masked=st.booleans(), fragmented=st.booleans())
def test_big_frames_any_chunking_equal_one_feed(cuts: list[int], masked: bool, fragmented: bool) -> None:
    """A frame of 64 KiB or more that is buffered over many reads is taken out of the buffer by its own path
    (one copy of the payload): its records, and those of the frames around it, are the one-feed records."""
    key = b"\x01\x02\x03\x04" if masked else None
    big = bytes(range(256)) * 400  # 102,400 bytes
    frames = [build_frame(1, b"a", mask_key=key), build_frame(2, big, fin=not fragmented, mask_key=key)]
    if fragmented:
        frames.append(build_frame(0, big[:70_000], mask_key=key))
    frames += [build_frame(9, b"p", mask_key=key), build_frame(2, big[:65_536], mask_key=key)]
    wire = b"".join(frames)
    sender = "client" if masked else "server"
    whole = WsFrameParser(sender=sender, dir="recv").feed(wire, 1.0)
    parser = WsFrameParser(sender=sender, dir="recv")
    points = sorted({c % (len(wire) + 1) for c in cuts} | {0, len(wire)})
    got = [r for a, b in itertools.pairwise(points) for r in parser.feed(wire[a:b], 1.0)] + parser.finish(1.0)
    assert got == whole
