"""TLS 1.3 suites Python cannot choose, and key updates, with ``openssl s_client`` as the client."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tls.peers import openssl_session
from tests.tls.relay import decrypt


@pytest.mark.parametrize("suite", ["TLS_AES_128_GCM_SHA256", "TLS_CHACHA20_POLY1305_SHA256",
                                   "TLS_AES_256_GCM_SHA384"])
def test_tls13_suites_decrypt(tmp_path: Path, suite: str) -> None:
    s = openssl_session(tmp_path, suite, [b"hello\n", b"world\n"])
    conn, c2s, s2c = decrypt(s.chunks, str(s.keylog))
    assert (c2s, s2c) == (s.sent, s.received) == (b"hello\nworld\n", b"echo:hello\necho:world\n")
    assert (conn.info.status, conn.info.version, conn.info.cipher_suite) == ("decrypting", "TLS 1.3", suite)


def test_key_updates_both_ways_are_followed(tmp_path: Path) -> None:
    # k: the client updates its keys; K: it updates and asks the server to update too
    s = openssl_session(tmp_path, "TLS_AES_128_GCM_SHA256", [b"one\n", b"k\n", b"two\n", b"K\n", b"three\n"])
    conn, c2s, s2c = decrypt(s.chunks, str(s.keylog))
    assert c2s == s.sent == b"one\ntwo\nthree\n"
    assert s2c == s.received == b"echo:one\necho:two\necho:three\n"
    updates = [n.dir for n in conn.notes if n.message.startswith("key update")]
    assert updates == ["c2s", "c2s", "s2c"]
    assert conn.info.status == "decrypting"
