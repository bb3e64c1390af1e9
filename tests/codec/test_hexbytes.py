"""The one hex reader: every way people paste bytes reads the same; what is not hex says why."""

from __future__ import annotations

import re

import pytest

from wiretool.codec.hexbytes import HexError, parse_hex


@pytest.mark.parametrize("text", ["8105", "81 05", "81:05", "81,05", "81;05", "81-05", "81_05", "0x81 0x05",
                                  "\\x81\\x05", "0X81,0X05", " 81\n05\t", "8 1 0 5"])
def test_pasted_forms_read_alike(text: str) -> None:
    assert parse_hex(text) == b"\x81\x05"


def test_empty_is_no_bytes() -> None:
    assert parse_hex("") == b"" and parse_hex(" , ") == b""


@pytest.mark.parametrize(("text", "why"), [("zz", "unexpected character 'z'"), ("810", "odd number of hex digits (3)"),
                                           ("81 g5", "unexpected character 'g'")])
def test_not_hex_says_why(text: str, why: str) -> None:
    with pytest.raises(HexError, match=re.escape(why)):
        parse_hex(text)
    assert issubclass(HexError, ValueError)
