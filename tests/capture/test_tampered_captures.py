"""Tampered or corrupt capture files: one line and exit 2 ("unreadable capture ..."), or a warning and going on.

Each file here is something a careless edit, a crash or a hostile colleague can produce; none may be an internal
error. They are read through the installed entry point, by both commands that read captures.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from capture_lines import to_format1
from conftest import ServeProcess, run_wiretool

from wiretool.capture.file import read_capture

HEADER = {"capture": "wiretool", "format": 1, "wiretool": "0.1.0", "proto": "ws", "url": "ws://127.0.0.1:9/x",
          "request_headers": [], "method": "GET"}
FRAME = "gQJoaQ=="  # 81 02 'hi': one valid server frame


def write(path: Path, header: dict | str, *lines: str) -> Path:
    head = header if isinstance(header, str) else json.dumps(header)
    path.write_text("\n".join([head, *lines]) + "\n")
    return path


def bytes_line(t: object = 0.1, b64: object = FRAME, dir: str = "recv") -> str:
    raw_t = t if isinstance(t, str) else json.dumps(t)  # a str is written as is: Infinity, NaN
    return json.dumps({"kind": "bytes", "dir": dir, "t": "T", "b64": b64}).replace('"T"', raw_t)


@pytest.mark.parametrize(("name", "header", "lines", "said"), [
    ("deep", HEADER, ["[" * 100_000 + "]" * 100_000], "nested too deeply"),
    ("huge-int", HEADER, ['{"kind":"bytes","dir":"recv","t":' + "9" * 5000 + ',"b64":"' + FRAME + '"}'],
     "number too long"),
    ("headers-not-pairs", {**HEADER, "request_headers": [["a"], 3]}, [bytes_line()], "request_headers"),
    ("headers-not-list", {**HEADER, "request_headers": "Authorization: x"}, [bytes_line()], "request_headers"),
    ("url-not-string", {**HEADER, "url": 7}, [bytes_line()], "'url'"),
])
@pytest.mark.parametrize("command", [["frame", "decode", "--capture"], ["replay", "--no-delay"]])
def test_malformed_capture_is_a_usage_error(tmp_path: Path, name: str, header: dict, lines: list[str], said: str,
                                            command: list[str]) -> None:
    path = write(tmp_path / f"{name}.wtcap", header, *lines)
    result = run_wiretool([*command, str(path)], timeout=60)
    assert result.exit_code == 2, result
    assert "unreadable capture" in result.stderr and said in result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr


@pytest.mark.parametrize("b64", [123, None, ["gQ=="], "not base64!"])
def test_bytes_line_without_base64_text_is_skipped_with_a_warning(tmp_path: Path, b64: object) -> None:
    cap = read_capture(write(tmp_path / "c.wtcap", HEADER, bytes_line(b64=b64), bytes_line(0.2)))
    assert [c.data for c in cap.chunks] == [b"\x81\x02hi"]
    assert any("no valid base64" in w for w in cap.warnings)


@pytest.mark.parametrize("t", ["Infinity", "-Infinity", "NaN", 1e300, -5])
def test_a_time_that_is_not_finite_or_absurd_is_clamped_with_a_warning(tmp_path: Path, t: object) -> None:
    cap = read_capture(write(tmp_path / "c.wtcap", HEADER, bytes_line(0.5), bytes_line(t), bytes_line(0.7)))
    assert [c.t for c in cap.chunks] == [0.5, 0.5, 0.7]
    assert len(cap.warnings) == 1 and "taken as 0.5 s" in cap.warnings[0]


def test_replay_of_a_capture_with_an_infinite_pause_does_not_sleep_forever(tmp_path: Path) -> None:
    """A `t` of Infinity used to be a pause to keep: the replay slept until killed (issue 12 #13)."""
    server = ServeProcess("ws")
    try:
        cap = tmp_path / "s.wtcap"
        assert run_wiretool(["ws", "connect", server.url, "--send", "one", "--send", "two", "--count", "2",
                             "--record", str(cap)]).exit_code == 0
        to_format1(cap)  # the rules for a tampered line are format 1's (captures older wiretools wrote)
        lines = cap.read_text().splitlines()
        sends = [i for i, line in enumerate(lines) if '"kind":"bytes"' in line and '"dir":"send"' in line]
        last = json.loads(lines[sends[-1]])
        last["t"] = "T"
        lines[sends[-1]] = json.dumps(last).replace('"T"', "Infinity")
        cap.write_text("\n".join(lines) + "\n")
        result = run_wiretool(["replay", str(cap), server.url], timeout=60)
        assert result.exit_code == 0, result
        assert "not finite" in result.stdout + result.stderr
    finally:
        server.stop()


def test_unknown_direction_is_skipped_with_a_warning(tmp_path: Path) -> None:
    cap = read_capture(write(tmp_path / "c.wtcap", {**HEADER, "proto": "h2"}, bytes_line(dir="sideways"),
                             bytes_line(0.2)))
    assert len(cap.chunks) == 1 and any("unknown dir" in w for w in cap.warnings)


def test_capture_header_url_keeps_no_password(tmp_path: Path) -> None:
    from wiretool.capture.file import CaptureWriter

    for name, keep in (("hidden", False), ("kept", True)):
        with CaptureWriter(tmp_path / name, proto="ws", url="ws://alice:PASSWORD@127.0.0.1:9/x", show_secrets=keep):
            pass
    assert read_capture(tmp_path / "hidden").header["url"] == "ws://alice:<redacted>@127.0.0.1:9/x"
    assert b"PASSWORD" not in (tmp_path / "hidden").read_bytes()
    assert read_capture(tmp_path / "kept").header["url"] == "ws://alice:PASSWORD@127.0.0.1:9/x"
