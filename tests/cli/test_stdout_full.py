"""stdout on a full device (``> /dev/full``): one line, ``cannot write to stdout: No space left on device``,
exit 2, for every command; never an internal error (issue 12 item 22)."""

from __future__ import annotations

import subprocess

import pytest
from conftest import WIRETOOL, ServeProcess


def run_to_full(args: list[str]) -> subprocess.CompletedProcess[str]:
    with open("/dev/full", "w") as full:
        return subprocess.run([WIRETOOL, *args], stdout=full, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                              text=True, timeout=60)


def assert_named(proc: subprocess.CompletedProcess[str]) -> None:
    assert proc.returncode == 2, proc.stderr
    assert "cannot write to stdout: No space left on device" in proc.stderr
    assert "internal error" not in proc.stderr and "Traceback" not in proc.stderr
    assert "Exception ignored" not in proc.stderr


@pytest.mark.parametrize("args", [
    ["frame", "decode", "81", "05", "48", "65", "6c", "6c", "6f"],
    ["--json", "frame", "decode", "81", "05", "48", "65", "6c", "6c", "6f"],
    ["--version"],
    ["--help"],
    ["frame", "craft", "--payload", "hi"],
])
def test_offline_commands(args: list[str]) -> None:
    assert_named(run_to_full(args))


@pytest.mark.parametrize(("proto", "args"), [
    ("ws", ["ws", "connect", "{url}", "--send", "hi", "--count", "1", "--timeout", "20"]),
    ("ws", ["ws", "connect", "{url}", "--send", "hi", "--count", "1", "--timeout", "20", "--json",
            "--show", "messages"]),
    ("sse", ["sse", "tail", "{url}/events?count=2", "--no-reconnect", "--timeout", "20"]),
    ("sse", ["sse", "tail", "{url}/events?count=2", "--no-reconnect", "--timeout", "20", "--json"]),
    ("h2", ["h2", "get", "{url}/", "--timeout", "20"]),
    ("h2", ["h2", "get", "{url}/", "--timeout", "20", "--json"]),
])
def test_network_commands(proto: str, args: list[str]) -> None:
    server = ServeProcess(proto)
    try:
        assert_named(run_to_full([a.format(url=server.url) for a in args]))
    finally:
        server.stop()
