"""TLS 1.3 suites Python cannot choose, and key updates, with ``openssl s_client`` as the client."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tls.peers import OpensslServer, openssl_session, s_client
from tests.tls.relay import decrypt
from wiretool.tls import KeyLog, TlsConnection


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


def test_hello_retry_request_is_followed(tmp_path: Path) -> None:
    # the client's key share is for P-256, the server takes only X25519: it asks again (HelloRetryRequest)
    server = OpensslServer(tmp_path, ["-groups", "X25519", "-rev"])
    try:
        chunks = s_client(server.port, tmp_path / "keys.log", ["-groups", "P-256:X25519"], [b"hello\n", b"world\n"])
    finally:
        server.stop()
    conn, c2s, s2c = decrypt(chunks, str(tmp_path / "keys.log"))
    assert (c2s, s2c) == (b"hello\nworld\n", b"olleh\ndlrow\n")
    assert "HelloRetryRequest: the client sends a second ClientHello" in [n.message for n in conn.notes]
    assert conn.info.status == "decrypting"


def _early_data_session(tmp_path: Path) -> list[tuple[str, float, bytes]]:
    """A first session that stores a ticket, then a resumed one that sends 0-RTT data; the second's chunks."""
    first = OpensslServer(tmp_path / "a", ["-early_data"])
    try:
        s_client(first.port, tmp_path / "keys.log", ["-sess_out", str(tmp_path / "sess.pem")], [b"first\n"])
    finally:
        first.stop()
    (tmp_path / "early.txt").write_bytes(b"early bytes\n")
    second = OpensslServer(tmp_path / "b", ["-early_data"])
    try:
        return s_client(second.port, tmp_path / "keys.log",
                        ["-sess_in", str(tmp_path / "sess.pem"), "-early_data", str(tmp_path / "early.txt")],
                        [b"later\n"])
    finally:
        second.stop()


def test_early_data_is_decrypted_and_marked_or_named_when_its_secret_is_missing(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    chunks = _early_data_session(tmp_path)
    keylog = KeyLog.read(tmp_path / "keys.log")
    conn = TlsConnection(keylog)
    plain = [p for name, t, data in chunks for p in conn.feed(name, data, t)]  # type: ignore[arg-type]
    assert [(p.dir, p.data, p.early) for p in plain] == [("c2s", b"early bytes\n", True), ("c2s", b"later\n", False)]
    without = KeyLog.parse("\n".join(f"{label} {random.hex()} {secret.hex()}"
                                     for random, secrets in keylog.sessions.items()
                                     for label, secret in secrets.items()
                                     if label != "CLIENT_EARLY_TRAFFIC_SECRET"))
    conn = TlsConnection(without)
    plain = [p for name, t, data in chunks for p in conn.feed(name, data, t)]  # type: ignore[arg-type]
    assert [p.data for p in plain] == [b"later\n"]
    assert any("0-RTT early data was sent and is not decrypted" in n.message for n in conn.notes)
    assert conn.info.status == "decrypting"


def test_tls12_renegotiation_is_named_and_what_came_before_kept(tmp_path: Path) -> None:
    server = OpensslServer(tmp_path, ["-rev", "-client_renegotiation"])
    try:
        chunks = s_client(server.port, tmp_path / "keys.log", ["-tls1_2"], [b"before\n", b"R\n", b"after\n"])
    finally:
        server.stop()
    conn = TlsConnection(KeyLog.read(tmp_path / "keys.log"))
    plain = [p for name, t, data in chunks for p in conn.feed(name, data, t)]  # type: ignore[arg-type]
    assert [(p.dir, p.data) for p in plain] == [("c2s", b"before\n"), ("s2c", b"erofeb\n")]
    assert conn.info.status == "undecryptable: the handshake could not be followed"
    assert any("renegotiation is not followed" in n.message for n in conn.notes)
