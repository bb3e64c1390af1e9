"""Output writes NDJSON as bytes to stdout's byte stream when its text layer is UTF-8 (in order with the text
it wrote before), through the text layer otherwise; big payloads' hex goes to msgspec as raw JSON. Every line is
still the record's ``to_json()``."""

from __future__ import annotations

import io
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from wiretool.codec.wsbuild import build_frame
from wiretool.codec.wsframe import WsFrameParser
from wiretool.output.env import Environment
from wiretool.output.sink import Output
from wiretool.records.ws import WsFrame, WsMessage


def _records(wire: bytes) -> list:
    parser = WsFrameParser(sender="server", dir="recv", messages=True)
    return parser.feed(wire, 0.5) + parser.finish(0.75)


def _lines(data: bytes) -> list[dict]:
    return [json.loads(x) for x in data.decode().split("\n")[:-1]]


def test_byte_stream_keeps_the_order_of_text_written_before_and_after() -> None:
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="utf-8", write_through=False)
    out = Output(Environment(stdout=stream, stderr=io.StringIO(), json=True))
    records = _records(b"".join(build_frame(1, f"m{i}".encode()) for i in range(20)))
    out.write_json({"first": True})
    out.emit_many(records)
    out.emit(records[0])
    out.emit_many(records[:3])
    stream.flush()
    got = _lines(raw.getvalue())
    assert got == [{"first": True}, *[r.to_json() for r in records], records[0].to_json(),
                   *[r.to_json() for r in records[:3]]]


def test_a_stream_in_another_encoding_gets_text() -> None:
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="latin-1")
    out = Output(Environment(stdout=stream, stderr=io.StringIO(), json=True))
    records = _records(build_frame(1, "é".encode()))
    out.emit_many(records)
    stream.flush()
    assert raw.getvalue().decode("latin-1").split("\n")[:-1] == [
        json.dumps(r.to_json(), ensure_ascii=False, separators=(",", ":")) for r in records]


@settings(deadline=None, max_examples=30)
@given(size=st.sampled_from([(1 << 14) - 1, 1 << 14, 70_000]), opcode=st.sampled_from([1, 2]),
       unit=st.sampled_from([b"ab\"\\\n", "é\x01ÿ".encode(), "é\x01ÿ".encode() + b"\xff"]),
       count=st.integers(1, 12), small=st.integers(0, 3), path=st.sampled_from(["bytes", "text", "batched"]))
def test_big_payload_lines_equal_to_json(size: int, opcode: int, unit: bytes, count: int, small: int,
                                         path: str) -> None:
    """Big payloads' hex is spliced in at marks of 0x01 (msgspec escapes every 0x01 of a text, as here)."""
    payload = (unit * (size // len(unit) + 1))[:size]
    wire = b"".join(build_frame(opcode, payload) + build_frame(1, b"\x01" * small) for _ in range(count))
    records = _records(wire)
    assert {type(r) for r in records} == {WsFrame, WsMessage}
    raw = io.BytesIO()
    stream: io.TextIOBase = io.StringIO() if path == "text" else io.TextIOWrapper(raw, encoding="utf-8")
    out = Output(Environment(stdout=stream, stderr=io.StringIO(), json=True))
    if path == "batched":
        with out.batched():
            out.emit_many(records)
    else:
        out.emit_many(records)
    stream.flush()
    got = _lines(stream.getvalue().encode() if path == "text" else raw.getvalue())
    assert got == [r.to_json() for r in records]
    assert [list(x) for x in got] == [list(r._to_json()) for r in records]
    from wiretool.output import sink

    assert sink._SPLICED == []
