"""what a user types into ``ws connect`` (argv, stdin lines, slash commands) never kills the run silently."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
from collections.abc import Iterator

import pytest
from conftest import WIRETOOL, hostile_ws_server, ws_switching

ENV = {**os.environ, "NO_COLOR": "1", "COLUMNS": "120"}


@pytest.fixture
def echo_url() -> Iterator[str]:
    proc = subprocess.Popen([WIRETOOL, "--json", "serve", "ws", "--port", "0"], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, env=ENV)
    assert proc.stdout is not None
    yield json.loads(proc.stdout.readline())["url"]
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=20)


def connect(args: list[str | bytes], stdin: bytes | None = None) -> tuple[int, list[dict], str]:
    proc = subprocess.run([WIRETOOL, "ws", "connect", *args, "--json", "--timeout", "8"], input=stdin,
                          capture_output=True, timeout=30, env=ENV,
                          stdin=None if stdin is not None else subprocess.DEVNULL)
    return proc.returncode, [json.loads(line) for line in proc.stdout.decode().splitlines()], proc.stderr.decode()


def sent_text(records: list[dict]) -> list[str]:
    return [r["payload_hex"] for r in records if r["type"] == "frame" and r["dir"] == "send" and r["opcode"] == 1]


def test_send_argument_not_utf8_is_sent_as_is_not_an_internal_error(echo_url: str) -> None:
    code, records, err = connect([echo_url, "--send", b"\xff\xfe", "--count", "1", "--no-stdin"])
    assert "internal error" not in err and code != 1
    assert sent_text(records) == ["fffe"]


def test_stdin_line_not_utf8_does_not_end_the_input() -> None:
    """A sink server (no echo, so no race with a 1007 reply) closes after three text frames: all three were sent."""

    def sink(conn: socket.socket, request: bytes) -> None:
        conn.sendall(ws_switching(request))
        data, frames = b"", 0
        while frames < 3:
            chunk = conn.recv(4096)
            if not chunk:
                return
            data += chunk
            while len(data) >= 6 and len(data) >= 6 + (data[1] & 0x7F):  # short masked frames only
                data = data[6 + (data[1] & 0x7F):]
                frames += 1
        conn.sendall(b"\x88\x02\x03\xe8")

    url, _thread = hostile_ws_server(sink)
    _code, records, err = connect([url], stdin=b"ok\n\xff\xfe\nafter\n")
    assert "internal error" not in err
    assert sent_text(records) == ["6f6b", "fffe", b"after".hex()]
    assert records[-1]["type"] == "summary" and records[-1]["messages_out"] == 3


def test_oversized_ping_command_is_a_warning_and_input_goes_on(echo_url: str) -> None:
    code, records, err = connect([echo_url, "--commands", "--count", "1"], stdin=b"/ping " + b"x" * 200 + b"\nafter\n")
    assert code == 0, err
    assert sent_text(records) == [b"after".hex()]
    assert not [r for r in records if r["type"] == "frame" and r["dir"] == "send" and r["opcode"] == 9]
