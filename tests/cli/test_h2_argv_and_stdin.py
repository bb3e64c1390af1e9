"""``h2 get`` and ``h2 grpc`` with argv bytes that are not UTF-8 (exit 2), and Ctrl-C while the request body
is read from stdin (the NDJSON error and summary, exit 130), through the installed entry point (issue 12 #24)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from conftest import WIRETOOL

URL = b"http://127.0.0.1:9/"  # never connected to: the arguments are refused first


@pytest.mark.parametrize("args", [
    [b"h2", b"get", URL + b"p\xff"],
    [b"h2", b"get", URL + b"?q=\xff"],
    [b"h2", b"get", URL, b"-H", b"x-a: \xff"],
    [b"h2", b"get", URL, b"-H", b"x-\xff: 1"],
    [b"h2", b"get", URL, b"-d", b"x", b"--trailer", b"x-t:\xff"],
    [b"h2", b"get", URL, b"-X", b"G\xff"],
    [b"h2", b"grpc", URL, b"/a.B/\xff"],
    [b"h2", b"grpc", URL, b"/a.B/C", b"-H", b"authorization: Bearer \xff"],
])
def test_a_byte_that_is_not_utf8_in_argv_is_a_usage_error(args: list[bytes]) -> None:
    res = subprocess.run([WIRETOOL.encode(), *args], capture_output=True, timeout=60)
    assert res.returncode == 2, res.stderr
    assert b"not UTF-8 (0xff)" in res.stderr and b"internal error" not in res.stderr
    assert b"Bearer" not in res.stderr  # a header value is never quoted: it may be a secret


def _reading_stdin(pid: int) -> bool:
    """The process is blocked in read(0, ...) (syscall 0, first argument 0) on Linux."""
    try:
        fields = Path(f"/proc/{pid}/syscall").read_text().split()
    except OSError:
        return False
    return len(fields) > 1 and fields[0] == "0" and fields[1] == "0x0"


@pytest.mark.parametrize("args", [
    ["h2", "grpc", "--json", URL.decode(), "/a.B/C", "--data-file", "-"],
    ["h2", "get", "--json", URL.decode(), "-d", "-"],
])
def test_ctrl_c_while_reading_stdin_ends_with_the_error_and_summary(args: list[str]) -> None:
    proc = subprocess.Popen([WIRETOOL, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env={**os.environ, "NO_COLOR": "1"})
    try:
        while not _reading_stdin(proc.pid):
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.01)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    records = [json.loads(line) for line in out.decode().splitlines()]
    assert [r["type"] for r in records] == ["error", "summary"], records
    assert records[-1]["exit_code"] == 130 and b"Aborted" not in err
