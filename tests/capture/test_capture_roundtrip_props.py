"""Property: whatever frames and chunking, a capture's bytes decode to the frames that were written."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from wiretool.capture.file import CaptureWriter, read_capture
from wiretool.codec.wsbuild import build_frame
from wiretool.codec.wsframe import parse_bytes
from wiretool.records.ws import WsFrame

frames = st.lists(st.tuples(st.sampled_from([1, 2, 9, 10]), st.binary(max_size=300), st.booleans()),
                  min_size=1, max_size=8)


@settings(deadline=None, max_examples=40)
@given(frames, st.lists(st.integers(min_value=1, max_value=50), min_size=1, max_size=10), st.booleans())
def test_capture_bytes_decode_to_the_frames_written(spec: list, sizes: list[int], secrets: bool) -> None:
    stream = b"".join(build_frame(op, payload, mask=masked) for op, payload, masked in spec)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "p.wtcap"
        with CaptureWriter(path, proto="ws", url="ws://x/", show_secrets=secrets) as w:
            pos, i = 0, 0
            while pos < len(stream):
                size = sizes[i % len(sizes)]
                w.chunk("recv", i / 10, stream[pos:pos + size])
                pos, i = pos + size, i + 1
        cap = read_capture(path, records=False)
    assert cap.stream("recv") == stream and cap.warnings == []
    decoded = [r for r in parse_bytes(cap.stream("recv")) if isinstance(r, WsFrame)]
    assert [(f.opcode, f.payload) for f in decoded] == [(op, payload) for op, payload, _ in spec]
