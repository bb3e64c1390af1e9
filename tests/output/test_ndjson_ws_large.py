"""The NDJSON line of a large payload is the record's ``to_json()``, whether its text needs escaping or not,
valid UTF-8 or not (large frames take the same msgspec path as small ones; escaping is done in C)."""

from __future__ import annotations

import io
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from wiretool.codec.wsbuild import build_frame
from wiretool.codec.wsframe import WsFrameParser
from wiretool.output.env import Environment
from wiretool.output.sink import Output

bodies = st.one_of(st.text(min_size=1, max_size=40).map(str.encode), st.binary(min_size=1, max_size=40))


def _line(records: list) -> list[dict]:
    stream = io.StringIO()
    Output(Environment(stdout=stream, stderr=io.StringIO(), json=True)).emit_many(records)
    return [json.loads(x) for x in stream.getvalue().split("\n")[:-1]]


@settings(deadline=None, max_examples=150)
@given(body=bodies, repeat=st.integers(13, 200), insert=st.one_of(st.none(), st.integers(0, 0x7F)),
       at=st.integers(0, 10**6), opcode=st.sampled_from([1, 2]))
def test_large_frame_line_equals_to_json(body: bytes, repeat: int, insert: int | None, at: int, opcode: int) -> None:
    payload = body * max(repeat, 512 // len(body) + 1)
    if insert is not None:  # one byte that may need escaping (a control, a quote, a backslash), anywhere
        at %= len(payload) + 1
        payload = payload[:at] + bytes((insert,)) + payload[at:]
    assert len(payload) >= 512
    parser = WsFrameParser(sender="server", dir="recv")
    (frame,) = [r for r in parser.feed(build_frame(opcode, payload), 0.5) if r.type == "frame"]
    assert _line([frame]) == [frame.to_json()]


def test_a_megabyte_text_comes_back_whole_and_escaped() -> None:
    text = ("é\"\\\n" * 1000 + "a") * 256
    (frame,) = [r for r in WsFrameParser(sender="server", dir="recv").feed(build_frame(1, text.encode()), 0.5)
                if r.type == "frame"]
    (line,) = _line([frame])
    assert line["payload_text"] == text and bytes.fromhex(line["payload_hex"]) == text.encode()
