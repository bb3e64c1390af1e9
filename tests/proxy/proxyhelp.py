"""Helpers for the proxy tests: the installed ``wiretool proxy`` in a subprocess, byte-recording TCP pipes,
local servers (nghttpd, hypercorn, node) on free ports, and node peers run from ``tests/peers/npm/proxy``."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import WIRETOOL, free_port

NPM = Path(__file__).resolve().parent.parent / "peers" / "npm" / "proxy"
HERE = Path(__file__).resolve().parent


class ProxyProcess:
    """``wiretool --json proxy --listen 127.0.0.1:0 --upstream URL ARGS``, ready once it printed ``listening``."""

    def __init__(self, upstream: str | None, *args: str, json_output: bool = True, keep_first: bool = False) -> None:
        env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "160"}
        cmd = [WIRETOOL, *(["--json"] if json_output else []), "proxy", "--listen", "127.0.0.1:0"]
        if upstream:
            cmd += ["--upstream", upstream]
        self.proc = subprocess.Popen([*cmd, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        assert self.proc.stdout is not None
        first = self.proc.stdout.readline().decode()
        if json_output:
            rec = json.loads(first)
            assert rec["type"] == "listening", first
            url = rec["url"]
            self.first = rec
            """The ``listening`` record (its ``cacert`` with --self-signed)."""
        else:
            assert "listening on" in first, first + self.proc.stderr.read().decode()  # type: ignore[union-attr]
            url = first.split("listening on", 1)[1].strip()
        self.port = int(url.rsplit(":", 1)[1])
        self.url = url
        self.out = ""
        self.err = ""

    def stop(self) -> list[dict]:
        """SIGINT (the way a person stops it), then every NDJSON record it printed."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        out, err = self.proc.communicate(timeout=20)
        self.out, self.err = out.decode("utf-8", "replace"), err.decode("utf-8", "replace")
        return [json.loads(line) for line in self.out.splitlines() if line.startswith("{")]

    def wait(self, timeout: float = 30) -> list[dict]:
        """Wait for the proxy to end by itself (``--count``, ``--timeout``)."""
        out, err = self.proc.communicate(timeout=timeout)
        self.out, self.err = out.decode("utf-8", "replace"), err.decode("utf-8", "replace")
        return [json.loads(line) for line in self.out.splitlines() if line.startswith("{")]

    @property
    def returncode(self) -> int | None:
        return self.proc.returncode


class Recorder:
    """A plain TCP pipe on 127.0.0.1 that keeps every byte each way: the endpoint's view of the wire.

    Put one in front of the proxy (what the client sent and received) and one in front of the server (what
    the server received and sent); byte exactness is ``front.c2s == back.c2s`` and ``front.s2c == back.s2c``.
    """

    def __init__(self, target_port: int) -> None:
        self.target = target_port
        self.c2s = bytearray()
        self.s2c = bytearray()
        self._srv = socket.socket()
        self._srv.bind(("127.0.0.1", 0))
        self._srv.listen(16)
        self._srv.settimeout(0.2)
        self.port = self._srv.getsockname()[1]
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        t = threading.Thread(target=self._accept, daemon=True)
        t.start()
        self._threads.append(t)

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._srv.accept()
            except OSError:
                continue
            up = socket.create_connection(("127.0.0.1", self.target), timeout=10)
            for src, dst, buf in ((conn, up, self.c2s), (up, conn, self.s2c)):
                t = threading.Thread(target=self._pump, args=(src, dst, buf), daemon=True)
                t.start()
                self._threads.append(t)

    def _pump(self, src: socket.socket, dst: socket.socket, buf: bytearray) -> None:
        src.settimeout(30)
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                with self._lock:
                    buf += data
                dst.sendall(data)
        except OSError:
            pass
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def close(self) -> None:
        self._stop.set()
        self._srv.close()


def wait_port(port: int, timeout: float = 15.0) -> None:
    """Until something accepts on 127.0.0.1:port (a server started in a subprocess)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listens on 127.0.0.1:{port}")


class Server:
    """A peer server in a subprocess on a free port, stopped with SIGTERM."""

    def __init__(self, cmd: list[str], port: int, *, cwd: str | Path | None = None) -> None:
        self.port = port
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=cwd)
        try:
            wait_port(port)
        except AssertionError:
            self.stop()
            raise

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def nghttpd(tmp_path: Path):
    """nghttpd (h2 only, no TLS) serving a small directory; yields its port."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.html").write_text("hello from nghttpd\n")
    (docs / "big.bin").write_bytes(bytes(range(256)) * 4096)
    port = free_port()
    server = Server(["nghttpd", "--no-tls", "-d", str(docs), "--address=127.0.0.1", str(port)], port)
    yield port
    server.stop()


@pytest.fixture
def hypercorn_app():
    """hypercorn serving tests/proxy/h2app.py (HTTP/1.1, h2c upgrade, h2 prior knowledge); yields its port."""
    port = free_port()
    server = Server([sys.executable, "-m", "hypercorn", "--bind", f"127.0.0.1:{port}", "h2app:app"], port, cwd=HERE)
    yield port
    server.stop()


def node(script: str, *args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    """Run ``node tests/peers/npm/proxy/SCRIPT ARGS`` (its ``require`` finds the pinned packages there)."""
    return subprocess.run(["node", str(NPM / script), *args], capture_output=True, text=True, timeout=timeout,
                          cwd=NPM)


def of(records: list[dict], proto: str | None = None, type: str | None = None, **fields: object) -> list[dict]:
    """The records with this proto, type and field values."""
    return [r for r in records if (proto is None or r.get("proto") == proto) and (type is None or r.get("type") == type)
            and all(r.get(k) == v for k, v in fields.items())]


def no_traceback(text: str) -> None:
    assert "Traceback" not in text, text
