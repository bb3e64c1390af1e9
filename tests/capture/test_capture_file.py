"""Capture files: written block by block, read back losslessly, tolerant of a killed writer (format 1's
truncated last line too: captures older wiretools wrote)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from capture_lines import to_format1

from wiretool.capture.file import FORMAT, CaptureWriter, read_capture
from wiretool.errors import UsageError


def write_sample(path: Path, *, show_secrets: bool = False) -> None:
    with CaptureWriter(path, proto="ws", url="ws://127.0.0.1:1/x",
                       request_headers=[("Authorization", "Bearer s3cret"), ("X-Test", "1")],
                       show_secrets=show_secrets) as cap:
        cap.chunk("send", 0.001, b"\x81\x85abcd")
        cap.chunk("recv", 0.002, b"\x81\x02hi")
        cap.record({"proto": "ws", "type": "connect", "t": 0.0, "peer": "127.0.0.1:1"})  # no byte rebuilds it
        cap.record({"proto": "ws", "type": "frame", "t": 0.002, "dir": "recv"})  # the bytes rebuild it: not kept


def test_round_trip_keeps_every_byte_in_order(tmp_path: Path) -> None:
    path = tmp_path / "s.wtcap"
    write_sample(path)
    cap = read_capture(path)
    assert cap.proto == "ws" and cap.header["format"] == FORMAT
    assert [(c.dir, c.data) for c in cap.chunks] == [("send", b"\x81\x85abcd"), ("recv", b"\x81\x02hi")]
    assert cap.stream("recv") == b"\x81\x02hi"
    assert [r["type"] for r in cap.records] == ["connect"]
    assert cap.warnings == []


def test_secrets_are_redacted_unless_asked(tmp_path: Path) -> None:
    write_sample(tmp_path / "a", show_secrets=False)
    write_sample(tmp_path / "b", show_secrets=True)
    assert dict(read_capture(tmp_path / "a").header["request_headers"])["Authorization"] == "<redacted>"
    assert dict(read_capture(tmp_path / "b").header["request_headers"])["Authorization"] == "Bearer s3cret"


def test_truncated_last_line_is_tolerated_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "cut.wtcap"
    write_sample(path)
    to_format1(path)
    text = path.read_text()
    path.write_text(text + '{"kind": "bytes", "dir": "recv", "t": 0.3, "b64": "gQ')
    cap = read_capture(path)
    assert len(cap.chunks) == 2
    assert len(cap.warnings) == 1 and "truncated" in cap.warnings[0]


def test_every_chunk_is_written_as_it_comes(tmp_path: Path) -> None:
    path = tmp_path / "live.wtcap"
    cap = CaptureWriter(path, proto="sse", url="http://x/")
    cap.chunk("recv", 0.1, b"data: 1\n\n")
    assert [c.data for c in read_capture(path).chunks] == [b"data: 1\n\n"]  # before close: on disk already
    cap.close()


def test_newer_format_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "future.wtcap"
    path.write_text(json.dumps({"capture": "wiretool", "format": FORMAT + 1}) + "\n")
    with pytest.raises(UsageError, match="format"):
        read_capture(path)


def test_not_a_capture_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.txt"
    path.write_text("hello\n")
    with pytest.raises(UsageError):
        read_capture(path)
