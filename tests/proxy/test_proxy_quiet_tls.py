"""The quiet relay with TLS on both legs (``--tls --self-signed`` to an ``https://`` upstream, ``--only none``):
the loop's SSL transports decrypt straight into the pipe's read buffers, which are reused for the next read, so
a TLS echo both ways at once (random bytes, much larger than the buffers) must come back byte for byte, on
uvloop's transports and on asyncio's own; the connection's ``end`` counts every byte and names no error."""

from __future__ import annotations

import asyncio
import hashlib
import os
import socket
import ssl
from pathlib import Path

import pytest
import trustme
from conftest import canned_server
from proxyhelp import ProxyProcess, no_traceback, of

TOTAL = 24 * 1024 * 1024


@pytest.mark.parametrize("loop", ["uvloop", "asyncio"])
def test_quiet_tls_relay_echoes_both_ways_exactly(loop: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ca = trustme.CA()
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_ctx)
    ca_file = tmp_path / "upstream-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))

    def echo(conn: socket.socket) -> None:  # a TLS echo: every byte back as it comes, until TOTAL came
        with server_ctx.wrap_socket(conn, server_side=True) as tls:
            got = 0
            while got < TOTAL and (data := tls.recv(1 << 17)):
                tls.sendall(data)
                got += len(data)

    payload = os.urandom(TOTAL)
    if loop == "asyncio":
        monkeypatch.setenv("WIRETOOL_LOOP", "asyncio")
    with canned_server(echo, conn_timeout=60) as up:
        proxy = ProxyProcess(f"https://127.0.0.1:{up}", "--only", "none", "--tls", "--self-signed",
                             "--cacert", str(ca_file))
        try:
            client_ctx = ssl.create_default_context(cafile=proxy.first["cacert"])
            n, digest = asyncio.run(asyncio.wait_for(_echo_through(proxy.port, client_ctx, payload), 60))
        finally:
            records = proxy.stop()
    no_traceback(proxy.err)
    assert (n, digest) == (TOTAL, hashlib.sha256(payload).hexdigest())
    opened, end = of(records, "proxy", "open")[0], of(records, "proxy", "end")[0]
    assert (opened["tls"], opened["upstream_tls"]) == (True, True)
    assert (end["protocol"], end["bytes_c2s"], end["bytes_s2c"]) == ("tcp", TOTAL, TOTAL), end
    assert not of(records, "tcp") and not of(records, "proxy", "problem")


async def _echo_through(port: int, ctx: ssl.SSLContext, payload: bytes) -> tuple[int, str]:
    """Send ``payload`` and read its echo at the same time, over one TLS connection; the bytes read and their
    sha256. One thread on asyncio's TLS: an ``ssl.SSLSocket`` written by one thread while another reads it
    shares one OpenSSL object between them, which OpenSSL does not allow (seen here: a reset, a hang, 1 run in 10)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=ctx, server_hostname="127.0.0.1",
                                                   limit=1 << 20)

    async def send() -> None:
        writer.write(payload)
        await writer.drain()

    sender = asyncio.create_task(send())
    h, n = hashlib.sha256(), 0
    while n < len(payload) and (data := await reader.read(1 << 20)):
        h.update(data)
        n += len(data)
    await sender
    writer.close()
    return n, h.hexdigest()
