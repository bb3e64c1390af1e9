"""Shared test helpers: run the CLI in-process or through the installed entry point, find free ports."""

from __future__ import annotations

import contextlib
import io
import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from h2.connection import H2Connection

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


@contextlib.contextmanager
def canned_server(answer: Callable[[socket.socket], None], *, conn_timeout: float = 10) -> Iterator[int]:
    """A loopback server calling ``answer(conn)`` for every connection until the block ends; yields its port.

    For hostile or scripted HTTP peers: ``answer`` reads and writes raw bytes; the client hanging up is fine.
    """
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    srv.settimeout(0.2)
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(conn_timeout)
                try:
                    answer(conn)
                except OSError:
                    pass

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield srv.getsockname()[1]
    finally:
        stop.set()
        thread.join(5)
        srv.close()


def h2c_until_request(conn: socket.socket, *, whole: bool = True, **config: bool) -> H2Connection | None:
    """The server side of an h2c connection on ``conn`` (an ``h2`` H2Connection), once the client's first request
    has come: its headers (``whole=False``) or its end (``whole=True``); None if the client hung up first.

    For the canned servers of hostile tests, which then answer with whatever the case needs."""
    import h2.config
    import h2.connection
    import h2.events

    h2c = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False, **config))
    h2c.initiate_connection()
    conn.sendall(h2c.data_to_send())
    wanted = h2.events.StreamEnded if whole else h2.events.RequestReceived
    while True:
        data = conn.recv(65536)
        if not data:
            return None
        events = h2c.receive_data(data)
        conn.sendall(h2c.data_to_send())
        if any(isinstance(e, wanted) for e in events):
            return h2c


def read_head(conn: socket.socket) -> bytes:
    """Read an HTTP/1 request head (up to its blank line, or until the peer hangs up)."""
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = conn.recv(4096)
        if not chunk:
            break
        head += chunk
    return head


def answer_http1(response: bytes) -> Callable[[socket.socket], None]:
    """An ``answer`` for :func:`canned_server`: read the request head, then write ``response`` as it is."""
    def answer(conn: socket.socket) -> None:
        if b"\r\n\r\n" in read_head(conn):
            conn.sendall(response)
    return answer


def run_measured(args: Sequence[str], timeout: float = 60, tail: int | None = None) -> tuple[int, str, str, int]:
    """Run wiretool from a fresh parent, so the children's peak RSS is wiretool's alone: (code, out, err, kB).

    ``tail`` keeps only the last characters of stdout and stderr (for runs that print megabytes).
    """
    cut = f"[-{tail}:]" if tail else ""
    code = ("import json, resource, subprocess, sys\n"
            "p = subprocess.run(sys.argv[1:], capture_output=True, stdin=subprocess.DEVNULL)\n"
            f"print(json.dumps([p.returncode, p.stdout.decode('utf-8', 'replace'){cut},"
            f" p.stderr.decode('utf-8', 'replace'){cut}, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss]))\n")
    proc = subprocess.run([sys.executable, "-c", code, WIRETOOL, *args], capture_output=True, timeout=timeout,
                          env={"NO_COLOR": "1", "COLUMNS": "200", "PATH": "/usr/bin:/bin"})
    rc, out, err, rss = json.loads(proc.stdout)
    return rc, out, err, rss

