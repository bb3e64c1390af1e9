"""Shared test helpers: run the CLI in-process or through the installed entry point, find free ports."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
WIRETOOL = str(BIN / "wiretool")


@dataclass
class Result:
    """What a CLI run gave back."""

    exit_code: int
    stdout: str
    stderr: str

    def json_lines(self) -> list[dict]:
        import json

        return [json.loads(line) for line in self.stdout.splitlines() if line.startswith("{")]


def run_cli(args: Sequence[str], *, input: str | None = None) -> Result:
    """Run ``wiretool ARGS`` in-process (the real ``run()``) with an Environment of StringIO streams."""
    from wiretool.cli.main import run
    from wiretool.output.env import Environment

    out, err = io.StringIO(), io.StringIO()
    code = run(list(args), env=Environment(stdout=out, stderr=err, stdin=io.StringIO(input or "")))
    return Result(code, out.getvalue(), err.getvalue())


def run_wiretool(args: Sequence[str], *, input: bytes | str | None = None, timeout: float = 60,
                 env: dict[str, str] | None = None) -> Result:
    """Run the installed ``wiretool`` console script in a subprocess."""
    full_env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "120", **(env or {})}
    data = input.encode() if isinstance(input, str) else input
    proc = subprocess.run([WIRETOOL, *args], input=data, capture_output=True, timeout=timeout, env=full_env,
                          stdin=None if data is not None else subprocess.DEVNULL)
    return Result(proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace"))


class ServeProcess:
    """``wiretool --json serve PROTO --port 0 ARGS`` in a subprocess, ready when its ``listening`` line is read.

    ``url`` (without a trailing slash) and ``cacert`` come from that line; :meth:`stop` sends SIGINT and
    returns the records the server printed (its exit status is then ``proc.returncode``).
    """

    def __init__(self, proto: str, *args: str) -> None:
        env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "120"}
        self.proc = subprocess.Popen([WIRETOOL, "--json", "serve", proto, "--port", "0", *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        assert self.proc.stdout is not None
        import json

        first = json.loads(self.proc.stdout.readline())
        assert first["type"] == "listening", first
        self.url: str = first["url"].rstrip("/")
        self.cacert: str | None = first.get("cacert")

    def stop(self) -> list[dict]:
        import json
        import signal

        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        out, _ = self.proc.communicate(timeout=20)
        return [json.loads(line) for line in out.decode().splitlines() if line.startswith("{")]


_WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def ws_switching(request: bytes) -> bytes:
    """A correct ``101 Switching Protocols`` answer to a WebSocket upgrade request (raw bytes)."""
    import base64
    import hashlib

    key = b""
    for line in request.split(b"\r\n"):
        if line.lower().startswith(b"sec-websocket-key:"):
            key = base64.b64encode(hashlib.sha1(line.split(b":", 1)[1].strip() + _WS_GUID).digest())
    return (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Accept: " + key + b"\r\n\r\n")


def hostile_ws_server(script) -> tuple[str, threading.Thread]:  # type: ignore[no-untyped-def]
    """One connection on 127.0.0.1: read the upgrade request, then run ``script(conn, request)``.

    For servers that break the protocol on purpose; the client hanging up on it is expected.
    """
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    srv.settimeout(20)
    url = f"ws://127.0.0.1:{srv.getsockname()[1]}/"

    def serve() -> None:
        with srv:
            conn, _ = srv.accept()
            with conn:
                conn.settimeout(20)
                request = b""
                while b"\r\n\r\n" not in request and len(request) < 65536:
                    data = conn.recv(4096)
                    if not data:
                        return
                    request += data
                try:
                    script(conn, request)
                except OSError:
                    pass  # the client hung up on us: that is the point

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return url, thread


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def cli():
    """In-process runner: ``cli(["frame", "decode", "8100"])``."""
    return run_cli


@pytest.fixture
def wiretool():
    """Installed entry point runner: ``wiretool(["--version"])``."""
    assert Path(WIRETOOL).exists(), f"wiretool entry point not installed at {WIRETOOL}"
    return run_wiretool
