"""The frame line of a large payload (the path that skips escaping a text that needs none) is the record's
``to_json()``, whether the text needs escaping or not, valid UTF-8 or not."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from wiretool.codec.wsbuild import build_frame
from wiretool.codec.wsframe import WsFrameParser
from wiretool.output.ndjson_ws import frame_json_line, payload_text_json

bodies = st.one_of(st.text(min_size=1, max_size=40).map(str.encode), st.binary(min_size=1, max_size=40))


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
    assert json.loads(frame_json_line(frame)) == frame.to_json()


def test_plain_text_is_not_escaped_again() -> None:
    """A text that needs no escaping is its decoded self, left open for the caller's closing quote."""
    opened, text = payload_text_json("é".encode() * 600)
    assert opened.endswith('"') and text == "é" * 600
    assert payload_text_json(b"a\nb" * 300)[1] == json.dumps("a\nb" * 300, ensure_ascii=False)
    assert payload_text_json(b"\xff" * 600)[1] == "null"
