"""The pretty WebSocket frame view: every field drawn, odd frames drawn without errors, other records delegated."""

from __future__ import annotations

import io
from typing import ClassVar

from wiretool.codec.wsframe import build_frame, parse_bytes
from wiretool.output.env import Environment
from wiretool.output.sink import Output
from wiretool.records import Record


def draw(records: list[Record]) -> str:
    stdout = io.StringIO()
    out = Output(Environment(stdout=stdout, stderr=io.StringIO(), color=False), proto="ws")
    for r in records:
        out.emit(r)
    return stdout.getvalue()


def test_frame_block_shows_header_fields_and_payload() -> None:
    text = draw(parse_bytes(build_frame(1, b"Hello", mask_key=bytes.fromhex("37fa213d")), dir="recv"))
    first, second, third = text.splitlines()[:3]
    assert "←" in first and "TEXT" in first and "FIN" in first and "len=5" in first and "@0" in first
    assert "rsv=000" in second and "mask=37fa213d" in second and "length: 7-bit" in second and "header 6 B" in second
    assert third.strip() == "│ Hello"
    assert "message TEXT" in text


def test_truncated_and_broken_frames_render() -> None:
    text = draw(parse_bytes(b"\x82"))
    assert "TRUNCATED: 1 bytes missing" in text and "len=?" in text
    text = draw(parse_bytes(build_frame(8, b"\x03\xe8\xff\xfe") + build_frame(1, b"abc", fin=False)))
    assert "close code 1000 NORMAL_CLOSURE" in text and "close-reason-invalid-utf8" in text
    assert "INCOMPLETE" in text


def test_long_payloads_are_cut_in_the_view() -> None:
    text = draw(parse_bytes(build_frame(1, b"a" * 5000), messages=False))
    assert "more characters" in text
    text = draw(parse_bytes(build_frame(2, bytes(1000)), messages=False))
    assert "744 more bytes" in text


def test_multiline_text_keeps_lines_but_escapes_carriage_returns() -> None:
    text = draw(parse_bytes(build_frame(1, b"one\ntwo\rthree"), messages=False))
    assert "│ one\n" in text and "│ two\\rthree" in text


class _OtherWs(Record, frozen=True, kw_only=True):
    proto: ClassVar[str] = "ws"
    type: ClassVar[str] = "other-thing"
    detail: str = ""


def test_other_ws_records_are_delegated_and_still_safe() -> None:
    text = draw([_OtherWs(detail="\x1b[31m[bold]x")])
    assert "other-thing" in text and "\\x1b[31m[bold]x" in text and "\x1b" not in text
