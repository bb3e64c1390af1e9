"""Real TLS peers over loopback for the decryption tests: Python's ssl server and client, openssl s_client,
all through a recording Relay.

Each run returns the relay's chunks, the key log and what the applications sent and received, so a test
checks that decrypting the recorded bytes gives back exactly that plaintext.
"""

from __future__ import annotations

import socket
import ssl
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.tls.relay import Relay
from wiretool.serve.certs import self_signed


@dataclass
class Session:
    """What one TLS session moved: the relay's chunks, the key log, and the applications' own view."""

    chunks: list[tuple[str, float, bytes]]
    keylog: Path
    sent: bytes  # c2s plaintext: what the client wrote (= what the server read)
    received: bytes  # s2c plaintext: what the server wrote
    ca_file: Path


@dataclass
class EchoServer:
    """A one-connection TLS server on 127.0.0.1 that answers each read with ``echo:`` + the data."""

    ctx: ssl.SSLContext
    received: bytearray = field(default_factory=bytearray)
    sent: bytearray = field(default_factory=bytearray)

    def __post_init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        conn, _ = self._listener.accept()
        self._listener.close()
        conn.settimeout(10)
        try:
            tls = self.ctx.wrap_socket(conn, server_side=True)
            while data := tls.recv(65536):
                self.received += data
                tls.sendall(b"echo:" + data)
                self.sent += b"echo:" + data
            tls.unwrap().close()
        except (OSError, ssl.SSLError):
            conn.close()

    def join(self) -> None:
        self._thread.join(10)


def messages(count: int = 4) -> list[bytes]:
    """Messages from a few bytes to more than one TLS record (16 KiB)."""
    return [(b"message %d " % i) * (1 + i * 2500) for i in range(count)]


def python_session(tmp_path: Path, *, tls13: bool = True, ciphers: str | None = None,
                   alpn: tuple[str, ...] = ("x-test", "http/1.1"), count: int = 4) -> Session:
    """A Python ssl client talking to the echo server through a recording relay, keys logged by the client."""
    return python_sessions(tmp_path, tls13=tls13, ciphers=ciphers, alpn=alpn, count=count)[0]


def python_sessions(tmp_path: Path, *, tls13: bool = True, ciphers: str | None = None,
                    alpn: tuple[str, ...] = ("x-test", "http/1.1"), count: int = 4, connections: int = 1,
                    min_version: ssl.TLSVersion | None = None,
                    max_version: ssl.TLSVersion | None = None) -> list[Session]:
    """``connections`` sessions of one client context, each resuming the previous one's TLS session."""
    certs = self_signed(directory=tmp_path)
    if ciphers:
        certs.context.set_ciphers(ciphers)
    if alpn:
        certs.context.set_alpn_protocols(list(alpn[-1:]))
    if min_version:
        certs.context.minimum_version = min_version
    ctx = ssl.create_default_context(cafile=str(certs.ca_file))
    version = max_version or (ssl.TLSVersion.TLSv1_3 if tls13 else ssl.TLSVersion.TLSv1_2)
    ctx.minimum_version = min_version or version
    ctx.maximum_version = version
    if ciphers:
        ctx.set_ciphers(ciphers)
    if alpn:
        ctx.set_alpn_protocols(list(alpn))
    keylog = tmp_path / "keys.log"
    ctx.keylog_filename = str(keylog)
    sessions: list[Session] = []
    tls_session: ssl.SSLSession | None = None
    for _ in range(connections):
        server = EchoServer(certs.context)
        relay = Relay(("127.0.0.1", server.port))
        got = bytearray()
        raw = socket.create_connection(("127.0.0.1", relay.port), timeout=10)
        # wrap_socket detaches ``raw``
        with ctx.wrap_socket(raw, server_hostname="localhost", session=tls_session) as tls:
            expected = 0
            for message in messages(count):
                tls.sendall(message)
                expected += len(message) + 5
                while len(got) < expected:
                    got += tls.recv(65536)
            tls_session = tls.session
            sessions_reused = tls.session_reused
            tls.unwrap().close()
        server.join()
        assert bytes(got) == bytes(server.sent)
        assert sessions_reused == bool(sessions)  # each connection after the first is resumed
        sessions.append(Session(relay.wait(), keylog, bytes(server.received), bytes(server.sent),
                                certs.ca_file))
    return sessions


def openssl_session(tmp_path: Path, suite: str, lines: list[bytes]) -> Session:
    """``openssl s_client -ciphersuites SUITE`` sending ``lines`` one by one (``k``/``K`` send a KeyUpdate)."""
    certs = self_signed(directory=tmp_path)
    server = EchoServer(certs.context)
    relay = Relay(("127.0.0.1", server.port))
    keylog = tmp_path / "keys.log"
    proc = subprocess.Popen(
        ["openssl", "s_client", "-connect", f"127.0.0.1:{relay.port}", "-servername", "localhost",
         "-ciphersuites", suite, "-keylogfile", str(keylog), "-CAfile", str(certs.ca_file)],
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert proc.stdin is not None
    _handshaken(relay)
    for line in lines:  # one read per line: s_client only sees a command at the start of what it reads
        time.sleep(0.15)
        proc.stdin.write(line)
        proc.stdin.flush()
    time.sleep(0.15)
    proc.stdin.close()
    proc.wait(10)
    server.join()
    return Session(relay.wait(), keylog, bytes(server.received), bytes(server.sent), certs.ca_file)


@dataclass
class OpensslServer:
    """``openssl s_server`` for one connection on 127.0.0.1 (``-rev`` echoes each line reversed)."""

    tmp_path: Path
    args: list[str]

    def __post_init__(self) -> None:
        from tests.conftest import free_port

        certs = self_signed(directory=self.tmp_path)
        self.port = free_port()
        self.proc = subprocess.Popen(
            ["openssl", "s_server", "-accept", f"127.0.0.1:{self.port}", "-cert", str(certs.cert_file),
             "-key", str(certs.key_file), "-naccept", "1", *self.args],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        assert self.proc.stdout is not None
        for _ in range(50):  # bounded: s_server prints a few lines, then ACCEPT
            if b"ACCEPT" in self.proc.stdout.readline():
                break

    def stop(self) -> None:
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def s_client(port: int, keylog: Path, args: list[str], lines: list[bytes]) -> list[tuple[str, float, bytes]]:
    """``openssl s_client`` through a recording relay to ``port``, sending ``lines`` one read at a time."""
    relay = Relay(("127.0.0.1", port))
    proc = subprocess.Popen(
        ["openssl", "s_client", "-connect", f"127.0.0.1:{relay.port}", "-keylogfile", str(keylog), *args],
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert proc.stdin is not None
    _handshaken(relay)
    for line in lines:
        time.sleep(0.15)
        proc.stdin.write(line)
        proc.stdin.flush()
    time.sleep(0.15)
    proc.stdin.close()
    proc.wait(10)
    return relay.wait()


def _handshaken(relay: Relay, timeout: float = 10) -> None:
    """Wait (bounded) until the client has spoken after the server's first flight: its Finished is out, so
    s_client reads stdin from now on, one line per read."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        names = [name for name, _, _ in list(relay.chunks)]
        if "s2c" in names and "c2s" in names[names.index("s2c"):]:
            return
        time.sleep(0.02)
