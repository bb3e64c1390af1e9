"""``wiretool ws connect`` through the installed entry point, against ``wiretool serve ws`` in a subprocess.

Covers what only a real process shows: the listening line, stdin pipes, slash commands, wss with the
server's self-signed CA, crafted raw frames, Ctrl-C (SIGINT) handling with a close 1000 and exit 130.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import WIRETOOL, ServeProcess, run_wiretool

from wiretool.codec.wsbuild import build_frame

ENV = {**os.environ, "NO_COLOR": "1", "COLUMNS": "120"}


class Server(ServeProcess):
    """``wiretool serve ws --port 0 ...`` in a subprocess."""

    def __init__(self, *args: str) -> None:
        super().__init__("ws", *args)


@pytest.fixture
def echo_server() -> Iterator[Server]:
    server = Server()
    yield server
    server.stop()
    code = server.proc.returncode
    assert code == 0


def of(result_lines: list[dict], kind: str) -> list[dict]:
    return [r for r in result_lines if r["type"] == kind]


def test_quick_start_round_trip_frames_in_json(echo_server: Server) -> None:
    result = run_wiretool(["ws", "connect", echo_server.url, "--send", "hello", "--count", "1", "--json"])
    assert result.exit_code == 0, result.stderr
    lines = result.json_lines()
    frames = of(lines, "frame")
    out = next(f for f in frames if f["dir"] == "send" and f["opcode_name"] == "TEXT")
    back = next(f for f in frames if f["dir"] == "recv" and f["opcode_name"] == "TEXT")
    assert out["masked"] and out["mask_key"] and out["payload_text"] == "hello" and out["length"] == 5
    assert not back["masked"] and back["mask_key"] is None and back["payload_text"] == "hello"
    closes = [f for f in frames if f["opcode_name"] == "CLOSE"]
    assert [f["dir"] for f in closes] == ["send", "recv"] and closes[0]["close_code"] == 1000
    assert of(lines, "close")[0]["clean"] is True
    assert lines[-1] == {**lines[-1], "type": "summary", "exit_code": 0, "messages_in": 1}


def test_pretty_view_is_the_default(echo_server: Server) -> None:
    result = run_wiretool(["ws", "connect", echo_server.url, "--send", "hello", "--count", "1"])
    assert result.exit_code == 0, result.stderr
    assert "101 Switching Protocols" in result.stdout and "NORMAL_CLOSURE" in result.stdout
    assert "{" not in result.stdout.splitlines()[0]


def test_payload_escapes_and_markup_print_visibly(echo_server: Server) -> None:
    nasty = "\x1b[31mred[bold]x"
    result = run_wiretool(["ws", "connect", echo_server.url, "--send", nasty, "--count", "1", "--show", "messages"])
    assert result.exit_code == 0, result.stderr
    assert "\x1b" not in result.stdout
    assert "\\x1b[31mred[bold]x" in result.stdout


def test_stdin_lines_are_messages_and_eof_does_not_cut(echo_server: Server) -> None:
    result = run_wiretool(["ws", "connect", echo_server.url, "--show", "messages", "--json", "--count", "3"],
                          input="one\ntwo\nthree\n")
    assert result.exit_code == 0, result.stderr
    got = [m["text"] for m in of(result.json_lines(), "message") if m["dir"] == "recv"]
    assert got == ["one", "two", "three"]


def test_binary_stdin_is_one_binary_message(echo_server: Server) -> None:
    result = run_wiretool(["ws", "connect", echo_server.url, "--show", "messages", "--json", "--count", "1",
                           "--binary-stdin"], input=b"\x00\x01\xff")
    assert result.exit_code == 0, result.stderr
    got = next(m for m in of(result.json_lines(), "message") if m["dir"] == "recv")
    assert got["opcode_name"] == "BINARY" and got["hex"] == "0001ff"


def test_slash_commands(echo_server: Server) -> None:
    result = run_wiretool(["ws", "connect", echo_server.url, "--json", "--commands", "--count", "1",
                           "--timeout", "20"], input="/ping hi\n/binary 0a0b\n")
    assert result.exit_code == 0, result.stderr
    lines = result.json_lines()
    assert of(lines, "rtt")[0]["payload_hex"] == b"hi".hex()
    assert any(f["dir"] == "recv" and f["opcode_name"] == "BINARY" and f["payload_hex"] == "0a0b"
               for f in of(lines, "frame"))


def test_slash_close_with_code_and_reason(echo_server: Server) -> None:
    result = run_wiretool(["ws", "connect", echo_server.url, "--json", "--commands", "--timeout", "20"],
                          input="/help\n/nonsense\n/binary zz\n/close 4000 done\n")
    assert result.exit_code == 0, result.stderr
    close = of(result.json_lines(), "close")[0]
    assert (close["sent_code"], close["sent_reason"], close["code"], close["initiator"]) == (4000, "done", 4000,
                                                                                             "client")


def test_raw_bytes_are_written_as_is_and_shown(echo_server: Server) -> None:
    raw = build_frame(1, b"crafted", mask_key=b"\x01\x02\x03\x04").hex()
    result = run_wiretool(["ws", "connect", echo_server.url, "--raw", raw, "--count", "1", "--json"])
    assert result.exit_code == 0, result.stderr
    sent = next(f for f in of(result.json_lines(), "frame") if f["dir"] == "send" and f["opcode_name"] == "TEXT")
    assert sent["mask_key"] == "01020304" and sent["payload_text"] == "crafted"


def test_wss_with_self_signed_ca() -> None:
    server = Server("--self-signed")
    try:
        assert server.url.startswith("wss://") and server.cacert and Path(server.cacert).exists()
        url = server.url.replace("127.0.0.1", "localhost")
        ok = run_wiretool(["ws", "connect", url, "--cacert", server.cacert, "--send", "tls", "--count", "1",
                           "--json"])
        refused = run_wiretool(["ws", "connect", url, "--send", "tls", "--count", "1", "--json"])
        insecure = run_wiretool(["ws", "connect", url, "--insecure", "--send", "tls", "--count", "1"])
    finally:
        server.stop()
        assert server.proc.returncode == 0
    assert ok.exit_code == 0, ok.stderr
    assert of(ok.json_lines(), "connect")[0]["tls_version"].startswith("TLS")
    assert refused.exit_code == 3 and "certificate" in refused.stderr
    assert insecure.exit_code == 0


def test_sigint_sends_close_1000_and_exits_130(echo_server: Server) -> None:
    proc = subprocess.Popen([WIRETOOL, "ws", "connect", echo_server.url, "--json", "--no-stdin"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV)
    assert proc.stdout is not None
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if b'"type":"handshake"' in line and b'"dir":"recv"' in line:
            break
    proc.send_signal(signal.SIGINT)
    rest, err = proc.communicate(timeout=20)
    lines = [json.loads(x) for x in rest.decode().splitlines() if x.startswith("{")]
    assert proc.returncode == 130, err
    sent_close = [f for f in of(lines, "frame") if f["dir"] == "send" and f["opcode_name"] == "CLOSE"]
    assert sent_close and sent_close[0]["close_code"] == 1000
    assert of(lines, "close")[0]["clean"] is True
    assert b"Traceback" not in err


def test_broken_frame_from_script_server_exits_5(tmp_path: Path) -> None:
    script = tmp_path / "broken.txt"
    script.write_text("send fine\nraw 83 01 78\n")
    server = Server("--mode", "script", str(script))
    try:
        result = run_wiretool(["ws", "connect", server.url, "--json", "--timeout", "20"])
    finally:
        server.stop()
    assert result.exit_code == 5, result.stderr
    bad = next(f for f in of(result.json_lines(), "frame") if f["violations"])
    assert bad["violations"][0]["code"] == "reserved-opcode" and bad["opcode_name"] == "RESERVED_3"
    assert of(result.json_lines(), "close")[0]["sent_code"] == 1002
    assert "reserved" in result.stderr


def test_refused_connection_through_entry_point() -> None:
    from conftest import free_port

    result = run_wiretool(["ws", "connect", f"ws://127.0.0.1:{free_port()}"])
    assert result.exit_code == 3 and "Traceback" not in result.stderr


def test_interactive_terminal_lines_commands_and_ctrl_d(echo_server: Server) -> None:
    import pty
    import select

    master, slave = pty.openpty()
    proc = subprocess.Popen([WIRETOOL, "ws", "connect", echo_server.url, "--show", "messages"], stdin=slave,
                            stdout=slave, stderr=slave, env=ENV, close_fds=True)
    os.close(slave)
    seen = b""

    def read_until(needle: bytes, limit: float = 20) -> None:
        nonlocal seen
        deadline = time.monotonic() + limit
        while needle not in seen and time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    seen += os.read(master, 65536)
                except OSError:
                    break
        assert needle in seen, seen.decode(errors="replace")

    try:
        read_until(b"/help for commands")
        os.write(master, b"typed line\n")
        read_until(b"\xe2\x86\x90 message TEXT")  # the echo, shown as received
        os.write(master, b"/ping tty\n")
        read_until(b"round trip")
        os.write(master, b"\x04")  # Ctrl-D: end the session cleanly
        read_until(b"summary")
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    assert b"typed line" in seen and b"NORMAL_CLOSURE" in seen


def test_fragmented_message_echoed_in_fragments(echo_server: Server) -> None:
    key = b"\x0a\x0b\x0c\x0d"
    raw = (build_frame(1, b"frag", fin=False, mask_key=key) + build_frame(9, b"in-between", mask_key=key)
           + build_frame(0, b"mented", mask_key=key)).hex()
    result = run_wiretool(["ws", "connect", echo_server.url, "--raw", raw, "--count", "1", "--json"])
    assert result.exit_code == 0, result.stderr
    recv = [f["opcode_name"] for f in of(result.json_lines(), "frame") if f["dir"] == "recv"]
    assert recv[:3] == ["PONG", "TEXT", "CONT"] or recv[:3] == ["TEXT", "PONG", "CONT"]
    messages = run_wiretool(["ws", "connect", echo_server.url, "--raw", raw, "--count", "1", "--json",
                             "--show", "messages"])
    got = next(m for m in of(messages.json_lines(), "message") if m["dir"] == "recv")
    assert got["text"] == "fragmented" and got["frames"] == 2


def test_ping_pong_round_trip_through_entry_point(echo_server: Server) -> None:
    result = run_wiretool(["ws", "connect", echo_server.url, "--ping-interval", "0.1", "--wait", "0.5", "--json"])
    assert result.exit_code == 0, result.stderr
    lines = result.json_lines()
    pings = [f for f in of(lines, "frame") if f["dir"] == "send" and f["opcode_name"] == "PING"]
    pongs = [f for f in of(lines, "frame") if f["dir"] == "recv" and f["opcode_name"] == "PONG"]
    assert pings and pongs and pongs[0]["payload_hex"] == pings[0]["payload_hex"]
    assert of(lines, "rtt")


@pytest.mark.parametrize(("code", "expected_exit"), [(1000, 0), (1001, 0), (4001, 0), (1002, 5), (1007, 5)])
def test_server_close_codes_through_entry_point(tmp_path: Path, code: int, expected_exit: int) -> None:
    script = tmp_path / "close.txt"
    script.write_text(f"close {code} reason-{code}\n")
    server = Server("--mode", "script", str(script))
    try:
        result = run_wiretool(["ws", "connect", server.url, "--json", "--timeout", "20"])
        expected = run_wiretool(["ws", "connect", server.url, "--expect-close", str(code), "--timeout", "20"])
    finally:
        server.stop()
    assert result.exit_code == expected_exit, result.stderr
    close = of(result.json_lines(), "close")[0]
    assert (close["code"], close["reason"], close["clean"], close["initiator"]) == (code, f"reason-{code}", True,
                                                                                    "server")
    assert expected.exit_code == 0


def test_closed_stdout_ends_quietly(echo_server: Server) -> None:
    proc = subprocess.Popen([WIRETOOL, "--json", "ws", "connect", echo_server.url, "--ping-interval", "0.05",
                             "--no-stdin", "--timeout", "20"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV)
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline().startswith(b"{")
    proc.stdout.close()  # like `| head -1`: the next write meets EPIPE
    err = proc.stderr.read()
    assert proc.wait(timeout=20) == 0
    assert b"Traceback" not in err and b"Exception" not in err


def test_sends_go_out_in_command_line_order(echo_server: Server) -> None:
    raw = build_frame(1, b"two", mask_key=b"\x00\x00\x00\x01").hex()
    result = run_wiretool(["ws", "connect", echo_server.url, "--send", "one", "--raw", raw, "--send-hex", "74687265",
                           "--send", "four", "--count", "4", "--json", "--show", "messages"])
    assert result.exit_code == 0, result.stderr
    got = [m.get("text") or bytes.fromhex(m["hex"]).decode() for m in of(result.json_lines(), "message")
           if m["dir"] == "recv"]
    assert got == ["one", "two", "thre", "four"]


def test_max_payload_cuts_what_is_shown_not_what_is_checked(echo_server: Server) -> None:
    """``--max-payload 4``: frames and messages show 4 bytes with ``payload_truncated``, a message keeps its whole
    ``length``; ``--expect`` still matches the whole payload; without the option ``--json`` has every byte."""
    args = ["ws", "connect", echo_server.url, "--send", "hello world", "--expect", "world$", "--json"]
    for show in ("frames", "messages"):
        cut = run_wiretool([*args, "--show", show, "--max-payload", "4"])
        assert cut.exit_code == 0, cut.stderr
        shown = [r for r in cut.json_lines() if r["type"] in ("frame", "message") and r.get("opcode_name") == "TEXT"]
        assert shown and all(r["payload_truncated"] is True and r["length"] == 11 for r in shown), shown
        assert all(r.get("payload_text", r.get("text")) == "hell" for r in shown), shown
    whole = run_wiretool(args)
    assert whole.exit_code == 0, whole.stderr
    frames = [r for r in whole.json_lines() if r["type"] == "frame" and r["opcode_name"] == "TEXT"]
    assert frames and all("payload_truncated" not in r and r["payload_text"] == "hello world" for r in frames)
    pretty = subprocess.run([WIRETOOL, "ws", "connect", echo_server.url, "--send", "hello world", "--count", "1",
                             "--max-payload", "4"], capture_output=True, text=True, env=ENV, timeout=30)
    assert pretty.returncode == 0, pretty.stderr
    assert "payload cut to 4 of 11 bytes (--max-payload)" in pretty.stdout
