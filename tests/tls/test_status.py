"""What the connection says when it cannot decrypt: no keys, wrong keys, a suite we do not guess, a capture
cut short or started late. Named once, never raised; plus split and reordered feeds of real sessions."""

from __future__ import annotations

import random
import ssl
from pathlib import Path

import pytest

from tests.tls.peers import Session, python_session, python_sessions
from tests.tls.relay import decrypt
from wiretool.tls import KeyLog, TlsConnection, TlsInfo, read_client_hello


@pytest.fixture(scope="module")
def tls13(tmp_path_factory: pytest.TempPathFactory) -> Session:
    return python_session(tmp_path_factory.mktemp("tls13"))


@pytest.fixture(scope="module")
def tls12(tmp_path_factory: pytest.TempPathFactory) -> Session:
    return python_session(tmp_path_factory.mktemp("tls12"), tls13=False, ciphers="ECDHE-ECDSA-AES128-GCM-SHA256")


def _feed(conn: TlsConnection, chunks: list[tuple[str, float, bytes]]) -> dict[str, bytes]:
    plain = {"c2s": bytearray(), "s2c": bytearray()}
    for name, t, data in chunks:
        for p in conn.feed(name, data, t):  # type: ignore[arg-type]
            plain[p.dir] += p.data
    for p in conn.finish(chunks[-1][1] if chunks else 0.0):
        plain[p.dir] += p.data
    return {k: bytes(v) for k, v in plain.items()}


def _wrong(keylog: Path) -> KeyLog:
    """The same labels and client randoms, each secret with one bit flipped."""
    lines = []
    for line in keylog.read_text().splitlines():
        if line.startswith("#"):
            continue
        label, client_random, secret = line.split()
        flipped = bytes([secret_byte ^ (1 if i == 0 else 0) for i, secret_byte in enumerate(bytes.fromhex(secret))])
        lines.append(f"{label} {client_random} {flipped.hex()}")
    return KeyLog.parse("\n".join(lines))


@pytest.mark.parametrize("which", ["tls13", "tls12"])
def test_no_keys_lists_the_connection_with_its_hello_facts(which: str, request: pytest.FixtureRequest) -> None:
    s: Session = request.getfixturevalue(which)
    conn = TlsConnection(KeyLog())
    assert _feed(conn, s.chunks) == {"c2s": b"", "s2c": b""}
    info = conn.info
    assert (info.status, info.decrypted) == ("no keys for this session", False)
    assert (info.sni, info.alpn_offered) == ("localhost", ("x-test", "http/1.1"))
    assert info.version == ("TLS 1.3" if which == "tls13" else "TLS 1.2")


@pytest.mark.parametrize("which", ["tls13", "tls12"])
def test_wrong_keys_name_a_bad_record_mac_once(which: str, request: pytest.FixtureRequest) -> None:
    s: Session = request.getfixturevalue(which)
    conn = TlsConnection(_wrong(s.keylog))
    assert _feed(conn, s.chunks) == {"c2s": b"", "s2c": b""}
    assert conn.info.status == "bad record MAC" and not conn.info.decrypted
    bad = [n for n in conn.notes if "bad record MAC" in n.message]
    assert len(bad) == 1 and "keys do not match" in bad[0].message


def test_a_cbc_suite_is_named_not_decryptable(tmp_path: Path) -> None:
    s = python_session(tmp_path, tls13=False, ciphers="ECDHE-ECDSA-AES128-SHA")
    conn, c2s, s2c = decrypt(s.chunks, str(s.keylog))
    assert (c2s, s2c) == (b"", b"")
    assert conn.info.status == "cipher suite TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA is not decryptable"
    assert conn.info.cipher_suite == "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"


@pytest.mark.parametrize("which", ["tls13", "tls12"])
def test_any_chunking_gives_the_same_plaintext(which: str, request: pytest.FixtureRequest) -> None:
    s: Session = request.getfixturevalue(which)
    rng = random.Random(14)
    for _ in range(3):
        chunks = []
        for name, t, data in s.chunks:
            pos = 0
            while pos < len(data):
                n = rng.choice((1, 2, 5, 7, 100, 4096, 20000))
                chunks.append((name, t, data[pos:pos + n]))
                pos += n
        conn = TlsConnection(KeyLog.read(s.keylog))
        assert _feed(conn, chunks) == {"c2s": s.sent, "s2c": s.received}


