"""The one protobuf varint reader and writer: round trips, the encoding guide's examples, hostile input."""

from __future__ import annotations

import pytest

from wiretool.codec.protobuf import read_varint, write_varint


@pytest.mark.parametrize(("value", "wire"), [(0, "00"), (1, "01"), (150, "9601"), (300, "ac02"),
                                             (2**64 - 1, "ffffffffffffffffff01")])
def test_encoding_guide_examples(value: int, wire: str) -> None:
    assert write_varint(value).hex() == wire
    assert read_varint(bytes.fromhex(wire), 0) == (value, len(wire) // 2)


def test_round_trip_at_an_offset() -> None:
    for value in (*range(0, 70_000, 97), 2**31, 2**35 + 5, 2**63):
        data = b"\xaa" + write_varint(value) + b"\xbb"
        assert read_varint(data, 1) == (value, len(data) - 1)


@pytest.mark.parametrize("wire", ["", "80", "ffff", "80" * 10 + "01"])
def test_truncated_or_too_long_is_none(wire: str) -> None:
    assert read_varint(bytes.fromhex(wire), 0) is None
