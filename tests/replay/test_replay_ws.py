"""``ws connect --record`` then ``wiretool replay``, through the installed entry point, against ``serve ws``.

The session recorded holds text, binary, a fragmented message, a ping and a close; replays are checked
on the client side (``--check``) and on the server side (the frames ``serve ws --json`` saw).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import WIRETOOL, ServeProcess, run_wiretool

from wiretool.capture.file import CaptureWriter, read_capture

ENV = {**os.environ, "NO_COLOR": "1", "COLUMNS": "120"}

SESSION = "hello\n/binary 0102ff\n/raw 01 82 00 00 00 00 68 65\n/raw 80 83 00 00 00 00 6c 6c 6f\n/ping abc\n/close 1000 bye\n"
"""Text, binary, "hello" fragmented by hand into TEXT(FIN=0) + CONT(FIN=1) with zero masks, a ping, a close."""


class Server(ServeProcess):
    """``wiretool --json serve ws --port 0 ...``; ``stop()`` returns the records it printed."""

    def __init__(self, *args: str) -> None:
        super().__init__("ws", *args)


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for s in started:
        s.stop()


def start(servers: list[Server], *args: str) -> Server:
    s = Server(*args)
    servers.append(s)
    return s


def record(url: str, path: Path, *extra: str, session: str = SESSION) -> list[dict]:
    """Record a ``ws connect`` session to ``path``; return the records it printed (``--json``)."""
    r = run_wiretool(["ws", "connect", url, "--commands", "--record", str(path), "--json", "--timeout", "20",
                      *extra], input=session)
    assert r.exit_code == 0, r.stderr
    assert path.exists()
    return r.json_lines()


def client_frames(server_records: list[dict]) -> list[dict]:
    return [r for r in server_records if r.get("type") == "frame" and r.get("dir") == "recv"]


def test_record_then_replay_check_passes_with_a_one_line_summary(tmp_path: Path, servers: list[Server]) -> None:
    cap = tmp_path / "s.wtcap"
    record(start(servers, "--show", "none").url, cap)
    second = start(servers, "--show", "none")
    r = run_wiretool(["replay", str(cap), second.url, "--check", "--timeout", "30"])
    assert r.exit_code == 0, r.stdout + r.stderr
    passed = [line for line in r.stdout.splitlines() if line.startswith("replay check passed")]
    assert passed == ["replay check passed: 6 answers match the recording"]
    j = run_wiretool(["replay", str(cap), second.url, "--check", "--json", "--no-delay"])
    check = [x for x in j.json_lines() if x["type"] == "check"]
    assert j.exit_code == 0 and check[0]["ok"] is True and check[0]["difference"] is None


def test_changed_answers_fail_with_exit_7_and_a_readable_diff(tmp_path: Path, servers: list[Server]) -> None:
    cap = tmp_path / "s.wtcap"
    record(start(servers, "--show", "none").url, cap)
    script = tmp_path / "changed.txt"
    script.write_text("recv\nsend HELLO\nrecv\nsend-hex 01 02 ff\nrecv\nsend hello\n")
    changed = start(servers, "--mode", "script", str(script), "--show", "none")
    r = run_wiretool(["replay", str(cap), changed.url, "--check", "--no-delay"])
    assert r.exit_code == 7
    assert "replay check FAILED: first difference at answer 3: message 1 (TEXT)" in r.stdout
    assert '  - recorded: "hello"' in r.stdout and '  + replayed: "HELLO"' in r.stdout
    assert "  = handshake status: 101" in r.stdout  # context: what matched just before
    assert "replay check failed: message 1 (TEXT) differs" in r.stderr


def test_ignore_regex_masks_volatile_text(tmp_path: Path, servers: list[Server]) -> None:
    cap = tmp_path / "s.wtcap"
    record(start(servers, "--show", "none").url, cap)
    script = tmp_path / "changed.txt"
    script.write_text("recv\nsend HELLO\nrecv\nsend-hex 01 02 ff\nrecv\nsend hello\n")
    changed = start(servers, "--mode", "script", str(script), "--show", "none")
    r = run_wiretool(["replay", str(cap), changed.url, "--check", "--no-delay", "--ignore", "(?i)hello"])
    assert r.exit_code == 0, r.stdout


def test_json_payloads_compare_as_json_with_ignore_path(tmp_path: Path, servers: list[Server]) -> None:
    cap = tmp_path / "j.wtcap"
    # --count 1: the close goes after the answer, so the replay waits for it too (a script server does
    # not answer a message that arrives together with a close)
    record(start(servers, "--show", "none").url, cap, "--send", '{"user": {"name": "ann", "id": 1}, "ok": true}',
           "--count", "1", session="")
    script = tmp_path / "json.txt"
    script.write_text('recv\nsend {"ok": true, "user": {"id": 2, "name": "ann"}}\n')
    changed = start(servers, "--mode", "script", str(script), "--show", "none")
    r = run_wiretool(["replay", str(cap), changed.url, "--check", "--no-delay", "--json"])
    assert r.exit_code == 7
    diff = next(x for x in r.json_lines() if x["type"] == "check")["difference"]
    assert (diff["path"], diff["recorded"], diff["replayed"]) == ("$.user.id", 1, 2)  # key order did not matter
    changed2 = start(servers, "--mode", "script", str(script), "--show", "none")
    ok = run_wiretool(["replay", str(cap), changed2.url, "--check", "--no-delay", "--ignore-path", "$.user.id"])
    assert ok.exit_code == 0, ok.stdout


def test_exact_reproduces_the_recorded_fragmentation_on_the_server_side(tmp_path: Path,
                                                                           servers: list[Server]) -> None:
    cap = tmp_path / "s.wtcap"
    record(start(servers, "--show", "none").url, cap)
    exact = start(servers)
    r = run_wiretool(["replay", str(cap), exact.url, "--exact", "--no-delay", "--check"])
    assert r.exit_code == 0, r.stdout + r.stderr
    seen = [(f["opcode_name"], f["fin"]) for f in client_frames(exact.stop())]
    assert seen == [("TEXT", True), ("BINARY", True), ("TEXT", False), ("CONT", True), ("PING", True),
                    ("CLOSE", True)]
    plain = start(servers)
    r = run_wiretool(["replay", str(cap), plain.url, "--no-delay"])
    assert r.exit_code == 0
    seen = [(f["opcode_name"], f["fin"]) for f in client_frames(plain.stop())]
    assert seen == [("TEXT", True), ("BINARY", True), ("TEXT", True), ("PING", True), ("CLOSE", True)]


def test_masks_are_fresh_unless_same_mask(tmp_path: Path, servers: list[Server]) -> None:
    cap = tmp_path / "s.wtcap"
    record(start(servers, "--show", "none").url, cap)
    recorded = [r["mask_key"] for r in json.loads("[" + ",".join(
        line for line in run_wiretool(["frame", "decode", "--capture", str(cap), "--json"]).stdout.splitlines()) + "]")
        if r["type"] == "frame" and r["dir"] == "send"]
    same = start(servers)
    assert run_wiretool(["replay", str(cap), same.url, "--exact", "--same-mask", "--no-delay"]).exit_code == 0
    assert [f["mask_key"] for f in client_frames(same.stop())] == recorded
    fresh = start(servers)
    assert run_wiretool(["replay", str(cap), fresh.url, "--exact", "--no-delay"]).exit_code == 0
    keys = [f["mask_key"] for f in client_frames(fresh.stop())]
    assert len(keys) == len(recorded) and keys != recorded
    bad = run_wiretool(["replay", str(cap), fresh.url, "--same-mask"])
    assert bad.exit_code == 2 and "--same-mask needs --exact" in bad.stderr


def _paced_capture(path: Path, url: str, gap: float) -> None:
    """A hand-made capture: a handshake and two text messages sent ``gap`` seconds apart."""
    host = url.split("//", 1)[1]
    head = (f"GET / HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").encode()
    from wiretool.codec.wsbuild import build_frame

    with CaptureWriter(path, proto="ws", url=url) as w:
        w.chunk("send", 0.0, head)
        w.chunk("recv", 0.01, b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
        w.chunk("send", 0.02, build_frame(1, b"one", mask_key=b"abcd"))
        w.chunk("send", 0.02 + gap, build_frame(1, b"two", mask_key=b"abcd"))
        w.chunk("send", 0.03 + gap, build_frame(8, b"\x03\xe8", mask_key=b"abcd"))


def _send_gap(result_lines: list[dict]) -> float:
    sent = [r["t"] for r in result_lines if r["type"] == "frame" and r["dir"] == "send" and r["opcode_name"] == "TEXT"]
    assert len(sent) == 2
    return sent[1] - sent[0]


def test_recorded_timing_speed_and_no_delay(tmp_path: Path, servers: list[Server]) -> None:
    server = start(servers, "--show", "none")
    cap = tmp_path / "paced.wtcap"
    _paced_capture(cap, server.url, 2.0)
    paced = run_wiretool(["replay", str(cap), "--json"])
    assert paced.exit_code == 0 and _send_gap(paced.json_lines()) >= 2.0
    fast = run_wiretool(["replay", str(cap), "--json", "--speed", "4"])
    assert fast.exit_code == 0 and 0.5 <= _send_gap(fast.json_lines()) < 2.0
    none = run_wiretool(["replay", str(cap), "--json", "--no-delay"])
    assert none.exit_code == 0 and _send_gap(none.json_lines()) < 1.0


def _all_bytes(path: Path) -> bytes:
    return b"".join(c.data for c in read_capture(path).chunks)


def test_secrets_are_redacted_in_header_and_bytes_unless_show_secrets(tmp_path: Path,
                                                                       servers: list[Server]) -> None:
    server = start(servers, "--show", "none")
    hidden, shown = tmp_path / "hidden.wtcap", tmp_path / "shown.wtcap"
    secret = ["-H", "Authorization: Bearer s3cret-token", "-H", "Cookie: sid=c00kie"]
    record(server.url, hidden, *secret, session="hi\n/close\n")
    record(server.url, shown, *secret, "--show-secrets", session="hi\n/close\n")
    text = hidden.read_bytes()
    assert b"s3cret" not in text and b"c00kie" not in text
    assert b"s3cret" not in _all_bytes(hidden) and b"Authorization: <redacted>" in _all_bytes(hidden)
    assert read_capture(hidden).header["secrets"] == "redacted"
    assert b"Authorization: Bearer s3cret-token" in _all_bytes(shown)
    assert dict(read_capture(shown).header["request_headers"])["Authorization"] == "Bearer s3cret-token"
    # a redacted secret is not sent on replay (and says so); -H gives it back
    watch = start(servers, "--show-secrets")
    r = run_wiretool(["replay", str(hidden), watch.url, "--no-delay"])
    assert r.exit_code == 0 and "Authorization was redacted in the capture" in r.stdout
    r = run_wiretool(["replay", str(hidden), watch.url, "--no-delay", "-H", "Authorization: Bearer again"])
    assert r.exit_code == 0
    seen = [dict(h["headers"]) for h in watch.stop() if h.get("type") == "handshake" and h.get("dir") == "recv"]
    assert "Authorization" not in seen[0] and seen[1]["Authorization"] == "Bearer again"


def test_killed_recorder_leaves_a_capture_that_decodes_to_its_last_full_line(tmp_path: Path,
                                                                              servers: list[Server]) -> None:
    flood = start(servers, "--mode", "flood", "--messages", "100000000", "--size", "200", "--show", "none")
    cap = tmp_path / "killed.wtcap"
    proc = subprocess.Popen([WIRETOOL, "ws", "connect", flood.url, "--record", str(cap), "--json", "--no-stdin"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    try:
        import time

        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and (not cap.exists() or cap.stat().st_size < 200_000):
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    data = cap.read_bytes()
    cut = data + bytes([0x02, 0x00, 0x00, 0x10]) + b"\x81\x0e"  # whatever the kill left, the last chunk is now cut
    cap.write_bytes(cut)
    r = run_wiretool(["frame", "decode", "--capture", str(cap), "--json"])
    assert r.exit_code in (0, 5), r.stderr
    assert "the last chunk is cut short" in r.stderr
    lines = r.json_lines()
    frames = [x for x in lines if x["type"] == "frame" and x["dir"] == "recv"]
    summary = lines[-1]
    assert summary["type"] == "summary" and summary["warnings"] >= 1
    assert len(frames) > 100 and summary["chunks"] == len(read_capture(cap).chunks)


def test_wss_capture_replays_with_cacert(tmp_path: Path, servers: list[Server]) -> None:
    proc = subprocess.Popen([WIRETOOL, "--json", "serve", "ws", "--port", "0", "--self-signed", "--show", "none"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=ENV)
    try:
        assert proc.stdout is not None
        first = json.loads(proc.stdout.readline())
        url, ca = first["url"], first["cacert"]
        cap = tmp_path / "tls.wtcap"
        record(url, cap, "--cacert", ca, session="over tls\n/close\n")
        assert read_capture(cap).stream("send").startswith(b"GET / HTTP/1.1\r\n")  # plaintext, not TLS records
        ok = run_wiretool(["replay", str(cap), "--cacert", ca, "--check", "--no-delay"])
        assert ok.exit_code == 0, ok.stdout + ok.stderr
        untrusted = run_wiretool(["replay", str(cap), "--check"])
        assert untrusted.exit_code == 3 and "certificate" in untrusted.stderr
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=20)