@pytest.mark.parametrize("which", ["tls13", "tls12"])
def test_one_direction_fed_whole_before_the_other_still_decrypts(which: str, request: pytest.FixtureRequest) -> None:
    s: Session = request.getfixturevalue(which)
    for first in ("c2s", "s2c"):
        chunks = sorted(s.chunks, key=lambda c: c[0] != first)  # stable: each direction keeps its order
        conn = TlsConnection(KeyLog.read(s.keylog))
        assert _feed(conn, chunks) == {"c2s": s.sent, "s2c": s.received}


def test_a_capture_cut_inside_a_record_says_so(tls13: Session) -> None:
    c2s = b"".join(d for n, _, d in tls13.chunks if n == "c2s")
    s2c = b"".join(d for n, _, d in tls13.chunks if n == "s2c")
    conn = TlsConnection(KeyLog.read(tls13.keylog))
    conn.feed("c2s", c2s, 0.0)
    # cut off the close_notify (24 bytes) and the end of the last data record
    got = b"".join(p.data for p in conn.feed("s2c", s2c[:-30], 1.0) if p.dir == "s2c")
    conn.finish(2.0)
    assert tls13.received.startswith(got) and len(got) < len(tls13.received)
    cut = [n for n in conn.notes if n.message.startswith("the stream ends inside a record")]
    assert len(cut) == 1 and cut[0].dir == "s2c"
    assert conn.info.status == "decrypting"  # what came before is good


def test_a_capture_that_starts_mid_connection_has_no_client_hello(tls13: Session) -> None:
    c2s = b"".join(d for n, _, d in tls13.chunks if n == "c2s")
    s2c = b"".join(d for n, _, d in tls13.chunks if n == "s2c")
    conn = TlsConnection(KeyLog.read(tls13.keylog))
    # skip the ClientHello record (5-byte header + its length)
    hello_end = 5 + int.from_bytes(c2s[3:5], "big")
    assert conn.feed("c2s", c2s[hello_end:], 0.0) == []
    assert conn.feed("s2c", s2c, 1.0) == []
    conn.finish(2.0)
    assert conn.info.status == "no ClientHello: the capture starts mid-connection"


