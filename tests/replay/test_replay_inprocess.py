"""``wiretool replay`` in-process (run_cli): usage errors, a replay that records itself, a light --help."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import run_cli

from wiretool.capture.file import CaptureWriter, read_capture
from wiretool.codec.wsbuild import build_frame


def _ws_capture(path: Path, url: str) -> None:
    host = url.split("//", 1)[1]
    with CaptureWriter(path, proto="ws", url=url) as w:
        w.chunk("send", 0.0, (f"GET / HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        w.chunk("recv", 0.01, b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
        w.chunk("send", 0.02, build_frame(1, b"in-process", mask_key=b"abcd"))
        w.chunk("recv", 0.03, build_frame(1, b"in-process"))
        w.chunk("send", 0.04, build_frame(8, b"\x03\xe8", mask_key=b"abcd"))
        w.chunk("recv", 0.05, build_frame(8, b"\x03\xe8"))


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    missing = run_cli(["replay", str(tmp_path / "nope.wtcap")])
    assert missing.exit_code == 2 and "cannot read capture" in missing.stderr
    future = tmp_path / "future.wtcap"
    future.write_text(json.dumps({"capture": "wiretool", "format": 99, "proto": "ws"}) + "\n")
    r = run_cli(["replay", str(future)])
    assert r.exit_code == 2 and "format 99" in r.stderr
    cap = tmp_path / "c.wtcap"
    _ws_capture(cap, "ws://127.0.0.1:9")
    assert run_cli(["replay", str(cap), "--same-mask"]).exit_code == 2
    assert run_cli(["replay", str(cap), "--ignore", "x"]).exit_code == 2
    bad = run_cli(["replay", str(cap), "--check", "--ignore", "("])
    assert bad.exit_code == 2 and "not a valid regex" in bad.stderr
    grpc = tmp_path / "g.wtcap"
    grpc.write_text(json.dumps({"capture": "wiretool", "format": 1, "proto": "grpc"}) + "\n")
    assert run_cli(["replay", str(grpc)]).exit_code == 2


def test_unreachable_server_is_exit_3(tmp_path: Path) -> None:
    from conftest import free_port

    cap = tmp_path / "c.wtcap"
    _ws_capture(cap, f"ws://127.0.0.1:{free_port()}")
    r = run_cli(["replay", str(cap), "--json"])
    assert r.exit_code == 3 and r.json_lines()[-1]["type"] == "summary"


def test_in_process_replay_checks_and_records_itself(tmp_path: Path) -> None:
    from test_replay_ws import Server

    server = Server("--show", "none")
    try:
        cap, again = tmp_path / "c.wtcap", tmp_path / "again.wtcap"
        _ws_capture(cap, server.url)
        r = run_cli(["replay", str(cap), "--check", "--record", str(again), "--no-delay"])
        assert r.exit_code == 0, r.stdout + r.stderr
        assert "replay check passed: 4 answers match the recording" in r.stdout
        # the replay's own capture replays and checks too
        assert read_capture(again).stream("send").startswith(b"GET / HTTP/1.1\r\n")
        assert run_cli(["replay", str(again), "--check", "--no-delay"]).exit_code == 0
    finally:
        server.stop()


def test_help_does_not_import_the_network_stack() -> None:
    code = ("import sys; from wiretool.cli.main import run\n"
            "try:\n    run(['replay', '--help'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('httpx', 'h2', 'websockets', 'asyncio', 'rich') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60).stdout
    assert "--check" in out and out.strip().splitlines()[-1] == "[]"
