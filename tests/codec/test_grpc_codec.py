"""The gRPC message layer and the schema-less protobuf view: pure, lenient, bounded."""

from __future__ import annotations

import gzip
import zlib

from hypothesis import given, settings
from hypothesis import strategies as st

from wiretool.codec.grpc import GrpcMessageAssembler, parse_status, status_name
from wiretool.codec.protobuf import decode_message


def frame(payload: bytes, compressed: bool = False) -> bytes:
    return bytes([int(compressed)]) + len(payload).to_bytes(4, "big") + payload


# HelloRequest{name: "world"} and a nested message {1: 150, 2: {1: "abc"}}
HELLO = b"\x0a\x05world"
NESTED = b"\x08\x96\x01\x12\x05\x0a\x03abc"


def test_protobuf_string_field() -> None:
    (field,) = decode_message(HELLO)
    assert (field.number, field.wire_type, field.kind, field.value) == (1, 2, "string", "world")


def test_protobuf_varint_and_nested_message() -> None:
    first, second = decode_message(NESTED)
    assert (first.number, first.kind, first.value) == (1, "varint", 150)
    assert second.kind == "message"
    assert [(f.number, f.kind, f.value) for f in second.value] == [(1, "string", "abc")]


def test_protobuf_fixed_widths() -> None:
    data = b"\x0d" + (7).to_bytes(4, "little") + b"\x11" + (9).to_bytes(8, "little")
    assert [(f.kind, f.value) for f in decode_message(data)] == [("fixed32", 7), ("fixed64", 9)]


def test_protobuf_binary_bytes_stay_bytes() -> None:
    (field,) = decode_message(b"\x1a\x02\xff\x00")
    assert field.kind == "bytes" and field.value == b"\xff\x00"


def test_protobuf_truncated_length_is_reported() -> None:
    fields = decode_message(b"\x0a\x10abc")
    assert fields[-1].kind == "invalid"
    assert "past the end" in fields[-1].value


def test_message_split_across_data_frames() -> None:
    wire = frame(HELLO) + frame(NESTED)
    asm = GrpcMessageAssembler(stream_id=1)
    got = []
    for i in range(len(wire)):
        got += asm.feed(wire[i : i + 1])
    assert [m.payload for m in got] == [HELLO, NESTED]
    assert got[0].fields is not None and got[0].fields[0].value == "world"
    assert asm.finish() == []


def test_several_messages_in_one_data_frame() -> None:
    asm = GrpcMessageAssembler()
    msgs = asm.feed(frame(HELLO) * 3)
    assert [m.length for m in msgs] == [len(HELLO)] * 3


def test_gzip_and_deflate_messages_are_inflated() -> None:
    for enc, packed in (("gzip", gzip.compress(HELLO)), ("deflate", zlib.compress(HELLO))):
        (msg,) = GrpcMessageAssembler(encoding=enc).feed(frame(packed, compressed=True))
        assert msg.compressed and msg.payload == HELLO and not msg.violations


def test_compressed_without_encoding_is_a_violation() -> None:
    (msg,) = GrpcMessageAssembler().feed(frame(b"junk", compressed=True))
    assert [v.code for v in msg.violations] == ["grpc-compression"]


def test_zip_bomb_is_not_inflated() -> None:
    bomb = gzip.compress(b"\0" * (8 * 1024 * 1024))
    (msg,) = GrpcMessageAssembler(encoding="gzip", max_message=1024 * 1024).feed(frame(bomb, compressed=True))
    assert [v.code for v in msg.violations] == ["grpc-compression"]
    assert "exceeds" in msg.violations[0].message


def test_huge_length_prefix_is_reported_not_allocated() -> None:
    asm = GrpcMessageAssembler(max_message=1024)
    (msg,) = asm.feed(b"\x00\xff\xff\xff\xff" + b"x" * 100)
    assert msg.length == 0xFFFFFFFF
    assert [v.code for v in msg.violations] == ["grpc-too-large"]
    assert len(asm._buf) == 0
    assert asm.feed(b"y" * 1000) == []


def test_truncated_message_reported_at_finish() -> None:
    asm = GrpcMessageAssembler()
    assert asm.feed(frame(HELLO)[:-2]) == []
    (msg,) = asm.finish()
    assert [v.code for v in msg.violations] == ["grpc-truncated"]


def test_status_from_trailers_is_percent_decoded() -> None:
    st_ = parse_status([("grpc-status", "5"), ("grpc-message", "no%20such%20thing%E2%9C%93")], stream_id=3)
    assert st_ is not None
    assert (st_.code, st_.name, st_.message, st_.stream_id) == (5, "NOT_FOUND", "no such thing✓", 3)
    assert parse_status([(":status", "200")]) is None
    assert status_name(99) == "CODE_99"


@settings(deadline=None, max_examples=300)
@given(st.binary(max_size=2048), st.lists(st.integers(min_value=1, max_value=64), max_size=20))
def test_any_bytes_any_chunking_never_raise_and_stay_bounded(data: bytes, cuts: list[int]) -> None:
    asm = GrpcMessageAssembler(max_message=4096, encoding="gzip")
    pos = 0
    for cut in cuts:
        asm.feed(data[pos : pos + cut])
        pos += cut
    asm.feed(data[pos:])
    asm.finish()
    assert len(asm._buf) == 0
    decode_message(data)
