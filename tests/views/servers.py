"""The view tests' peers: start one in a subprocess on a free loopback port, wait for ``listening PORT``."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from conftest import free_port

HERE = Path(__file__).resolve().parent
NPM = HERE.parent / "peers" / "npm" / "views1"


@contextmanager
def peer(argv: list[str], cwd: Path, *extra: str) -> Iterator[int]:
    """Run ``argv PORT extra...`` until the block ends (stdin closed, killed if it lingers)."""
    port = free_port()
    proc = subprocess.Popen([*argv, str(port), *extra], cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().decode()
        assert line.startswith("listening"), f"{argv} did not start: {line!r}"
        yield port
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def npm_socketio(ping_ms: int = 25000):  # type: ignore[no-untyped-def]
    """The npm socket.io server (tests/peers/npm/views1/sio_server.js; ``bash tests/peers/install.sh``)."""
    assert (NPM / "node_modules" / "socket.io").is_dir(), "run bash tests/peers/install.sh (npm socket.io)"
    return peer(["node", "sio_server.js"], NPM, str(ping_ms))


def python_server(kind: str):  # type: ignore[no-untyped-def]
    """python-socketio under hypercorn (``pysio``) or the SignalR-style hub (``signalr``)."""
    return peer([sys.executable, str(HERE / "peer_servers.py"), kind], HERE)
