"""Real TLS peers over loopback for the decryption tests: Python's ssl server and client, through a Relay.

Each run returns the key log path, the relay's chunks and what the application sent and received, so a test
checks that decrypting the recorded bytes gives back exactly that plaintext.
"""

from __future__ import annotations

import socket
import ssl
import threading
from dataclasses import dataclass
from pathlib import Path

from tests.tls.relay import Relay
from wiretool.serve.certs import self_signed


@dataclass
class Session:
    """What one TLS session moved: the relay's chunks, the key log, and the application's own view."""

    chunks: list[tuple[str, float, bytes]]
    keylog: Path
    sent: bytes  # what the client application wrote
    received: bytes  # what the client application read
    ca_file: Path


def echo_server(ctx: ssl.SSLContext) -> tuple[int, threading.Thread]:
    """A one-connection TLS server on 127.0.0.1 that answers each read with ``echo:`` + the data."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve() -> None:
        conn, _ = listener.accept()
        listener.close()
        conn.settimeout(10)
        try:
            tls = ctx.wrap_socket(conn, server_side=True)
            while data := tls.recv(65536):
                tls.sendall(b"echo:" + data)
            tls.unwrap().close()
        except (OSError, ssl.SSLError):
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return port, thread


def messages(count: int = 4) -> list[bytes]:
    """Messages from a few bytes to more than one TLS record (16 KiB)."""
    return [(b"message %d " % i) * (1 + i * 2500) for i in range(count)]


def python_session(tmp_path: Path, *, tls13: bool = True, ciphers: str | None = None,
                   alpn: tuple[str, ...] = ("x-test", "http/1.1"), count: int = 4) -> Session:
    """A Python ssl client talking to the echo server through a recording relay, keys logged by the client."""
    certs = self_signed(directory=tmp_path)
    server_ctx = certs.context
    if ciphers:
        server_ctx.set_ciphers(ciphers)
    if alpn:
        server_ctx.set_alpn_protocols(list(alpn[-1:]))
    port, thread = echo_server(server_ctx)
    relay = Relay(("127.0.0.1", port))
    ctx = ssl.create_default_context(cafile=str(certs.ca_file))
    version = ssl.TLSVersion.TLSv1_3 if tls13 else ssl.TLSVersion.TLSv1_2
    ctx.minimum_version = ctx.maximum_version = version
    if ciphers:
        ctx.set_ciphers(ciphers)
    if alpn:
        ctx.set_alpn_protocols(list(alpn))
    keylog = tmp_path / "keys.log"
    ctx.keylog_filename = str(keylog)
    sent = bytearray()
    received = bytearray()
    raw = socket.create_connection(("127.0.0.1", relay.port), timeout=10)
    with ctx.wrap_socket(raw, server_hostname="localhost") as tls:  # wrap_socket detaches ``raw``
        for i, message in enumerate(messages(count)):
            tls.sendall(message)
            sent += message
            while len(received) < len(sent) + 5 * (i + 1):
                received += tls.recv(65536)
        tls.unwrap().close()
    thread.join(10)
    return Session(relay.wait(), keylog, bytes(sent), bytes(received), certs.ca_file)
