"""TLS on either leg of a reverse proxy: a ``--tls --self-signed`` listener (ALPN h2 chosen by the client is
what the sniffer reads), an ``https://`` upstream verified with ``--cacert``, and both at once."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import trustme
from conftest import ServeProcess, free_port
from proxyhelp import ProxyProcess, Server, hypercorn_app, nghttpd, no_traceback, of

__all__ = ["hypercorn_app", "nghttpd"]


def _ca_files(tmp_path: Path) -> tuple[Path, Path, Path]:
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    ca_file, cert_file, key_file = tmp_path / "ca.pem", tmp_path / "cert.pem", tmp_path / "key.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    cert.cert_chain_pems[0].write_to_path(str(cert_file))
    cert.private_key_pem.write_to_path(str(key_file))
    return ca_file, cert_file, key_file


def test_tls_listener_with_alpn_h2_to_plain_h2_upstream(nghttpd: int) -> None:
    proxy = ProxyProcess(f"http://127.0.0.1:{nghttpd}", "--tls", "--self-signed", keep_first=True)
    try:
        cacert = proxy.first["cacert"]
        done = subprocess.run(["curl", "-sS", "--max-time", "10", "--http2", "--cacert", cacert,
                               f"https://localhost:{proxy.port}/index.html"], capture_output=True, timeout=20)
        assert done.returncode == 0, done.stderr
        assert done.stdout == b"hello from nghttpd\n"
    finally:
        records = proxy.stop()
    no_traceback(proxy.err)
    assert proxy.url.startswith("https://")
    opened = of(records, "proxy", "open")[0]
    assert opened["tls"] is True and opened["alpn"] == "h2" and opened["sni"] == "localhost"
    heads = [f for f in of(records, "h2", "frame") if f["frame_type"] == "HEADERS"]
    assert [h["dir"] for h in heads] == ["c2s", "s2c"]
    assert of(records, "proxy", "end")[0]["protocol"] == "h2"


def test_plain_client_to_wss_upstream_verified_with_cacert() -> None:
    import websockets

    server = ServeProcess("ws", "--self-signed")
    assert server.cacert
    proxy = ProxyProcess(server.url.replace("wss://", "https://"), "--cacert", server.cacert)

    async def main() -> str:
        async with websockets.connect(f"ws://127.0.0.1:{proxy.port}/", compression=None) as ws:
            await ws.send("over tls")
            return await ws.recv()

    try:
        assert asyncio.run(main()) == "over tls"
    finally:
        records = proxy.stop()
        server.stop()
    no_traceback(proxy.err)
    assert of(records, "proxy", "open")[0]["upstream_tls"] is True
    assert [f["payload_text"] for f in of(records, "ws", "frame") if f["opcode_name"] == "TEXT"] == ["over tls"] * 2


def test_https_upstream_unverified_is_named(tmp_path: Path) -> None:
    server = ServeProcess("ws", "--self-signed")
    proxy = ProxyProcess(server.url.replace("wss://", "https://"))  # no --cacert: the CA is unknown
    try:
        with __import__("socket").create_connection(("127.0.0.1", proxy.port), timeout=10) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            assert s.recv(100) == b""
    finally:
        records = proxy.stop()
        server.stop()
    no_traceback(proxy.err)
    end = of(records, "proxy", "end")[0]
    assert "TLS certificate verification failed" in end["error"] and "--cacert" in end["error"]


def test_tls_both_legs_alpn_h2_passed_on(tmp_path: Path) -> None:
    ca_file, cert_file, key_file = _ca_files(tmp_path)
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "x.txt").write_text("secure hello\n")
    port = free_port()
    upstream = Server(["nghttpd", "-d", str(docs), "--address=127.0.0.1", str(port), str(key_file), str(cert_file)],
                      port)
    proxy = ProxyProcess(f"https://127.0.0.1:{port}", "--cacert", str(ca_file), "--tls", "--self-signed",
                         keep_first=True)
    try:
        done = subprocess.run(["curl", "-sS", "--max-time", "10", "--http2", "--cacert", proxy.first["cacert"],
                               f"https://localhost:{proxy.port}/x.txt"], capture_output=True, timeout=20)
        assert done.stdout == b"secure hello\n", done.stderr
    finally:
        records = proxy.stop()
        upstream.stop()
    no_traceback(proxy.err)
    opened = of(records, "proxy", "open")[0]
    assert opened["tls"] and opened["upstream_tls"] and opened["alpn"] == "h2"
    assert of(records, "proxy", "end")[0]["status"] == 200



def test_tls_listener_with_cert_and_key(tmp_path: Path, hypercorn_app: int) -> None:
    ca_file, cert_file, key_file = _ca_files(tmp_path)
    proxy = ProxyProcess(f"http://127.0.0.1:{hypercorn_app}", "--tls", "--cert", str(cert_file), "--key",
                         str(key_file))
    try:
        done = subprocess.run(["curl", "-sS", "--max-time", "10", "--http1.1", "--cacert", str(ca_file),
                               f"https://127.0.0.1:{proxy.port}/"], capture_output=True, timeout=20)
        assert done.stdout == b"hello over HTTP/1.1\n", done.stderr
    finally:
        records = proxy.stop()
    no_traceback(proxy.err)
    opened = of(records, "proxy", "open")[0]
    assert opened["tls"] is True and opened["alpn"] == "http/1.1"
    assert of(records, "http", "request")[0]["target"] == "/"
    assert of(records, "http", "response")[0]["status"] == 200
