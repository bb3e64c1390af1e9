"""``replay`` of an SSE capture keeps only what ``--check`` compares (issue 12 #9): a server whose stream goes
on past what was recorded (here 32 MB, then 128 MB of heartbeats after the one recorded event) is read no
further than the recording plus 1 MiB, so the replay's peak RSS stays flat while that stream grows 4x.
"""

from __future__ import annotations

import base64
import json
import socket
import subprocess
import sys
import threading
from pathlib import Path

from conftest import WIRETOOL

ANSWER_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n"


def _server(tail_mb: int) -> tuple[int, threading.Thread]:
    """One connection: the recorded event, then ``tail_mb`` MB of comments, then the end of the stream."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    srv.settimeout(30)

    def serve() -> None:
        with srv:
            conn, _ = srv.accept()
            with conn:
                conn.settimeout(30)
                try:
                    conn.recv(65536)
                    conn.sendall(ANSWER_HEAD + b"data: x\n\n")
                    pad = b": " + b"p" * 1021 + b"\n"
                    for _ in range(tail_mb):
                        conn.sendall(pad * 1024)
                except OSError:
                    pass  # the replay stopped reading: that is the point

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return srv.getsockname()[1], thread


def _capture(path: Path, port: int) -> Path:
    lines = [{"capture": "wiretool", "format": 1, "proto": "sse", "url": f"http://127.0.0.1:{port}/",
              "request_headers": []},
             {"kind": "bytes", "dir": "send", "t": 0.0,
              "b64": base64.b64encode(b"GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").decode()},
             {"kind": "bytes", "dir": "recv", "t": 0.01,
              "b64": base64.b64encode(ANSWER_HEAD + b"data: x\n\n").decode()}]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def _replay_peak(tmp_path: Path, tail_mb: int) -> tuple[int, str, int]:
    port, thread = _server(tail_mb)
    cap = _capture(tmp_path / f"r{tail_mb}.wtcap", port)
    code = ("import json, resource, subprocess, sys\n"
            "p = subprocess.run(sys.argv[1:], capture_output=True, stdin=subprocess.DEVNULL)\n"
            "print(json.dumps([p.returncode, p.stdout.decode('utf-8', 'replace')[-3000:]"
            " + p.stderr.decode('utf-8', 'replace')[-3000:], resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss]))\n")
    proc = subprocess.run([sys.executable, "-c", code, WIRETOOL, "replay", str(cap), "--check", "--no-delay"],
                          capture_output=True, timeout=120, env={"NO_COLOR": "1", "COLUMNS": "200", "PATH": "/usr/bin:/bin"})
    thread.join(30)
    rc, out, rss = json.loads(proc.stdout)
    return rc, out, rss


def test_a_stream_that_goes_on_past_the_recording_is_not_kept(tmp_path: Path) -> None:
    rc, out, small = _replay_peak(tmp_path, 32)
    assert rc == 7, out
    assert "went on past the recording" in out and "response 1 end differs" in out
    rc, out, big = _replay_peak(tmp_path, 128)
    assert rc == 7, out
    assert big < small + 20_000, f"peak RSS {small} kB -> {big} kB while the stream grew 4x"
    assert big < 120_000, f"peak RSS {big} kB"
