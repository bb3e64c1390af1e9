"""``frame decode`` (ws) reports a violation like every failing run, and decodes large input a chunk at a time."""

from __future__ import annotations

import io
import json

from wiretool.cli import frame_decode
from wiretool.codec.wsbuild import build_frame
from wiretool.codec.wsframe import WsFrameParser, parse_bytes
from wiretool.output.env import Environment
from wiretool.output.sink import Output


def test_violation_gives_error_record_then_summary_and_a_stderr_line(wiretool) -> None:
    r = wiretool(["frame", "decode", "8105", "48656c6c6f", "--from", "client", "--json"])
    assert r.exit_code == 5
    lines = r.json_lines()
    assert [rec["type"] for rec in lines[-2:]] == ["error", "summary"]
    assert lines[-2]["exit_code"] == 5 and "1 protocol violation" in lines[-2]["message"]
    assert r.stderr.startswith("wiretool: error: 1 protocol violation") and r.stderr.count("\n") == 1


def test_valid_input_has_no_error_record(cli) -> None:
    r = cli(["frame", "decode", "8105", "48656c6c6f", "--json"])
    assert r.exit_code == 0 and r.stderr == ""
    assert "error" not in [rec["type"] for rec in r.json_lines()]


def test_large_input_is_fed_in_chunks_with_the_same_records(monkeypatch) -> None:
    """A multi-MiB input is parsed CHUNK bytes at a time (bounded record lists), offsets unchanged."""
    raw = b"".join(build_frame(2, bytes([i % 251]) * 9000) for i in range(120))  # ~1 MiB, frames cut by chunks
    fed: list[int] = []
    real_feed = WsFrameParser.feed

    def feed(self: WsFrameParser, data, t: float = 0.0):  # type: ignore[no-untyped-def]
        fed.append(len(data))
        return real_feed(self, data, t)

    monkeypatch.setattr(WsFrameParser, "feed", feed)
    stdout = io.StringIO()
    env = Environment(json=True, color=False, debug=False, stdout=stdout, stderr=io.StringIO())
    code = frame_decode.decode_ws(raw, Output(env, proto="ws"))
    assert code == 0
    assert max(fed) <= frame_decode.CHUNK and len(fed) > 1
    got = [json.loads(line) for line in stdout.getvalue().splitlines()]
    frames = [rec for rec in got if rec["type"] == "frame"]
    want = [r for r in parse_bytes(raw) if r.type == "frame"]
    assert [(f["offset"], f["length"]) for f in frames] == [(w.offset, len(w.payload)) for w in want]
    assert got[-1]["frames"] == 120 and got[-1]["bytes"] == len(raw)


def test_craft_close_reason_not_utf8_is_written_as_is(cli) -> None:
    """``--close-reason`` with bytes that are not UTF-8 (a hostile close to test a peer with): no internal error."""
    r = cli(["frame", "craft", "--close-code", "1000", "--close-reason", "\udcff"])
    assert r.exit_code == 0, r.stderr
    assert r.stdout.strip() == "880303e8ff"
