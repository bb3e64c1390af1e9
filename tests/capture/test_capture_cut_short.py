"""A capture cut short (issue 11 #12): ``ws connect --record`` killed with SIGKILL while the last frame was still
arriving decodes everything before it, with a warning that the recording was cut short, and exits 0; a real
violation in the captured bytes is still exit 5.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

from conftest import WIRETOOL, hostile_ws_server, run_wiretool, ws_switching

CUT = "the capture ends inside a frame: the recording was cut short"


def _record_then_kill(tmp_path: Path, tail: bytes) -> Path:
    """A server that floods text frames, then sends ``tail`` and waits; the client is SIGKILLed once the
    capture holds every byte the server sent."""
    frame = b"\x81\x05hello"
    sent = ws_switching  # the head depends on the request: its size is added once known
    total = [0]

    def script(conn: socket.socket, request: bytes) -> None:
        head = sent(request)
        data = head + frame * 2000 + tail
        total[0] = len(data) - len(head)
        conn.sendall(data)
        time.sleep(20)  # the rest of the frame never comes: the client is killed meanwhile

    url, _thread = hostile_ws_server(script)
    cap = tmp_path / "flood.wtcap"
    proc = subprocess.Popen([WIRETOOL, "ws", "connect", url, "--record", str(cap), "--json"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "NO_COLOR": "1"})
    try:
        for _ in range(400):  # until the recorded bytes after the head cover what the server sent
            got = _recv_bytes(cap)
            if total[0] and got >= total[0]:
                break
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    return cap


def _recv_bytes(cap: Path) -> int:
    from wiretool.capture.file import read_capture
    from wiretool.errors import UsageError

    if not cap.exists():
        return 0
    try:
        return len(read_capture(cap).stream("recv"))
    except UsageError:  # the header line is not written yet
        return 0


def test_a_capture_killed_inside_a_frame_decodes_with_a_warning_exit_0(tmp_path: Path) -> None:
    cap = _record_then_kill(tmp_path, b"\x81\x7e\x10\x00" + b"x" * 100)  # a 4096-byte frame, 100 bytes of it
    res = run_wiretool(["--json", "frame", "decode", "--capture", str(cap)])
    assert res.exit_code == 0, res.stdout[-2000:] + res.stderr
    records = res.json_lines()
    frames = [r for r in records if r.get("type") == "frame" and r.get("dir") == "recv"]
    assert len(frames) == 2001 and all(f["payload_text"] == "hello" for f in frames[:-1])
    assert frames[-1]["violations"] == [] and frames[-1]["length"] == 4096
    assert f"wiretool: warning: {CUT}" in res.stderr and records[-1]["warnings"] == 1
    assert records[-1]["type"] == "summary" and records[-1]["exit_code"] == 0
    pretty = run_wiretool(["frame", "decode", "--capture", str(cap)])
    assert pretty.exit_code == 0 and CUT in pretty.stdout + pretty.stderr


def test_a_real_violation_in_a_capture_is_still_exit_5(tmp_path: Path) -> None:
    cap = _record_then_kill(tmp_path, b"\x81\x85" + b"\x00" * 4 + b"x" * 2)  # masked by the server, and cut short
    res = run_wiretool(["--json", "frame", "decode", "--capture", str(cap)])
    assert res.exit_code == 5, res.stderr
    last = [r for r in res.json_lines() if r.get("type") == "frame"][-1]
    assert "truncated-frame" not in {v["code"] for v in last["violations"]} and last["violations"]
