"""--record to a file that cannot be written (a full device) is a one-line usage error, not a traceback."""

from __future__ import annotations

import json
import signal
import subprocess

import pytest
from conftest import WIRETOOL, run_wiretool

from wiretool.capture.file import CaptureWriter
from wiretool.errors import UsageError


def test_writer_on_a_full_device_raises_usage_error() -> None:
    with pytest.raises(UsageError, match="cannot write capture /dev/full: No space left on device"):
        CaptureWriter("/dev/full", proto="ws", url="ws://127.0.0.1:1/")


def test_ws_connect_record_to_full_device_is_exit_2() -> None:
    server = subprocess.Popen([WIRETOOL, "--json", "serve", "ws", "--port", "0"], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL)
    try:
        assert server.stdout is not None
        url = json.loads(server.stdout.readline())["url"]
        r = run_wiretool(["ws", "connect", url, "--send", "hi", "--count", "1", "--record", "/dev/full",
                          "--no-stdin", "--timeout", "10"], timeout=30)
        assert r.exit_code == 2, r.stderr
        assert r.stderr == "wiretool: error: cannot write capture /dev/full: No space left on device\n"
    finally:
        server.send_signal(signal.SIGINT)
        server.communicate(timeout=20)
