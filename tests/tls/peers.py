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
    certs = self_signed(directory=tmp_path)
    if ciphers:
        certs.context.set_ciphers(ciphers)
    if alpn:
        certs.context.set_alpn_protocols(list(alpn[-1:]))
    server = EchoServer(certs.context)
    relay = Relay(("127.0.0.1", server.port))
    ctx = ssl.create_default_context(cafile=str(certs.ca_file))
    version = ssl.TLSVersion.TLSv1_3 if tls13 else ssl.TLSVersion.TLSv1_2
    ctx.minimum_version = ctx.maximum_version = version
    if ciphers:
        ctx.set_ciphers(ciphers)
    if alpn:
        ctx.set_alpn_protocols(list(alpn))
    keylog = tmp_path / "keys.log"
    ctx.keylog_filename = str(keylog)
    got = bytearray()
    raw = socket.create_connection(("127.0.0.1", relay.port), timeout=10)
    with ctx.wrap_socket(raw, server_hostname="localhost") as tls:  # wrap_socket detaches ``raw``
        expected = 0
        for message in messages(count):
            tls.sendall(message)
            expected += len(message) + 5
            while len(got) < expected:
                got += tls.recv(65536)
        tls.unwrap().close()
    server.join()
    assert bytes(got) == bytes(server.sent)
    return Session(relay.wait(), keylog, bytes(server.received), bytes(server.sent), certs.ca_file)


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
    for line in lines:  # one read per line: s_client only sees a command at the start of what it reads
        time.sleep(0.15)
        proc.stdin.write(line)
        proc.stdin.flush()
    time.sleep(0.15)
    proc.stdin.close()
    proc.wait(10)
    server.join()
    return Session(relay.wait(), keylog, bytes(server.received), bytes(server.sent), certs.ca_file)
