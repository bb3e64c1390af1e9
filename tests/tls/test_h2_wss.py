"""Protocols over TLS, decrypted: HTTP/2 (curl → ``wiretool serve h2 --self-signed``) and wss (``wiretool ws
connect`` → ``wiretool serve ws --self-signed``), keys from SSLKEYLOGFILE, bytes from the recording relay.
The plaintext goes through wiretool's own h2 and WebSocket codecs and agrees with what the clients saw."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import ServeProcess, run_wiretool
from tests.tls.relay import Relay, decrypt
from wiretool.codec.h2frame import H2FrameView
from wiretool.codec.http1 import split_head
from wiretool.codec.wsframe import WsFrameParser


def _relay_to(url: str) -> Relay:
    parts = urlsplit(url)
    return Relay((parts.hostname or "127.0.0.1", parts.port or 443))


@pytest.mark.parametrize("tls_args", [
    ["--tlsv1.3", "--tls13-ciphers", "TLS_CHACHA20_POLY1305_SHA256"],
    ["--tls-max", "1.2", "--ciphers", "ECDHE-ECDSA-AES256-GCM-SHA384"],
])
def test_curl_http2_over_tls(tmp_path: Path, tls_args: list[str]) -> None:
    server = ServeProcess("h2", "--self-signed")
    try:
        relay = _relay_to(server.url)
        keylog, body = tmp_path / "keys.log", tmp_path / "body"
        subprocess.run(["curl", "-sS", "--http2", *tls_args, "--cacert", str(server.cacert), "-o", str(body),
                        f"https://127.0.0.1:{relay.port}/bytes/50000"], check=True, timeout=30,
                       env={**os.environ, "SSLKEYLOGFILE": str(keylog)})
        chunks = relay.wait()
    finally:
        server.stop()
    conn, c2s, s2c = decrypt(chunks, str(keylog))
    assert conn.info.status == "decrypting" and conn.info.alpn == "h2" and "h2" in conn.info.alpn_offered
    assert c2s.startswith(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
    view = H2FrameView(preface={"send": "expect", "recv": "none"})
    sent, got = view.feed("send", c2s), view.feed("recv", s2c)
    assert view.violations == 0
    request = next(f for f in sent if getattr(f, "frame_type", "") == "HEADERS")
    assert (":path", "/bytes/50000") in request.headers
    response = next(f for f in got if getattr(f, "frame_type", "") == "HEADERS")
    assert (":status", "200") in response.headers
    data = sum(f.data_length for f in got if getattr(f, "frame_type", "") == "DATA")
    assert data == body.stat().st_size == 50000


def test_wss_messages_decrypt_to_the_frames_the_client_saw(tmp_path: Path) -> None:
    server = ServeProcess("ws", "--self-signed")
    try:
        relay = _relay_to(server.url)
        keylog = tmp_path / "keys.log"
        result = run_wiretool(["--json", "ws", "connect", f"wss://127.0.0.1:{relay.port}/", "--cacert",
                               str(server.cacert), "--send", "hello over tls", "--send", "x" * 4000,
                               "--count", "2"], env={"SSLKEYLOGFILE": str(keylog)})
        chunks = relay.wait()
    finally:
        server.stop()
    assert result.exit_code == 0, result.stderr
    conn, c2s, s2c = decrypt(chunks, str(keylog))
    assert conn.info.status == "decrypting" and conn.info.version == "TLS 1.3"
    request, rest_c2s = split_head(c2s)
    response, rest_s2c = split_head(s2c)
    assert request is not None and response is not None
    assert request.start_line.startswith("GET / HTTP/1.1") and "101" in response.start_line
    sent = [r for r in WsFrameParser(sender="client").feed(rest_c2s) if r.type == "frame"]
    echoed = [r for r in WsFrameParser(sender="server").feed(rest_s2c) if r.type == "frame"]
    texts = [f.payload for f in sent if f.opcode == 1]
    assert texts == [b"hello over tls", b"x" * 4000]
    assert [f.payload for f in echoed if f.opcode == 1] == texts
    assert all(f.violations == () for f in sent + echoed)
    live = [r for r in result.json_lines() if r.get("type") == "frame" and r.get("dir") == "recv"]
    assert [r["length"] for r in live if r["opcode_name"] == "TEXT"] == [len(t) for t in texts]


@pytest.mark.slow  # chromium's start-up is most of its ~8 s
def test_chromium_h2_over_tls(tmp_path: Path) -> None:
    """A browser's ClientHello (GREASE, post-quantum key shares, many extensions) and its h2 session."""
    server = ServeProcess("h2", "--self-signed")
    try:
        relay = _relay_to(server.url)
        keylog = tmp_path / "keys.log"
        page = subprocess.run(
            ["chromium", "--headless=new", "--no-sandbox", "--disable-gpu", f"--user-data-dir={tmp_path / 'p'}",
             "--ignore-certificate-errors", f"--ssl-key-log-file={keylog}", "--dump-dom",
             f"https://127.0.0.1:{relay.port}/"], capture_output=True, timeout=60, check=True).stdout
        relay.wait(5)
    finally:
        server.stop()
    assert b"wiretool serve h2" in page
    decoded = []
    for chunks in relay.by_conn:  # chromium may open a spare connection that carries nothing
        conn, c2s, s2c = decrypt(chunks, str(keylog))
        assert conn.info.status == "decrypting" and conn.info.version == "TLS 1.3", conn.info
        assert conn.info.alpn == "h2" and conn.info.alpn_offered == ("h2", "http/1.1")
        if c2s:
            decoded.append((c2s, s2c))
    assert len(decoded) == 1
    c2s, s2c = decoded[0]
    view = H2FrameView(preface={"send": "expect", "recv": "none"})
    sent, got = view.feed("send", c2s), view.feed("recv", s2c)
    assert view.violations == 0
    assert any((":path", "/") in (f.headers or []) for f in sent if getattr(f, "frame_type", "") == "HEADERS")
    assert sum(f.data_length for f in got if getattr(f, "frame_type", "") == "DATA") > 0
