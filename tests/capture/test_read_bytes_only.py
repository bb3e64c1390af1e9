"""``read_capture(records=False)`` of a format-1 capture: the bytes and the warnings, without parsing the
record lines."""

from __future__ import annotations

from pathlib import Path

from capture_lines import text

from wiretool.capture.file import CaptureWriter, read_capture


def test_bytes_only_read_keeps_chunks_and_the_truncation_warning(tmp_path: Path) -> None:
    path = tmp_path / "c.wtcap"
    with CaptureWriter(path, proto="ws", url="ws://x/", show_secrets=True) as w:
        w.chunk("send", 0.1, b"\x81\x80abcd")
        w.record({"proto": "ws", "type": "connect", "t": 0.1})
        w.chunk("recv", 0.2, b"\x81\x00", conn=2)
    path.write_text(text(path) + '{"kind":"record","record":{"proto":"ws","ty')
    full, fast = read_capture(path), read_capture(path, records=False)
    assert len(full.records) == 1 and fast.records == []
    assert [(c.dir, c.data, c.conn) for c in fast.chunks] == [(c.dir, c.data, c.conn) for c in full.chunks] == [
        ("send", b"\x81\x80abcd", 0), ("recv", b"\x81\x00", 2)]
    assert fast.warnings == full.warnings and "truncated" in fast.warnings[0]
