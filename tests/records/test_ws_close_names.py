"""One close code, one name: the ws ``frame`` record and the ``close`` record of the same close agree."""

from __future__ import annotations

from wiretool.codec.wsclose import close_payload
from wiretool.codec.wsframe import build_frame, parse_bytes
from wiretool.records.ws import WsFrame
from wiretool.records.ws_session import WsClose, close_name


def test_frame_and_close_records_name_every_code_alike() -> None:
    wire = b"".join(build_frame(8, close_payload(code, b"r")) for code in range(5000))
    frames = [r for r in parse_bytes(wire) if isinstance(r, WsFrame)]
    assert [f.close_code for f in frames] == list(range(5000))
    for frame in frames:
        code = frame.close_code
        close = WsClose(code=code, code_name=close_name(code))
        assert frame.to_json()["close_code_name"] == close.to_json()["code_name"], code


def test_the_documented_names() -> None:
    assert [close_name(c) for c in (1004, 1007, 3001, 4000, 999, 2000)] == \
        ["RESERVED", "INVALID_PAYLOAD_DATA", "REGISTERED", "PRIVATE", "UNUSED", "UNASSIGNED"]
    assert close_name(None) is None
