"""The reflection client's messages are built and read with the one varint codec (codec/protobuf.py)."""

from __future__ import annotations

from wiretool.codec.protobuf import write_varint
from wiretool.transport.h2_grpc import reflection_files, reflection_request


def test_reflection_messages_use_it() -> None:
    assert reflection_request(symbol="demo.Greeter") == b"\x22\x0c" + b"demo.Greeter"
    file_descriptor = b"\x0a\x03abc"
    response = b"\x22" + write_varint(len(file_descriptor) + 2) + b"\x0a" + write_varint(len(file_descriptor)) \
        + file_descriptor
    assert reflection_files(response) == ([file_descriptor], None)
    assert reflection_files(b"\x22\x80")[1].startswith("unreadable reflection response")
