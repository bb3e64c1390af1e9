"""Real TLS 1.3 and 1.2 sessions between Python's ssl client and server: decrypting the recorded bytes gives
back exactly what the applications sent and received."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tls.peers import python_session, python_sessions
from tests.tls.relay import decrypt


def test_tls13_default_suite_decrypts_both_directions(tmp_path: Path) -> None:
    s = python_session(tmp_path)
    conn, c2s, s2c = decrypt(s.chunks, str(s.keylog))
    assert (c2s, s2c) == (s.sent, s.received)
    info = conn.info
    assert info.status == "decrypting" and info.decrypted
    assert (info.version, info.cipher_suite) == ("TLS 1.3", "TLS_AES_256_GCM_SHA384")
    assert (info.sni, info.alpn_offered, info.alpn) == ("localhost", ("x-test", "http/1.1"), "http/1.1")
    assert [n.message for n in conn.notes] == ["alert: close_notify (warning)"] * 2


@pytest.mark.parametrize(("ciphers", "suite"), [
    ("ECDHE-ECDSA-AES128-GCM-SHA256", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"),
    ("ECDHE-ECDSA-AES256-GCM-SHA384", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"),
    ("ECDHE-ECDSA-CHACHA20-POLY1305", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"),
])
def test_tls12_aead_suites_decrypt(tmp_path: Path, ciphers: str, suite: str) -> None:
    s = python_session(tmp_path, tls13=False, ciphers=ciphers)
    conn, c2s, s2c = decrypt(s.chunks, str(s.keylog))
    assert (c2s, s2c) == (s.sent, s.received)
    assert (conn.info.status, conn.info.version, conn.info.cipher_suite) == ("decrypting", "TLS 1.2", suite)
    assert conn.info.alpn == "http/1.1"  # TLS 1.2: in the ServerHello, in the clear


@pytest.mark.parametrize("tls13", [True, False])
def test_resumed_sessions_decrypt(tmp_path: Path, tls13: bool) -> None:
    ciphers = None if tls13 else "ECDHE-ECDSA-AES128-GCM-SHA256"
    sessions = python_sessions(tmp_path, tls13=tls13, ciphers=ciphers, connections=2, count=2)
    for s in sessions:  # the second is an abbreviated handshake (TLS 1.2) or a PSK one (TLS 1.3)
        conn, c2s, s2c = decrypt(s.chunks, str(s.keylog))
        assert (c2s, s2c) == (s.sent, s.received)
        assert conn.info.status == "decrypting"