def test_plain_http_is_named_not_tls() -> None:
    conn = TlsConnection(KeyLog())
    assert conn.feed("c2s", b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", 0.0) == []
    assert conn.info.status == "not TLS"
    assert "not a TLS content type" in conn.notes[0].message


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # TLS 1.0, on purpose
def test_tls10_is_named_not_decryptable(tmp_path: Path) -> None:
    s = python_sessions(tmp_path, tls13=False, ciphers="ECDHE-ECDSA-AES128-SHA:@SECLEVEL=0",
                        min_version=ssl.TLSVersion.TLSv1, max_version=ssl.TLSVersion.TLSv1)[0]
    conn, c2s, s2c = decrypt(s.chunks, str(s.keylog))
    assert (c2s, s2c, conn.info.version) == (b"", b"", "TLS 1.0")
    assert conn.info.status == "TLS 1.0 is not decryptable"


def _with_hole(s: Session, start: int, length: int) -> tuple[TlsConnection, bytes, bytes]:
    """Feed the session with ``length`` bytes of s2c lost at ``start`` (and gap() called there)."""
    c2s = b"".join(d for n, _, d in s.chunks if n == "c2s")
    s2c = b"".join(d for n, _, d in s.chunks if n == "s2c")
    conn = TlsConnection(KeyLog.read(s.keylog))
    plain = {"c2s": bytearray(), "s2c": bytearray()}
    for name, data, t in (("c2s", c2s, 0.0), ("s2c", s2c[:start], 1.0), ("gap", b"", 2.0),
                          ("s2c", s2c[start + length:], 3.0)):
        if name == "gap":
            conn.gap("s2c", length, t)
            continue
        for p in conn.feed(name, data, t):  # type: ignore[arg-type]
            plain[p.dir] += p.data
    conn.finish(4.0)
    return conn, bytes(plain["c2s"]), bytes(plain["s2c"])


@pytest.mark.parametrize("which", ["tls13", "tls12"])
@pytest.mark.parametrize("length", [1, 5000, 40000])
def test_after_a_gap_decryption_resumes_at_the_next_record(which: str, length: int,
                                                           request: pytest.FixtureRequest) -> None:
    s: Session = request.getfixturevalue(which)
    start = 60000  # inside the application data of the s2c stream (150 kB of echoes)
    conn, c2s, s2c = _with_hole(s, start, length)
    assert c2s == s.sent  # the other direction is untouched
    truth = s.received
    same = next(i for i in range(len(s2c) + 1) if i == len(s2c) or s2c[i] != truth[i])
    assert 0 < same < len(s2c) < len(truth) and truth.endswith(s2c[same:])
    messages = [n.message for n in conn.notes if n.dir == "s2c"]
    assert f"a gap of {length} bytes in the capture: looking for the next record of s2c" in messages
    resynced = [m for m in messages if m.startswith("resynchronised after the gap")]
    assert len(resynced) == 1 and conn.info.status == "decrypting"
    assert resynced[0].endswith("1 record lost") if length < 16000 else "records lost" in resynced[0]


def test_a_gap_in_the_handshake_stops_that_direction(tls13: Session) -> None:
    s2c_stream = b"".join(d for n, _, d in tls13.chunks if n == "s2c")
    hello_end = 5 + int.from_bytes(s2c_stream[3:5], "big")
    conn, c2s, s2c = _with_hole(tls13, hello_end + 40, 50)  # after the ServerHello, in the encrypted flight
    assert c2s == tls13.sent and s2c == b""
    assert "a gap of 50 bytes in the capture: s2c is not decrypted past it" in [n.message for n in conn.notes]


def test_no_record_after_a_gap_gives_up_bounded(tls13: Session) -> None:
    conn = TlsConnection(KeyLog.read(tls13.keylog))
    for name, t, data in tls13.chunks[:12]:  # the handshake and the first echoes
        conn.feed(name, data, t)  # type: ignore[arg-type]
    assert conn.info.status == "decrypting"
    conn.gap("s2c", 1000, 1.0)
    noise = (b"\x17\x03\x03\x40\x00" + bytes(16384)) * 80  # plausible headers, nothing decrypts
    assert conn.feed("s2c", noise, 2.0) == []
    assert any("no record decrypted in the 1 MiB after the gap" in n.message for n in conn.notes)
    assert conn.feed("s2c", noise, 3.0) == []
    assert conn.info.status == "decrypting"  # the other direction may still be decrypted


def test_a_client_hello_split_across_records_is_reassembled(tls13: Session) -> None:
    c2s = b"".join(d for n, _, d in tls13.chunks if n == "c2s")
    hello_end = 5 + int.from_bytes(c2s[3:5], "big")
    body = c2s[5:hello_end]
    pieces = [body[:3], body[3:100], body[100:]]  # a break inside the handshake header, then the body
    reframed = b"".join(c2s[:3] + len(p).to_bytes(2, "big") + p for p in pieces) + c2s[hello_end:]
    chunks = [("c2s", 0.0, reframed)] + [(n, t, d) for n, t, d in tls13.chunks if n == "s2c"]
    conn = TlsConnection(KeyLog.read(tls13.keylog))
    assert _feed(conn, chunks) == {"c2s": tls13.sent, "s2c": tls13.received}
    assert conn.info.sni == "localhost"


def test_read_client_hello_without_keys(tls13: Session) -> None:
    c2s = b"".join(d for n, _, d in tls13.chunks if n == "c2s")
    hello = read_client_hello(c2s[:3000])
    assert hello is not None
    assert (hello.sni, hello.alpn, hello.random.hex()) == ("localhost", ("x-test", "http/1.1"),
                                                           _info_without_keys(tls13).client_random)
    assert 0x0304 in hello.supported_versions and hello.key_share_groups
    assert read_client_hello(c2s[:40]) is None  # cut short
    assert read_client_hello(b"GET / HTTP/1.1\r\n\r\n") is None
    assert read_client_hello(b"\x16\x03\x01\x00\x04\x02\x00\x00\x00") is None  # a ServerHello, not a ClientHello


def _info_without_keys(s: Session) -> TlsInfo:
    conn = TlsConnection(KeyLog())
    _feed(conn, s.chunks)
    return conn.info
