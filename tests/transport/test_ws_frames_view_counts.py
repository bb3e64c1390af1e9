"""The frames view of ``ws connect`` makes no message record for a plain whole frame (the codec's short path):
its messages are still counted, ``--count`` still stops on them, every frame is still shown, and whatever is not
plain (fragments, non-ASCII text, control frames, a frame past --max-size) still goes the protocol's way."""

from __future__ import annotations

import pytest
from conftest import run_cli
from test_ws_client import close_frame, raw_server, records

from wiretool.codec.wsbuild import build_frame

MIXED = (build_frame(1, b"plain") + build_frame(2, b"\x00\x01") + build_frame(1, "é".encode())
         + build_frame(1, b"fr", fin=False) + build_frame(9, b"p") + build_frame(0, b"ag")
         + build_frame(2, b"b" * 300) + build_frame(1, b"") + build_frame(10, b"q"))


@pytest.mark.parametrize("flood", [0, 5000])
def test_every_message_counted_and_every_frame_shown(flood: int) -> None:
    wire = build_frame(1, b"x" * 16) * flood + MIXED + close_frame(1000)
    with raw_server(wire) as srv:
        result = run_cli(["ws", "connect", srv.url, "--json", "--no-stdin", "--timeout", "20"])
    assert result.exit_code == 0, result.stderr
    frames = [f for f in records(result, "frame") if f["dir"] == "recv"]
    assert [f["opcode_name"] for f in frames[flood:flood + 10]] == ["TEXT", "BINARY", "TEXT", "TEXT", "PING",
                                                                    "CONT", "BINARY", "TEXT", "PONG", "CLOSE"]
    assert all(f["opcode_name"] == "TEXT" and f["payload_text"] == "x" * 16 for f in frames[:flood])
    assert not [m for m in records(result, "message") if m["dir"] == "recv"]  # the frames view shows frames
    summary = records(result, "summary")[0]
    assert summary["messages_in"] == flood + 6
    assert summary["frames_in"] == len(frames)  # (the test server echoes our close: a second CLOSE)


def test_count_stops_on_plain_frames() -> None:
    with raw_server(build_frame(1, b"m") * 3 + MIXED, then="hang") as srv:
        result = run_cli(["ws", "connect", srv.url, "--json", "--no-stdin", "--count", "2", "--timeout", "20"])
    assert result.exit_code == 0, result.stderr
    assert records(result, "summary")[0]["messages_in"] >= 2


def test_max_size_below_the_short_path_still_refuses() -> None:
    with raw_server(build_frame(1, b"y" * 100)) as srv:
        result = run_cli(["ws", "connect", srv.url, "--json", "--no-stdin", "--max-size", "50", "--timeout", "20"])
    assert result.exit_code == 5
    assert records(result, "close")[0]["sent_code"] == 1009
