"""Captures made by the previous wiretool (format 1, ``tests/capture/data``) still replay and ``replay --check``
against today's servers, and export to pcapng and HAR."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import ServeProcess, run_wiretool

DATA = Path(__file__).parent / "data"


@pytest.mark.parametrize("proto, path", [("ws", ""), ("sse", "/events?count=3&interval=0.01"), ("h2", "")])
def test_a_format_1_capture_replays_with_check(tmp_path: Path, proto: str, path: str) -> None:
    server = ServeProcess(proto, *(["--show", "none"] if proto == "ws" else []))
    try:
        cap = DATA / f"format1-{proto}.wtcap"
        url = server.url + (path or "/")
        again = tmp_path / "again.wtcap"
        res = run_wiretool(["replay", str(cap), url, "--no-delay", "--check", "--record", str(again), "--json"])
        assert res.exit_code == 0, res.stdout[-1500:] + res.stderr
        assert json.loads(again.read_bytes().split(b"\n", 1)[0])["format"] == 2  # its own capture: today's format
    finally:
        server.stop()


def test_a_format_1_capture_exports_to_pcapng_that_tshark_reads(tmp_path: Path) -> None:
    out, har = tmp_path / "ws.pcapng", tmp_path / "ws.har"
    res = run_wiretool(["capture", "export", str(DATA / "format1-ws.wtcap"), "--pcapng", str(out), "--har", str(har)])
    assert res.exit_code == 0, res.stderr
    port = urlsplit(json.loads((DATA / "format1-ws.wtcap").read_text().split("\n", 1)[0])["url"]).port
    shown = subprocess.run(["tshark", "-r", str(out), "-d", f"tcp.port=={port},http", "-Y", "websocket"],
                           capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0 and shown.stdout.count("WebSocket") >= 6, shown.stdout + shown.stderr
    entry = json.loads(har.read_text())["log"]["entries"][0]
    assert [m["data"] for m in entry["_webSocketMessages"]] == ["hello", "hello", "world", "world"]
