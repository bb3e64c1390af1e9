"""Hostile input: random bytes, mutated records of a real session, lying lengths. Never raises, stays bounded,
and what is decrypted is always a prefix of the truth (AEAD: a mutated record fails, it is never misread)."""

from __future__ import annotations

import random
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.tls.peers import Session, python_session
from wiretool.tls import MAX_FRAGMENT, KeyLog, TlsConnection, read_client_hello
from wiretool.tls.hello import HelloError, parse_client_hello, parse_server_hello

KNOWN = ("waiting for the handshake", "decrypting", "no keys for this session", "bad record MAC", "not TLS",
         "no ClientHello: the capture starts mid-connection", "undecryptable: the handshake could not be followed")


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Session:
    return python_session(tmp_path_factory.mktemp("small"), count=2)


def _run(conn: TlsConnection, chunks: list[tuple[str, float, bytes]]) -> dict[str, bytes]:
    plain = {"c2s": bytearray(), "s2c": bytearray()}
    for name, t, data in chunks:
        for p in conn.feed(name, data, t):  # type: ignore[arg-type]
            plain[p.dir] += p.data
    for p in conn.finish(1.0):
        plain[p.dir] += p.data
    return {k: bytes(v) for k, v in plain.items()}


def test_mutated_records_never_raise_and_never_misread(small: Session) -> None:
    rng = random.Random(1414)
    keylog = KeyLog.read(small.keylog)
    truth = {"c2s": small.sent, "s2c": small.received}
    statuses = set()
    for _ in range(60):
        chunks = [(n, t, bytearray(d)) for n, t, d in small.chunks]
        for _ in range(rng.randint(1, 3)):
            _, _, data = rng.choice(chunks)
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        conn = TlsConnection(keylog)
        got = _run(conn, [(n, t, bytes(d)) for n, t, d in chunks])
        for direction in truth:
            assert truth[direction].startswith(got[direction])
        assert conn.info.status in KNOWN or conn.info.status.endswith("is not decryptable")
        assert len(conn.notes) <= 50
        statuses.add(conn.info.status)
    assert "bad record MAC" in statuses


def test_random_holes_never_raise_and_never_misread(small: Session) -> None:
    rng = random.Random(1415)
    keylog = KeyLog.read(small.keylog)
    truth = {"c2s": small.sent, "s2c": small.received}
    resynced = 0
    for _ in range(40):
        conn = TlsConnection(keylog)
        got: dict[str, list[bytes]] = {"c2s": [], "s2c": []}
        for name, t, data in small.chunks:
            if len(data) > 10 and rng.random() < 0.3:
                a = rng.randrange(len(data))
                b = min(len(data), a + rng.choice((1, 7, 100, 3000, 20000)))
                pieces = [data[:a], None, data[b:]]
            else:
                a = b = 0
                pieces = [data]
            for piece in pieces:
                if piece is None:
                    conn.gap(name, b - a, t)  # type: ignore[arg-type]
                    continue
                for p in conn.feed(name, piece, t):  # type: ignore[arg-type]
                    got[p.dir].append(p.data)
        conn.finish(1.0)
        for direction, records in got.items():  # the truth with whole records left out, in order
            cursor = 0
            for record in records:
                found = truth[direction].find(record, cursor)
                assert found >= 0
                cursor = found + len(record)
        assert len(conn.notes) <= 50
        resynced += any(n.message.startswith("resynchronised") for n in conn.notes)
    assert resynced > 0


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["c2s", "s2c"]), st.binary(max_size=300)), max_size=12))
def test_random_bytes_never_raise(feeds: list[tuple[str, bytes]]) -> None:
    conn = TlsConnection(KeyLog())
    for name, data in feeds:
        assert conn.feed(name, data, 0.0) == []  # type: ignore[arg-type]
    conn.finish(0.0)
    assert conn.info.status in KNOWN


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_hello_parsers_raise_only_hello_error(body: bytes) -> None:
    for parse in (parse_client_hello, parse_server_hello):
        try:
            parse(body)
        except HelloError:
            pass
    framed = b"\x16\x03\x01" + (len(body) + 4).to_bytes(2, "big") + b"\x01" + len(body).to_bytes(3, "big") + body
    read_client_hello(framed)  # never raises: a ClientHello or None


def _record(ctype: int, body: bytes) -> bytes:
    return bytes([ctype, 3, 3]) + len(body).to_bytes(2, "big") + body


def test_a_lying_record_length_is_named_once_and_the_rest_ignored() -> None:
    conn = TlsConnection(KeyLog())
    hello = _record(22, b"\x01\x00\x00\x00")  # an empty ClientHello body: malformed
    lying = bytes([23, 3, 3]) + (MAX_FRAGMENT + 1).to_bytes(2, "big")
    conn.feed("s2c", lying + b"\0" * 100_000, 0.0)
    assert conn.notes[0].message.startswith(f"a record length of {MAX_FRAGMENT + 1} bytes exceeds the 16640")
    conn.feed("s2c", b"\0" * 100_000, 0.0)
    assert len(conn.notes) == 1
    conn.feed("c2s", hello, 0.0)
    assert conn.info.status == "undecryptable: the handshake could not be followed"
    assert "ClientHello: version runs past the end" in conn.notes[-1].message


def test_a_huge_handshake_message_is_refused_not_buffered() -> None:
    conn = TlsConnection(KeyLog())
    header = b"\x01\xff\xff\xff"  # a 16 MiB ClientHello
    conn.feed("c2s", _record(22, header + b"\0" * 16000), 0.0)
    assert conn.info.status == "undecryptable: the handshake could not be followed"
    assert "16777215-byte handshake message of type 1 is too large" in conn.notes[0].message


def test_memory_stays_bounded_whatever_arrives(small: Session) -> None:
    # full-size records that frame correctly but decrypt to nothing, before and after a real handshake
    filler = _record(23, b"\x5a" * MAX_FRAGMENT) * 64  # ~1 MiB per feed
    tracemalloc.start()
    try:
        conn = TlsConnection(KeyLog.read(small.keylog))
        for _ in range(24):  # 24 MiB of s2c before any ClientHello: held up to the limit, then dropped
            conn.feed("s2c", filler, 0.0)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 24 << 20
    assert conn.info.status == "undecryptable: the handshake could not be followed"
    assert "feed both directions in capture order" in conn.notes[0].message


def test_unknown_direction_is_a_caller_bug(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="dir must be"):
        TlsConnection().feed("up", b"", 0.0)  # type: ignore[arg-type]
