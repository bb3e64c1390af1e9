"""Output's NDJSON (msgspec) for ws records is the documented object: the fast ``to_json()`` of a plain frame or
message equals the field-by-field one, keys in the same order."""

from __future__ import annotations

import io
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from wiretool.codec.wsbuild import build_frame
from wiretool.codec.wsframe import WsFrameParser
from wiretool.output.env import Environment
from wiretool.output.sink import Output


@settings(deadline=None, max_examples=150)
@given(st.lists(st.tuples(st.sampled_from([0, 1, 2, 8, 9, 10, 3]), st.binary(max_size=40), st.booleans(),
                          st.booleans()), min_size=1, max_size=8),
       st.sampled_from(["client", "server", None]), st.sampled_from(["send", "recv", None]))
def test_fast_lines_equal_to_json(frames: list[tuple[int, bytes, bool, bool]], sender: str | None,
                                  dir: str | None) -> None:
    wire = b"".join(build_frame(op, payload, fin=fin, mask=mask) for op, payload, fin, mask in frames)
    parser = WsFrameParser(sender=sender, dir=dir, messages=True)
    records = parser.feed(wire, 1.25) + parser.finish(1.5)
    stream = io.StringIO()
    Output(Environment(stdout=stream, stderr=io.StringIO(), json=True)).emit_many(records)
    lines = stream.getvalue().split("\n")[:-1]
    assert len(lines) == len(records)
    for rec, line in zip(records, lines, strict=True):
        assert json.loads(line) == rec.to_json() == rec._to_json()
        assert list(json.loads(line)) == list(rec._to_json())


def test_text_message_with_invalid_utf8_keeps_its_name_and_hex() -> None:
    (_frame, message) = WsFrameParser(messages=True).feed(build_frame(1, b"\xff\xfe"))
    assert message.to_json() == message._to_json()
    assert message.to_json()["opcode_name"] == "TEXT" and message.to_json()["hex"] == "fffe"


def test_output_batched_writes_everything_once_and_in_order() -> None:
    stdout = io.StringIO()
    out = Output(Environment(stdout=stdout, stderr=io.StringIO(), json=True))
    wire = b"".join(build_frame(1, b"m%d" % i) for i in range(1200))
    with out.batched():
        for rec in WsFrameParser(messages=False).feed(wire):
            out.emit(rec)
        out.summary(0, frames=1200)
    lines = [json.loads(x) for x in stdout.getvalue().split("\n")[:-1]]
    assert [x["payload_text"] for x in lines[:-1]] == [f"m{i}" for i in range(1200)]
    assert lines[-1]["type"] == "summary"


class _CountingIO(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.flushes = 0

    def flush(self) -> None:
        self.flushes += 1
        super().flush()


@settings(deadline=None, max_examples=60)
@given(st.lists(st.tuples(st.sampled_from([1, 2, 8, 9]), st.binary(max_size=20)), min_size=1, max_size=6))
def test_emit_many_writes_the_lines_of_emit_with_one_flush(frames: list[tuple[int, bytes]]) -> None:
    from wiretool.records import Note

    wire = b"".join(build_frame(op, payload, mask=True) for op, payload in frames)
    decoded = WsFrameParser(sender="client", dir="send", messages=True).feed(wire, 0.25)
    records = [*decoded[:1], Note(t=0.3, text="not in NDJSON"), *decoded[1:], Note(t=0.4, text="nor this")]
    one, many = _CountingIO(), _CountingIO()
    each = Output(Environment(stdout=one, stderr=io.StringIO(), json=True))
    for rec in records:
        each.emit(rec)
    together = Output(Environment(stdout=many, stderr=io.StringIO(), json=True))
    together.emit_many(records)
    assert many.getvalue() == one.getvalue() and many.flushes == 1
